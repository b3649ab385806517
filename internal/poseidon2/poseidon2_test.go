package poseidon2

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	gcposeidon2 "github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/sha3"
)

// refPermutation is an independent big.Int implementation of the Poseidon2
// permutation for t = 2 written from the paper (eprint 2023/323, §5–6):
// external matrix circ(2,1), internal matrix [[2,1],[1,3]], S-box x^5, an
// initial external layer, R_F/2 full rounds, R_P partial rounds (key and S-box
// on lane 0 only), R_F/2 full rounds. Round keys follow gnark-crypto's
// documented derivation: keccak256 chained from keccak256 of the parameter
// string, one element per key, big-endian and reduced mod r.
type refPermutation struct {
	rf, rp int
	keys   [][]*big.Int
}

func newRef(rf, rp int, seed string) *refPermutation {
	r := fr.Modulus()
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(seed))
	rnd := h.Sum(nil)
	h.Reset()
	h.Write(rnd)
	next := func() *big.Int {
		rnd = h.Sum(nil)
		v := new(big.Int).SetBytes(rnd)
		h.Reset()
		h.Write(rnd)
		return v.Mod(v, r)
	}
	p := &refPermutation{rf: rf, rp: rp}
	for i := 0; i < rf+rp; i++ {
		if i >= rf/2 && i < rf/2+rp {
			p.keys = append(p.keys, []*big.Int{next()})
		} else {
			p.keys = append(p.keys, []*big.Int{next(), next()})
		}
	}
	return p
}

func (p *refPermutation) permute(a, b *big.Int) (*big.Int, *big.Int) {
	r := fr.Modulus()
	x := []*big.Int{new(big.Int).Set(a), new(big.Int).Set(b)}
	mod := func(v *big.Int) *big.Int { return v.Mod(v, r) }
	sbox := func(v *big.Int) { v.Exp(v, big.NewInt(5), r) }
	ext := func() {
		s := new(big.Int).Add(x[0], x[1])
		x[0] = mod(new(big.Int).Add(s, x[0]))
		x[1] = mod(new(big.Int).Add(s, x[1]))
	}
	internal := func() {
		s := new(big.Int).Add(x[0], x[1])
		x[0] = mod(new(big.Int).Add(s, x[0]))
		x[1] = mod(new(big.Int).Add(s, new(big.Int).Lsh(x[1], 1)))
	}
	ext()
	for i := 0; i < p.rf+p.rp; i++ {
		for j, k := range p.keys[i] {
			x[j] = mod(x[j].Add(x[j], k))
		}
		if i >= p.rf/2 && i < p.rf/2+p.rp {
			sbox(x[0])
			internal()
		} else {
			sbox(x[0])
			sbox(x[1])
			ext()
		}
	}
	return x[0], x[1]
}

func edgeInputs() []fr.Element {
	var zero, one, rm1 fr.Element
	one.SetOne()
	rm1.SetOne()
	rm1.Neg(&rm1)
	return []fr.Element{zero, one, rm1}
}

func TestCompressMatchesIndependentReference(t *testing.T) {
	ref := newRef(FullRounds, PartialRounds, "Poseidon2-BN254[t=2,rF=8,rP=56,d=5]")
	inputs := edgeInputs()
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 8; i++ {
		var x fr.Element
		x.SetUint64(rng.Uint64())
		x.Square(&x).Square(&x).Square(&x)
		inputs = append(inputs, x)
	}
	for _, x := range inputs {
		for _, y := range inputs {
			got := Compress(&x, &y)
			_, s1 := ref.permute(x.BigInt(new(big.Int)), y.BigInt(new(big.Int)))
			want := new(big.Int).Add(s1, y.BigInt(new(big.Int)))
			want.Mod(want, fr.Modulus())
			require.Equal(t, want, got.BigInt(new(big.Int)), "x=%s y=%s", x.String(), y.String())
		}
	}
}

func TestParametersAre8And56(t *testing.T) {
	p := Parameters()
	require.Equal(t, 2, p.Width)
	require.Equal(t, 8, p.NbFullRounds)
	require.Equal(t, 56, p.NbPartialRounds)
	require.Len(t, p.RoundKeys, 64)
	// gnark-crypto's default instance is weaker and must not be what we use.
	var x, y fr.Element
	x.SetUint64(1)
	y.SetUint64(2)
	def := gcposeidon2.NewDefaultPermutation()
	state := []fr.Element{x, y}
	require.NoError(t, def.Permutation(state))
	var weak fr.Element
	weak.Add(&state[1], &y)
	ours := Compress(&x, &y)
	require.False(t, ours.Equal(&weak), "Compress uses gnark-crypto's 6/50 default")
}

