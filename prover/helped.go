package prover

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"slices"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"

	"github.com/netstate/zkvote/prover/msm"
)

// A Helper computes parts of Groth16 proofs (package msm) for keys that
// [Keys.WithHelper] returns: in a browser, a second Web Worker, so that a
// proof uses two threads where Go compiled to WebAssembly has one. A
// helper sees every proof's whole witness: it must run where the prover
// does.
type Helper interface {
	// Load gives the helper the bases of part p, as msm.EncodeG1Bases or
	// msm.EncodeG2Bases encode them, replacing any it held for p.
	Load(ctx context.Context, p msm.Part, bases []byte) error
	// Start starts computing part p over scalars (msm.EncodeScalars) and
	// returns at once, without waiting for the helper; wait then blocks
	// until the helper returns the sum (msm.Bases.Run's encoding) or
	// fails. wait is called exactly once.
	Start(p msm.Part, scalars []byte) (wait func() ([]byte, error))
}

// helped is how keys from WithHelper prove: the parts handed to the
// helper.
type helped struct {
	h     Helper
	parts []msm.Part
}

// WithHelper returns keys that prove as k does, but hand the given parts
// of each proof to h, after giving h their bases ([Helper.Load]); parts
// usually come from [Keys.HelperParts]. Proofs made so are the same
// Groth16 proofs, randomised afresh, and verify under the same key; a
// helper that fails fails the proof, and one that computes a wrong sum
// makes a proof that does not verify, so check proofs made with a helper
// before using them ([verifier.Verify]).
//
// Only Groth16 keys whose circuit has no commitments can be helped.
func (k *Keys) WithHelper(ctx context.Context, h Helper, parts []msm.Part) (*Keys, error) {
	if h == nil {
		return nil, errors.New("prover: nil helper")
	}
	if k.pk == nil {
		return nil, errors.New("prover: only Groth16 keys can use a helper")
	}
	if len(k.pk.CommitmentKeys) > 0 {
		return nil, errors.New("prover: keys of a circuit with commitments cannot use a helper")
	}
	if len(parts) == 0 {
		return nil, errors.New("prover: no part to hand to the helper")
	}
	seen := map[msm.Part]bool{}
	for _, p := range parts {
		if !p.Valid() || seen[p] {
			return nil, fmt.Errorf("prover: part %v cannot be handed to a helper (unknown or repeated)", p)
		}
		seen[p] = true
	}
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bases, err := k.bases(p)
		if err != nil {
			return nil, err
		}
		if err := h.Load(ctx, p, bases); err != nil {
			return nil, fmt.Errorf("prover: loading part %v in the helper: %w", p, err)
		}
	}
	out := *k
	out.helper = &helped{h: h, parts: slices.Clone(parts)}
	return &out, nil
}

// bases encodes the points of part p of k's proving key.
func (k *Keys) bases(p msm.Part) ([]byte, error) {
	switch p {
	case msm.A:
		return msm.EncodeG1Bases(p, k.pk.G1.A)
	case msm.B1:
		return msm.EncodeG1Bases(p, k.pk.G1.B)
	case msm.K:
		return msm.EncodeG1Bases(p, k.pk.G1.K)
	case msm.B2:
		return msm.EncodeG2Bases(k.pk.G2.B)
	}
	return nil, fmt.Errorf("prover: unknown part %v", p)
}

// Relative costs of the work of a proof on one thread, in G1 points of
// an MSM, measured on Go compiled to WebAssembly (Chromium and node
// profiles of a depth-20 vote proof): a G2 point costs about 2.7 G1
// points, and the FFTs of the quotient about 0.4 G1 points per element of
// the domain.
const (
	costG2  = 27 // tenths of a G1 point
	costFFT = 4  // tenths of a G1 point, per element of the domain
)

// HelperParts returns the parts of k's proofs to hand to one helper so
// that, each on one thread, the helper and the prover finish at about the
// same time: the G2 part always, and the G1 parts that balance the two
// best. It returns nil for keys that cannot use a helper (see
// [Keys.WithHelper]).
func (k *Keys) HelperParts() []msm.Part {
	if k.pk == nil || len(k.pk.CommitmentKeys) > 0 {
		return nil
	}
	g1 := []msm.Part{msm.A, msm.B1, msm.K}
	cost := map[msm.Part]int{
		msm.A:  10 * len(k.pk.G1.A),
		msm.B1: 10 * len(k.pk.G1.B),
		msm.K:  10 * len(k.pk.G1.K),
	}
	own := costFFT*int(k.pk.Domain.Cardinality) + 10*len(k.pk.G1.Z)
	var best []msm.Part
	bestCost := -1
	for set := range 1 << len(g1) {
		helper, prover := costG2*len(k.pk.G2.B), own
		parts := []msm.Part{}
		for i, p := range g1 {
			if set&(1<<i) != 0 {
				helper += cost[p]
				parts = append(parts, p)
			} else {
				prover += cost[p]
			}
		}
		if c := max(helper, prover); bestCost < 0 || c < bestCost {
			best, bestCost = append(parts, msm.B2), c
		}
	}
	return best
}

