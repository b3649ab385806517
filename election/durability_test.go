package election_test

// The box's durability: what a failed integration of an entry does (the
// box fail-stops, the outcome of the batch is unknown, a reopen replays
// what Tessera integrated and a resubmission tells the client), what a
// damaged log on disk does (OpenBox refuses it and leaves it as it is),
// which crash states it opens, and Close and End racing the commits. The
// box runs the stand-in election (stubWorld), whose ballots cost a
// millisecond; nothing here depends on the vote circuit.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/testkeys"
)

// fault is what the log does with one entry the box hands to Tessera.
type fault int

const (
	integrate fault = iota // as Tessera does
	lose                   // never reaches Tessera; the future fails
	misreport              // integrated, but the future fails
	shift                  // integrated, but reported one index on
	intrude                // another writer's entry is integrated first
)

// faultyLog returns a wrap for OpenBoxWrapped that does plan(n) to the
// n-th ballot or close entry (from 0) the box hands to Tessera; the log's
// header passes untouched. intruder is the other writer's entry.
func faultyLog(plan func(n int) fault, intruder []byte) func(tessera.AddFn) tessera.AddFn {
	var mu sync.Mutex
	next := 0
	return func(add tessera.AddFn) tessera.AddFn {
		return func(ctx context.Context, e *tessera.Entry) tessera.IndexFuture {
			if e.Data()[0] == 0 { // the header
				return add(ctx, e)
			}
			mu.Lock()
			n := next
			next++
			mu.Unlock()
			switch plan(n) {
			case lose:
				return func() (tessera.Index, error) { return tessera.Index{}, errors.New("injected: the entry was lost") }
			case misreport:
				f := add(ctx, e)
				return func() (tessera.Index, error) {
					if _, err := f(); err != nil {
						return tessera.Index{}, err
					}
					return tessera.Index{}, errors.New("injected: the entry was written, its write reported failed")
				}
			case shift:
				f := add(ctx, e)
				return func() (tessera.Index, error) {
					i, err := f()
					i.Index++
					return i, err
				}
			case intrude:
				if _, err := add(ctx, tessera.NewEntry(intruder))(); err != nil {
					return func() (tessera.Index, error) { return tessera.Index{}, err }
				}
			}
			return add(ctx, e)
		}
	}
}

// openFaulty opens s's box in dir with the faulty log.
func openFaulty(t *testing.T, s *stubWorld, dir string, plan func(n int) fault, intruder []byte) *Box {
	t.Helper()
	b, err := OpenBoxWrapped(dir, s.params, s.vk, testBoxOptions(), faultyLog(plan, intruder))
	require.NoError(t, err)
	return b
}

// at returns a plan that does f to entry k and integrates the others.
func at(k int, f fault) func(n int) fault {
	return func(n int) fault {
		if n == k {
			return f
		}
		return integrate
	}
}

// logBallots returns the nullifiers of the ballots in box's log, in order,
// read back from its export once a checkpoint holds them all.
func logBallots(t *testing.T, box *Box) []fr.Element {
	t.Helper()
	l, err := ReadLog(exportLog(t, box))
	require.NoError(t, err)
	out := make([]fr.Element, len(l.Ballots))
	for i, b := range l.Ballots {
		out[i] = b.Nullifier()
	}
	return out
}

func nullifierOf(t *testing.T, ballot []byte) fr.Element {
	t.Helper()
	b, err := ParseBallot(ballot)
	require.NoError(t, err)
	return b.Nullifier()
}

// requireUnknown requires err to say the outcome is unknown and the box
// failed.
func requireUnknown(t *testing.T, err error, msg ...any) {
	t.Helper()
	require.ErrorIs(t, err, ErrOutcomeUnknown, msg...)
	require.ErrorIs(t, err, ErrBoxFailed, msg...)
}

// requireFailed requires err to say the box had failed before: the ballot
// was certainly not recorded.
func requireFailed(t *testing.T, err error, msg ...any) {
	t.Helper()
	require.ErrorIs(t, err, ErrBoxFailed, msg...)
	require.NotErrorIs(t, err, ErrOutcomeUnknown, msg...)
}

