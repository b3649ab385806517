package trustee

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// MaxTrustees bounds the number of trustees of an election key.
const MaxTrustees = 64

// ErrTooFewShares is returned when fewer than the threshold of valid
// partial decryptions are available.
var ErrTooFewShares = errors.New("trustee: fewer valid partial decryptions than the threshold")

// KeyShare is trustee Index's share of the election secret: Secret = f(Index)
// for the key's secret polynomial f of degree t−1, with f(0) the election's
// secret key, which nobody holds. Indices run from 1 to n.
type KeyShare struct {
	Index  int
	Secret Scalar
}

// VerificationShare returns Secret·G, the public value against which the
// trustee's partial decryptions are checked.
func (k *KeyShare) VerificationShare() Point { return BaseMul(k.Secret) }

// PartialDecryption is one trustee's part of decrypting one ciphertext:
// D = s·C1 for its share s, with a proof that D and its verification share
// have the same discrete logarithm.
type PartialDecryption struct {
	Index int
	D     Point
	Proof DLEQProof
}

// PartialDecrypt returns the trustee's partial decryption of c. context
// binds the proof to its place (the election and the ciphertext's
// position); verifiers pass the same bytes. r supplies the proof's nonce
// (crypto/rand if nil).
func (k *KeyShare) PartialDecrypt(c Ciphertext, context []byte, r io.Reader) (PartialDecryption, error) {
	if err := checkIndex(k.Index); err != nil {
		return PartialDecryption{}, err
	}
	proof, err := ProveDLEQ(k.Secret, c.C1, partialContext(k.Index, c, context), r)
	if err != nil {
		return PartialDecryption{}, err
	}
	return PartialDecryption{Index: k.Index, D: c.C1.Mul(k.Secret), Proof: proof}, nil
}

// VerifyPartial checks a partial decryption of c against the trustee's
// verification share vk. It returns nil or ErrInvalidProof.
func VerifyPartial(p PartialDecryption, vk Point, c Ciphertext, context []byte) error {
	if checkIndex(p.Index) != nil {
		return ErrInvalidProof
	}
	return VerifyDLEQ(p.Proof, c.C1, vk, p.D, partialContext(p.Index, c, context))
}

// partialContext prefixes the caller's context with the trustee index and
// the ciphertext's C2 (C1 is a base of the proof already), so a proof is
// bound to its trustee and to the whole ciphertext.
func partialContext(index int, c Ciphertext, context []byte) []byte {
	c2 := c.C2.Bytes()
	out := append([]byte("trustee="+strconv.Itoa(index)+";c2="), c2[:]...)
	return append(append(out, ';'), context...)
}

func checkIndex(i int) error {
	if i < 1 || i > MaxTrustees {
		return fmt.Errorf("trustee: index %d outside [1, %d]", i, MaxTrustees)
	}
	return nil
}

// CombineResult is what [Combine] or [CombinePoint] found: the value
// (Combine only), the trustees whose shares were used, and those whose
// partial decryptions were refused.
type CombineResult struct {
	Value uint64
	Used  []int // the threshold's worth of trustee indices, ascending
	// Bad lists, once each and ascending, the indices claimed by partial
	// decryptions that failed verification or named an unknown trustee,
	// except indices that also have a valid one. Partial decryptions are
	// not signed: an index here says a message under that index was
	// refused, not that its trustee misbehaved.
	Bad []int
}

// Combine decrypts c from partial decryptions: [CombinePoint], then
// recovering the value v from v·G by baby-step giant-step over [0, bound]
// ([Solve]). It returns ErrTooFewShares with fewer than threshold valid
// partial decryptions, and ErrNoSolution when v·G is not in that range
// (never an endless search); bound must be at most MaxBound. To decrypt
// many ciphertexts, or packed ones, use CombinePoint and a [Solver].
func Combine(threshold int, shares map[int]Point, c Ciphertext, partials []PartialDecryption, context []byte, bound uint64) (*CombineResult, error) {
	if bound > MaxBound {
		return nil, fmt.Errorf("trustee: search bound %d above %d", bound, uint64(MaxBound))
	}
	res, m, err := CombinePoint(threshold, shares, c, partials, context)
	if err != nil {
		return res, err
	}
	v, err := Solve(m, bound)
	if err != nil {
		return res, err
	}
	res.Value = v
	return res, nil
}

