package membership

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/statement"
)

// randomTreeProofs builds a tree of random size with random removals and
// returns the proofs of its live leaves.
func randomTreeProofs(t testing.TB, rng *rand.Rand) []*Proof {
	n := 1 + rng.IntN(70)
	if rng.IntN(4) == 0 {
		n = 1 << rng.IntN(7) // powers of two and their neighbours are the edge cases
		n += rng.IntN(3) - 1
		n = max(n, 1)
	}
	tr := NewTree(nil)
	_, err := tr.InsertMany(t.Context(), testLeaves(rng.IntN(1000), n))
	require.NoError(t, err)
	for range rng.IntN(3) {
		if i := rng.Uint64N(uint64(n)); n > 1 {
			_ = tr.Remove(i) // removing twice fails harmlessly
		}
	}
	var out []*Proof
	for i := range uint64(n) {
		p, err := tr.Proof(i)
		if errors.Is(err, ErrRemoved) {
			continue
		}
		require.NoError(t, err)
		out = append(out, p)
	}
	return out
}

// TestProofRoundTrip: every live leaf's proof of random trees (sizes 1 to
// 70, powers of two and their neighbours, with removals) encodes, parses to
// the same proof, re-encodes to the same bytes, and still verifies.
func TestProofRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		for _, p := range randomTreeProofs(t, rng) {
			b := p.Bytes()
			q, err := ParseProof(b)
			require.NoError(t, err, "index %d, length %d", p.Index, len(p.Siblings))
			require.Equal(t, p.Root, q.Root)
			require.Equal(t, p.Leaf, q.Leaf)
			require.Equal(t, p.Index, q.Index)
			require.Equal(t, len(p.Siblings), len(q.Siblings))
			for j := range p.Siblings {
				require.Equal(t, p.Siblings[j], q.Siblings[j])
				require.Equal(t, p.PathBits[j], q.PathBits[j])
			}
			require.Equal(t, b, q.Bytes())
			require.NoError(t, q.Verify(p.Root))
		}
	}
}

// TestProofEveryCutAndFlip: every truncation of a proof file is refused;
// every single-bit flip is refused or parses to a proof that no longer
// leads to its own root, and one that parses re-encodes to the flipped
// bytes.
func TestProofEveryCutAndFlip(t *testing.T) {
	tr := NewTree(nil)
	_, err := tr.InsertMany(t.Context(), testLeaves(0, 11))
	require.NoError(t, err)
	for _, i := range []uint64{0, 5, 10} { // 10 is promoted at some levels
		p, err := tr.Proof(i)
		require.NoError(t, err)
		b := p.Bytes()
		for cut := range len(b) {
			_, err := ParseProof(b[:cut])
			require.ErrorIs(t, err, ErrMalformedProof, "cut at %d", cut)
		}
		accepted := 0
		for bit := range 8 * len(b) {
			c := bytes.Clone(b)
			c[bit/8] ^= 1 << (bit % 8)
			q, err := ParseProof(c)
			if err != nil {
				require.ErrorIs(t, err, ErrMalformedProof)
				continue
			}
			accepted++
			require.Equal(t, c, q.Bytes(), "bit %d", bit)
			require.Error(t, q.Verify(q.Root), "bit %d: a flipped proof still leads to its root", bit)
		}
		require.NotZero(t, accepted) // flips in root, leaf and siblings parse
	}
}