// TestBoxFailedIntegration: when Tessera fails to integrate a ballot's
// entry (it never got it, or wrote it and reported a failure), or
// integrates it at another index than the box expected (a result shifted,
// another writer on the log), the box fail-stops: that Submit gets
// ErrOutcomeUnknown and ErrBoxFailed, later ones ErrBoxFailed alone, End
// cannot end the election (and releases the box), the ballots acknowledged
// before stay counted. A reopen replays what Tessera integrated, and
// resubmitting tells the client what happened: ErrDuplicateNullifier if
// the ballot was recorded after all, a receipt if it was not.
func TestBoxFailedIntegration(t *testing.T) {
	s := newStubWorld(t, testLogKeys())
	ctx := context.Background()
	bs := s.ballots(t, 4)
	intruder := append([]byte{RecBallot}, bs[3]...)
	for _, c := range []struct {
		name     string
		fault    fault
		recorded bool // ballot 1 is in the log after all
	}{
		{"lost", lose, false},
		{"written, reported failed", misreport, true},
		{"shifted index", shift, true},
		{"another writer", intrude, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			box := openFaulty(t, s, dir, at(1, c.fault), intruder)
			r0, err := box.Submit(ctx, bs[0])
			require.NoError(t, err)
			_, err = box.Submit(ctx, bs[1])
			requireUnknown(t, err)
			_, err = box.Submit(ctx, bs[2])
			requireFailed(t, err, "fail-stop: later ballots are refused")
			res := box.Results()
			require.Equal(t, uint64(1), res.Ballots, "the acknowledged ballot counts")
			require.Equal(t, r0.Head, res.Head)
			require.NoError(t, box.Prove(ctx, r0), "the acknowledged ballot is proven")
			require.NoError(t, VerifyReceipt(s.params, r0, mustParseBallot(t, bs[0])))
			err = box.End()
			require.ErrorIs(t, err, ErrBoxFailed, "no close entry can be written")
			require.False(t, box.Results().Closed)

			// End released the box: it reopens, replaying the log.
			box = s.open(t, dir)
			want := []fr.Element{nullifierOf(t, bs[0])}
			if c.fault == intrude {
				want = append(want, nullifierOf(t, bs[3]))
			}
			if c.recorded {
				want = append(want, nullifierOf(t, bs[1]))
			}
			require.Equal(t, uint64(len(want)), box.Results().Ballots)
			require.False(t, box.Results().Closed)
			require.Equal(t, want, logBallots(t, box))
			_, err = box.Submit(ctx, bs[0])
			require.ErrorIs(t, err, ErrDuplicateNullifier)
			r1, err := box.Submit(ctx, bs[1])
			if c.recorded {
				require.ErrorIs(t, err, ErrDuplicateNullifier, "the resubmission says it counted")
			} else {
				require.NoError(t, err, "the resubmission is recorded now")
				require.Equal(t, uint64(1), r1.Position)
				want = append(want, nullifierOf(t, bs[1]))
			}
			r2, err := box.Submit(ctx, bs[2])
			require.NoError(t, err, "the refused ballot was not recorded")
			require.Equal(t, uint64(len(want)), r2.Position)
			want = append(want, nullifierOf(t, bs[2]))
			require.NoError(t, box.End())
			box = s.open(t, dir)
			require.True(t, box.Results().Closed)
			require.Equal(t, want, logBallots(t, box))
			require.NoError(t, box.Close())
		})
	}

	// The close entry's own integration fails: End's outcome is unknown,
	// and Results().Closed of the reopened box tells.
	for _, c := range []struct {
		name   string
		fault  fault
		closed bool
	}{{"close entry lost", lose, false}, {"close entry written, reported failed", misreport, true}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			box := openFaulty(t, s, dir, at(1, c.fault), nil)
			_, err := box.Submit(ctx, bs[0])
			require.NoError(t, err)
			requireUnknown(t, box.End())
			_, err = box.Submit(ctx, bs[1])
			require.Error(t, err)
			box = s.open(t, dir)
			require.Equal(t, c.closed, box.Results().Closed)
			require.Equal(t, uint64(1), box.Results().Ballots)
			require.NoError(t, box.End())
			require.True(t, box.Results().Closed)
		})
	}
}

