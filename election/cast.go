package election

import (
	"context"
	"fmt"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
)

// Statement returns what a ballot with votes states in this election:
// scope, parameter digest, rules and votes, as the vote circuit takes them.
// It does not check the votes against the rules (see [Rules.Check]).
func (p *Params) Statement(votes []uint64) (*prover.VoteStatement, error) {
	digest, err := p.Digest()
	if err != nil {
		return nil, err
	}
	return &prover.VoteStatement{Scope: p.Scope(), Ballot: circuits.Ballot{
		ParamsDigest: digest, NumOptions: uint64(len(p.Options)),
		MaxPerOption: p.Rules.MaxPerOption, MinTotal: p.Rules.MinTotal, MaxTotal: p.Rules.MaxTotal,
		CostExponent: uint64(p.Rules.CostExponent), Votes: votes,
	}}, nil
}

// Cast proves a ballot on the citizen's device: id is the member behind the
// tree proof path (whose root the election must accept) and votes has one
// value per option. The votes are checked against the rules first, for a
// clear error; the proof enforces them regardless.
//
// ctx is checked before proving (see prover.VoteKeys.Prove).
func Cast(ctx context.Context, keys *prover.VoteKeys, p *Params, id *membership.Identity, path *membership.Proof, votes []uint64) (*Ballot, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, fmt.Errorf("election: nil vote keys")
	}
	if keys.VerifyingKey().Circuit() != p.CircuitName() {
		return nil, fmt.Errorf("election: keys are for %s, the election needs %s", keys.VerifyingKey().Circuit(), p.CircuitName())
	}
	if err := checkKey(p.VoteKey, keys.VerifyingKey(), "vote"); err != nil {
		return nil, err // a ballot under another key would be refused by every box
	}
	if err := p.Rules.Check(len(p.Options), votes); err != nil {
		return nil, err
	}
	if !p.AcceptsRoot(path.Root) {
		return nil, ErrUnknownRoot
	}
	s, err := p.Statement(votes)
	if err != nil {
		return nil, err
	}
	proof, err := keys.Prove(ctx, id, path, s)
	if err != nil {
		return nil, err
	}
	return newBallot(proof)
}
