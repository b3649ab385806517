package wal

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func scanAll(t *testing.T, data []byte) ([][]byte, int64, error) {
	var got [][]byte
	end, err := Scan(bytes.NewReader(data), 0, int64(len(data)), func(_ int64, p []byte) error {
		got = append(got, bytes.Clone(p))
		return nil
	})
	return got, end, err
}

func TestFrameScan(t *testing.T) {
	recs := [][]byte{[]byte("a"), {}, bytes.Repeat([]byte{7}, 1000)}
	var file []byte
	var ends []int64
	for _, r := range recs {
		file = append(file, Frame(r)...)
		ends = append(ends, int64(len(file)))
	}
	got, end, err := scanAll(t, file)
	require.NoError(t, err)
	require.Equal(t, int64(len(file)), end)
	require.Equal(t, len(recs), len(got))
	// Every cut: a prefix of whole records, ending at the last whole one.
	for cut := 0; cut < len(file); cut++ {
		got, end, err := scanAll(t, file[:cut])
		require.NoError(t, err, cut)
		whole := 0
		for _, e := range ends {
			if e <= int64(cut) {
				whole++
			}
		}
		require.Len(t, got, whole, cut)
		if whole > 0 {
			require.Equal(t, ends[whole-1], end)
		} else {
			require.Zero(t, end)
		}
	}
	// Every flipped bit of a complete file is corruption.
	for i := range file {
		b := bytes.Clone(file)
		b[i] ^= 0x20
		_, _, err := scanAll(t, b)
		if err == nil {
			// A flipped length can turn the rest into a "torn" tail only
			// if the header checksum still matched, which it cannot.
			t.Fatalf("flip at %d accepted", i)
		}
		require.ErrorIs(t, err, ErrCorrupt, i)
	}
	// fn's error stops the scan.
	stop := errors.New("stop")
	_, err = Scan(bytes.NewReader(file), 0, int64(len(file)), func(int64, []byte) error { return stop })
	require.ErrorIs(t, err, stop)
}

func TestWriteFileAtomicAndLock(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, WriteFileAtomic(dir, "f", func(w io.Writer) error { _, err := w.Write([]byte("one")); return err }))
	require.NoError(t, WriteFileAtomic(dir, "f", func(w io.Writer) error { _, err := w.Write([]byte("two")); return err }))
	b, err := os.ReadFile(filepath.Join(dir, "f"))
	require.NoError(t, err)
	require.Equal(t, "two", string(b))
	fail := errors.New("fail")
	require.Error(t, WriteFileAtomic(dir, "f", func(io.Writer) error { return fail }))
	b, _ = os.ReadFile(filepath.Join(dir, "f"))
	require.Equal(t, "two", string(b), "a failed write leaves the old file")
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1, "no temporary file left behind")

	l, err := Lock(filepath.Join(dir, "LOCK"))
	require.NoError(t, err)
	_, err = Lock(filepath.Join(dir, "LOCK"))
	require.ErrorIs(t, err, ErrLocked)
	Unlock(l)
	l, err = Lock(filepath.Join(dir, "LOCK"))
	require.NoError(t, err)
	Unlock(l)
}

func FuzzScan(f *testing.F) {
	f.Add(append(Frame([]byte("x")), Frame(nil)...))
	f.Add([]byte{0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, end, err := scanAll(t, data)
		if err != nil {
			return
		}
		var again []byte
		for _, p := range got {
			again = append(again, Frame(p)...)
		}
		require.True(t, bytes.Equal(data[:end], again), "records re-frame to the same bytes")
	})
}