// TestBoxFailedBatch: ballots submitted together go to Tessera as one
// batch; when one entry of it fails, the entries before it are
// acknowledged, it and every later one of the batch get ErrOutcomeUnknown
// (the later ones were written, at the indices the lost one left), and
// every ballot after gets ErrBoxFailed alone. After a reopen each client
// learns its outcome by resubmitting: ErrDuplicateNullifier exactly for
// the ballots in the log.
func TestBoxFailedBatch(t *testing.T) {
	s := newStubWorld(t, testLogKeys())
	ctx := context.Background()
	bs := s.ballots(t, 8)
	dir := t.TempDir()
	// Ballot 0's entry holds the commit loop until the next six are
	// queued, so they form one batch; its third entry (entry 3) is lost.
	gate := make(chan struct{})
	held := make(chan struct{})
	wrap := faultyLog(at(3, lose), nil)
	box, err := OpenBoxWrapped(dir, s.params, s.vk, testBoxOptions(), func(add tessera.AddFn) tessera.AddFn {
		inner := wrap(add)
		first := true
		return func(ctx context.Context, e *tessera.Entry) tessera.IndexFuture {
			if e.Data()[0] != 0 && first {
				first = false
				close(held)
				<-gate
			}
			return inner(ctx, e)
		}
	})
	require.NoError(t, err)
	errs := make([]error, 7)
	var wg sync.WaitGroup
	wg.Go(func() { _, errs[0] = box.Submit(ctx, bs[0]) })
	<-held
	for i := 1; i < 7; i++ {
		wg.Go(func() { _, errs[i] = box.Submit(ctx, bs[i]) })
	}
	time.Sleep(300 * time.Millisecond) // six verifications and enqueues
	close(gate)
	wg.Wait()
	_, err = box.Submit(ctx, bs[7])
	requireFailed(t, err)

	var acked, unknown []int
	for i, err := range errs {
		switch {
		case err == nil:
			acked = append(acked, i)
		case errors.Is(err, ErrOutcomeUnknown):
			requireUnknown(t, err)
			unknown = append(unknown, i)
		default:
			requireFailed(t, err, "ballot %d", i)
		}
	}
	require.Contains(t, acked, 0)
	require.Len(t, acked, 3, "ballot 0 and the batch's first two entries: %v", errs)
	require.Len(t, unknown, 4, "the batch's lost entry and the three after it: %v", errs)
	require.Equal(t, uint64(3), box.Results().Ballots)
	require.Error(t, box.End())

	box = s.open(t, dir)
	inLog := map[fr.Element]bool{}
	for _, n := range logBallots(t, box) {
		inLog[n] = true
	}
	require.Len(t, inLog, 6, "three acknowledged, three written after the lost one")
	for _, i := range acked {
		require.True(t, inLog[nullifierOf(t, bs[i])], "acknowledged ballot %d", i)
	}
	for i := range bs {
		_, err := box.Submit(ctx, bs[i])
		if inLog[nullifierOf(t, bs[i])] {
			require.ErrorIs(t, err, ErrDuplicateNullifier, "ballot %d is in the log", i)
		} else {
			require.NoError(t, err, "ballot %d was not recorded", i)
			require.False(t, slices.Contains(acked, i))
		}
	}
	require.Equal(t, uint64(len(bs)), box.Results().Ballots)
	require.Len(t, logBallots(t, box), len(bs))
	require.NoError(t, box.Close())
}

func mustParseBallot(t *testing.T, data []byte) *Ballot {
	t.Helper()
	b, err := ParseBallot(data)
	require.NoError(t, err)
	return b
}

