package prover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
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

	gnarklayout "github.com/netstate/zkvote/internal/layout"
	"github.com/netstate/zkvote/verifier"
)

// Circuit names one of zkvote's circuits at one size: the statement a set of
// keys is made for. Build it with [MembershipCircuit], [VoteCircuit] or
// [TallyCircuit]; the zero Circuit names none, and a Circuit of sizes out of
// range gets an error where it is compiled. Circuits are comparable with ==.
type Circuit struct {
	kind circuitKind
	a, b int // membership: depth; vote: depth, options; tally: batch, options
}

type circuitKind uint8

// The circuit kinds, as a ceremony state's header records them.
const (
	circuitMembership circuitKind = 1
	circuitVote       circuitKind = 2
	circuitTally      circuitKind = 3
)

// MembershipCircuit names the membership circuit for trees of depth at most
// depth (see [MembershipKeys]).
func MembershipCircuit(depth int) Circuit { return Circuit{kind: circuitMembership, a: depth} }

// VoteCircuit names the vote circuit for census trees of depth at most depth
// and ballots of options options (see [VoteKeys]).
func VoteCircuit(depth, options int) Circuit {
	return Circuit{kind: circuitVote, a: depth, b: options}
}

// TallyCircuit names the tally circuit for batches of batch ballots of
// options options (see [TallyKeys]).
func TallyCircuit(batch, options int) Circuit {
	return Circuit{kind: circuitTally, a: batch, b: options}
}

// Name returns the name verifying keys for c state, for example
// "vote/v2/depth=20/options=8" ([MembershipCircuitName], [VoteCircuitName],
// [TallyCircuitName]).
func (c Circuit) Name() string { return c.spec().name }

// String returns [Circuit.Name].
func (c Circuit) String() string { return c.Name() }

// NbPublic returns the number of public signals of c's proofs.
func (c Circuit) NbPublic() int { return c.spec().nbPublic }

// spec returns the circuit's compilation recipe.
func (c Circuit) spec() circuitSpec {
	switch c.kind {
	case circuitMembership:
		return membershipSpec(c.a)
	case circuitVote:
		return voteSpec(c.a, c.b)
	case circuitTally:
		return tallySpec(c.a, c.b)
	}
	return circuitSpec{name: "none", shape: func() (frontend.Circuit, error) {
		return nil, errors.New("prover: no circuit named (zero Circuit)")
	}}
}

// Keys are the compiled circuit named by [Keys.Circuit] with its proving and
// verifying keys, for Groth16 or PLONK: what a ceremony ([Ceremony.Seal]) and
// [SetupPLONK] return for any circuit. [Keys.Membership], [Keys.Vote] and
// [Keys.Tally] give the same keys typed for their circuit, with its Prove
// method; each fails for keys of another circuit, so keys from a ceremony
// for one circuit can never be used as keys for another.
type Keys struct {
	keys
	circuit Circuit
}

// Circuit returns the circuit the keys are for.
func (k *Keys) Circuit() Circuit { return k.circuit }

func (k *Keys) typed(want circuitKind, what string) error {
	if k == nil || k.circuit.kind != want {
		name := "nothing"
		if k != nil {
			name = k.circuit.Name()
		}
		return fmt.Errorf("prover: keys are for %s, not a %s circuit", name, what)
	}
	return nil
}

// Membership returns the keys as membership keys, or an error if they are
// for another circuit.
func (k *Keys) Membership() (*MembershipKeys, error) {
	if err := k.typed(circuitMembership, "membership"); err != nil {
		return nil, err
	}
	return &MembershipKeys{keys: k.keys, depth: k.circuit.a}, nil
}

// Vote returns the keys as vote keys, or an error if they are for another
// circuit.
func (k *Keys) Vote() (*VoteKeys, error) {
	if err := k.typed(circuitVote, "vote"); err != nil {
		return nil, err
	}
	return &VoteKeys{keys: k.keys, depth: k.circuit.a, options: k.circuit.b}, nil
}

// Tally returns the keys as tally keys, or an error if they are for another
// circuit.
func (k *Keys) Tally() (*TallyKeys, error) {
	if err := k.typed(circuitTally, "tally"); err != nil {
		return nil, err
	}
	return &TallyKeys{keys: k.keys, batch: k.circuit.a, options: k.circuit.b}, nil
}

