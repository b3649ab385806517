package election_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/wal"
)

// faultyLog is the box's log file with a disk that fills up after budget
// more bytes (-1: never) and, if failSync, an fsync that fails with EIO.
// Only the commit goroutine touches it.
type faultyLog struct {
	LogWriter
	budget   int
	failSync bool
}

func (f *faultyLog) Write(b []byte) (int, error) {
	if f.budget >= 0 && len(b) > f.budget {
		n, _ := f.LogWriter.Write(b[:f.budget])
		f.budget = 0
		return n, syscall.ENOSPC
	}
	if f.budget >= 0 {
		f.budget -= len(b)
	}
	return f.LogWriter.Write(b)
}

func (f *faultyLog) Sync() error {
	if f.failSync {
		return syscall.EIO
	}
	return f.LogWriter.Sync()
}

func openFaultyBox(t *testing.T, w *world, dir string, budget int, failSync bool) *Box {
	t.Helper()
	b, err := OpenBoxWrapped(dir, w.params, w.keys.VerifyingKey(), func(f LogWriter) LogWriter {
		return &faultyLog{LogWriter: f, budget: budget, failSync: failSync}
	})
	require.NoError(t, err)
	return b
}

// boxRecords returns the offsets of the records of a box's log file.
func boxRecords(t *testing.T, w *world, log []byte) []int64 {
	t.Helper()
	enc, err := w.params.Encode()
	require.NoError(t, err)
	off := int64(len(LogHeader(enc)))
	var starts []int64
	end, err := wal.Scan(bytes.NewReader(log[off:]), off, int64(len(log)), func(at int64, _ []byte) error {
		starts = append(starts, at)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, int64(len(log)), end)
	return starts
}

// reopenLog opens a box on a copy of log and returns its results (and
// closes it) or the error, and the log file's bytes after the open.
func reopenLog(t *testing.T, w *world, log []byte) (Results, []byte, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, LogFile)
	require.NoError(t, os.WriteFile(path, log, 0o600))
	b, err := OpenBox(context.Background(), dir, w.params, w.keys.VerifyingKey())
	after, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	if err != nil {
		return Results{}, after, err
	}
	res := b.Results()
	require.NoError(t, b.Close())
	return res, after, nil
}

// TestBoxLogDamage: damage in a record with anything but zeros after it
// refuses to open, says where, and leaves the file alone; a record cut at
// any offset at the end, and a zero-filled tail of any length, are torn
// writes that were never acknowledged: the box opens with every ballot
// before them.
func TestBoxLogDamage(t *testing.T) {
	w := testWorld(t)
	dir := t.TempDir()
	box := openTestBox(t, w, dir)
	for i := range 4 {
		_, err := box.Submit(context.Background(), ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, box.Close())
	good, err := os.ReadFile(filepath.Join(dir, LogFile))
	require.NoError(t, err)
	starts := boxRecords(t, w, good)
	require.Len(t, starts, 4)
	last := starts[3]

	// A flipped byte anywhere in records 0 to 2 (header, payload, CRC).
	for k := range 3 {
		end := starts[k+1]
		for _, at := range []int64{starts[k], starts[k] + 3, starts[k] + 4, starts[k] + 8, starts[k] + 9,
			(starts[k] + end) / 2, end - 5, end - 4, end - 1} {
			b := bytes.Clone(good)
			b[at] ^= 0x01
			_, after, err := reopenLog(t, w, b)
			require.ErrorIs(t, err, ErrCorrupt, "byte %d", at)
			require.Contains(t, err.Error(), fmt.Sprintf("record %d at offset %d", k, starts[k]), "byte %d", at)
			require.Equal(t, b, after, "the refused open changed the file (byte %d)", at)
			// Zeros after the damaged log change nothing.
			z := append(bytes.Clone(b), make([]byte, 64)...)
			_, after, err = reopenLog(t, w, z)
			require.ErrorIs(t, err, ErrCorrupt, "byte %d, zero tail", at)
			require.Equal(t, z, after)
		}
	}
	// The last record's header flipped: its payload follows, so it was
	// written whole and damaged later.
	b := bytes.Clone(good)
	b[last+2] ^= 0x01
	_, after, err := reopenLog(t, w, b)
	require.ErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), fmt.Sprintf("record 3 at offset %d", last))
	require.Equal(t, b, after)
	// A record cut short with another after it, and garbage after the log.
	for name, b := range map[string][]byte{
		"cut in the middle": append(bytes.Clone(good[:starts[2]-7]), good[starts[2]:]...),
		"trailing garbage":  append(bytes.Clone(good), bytes.Repeat([]byte{0xA5}, 20)...),
		"zeros then data":   append(append(bytes.Clone(good), make([]byte, 30)...), 1),
	} {
		_, after, err := reopenLog(t, w, b)
		require.ErrorIs(t, err, ErrCorrupt, name)
		require.Equal(t, b, after, name)
	}

	// Cut at every offset of the last record (with a zero-filled tail at
	// some): three ballots, and the file truncated to them.
	for cut := last; cut < int64(len(good)); cut++ {
		zs := []int{0}
		if cut%31 == 0 {
			zs = append(zs, 1, 13, 4096)
		}
		for _, z := range zs {
			data := append(bytes.Clone(good[:cut]), make([]byte, z)...)
			res, after, err := reopenLog(t, w, data)
			require.NoError(t, err, "cut %d, %d zeros", cut, z)
			require.Equal(t, uint64(3), res.Ballots, "cut %d", cut)
			require.Equal(t, good[:last], after, "cut %d", cut)
		}
	}
	// Zero-filled tails of any length after the whole log.
	full, _, err := reopenLog(t, w, good)
	require.NoError(t, err)
	require.Equal(t, uint64(4), full.Ballots)
	for _, z := range []int{1, 7, 8, 11, 12, 13, 100, 4096, 10000} {
		res, after, err := reopenLog(t, w, append(bytes.Clone(good), make([]byte, z)...))
		require.NoError(t, err, "%d zeros", z)
		require.Equal(t, full, res, "%d zeros", z)
		require.Equal(t, good, after)
	}
	// The last record zero-filled in place: dropped like a torn write.
	z := bytes.Clone(good)
	clear(z[last+8:])
	res, _, err := reopenLog(t, w, z)
	require.NoError(t, err)
	require.Equal(t, uint64(3), res.Ballots)
}