// usedFiles returns the paths, relative to the box directory, of the
// entry bundles and hash tiles of the tree the box's tree state holds: the
// files the log's current state is read from.
func usedFiles(t *testing.T, dir string, size uint64) (bundles, tiles []string) {
	t.Helper()
	for i := uint64(0); i <= (size-1)/layout.EntryBundleWidth; i++ {
		bundles = append(bundles, logFile(layout.EntriesPath(i, layout.PartialTileSize(0, i, size))))
	}
	for level, n := uint64(0), size; n > 1 || level == 0; level, n = level+1, (n+layout.TileWidth-1)/layout.TileWidth {
		for i := uint64(0); i <= (n-1)/layout.TileWidth; i++ {
			tiles = append(tiles, logFile(layout.TilePath(level, i, layout.PartialTileSize(level, i, size))))
		}
	}
	for _, f := range append(slices.Clone(bundles), tiles...) {
		_, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, "the log has no %s", f)
	}
	return bundles, tiles
}

// TestBoxLogDamage: a box's log damaged on disk (an entry bundle or a hash
// tile with a flipped byte, cut short or deleted; the checkpoint damaged,
// deleted or signed by another key; the tree state damaged or deleted;
// another election's parameters or log) is refused by OpenBox with
// ErrCorrupt, or ErrWrongElection for another election's, and the files
// are left exactly as they were.
func TestBoxLogDamage(t *testing.T) {
	s := newStubWorld(t, testLogKeys())
	ctx := context.Background()
	bs := s.ballots(t, 300)
	dir := t.TempDir()
	box := s.open(t, dir)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < len(bs); i += 8 {
				if _, err := box.Submit(ctx, bs[i]); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, box.End())
	const size = 1 + 300 + 1 // header, ballots, close
	bundles, tiles := usedFiles(t, dir, size)
	require.Len(t, bundles, 2, "a full bundle and a partial one")
	// The superseded partial bundles and tiles, which the tree no longer
	// reads (Tessera's garbage collector removes them in time), go, to
	// keep the copies below small.
	used := map[string]bool{}
	for _, f := range append(slices.Clone(bundles), tiles...) {
		used[f] = true
	}
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, LogDirName, "tile"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || used[rel] {
			return err
		}
		return os.Remove(path)
	}))

	// Another election (another ID, the same box key) in its own box.
	other := *s.params
	other.ElectionID = fe(3)
	os2 := &stubWorld{ccs: s.ccs, pk: s.pk, vk: s.vk, params: &other}
	otherDir := t.TempDir()
	ob := os2.open(t, otherDir)
	_, err := ob.Submit(ctx, os2.ballot(t, 1, 0))
	require.NoError(t, err)
	require.NoError(t, ob.End())
	otherEnc, err := other.Encode()
	require.NoError(t, err)

	otherKey, _ := testkeys.Key("zkvote.test/box-other")
	otherSigner, err := note.NewSigner(otherKey)
	require.NoError(t, err)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		return b
	}
	cp := read(logFile(logCheckpoint))
	type damage func(dir string) error
	write := func(name string, data []byte) damage {
		return func(dir string) error { return os.WriteFile(filepath.Join(dir, name), data, 0o600) }
	}
	flip := func(name string, at int) damage {
		b := bytes.Clone(read(name))
		if at < 0 {
			at += len(b)
		}
		b[at] ^= 0x01
		return write(name, b)
	}
	cut := func(name string, n int) damage { return write(name, read(name)[:n]) }
	remove := func(name string) damage {
		return func(dir string) error { return os.Remove(filepath.Join(dir, name)) }
	}
	type damageCase struct {
		damage damage
		want   error
	}
	cases := map[string]damageCase{}
	for _, f := range bundles {
		n := len(read(f))
		for _, at := range []int{0, 1, 2, 37, n / 2, n - 1} {
			cases[fmt.Sprintf("%s: byte %d flipped", f, at)] = damageCase{flip(f, at), ErrCorrupt}
		}
		cases[f+": cut by a byte"] = damageCase{cut(f, n-1), ErrCorrupt}
		cases[f+": cut in half"] = damageCase{cut(f, n/2), ErrCorrupt}
		cases[f+": deleted"] = damageCase{remove(f), ErrCorrupt}
	}
	for _, f := range tiles {
		cases[f+": last hash flipped"] = damageCase{flip(f, -1), ErrCorrupt}
	}
	cpf, tsf := logFile(logCheckpoint), logFile(logTreeState)
	for name, c := range map[string]damageCase{
		"checkpoint: root flipped":          {flip(cpf, bytes.IndexByte(cp, '\n')+6), ErrCorrupt},
		"checkpoint: signature flipped":     {flip(cpf, -5), ErrCorrupt},
		"checkpoint: cut":                   {cut(cpf, len(cp)/2), ErrCorrupt},
		"checkpoint: deleted":               {remove(cpf), ErrCorrupt},
		"checkpoint: another key's":         {write(cpf, signCheckpoint(t, otherSigner, size, treeHashOfDir(t, dir, size))), ErrCorrupt},
		"checkpoint: another root":          {write(cpf, signCheckpoint(t, testBoxSigner, size, tlog.Hash{})), ErrCorrupt},
		"tree state: deleted":               {remove(tsf), ErrCorrupt},
		"tree state: garbage":               {write(tsf, []byte("{\"size\":30")), ErrCorrupt},
		"params: another election's":        {write(ParamsFile, otherEnc), ErrWrongElection},
		"params: damaged":                   {flip(ParamsFile, 0), ErrCorrupt},
		"log: another election's, same key": {func(d string) error { return replaceLog(d, otherDir) }, ErrWrongElection},
	} {
		cases[name] = c
	}
	for name, c := range cases {
		d := copyDir(t, dir)
		require.NoError(t, c.damage(d), name)
		before := dirFiles(t, d)
		box, err := OpenBox(ctx, d, s.params, s.vk, testBoxOptions())
		if err == nil {
			box.Close()
		}
		if !assertErrorIs(t, err, c.want, name) {
			continue
		}
		require.Equal(t, before, dirFiles(t, d), "%s: the refused open changed the files", name)
	}
	// Another election's whole directory.
	before := dirFiles(t, otherDir)
	_, err = OpenBox(ctx, otherDir, s.params, s.vk, testBoxOptions())
	require.ErrorIs(t, err, ErrWrongElection)
	require.Equal(t, before, dirFiles(t, otherDir))
	// The undamaged copy opens with every ballot.
	box = s.open(t, copyDir(t, dir))
	require.Equal(t, uint64(300), box.Results().Ballots)
	require.True(t, box.Results().Closed)
	require.NoError(t, box.Close())
}