// proveHelped proves wit as groth16.Prove does, with the helper's parts
// computed by the helper while this goroutine does the rest:
//
//	Ar  = [α]₁ + Σ wᵢ[Aᵢ]₁ + r[δ]₁
//	Bs  = [β]₂ + Σ wᵢ[Bᵢ]₂ + s[δ]₂   (and Bs₁ the same in G1)
//	Krs = Σ wᵢ[Kᵢ]₁ + Σ hᵢ[Zᵢ]₁ + s·Ar + r·Bs₁ − rs[δ]₁
//
// with r and s fresh random scalars and h the quotient's coefficients.
// The key's layout is gnark's (groth16/bn254.ProvingKey): A and B without
// the points at infinity, K over the private wires, Z in bit-reversed
// order over the domain less one.
func (k *Keys) proveHelped(wit witness.Witness) (*groth16bn254.Proof, error) {
	r1cs, ok := k.ccs.(*csbn254.R1CS)
	if !ok {
		return nil, &helperError{errors.New("prover: a helper needs a BN254 R1CS")}
	}
	sol, err := r1cs.Solve(wit)
	if err != nil {
		return nil, err // the witness is false
	}
	proof, err := k.finishHelped(r1cs, sol)
	if err != nil {
		return nil, &helperError{err}
	}
	return proof, nil
}

// helperError is a failure of a proof with a helper once the witness is
// solved: the helper's, or the keys'.
type helperError struct{ err error }

func (e *helperError) Error() string { return e.err.Error() }
func (e *helperError) Unwrap() error { return e.err }

