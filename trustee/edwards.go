package trustee

import (
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Inversion-free arithmetic for long runs of additions ([Sum], [Solver]).
//
// BabyJubjub here is −x² + y² = 1 + d·x²·y² (a = −1). A point in extended
// coordinates (Hisil, Wong, Carter and Dawson, "Twisted Edwards Curves
// Revisited", Asiacrypt 2008) is (X:Y:Z:T) with x = X/Z, y = Y/Z and
// x·y = T/Z. Adding an affine point given as (y+x, y−x, 2d·x·y) costs 7
// multiplications and no inversion ("madd-2008-hwcd-3"), where an affine
// [Point.Add] pays an inversion worth dozens of multiplications. The
// formulas are complete because a = −1 is a square and d is not
// (TestCurveShape checks both), so they need no special case for the
// identity, doubling or inverses.

// extPoint is a point in extended coordinates.
type extPoint struct{ X, Y, Z, T fr.Element }

// cachedPoint is an affine point (x, y) prepared for addition:
// y+x, y−x and 2d·x·y.
type cachedPoint struct{ ypx, ymx, t2d fr.Element }

// doubleD returns 2d.
var doubleD = sync.OnceValue(func() fr.Element {
	c := curve()
	var d2 fr.Element
	d2.Double(&c.D)
	return d2
})

// extIdentity returns the identity (0:1:1:0).
func extIdentity() extPoint {
	var p extPoint
	p.Y.SetOne()
	p.Z.SetOne()
	return p
}

// ext returns p in extended coordinates.
func (p Point) ext() extPoint {
	a := p.norm()
	e := extPoint{X: a.X, Y: a.Y}
	e.Z.SetOne()
	e.T.Mul(&a.X, &a.Y)
	return e
}

// cached returns p prepared for [extPoint.addCached].
func (p Point) cached() cachedPoint {
	a := p.norm()
	var c cachedPoint
	c.ypx.Add(&a.Y, &a.X)
	c.ymx.Sub(&a.Y, &a.X)
	d2 := doubleD()
	c.t2d.Mul(&a.X, &a.Y).Mul(&c.t2d, &d2)
	return c
}

// neg returns the cached form of −p: (−x, y).
func (c *cachedPoint) neg() cachedPoint {
	n := cachedPoint{ypx: c.ymx, ymx: c.ypx}
	n.t2d.Neg(&c.t2d)
	return n
}

// addCached sets p to p + q.
func (p *extPoint) addCached(q *cachedPoint) {
	var c fr.Element
	c.Mul(&p.T, &q.t2d)
	p.add(&q.ypx, &q.ymx, &c)
}

// addAffine sets p to p ± q for an affine q, given 2d: addCached without
// building a cachedPoint (the hot loop of [Sum]).
func (p *extPoint) addAffine(q *Point, sub bool, d2 *fr.Element) {
	x, y := &q.p.X, &q.p.Y
	if x.IsZero() && y.IsZero() { // the zero Point: the identity
		return
	}
	var ypx, ymx, c fr.Element
	ypx.Add(y, x)
	ymx.Sub(y, x)
	c.Mul(x, y).Mul(&c, d2).Mul(&c, &p.T)
	if sub { // −q = (−x, y)
		c.Neg(&c)
		ypx, ymx = ymx, ypx
	}
	p.add(&ypx, &ymx, &c)
}

// add finishes an addition of (x, y) given y+x, y−x and
// c = 2d·T·x·y, p's T times the other point's.
func (p *extPoint) add(ypx, ymx, c *fr.Element) {
	var a, b, d, e, f, g, h fr.Element
	a.Sub(&p.Y, &p.X).Mul(&a, ymx)
	b.Add(&p.Y, &p.X).Mul(&b, ypx)
	d.Double(&p.Z)
	e.Sub(&b, &a)
	f.Sub(&d, c)
	g.Add(&d, c)
	h.Add(&b, &a)
	p.X.Mul(&e, &f)
	p.Y.Mul(&g, &h)
	p.T.Mul(&e, &h)
	p.Z.Mul(&f, &g)
}

// batchY sets ys[i] to the affine y of ps[i], with one inversion for all
// (Montgomery's trick); scratch holds len(ps) elements. Z is never zero
// on the curve (the formulas are complete); were it zero, every y of the
// batch would come out as 0, which matches nothing a caller looks for.
func batchY(ps []extPoint, ys, scratch []fr.Element) {
	if len(ps) == 0 {
		return
	}
	acc := fr.One()
	for i := range ps {
		scratch[i] = acc
		acc.Mul(&acc, &ps[i].Z)
	}
	acc.Inverse(&acc)
	for i := len(ps) - 1; i >= 0; i-- {
		var zinv fr.Element
		zinv.Mul(&acc, &scratch[i]) // 1/Z_i
		acc.Mul(&acc, &ps[i].Z)
		ys[i].Mul(&ps[i].Y, &zinv)
	}
}

// affine returns the affine points of ps, with one inversion for all.
func affine(ps ...*extPoint) []Point {
	zs := make([]fr.Element, len(ps))
	for i, p := range ps {
		zs[i] = p.Z
	}
	zs = fr.BatchInvert(zs)
	out := make([]Point, len(ps))
	for i, p := range ps {
		out[i].p.X.Mul(&p.X, &zs[i])
		out[i].p.Y.Mul(&p.Y, &zs[i])
	}
	return out
}