// CombinePoint decrypts c to v·G without solving for v: it verifies each
// partial decryption against its trustee's verification share (shares maps
// index to it), names and skips the bad ones, takes the threshold's worth
// of valid ones with the lowest indices, interpolates s·C1 at zero
// (Lagrange, in the scalar field) and returns C2 − s·C1. The result's
// Value is left 0. It returns ErrTooFewShares with fewer than threshold
// valid partial decryptions.
func CombinePoint(threshold int, shares map[int]Point, c Ciphertext, partials []PartialDecryption, context []byte) (*CombineResult, Point, error) {
	if threshold < 1 || threshold > len(shares) || len(shares) > MaxTrustees {
		return nil, Point{}, fmt.Errorf("trustee: threshold %d of %d trustees", threshold, len(shares))
	}
	res := &CombineResult{}
	valid := map[int]Point{}
	refused := map[int]bool{}
	for _, p := range partials {
		vk, known := shares[p.Index]
		if !known || VerifyPartial(p, vk, c, context) != nil {
			refused[p.Index] = true
			continue
		}
		valid[p.Index] = p.D // a valid D is unique: s·C1
	}
	for i := range refused {
		if _, ok := valid[i]; !ok {
			res.Bad = append(res.Bad, i)
		}
	}
	slices.Sort(res.Bad)
	if len(valid) < threshold {
		return res, Point{}, fmt.Errorf("%w: %d valid of %d needed", ErrTooFewShares, len(valid), threshold)
	}
	for i := range valid {
		res.Used = append(res.Used, i)
	}
	slices.Sort(res.Used)
	res.Used = res.Used[:threshold]
	return res, c.C2.Sub(interpolate(0, res.Used, func(i int) Point { return valid[i] })), nil
}

// Interpolate returns f(0)·H from points f(i)·H of a polynomial f of degree
// below len(points), keyed by index i (1 to MaxTrustees): from the partial
// decryptions s_i·C1 of a threshold of trustees it gives s·C1, so a
// ciphertext (C1, C2) decrypts to v·G = C2 − s·C1. It checks nothing about
// the points: verify each partial decryption first ([VerifyPartial]), as
// [CombinePoint] does.
func Interpolate(points map[int]Point) (Point, error) {
	if len(points) == 0 {
		return Point{}, errors.New("trustee: nothing to interpolate")
	}
	set := make([]int, 0, len(points))
	for i := range points {
		if err := checkIndex(i); err != nil {
			return Point{}, err
		}
		set = append(set, i)
	}
	slices.Sort(set)
	return interpolate(0, set, func(i int) Point { return points[i] }), nil
}

// interpolate returns Σ λ_i(x)·at(i) over the indices of set: the value at
// x, in the exponent, of the polynomial through the points (i, at(i)).
func interpolate(x int, set []int, at func(i int) Point) Point {
	acc := Identity()
	for _, i := range set {
		acc = acc.Add(at(i).Mul(lagrangeAt(x, i, set)))
	}
	return acc
}

// lagrangeAtZero returns λ_i = Π_{j ∈ set, j ≠ i} j / (j − i) mod l, the
// weight of f(i) in f(0) for a polynomial of degree len(set) − 1.
func lagrangeAtZero(i int, set []int) Scalar { return lagrangeAt(0, i, set) }

// lagrangeAt returns Π_{j ∈ set, j ≠ i} (j − x) / (j − i) mod l, the weight
// of f(i) in f(x) for a polynomial of degree len(set) − 1.
func lagrangeAt(x, i int, set []int) Scalar {
	num, den := NewScalar(1), NewScalar(1)
	for _, j := range set {
		if j == i {
			continue
		}
		num = num.Mul(NewScalar(uint64(j)).Sub(NewScalar(uint64(x))))
		den = den.Mul(NewScalar(uint64(j)).Sub(NewScalar(uint64(i))))
	}
	inv, _ := den.Inverse() // distinct indices below l: never zero
	return num.Mul(inv)
}

// ErrInconsistentKey: an election key and verification shares that are
// not the values of one polynomial of the threshold's degree.
var ErrInconsistentKey = errors.New("trustee: the verification shares are not shares of the election key")

// CheckKey reports whether key and the verification shares (of trustees
// 1, 2, … in order) are consistent: the values at 0, 1, 2, … of one
// polynomial of degree threshold − 1 in the exponent, as every key
// generation makes them. It interpolates the first threshold shares at 0
// and at every other index (about n·t scalar multiplications). Anyone
// holding published parameters can run it: a key that is not the shares'
// would let whoever chose it read every ballot, and a share off the
// polynomial would spoil the decryptions that use it.
func CheckKey(threshold int, key Point, verification []Point) error {
	n := len(verification)
	if threshold < 1 || threshold > n || n > MaxTrustees {
		return fmt.Errorf("trustee: threshold %d of %d trustees", threshold, n)
	}
	base := make([]int, threshold)
	for i := range base {
		base[i] = i + 1
	}
	share := func(i int) Point { return verification[i-1] }
	at := func(x int) Point { return interpolate(x, base, share) }
	if !at(0).Equal(key) {
		return fmt.Errorf("%w: the first %d shares interpolate to another key", ErrInconsistentKey, threshold)
	}
	for j := threshold + 1; j <= n; j++ {
		if !at(j).Equal(verification[j-1]) {
			return fmt.Errorf("%w: share %d is not on the polynomial of the first %d", ErrInconsistentKey, j, threshold)
		}
	}
	return nil
}