// TestBoxCloseRace: Close while many Submits are in flight. Every
// Submit that returned a receipt is in the reopened log at its position,
// every one that returned an error (ErrClosed: refused before it was
// queued) is not. Run it under -race.
func TestBoxCloseRace(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	data := make([][]byte, tVoters)
	for i := range data {
		data[i] = ballotOf(t, w, i).Bytes()
	}
	for round := range 2 * tVoters {
		dir := t.TempDir()
		box := openTestBox(t, w, dir)
		receipts := make([]*Receipt, len(data))
		errs := make([]error, len(data))
		returned := make(chan struct{}, len(data))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range data {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				receipts[i], errs[i] = box.Submit(ctx, data[i])
				returned <- struct{}{}
			}()
		}
		close(start)
		// Close after round/2 Submits have returned: early rounds race
		// the first commits, later ones the last.
		for range round / 2 {
			<-returned
		}
		require.NoError(t, box.Close())
		wg.Wait()
		require.NoError(t, box.Close(), "a second Close")

		box = openTestBox(t, w, dir)
		var exported bytes.Buffer
		require.NoError(t, box.ExportLog(&exported))
		require.NoError(t, box.Close())
		l, err := ReadLog(exported.Bytes())
		require.NoError(t, err)
		inLog := map[fr.Element]bool{}
		for _, b := range l.Ballots {
			inLog[b.Nullifier()] = true
		}
		acked := 0
		for i := range data {
			n := ballotOf(t, w, i).Nullifier()
			if errs[i] != nil {
				require.ErrorIs(t, errs[i], ErrClosed, "round %d, ballot %d", round, i)
				require.False(t, inLog[n], "round %d: ballot %d failed but is in the log", round, i)
				continue
			}
			acked++
			require.True(t, inLog[n], "round %d: acknowledged ballot %d is not in the log", round, i)
			require.NoError(t, l.CheckReceipt(receipts[i]), "round %d, ballot %d", round, i)
		}
		require.Equal(t, acked, len(l.Ballots), "round %d", round)
		t.Logf("round %d: %d acknowledged", round, acked)
	}
}