// SetupPLONK compiles c for PLONK and derives its keys from a KZG structured
// reference string: srs in canonical form, large enough for the circuit, and
// srsLagrange, its Lagrange form for the circuit's domain, or nil to derive
// it here (an FFT over the domain). See [ReadSRS]. PLONK's setup is
// universal: its trust rests on the ceremony that produced the SRS, not on
// this process.
//
// ctx is checked before compiling and before the setup; the setup itself
// is not interruptible.
func SetupPLONK(ctx context.Context, c Circuit, srs, srsLagrange *kzg.SRS) (*Keys, error) {
	k, err := setupPLONK(ctx, c.spec(), srs, srsLagrange)
	if err != nil {
		return nil, err
	}
	return &Keys{keys: *k, circuit: c}, nil
}

// circuitSpec names one circuit at one size.
type circuitSpec struct {
	name     string // as verifying keys state it, e.g. "membership/v2/depth=20"
	nbPublic int
	shape    func() (frontend.Circuit, error)
}

// fileBase is the stem of the spec's key files for backend b.
func (s circuitSpec) fileBase(b verifier.Backend) string {
	return strings.NewReplacer("/", "-", "=", "").Replace(s.name) + "-" + b.String()
}

// compile compiles the spec for the backend's arithmetisation: R1CS for
// Groth16, sparse R1CS for PLONK.
func (s circuitSpec) compile(ctx context.Context, b verifier.Backend) (constraint.ConstraintSystem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.shape()
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
		return nil, fmt.Errorf("prover: compiling %s: %v", s.name, err)
	}
	return ccs, nil
}

// keys are a compiled circuit with its proving and verifying keys, for
// Groth16 (pk) or PLONK (ppk).
type keys struct {
	spec circuitSpec
	ccs  constraint.ConstraintSystem
	pk   *groth16bn254.ProvingKey
	ppk  *plonkbn254.ProvingKey
	vk   *verifier.VerifyingKey
}

// VerifyingKey returns the key a verifier needs.
func (k *keys) VerifyingKey() *verifier.VerifyingKey { return k.vk }

// Backend returns the keys' proof system.
func (k *keys) Backend() verifier.Backend { return k.vk.Backend() }

// NbConstraints returns the size of the compiled circuit.
func (k *keys) NbConstraints() int { return k.ccs.GetNbConstraints() }

func newGroth16Keys(spec circuitSpec, ccs constraint.ConstraintSystem, pk *groth16bn254.ProvingKey, gvk *groth16bn254.VerifyingKey) (*keys, error) {
	vk, err := verifier.NewGroth16VerifyingKey(spec.name, spec.nbPublic, gvk)
	if err != nil {
		return nil, err
	}
	return &keys{spec: spec, ccs: ccs, pk: pk, vk: vk}, nil
}

func newPLONKKeys(spec circuitSpec, ccs constraint.ConstraintSystem, pk *plonkbn254.ProvingKey, pvk *plonkbn254.VerifyingKey) (*keys, error) {
	vk, err := verifier.NewPLONKVerifyingKey(spec.name, spec.nbPublic, pvk)
	if err != nil {
		return nil, err
	}
	return &keys{spec: spec, ccs: ccs, ppk: pk, vk: vk}, nil
}

// setupInsecure compiles spec and runs a single-party Groth16 setup.
func setupInsecure(ctx context.Context, spec circuitSpec) (*keys, error) {
	ccs, err := spec.compile(ctx, verifier.Groth16)
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
	return newGroth16Keys(spec, ccs, pk.(*groth16bn254.ProvingKey), vk.(*groth16bn254.VerifyingKey))
}

// setupPLONK compiles spec for PLONK and derives keys from a KZG SRS.
func setupPLONK(ctx context.Context, spec circuitSpec, srs, srsLagrange *kzg.SRS) (*keys, error) {
	ccs, err := spec.compile(ctx, verifier.PLONK)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if srs == nil {
		return nil, errors.New("prover: nil SRS")
	}
	if srsLagrange == nil {
		if srsLagrange, err = lagrangeFor(ccs, srs); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	pk, vk, err := plonk.Setup(ccs, srs, srsLagrange)
	if err != nil {
		return nil, fmt.Errorf("prover: plonk setup: %v", err)
	}
	return newPLONKKeys(spec, ccs, pk.(*plonkbn254.ProvingKey), vk.(*plonkbn254.VerifyingKey))
}

// prove proves assignment, whose public values are public, and returns the
// self-contained proof.
func (k *keys) prove(ctx context.Context, assignment frontend.Circuit, public []fr.Element) (*verifier.Proof, error) {
	wit, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
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
		return nil, fmt.Errorf("prover: proving %s: %v", k.spec.name, err)
	}
	var data bytes.Buffer
	if _, err := proof.WriteTo(&data); err != nil {
		return nil, fmt.Errorf("prover: encoding proof: %v", err)
	}
	return &verifier.Proof{Backend: k.vk.Backend(), KeyID: k.vk.ID(), Public: public, Data: data.Bytes()}, nil
}

