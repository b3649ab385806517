package evm_test

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

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
