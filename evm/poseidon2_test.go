package evm_test

import (
	"context"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	gnarkposeidon2 "github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	"github.com/ethereum/go-ethereum"

	"github.com/netstate/zkvote/internal/poseidon2"
)

// TestPoseidon2MatchesNative: the contracts' Poseidon2 (contracts/
// Poseidon2.sol) equals zkvote's native hash at 0, 1, r − 1 and random
// inputs, and its tags are zkvote's.
func TestPoseidon2MatchesNative(t *testing.T) {
	c := newChain(t)
	h := c.deploy(testFixtures(t).artifacts["Poseidon2Harness"])
	a := testFixtures(t).artifacts["Poseidon2Harness"].ABI
	call := func(method string, args ...any) []any {
		t.Helper()
		data, err := a.Pack(method, args...)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.call(h, data)
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Unpack(method, out)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	var rMinus1 fr.Element
	rMinus1.SetOne()
	rMinus1.Neg(&rMinus1)
	values := []fr.Element{fe(0), fe(1), rMinus1}
	rng := rand.New(rand.NewPCG(2, 3))
	for range 8 {
		var e fr.Element
		var b [32]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		e.SetBytes(b[:]) // reduced: a random element
		values = append(values, e)
	}
	for _, x := range values {
		for _, y := range values {
			want := poseidon2.Compress(&x, &y)
			got := elementOf(t, call("compress", bigOf(x), bigOf(y))[0].(*big.Int))
			if !got.Equal(&want) {
				t.Fatalf("compress(%s, %s) = %s, want %s", x.String(), y.String(), got.String(), want.String())
			}
		}
	}
	tags := call("tags")
	for i, tag := range []poseidon2.Tag{poseidon2.TagElection, poseidon2.TagBallot, poseidon2.TagTally} {
		want := tag.Value()
		if got := elementOf(t, tags[i].(*big.Int)); !got.Equal(&want) {
			t.Fatalf("tag %s differs", tag)
		}
		msgs := []*big.Int{bigOf(values[3]), bigOf(values[4]), bigOf(values[5])}
		got := elementOf(t, call("hash", bigOf(want), msgs)[0].(*big.Int))
		h := poseidon2.Hash(tag, values[3], values[4], values[5])
		if !got.Equal(&h) {
			t.Fatalf("hash with tag %s differs", tag)
		}
	}
}

// TestPoseidon2WideMatchesNative: the contracts' wide permutation and
// hashWide (contracts/Poseidon2.sol) equal gnark-crypto's width-12
// permutation and zkvote's HashWide, at 0, r − 1 and random inputs, for
// every length around a block boundary, and hashWide with TagCiphertexts
// of a secret ballot's key and ciphertexts is the hash its proof binds.
func TestPoseidon2WideMatchesNative(t *testing.T) {
	f := testFixtures(t)
	c := newChain(t)
	h := c.deploy(f.artifacts["Poseidon2Harness"])
	a := f.artifacts["Poseidon2Harness"].ABI
	call := func(method string, args ...any) []any {
		t.Helper()
		data, err := a.Pack(method, args...)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.call(h, data)
		if err != nil {
			t.Fatal(err)
		}
		res, err := a.Unpack(method, out)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	rng := rand.New(rand.NewPCG(4, 5))
	random := func() fr.Element {
		var e fr.Element
		var b [32]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		e.SetBytes(b[:])
		return e
	}
	var rMinus1 fr.Element
	rMinus1.SetOne()
	rMinus1.Neg(&rMinus1)
	perm := gnarkposeidon2.NewPermutation(poseidon2.WideWidth, poseidon2.WideFullRounds, poseidon2.WidePartialRounds)
	for k := range 6 {
		var s [poseidon2.WideWidth]fr.Element
		var in [poseidon2.WideWidth]*big.Int
		for i := range s {
			switch k {
			case 0:
			case 1:
				s[i] = rMinus1
			default:
				s[i] = random()
			}
			in[i] = bigOf(s[i])
		}
		if err := perm.Permutation(s[:]); err != nil {
			t.Fatal(err)
		}
		got := call("permuteWide", in)[0].([poseidon2.WideWidth]*big.Int)
		for i := range s {
			if e := elementOf(t, got[i]); !e.Equal(&s[i]) {
				t.Fatalf("permutation %d, lane %d: %s, want %s", k, i, e.String(), s[i].String())
			}
		}
	}
	tags := call("tags")
	ct := poseidon2.TagCiphertexts.Value()
	if got := elementOf(t, tags[3].(*big.Int)); !got.Equal(&ct) {
		t.Fatal("TAG_CIPHERTEXTS differs")
	}
	for _, n := range []int{0, 1, 10, 11, 12, 18, 22, 23} {
		msgs := make([]fr.Element, n)
		in := make([]*big.Int, n)
		for i := range msgs {
			msgs[i] = random()
			in[i] = bigOf(msgs[i])
		}
		want := poseidon2.HashWide(poseidon2.TagCiphertexts, msgs...)
		if got := elementOf(t, call("hashWide", bigOf(ct), in)[0].(*big.Int)); !got.Equal(&want) {
			t.Fatalf("hashWide of %d inputs: %s, want %s", n, got.String(), want.String())
		}
	}
	// A real secret ballot: its key and ciphertexts hash to its public input.
	b := f.ballot(t, "secret/v0-c0")
	x, y := f.params["secret"].Secret.Key.Coordinates()
	in := []*big.Int{bigOf(x), bigOf(y)}
	for _, c := range b.Ciphertexts() {
		xy := c.XY()
		for i := 0; i < len(xy); i += 32 {
			in = append(in, new(big.Int).SetBytes(xy[i:i+32]))
		}
	}
	want := b.CiphertextHash()
	if got := elementOf(t, call("hashWide", bigOf(ct), in)[0].(*big.Int)); !got.Equal(&want) {
		t.Fatalf("a secret ballot's ciphertext hash: %s, want %s", got.String(), want.String())
	}
	data, _ := a.Pack("hashWide", bigOf(ct), in)
	gas, err := c.client.EstimateGas(context.Background(), ethereum.CallMsg{To: &h, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hashWide of a secret ballot's %d inputs: %d gas (a call)", len(in), gas)
}
