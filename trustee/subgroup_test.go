package trustee

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/stretchr/testify/require"
)

// TestPow: the sliding-window exponentiation of inSubgroup agrees with
// fr.Element.Exp.
func TestPow(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	exps := []*big.Int{big.NewInt(1), big.NewInt(2), big.NewInt(31), big.NewInt(32), big.NewInt(33), big.NewInt(1 << 40), new(big.Int).Sub(fr.Modulus(), big.NewInt(1))}
	e := new(big.Int).Sub(fr.Modulus(), big.NewInt(1))
	exps = append(exps, e.Rsh(e, 3))
	for range 5 {
		var r fr.Element
		r.SetUint64(rng.Uint64())
		r.Square(&r).Square(&r) // a ~254-bit exponent
		exps = append(exps, r.BigInt(new(big.Int)))
	}
	for _, e := range exps {
		if e.Sign() == 0 {
			continue
		}
		chain := powChain(e)
		for range 4 {
			var x fr.Element
			x.SetUint64(rng.Uint64())
			x.Square(&x).Add(&x, &x)
			var want fr.Element
			want.Exp(x, e)
			got := pow(&x, chain)
			require.True(t, got.Equal(&want), "x^%s", e)
		}
	}
}

// TestSubgroupConstants: the order-8 point and the Weierstrass model
// inSubgroup is built on.
func TestSubgroupConstants(t *testing.T) {
	t8 := orderEight()
	var q twistededwards.PointAffine
	q.ScalarMultiplication(&t8, big.NewInt(4))
	require.False(t, q.IsZero(), "order 8")
	q.Double(&q)
	require.True(t, q.IsZero(), "order 8")
	k := subgroup()
	// T2 = (0, −1) maps to U = 0, X = shift.
	require.True(t, k.x2.Equal(&k.shift))
	// T8, T4 lie on one short Weierstrass curve y² = x³ + w·x + b.
	c := curve()
	var amd, apd, three, w fr.Element
	amd.Sub(&c.A, &c.D)
	apd.Add(&c.A, &c.D)
	apd.Double(&apd)
	three.SetUint64(3)
	w.Square(&apd).Div(&w, &three)
	w.Sub(new(fr.Element).Square(&amd), &w)
	b := func(x, y *fr.Element) fr.Element {
		var r, s fr.Element
		r.Square(y)
		s.Square(x).Mul(&s, x)
		r.Sub(&r, &s)
		s.Mul(&w, x)
		return *r.Sub(&r, &s)
	}
	b8, b4 := b(&k.x8, &k.y8), b(&k.x4, &k.y4)
	var zero fr.Element
	b2 := b(&k.x2, &zero)
	require.True(t, b8.Equal(&b4))
	require.True(t, b8.Equal(&b2))
}