// finishHelped is proveHelped once the witness is solved.
func (k *Keys) finishHelped(r1cs *csbn254.R1CS, sol any) (*groth16bn254.Proof, error) {
	pk := k.pk
	if ci, ok := r1cs.CommitmentInfo.(constraint.Groth16Commitments); !ok || len(ci) > 0 || len(pk.CommitmentKeys) > 0 {
		return nil, errors.New("prover: keys of a circuit with commitments cannot use a helper")
	}
	solution, ok := sol.(*csbn254.R1CSSolution)
	if !ok {
		return nil, errors.New("prover: unexpected solution type")
	}
	wires := []fr.Element(solution.W)
	nbPublic := r1cs.GetNbPublicVariables()
	if len(pk.InfinityA) != len(wires) || len(pk.InfinityB) != len(wires) || len(pk.G1.K) != len(wires)-nbPublic {
		return nil, errors.New("prover: the proving key does not fit the constraint system")
	}
	scalars := map[msm.Part][]fr.Element{
		msm.A:  finite(wires, pk.InfinityA),
		msm.B1: finite(wires, pk.InfinityB),
		msm.K:  wires[nbPublic:],
	}
	scalars[msm.B2] = scalars[msm.B1]
	bases := map[msm.Part]int{msm.A: len(pk.G1.A), msm.B1: len(pk.G1.B), msm.K: len(pk.G1.K), msm.B2: len(pk.G2.B)}
	for p, s := range scalars {
		if len(s) != bases[p] {
			return nil, fmt.Errorf("prover: part %v has %d points for %d wires", p, bases[p], len(s))
		}
	}

	// Hand the helper its parts first, so that it works while this
	// goroutine computes the quotient and the other parts.
	waits := map[msm.Part]func() ([]byte, error){}
	defer func() { // a wait is called exactly once, even on failure
		for _, w := range waits {
			w()
		}
	}()
	for _, p := range k.helper.parts {
		waits[p] = k.helper.h.Start(p, msm.EncodeScalars(scalars[p]))
	}
	helped := func(p msm.Part) bool { _, ok := waits[p]; return ok }

	var r, s, rs fr.Element
	if _, err := r.SetRandom(); err != nil {
		return nil, err
	}
	if _, err := s.SetRandom(); err != nil {
		return nil, err
	}
	rs.Mul(&r, &s).Neg(&rs)
	deltas := bn254.BatchScalarMultiplicationG1(&pk.G1.Delta, []fr.Element{r, s, rs})

	h := quotient(solution.A, solution.B, solution.C, &pk.Domain)
	sizeH := int(pk.Domain.Cardinality) - 1
	if len(pk.G1.Z) != sizeH {
		return nil, errors.New("prover: the proving key's Z does not fit its domain")
	}
	cfg := ecc.MultiExpConfig{NbTasks: runtime.NumCPU()}
	var ar, bs1, krs, z bn254.G1Jac
	var bs2 bn254.G2Jac
	g1 := map[msm.Part]*bn254.G1Jac{msm.A: &ar, msm.B1: &bs1, msm.K: &krs}
	g1Bases := map[msm.Part][]bn254.G1Affine{msm.A: pk.G1.A, msm.B1: pk.G1.B, msm.K: pk.G1.K}
	if _, err := z.MultiExp(pk.G1.Z, h[:sizeH], cfg); err != nil {
		return nil, err
	}
	for _, p := range []msm.Part{msm.A, msm.B1, msm.K} {
		if !helped(p) {
			if _, err := g1[p].MultiExp(g1Bases[p], scalars[p], cfg); err != nil {
				return nil, err
			}
		}
	}
	if !helped(msm.B2) {
		if _, err := bs2.MultiExp(pk.G2.B, scalars[msm.B2], cfg); err != nil {
			return nil, err
		}
	}
	// Collect the helper's sums.
	for _, p := range k.helper.parts {
		wait := waits[p]
		delete(waits, p)
		out, err := wait()
		if err != nil {
			return nil, fmt.Errorf("prover: the helper's part %v: %w", p, err)
		}
		if p.G2() {
			sum, err := msm.ParseG2(out)
			if err != nil {
				return nil, fmt.Errorf("prover: the helper's part %v: %w", p, err)
			}
			bs2.FromAffine(&sum)
			continue
		}
		sum, err := msm.ParseG1(out)
		if err != nil {
			return nil, fmt.Errorf("prover: the helper's part %v: %w", p, err)
		}
		g1[p].FromAffine(&sum)
	}

	var rBig, sBig big.Int
	r.BigInt(&rBig)
	s.BigInt(&sBig)
	proof := new(groth16bn254.Proof)

	ar.AddMixed(&pk.G1.Alpha)
	ar.AddMixed(&deltas[0])
	proof.Ar.FromJacobian(&ar)

	bs1.AddMixed(&pk.G1.Beta)
	bs1.AddMixed(&deltas[1])

	var deltaS bn254.G2Jac
	deltaS.FromAffine(&pk.G2.Delta)
	deltaS.ScalarMultiplication(&deltaS, &sBig)
	bs2.AddAssign(&deltaS)
	bs2.AddMixed(&pk.G2.Beta)
	proof.Bs.FromJacobian(&bs2)

	var p1 bn254.G1Jac
	krs.AddAssign(&z)
	krs.AddMixed(&deltas[2])
	p1.ScalarMultiplication(&ar, &sBig)
	krs.AddAssign(&p1)
	p1.ScalarMultiplication(&bs1, &rBig)
	krs.AddAssign(&p1)
	proof.Krs.FromJacobian(&krs)
	return proof, nil
}

// finite returns the wire values whose point is not at infinity.
func finite(wires []fr.Element, infinity []bool) []fr.Element {
	out := make([]fr.Element, 0, len(wires))
	for i := range wires {
		if !infinity[i] {
			out = append(out, wires[i])
		}
	}
	return out
}

// quotient returns the coefficients of h = (a·b − c)/(Xⁿ − 1), in
// bit-reversed order, from the evaluations of a, b and c on the domain
// (the constraints' left, right and output values, padded with zeros): it
// interpolates each, evaluates them on a coset where Xⁿ − 1 is the
// constant gⁿ − 1 (g the coset's shift), divides there and interpolates
// back. a is reused for the result.
func quotient(a, b, c []fr.Element, domain *fft.Domain) []fr.Element {
	n := int(domain.Cardinality)
	pad := func(v []fr.Element) []fr.Element {
		return append(v, make([]fr.Element, n-len(v))...)
	}
	a, b, c = pad(a), pad(b), pad(c)
	for _, v := range [][]fr.Element{a, b, c} {
		domain.FFTInverse(v, fft.DIF) // coefficients, bit-reversed
		domain.FFT(v, fft.DIT, fft.OnCoset())
	}
	var den, one fr.Element
	one.SetOne()
	den.Exp(domain.FrMultiplicativeGen, big.NewInt(int64(n)))
	den.Sub(&den, &one).Inverse(&den)
	for i := range a {
		a[i].Mul(&a[i], &b[i]).Sub(&a[i], &c[i]).Mul(&a[i], &den)
	}
	domain.FFTInverse(a, fft.DIF, fft.OnCoset())
	return a
}
