package circuits

import (
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/frontend"
)

// The encryption's long sums run on the Montgomery form of BabyJubjub,
// whose addition costs three constraints against the Edwards law's six, but
// is incomplete: it needs P ≠ ±Q and neither at infinity (the Edwards
// identity). The twisted Edwards curve a·x² + y² = 1 + d·x²y² is
// birationally equivalent to B·v² = u³ + A·u² + u with A = 2(a + d)/(a − d)
// and B = 4/(a − d), by u = (1 + y)/(1 − y), v = u/x and back
// x = u/v, y = (u − 1)/(u + 1) (Bernstein, Birkner, Joye, Lange, Peters,
// "Twisted Edwards Curves", 2008, theorem 3.2). The maps are defined at
// every point of the prime-order subgroup but the identity (x ≠ 0 and
// y ≠ 1 there).
//
// Every division below is DivUnchecked: its quotient is a wire fixed by one
// constraint as long as the divisor is not zero. Why no divisor is ever zero,
// for any witness, is argued where the formulas are used (elgamal.go): the
// points involved are distinct nonzero multiples of one point of prime order
// whose integer multipliers stay below the order.

// montPoint is an affine point of the Montgomery form.
type montPoint struct {
	U, V frontend.Variable
}

// montConstants returns A and B of the Montgomery form.
var montConstants = sync.OnceValues(func() (a, b fr.Element) {
	c := twistededwards.GetEdwardsCurve()
	var diff, sum fr.Element
	diff.Sub(&c.A, &c.D)
	diff.Inverse(&diff)
	sum.Add(&c.A, &c.D)
	a.Double(&sum).Mul(&a, &diff)
	b.SetUint64(4)
	b.Mul(&b, &diff)
	return a, b
})

// montNative returns the Montgomery coordinates of a point of the
// prime-order subgroup other than the identity (for constants).
func montNative(p twistededwards.PointAffine) (u, v fr.Element) {
	var one, num, den fr.Element
	one.SetOne()
	num.Add(&one, &p.Y)
	den.Sub(&one, &p.Y)
	den.Inverse(&den)
	u.Mul(&num, &den)
	v.Inverse(&p.X)
	v.Mul(&v, &u)
	return u, v
}

// toMont maps an Edwards point other than the identity and (0, −1) to the
// Montgomery form: two constraints.
func (e *Edwards) toMont(p EdwardsPoint) montPoint {
	api := e.api
	u := api.DivUnchecked(api.Add(1, p.Y), api.Sub(1, p.Y))
	return montPoint{U: u, V: api.DivUnchecked(u, p.X)}
}

// fromMont maps a Montgomery point of the prime-order subgroup (not at
// infinity) back to the Edwards form: two constraints.
func (e *Edwards) fromMont(p montPoint) EdwardsPoint {
	api := e.api
	return EdwardsPoint{X: api.DivUnchecked(p.U, p.V), Y: api.DivUnchecked(api.Sub(p.U, 1), api.Add(p.U, 1))}
}

// montAdd returns p + q for p ≠ ±q, neither at infinity: λ = (v₂ − v₁)/(u₂ − u₁),
// u₃ = B·λ² − A − u₁ − u₂, v₃ = λ·(u₁ − u₃) − v₁. Three constraints. The
// caller guarantees u₁ ≠ u₂: were they equal, λ would be free.
func (e *Edwards) montAdd(p, q montPoint) montPoint {
	api := e.api
	a, b := montConstants()
	l := api.DivUnchecked(api.Sub(q.V, p.V), api.Sub(q.U, p.U))
	u := api.Sub(api.Mul(api.Mul(l, l), b.BigInt(new(big.Int))), a.BigInt(new(big.Int)), p.U, q.U)
	return montPoint{U: u, V: api.Sub(api.Mul(l, api.Sub(p.U, u)), p.V)}
}

// montDouble returns 2·p for p not of order 2 nor at infinity (v ≠ 0):
// λ = (3u² + 2A·u + 1)/(2B·v), u₃ = B·λ² − A − 2u, v₃ = λ·(u − u₃) − v.
// Four constraints.
func (e *Edwards) montDouble(p montPoint) montPoint {
	api := e.api
	a, b := montConstants()
	ab, bb := a.BigInt(new(big.Int)), b.BigInt(new(big.Int))
	uu := api.Mul(p.U, p.U)
	num := api.Add(api.Mul(uu, 3), api.Mul(p.U, new(big.Int).Lsh(ab, 1)), 1)
	l := api.DivUnchecked(num, api.Mul(p.V, new(big.Int).Lsh(bb, 1)))
	u := api.Sub(api.Mul(api.Mul(l, l), bb), ab, p.U, p.U)
	return montPoint{U: u, V: api.Sub(api.Mul(l, api.Sub(p.U, u)), p.V)}
}
