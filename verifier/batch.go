package verifier

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
)

// VerifyBatch checks every proof in proofs against vk at once, several
// times faster than calling [Verify] on each. It returns nil if every proof
// verifies (and for an empty batch), and otherwise a [*BatchError] listing
// the proofs that do not verify; that error satisfies
// errors.Is(err, ErrInvalidProof).
//
// Before any pairing, each proof is checked as [Verify] checks it: a proof
// made for another key or backend gives an error wrapping [ErrKeyMismatch],
// one that does not decode an error wrapping [ErrMalformed]. The error names
// the first such proof by its index, and then no proof is verified. Public
// signals must also be reduced field elements, as [ParseProof] makes them. A
// nil key is an error even for an empty batch. VerifyBatch never panics on
// input.
//
// # Security
//
// Groth16 proof i is valid when its error Eᵢ = e(Aᵢ, Bᵢ) / (e(α, β)·e(Lᵢ, γ)·
// e(Cᵢ, δ)) is 1, where Lᵢ = K₀ + Σⱼ xᵢⱼ·Kⱼ₊₁ combines the key's points K with
// the public signals x. VerifyBatch draws a fresh secret scalar rᵢ per proof,
// uniform in [1, 2¹²⁸) from crypto/rand, and checks ∏ Eᵢ^rᵢ = 1 as one
// product of pairings with one final exponentiation:
//
//	∏ e(rᵢ·Aᵢ, Bᵢ) · e(−Σ rᵢ·Lᵢ, γ) · e(−Σ rᵢ·Cᵢ, δ) · e(−(Σ rᵢ)·α, β) = 1.
//
// Every Eᵢ lies in a group of prime order r (decoding checks that each Bᵢ is
// in the prime-order subgroup), so if some Eᵢ ≠ 1, at most one value of rᵢ
// modulo r passes: a batch holding an invalid proof passes with probability
// below 2⁻¹²⁸, less than BN254's own security level (about 2⁻¹⁰⁰). This
// rests on the scalars being unknown to whoever made the proofs: with fixed,
// known or reused scalars an attacker submits two invalid proofs whose errors
// cancel (one public signal raised by d in one and lowered by d in the
// other). So the scalars are drawn per call, never leave it, and cannot be
// chosen by the caller.
//
// A failing batch is bisected: both halves of a failing set are checked
// again, each with the same scalars, down to sets of four proofs or fewer,
// whose proofs go through [Verify] one by one. So every index a [BatchError]
// lists is a proof that Verify rejects; if a half passes by the 2⁻¹²⁸ chance
// above, an invalid proof may be missing from the list, but the batch still
// fails.
//
// # Cost
//
// Each proof costs its decoding (a G2 subgroup check), one 128-bit scalar
// multiplication in G1, one pair in a Miller loop and a share of a
// multi-scalar multiplication; each batch check adds three pairs, two small
// multi-scalar multiplications and one final exponentiation. The work is
// spread over GOMAXPROCS goroutines. A batch of one is passed to [Verify].
// Locating one invalid proof among n costs about two more batch checks of n
// proofs in all, so such a batch takes two to three times as long as a
// valid one. Invalid proofs that fill the batch cost about log₂(n/4) batch
// checks of n proofs plus one [Verify] each: about three single
// verifications per proof, the worst case.
//
// PLONK proofs are not combined: after the same checks before any pairing,
// each proof is verified as [Verify] does, spread over GOMAXPROCS
// goroutines, and the [BatchError] lists every proof that does not verify.
//
// ctx is checked before each stage (decoding, each batch check, each step of
// the bisection) and between proofs while they are decoded and, for PLONK,
// verified; on cancellation VerifyBatch returns ctx.Err().
func VerifyBatch(ctx context.Context, vk *VerifyingKey, proofs []*Proof) (err error) {
	if vk == nil {
		return fmt.Errorf("%w: nil key", ErrMalformed)
	}
	if len(proofs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Panics in the goroutines below are carried over to this one.
	defer func() {
		if recover() != nil {
			err = ErrInvalidProof
		}
	}()
	if len(proofs) == 1 {
		// One proof gains nothing from batching: verify it alone.
		if err := checkHeader(vk, proofs[0]); err != nil {
			return &indexError{0, err}
		}
		switch err := Verify(vk, proofs[0]); {
		case errors.Is(err, ErrInvalidProof):
			return &BatchError{Invalid: []int{0}}
		case err != nil:
			return &indexError{0, err}
		}
		return nil
	}
	switch vk.backend {
	case Groth16:
		b, err := newGroth16Batch(ctx, vk, proofs)
		if err != nil {
			return err
		}
		all := indices(len(proofs))
		if b.holds(all) {
			return nil
		}
		invalid := b.locate(ctx, all)
		if err := ctx.Err(); err != nil {
			return err
		}
		return &BatchError{Invalid: invalid}
	case PLONK:
		return verifyPLONKBatch(ctx, vk, proofs)
	}
	for i, p := range proofs {
		if err := checkHeader(vk, p); err != nil {
			return &indexError{i, err}
		}
	}
	return &indexError{0, ErrKeyMismatch}
}

// verifyPLONKBatch checks and decodes every proof, naming the first that
// fails, then verifies each one on its own.
func verifyPLONKBatch(ctx context.Context, vk *VerifyingKey, proofs []*Proof) error {
	decoded := make([]*plonkbn254.Proof, len(proofs))
	for i, p := range proofs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := checkHeader(vk, p); err != nil {
			return &indexError{i, err}
		}
		pr, err := decodePLONK(p.Data)
		if err != nil {
			return &indexError{i, err}
		}
		decoded[i] = pr
	}
	invalid := make([]bool, len(proofs))
	parallel(splitRuns(len(proofs), 1), func(_, lo, hi int) {
		for i := lo; i < hi && ctx.Err() == nil; i++ {
			invalid[i] = !verifyPLONK(vk, decoded[i], proofs[i].Public)
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	var bad []int
	for i, v := range invalid {
		if v {
			bad = append(bad, i)
		}
	}
	if len(bad) > 0 {
		return &BatchError{Invalid: bad}
	}
	return nil
}

// VerifyAll reports whether every proof in proofs verifies against vk,
// with the one combined check of [VerifyBatch] and no search for the
// invalid ones: nil if all verify, an error wrapping [ErrInvalidProof] if
// some do not (which is unknown: [Verify] each to find out), and the
// errors of VerifyBatch for a proof that is for another key or does not
// decode. A caller that batches proofs from different senders (a ballot
// box) uses it so that an invalid proof costs one combined check and one
// [Verify] per proof of its batch, not VerifyBatch's bisection, which an
// attacker filling batches with invalid proofs would make cost about three
// verifications per proof. PLONK proofs, which are not combined, are
// verified one by one as VerifyBatch does.
func VerifyAll(ctx context.Context, vk *VerifyingKey, proofs []*Proof) (err error) {
	if vk == nil || vk.backend != Groth16 || len(proofs) < 2 {
		return VerifyBatch(ctx, vk, proofs)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	defer func() {
		if recover() != nil {
			err = ErrInvalidProof
		}
	}()
	b, err := newGroth16Batch(ctx, vk, proofs)
	if err != nil {
		return err
	}
	if !b.holds(indices(len(proofs))) {
		return fmt.Errorf("%w: some proof of the batch of %d", ErrInvalidProof, len(proofs))
	}
	return ctx.Err()
}

// indices returns 0, 1, …, n−1.
func indices(n int) []int {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// BatchError is the error [VerifyBatch] returns when some well-formed proofs
// do not verify. errors.Is(err, ErrInvalidProof) holds for it.
type BatchError struct {
	// Invalid holds the indices of the proofs that do not verify, in
	// increasing order. It is never empty.
	Invalid []int
}

// batchErrorList bounds the indices an error string shows.
const batchErrorList = 8

// Error names the invalid proofs by index, the first few if there are many.
func (e *BatchError) Error() string {
	var s strings.Builder
	s.WriteString("verifier: invalid proof")
	if len(e.Invalid) != 1 {
		s.WriteString("s")
	}
	s.WriteString(" at index ")
	for k, i := range e.Invalid {
		if k == batchErrorList {
			fmt.Fprintf(&s, " and %d more", len(e.Invalid)-k)
			break
		}
		if k > 0 {
			s.WriteString(", ")
		}
		s.WriteString(strconv.Itoa(i))
	}
	return s.String()
}

// Is reports whether target is [ErrInvalidProof].
func (e *BatchError) Is(target error) bool { return target == ErrInvalidProof }

// indexError names the proof of a batch that failed a check before any
// pairing.
type indexError struct {
	index int
	err   error
}

func (e *indexError) Error() string {
	return fmt.Sprintf("verifier: proof %d: %s", e.index, strings.TrimPrefix(e.err.Error(), "verifier: "))
}

func (e *indexError) Unwrap() error { return e.err }

// groth16Batch holds a batch of decoded Groth16 proofs with their secret
// scalars.
type groth16Batch struct {
	vk      *VerifyingKey
	proofs  []*Proof
	entries []groth16Entry
}

// groth16Entry is one proof of a batch.
type groth16Entry struct {
	r      fr.Element     // the proof's secret scalar, 0 < r < 2¹²⁸
	rA     bn254.G1Affine // r·A
	b      bn254.G2Affine // B
	c      bn254.G1Affine // C
	public []fr.Element
}

// newGroth16Batch checks and decodes proofs and draws their scalars. Its
// error names the first proof that fails a check.
func newGroth16Batch(ctx context.Context, vk *VerifyingKey, proofs []*Proof) (*groth16Batch, error) {
	b := &groth16Batch{vk: vk, proofs: proofs, entries: make([]groth16Entry, len(proofs))}
	scalars := secretScalars(len(proofs))
	errs := make([]error, len(proofs))
	parallel(splitRuns(len(proofs), 1), func(_, lo, hi int) {
		for i := lo; i < hi && ctx.Err() == nil; i++ {
			errs[i] = b.entries[i].set(vk, proofs[i], scalars[i])
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, &indexError{i, err}
		}
	}
	return b, nil
}

// secretScalars returns n independent uniform scalars in [1, 2¹²⁸) from
// crypto/rand. (crypto/rand.Read does not fail: the program crashes if the
// system's generator does.)
func secretScalars(n int) []*big.Int {
	buf := make([]byte, 16*n)
	rand.Read(buf)
	out := make([]*big.Int, n)
	for i := range out {
		s := new(big.Int).SetBytes(buf[16*i : 16*i+16])
		for s.Sign() == 0 {
			var again [16]byte
			rand.Read(again[:])
			s.SetBytes(again[:])
		}
		out[i] = s
	}
	clear(buf)
	return out
}

// set checks and decodes p and stores it with scalar r.
func (e *groth16Entry) set(vk *VerifyingKey, p *Proof, r *big.Int) error {
	if err := checkHeader(vk, p); err != nil {
		return err
	}
	pr, err := p.groth16()
	if err != nil {
		return err
	}
	e.r.SetBigInt(r)
	e.rA.ScalarMultiplication(&pr.Ar, r)
	e.b = pr.Bs
	e.c = pr.Krs
	e.public = p.Public
	return nil
}

// holds runs the randomised batch check over the entries in idx. It always
// holds if they are all valid proofs; if any is invalid, it fails except
// with probability below 2⁻¹²⁸, and it always fails for a single invalid
// proof.
func (b *groth16Batch) holds(idx []int) bool {
	k := b.vk.g16
	// Σ rᵢ·Lᵢ = (Σ rᵢ)·K₀ + Σⱼ (Σ rᵢ·xᵢⱼ)·Kⱼ₊₁: one MSM over the key's K.
	ks := make([]fr.Element, len(k.G1.K))
	rs := make([]fr.Element, len(idx))
	cs := make([]bn254.G1Affine, len(idx))
	pairs := len(idx) + 3
	ps := make([]bn254.G1Affine, pairs)
	qs := make([]bn254.G2Affine, pairs)
	var t fr.Element
	for n, i := range idx {
		e := &b.entries[i]
		ks[0].Add(&ks[0], &e.r)
		for j := range e.public {
			t.Mul(&e.r, &e.public[j])
			ks[j+1].Add(&ks[j+1], &t)
		}
		rs[n], cs[n] = e.r, e.c
		ps[n], qs[n] = e.rA, e.b
	}
	var sums [3]bn254.G1Jac
	cfg := ecc.MultiExpConfig{}
	if _, err := sums[0].MultiExp(k.G1.K, ks, cfg); err != nil {
		return false // cannot happen: the lengths agree
	}
	if _, err := sums[1].MultiExp(cs, rs, cfg); err != nil {
		return false
	}
	sums[2].FromAffine(&k.G1.Alpha)
	sums[2].ScalarMultiplication(&sums[2], ks[0].BigInt(new(big.Int)))
	for i := range sums {
		sums[i].Neg(&sums[i])
	}
	for i := range sums {
		ps[len(idx)+i].FromJacobian(&sums[i])
	}
	qs[len(idx)], qs[len(idx)+1], qs[len(idx)+2] = k.G2.Gamma, k.G2.Delta, k.G2.Beta

	f, ok := millerLoop(ps, qs)
	if !ok {
		return false
	}
	f = bn254.FinalExponentiation(&f)
	return f.IsOne()
}

// minPairs is the fewest pairs worth a goroutine of their own in a Miller
// loop: each extra loop repeats the loop's squarings.
const minPairs = 8

// millerLoop computes the multi-Miller loop of the pairs (ps[i], qs[i]) as
// a product of loops over contiguous runs, run in parallel; the final
// exponentiation of the product equals the product of the pairings.
func millerLoop(ps []bn254.G1Affine, qs []bn254.G2Affine) (bn254.GT, bool) {
	runs := splitRuns(len(ps), minPairs)
	fs := make([]bn254.GT, len(runs))
	errs := make([]error, len(runs))
	parallel(runs, func(r, lo, hi int) {
		fs[r], errs[r] = bn254.MillerLoop(ps[lo:hi], qs[lo:hi])
	})
	var f bn254.GT
	f.SetOne()
	for r := range fs {
		if errs[r] != nil {
			return f, false
		}
		f.Mul(&f, &fs[r])
	}
	return f, true
}

// locateLeaf is the size of a failing set whose proofs are verified one by
// one rather than split further: below it, batch checks cost more than
// single verifications.
const locateLeaf = 4

// locate returns the indices in idx of the proofs that do not verify, given
// that the batch check of idx failed. It bisects down to sets of at most
// locateLeaf proofs and runs [Verify] on each of those, so it lists only
// proofs that Verify rejects. Once ctx is done it stops early with an
// incomplete list; the caller returns ctx.Err() instead.
func (b *groth16Batch) locate(ctx context.Context, idx []int) []int {
	if ctx.Err() != nil {
		return nil
	}
	if len(idx) > locateLeaf {
		halves := [2][]int{idx[:len(idx)/2], idx[len(idx)/2:]}
		var bad [2][]int
		parallel(splitRuns(2, 1), func(_, lo, hi int) {
			for h := lo; h < hi; h++ {
				if !b.holds(halves[h]) {
					bad[h] = b.locate(ctx, halves[h])
				}
			}
		})
		if len(bad[0])+len(bad[1]) > 0 {
			return append(bad[0], bad[1]...)
		}
		// The whole failed but both halves passed, so one of them passed
		// by chance (probability below 2⁻¹²⁸): verify each proof alone.
	}
	invalid := make([]bool, len(idx))
	parallel(splitRuns(len(idx), 1), func(_, lo, hi int) {
		for n := lo; n < hi && ctx.Err() == nil; n++ {
			invalid[n] = Verify(b.vk, b.proofs[idx[n]]) != nil
		}
	})
	var out []int
	for n, i := range idx {
		if invalid[n] {
			out = append(out, i)
		}
	}
	return out
}

// splitRuns splits [0, n) into at most GOMAXPROCS contiguous runs of at
// least minLen elements (one run if n < 2·minLen), as {lo, hi} pairs.
func splitRuns(n, minLen int) [][2]int {
	runs := max(1, min(runtime.GOMAXPROCS(0), n/max(minLen, 1)))
	out := make([][2]int, runs)
	for r := range out {
		out[r] = [2]int{r * n / runs, (r + 1) * n / runs}
	}
	return out
}

// parallel calls f(r, lo, hi) for each run r = {lo, hi}, each in its own
// goroutine, and waits for all. A panic in f is raised again in the caller's
// goroutine, where VerifyBatch recovers it.
func parallel(runs [][2]int, f func(r, lo, hi int)) {
	if len(runs) == 1 {
		f(0, runs[0][0], runs[0][1])
		return
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		panicky any
	)
	for r, run := range runs {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					mu.Lock()
					panicky = v
					mu.Unlock()
				}
			}()
			f(r, run[0], run[1])
		})
	}
	wg.Wait()
	if panicky != nil {
		panic(panicky)
	}
}