// assertErrorIs reports (and counts as a failure) an err that does not
// wrap want, and returns whether it does: every case of a table is tried.
func assertErrorIs(t *testing.T, err, want error, name string) bool {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: OpenBox returned %v, want %v", name, err, want)
		return false
	}
	return true
}

// replaceLog replaces the log of the box directory dir by a copy of the
// log of the box directory from.
func replaceLog(dir, from string) error {
	if err := os.RemoveAll(filepath.Join(dir, LogDirName)); err != nil {
		return err
	}
	return os.CopyFS(filepath.Join(dir, LogDirName), os.DirFS(filepath.Join(from, LogDirName)))
}

// treeHashOfDir recomputes the root of the box's log from its entries.
func treeHashOfDir(t *testing.T, dir string, size uint64) tlog.Hash {
	t.Helper()
	var entries [][]byte
	for i := uint64(0); i <= (size-1)/layout.EntryBundleWidth; i++ {
		b, err := os.ReadFile(filepath.Join(dir, logFile(layout.EntriesPath(i, layout.PartialTileSize(0, i, size)))))
		require.NoError(t, err)
		for len(b) > 0 {
			n := int(b[0])<<8 | int(b[1])
			entries = append(entries, b[2:2+n])
			b = b[2+n:]
		}
	}
	require.Len(t, entries, int(size))
	return treeHash(entryHashes(entries))
}

