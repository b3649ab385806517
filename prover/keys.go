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
	gnarklayout "github.com/netstate/zkvote/internal/layout"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// Keys are the compiled circuit of one statement ([Keys.Statement]) with
// its proving and verifying keys, for Groth16 or PLONK: what every setup
// ([SetupInsecure], a ceremony's [Ceremony.Seal], [SetupPLONK]) and every
// load ([Load], [OpenInsecure]) returns, for any statement. [Keys.Prove]
// proves a witness of that statement and no other.
type Keys struct {
	stmt statement.Statement
	ccs  constraint.ConstraintSystem
	pk   *groth16bn254.ProvingKey
	ppk  *plonkbn254.ProvingKey
	vk   *verifier.VerifyingKey

	helper *helped // see WithHelper
}

// Statement returns the statement the keys prove.
func (k *Keys) Statement() statement.Statement { return k.stmt }

// VerifyingKey returns the key a verifier needs.
func (k *Keys) VerifyingKey() *verifier.VerifyingKey { return k.vk }

// Backend returns the keys' proof system.
func (k *Keys) Backend() verifier.Backend { return k.vk.Backend() }

// NbConstraints returns the size of the compiled circuit.
func (k *Keys) NbConstraints() int { return k.ccs.GetNbConstraints() }

// SetupInsecure compiles s's circuit and runs a single-party Groth16 setup.
// The toxic waste exists in this process while it runs: anyone who could
// read its memory can forge proofs of s (membership of anyone, ballots,
// results). Use it for tests and demos; keys users rely on come from a
// ceremony ([NewCeremony]) or a PLONK setup ([SetupPLONK]).
//
// ctx is checked before compiling and before the setup; the setup itself is
// not interruptible.
func SetupInsecure(ctx context.Context, s statement.Statement) (*Keys, error) {
	ccs, err := compile(ctx, s, verifier.Groth16)
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
	return newGroth16Keys(s, ccs, pk.(*groth16bn254.ProvingKey), vk.(*groth16bn254.VerifyingKey))
}

// SetupPLONK compiles s's circuit for PLONK and derives its keys from a KZG
// structured reference string: srs in canonical form, large enough for the
// circuit, and srsLagrange, its Lagrange form for the circuit's domain
// ([LagrangeSRS]), or nil to derive it here (an FFT over the domain). See
// [ReadSRS]. PLONK's setup is universal: its trust rests on the ceremony
// that produced the SRS, not on this process.
//
// ctx is checked before compiling and before the setup; the setup itself
// is not interruptible.
func SetupPLONK(ctx context.Context, s statement.Statement, srs, srsLagrange *kzg.SRS) (*Keys, error) {
	ccs, err := compile(ctx, s, verifier.PLONK)
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
	return newPLONKKeys(s, ccs, pk.(*plonkbn254.ProvingKey), vk.(*plonkbn254.VerifyingKey))
}

// fileBase is the stem of s's key files for backend b, for example
// "vote-v2-depth20-options8-groth16".
func fileBase(s statement.Statement, b verifier.Backend) string {
	return strings.NewReplacer("/", "-", "=", "").Replace(s.Name()) + "-" + b.String()
}

// compile compiles s's circuit for the backend's arithmetisation: R1CS for
// Groth16, sparse R1CS for PLONK.
func compile(ctx context.Context, s statement.Statement, b verifier.Backend) (constraint.ConstraintSystem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := circuits.New(s)
	if err != nil {
		return nil, fmt.Errorf("prover: %w", err)
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
		return nil, fmt.Errorf("prover: compiling %s: %v", s, err)
	}
	return ccs, nil
}

func newGroth16Keys(s statement.Statement, ccs constraint.ConstraintSystem, pk *groth16bn254.ProvingKey, gvk *groth16bn254.VerifyingKey) (*Keys, error) {
	vk, err := verifier.NewGroth16VerifyingKey(s.Name(), s.NbPublic(), gvk)
	if err != nil {
		return nil, err
	}
	return &Keys{stmt: s, ccs: ccs, pk: pk, vk: vk}, nil
}

func newPLONKKeys(s statement.Statement, ccs constraint.ConstraintSystem, pk *plonkbn254.ProvingKey, pvk *plonkbn254.VerifyingKey) (*Keys, error) {
	vk, err := verifier.NewPLONKVerifyingKey(s.Name(), s.NbPublic(), pvk)
	if err != nil {
		return nil, err
	}
	return &Keys{stmt: s, ccs: ccs, ppk: pk, vk: vk}, nil
}

// Prove proves w, a witness of the keys' statement (a
// *circuits.MembershipWitness, *circuits.VoteWitness or
// *circuits.TallyWitness), and returns the self-contained proof with its
// public inputs. A witness that does not fit the statement is an error
// before proving; one that fits but is false (a secret not in the tree,
// votes against the rules, a wrong chain) fails to prove.
//
// ctx is checked before the witness is built and before proving; proving
// itself is not interruptible.
func (k *Keys) Prove(ctx context.Context, w circuits.Witness) (*verifier.Proof, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	assignment, public, err := circuits.Assign(k.stmt, w)
	if err != nil {
		return nil, fmt.Errorf("prover: %w", err)
	}
	wit, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("prover: witness: %v", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var proof io.WriterTo
	switch {
	case k.helper != nil:
		proof, err = k.proveHelped(wit)
	case k.pk != nil:
		proof, err = groth16.Prove(k.ccs, k.pk, wit)
	default:
		proof, err = plonk.Prove(k.ccs, k.ppk, wit)
	}
	var failed *helperError
	switch {
	case errors.As(err, &failed):
		return nil, fmt.Errorf("prover: proving %s: %w", k.stmt, failed.err)
	case err != nil:
		return nil, fmt.Errorf("prover: proving %s: %v (the witness is not a true instance of the statement)", k.stmt, err)
	}
	var data bytes.Buffer
	if _, err := proof.WriteTo(&data); err != nil {
		return nil, fmt.Errorf("prover: encoding proof: %v", err)
	}
	return &verifier.Proof{Backend: k.vk.Backend(), KeyID: k.vk.ID(), Public: public, Data: data.Bytes()}, nil
}

// LagrangeSRS derives the Lagrange form of srs for s's circuit compiled for
// PLONK: the srsLagrange of [SetupPLONK], worth keeping when the same
// circuit is set up more than once.
func LagrangeSRS(ctx context.Context, s statement.Statement, srs *kzg.SRS) (*kzg.SRS, error) {
	ccs, err := compile(ctx, s, verifier.PLONK)
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
