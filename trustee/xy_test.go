package trustee

import (
	"bytes"
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/stretchr/testify/require"
)

// orderTwo returns (0, −1), the point of order 2.
func orderTwo() twistededwards.PointAffine {
	var t twistededwards.PointAffine
	t.Y.SetOne()
	t.Y.Neg(&t.Y)
	return t
}

// withTorsion returns c with t added to C1 (which = 0) or C2 (which = 1).
func withTorsion(c Ciphertext, which int, t twistededwards.PointAffine) Ciphertext {
	p := []*Point{&c.C1, &c.C2}[which]
	a := p.norm()
	p.p.Add(&a, &t)
	return c
}

// xyWith returns the encoding b with 32-byte coordinate i (0 to 3: C1.x,
// C1.y, C2.x, C2.y) replaced by the big-endian v (which must fit).
func xyWith(b [CiphertextXYSize]byte, i int, v *big.Int) []byte {
	out := bytes.Clone(b[:])
	v.FillBytes(out[i*fr.Bytes : (i+1)*fr.Bytes])
	return out
}

// TestCiphertextXY: the uncompressed encoding is the four coordinates in
// order, round-trips exactly through both decoders, and agrees with the
// compressed one.
func TestCiphertextXY(t *testing.T) {
	pk := randomPoint(t)
	cs := []Ciphertext{Zero(), {}, EncryptWith(pk, 0, NewScalar(1)), {C1: Generator(), C2: Identity()}}
	for range 20 {
		c, _, err := Encrypt(pk, 7, nil)
		require.NoError(t, err)
		cs = append(cs, c)
	}
	for i, c := range cs {
		b := c.XY()
		for k, p := range []Point{c.C1, c.C2} {
			x, y := p.Coordinates()
			xb, yb := x.Bytes(), y.Bytes()
			require.Equal(t, xb[:], b[2*k*fr.Bytes:(2*k+1)*fr.Bytes], "ciphertext %d", i)
			require.Equal(t, yb[:], b[(2*k+1)*fr.Bytes:(2*k+2)*fr.Bytes], "ciphertext %d", i)
		}
		for name, parse := range map[string]func([]byte) (Ciphertext, error){"strict": ParseCiphertextXY, "on curve": ParseCiphertextXYOnCurve} {
			back, err := parse(b[:])
			require.NoError(t, err, "%s: ciphertext %d", name, i)
			require.True(t, back.C1.Equal(c.C1) && back.C2.Equal(c.C2), "%s: ciphertext %d", name, i)
			require.Equal(t, b, back.XY(), "%s: ciphertext %d", name, i)
			require.Equal(t, c.Bytes(), back.Bytes(), "%s: ciphertext %d", name, i)
			h, hb := HashCiphertexts(pk, []Ciphertext{c}), HashCiphertexts(pk, []Ciphertext{back})
			require.True(t, h.Equal(&hb), "%s: ciphertext %d", name, i)
		}
	}
}

// inGroup reports whether both points of c are in the prime-order
// subgroup by its definition, l·P = O.
func inGroup(c Ciphertext) bool {
	a, b := lMul(c.C1.p), lMul(c.C2.p)
	return a.IsZero() && b.IsZero()
}

// TestCiphertextXYTorsion: a point with a small-order component (plus a
// point of order 2, 4 or 8), or of small order itself, in either half of
// a ciphertext is refused by ParseCiphertextXY and accepted, with exactly
// its coordinates, by ParseCiphertextXYOnCurve.
func TestCiphertextXYTorsion(t *testing.T) {
	t8 := orderEight()
	var t4 twistededwards.PointAffine
	t4.Double(&t8)
	torsion := map[string]twistededwards.PointAffine{"order 2": orderTwo(), "order 4": t4, "order 8": t8}
	c, _, err := Encrypt(randomPoint(t), 3, nil)
	require.NoError(t, err)
	for name, tp := range torsion {
		small := Ciphertext{C1: Point{tp}, C2: c.C2}
		for which := range 2 {
			for _, bad := range []Ciphertext{withTorsion(c, which, tp), small} {
				for _, p := range []Point{bad.C1, bad.C2} {
					require.True(t, p.p.IsOnCurve(), name)
				}
				require.False(t, inGroup(bad), name)
				b := bad.XY()
				_, err := ParseCiphertextXY(b[:])
				require.ErrorIs(t, err, ErrMalformed, name)
				require.ErrorContains(t, err, "outside the prime-order subgroup", name)
				got, err := ParseCiphertextXYOnCurve(b[:])
				require.NoError(t, err, name)
				require.Equal(t, b, got.XY(), name)
				require.True(t, got.C1.p.Equal(&bad.C1.p) && got.C2.p.Equal(&bad.C2.p), name)
			}
		}
	}
	// C2 named in the error when C1 is fine.
	b := withTorsion(c, 1, t8).XY()
	_, err = ParseCiphertextXY(b[:])
	require.ErrorContains(t, err, "C2 outside")
}