// TestBoxDamagedBallot: a log whose checkpoint the box's key signed but
// that holds a ballot that does not parse (a box of another version, or a
// forger with the key) is refused with ErrCorrupt naming the ballot, and
// left as it is; so is one holding another election's header.
func TestBoxDamagedBallot(t *testing.T) {
	s := newStubWorld(t, testLogKeys())
	enc, err := s.params.Encode()
	require.NoError(t, err)
	digest, err := s.params.Digest()
	require.NoError(t, err)
	other := *s.params
	other.ElectionID = fe(3)
	otherDigest, err := other.Digest()
	require.NoError(t, err)
	good := append([]byte{RecBallot}, s.ballot(t, 1, 0)...)
	bad := append([]byte{RecBallot}, s.ballot(t, 2, 1)...)
	bad = bad[:len(bad)-1] // its proof cut short
	for name, c := range map[string]struct {
		entries [][]byte
		want    error
		says    string
	}{
		"a ballot that does not parse": {[][]byte{Header(digest), good, bad, {RecClosed}}, ErrCorrupt, "ballot 1: "},
		"another election's header":    {[][]byte{Header(otherDigest), good}, ErrWrongElection, ""},
	} {
		dir := t.TempDir()
		craftBox(t, dir, enc, c.entries)
		before := dirFiles(t, dir)
		_, err := OpenBox(context.Background(), dir, s.params, s.vk, testBoxOptions())
		require.ErrorIs(t, err, c.want, name)
		require.ErrorContains(t, err, c.says, name)
		require.Equal(t, before, dirFiles(t, dir), name)
	}
}

// TestBoxCrashStates: the states a crash of the box leaves open with what
// Tessera integrated. Entries written to a bundle and tiles but not
// integrated (the tree state not yet updated) are dropped, and the box
// writes over them; entries integrated but not yet in a published
// checkpoint count, and the next checkpoint, consistent with the last
// one, publishes them; temporary files are ignored.
func TestBoxCrashStates(t *testing.T) {
	s := newStubWorld(t, testLogKeys())
	ctx := context.Background()
	bs := s.ballots(t, 5)
	dir := t.TempDir()
	box := s.open(t, dir)
	for _, b := range bs[:3] {
		_, err := box.Submit(ctx, b)
		require.NoError(t, err)
	}
	require.NoError(t, box.Close())
	saved := map[string][]byte{}
	for _, f := range []string{logCheckpoint, logTreeState} {
		b, err := os.ReadFile(filepath.Join(dir, logFile(f)))
		require.NoError(t, err)
		saved[f] = b
	}
	box = s.open(t, dir)
	res3 := box.Results()
	_, err := box.Submit(ctx, bs[3])
	require.NoError(t, err)
	res4 := box.Results()
	require.NoError(t, box.Close())
	policy, err := s.params.Log.Policy()
	require.NoError(t, err)

	t.Run("written, not integrated", func(t *testing.T) {
		d := copyDir(t, dir)
		for f, b := range saved {
			writeBoxFile(t, d, logFile(f), b)
		}
		box := s.open(t, d)
		require.Equal(t, res3, box.Results())
		r, err := box.Submit(ctx, bs[4])
		require.NoError(t, err, "the entry's place is free again")
		require.Equal(t, uint64(3), r.Position)
		require.NoError(t, box.Prove(ctx, r))
		require.NoError(t, VerifyReceipt(s.params, r, mustParseBallot(t, bs[4])))
		l, err := ReadLog(exportLog(t, box))
		require.NoError(t, err)
		require.Len(t, l.Ballots, 4)
		require.NoError(t, l.CheckReceipt(r))
		_, err = box.Submit(ctx, bs[3])
		require.NoError(t, err, "the dropped ballot was never acknowledged")
		require.NoError(t, box.Close())
	})
	t.Run("integrated, not published", func(t *testing.T) {
		d := copyDir(t, dir)
		writeBoxFile(t, d, logFile(logCheckpoint), saved[logCheckpoint])
		box := s.open(t, d)
		require.Equal(t, res4, box.Results())
		_, err := box.Submit(ctx, bs[3])
		require.ErrorIs(t, err, ErrDuplicateNullifier)
		cp := awaitCheckpoint(t, box)
		proof, err := ConsistencyProof(ctx, LogDir(filepath.Join(d, LogDirName)), 4, 5)
		require.NoError(t, err)
		require.NoError(t, policy.VerifyConsistent(saved[logCheckpoint], cp, proof))
		require.NoError(t, box.Close())
	})
	t.Run("temporary files", func(t *testing.T) {
		d := copyDir(t, dir)
		writeBoxFile(t, d, logFile(logCheckpoint)+"1298498081", []byte("zkvote.test/box\n9\n"))
		writeBoxFile(t, d, logFile(logTreeState)+"5577006791", []byte("{"))
		writeBoxFile(t, d, logFile(layout.EntriesPath(0, 5))+"8674665223", []byte{0xff})
		box := s.open(t, d)
		require.Equal(t, res4, box.Results())
		require.NoError(t, box.Close())
	})
}

