package msm

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"
)

// points returns n multiples of the generators, every third one the point
// at infinity.
func points(n int) ([]bn254.G1Affine, []bn254.G2Affine) {
	_, _, g1, g2 := bn254.Generators()
	a := make([]bn254.G1Affine, n)
	b := make([]bn254.G2Affine, n)
	for i := range n {
		if i%3 == 2 {
			continue // zero value: infinity
		}
		k := big.NewInt(int64(7*i + 1))
		a[i].ScalarMultiplication(&g1, k)
		b[i].ScalarMultiplication(&g2, k)
	}
	return a, b
}

func scalars(n int) []fr.Element {
	s := make([]fr.Element, n)
	for i := range s {
		s[i].SetUint64(uint64(i*i + 3))
		if i == 1 {
			s[i].SetZero()
		}
		if i == 4 {
			s[i].SetOne().Neg(&s[i]) // r − 1, the largest scalar
		}
	}
	return s
}

// TestRunMatchesSum: bases sent as bytes and summed on the helper give the
// point a naive sum gives, in G1 and G2, for sizes from empty up.
func TestRunMatchesSum(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 40} {
		g1, g2 := points(n)
		s := scalars(n)
		var want1 bn254.G1Jac
		var want2 bn254.G2Jac
		for i := range n {
			var k big.Int
			s[i].BigInt(&k)
			var p1 bn254.G1Jac
			p1.FromAffine(&g1[i])
			p1.ScalarMultiplication(&p1, &k)
			want1.AddAssign(&p1)
			var p2 bn254.G2Jac
			p2.FromAffine(&g2[i])
			p2.ScalarMultiplication(&p2, &k)
			want2.AddAssign(&p2)
		}
		for _, part := range []Part{A, B1, K} {
			data, err := EncodeG1Bases(part, g1)
			require.NoError(t, err)
			b, err := ParseBases(data)
			require.NoError(t, err)
			require.Equal(t, part, b.Part())
			require.Equal(t, n, b.Len())
			out, err := b.Run(EncodeScalars(s), 1)
			require.NoError(t, err)
			got, err := ParseG1(out)
			require.NoError(t, err)
			var w bn254.G1Affine
			w.FromJacobian(&want1)
			require.True(t, got.Equal(&w), "G1 part %v, %d points", part, n)
		}
		data, err := EncodeG2Bases(g2)
		require.NoError(t, err)
		b, err := ParseBases(data)
		require.NoError(t, err)
		require.Equal(t, B2, b.Part())
		out, err := b.Run(EncodeScalars(s), 3)
		require.NoError(t, err)
		got, err := ParseG2(out)
		require.NoError(t, err)
		var w bn254.G2Affine
		w.FromJacobian(&want2)
		require.True(t, got.Equal(&w), "G2, %d points", n)
	}
}

// TestParseBasesRejects: every malformed encoding is an error.
func TestParseBasesRejects(t *testing.T) {
	g1, g2 := points(4)
	good1, err := EncodeG1Bases(A, g1)
	require.NoError(t, err)
	good2, err := EncodeG2Bases(g2)
	require.NoError(t, err)
	with := func(data []byte, f func(b []byte)) []byte {
		b := bytes.Clone(data)
		f(b)
		return b
	}
	first := headerSize // the first point's first byte
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":            {nil, "not an encoding"},
		"magic":            {with(good1, func(b []byte) { b[0] = 'Z' }), "not an encoding"},
		"part 0":           {with(good1, func(b []byte) { b[4] = 0 }), "unknown part"},
		"part 5":           {with(good1, func(b []byte) { b[4] = 5 }), "unknown part"},
		"G1 bases as G2":   {with(good1, func(b []byte) { b[4] = byte(B2) }), "need"},
		"G2 bases as G1":   {with(good2, func(b []byte) { b[4] = byte(K) }), "need"},
		"count too big":    {with(good1, func(b []byte) { binary.BigEndian.PutUint32(b[5:], MaxPoints+1) }), "at most"},
		"count one more":   {with(good1, func(b []byte) { binary.BigEndian.PutUint32(b[5:], 5) }), "need"},
		"truncated":        {good1[:len(good1)-1], "need"},
		"trailing":         {append(bytes.Clone(good1), 0), "need"},
		"off the curve G1": {with(good1, func(b []byte) { b[first+63] ^= 1 }), "not on the curve"},
		"off the curve G2": {with(good2, func(b []byte) { b[first+127] ^= 1 }), "not on the curve"},
		"x ≥ p":            {with(good1, func(b []byte) { copy(b[first:], bytes.Repeat([]byte{0x3f}, 32)) }), "point 0"},
		"compressed flag":  {with(good1, func(b []byte) { b[first] |= 0b10 << 6 }), "not an uncompressed point"},
		"dirty infinity":   {with(good1, func(b []byte) { b[first+2*64+5] = 1 }), "point 2 of part A: not on the curve"},
		"infinity flag":    {with(good1, func(b []byte) { b[first+2*64] = 0b01 << 6 }), "point 2 of part A: not an uncompressed point"},
	}
	for name, tc := range cases {
		_, err := ParseBases(tc.data)
		require.ErrorContains(t, err, tc.want, name)
	}
}

