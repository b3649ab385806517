package chain

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/poseidon2"
)

func TestPack(t *testing.T) {
	w, err := Pack([]uint64{1, 2, 3, 4, 5, 6, 7, 8})
	require.NoError(t, err)
	require.Len(t, w, 2)
	want := new(big.Int)
	for j := 6; j >= 0; j-- {
		want.Lsh(want, 32)
		want.Add(want, big.NewInt(int64(j+1)))
	}
	require.Equal(t, want, w[0].BigInt(new(big.Int)))
	require.Equal(t, big.NewInt(8), w[1].BigInt(new(big.Int)))
	max := make([]uint64, 7)
	for i := range max {
		max[i] = 1<<32 - 1
	}
	w, err = Pack(max)
	require.NoError(t, err)
	require.Equal(t, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 224), big.NewInt(1)), w[0].BigInt(new(big.Int)))
	_, err = Pack([]uint64{1 << 32})
	require.ErrorIs(t, err, ErrVoteRange)
	require.Equal(t, 0, Words(0))
	require.Equal(t, 1, Words(7))
	require.Equal(t, 2, Words(8))
}

func TestEntryAndTally(t *testing.T) {
	var scope, null fr.Element
	scope.SetUint64(9)
	null.SetUint64(10)
	g := Genesis(scope)
	require.Equal(t, poseidon2.Hash(poseidon2.TagBallot, scope), g)
	e1, err := Entry(g, null, []uint64{1, 0, 0})
	require.NoError(t, err)
	e2, err := Entry(g, null, []uint64{0, 1, 0})
	require.NoError(t, err)
	require.NotEqual(t, e1, e2)
	_, err = Entry(g, null, []uint64{1 << 33})
	require.Error(t, err)
	a := Tally(scope, 1, []uint64{1, 0, 0})
	b := Tally(scope, 1, []uint64{0, 1, 0})
	require.NotEqual(t, a, b)
	require.NotEqual(t, Tally(scope, 0, []uint64{0, 0, 0}), Tally(scope, 1, []uint64{0, 0, 0}))
}

// TestSecretEntry: every input moves the head, and the head is a canonical
// field element of 248 bits.
func TestSecretEntry(t *testing.T) {
	var prev, n, h fr.Element
	prev.SetUint64(1)
	n.SetUint64(2)
	h.SetUint64(3)
	base := SecretEntry(prev, n, 7, h)
	require.Equal(t, base, SecretEntry(prev, n, 7, h))
	var one fr.Element
	one.SetOne()
	var p2, n2, h2 fr.Element
	p2.Add(&prev, &one)
	n2.Add(&n, &one)
	h2.Add(&h, &one)
	for _, other := range []fr.Element{
		SecretEntry(p2, n, 7, h), SecretEntry(prev, n2, 7, h), SecretEntry(prev, n, 8, h), SecretEntry(prev, n, 7, h2),
		SecretEntry(n, prev, 7, h),
	} {
		require.NotEqual(t, base, other)
	}
	b := base.Bytes()
	require.Zero(t, b[0], "a head holds 248 bits")
}
