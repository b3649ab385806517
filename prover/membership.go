package prover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/plonk"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/verifier"
)

// MembershipPublic is the number of public signals of a membership proof:
// Root, Nullifier, Scope, Message.
const MembershipPublic = 4

// MembershipCircuitName returns the name under which keys for the depth-d
// membership circuit are stored and verified.
func MembershipCircuitName(depth int) string { return fmt.Sprintf("membership/depth=%d", depth) }

// CompileMembership compiles the membership circuit for trees of depth at
// most depth, for Groth16 (R1CS).
func CompileMembership(ctx context.Context, depth int) (constraint.ConstraintSystem, error) {
	return compileMembership(ctx, depth, verifier.Groth16)
}

// compileMembership compiles for the backend's arithmetisation: R1CS for
// Groth16, sparse R1CS for PLONK.
func compileMembership(ctx context.Context, depth int, b verifier.Backend) (constraint.ConstraintSystem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := circuits.NewMembership(depth)
	if err != nil {
		return nil, err
	}
	var ccs constraint.ConstraintSystem
	switch b {
	case verifier.Groth16:
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	case verifier.PLONK:
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, c)
	default:
		return nil, fmt.Errorf("prover: unknown backend %v", b)
	}
	if err != nil {
		return nil, fmt.Errorf("prover: compiling %s: %v", MembershipCircuitName(depth), err)
	}
	return ccs, nil
}

// MembershipKeys are the compiled membership circuit of one depth with its
// proving and verifying keys, for Groth16 or PLONK.
type MembershipKeys struct {
	depth int
	ccs   constraint.ConstraintSystem
	pk    *groth16bn254.ProvingKey // Groth16
	ppk   *plonkbn254.ProvingKey   // PLONK
	vk    *verifier.VerifyingKey
}

// Backend returns the keys' proof system.
func (k *MembershipKeys) Backend() verifier.Backend { return k.vk.Backend() }

// Depth returns the maximum tree depth the keys prove for.
func (k *MembershipKeys) Depth() int { return k.depth }

// VerifyingKey returns the key a verifier needs.
func (k *MembershipKeys) VerifyingKey() *verifier.VerifyingKey { return k.vk }

// NbConstraints returns the size of the compiled circuit.
func (k *MembershipKeys) NbConstraints() int { return k.ccs.GetNbConstraints() }

// SetupMembershipInsecure compiles the depth-d membership circuit and runs a
// single-party Groth16 setup. The toxic waste exists in this process while
// it runs: anyone who could read its memory can forge proofs. Use it for
// tests and demos; production keys come from a ceremony.
//
// ctx is checked before compiling and before the setup; the setup itself is
// not interruptible.
func SetupMembershipInsecure(ctx context.Context, depth int) (*MembershipKeys, error) {
	ccs, err := CompileMembership(ctx, depth)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, fmt.Errorf("prover: setup: %v", err)
	}
	return newMembershipKeys(depth, ccs, pk.(*groth16bn254.ProvingKey), vk.(*groth16bn254.VerifyingKey))
}

func newMembershipKeys(depth int, ccs constraint.ConstraintSystem, pk *groth16bn254.ProvingKey, gvk *groth16bn254.VerifyingKey) (*MembershipKeys, error) {
	vk, err := verifier.NewGroth16VerifyingKey(MembershipCircuitName(depth), MembershipPublic, gvk)
	if err != nil {
		return nil, err
	}
	return &MembershipKeys{depth: depth, ccs: ccs, pk: pk, vk: vk}, nil
}

// SetupMembershipPLONK compiles the depth-d membership circuit for PLONK and
// derives its keys from a KZG structured reference string: srs in canonical
// form and srsLagrange in Lagrange form, both large enough for the circuit
// (see [ReadSRS]). PLONK's setup is universal: its trust rests on the
// ceremony that produced the SRS, not on this process.
//
// ctx is checked before compiling and before the setup.
func SetupMembershipPLONK(ctx context.Context, depth int, srs, srsLagrange *kzg.SRS) (*MembershipKeys, error) {
	ccs, err := compileMembership(ctx, depth, verifier.PLONK)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if srs == nil || srsLagrange == nil {
		return nil, errors.New("prover: nil SRS")
	}
	pk, vk, err := plonk.Setup(ccs, srs, srsLagrange)
	if err != nil {
		return nil, fmt.Errorf("prover: plonk setup: %v", err)
	}
	return newPLONKMembershipKeys(depth, ccs, pk.(*plonkbn254.ProvingKey), vk.(*plonkbn254.VerifyingKey))
}