func TestTagsDistinct(t *testing.T) {
	seen := map[fr.Element]Tag{}
	for _, tag := range Tags() {
		v := tag.Value()
		require.False(t, v.IsZero(), tag)
		prev, dup := seen[v]
		require.False(t, dup, "%s and %s share a value", tag, prev)
		seen[v] = tag
		require.NotEqual(t, "invalid", tag.String())
	}
	require.Equal(t, "invalid", Tag(-1).String())
	require.Panics(t, func() { Tag(99).Value() })
}

func TestNodeSeparatedFromTaggedHash(t *testing.T) {
	var x fr.Element
	x.SetUint64(42)
	for _, tag := range Tags() {
		tv := tag.Value()
		n := Node(&tv, &x)
		h := Hash(tag, x)
		require.False(t, n.Equal(&h), "Node(%s, x) equals Hash(%s, x)", tag, tag)
	}
}

func TestHashChains(t *testing.T) {
	var a, b fr.Element
	a.SetUint64(3)
	b.SetUint64(4)
	tv := TagNullifier.Value()
	first := Compress(&tv, &a)
	want := Compress(&first, &b)
	got := Hash(TagNullifier, a, b)
	require.True(t, want.Equal(&got))
	empty := Hash(TagIdentity)
	tid := TagIdentity.Value()
	require.True(t, empty.Equal(&tid))
}

func BenchmarkCompress(b *testing.B) {
	var x, y fr.Element
	x.SetUint64(1)
	y.SetUint64(2)
	b.ReportAllocs()
	for b.Loop() {
		x = Compress(&x, &y)
	}
}

func TestPermuteMatchesGnarkCrypto(t *testing.T) {
	perm := gcposeidon2.NewPermutation(Width, FullRounds, PartialRounds)
	inputs := edgeInputs()
	for i := 0; i < 64; i++ {
		var x fr.Element
		x.SetRandom()
		inputs = append(inputs, x)
	}
	for i, x := range inputs {
		y := inputs[(i*7+3)%len(inputs)]
		state := []fr.Element{x, y}
		require.NoError(t, perm.Permutation(state))
		a, b := x, y
		permute(&a, &b)
		require.True(t, a.Equal(&state[0]) && b.Equal(&state[1]), "input %d", i)
	}
}

func FuzzCompress(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 32))
	perm := gcposeidon2.NewPermutation(Width, FullRounds, PartialRounds)
	f.Fuzz(func(t *testing.T, xb, yb []byte) {
		var x, y fr.Element
		x.SetBytes(xb)
		y.SetBytes(yb)
		want, err := perm.Compress(x.Marshal(), y.Marshal())
		require.NoError(t, err)
		got := Compress(&x, &y)
		require.Equal(t, want, got.Marshal())
	})
}

// wideRef is an independent big.Int implementation of the width-12
// Poseidon2 permutation from the paper's definitions (eprint 2023/323,
// sections 5.1–5.3): external layer circ(2·M4, M4, …) with M4 =
// [[5,7,1,3],[4,6,1,1],[1,3,5,7],[1,1,4,6]], internal layer 1 + diag(μ−1),
// full rounds adding a key to every lane, partial rounds to lane 0. Only the
// constants (round keys and μ−1) come from gnark-crypto.
func wideRef(in []*big.Int) []*big.Int {
	p := WideParameters()
	mod := fr.Modulus()
	s := make([]*big.Int, len(in))
	for i := range in {
		s[i] = new(big.Int).Set(in[i])
	}
	m4 := [4][4]int64{{5, 7, 1, 3}, {4, 6, 1, 1}, {1, 3, 5, 7}, {1, 1, 4, 6}}
	external := func() {
		blocks := make([]*big.Int, len(s))
		for b := 0; b < len(s); b += 4 {
			for r := range 4 {
				acc := new(big.Int)
				for c := range 4 {
					acc.Add(acc, new(big.Int).Mul(big.NewInt(m4[r][c]), s[b+c]))
				}
				blocks[b+r] = acc
			}
		}
		for i := range s {
			acc := new(big.Int).Set(blocks[i]) // the diagonal block counts twice
			for b := i % 4; b < len(s); b += 4 {
				acc.Add(acc, blocks[b])
			}
			s[i] = acc.Mod(acc, mod)
		}
	}
	internal := func() {
		sum := new(big.Int)
		for _, v := range s {
			sum.Add(sum, v)
		}
		for i := range s {
			d := p.DiagM1[i].BigInt(new(big.Int))
			v := new(big.Int).Mul(s[i], d)
			s[i] = v.Add(v, sum).Mod(v, mod)
		}
	}
	sbox := func(x *big.Int) { x.Exp(x, big.NewInt(5), mod) }
	external()
	for r, keys := range p.RoundKeys {
		full := r < p.NbFullRounds/2 || r >= p.NbFullRounds/2+p.NbPartialRounds
		for i := range keys {
			s[i].Add(s[i], keys[i].BigInt(new(big.Int)))
			s[i].Mod(s[i], mod)
		}
		if full {
			for i := range s {
				sbox(s[i])
			}
			external()
		} else {
			sbox(s[0])
			internal()
		}
	}
	return s
}