// TestRunRejects: scalars of the wrong count or not below the group's
// order are errors.
func TestRunRejects(t *testing.T) {
	g1, g2 := points(3)
	d1, err := EncodeG1Bases(K, g1)
	require.NoError(t, err)
	d2, err := EncodeG2Bases(g2)
	require.NoError(t, err)
	for _, data := range [][]byte{d1, d2} {
		b, err := ParseBases(data)
		require.NoError(t, err)
		s := EncodeScalars(scalars(3))
		_, err = b.Run(s[:len(s)-1], 1)
		require.ErrorContains(t, err, "takes 3 scalars")
		_, err = b.Run(append(s, make([]byte, 32)...), 1)
		require.ErrorContains(t, err, "takes 3 scalars")
		order := fr.Modulus().FillBytes(make([]byte, 32))
		copy(s[32:], order)
		_, err = b.Run(s, 1)
		require.ErrorContains(t, err, "scalar 1")
	}
}

func TestEncodeRejects(t *testing.T) {
	_, err := EncodeG1Bases(B2, nil)
	require.ErrorContains(t, err, "not a G1 part")
	_, err = EncodeG1Bases(Part(0), nil)
	require.ErrorContains(t, err, "not a G1 part")
	_, err = ParseG1(make([]byte, 63))
	require.ErrorContains(t, err, "63 bytes")
	_, err = ParseG2(make([]byte, 64))
	require.ErrorContains(t, err, "64 bytes")
	require.Equal(t, "Part(9)", Part(9).String())
	require.False(t, Part(0).Valid())
}

// TestParseG2Subgroup: a sum on the twist but outside G2 is refused, where
// bases are not checked for it.
func TestParseG2Subgroup(t *testing.T) {
	p := outsideG2(t)
	raw := p.RawBytes()
	_, err := ParseG2(raw[:])
	require.ErrorContains(t, err, "subgroup")
	data, err := EncodeG2Bases([]bn254.G2Affine{p})
	require.NoError(t, err)
	_, err = ParseBases(data)
	require.NoError(t, err)
}

// outsideG2 returns a point on BN254's twist outside G2.
func outsideG2(t testing.TB) bn254.G2Affine {
	_, _, _, g2 := bn254.Generators()
	var b, x3 = g2.Y, g2.X
	b.Square(&b)
	x3.Square(&x3).Mul(&x3, &g2.X)
	b.Sub(&b, &x3)
	var p bn254.G2Affine
	for i := uint64(1); ; i++ {
		p.X.A0.SetUint64(i)
		p.X.A1.SetUint64(1)
		y2 := p.X
		y2.Square(&y2).Mul(&y2, &p.X).Add(&y2, &b)
		if y2.Legendre() != 1 {
			continue
		}
		p.Y.Sqrt(&y2)
		require.True(t, p.IsOnCurve())
		if !p.IsInSubGroup() {
			return p
		}
	}
}

// BenchmarkRun measures a helper's sums at the sizes of a depth-20 open
// ballot's parts (one thread, as in a browser worker).
func BenchmarkRun(b *testing.B) {
	for _, c := range []struct {
		part Part
		n    int
	}{{A, 4398}, {B2, 6125}} {
		b.Run("part="+c.part.String()+"/points="+itoa(c.n), func(b *testing.B) {
			g1, g2 := points(c.n)
			var data []byte
			var err error
			if c.part.G2() {
				data, err = EncodeG2Bases(g2)
			} else {
				data, err = EncodeG1Bases(c.part, g1)
			}
			require.NoError(b, err)
			bases, err := ParseBases(data)
			require.NoError(b, err)
			s := make([]fr.Element, c.n)
			for i := range s {
				s[i].MustSetRandom()
			}
			enc := EncodeScalars(s)
			b.ReportMetric(float64(len(data)), "bases-bytes")
			b.ResetTimer()
			for range b.N {
				if _, err := bases.Run(enc, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }
