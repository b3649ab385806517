package membership

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/wal"
)

// logRecords returns the offsets of the tree log's records and the file's
// end, checking that the log is whole.
func logRecords(t *testing.T, log []byte) []int64 {
	t.Helper()
	var starts []int64
	end, err := wal.Scan(bytes.NewReader(log[logHeaderSize:]), logHeaderSize, int64(len(log)), func(off int64, _ []byte) error {
		starts = append(starts, off)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, int64(len(log)), end)
	require.Greater(t, len(starts), 2)
	return starts
}

// openLogT opens a tree from a copy of log alone and returns the tree (or
// the error) and the log's bytes on disk afterwards.
func openLogT(t *testing.T, log []byte) (*Tree, []byte, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, logName)
	writeFile(t, path, log)
	tr, err := OpenTree(context.Background(), dir, nil)
	after := readFile(t, path)
	if tr != nil {
		// Release without Close, which would snapshot.
		tr.store.log.Close()
		wal.Unlock(tr.store.lock)
	}
	return tr, after, err
}

// TestTreeLogDamageRefused: a byte flipped anywhere in a record with more
// records after it is damage: the open fails, says which record and where,
// and leaves the log on disk as it was.
func TestTreeLogDamageRefused(t *testing.T) {
	base := t.TempDir()
	buildPersistent(t, base, false)
	good := readFile(t, filepath.Join(base, logName))
	starts := logRecords(t, good)
	for k := range len(starts) - 1 {
		end := starts[k+1]
		for _, at := range []int64{starts[k], starts[k] + 4, starts[k] + 8, starts[k] + 16, end - 5, end - 1} {
			b := bytes.Clone(good)
			b[at] ^= 0x04
			_, after, err := openLogT(t, b)
			require.ErrorIs(t, err, ErrCorrupt, "record %d, byte %d", k, at)
			require.Contains(t, err.Error(), fmt.Sprintf("record %d at offset %d", k, starts[k]), "byte %d", at)
			require.Equal(t, b, after, "a refused open changed the log (byte %d)", at)
			// A zero-filled tail after the damage changes nothing.
			z := append(bytes.Clone(b), make([]byte, 100)...)
			_, after, err = openLogT(t, z)
			require.ErrorIs(t, err, ErrCorrupt, "record %d, byte %d, zero tail", k, at)
			require.Equal(t, z, after)
		}
	}
	// A record cut short with another record written after it.
	last := starts[len(starts)-1]
	b := append(bytes.Clone(good[:last-2]), good[last:]...)
	_, after, err := openLogT(t, b)
	require.ErrorIs(t, err, ErrCorrupt)
	require.Equal(t, b, after)
}

// TestTreeLogTornTail: a cut at every offset of the last record, and a
// zero-filled tail of any length (power loss), recover to the operations
// before it, truncating only the torn bytes.
func TestTreeLogTornTail(t *testing.T) {
	base := t.TempDir()
	leaves := buildPersistent(t, base, false)
	good := readFile(t, filepath.Join(base, logName))
	starts := logRecords(t, good)
	last := starts[len(starts)-1]
	full := refRoot(leaves)
	root := func(log []byte) fr.Element {
		tr, _, err := openLogT(t, log)
		require.NoError(t, err)
		return tr.Root()
	}
	before := root(good[:last])
	require.False(t, before.Equal(&full))

	for cut := last; cut < int64(len(good)); cut++ {
		for _, z := range []int{0, 1, 9, 100, 5000} {
			data := append(bytes.Clone(good[:cut]), make([]byte, z)...)
			tr, after, err := openLogT(t, data)
			require.NoError(t, err, "cut %d, %d zeros", cut, z)
			got := tr.Root()
			require.True(t, got.Equal(&before), "cut %d, %d zeros", cut, z)
			require.Equal(t, good[:last], after, "only the torn tail is truncated")
		}
	}
	for _, z := range []int{1, 7, 8, 12, 13, 4096, 9000} {
		data := append(bytes.Clone(good), make([]byte, z)...)
		got := root(data)
		require.True(t, got.Equal(&full), "%d zeros", z)
	}
	// The last record zero-filled in place: dropped like a torn write.
	z := bytes.Clone(good)
	clear(z[last+8:])
	got := root(z)
	require.True(t, got.Equal(&before))
}