// TestCiphertextXYMalformed: off-curve points, coordinates at or above
// the field modulus (a canonical value plus r, and r itself, which would
// be 0) and wrong lengths are refused by both decoders, with the
// coordinate or point named.
func TestCiphertextXYMalformed(t *testing.T) {
	c, _, err := Encrypt(randomPoint(t), 3, nil)
	require.NoError(t, err)
	good := c.XY()
	zero := Zero().XY() // x = 0 in both points: x + r = r
	r := fr.Modulus()
	coord := func(b [CiphertextXYSize]byte, i int) *big.Int {
		return new(big.Int).SetBytes(b[i*fr.Bytes : (i+1)*fr.Bytes])
	}
	names := []string{"C1: x", "C1: y", "C2: x", "C2: y"}
	type bad struct {
		b    []byte
		want string
	}
	cases := map[string]bad{}
	for i, n := range names {
		cases[n+" + r"] = bad{xyWith(good, i, new(big.Int).Add(coord(good, i), r)), n + " not below the field modulus"}
		cases[n+" + r (identity)"] = bad{xyWith(zero, i, new(big.Int).Add(coord(zero, i), r)), n + " not below the field modulus"}
		cases[n+" = r"] = bad{xyWith(good, i, r), n + " not below the field modulus"}
		cases[n+" all ones"] = bad{xyWith(good, i, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))), n + " not below the field modulus"}
		cases[n+" + 1"] = bad{xyWith(good, i, new(big.Int).Add(coord(good, i), big.NewInt(1))), names[i][:2] + " not on the curve"}
	}
	cases["zeros"] = bad{make([]byte, CiphertextXYSize), "C1 not on the curve"}
	for _, n := range []int{0, 1, CiphertextSize, CiphertextXYSize - 1, CiphertextXYSize + 1} {
		b := bytes.Clone(good[:])
		if n > len(b) {
			b = append(b, 0)
		}
		cases[fmt.Sprintf("length %d", n)] = bad{b[:n], "uncompressed ciphertext of"}
	}
	for name, tc := range cases {
		for pname, parse := range map[string]func([]byte) (Ciphertext, error){"strict": ParseCiphertextXY, "on curve": ParseCiphertextXYOnCurve} {
			_, err := parse(tc.b)
			require.ErrorIs(t, err, ErrMalformed, "%s: %s", pname, name)
			require.ErrorContains(t, err, tc.want, "%s: %s", pname, name)
		}
	}
}

// FuzzParseCiphertextXY: neither decoder panics; whatever the strict one
// accepts the lax one accepts with the same value; the lax one accepts a
// point outside the subgroup only, which the strict one refuses (checked
// against l·P = O); anything accepted re-encodes to the input.
func FuzzParseCiphertextXY(f *testing.F) {
	c := EncryptWith(Generator(), 3, NewScalar(5))
	for _, s := range []Ciphertext{c, Zero(), withTorsion(c, 0, orderTwo()), withTorsion(c, 1, orderEight())} {
		b := s.XY()
		f.Add(b[:])
	}
	f.Add(make([]byte, CiphertextXYSize))
	f.Add(bytes.Repeat([]byte{0xff}, CiphertextXYSize))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		strict, serr := ParseCiphertextXY(b)
		lax, lerr := ParseCiphertextXYOnCurve(b)
		if serr != nil {
			require.ErrorIs(t, serr, ErrMalformed)
		}
		if lerr != nil {
			require.ErrorIs(t, lerr, ErrMalformed)
			require.Error(t, serr, "the strict decoder accepts what the lax one refuses")
			return
		}
		enc := lax.XY()
		require.Equal(t, b, enc[:])
		in := inGroup(lax)
		require.Equal(t, in, serr == nil, "the strict decoder disagrees with l·P = O")
		if serr == nil {
			require.True(t, strict.C1.Equal(lax.C1) && strict.C2.Equal(lax.C2))
			enc := strict.XY()
			require.Equal(t, b, enc[:])
		}
	})
}
