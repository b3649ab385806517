package wal

import (
	"bytes"
	"errors"
	"fmt"
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
	// A flipped bit in any record but the last is damage, named by record
	// and offset (see TestScanDamageAndTornTails for the last record).
	starts := append([]int64{0}, ends[:len(ends)-1]...)
	for i := 0; i < int(starts[len(starts)-1]); i++ {
		b := bytes.Clone(file)
		b[i] ^= 0x20
		_, _, err := scanAll(t, b)
		require.ErrorIs(t, err, ErrCorrupt, i)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce, i)
		k := 0
		for int64(i) >= ends[k] {
			k++
		}
		require.Equal(t, int64(k), ce.Record, i)
		require.Equal(t, starts[k], ce.Offset, i)
		require.Contains(t, err.Error(), fmt.Sprintf("record %d at offset %d", k, starts[k]))
	}
	// fn's error stops the scan.
	stop := errors.New("stop")
	_, err = Scan(bytes.NewReader(file), 0, int64(len(file)), func(int64, []byte) error { return stop })
	require.ErrorIs(t, err, stop)
}

// TestScanDamageAndTornTails: only what an interrupted append can leave
// after the last record is dropped; damage anywhere before it is an error.
func TestScanDamageAndTornTails(t *testing.T) {
	recs := [][]byte{[]byte("first"), bytes.Repeat([]byte{7}, 300), []byte("third record")}
	var file []byte
	var starts []int64
	for _, r := range recs {
		starts = append(starts, int64(len(file)))
		file = append(file, Frame(r)...)
	}
	last := starts[len(starts)-1]
	torn := func(name string, data []byte, wantRecs int, wantEnd int64) {
		t.Helper()
		got, end, err := scanAll(t, data)
		require.NoError(t, err, name)
		require.Len(t, got, wantRecs, name)
		require.Equal(t, wantEnd, end, name)
		for i := range got {
			require.Equal(t, recs[i], got[i], name)
		}
	}
	damaged := func(name string, data []byte, rec, off int64) {
		t.Helper()
		_, _, err := scanAll(t, data)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce, name)
		require.ErrorIs(t, err, ErrCorrupt, name)
		require.Equal(t, rec, ce.Record, name)
		require.Equal(t, off, ce.Offset, name)
	}
	zeros := func(n int) []byte { return make([]byte, n) }

	// Zero-filled tails of any length after a complete log, and after a
	// cut at every offset of the last record: what power loss leaves.
	for _, z := range []int{1, 7, 8, 11, 12, 13, 100, 4096, 10000} {
		torn(fmt.Sprintf("zeros %d", z), append(bytes.Clone(file), zeros(z)...), 3, int64(len(file)))
		for cut := last; cut < int64(len(file)); cut++ {
			data := append(bytes.Clone(file[:cut]), zeros(z)...)
			torn(fmt.Sprintf("cut %d + zeros %d", cut, z), data, 2, last)
		}
	}
	// Only zeros after the header.
	torn("all zeros", zeros(64), 0, 0)
	// The last record's payload zeroed in place (a zero-filled page).
	b := bytes.Clone(file)
	clear(b[last+8:])
	torn("zeroed last payload", b, 2, last)
	// A bad checksum on the last record, which ends at the end of the file:
	// a write can leave that; it was not acknowledged if it is torn.
	b = bytes.Clone(file)
	b[len(b)-6] ^= 1
	torn("last record's payload flipped", b, 2, last)

	// Damage: a record that fails its checksum with data after it.
	for k := range len(recs) - 1 {
		for _, at := range []int64{starts[k], starts[k] + 5, starts[k] + 9, starts[k+1] - 1} {
			b := bytes.Clone(file)
			b[at] ^= 0x80
			damaged(fmt.Sprintf("flip at %d", at), b, int64(k), starts[k])
			// Also when a zero tail follows the log.
			damaged(fmt.Sprintf("flip at %d, zero tail", at), append(b, zeros(100)...), int64(k), starts[k])
		}
	}
	// The last record's header flipped: its payload follows, so it was
	// written completely and then damaged.
	b = bytes.Clone(file)
	b[last+1] ^= 1
	damaged("last header flipped", b, 2, last)
	// A record cut short and more records written after it (an open that
	// did not truncate, or bytes lost from the middle of the file).
	b = append(bytes.Clone(file[:last-3]), Frame([]byte("appended"))...)
	damaged("cut in the middle", b, 1, starts[1])
	// Zeros in the middle: a zeroed page followed by records.
	b = bytes.Clone(file)
	clear(b[starts[1] : starts[1]+20])
	damaged("zeroed middle", b, 1, starts[1])
	// Garbage after the log.
	damaged("trailing garbage", append(bytes.Clone(file), 1, 2, 3, 4, 5, 6, 7, 8, 9), 3, int64(len(file)))
	damaged("trailing zeros then garbage", append(append(bytes.Clone(file), zeros(50)...), 1), 3, int64(len(file)))
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
	f.Add(append(Frame([]byte("x")), make([]byte, 20)...))
	f.Add(append(Frame([]byte("x")), Frame([]byte("y"))[:9]...))
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
		// A zero-filled tail (power loss) after anything that scans never
		// makes it fail, nor loses a record.
		z := append(bytes.Clone(data), make([]byte, 1+len(data)%50)...)
		got2, end2, err := scanAll(t, z)
		require.NoError(t, err, "zero tail")
		require.GreaterOrEqual(t, end2, end)
		require.GreaterOrEqual(t, len(got2), len(got))
		for i := range got {
			require.Equal(t, got[i], got2[i])
		}
	})
}

// TestHeaderIsFramePrefix: Header, which tests use to claim lengths no
// payload backs, is exactly what Frame writes.
func TestHeaderIsFramePrefix(t *testing.T) {
	for _, n := range []int{0, 1, 100} {
		p := make([]byte, n)
		require.Equal(t, Frame(p)[:8], Header(uint32(n)))
	}
}