func newPLONKMembershipKeys(depth int, ccs constraint.ConstraintSystem, pk *plonkbn254.ProvingKey, pvk *plonkbn254.VerifyingKey) (*MembershipKeys, error) {
	vk, err := verifier.NewPLONKVerifyingKey(MembershipCircuitName(depth), MembershipPublic, pvk)
	if err != nil {
		return nil, err
	}
	return &MembershipKeys{depth: depth, ccs: ccs, ppk: pk, vk: vk}, nil
}

// ReadSRS reads a KZG SRS for BN254 in gnark-crypto's encoding (as written
// by kzg.SRS.WriteTo; a powers-of-tau transcript converted with gnark's
// tools). The reader is trusted: it should be a file whose hash matches the
// published ceremony output. Use [LagrangeSRS] to derive the Lagrange form
// a circuit needs.
func ReadSRS(r io.Reader) (*kzg.SRS, error) {
	srs := new(kzg.SRS)
	if _, err := srs.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("prover: reading SRS: %v", err)
	}
	return srs, nil
}

// LagrangeSRS derives the Lagrange form of srs for the PLONK membership
// circuit of the given depth.
func LagrangeSRS(ctx context.Context, srs *kzg.SRS, depth int) (*kzg.SRS, error) {
	ccs, err := compileMembership(ctx, depth, verifier.PLONK)
	if err != nil {
		return nil, err
	}
	n := ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints() + ccs.GetNbPublicVariables()))
	if uint64(len(srs.Pk.G1)) < n+3 {
		return nil, fmt.Errorf("prover: SRS of %d points is too small for %d", len(srs.Pk.G1), n+3)
	}
	lg, err := kzg.ToLagrangeG1(srs.Pk.G1[:n])
	if err != nil {
		return nil, fmt.Errorf("prover: %v", err)
	}
	return &kzg.SRS{Pk: kzg.ProvingKey{G1: lg}, Vk: srs.Vk}, nil
}

// ErrNotMember is returned when the identity's commitment is not the leaf of
// the tree proof.
var ErrNotMember = errors.New("prover: identity is not the leaf of the tree proof")

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
	if id == nil || p == nil {
		return nil, errors.New("prover: nil identity or tree proof")
	}
	if c := id.Commitment().Element(); !c.Equal(&p.Leaf) {
		return nil, ErrNotMember
	}
	if err := membership.VerifyProof(p.Root, p); err != nil {
		return nil, fmt.Errorf("prover: tree proof does not verify: %w", err)
	}
	if len(p.Siblings) > k.depth {
		return nil, fmt.Errorf("prover: tree proof has %d levels, keys support %d", len(p.Siblings), k.depth)
	}
	w := &circuits.MembershipWitness{
		Root: p.Root, Scope: scope, Message: message, Secret: id.Secret(),
		Siblings: p.Siblings, PathBits: p.PathBits,
	}
	return k.prove(ctx, w)
}

func (k *MembershipKeys) prove(ctx context.Context, w *circuits.MembershipWitness) (*verifier.Proof, error) {
	a, err := circuits.NewMembershipAssignment(k.depth, w)
	if err != nil {
		return nil, err
	}
	wit, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("prover: witness: %v", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var proof io.WriterTo
	if k.pk != nil {
		proof, err = groth16.Prove(k.ccs, k.pk, wit)
	} else {
		proof, err = plonk.Prove(k.ccs, k.ppk, wit)
	}
	if err != nil {
		return nil, fmt.Errorf("prover: proving: %v", err)
	}
	var data bytes.Buffer
	if _, err := proof.WriteTo(&data); err != nil {
		return nil, fmt.Errorf("prover: encoding proof: %v", err)
	}
	return &verifier.Proof{
		Backend: k.vk.Backend(),
		KeyID:   k.vk.ID(),
		Public:  []fr.Element{w.Root, w.Nullifier(), w.Scope, w.Message},
		Data:    data.Bytes(),
	}, nil
}