// TestHashWideMatchesIndependentReference: HashWide is the chain its
// documentation states over the reference permutation, for input counts
// around the block boundaries (0, one block, a block and one, …).
func TestHashWideMatchesIndependentReference(t *testing.T) {
	p := WideParameters()
	require.Equal(t, WideWidth, p.Width)
	require.Equal(t, WideFullRounds, p.NbFullRounds)
	require.Equal(t, WidePartialRounds, p.NbPartialRounds)
	require.Len(t, p.DiagM1, WideWidth)
	mod := fr.Modulus()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, WideRate - 1, WideRate, WideRate + 1, 18, 2 * WideRate, 34} {
		msgs := make([]fr.Element, n)
		for i := range msgs {
			if i < len(edgeInputs()) {
				msgs[i] = edgeInputs()[i]
			} else {
				msgs[i].SetUint64(rng.Uint64())
				msgs[i].Square(&msgs[i]).Square(&msgs[i])
			}
		}
		tv := TagCiphertexts.Value()
		acc := tv.BigInt(new(big.Int))
		for lo := 0; lo < n || lo == 0; lo += WideRate {
			state := []*big.Int{acc}
			for i := lo; i < lo+WideRate; i++ {
				if i < n {
					state = append(state, msgs[i].BigInt(new(big.Int)))
				} else {
					state = append(state, new(big.Int))
				}
			}
			out := wideRef(state)
			acc = new(big.Int).Add(out[0], acc)
			acc.Mod(acc, mod)
		}
		got := HashWide(TagCiphertexts, msgs...)
		require.Equal(t, acc, got.BigInt(new(big.Int)), "n=%d", n)
	}
}

// TestHashWideSeparates: the tag, each input and the input count (across
// a block boundary) change the hash, and it differs from the narrow hash.
func TestHashWideSeparates(t *testing.T) {
	msgs := make([]fr.Element, 18)
	for i := range msgs {
		msgs[i].SetUint64(uint64(i + 1))
	}
	base := HashWide(TagCiphertexts, msgs...)
	seen := map[fr.Element]string{base: "base"}
	add := func(name string, h fr.Element) {
		prev, dup := seen[h]
		require.False(t, dup, "%s collides with %s", name, prev)
		seen[h] = name
	}
	add("other tag", HashWide(TagBallot, msgs...))
	add("narrow", Hash(TagCiphertexts, msgs...))
	add("one fewer", HashWide(TagCiphertexts, msgs[:17]...))
	add("one block", HashWide(TagCiphertexts, msgs[:WideRate]...))
	for i := range msgs {
		m := slices.Clone(msgs)
		m[i].SetUint64(1000 + uint64(i))
		add(fmt.Sprintf("input %d", i), HashWide(TagCiphertexts, m...))
	}
}

func BenchmarkHashWide(b *testing.B) {
	msgs := make([]fr.Element, 18)
	for i := range msgs {
		msgs[i].SetUint64(uint64(i + 1))
	}
	b.Run("inputs=18", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			msgs[0] = HashWide(TagCiphertexts, msgs...)
		}
	})
	b.Run("narrow/inputs=18", func(b *testing.B) {
		for b.Loop() {
			msgs[0] = Hash(TagCiphertexts, msgs...)
		}
	})
}
