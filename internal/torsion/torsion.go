// Package torsion finds the small-order points of BabyJubjub (gnark-crypto's
// twisted Edwards curve over BN254's scalar field): the subgroup test in
// package trustee is built on a point of order 8, and every decoder of
// curve points is tested against points with a small-order component.
package torsion

import (
	"fmt"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
)

// OrderEight returns a point of order 8: l·P for the first curve point P
// (by increasing y) whose l·P has order 8. About one point in two will do,
// as the curve's group is Z/8 × Z/l, with a cyclic 2-part.
var OrderEight = sync.OnceValue(func() twistededwards.PointAffine {
	c := twistededwards.GetEdwardsCurve()
	one := fr.One()
	for y := uint64(2); ; y++ {
		var p twistededwards.PointAffine
		p.Y.SetUint64(y)
		var num, den fr.Element // x² = (1 − y²)/(a − d·y²)
		num.Square(&p.Y)
		den.Mul(&num, &c.D)
		num.Sub(&one, &num)
		den.Sub(&c.A, &den)
		num.Div(&num, &den)
		if p.X.Sqrt(&num) == nil {
			continue
		}
		var t, q twistededwards.PointAffine
		t.ScalarMultiplication(&p, &c.Order)
		q.Double(&t)
		q.Double(&q)
		if !q.IsZero() {
			return t
		}
	}
})

// Point returns a point of order 1, 2, 4 or 8: OrderEight doubled as
// needed. It panics on another order (programmer misuse).
func Point(order int) twistededwards.PointAffine {
	q := OrderEight()
	switch order {
	case 1, 2, 4, 8:
	default:
		panic(fmt.Sprintf("torsion: no point of order %d", order))
	}
	for o := 8; o > order; o /= 2 {
		q.Double(&q)
	}
	return q
}

// Order returns the order of a point of the 8-torsion (1, 2, 4 or 8), or 0
// for a point outside it.
func Order(p twistededwards.PointAffine) int {
	for _, o := range []int{1, 2, 4, 8} {
		var q twistededwards.PointAffine
		q.ScalarMultiplication(&p, big.NewInt(int64(o)))
		if q.IsZero() {
			return o
		}
	}
	return 0
}