// TestParseProofRejects: each malformed field alone.
func TestParseProofRejects(t *testing.T) {
	tr := NewTree(nil)
	_, err := tr.InsertMany(t.Context(), testLeaves(0, 6))
	require.NoError(t, err)
	p, err := tr.Proof(5) // index 0b101: two hashed levels, both right turns (level 1 is promoted)
	require.NoError(t, err)
	good := p.Bytes()
	_, err = ParseProof(good)
	require.NoError(t, err)

	const (
		rootAt  = 9
		leafAt  = rootAt + 32
		indexAt = leafAt + 32
		lenAt   = indexAt + 8
		bitsAt  = lenAt + 1
		sibsAt  = bitsAt + 4
	)
	r := fr.Modulus().FillBytes(make([]byte, 32))
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := map[string][]byte{
		"empty":          {},
		"magic":          edit(func(b []byte) []byte { b[0] = 'X'; return b }),
		"version 0":      edit(func(b []byte) []byte { b[8] = 0; return b }),
		"version 2":      edit(func(b []byte) []byte { b[8] = 2; return b }),
		"trailing byte":  append(bytes.Clone(good), 0),
		"trailing field": append(bytes.Clone(good), make([]byte, 32)...),
		"root = r":       edit(func(b []byte) []byte { copy(b[rootAt:], r); return b }),
		"root zero":      edit(func(b []byte) []byte { clear(b[rootAt : rootAt+32]); return b }),
		"root all ones":  edit(func(b []byte) []byte { copy(b[rootAt:], bytes.Repeat([]byte{0xff}, 32)); return b }),
		"leaf = r":       edit(func(b []byte) []byte { copy(b[leafAt:], r); return b }),
		"leaf zero":      edit(func(b []byte) []byte { clear(b[leafAt : leafAt+32]); return b }),
		"sibling = r":    edit(func(b []byte) []byte { copy(b[sibsAt+32:], r); return b }),
		"sibling r+1": edit(func(b []byte) []byte {
			copy(b[sibsAt:], new(big.Int).Add(fr.Modulus(), big.NewInt(1)).FillBytes(make([]byte, 32)))
			return b
		}),
		"index 2^32":           edit(func(b []byte) []byte { binary.BigEndian.PutUint64(b[indexAt:], 1<<32|5); return b }),
		"index max":            edit(func(b []byte) []byte { binary.BigEndian.PutUint64(b[indexAt:], ^uint64(0)); return b }),
		"index off the path":   edit(func(b []byte) []byte { binary.BigEndian.PutUint64(b[indexAt:], 4); return b }),
		"index extra one":      edit(func(b []byte) []byte { binary.BigEndian.PutUint64(b[indexAt:], 13); return b }),
		"path bit flipped":     edit(func(b []byte) []byte { b[bitsAt+3] ^= 2; return b }),
		"path bit beyond":      edit(func(b []byte) []byte { b[bitsAt+3] |= 8; return b }),
		"path bit 31":          edit(func(b []byte) []byte { b[bitsAt] |= 0x80; return b }),
		"length short":         edit(func(b []byte) []byte { b[lenAt]--; return b }),
		"length long":          edit(func(b []byte) []byte { b[lenAt]++; return b }),
		"length 33":            edit(func(b []byte) []byte { b[lenAt] = 33; return b }),
		"length 255":           edit(func(b []byte) []byte { b[lenAt] = 255; return b }),
		"siblings cut":         good[:len(good)-1],
		"header only":          good[:sibsAt],
		"magic and version":    good[:9],
		"magic, no version":    good[:8],
		"another file's magic": append([]byte("ZKVOTEID\x01"), good[9:]...),
	}
	for name, b := range cases {
		_, err := ParseProof(b)
		require.ErrorIs(t, err, ErrMalformedProof, name)
	}

	// Proofs ComputeRoot refuses do not encode to anything ParseProof takes.
	for name, q := range map[string]*Proof{
		"bits short":  {Root: p.Root, Leaf: p.Leaf, Index: 5, Siblings: p.Siblings, PathBits: p.PathBits[:1]},
		"too long":    {Root: p.Root, Leaf: p.Leaf, Siblings: make([]fr.Element, statement.MaxDepth+1), PathBits: make([]bool, statement.MaxDepth+1)},
		"index range": {Root: p.Root, Leaf: p.Leaf, Index: MaxLeaves, Siblings: p.Siblings, PathBits: p.PathBits},
		"zero leaf":   {Root: p.Root, Index: 5, Siblings: p.Siblings, PathBits: p.PathBits},
	} {
		_, err := ParseProof(q.Bytes())
		require.ErrorIs(t, err, ErrMalformedProof, name)
	}
}