// lagrangeSRS derives the Lagrange form of srs for spec compiled for PLONK.
func lagrangeSRS(ctx context.Context, spec circuitSpec, srs *kzg.SRS) (*kzg.SRS, error) {
	ccs, err := spec.compile(ctx, verifier.PLONK)
	if err != nil {
		return nil, err
	}
	return lagrangeFor(ccs, srs)
}

// lagrangeFor derives the Lagrange form of srs for ccs's PLONK domain.
func lagrangeFor(ccs constraint.ConstraintSystem, srs *kzg.SRS) (*kzg.SRS, error) {
	if srs == nil {
		return nil, errors.New("prover: nil SRS")
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

// maxSRSPoints bounds the G1 points of an SRS [ReadSRS] accepts: 2^28, an
// 8 GiB file, more than any zkvote circuit needs.
const maxSRSPoints = 1 << 28

// ReadSRS reads a KZG SRS for BN254 in gnark-crypto's compressed encoding
// (as written by kzg.SRS.WriteTo; a powers-of-tau transcript converted with
// gnark's tools), reading r to its end. The reader is trusted: it should be
// a file whose hash matches the published ceremony output. Use
// [LagrangeSRS] to derive the Lagrange form a circuit needs.
//
// Even so, the input is checked before gnark decodes it, as gnark's decoder
// allocates from the point count it reads (four bytes of input would ask for
// 256 GiB): the count is at most 2^28, memory grows only with bytes that
// actually arrive, and the whole layout is walked (count, then every point
// slot in compressed form, the raw pairing lines, nothing trailing). After
// decoding (every point on the curve and in its subgroup), the verifying
// part must hold the curve's generators ([1]₁, which is also the first
// power, and [1]₂), a non-trivial [τ]₂, and exactly the pairing lines of
// its two G2 points. Any failure is an error, never a crash.
func ReadSRS(r io.Reader) (srs *kzg.SRS, err error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("prover: reading SRS: %v", err)
	}
	n := uint64(head[0])<<24 | uint64(head[1])<<16 | uint64(head[2])<<8 | uint64(head[3])
	if n < 2 || n > maxSRSPoints {
		return nil, fmt.Errorf("prover: SRS of %d points, want 2 to %d", n, maxSRSPoints)
	}
	size := int64(len(head)) + int64(n)*gnarklayout.G1 + int64(2*gnarklayout.G2+gnarklayout.G1+gnarklayout.KZGLines)
	var buf bytes.Buffer
	buf.Write(head[:])
	if _, err := buf.ReadFrom(io.LimitReader(r, size-int64(len(head))+1)); err != nil {
		return nil, fmt.Errorf("prover: reading SRS: %v", err)
	}
	w := gnarklayout.New(buf.Bytes())
	w.Len(int(n), "G1 points")
	w.Points(int(n), gnarklayout.G1)
	w.Points(2, gnarklayout.G2)
	w.Points(1, gnarklayout.G1)
	w.Bytes(gnarklayout.KZGLines)
	if err := w.End(); err != nil {
		return nil, fmt.Errorf("prover: reading SRS: %v", err)
	}
	defer func() {
		if r := recover(); r != nil {
			srs, err = nil, fmt.Errorf("prover: reading SRS: %v", r)
		}
	}()
	srs = new(kzg.SRS)
	if m, err := srs.ReadFrom(bytes.NewReader(buf.Bytes())); err != nil || m != int64(buf.Len()) {
		return nil, fmt.Errorf("prover: reading SRS: %v", err)
	}
	_, _, g1, g2 := bn254.Generators()
	switch {
	case !srs.Vk.G1.Equal(&g1) || !srs.Pk.G1[0].Equal(&g1) || !srs.Vk.G2[0].Equal(&g2):
		return nil, errors.New("prover: reading SRS: its base points are not the generators")
	case srs.Vk.G2[1].IsInfinity():
		return nil, errors.New("prover: reading SRS: [τ]₂ is the point at infinity")
	case bn254.PrecomputeLines(srs.Vk.G2[0]) != srs.Vk.Lines[0] || bn254.PrecomputeLines(srs.Vk.G2[1]) != srs.Vk.Lines[1]:
		return nil, errors.New("prover: reading SRS: its pairing lines do not match its G2 points")
	}
	return srs, nil
}