// TestBoxCloseRace: Close while many Submits are in flight. Every Submit
// that returned a receipt is in the reopened log at its position, every
// one that returned an error (ErrClosed: refused before it was queued) is
// not. Run it under -race.
func TestBoxCloseRace(t *testing.T) {
	s := newStubWorld(t, testLogKeys())
	ctx := context.Background()
	data := s.ballots(t, 24)
	for round := range 8 {
		dir := t.TempDir()
		box := s.open(t, dir)
		receipts := make([]*Receipt, len(data))
		errs := make([]error, len(data))
		returned := make(chan struct{}, len(data))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range data {
			wg.Go(func() {
				<-start
				receipts[i], errs[i] = box.Submit(ctx, data[i])
				returned <- struct{}{}
			})
		}
		close(start)
		// Close after 3·round Submits have returned: early rounds race
		// the first commits, later ones the last.
		for range 3 * round {
			<-returned
		}
		require.NoError(t, box.Close())
		wg.Wait()
		require.NoError(t, box.Close(), "a second Close")

		box = s.open(t, dir)
		l, err := ReadLog(exportLog(t, box))
		require.NoError(t, err)
		require.NoError(t, box.Close())
		inLog := map[fr.Element]bool{}
		for _, b := range l.Ballots {
			inLog[b.Nullifier()] = true
		}
		acked := 0
		for i := range data {
			n := nullifierOf(t, data[i])
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

// TestBoxEndAfterClose: End cannot write its close entry after Close: it
// says so, and the reopened election still takes ballots until an End that
// returns nil.
func TestBoxEndAfterClose(t *testing.T) {
	s := newStubWorld(t, testLogKeys())
	ctx := context.Background()
	bs := s.ballots(t, 3)
	dir := t.TempDir()
	box := s.open(t, dir)
	_, err := box.Submit(ctx, bs[0])
	require.NoError(t, err)
	require.NoError(t, box.Close())
	require.Error(t, box.End(), "End after Close wrote no close entry")
	require.False(t, box.Results().Closed)
	_, err = box.Submit(ctx, bs[1])
	require.ErrorIs(t, err, ErrClosed)

	box = s.open(t, dir)
	require.False(t, box.Results().Closed, "the election is still open")
	_, err = box.Submit(ctx, bs[1])
	require.NoError(t, err)
	require.NoError(t, box.End())
	require.True(t, box.Results().Closed)
	require.NoError(t, box.End(), "ending twice")
	require.NoError(t, box.Close())

	box = s.open(t, dir)
	require.True(t, box.Results().Closed)
	require.Equal(t, uint64(2), box.Results().Ballots)
	_, err = box.Submit(ctx, bs[2])
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, box.End(), "ending an ended election again")
	l, err := ReadLog(exportLog(t, box))
	require.NoError(t, err)
	require.True(t, l.Closed)
	require.Len(t, l.Ballots, 2)
}
