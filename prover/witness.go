package prover

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/membership"
)

// ErrNotMember is returned when the identity's commitment is not the leaf of
// the tree proof.
var ErrNotMember = errors.New("prover: identity is not the leaf of the tree proof")

// NewMembershipWitness returns the witness of a membership proof: id is the
// member behind tree proof p (under p.Root), with its nullifier in scope and
// message attached. Prove it with keys for statement.Membership of at least
// the proof's depth. It checks, natively and before any proving, that p is
// a valid tree proof whose leaf is id's commitment.
func NewMembershipWitness(id *membership.Identity, p *membership.Proof, scope, message fr.Element) (*circuits.MembershipWitness, error) {
	if err := checkPath(id, p); err != nil {
		return nil, err
	}
	return &circuits.MembershipWitness{
		Root: p.Root, Scope: scope, Message: message, Secret: id.Secret(),
		Siblings: p.Siblings, PathBits: p.PathBits,
	}, nil
}

// checkPath checks that id is the member behind the valid tree proof p.
func checkPath(id *membership.Identity, p *membership.Proof) error {
	if id == nil || p == nil {
		return errors.New("prover: nil identity or tree proof")
	}
	if id.Commitment() != p.Leaf {
		return ErrNotMember
	}
	if err := p.Verify(p.Root); err != nil {
		return fmt.Errorf("prover: tree proof does not verify: %w", err)
	}
	return nil
}
