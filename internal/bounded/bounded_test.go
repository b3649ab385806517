package bounded

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// TestRead: over random sizes, limits, hints and read sizes, Read returns
// the whole stream when it fits and exactly limit+1 bytes of it when it
// does not, and its buffer stays within a small multiple of the limit
// (append's growth) whatever the hint.
func TestRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		size := rng.Int64N(3000)
		limit := rng.Int64N(3000)
		hint := rng.Int64N(4000) - 1000
		chunk := rng.Int64N(600) - 100
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		var r io.Reader = bytes.NewReader(data)
		if rng.IntN(2) == 0 {
			r = iotest.OneByteReader(r)
		}
		got, err := Read(r, hint, limit, chunk)
		require.NoError(t, err)
		want := data[:min(size, limit+1)]
		require.Equal(t, want, got, "size %d limit %d hint %d", size, limit, hint)
		require.LessOrEqual(t, int64(cap(got)), 3*(limit+1)+64, "size %d limit %d hint %d", size, limit, hint)
	}
}

// TestReadError: a read error comes back with the bytes before it.
func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader([]byte("abc")), iotest.ErrReader(boom))
	got, err := Read(r, -1, 10, 4)
	require.ErrorIs(t, err, boom)
	require.Equal(t, []byte("abc"), got)
}
