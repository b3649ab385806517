package circuits

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/netstate/zkvote/statement"
)

// Witness is everything a prover knows about one instance of a statement:
// a [*MembershipWitness], [*VoteWitness], [*TallyWitness] or
// [*SecretVoteWitness].
type Witness interface {
	kind() statement.Kind
}

var (
	_ Witness = (*MembershipWitness)(nil)
	_ Witness = (*VoteWitness)(nil)
	_ Witness = (*TallyWitness)(nil)
	_ Witness = (*SecretVoteWitness)(nil)
)

func (*MembershipWitness) kind() statement.Kind { return statement.KindMembership }
func (*VoteWitness) kind() statement.Kind       { return statement.KindVote }
func (*TallyWitness) kind() statement.Kind      { return statement.KindTally }

// New returns the circuit of s with no values assigned, ready to compile:
// a [*Membership], [*Vote], [*Tally] or [*SecretVote]. It returns an error for a statement
// that fails [statement.Statement.Check].
func New(s statement.Statement) (frontend.Circuit, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	switch s.Kind() {
	case statement.KindMembership:
		return newMembership(s.Depth()), nil
	case statement.KindVote:
		return newVote(s.Depth(), s.Options()), nil
	case statement.KindSecretVote:
		return newSecretVote(s), nil
	default:
		return newTally(s.Batch(), s.Options()), nil
	}
}

// Assign returns the full assignment of s's circuit for w, and the public
// inputs it proves in the circuit's order (the statement package's Vector
// of them). w must be the witness type of s's kind. It returns an error,
// never panics, for a witness that does not fit s (a path longer than the
// depth, more votes than options, more ballots than the batch, a vote value
// of 2^32 or more in a tally or a secret ballot, secret-ballot randomness
// that is missing, zero or repeated); a witness that fits but breaks the statement
// (a wrong secret, votes against the rules) yields an assignment the circuit
// rejects.
func Assign(s statement.Statement, w Witness) (frontend.Circuit, []fr.Element, error) {
	if err := s.Check(); err != nil {
		return nil, nil, err
	}
	if w == nil || w.kind() != s.Kind() {
		return nil, nil, fmt.Errorf("circuits: %T is not a witness of %s", w, s)
	}
	switch w := w.(type) {
	case *MembershipWitness:
		c, err := assignMembership(s.Depth(), w)
		if err != nil {
			return nil, nil, err
		}
		return c, w.Public().Vector(), nil
	case *VoteWitness:
		c, err := assignVote(s.Depth(), s.Options(), w)
		if err != nil {
			return nil, nil, err
		}
		return c, w.Public(s.Options()).Vector(), nil
	case *SecretVoteWitness:
		c, pub, err := assignSecretVote(s, w)
		if err != nil {
			return nil, nil, err
		}
		return c, pub.Vector(), nil
	case *TallyWitness:
		c, res, err := assignTally(s.Batch(), s.Options(), w)
		if err != nil {
			return nil, nil, err
		}
		return c, res.Public.Vector(), nil
	}
	return nil, nil, fmt.Errorf("circuits: %T is not a witness", w)
}
