package circuits

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/frontend"
)

// This file is the in-circuit counterpart of package trustee's group: points
// of BabyJubjub (gnark-crypto's ecc/bn254/twistededwards, a twisted Edwards
// curve a·x² + y² = 1 + d·x²·y² over BN254's scalar field, so its
// arithmetic is native to a BN254 circuit). The addition law is complete
// for this curve (a is a square and d is not), so no input needs a special
// case: the identity (0, 1), doubling and opposite points all go through
// the same formula. Exponential ElGamal encryption, built on it, is in
// elgamal.go.
//
// Costs in R1CS constraints: addition 6; doubling 5; on-curve check 4;
// fixed-base multiplication 3-bit windows of precomputed constants, 10 per
// window; variable-base multiplication 13 per bit (a doubling, an addition
// and a selection of two coordinates). The encryption reads its randomness
// in signed 2-bit windows and sums them on the curve's Montgomery form
// (montgomery.go: addition 3, doubling 4, incomplete but safe for those
// sums): 3 per bit for the key's multiple once a table of the key's
// multiples is built (1,383, once per ballot), 1.5 per bit for the base's.

// EdwardsPoint is a BabyJubjub point in affine coordinates.
type EdwardsPoint struct {
	X, Y frontend.Variable
}

// Edwards does BabyJubjub arithmetic in a circuit: the in-circuit
// counterpart of package trustee's group, from the same curve
// constants (gnark-crypto's). It adds no commitment to the circuit (unlike
// gnark's std twisted Edwards scalar multiplication, which the verifier's
// Groth16 keys would have to carry).
type Edwards struct {
	api  frontend.API
	a, d *big.Int
	base twistededwards.PointAffine
}

// NewEdwards returns the gadget for api (a BN254 circuit).
func NewEdwards(api frontend.API) *Edwards {
	c := twistededwards.GetEdwardsCurve()
	return &Edwards{api: api, a: c.A.BigInt(new(big.Int)), d: c.D.BigInt(new(big.Int)), base: c.Base}
}

// identity returns the neutral element (0, 1).
func (e *Edwards) identity() EdwardsPoint { return EdwardsPoint{X: 0, Y: 1} }

// Add returns p + q with the complete twisted Edwards law:
// x₃ = (x₁y₂ + y₁x₂) / (1 + d·x₁x₂y₁y₂), y₃ = (y₁y₂ − a·x₁x₂) / (1 − d·x₁x₂y₁y₂),
// with x₁y₂ + y₁x₂ = (x₁ + y₁)(x₂ + y₂) − x₁x₂ − y₁y₂. For points on the
// curve the denominators are never zero (d is not a square), so the
// unchecked divisions are exact.
func (e *Edwards) Add(p, q EdwardsPoint) EdwardsPoint {
	api := e.api
	xx := api.Mul(p.X, q.X)
	yy := api.Mul(p.Y, q.Y)
	cross := api.Sub(api.Mul(api.Add(p.X, p.Y), api.Add(q.X, q.Y)), xx, yy)
	dt := api.Mul(api.Mul(xx, yy), e.d)
	return EdwardsPoint{
		X: api.DivUnchecked(cross, api.Add(1, dt)),
		Y: api.DivUnchecked(api.Sub(yy, api.Mul(xx, e.a)), api.Sub(1, dt)),
	}
}

// double returns 2·p for p on the curve: x₃ = 2xy / (a·x² + y²),
// y₃ = (y² − a·x²) / (2 − a·x² − y²). On the curve a·x² + y² = 1 + d·x²y²
// and 2 − a·x² − y² = 1 − d·x²y², which are never zero (d is not a square,
// −1 is), so the divisions are exact; one constraint fewer than [Edwards.Add].
func (e *Edwards) double(p EdwardsPoint) EdwardsPoint {
	api := e.api
	xx, yy, xy := api.Mul(p.X, p.X), api.Mul(p.Y, p.Y), api.Mul(p.X, p.Y)
	axx := api.Mul(xx, e.a)
	return EdwardsPoint{
		X: api.DivUnchecked(api.Add(xy, xy), api.Add(axx, yy)),
		Y: api.DivUnchecked(api.Sub(yy, axx), api.Sub(2, axx, yy)),
	}
}

// AssertOnCurve asserts a·x² + y² = 1 + d·x²·y².
func (e *Edwards) AssertOnCurve(p EdwardsPoint) {
	api := e.api
	xx, yy := api.Mul(p.X, p.X), api.Mul(p.Y, p.Y)
	api.AssertIsEqual(api.Add(api.Mul(xx, e.a), yy), api.Add(1, api.Mul(api.Mul(xx, yy), e.d)))
}

