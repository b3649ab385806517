package prover

import (
	"context"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/verifier"
)

// MembershipPublic is the number of public signals of a membership proof:
// Root, Nullifier, Scope, Message.
const MembershipPublic = 4

// MembershipCircuitName returns the name under which keys for the depth-d
// membership circuit are stored and verified, for example
// "membership/v2/depth=20". The version ([circuits.Version]) makes keys
// and cached constraint systems of another version of the circuit stale.
func MembershipCircuitName(depth int) string {
	return fmt.Sprintf("membership/v%d/depth=%d", circuits.Version, depth)
}

func membershipSpec(depth int) circuitSpec {
	return circuitSpec{
		name:     MembershipCircuitName(depth),
		nbPublic: MembershipPublic,
		shape:    func() (frontend.Circuit, error) { return circuits.NewMembership(depth) },
	}
}

// compileMembership compiles for the backend's arithmetisation.
func compileMembership(ctx context.Context, depth int, b verifier.Backend) (constraint.ConstraintSystem, error) {
	return membershipSpec(depth).compile(ctx, b)
}

// MembershipKeys are the compiled membership circuit of one depth with its
// proving and verifying keys, for Groth16 or PLONK.
type MembershipKeys struct {
	keys
	depth int
}

// Depth returns the maximum tree depth the keys prove for.
func (k *MembershipKeys) Depth() int { return k.depth }

// SetupMembershipInsecure compiles the depth-d membership circuit and runs a
// single-party Groth16 setup. The toxic waste exists in this process while
// it runs: anyone who could read its memory can forge proofs. Use it for
// tests and demos; production keys come from a ceremony ([NewCeremony] with
// [MembershipCircuit]) or a PLONK setup ([SetupMembershipPLONK]).
//
// ctx is checked before compiling and before the setup; the setup itself is
// not interruptible.
func SetupMembershipInsecure(ctx context.Context, depth int) (*MembershipKeys, error) {
	k, err := setupInsecure(ctx, membershipSpec(depth))
	if err != nil {
		return nil, err
	}
	return &MembershipKeys{keys: *k, depth: depth}, nil
}

// SetupMembershipPLONK compiles the depth-d membership circuit for PLONK and
// derives its keys from a KZG structured reference string: srs in canonical
// form, large enough for the circuit, and srsLagrange in Lagrange form
// ([LagrangeSRS]), or nil to derive it here (see [SetupPLONK], which does
// the same for any circuit). PLONK's setup is universal: its trust rests on the ceremony
// that produced the SRS, not on this process.
//
// ctx is checked before compiling and before the setup.
func SetupMembershipPLONK(ctx context.Context, depth int, srs, srsLagrange *kzg.SRS) (*MembershipKeys, error) {
	k, err := setupPLONK(ctx, membershipSpec(depth), srs, srsLagrange)
	if err != nil {
		return nil, err
	}
	return &MembershipKeys{keys: *k, depth: depth}, nil
}

// LagrangeSRS derives the Lagrange form of srs for the PLONK membership
// circuit of the given depth.
func LagrangeSRS(ctx context.Context, srs *kzg.SRS, depth int) (*kzg.SRS, error) {
	return lagrangeSRS(ctx, membershipSpec(depth), srs)
}

// ErrNotMember is returned when the identity's commitment is not the leaf of
// the tree proof.
var ErrNotMember = errors.New("prover: identity is not the leaf of the tree proof")

// checkPath checks that id is the member behind the valid tree proof p and
// that p fits depth.
func checkPath(id *membership.Identity, p *membership.Proof, depth int) error {
	if id == nil || p == nil {
		return errors.New("prover: nil identity or tree proof")
	}
	if c := id.Commitment().Element(); !c.Equal(&p.Leaf) {
		return ErrNotMember
	}
	if err := membership.VerifyProof(p.Root, p); err != nil {
		return fmt.Errorf("prover: tree proof does not verify: %w", err)
	}
	if len(p.Siblings) > depth {
		return fmt.Errorf("prover: tree proof has %d levels, keys support %d", len(p.Siblings), depth)
	}
	return nil
}

// Prove proves that id is the member behind tree proof p (under p.Root),
// with the nullifier of id in scope and message attached. It returns a
// self-contained proof for k's verifying key.
//
// ctx is checked before the witness is built and before proving; proving
// itself is not interruptible.
func (k *MembershipKeys) Prove(ctx context.Context, id *membership.Identity, p *membership.Proof, scope, message fr.Element) (*verifier.Proof, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkPath(id, p, k.depth); err != nil {
		return nil, err
	}
	w := &circuits.MembershipWitness{
		Root: p.Root, Scope: scope, Message: message, Secret: id.Secret(),
		Siblings: p.Siblings, PathBits: p.PathBits,
	}
	a, err := circuits.NewMembershipAssignment(k.depth, w)
	if err != nil {
		return nil, err
	}
	return k.prove(ctx, a, []fr.Element{w.Root, w.Nullifier(), w.Scope, w.Message})
}