// TestBoxEndAfterClose: End cannot write its close record after Close: it
// says so, and the reopened election still takes ballots until an End that
// returns nil.
func TestBoxEndAfterClose(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	dir := t.TempDir()
	box := openTestBox(t, w, dir)
	_, err := box.Submit(ctx, ballotOf(t, w, 0).Bytes())
	require.NoError(t, err)
	require.NoError(t, box.Close())
	require.Error(t, box.End(), "End after Close wrote no close record")
	require.False(t, box.Results().Closed)
	_, err = box.Submit(ctx, ballotOf(t, w, 1).Bytes())
	require.ErrorIs(t, err, ErrClosed)

	box = openTestBox(t, w, dir)
	require.False(t, box.Results().Closed, "the election is still open")
	_, err = box.Submit(ctx, ballotOf(t, w, 1).Bytes())
	require.NoError(t, err)
	require.NoError(t, box.End())
	require.True(t, box.Results().Closed)
	require.NoError(t, box.End(), "ending twice")
	require.NoError(t, box.Close())

	box = openTestBox(t, w, dir)
	require.True(t, box.Results().Closed)
	require.Equal(t, uint64(2), box.Results().Ballots)
	_, err = box.Submit(ctx, ballotOf(t, w, 2).Bytes())
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, box.End(), "ending an ended election again")
}

// TestBoxFailedCommit: a failed fsync or a full disk leaves the outcome of
// the batch's ballots unknown (ErrOutcomeUnknown), the box fail-stops, and
// End cannot end the election. After a reopen, resubmitting tells the client what
// happened: ErrDuplicateNullifier if the ballot was recorded after all, a
// receipt if it was not.
func TestBoxFailedCommit(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	b0, b1, b2 := ballotOf(t, w, 0).Bytes(), ballotOf(t, w, 1).Bytes(), ballotOf(t, w, 2).Bytes()

	t.Run("fsync", func(t *testing.T) {
		dir := t.TempDir()
		box := openFaultyBox(t, w, dir, -1, true)
		_, err := box.Submit(ctx, b0)
		require.ErrorIs(t, err, ErrOutcomeUnknown)
		require.ErrorIs(t, err, ErrBoxFailed)
		// Fail-stop: later ballots are refused, certainly unrecorded.
		_, err = box.Submit(ctx, b1)
		require.ErrorIs(t, err, ErrBoxFailed)
		require.NotErrorIs(t, err, ErrOutcomeUnknown)
		require.Zero(t, box.Results().Ballots)
		err = box.End()
		require.ErrorIs(t, err, ErrBoxFailed, "no close record can be written")
		require.False(t, box.Results().Closed)

		// The written ballot is replayed: its Submit's outcome was "yes".
		box = openTestBox(t, w, dir)
		require.Equal(t, uint64(1), box.Results().Ballots)
		require.False(t, box.Results().Closed)
		_, err = box.Submit(ctx, b0)
		require.ErrorIs(t, err, ErrDuplicateNullifier, "the resubmission says it counted")
		_, err = box.Submit(ctx, b1)
		require.NoError(t, err)
		require.NoError(t, box.Close())
	})

	t.Run("disk full", func(t *testing.T) {
		rec := len(wal.Frame(append([]byte{RecBallot}, b0...)))
		dir := t.TempDir()
		box := openFaultyBox(t, w, dir, rec+rec/2, false)
		_, err := box.Submit(ctx, b0)
		require.NoError(t, err)
		_, err = box.Submit(ctx, b1)
		require.ErrorIs(t, err, ErrOutcomeUnknown)
		_, err = box.Submit(ctx, b2)
		require.ErrorIs(t, err, ErrBoxFailed)
		require.Equal(t, uint64(1), box.Results().Ballots)
		require.Error(t, box.End())

		// Half a record reached the file: a torn tail, dropped on open.
		box = openTestBox(t, w, dir)
		require.Equal(t, uint64(1), box.Results().Ballots)
		_, err = box.Submit(ctx, b0)
		require.ErrorIs(t, err, ErrDuplicateNullifier)
		r, err := box.Submit(ctx, b1)
		require.NoError(t, err, "the resubmission is recorded now")
		require.Equal(t, uint64(1), r.Position)
		require.NoError(t, box.End())
	})

	t.Run("close record", func(t *testing.T) {
		dir := t.TempDir()
		rec := len(wal.Frame(append([]byte{RecBallot}, b0...)))
		box := openFaultyBox(t, w, dir, rec, false)
		_, err := box.Submit(ctx, b0)
		require.NoError(t, err)
		err = box.End()
		require.ErrorIs(t, err, ErrOutcomeUnknown)
		box = openTestBox(t, w, dir)
		require.False(t, box.Results().Closed, "the close record was not written")
		require.NoError(t, box.End())
	})
}