// fixedBaseWindow is the width of a window of fixedBaseMul.
const fixedBaseWindow = 3

// ScalarMulBase returns (Σ bits[i]·2^i)·G for the curve's base point G, bits
// least significant first, each already constrained to be boolean. Window i
// of three bits selects one of eight constants j·8^i·G by a multilinear
// expression in the bits (4 products per window, shared by both
// coordinates), and the selections are added up from the identity.
func (e *Edwards) ScalarMulBase(bits []frontend.Variable) EdwardsPoint {
	acc := e.identity()
	step := e.base // 8^i·G
	for lo := 0; lo < len(bits); lo += fixedBaseWindow {
		w := bits[lo:min(lo+fixedBaseWindow, len(bits))]
		var table [1 << fixedBaseWindow]twistededwards.PointAffine
		table[0].Y.SetOne()
		for j := 1; j < len(table); j++ {
			table[j].Add(&table[j-1], &step)
		}
		acc = e.Add(acc, e.lookup(w, table[:1<<len(w)]))
		var next twistededwards.PointAffine
		next.Set(&table[len(table)-1])
		step.Add(&next, &step) // 8·step
	}
	return acc
}

// lookup returns table[Σ w[i]·2^i] for constant points; see [Edwards.lookupConst].
func (e *Edwards) lookup(w []frontend.Variable, table []twistededwards.PointAffine) EdwardsPoint {
	return e.lookupConst(e.monomials(w), table)
}

// monomials returns the products Π_{i∈S} w[i] for every subset S of the bits
// w, indexed by S as a bit mask: one constraint for each |S| ≥ 2.
func (e *Edwards) monomials(w []frontend.Variable) []frontend.Variable {
	n := 1 << len(w)
	prods := make([]frontend.Variable, n)
	prods[0] = 1
	for s := 1; s < n; s++ {
		low := s & -s
		bit := 0
		for 1<<bit != low {
			bit++
		}
		if rest := s &^ low; rest == 0 {
			prods[s] = w[bit]
		} else {
			prods[s] = e.api.Mul(prods[rest], w[bit])
		}
	}
	return prods
}

// lookupConst returns table[S] for constant points, S the subset of bits
// that are set, from their monomials (as [Edwards.monomials] returns them):
// the multilinear interpolation Σ_S c_S·prods[S], whose coefficients c_S
// come from the table by Möbius inversion. It adds no constraint: each
// coordinate is a linear combination of the monomials.
func (e *Edwards) lookupConst(prods []frontend.Variable, table []twistededwards.PointAffine) EdwardsPoint {
	xs, ys := make([]fr.Element, len(table)), make([]fr.Element, len(table))
	for j := range table {
		xs[j], ys[j] = table[j].X, table[j].Y
	}
	return EdwardsPoint{X: e.interpolate(prods, xs), Y: e.interpolate(prods, ys)}
}

// interpolate returns vals[S] for the subset S of bits that are set, as
// the linear combination Σ_S c_S·prods[S] of the bits' monomials, with
// c_S = Σ_{T⊆S} (−1)^{|S∖T|} vals[T] (Möbius inversion). No constraint.
func (e *Edwards) interpolate(prods []frontend.Variable, vals []fr.Element) frontend.Variable {
	n := len(vals)
	c := make([]*big.Int, n)
	for j := range vals {
		c[j] = vals[j].BigInt(new(big.Int))
	}
	for bit := 1; bit < n; bit <<= 1 {
		for s := range n {
			if s&bit != 0 {
				c[s] = new(big.Int).Sub(c[s], c[s^bit])
			}
		}
	}
	acc := frontend.Variable(0)
	for s := range n {
		if c[s].Sign() != 0 {
			acc = e.api.Add(acc, e.api.Mul(prods[s], c[s]))
		}
	}
	return acc
}

// ScalarMul returns (Σ bits[i]·2^i)·p, bits least significant first and
// boolean, by double-and-add from the most significant bit: a doubling, an
// addition and a selection per bit. p must be on the curve (the doubling
// formula relies on it): check a point from outside with
// [Edwards.AssertOnCurve].
func (e *Edwards) ScalarMul(p EdwardsPoint, bits []frontend.Variable) EdwardsPoint {
	acc := e.identity()
	for i := len(bits) - 1; i >= 0; i-- {
		acc = e.double(acc)
		sum := e.Add(acc, p)
		acc = EdwardsPoint{X: e.api.Select(bits[i], sum.X, acc.X), Y: e.api.Select(bits[i], sum.Y, acc.Y)}
	}
	return acc
}
