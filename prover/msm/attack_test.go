package msm

// Adversarial review of the helper's encodings: aliases of canonical
// points, degenerate bases (repeated, opposite, infinity, outside G2) and
// sums at infinity.

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"
)

// plusP writes v+p big-endian into the 32 bytes of dst, the non-canonical
// alias of v, which keeps the flag bits clear when v is small.
func plusP(t *testing.T, dst []byte, v *fp.Element) {
	t.Helper()
	var b big.Int
	v.BigInt(&b)
	b.Add(&b, fp.Modulus())
	require.LessOrEqual(t, b.BitLen(), 254, "v+p must leave the flag bits clear")
	b.FillBytes(dst[:fp.Bytes])
}

// TestAttackNonCanonicalCoordinates: every coordinate of a point (x and y
// in G1, the four limbs in G2) written as its value plus p is refused, in
// bases and in sums, though the point it aliases is on the curve.
func TestAttackNonCanonicalCoordinates(t *testing.T) {
	_, _, g1, _ := bn254.Generators() // (1, 2)
	g1Raw := g1.RawBytes()
	// A point on the twist with small X (outside G2: bases are not
	// checked for the subgroup, so it is a valid base).
	q := outsideG2(t)
	qRaw := q.RawBytes()
	data, err := EncodeG2Bases([]bn254.G2Affine{q})
	require.NoError(t, err)
	_, err = ParseBases(data)
	require.NoError(t, err, "the canonical point is a valid base")

	for i, c := range []*fp.Element{&g1.X, &g1.Y} {
		raw := g1Raw
		plusP(t, raw[i*fp.Bytes:], c)
		_, err := ParseG1(raw[:])
		require.Error(t, err, "G1 coordinate %d plus p", i)
		bases := append(header(A, 1), raw[:]...)
		_, err = ParseBases(bases)
		require.Error(t, err, "G1 base, coordinate %d plus p", i)
	}
	// RawBytes of G2: X.A1, X.A0, Y.A1, Y.A0.
	for i, c := range []*fp.Element{&q.X.A1, &q.X.A0} {
		raw := qRaw
		plusP(t, raw[i*fp.Bytes:], c)
		bases := append(header(B2, 1), raw[:]...)
		_, err := ParseBases(bases)
		require.Error(t, err, "G2 base, limb %d plus p", i)
		_, err = ParseG2(raw[:])
		require.Error(t, err, "G2 sum, limb %d plus p", i)
	}
}

// TestAttackSumsAtInfinity: sums that are the point at infinity (no
// points, or all scalars zero) encode as zeros and read back in both
// groups: a legitimate helper's answer is never refused.
func TestAttackSumsAtInfinity(t *testing.T) {
	g1, g2 := points(5)
	for _, n := range []int{0, 5} {
		d1, err := EncodeG1Bases(K, g1[:n])
		require.NoError(t, err)
		d2, err := EncodeG2Bases(g2[:n])
		require.NoError(t, err)
		for _, d := range [][]byte{d1, d2} {
			b, err := ParseBases(d)
			require.NoError(t, err)
			out, err := b.Run(make([]byte, n*fr.Bytes), 1)
			require.NoError(t, err)
			require.Equal(t, make([]byte, len(out)), out)
			if b.Part().G2() {
				p, err := ParseG2(out)
				require.NoError(t, err)
				require.True(t, p.IsInfinity())
			} else {
				p, err := ParseG1(out)
				require.NoError(t, err)
				require.True(t, p.IsInfinity())
			}
		}
	}
}

// randomScalars returns n scalars drawn uniformly, so that every window
// of the MSM is used.
func randomScalars(t *testing.T, n int) []fr.Element {
	s := make([]fr.Element, n)
	for i := range s {
		_, err := s[i].SetRandom()
		require.NoError(t, err)
	}
	return s
}

// TestAttackDegenerateBases: bases that repeat one point, alternate it
// with its opposite, or hold the point at infinity (a proving key's K can)
// sum correctly at a size where the MSM takes its batch-affine paths, in
// G1 and G2; bases outside G2 sum without a panic, and their sum is
// refused unless it happens to be in the group.
func TestAttackDegenerateBases(t *testing.T) {
	_, _, g1, g2 := bn254.Generators()
	var ng1 bn254.G1Affine
	ng1.Neg(&g1)
	var ng2 bn254.G2Affine
	ng2.Neg(&g2)
	const n = 1 << 12
	patterns := []struct {
		name string
		c    func(i int) int // the base is c·P: 1, -1 or 0 (infinity)
		pair bool            // scalars equal in pairs (2i, 2i+1)
	}{
		{"same", func(int) int { return 1 }, false},
		{"opposite", func(i int) int { return 1 - 2*(i%2) }, false},
		{"infinity", func(i int) int { return (i % 3) % 2 }, false},
		{"mixed", func(i int) int { return []int{1, 1, -1, 0, -1}[i%5] }, false},
		{"cancelled", func(i int) int { return 1 - 2*(i%2) }, true},
		{"doubled", func(int) int { return 1 }, true},
	}
	for _, pt := range patterns {
		s := randomScalars(t, n)
		if pt.pair {
			for i := 1; i < n; i += 2 {
				s[i] = s[i-1]
			}
		}
		var sum fr.Element
		b1 := make([]bn254.G1Affine, n)
		b2 := make([]bn254.G2Affine, n)
		for i := range n {
			switch pt.c(i) {
			case 1:
				b1[i], b2[i] = g1, g2
				sum.Add(&sum, &s[i])
			case -1:
				b1[i], b2[i] = ng1, ng2
				sum.Sub(&sum, &s[i])
			}
		}
		var k big.Int
		sum.BigInt(&k)
		var w1 bn254.G1Affine
		w1.ScalarMultiplication(&g1, &k)
		var w2 bn254.G2Affine
		w2.ScalarMultiplication(&g2, &k)

		enc := EncodeScalars(s)
		d1, err := EncodeG1Bases(K, b1)
		require.NoError(t, err)
		d2, err := EncodeG2Bases(b2)
		require.NoError(t, err)
		bb1, err := ParseBases(d1)
		require.NoError(t, err)
		bb2, err := ParseBases(d2)
		require.NoError(t, err)
		out1, err := bb1.Run(enc, 1)
		require.NoError(t, err, pt.name)
		out2, err := bb2.Run(enc, 1)
		require.NoError(t, err, pt.name)
		got1, err := ParseG1(out1)
		require.NoError(t, err, pt.name)
		got2, err := ParseG2(out2)
		require.NoError(t, err, pt.name)
		require.True(t, got1.Equal(&w1), "G1 %s", pt.name)
		require.True(t, got2.Equal(&w2), "G2 %s", pt.name)
		if pt.name == "cancelled" {
			require.True(t, got1.IsInfinity() && got2.IsInfinity(), pt.name)
		}
	}

	// Outside G2, repeated: no panic; the sum is refused or in the group.
	q := outsideG2(t)
	qs := make([]bn254.G2Affine, n)
	for i := range qs {
		qs[i] = q
	}
	dq, err := EncodeG2Bases(qs)
	require.NoError(t, err)
	bq, err := ParseBases(dq)
	require.NoError(t, err)
	var out []byte
	require.NotPanics(t, func() { out, err = bq.Run(EncodeScalars(randomScalars(t, n)), 1) })
	require.NoError(t, err)
	if p, err := ParseG2(out); err == nil {
		require.True(t, p.IsInSubGroup())
	}
}
