package election_test

// Attacks on the ballot log found by a security review of the box on
// Tessera, kept as regression tests: a mirror that alters entries, a
// forged state file, a full resource in place of a partial one at the log's
// edge, a wrapped position, a witness that streams an endless answer, and
// a concurrent mix of all the box's calls.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/api/layout"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/witness"
)

// bundleOf encodes entries as a tlog-tiles entry bundle.
func bundleOf(entries [][]byte) []byte {
	var out []byte
	for _, e := range entries {
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out
}

// readBundleFile splits a bundle file of the box's log into its entries.
func readBundleFile(t *testing.T, path string) [][]byte {
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var out [][]byte
	for len(raw) > 0 {
		n := int(binary.BigEndian.Uint16(raw))
		out = append(out, bytes.Clone(raw[2:2+n]))
		raw = raw[2+n:]
	}
	return out
}

// AuditLog must not report a fault of the *signed* log (a duplicate nullifier)
// for entries a mirror served that do not even hash to the checkpoint: the
// streaming audit judges ballots before it authenticates them. Expected:
// ErrCorrupt (the served entries are not the checkpoint's), never an
// accusation naming a ballot.
func TestAuditLogBlamesOnlyAuthenticatedEntries(t *testing.T) {
	ctx := context.Background()
	w := testWorld(t)
	dir := t.TempDir()
	box := openTestBox(t, w, dir)
	for i := range 3 {
		_, err := box.Submit(ctx, ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
	}
	awaitCheckpoint(t, box)
	require.NoError(t, box.Close())

	// A mirror (or MITM) of the published log serves ballot 0 again in
	// place of ballot 2, with the box's real checkpoint and tiles.
	path := filepath.Join(dir, logFile(layout.EntriesPath(0, 4)))
	entries := readBundleFile(t, path)
	require.Len(t, entries, 4)
	entries[3] = entries[1]
	require.NoError(t, os.WriteFile(path, bundleOf(entries), 0o600))

	_, err := AuditLog(ctx, w.params, w.keys.VerifyingKey(), testTallyKeys(t).VerifyingKey(),
		LogDir(filepath.Join(dir, LogDirName)), EncodeTallyProofs(nil))
	require.Error(t, err)
	t.Logf("AuditLog: %v", err)
	require.ErrorIs(t, err, ErrCorrupt, "the served entries do not hash to the checkpoint; the audit must not blame ballot 2")
	require.NotErrorIs(t, err, ErrDuplicateNullifier)
}

// Anyone who can write the box's directory (not the box key) edits the
// state file's nullifier set and recomputes a SHA-256 over it: the MAC,
// keyed by the box's key, refuses it, and the reopened box replays the log
// and refuses the citizen's second ballot.
func TestBoxStateForged(t *testing.T) {
	ctx := context.Background()
	s, dir := closedStubBox(t)
	path := filepath.Join(dir, StateFile)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	body := raw[:len(raw)-sha256.Size]
	// The nullifiers are the last 3×32 bytes of the body; replace every
	// one with values nobody holds, and inflate total 0.
	nulls := body[len(body)-3*32:]
	for i := range 3 {
		x := fe(1000 + uint64(i))
		b := x.Bytes()
		copy(nulls[i*32:], b[:])
	}
	totalsAt := 8 + 1 + 32 + 8 + 32 + 32 + 8 + 8 + 1 + 1
	binary.BigEndian.PutUint64(body[totalsAt:], 1_000_000)
	sum := sha256.Sum256(body)
	forged := append(bytes.Clone(body), sum[:]...)
	require.NoError(t, os.WriteFile(path, forged, 0o600))

	box := s.open(t, dir)
	defer box.Close()
	t.Logf("results after reopening with the forged state: %+v", box.Results().Totals)
	_, err = box.Submit(ctx, s.ballot(t, 2, 0))
	require.ErrorIs(t, err, ErrDuplicateNullifier, "citizen 2 already voted (entry 2 of the log)")
}

// Replay must refuse a full entry bundle served for the partial one at the
// box's own tree size (the partial file removed): a state of the log
// directory Tessera never leaves. Tessera then extends the bundle it reads
// (all 256 entries) and writes a malformed bundle into the published log.
// Expected: OpenBox refuses the directory (ErrCorrupt) and leaves it as it
// is.
func TestBoxReplayRefusesFullBundleForPartial(t *testing.T) {
	s, dir := closedStubBox(t)
	partial := filepath.Join(dir, logFile(layout.EntriesPath(0, 4)))
	entries := readBundleFile(t, partial)
	require.Len(t, entries, 4)
	for len(entries) < 256 {
		entries = append(entries, []byte{9, 9, 9})
	}
	require.NoError(t, os.Remove(partial))
	require.NoError(t, os.WriteFile(filepath.Join(dir, logFile(layout.EntriesPath(0, 0))), bundleOf(entries), 0o600))
	requireRefused(t, s, dir, "a full bundle at the log's partial edge is not Tessera's")
}

// The same for a hash tile: a full level-0 tile (first hashes right,
// the rest garbage) in place of the partial one.
func TestBoxReplayRefusesFullTileForPartial(t *testing.T) {
	s, dir := closedStubBox(t)
	partial := filepath.Join(dir, logFile(layout.TilePath(0, 0, 4)))
	tile, err := os.ReadFile(partial)
	require.NoError(t, err)
	require.Len(t, tile, 4*32)
	full := append(bytes.Clone(tile), bytes.Repeat([]byte{0xAB}, 252*32)...)
	require.NoError(t, os.Remove(partial))
	require.NoError(t, os.WriteFile(filepath.Join(dir, logFile(layout.TilePath(0, 0, 0))), full, 0o600))
	requireRefused(t, s, dir, "a full tile at the log's partial edge is not Tessera's")
}

// closedStubBox returns a closed box's directory whose log holds the
// header and three ballots.
func closedStubBox(t *testing.T) (*stubWorld, string) {
	ctx := context.Background()
	s := newStubWorld(t, testLogKeys())
	dir := t.TempDir()
	box := s.open(t, dir)
	for n := uint64(1); n <= 3; n++ {
		_, err := box.Submit(ctx, s.ballot(t, n, int(n%3)))
		require.NoError(t, err)
	}
	require.NoError(t, box.Close())
	return s, dir
}

// requireRefused requires that opening the box in dir fails with
// ErrCorrupt and changes none of its files.
func requireRefused(t *testing.T, s *stubWorld, dir, why string) {
	t.Helper()
	before := dirFiles(t, dir)
	box, err := OpenBox(context.Background(), dir, s.params, s.vk, testBoxOptions())
	if err == nil {
		box.Close()
	}
	require.ErrorIs(t, err, ErrCorrupt, why)
	require.Equal(t, before, dirFiles(t, dir), "the refused open changed the files")
}

// Box.Prove with Position MaxUint64 wraps to entry 0 and "proves" the
// header as a ballot. Expected: an error.
func TestBoxProvePositionWrap(t *testing.T) {
	ctx := context.Background()
	s := newStubWorld(t, testLogKeys())
	box := s.open(t, t.TempDir())
	defer box.Close()
	_, err := box.Submit(ctx, s.ballot(t, 1, 0))
	require.NoError(t, err)
	r := &Receipt{Position: math.MaxUint64}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err = box.Prove(cctx, r)
	t.Logf("Prove(MaxUint64): %v, checkpoint %d bytes, proof %d hashes", err, len(r.Checkpoint), len(r.Proof))
	require.Error(t, err)
}

// Tessera's witness client reads a witness's whole answer (io.ReadAll):
// the box bounds the bodies its HTTP client returns, so one hostile witness
// cannot make it hold whatever it streams within WitnessTimeout.
func TestBoxWitnessResponseBounded(t *testing.T) {
	_, vkey, err := witness.GenerateKey("witness.example")
	require.NoError(t, err)
	var served atomic.Int64
	const want = 64 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		rw.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte("A"), 1<<20)
		for served.Load() < want {
			n, err := rw.Write(chunk)
			served.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	keys := testLogKeys()
	keys.Witnesses = []string{vkey}
	keys.Quorum = 1
	s := newStubWorld(t, keys)
	opts := testBoxOptions()
	opts.Witnesses = []string{srv.URL}
	opts.WitnessTimeout = 20 * time.Second
	box, err := OpenBox(context.Background(), t.TempDir(), s.params, s.vk, opts)
	if err == nil {
		deadline := time.Now().Add(20 * time.Second)
		for served.Load() < want && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		box.Close()
	} else {
		t.Logf("OpenBox failed with an error string of %d MiB", len(err.Error())>>20)
	}
	t.Logf("the box read %d MiB from one witness response", served.Load()>>20)
	require.Less(t, served.Load(), int64(16<<20), "a witness response should be bounded (a cosignature is under 1 KiB)")
}

// Many clients at once, duplicates, invalid proofs, Prove,
// Results and Close racing. Expect: exactly one ballot per nullifier, no
// data race, and a reopened box agreeing with the closed one.
func TestBoxConcurrentMix(t *testing.T) {
	ctx := context.Background()
	s := newStubWorld(t, testLogKeys())
	dir := t.TempDir()
	box := s.open(t, dir)
	good := s.ballots(t, 24)
	// An invalid proof: ballot 1's proof under ballot 2's public inputs.
	bad := withPublic(t, good[0], func(v *statement.VotePublic) { v.Nullifier = fe(999) })
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for round := range 3 {
		for i, b := range good {
			wg.Go(func() {
				r, err := box.Submit(ctx, b)
				if err == nil {
					accepted.Add(1)
					if round == 0 && i%5 == 0 {
						cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
						box.Prove(cctx, r)
						cancel()
					}
				}
				box.Results()
			})
			wg.Go(func() { box.Submit(ctx, bad) })
		}
	}
	wg.Wait()
	require.Equal(t, int64(len(good)), accepted.Load())
	want := box.Results()
	require.NoError(t, box.Close())
	box = s.open(t, dir)
	defer box.Close()
	require.Equal(t, want, box.Results())
}

// FetchLog, like the audits, names another election only for entries that
// hash to the checkpoint: a mirror that altered the header's digest gets
// ErrCorrupt.
func TestFetchLogHeaderAuthenticated(t *testing.T) {
	s, dir := closedStubBox(t)
	path := filepath.Join(dir, logFile(layout.EntriesPath(0, 4)))
	entries := readBundleFile(t, path)
	entries[0][len(entries[0])-1] ^= 1
	require.NoError(t, os.WriteFile(path, bundleOf(entries), 0o600))
	_, err := FetchLog(context.Background(), s.params, LogDir(filepath.Join(dir, LogDirName)))
	require.ErrorIs(t, err, ErrCorrupt)
	require.NotErrorIs(t, err, ErrWrongElection)
}
