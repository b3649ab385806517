package trustee

import (
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"
)

// TestCurveShape: the facts edwards.go's completeness claim rests on.
func TestCurveShape(t *testing.T) {
	c := curve()
	var minusOne fr.Element
	minusOne.SetOne()
	minusOne.Neg(&minusOne)
	require.True(t, c.A.Equal(&minusOne), "a = −1")
	require.Equal(t, 1, c.A.Legendre(), "a is a square")
	require.Equal(t, -1, c.D.Legendre(), "d is not a square")
}

// TestAddCached: the extended-coordinate additions (addCached, addAffine)
// agree with the affine one on subgroup points, the identity and the zero
// Point, small-order points and points with a small-order component (the
// formulas are complete on the whole curve), and subtraction is addition
// of the negation.
func TestAddCached(t *testing.T) {
	t8 := eightTorsion(t)
	var pts []Point
	pts = append(pts, Point{}, Identity(), Generator(), Point{t8})
	for range 6 {
		pts = append(pts, randomPoint(t))
	}
	for y := uint64(2); len(pts) < 20; y++ {
		if p, ok := curvePointFromY(y, y%2 == 0); ok {
			pts = append(pts, Point{p})
		}
	}
	for _, p := range pts[:len(pts):len(pts)] {
		var q Point
		q.p.Add(&p.p, &t8)
		pts = append(pts, q)
	}
	for i, a := range pts {
		for j, b := range pts {
			e := a.ext()
			c := b.cached()
			e.addCached(&c)
			require.True(t, affine(&e)[0].Equal(a.Add(b)), "%d + %d", i, j)
			e = a.ext()
			n := c.neg()
			e.addCached(&n)
			require.True(t, affine(&e)[0].Equal(a.Sub(b)), "%d − %d", i, j)
			d2 := doubleD()
			for _, sub := range []bool{false, true} {
				e = a.ext()
				e.addAffine(&b, sub, &d2)
				want := a.Add(b)
				if sub {
					want = a.Sub(b)
				}
				require.True(t, affine(&e)[0].Equal(want), "%d ± %d", i, j)
			}
		}
	}
}

func randomCiphertext(t testing.TB, pk Point, rng *rand.Rand) Ciphertext {
	k, err := RandomScalar(nil)
	require.NoError(t, err)
	return EncryptWith(pk, rng.Uint64N(1<<40), k)
}

// TestSum: a Sum equals the affine fold of Ciphertext.Add and
// Ciphertext.Sub over the same random ciphertexts, replacement (subtract
// the old, add the new) included; the zero Sum is Zero().
func TestSum(t *testing.T) {
	var zero Sum
	require.Equal(t, Zero().Bytes(), zero.Ciphertext().Bytes())
	rng := rand.New(rand.NewPCG(5, 6))
	pk := randomPoint(t)
	var cts []Ciphertext
	for range 24 {
		cts = append(cts, randomCiphertext(t, pk, rng))
	}
	cts = append(cts, Ciphertext{}, Zero(), Ciphertext{C1: Generator()})
	for round := range 6 {
		var s Sum
		want := Zero()
		for range 100 {
			c := cts[rng.IntN(len(cts))]
			if rng.IntN(3) == 0 {
				s.Sub(c)
				want = want.Sub(c)
			} else {
				s.Add(c)
				want = want.Add(c)
			}
			if rng.IntN(20) == 0 {
				require.Equal(t, want.Bytes(), s.Ciphertext().Bytes(), "round %d", round)
			}
		}
		require.Equal(t, want.Bytes(), s.Ciphertext().Bytes(), "round %d", round)
		snap := s
		for _, c := range cts {
			s.Add(c)
		}
		for _, c := range cts {
			s.Sub(c)
		}
		require.Equal(t, want.Bytes(), s.Ciphertext().Bytes(), "adding and removing every ciphertext")
		require.Equal(t, want.Bytes(), snap.Ciphertext().Bytes(), "a copy is a snapshot")
	}
	var s Sum
	s.Sub(cts[0])
	s.Add(cts[0])
	require.Equal(t, Zero().Bytes(), s.Ciphertext().Bytes())
}

// TestSumDecrypts: a sum of encrypted ballots with a replaced one
// decrypts to the total of the ballots that count.
func TestSumDecrypts(t *testing.T) {
	sk, err := RandomScalar(nil)
	require.NoError(t, err)
	pk := BaseMul(sk)
	var s Sum
	var total uint64
	var old Ciphertext
	for i := range 50 {
		v := uint64(i * 3)
		c, _, err := Encrypt(pk, v, nil)
		require.NoError(t, err)
		s.Add(c)
		total += v
		if i == 10 {
			old = c
		}
	}
	s.Sub(old)
	c, _, err := Encrypt(pk, 1000, nil)
	require.NoError(t, err)
	s.Add(c)
	total += 1000 - 30
	sum := s.Ciphertext()
	got, err := Solve(sum.C2.Sub(sum.C1.Mul(sk)), 1<<20)
	require.NoError(t, err)
	require.Equal(t, total, got)
}