// TestProofMaxDepth: the longest proof, of the last leaf of a full
// depth-32 tree, and of the first leaf, round-trip; one level more is
// refused.
func TestProofMaxDepth(t *testing.T) {
	leaf := testLeaves(0, 1)[0]
	var root fr.Element
	root.SetUint64(7)
	for _, tc := range []struct {
		index uint64
		bit   bool
	}{{MaxLeaves - 1, true}, {0, false}} {
		p := &Proof{Root: root, Leaf: leaf, Index: tc.index,
			Siblings: make([]fr.Element, statement.MaxDepth), PathBits: make([]bool, statement.MaxDepth)}
		for j := range p.PathBits {
			p.Siblings[j].SetUint64(uint64(j))
			p.PathBits[j] = tc.bit
		}
		b := p.Bytes()
		require.Len(t, b, MaxProofSize)
		q, err := ParseProof(b)
		require.NoError(t, err)
		require.Equal(t, b, q.Bytes())
	}
}

// TestPathFitsIndex checks the index rule against every proof of every
// tree of sizes 1 to 40, and against hand-made paths.
func TestPathFitsIndex(t *testing.T) {
	for n := 1; n <= 40; n++ {
		tr := NewTree(nil)
		_, err := tr.InsertMany(t.Context(), testLeaves(0, n))
		require.NoError(t, err)
		for i := range uint64(n) {
			p, err := tr.Proof(i)
			require.NoError(t, err)
			require.True(t, pathFitsIndex(i, p.PathBits), "size %d index %d", n, i)
			for j := range p.PathBits { // any single flipped turn is caught
				bits := append([]bool(nil), p.PathBits...)
				bits[j] = !bits[j]
				require.False(t, pathFitsIndex(i, bits), "size %d index %d flip %d", n, i, j)
			}
		}
	}
	require.True(t, pathFitsIndex(0, nil))
	require.False(t, pathFitsIndex(1, nil))
	require.True(t, pathFitsIndex(4, []bool{false, true})) // level 1 skipped
	require.True(t, pathFitsIndex(4, []bool{true}))        // levels 0 and 1 skipped
	require.False(t, pathFitsIndex(4, []bool{false, false, false, true}))
	require.True(t, pathFitsIndex(0, make([]bool, statement.MaxDepth)))
	require.False(t, pathFitsIndex(0, make([]bool, statement.MaxDepth+1)))
	require.False(t, pathFitsIndex(1<<31, make([]bool, statement.MaxDepth))) // 32 falses then nothing for bit 31
}

// FuzzParseProof: no panic; whatever parses re-encodes to the same bytes
// and agrees with the index rule.
func FuzzParseProof(f *testing.F) {
	tr := NewTree(nil)
	if _, err := tr.InsertMany(f.Context(), testLeaves(0, 13)); err != nil {
		f.Fatal(err)
	}
	for _, i := range []uint64{0, 6, 12} {
		p, err := tr.Proof(i)
		if err != nil {
			f.Fatal(err)
		}
		b := p.Bytes()
		f.Add(b)
		f.Add(b[:proofHeader])
		f.Add(append(b, 0))
	}
	one := NewTree(nil)
	if _, err := one.Insert(testLeaves(5, 1)[0]); err != nil {
		f.Fatal(err)
	}
	p, _ := one.Proof(0)
	f.Add(p.Bytes())
	f.Add([]byte{})
	f.Add([]byte(proofMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProof(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedProof) {
				t.Fatalf("error %v does not wrap ErrMalformedProof", err)
			}
			return
		}
		if len(b) > MaxProofSize {
			t.Fatalf("accepted %d bytes, more than %d", len(b), MaxProofSize)
		}
		if !bytes.Equal(p.Bytes(), b) {
			t.Fatalf("re-encoding differs")
		}
		if !pathFitsIndex(p.Index, p.PathBits) {
			t.Fatalf("index does not fit")
		}
		_, _ = p.ComputeRoot()
	})
}
