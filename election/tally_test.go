package election_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

func TestTallyAndAudit(t *testing.T) {
	w := testWorld(t)
	tk := testTallyKeys(t)
	ctx := context.Background()
	box := openTestBox(t, w, t.TempDir())
	for i := range 7 { // two batches: 4 + 3
		_, err := box.Submit(ctx, ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, box.End())
	want := box.Results()
	var logBuf bytes.Buffer
	require.NoError(t, box.ExportLog(context.Background(), &logBuf))
	l, err := ReadLog(logBuf.Bytes())
	require.NoError(t, err)
	require.True(t, l.Closed)
	require.Len(t, l.Ballots, 7)

	var calls int
	tallies, err := prover.ProveTally(ctx, tk, w.params, l.Ballots, func(done, total int) { calls++; require.Equal(t, 2, total) })
	require.NoError(t, err)
	require.Len(t, tallies, 2)
	require.Equal(t, 2, calls)

	// The tally file round-trips.
	file := EncodeTallyProofs(tallies)
	back, err := ParseTallyProofs(file)
	require.NoError(t, err)
	require.Equal(t, file, EncodeTallyProofs(back))

	got, err := Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), file)
	require.NoError(t, err)
	require.Equal(t, want, *got)

	auditErr := func(err error) *AuditError {
		var ae *AuditError
		require.True(t, errors.As(err, &ae), "%v", err)
		return ae
	}
	// A missing, swapped or foreign tally proof.
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), EncodeTallyProofs(tallies[:1]))
	require.ErrorIs(t, err, ErrTallyMismatch)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), EncodeTallyProofs([]*verifier.Proof{tallies[1], tallies[0]}))
	require.Equal(t, 0, auditErr(err).Index)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), EncodeTallyProofs(nil))
	require.ErrorIs(t, err, ErrTallyMismatch)

	// A log with one ballot dropped no longer matches the tally proofs.
	raw := make([][]byte, len(l.Ballots))
	for i, b := range l.Ballots {
		raw[i] = b.Bytes()
	}
	dropped := buildLog(t, w.params, append(append([][]byte{}, raw[:2]...), raw[3:]...), true)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), dropped, file)
	require.ErrorIs(t, err, ErrTallyMismatch)
	// Reordered ballots: same results, other chain.
	reordered := buildLog(t, w.params, append([][]byte{raw[1], raw[0]}, raw[2:]...), true)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), reordered, file)
	require.ErrorIs(t, err, ErrTallyMismatch)
	// A ballot repeated in the log: the audit names it.
	dup := buildLog(t, w.params, append(append([][]byte{}, raw...), raw[4]), true)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), dup, file)
	ae := auditErr(err)
	require.Equal(t, "ballot", ae.What)
	require.Equal(t, 7, ae.Index)
	require.ErrorIs(t, err, ErrDuplicateNullifier)
	// A ballot whose vote was changed after proving: its proof fails.
	forged := withPublic(t, raw[5], func(v *statement.VotePublic) {
		v.Votes[0], v.Votes[2] = v.Votes[2], v.Votes[0] // voter 5 chose option 2
	})
	bad := append(append([][]byte{}, raw[:5]...), forged, raw[6])
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), buildLog(t, w.params, bad, true), file)
	ae = auditErr(err)
	require.Equal(t, 5, ae.Index)
	require.ErrorIs(t, err, verifier.ErrInvalidProof)
	// Another election's parameters.
	other := *w.params
	other.ElectionID = fe(3)
	_, err = Audit(ctx, &other, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), file)
	require.ErrorIs(t, err, ErrWrongElection)
	// A truncated export.
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes()[:logBuf.Len()-3], file)
	require.ErrorIs(t, err, ErrCorrupt)
	// Keys swapped.
	_, err = Audit(ctx, w.params, tk.VerifyingKey(), w.keys.VerifyingKey(), logBuf.Bytes(), file)
	require.Error(t, err)
}

func TestTallyEmptyLog(t *testing.T) {
	w := testWorld(t)
	tk := testTallyKeys(t)
	ctx := context.Background()
	log := buildLog(t, w.params, nil, true)
	l, err := ReadLog(log)
	require.NoError(t, err)
	tallies, err := prover.ProveTally(ctx, tk, w.params, l.Ballots, nil)
	require.NoError(t, err)
	require.Len(t, tallies, 1)
	res, err := Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), log, EncodeTallyProofs(tallies))
	require.NoError(t, err)
	require.Equal(t, uint64(0), res.Ballots)
	require.Equal(t, []uint64{0, 0, 0}, res.Totals)
}

func TestReadLogRejects(t *testing.T) {
	w := testWorld(t)
	good := buildLog(t, w.params, [][]byte{ballotOf(t, w, 0).Bytes()}, true)
	_, err := ReadLog(good)
	require.NoError(t, err)
	_, _, entries := exportParts(t, good)
	b1 := append([]byte{RecBallot}, ballotOf(t, w, 1).Bytes()...)
	for name, bad := range map[string][][]byte{
		"a ballot after the close entry": append(append([][]byte{}, entries...), b1),
		"an unknown entry":               {entries[0], entries[1], {9}},
		"a close entry with a payload":   {entries[0], entries[1], {RecClosed, 0}},
		"an empty entry":                 {entries[0], {}, entries[1]},
		"no header":                      entries[1:],
		"no entries":                     nil,
	} {
		_, err = ReadLog(reExport(t, w.params, bad))
		require.ErrorIs(t, err, ErrCorrupt, name)
	}
	// Bytes after the checkpoint's entries, and every cut.
	_, err = ReadLog(append(bytes.Clone(good), 0, 1, 9))
	require.ErrorIs(t, err, ErrCorrupt)
	for n := 0; n < len(good); n += 13 {
		_, err := ReadLog(good[:n])
		require.ErrorIs(t, err, ErrCorrupt, n)
	}
	_, err = ParseTallyProofs([]byte("ZKVOTETL\x01\xff\xff\xff\xff"))
	require.ErrorIs(t, err, ErrMalformedTally)
}

func FuzzReadLog(f *testing.F) {
	p := &Params{Log: testLogKeys(), DeploymentID: fe(1), ElectionID: fe(2), Question: "q", Options: []string{"a", "b"}, Census: []membership.Head{{Size: 1, Root: fe(5)}}, Rules: SingleChoice(), Depth: 4, MaxOptions: 4,
		VoteKey: testPin(1), TallyKey: testPin(2)}
	f.Add(buildLog(f, p, nil, false))
	f.Add(buildLog(f, p, nil, true))
	f.Add([]byte(BoxMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ReadLog(data)
		if err != nil {
			return
		}
		again := buildLogFrom(t, l)
		require.Equal(t, data, again, "decode→encode is not exact")
	})
}

func buildLogFrom(t *testing.T, l *Log) []byte {
	raw := make([][]byte, len(l.Ballots))
	for i, b := range l.Ballots {
		raw[i] = b.Bytes()
	}
	return buildLog(t, l.Params, raw, l.Closed)
}

func FuzzParseTallyProofs(f *testing.F) {
	f.Add(EncodeTallyProofs(nil))
	f.Add([]byte("ZKVOTETL\x01\x00\x00\x00\x01\x00\x00\x00\x05abcde"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ParseTallyProofs(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedTally)
			return
		}
		require.Equal(t, data, EncodeTallyProofs(ps))
	})
}

// auditFixture returns the closed log of ballots 0 to 2 of the test world
// and its tally file (one proof).
func auditFixture(t *testing.T, w *world) (log, file []byte) {
	t.Helper()
	log = buildLog(t, w.params, [][]byte{ballotOf(t, w, 0).Bytes(), ballotOf(t, w, 1).Bytes(), ballotOf(t, w, 2).Bytes()}, true)
	l, err := ReadLog(log)
	require.NoError(t, err)
	tallies, err := prover.ProveTally(context.Background(), testTallyKeys(t), w.params, l.Ballots, nil)
	require.NoError(t, err)
	return log, EncodeTallyProofs(tallies)
}

// TestAuditTallyFile: Audit takes the tally file as published bytes; one
// that does not parse is an *AuditError "tally file" at index -1 wrapping
// ErrMalformedTally. A file that parses but holds a proof that is not a
// tally proof fails as that proof.
func TestAuditTallyFile(t *testing.T) {
	w := testWorld(t)
	tk := testTallyKeys(t)
	ctx := context.Background()
	log, file := auditFixture(t, w)
	res, err := Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), log, file)
	require.NoError(t, err)
	require.Equal(t, uint64(3), res.Ballots)

	bad := map[string][]byte{
		"nil":            nil,
		"empty":          {},
		"junk":           []byte("junk"),
		"a log":          log,
		"version 2":      append(append([]byte("ZKVOTETL"), 2), file[9:]...),
		"trailing byte":  append(bytes.Clone(file), 0),
		"one proof more": append(append(bytes.Clone(file[:9]), 0, 0, 0, 2), file[13:]...),
	}
	for _, n := range []int{8, 9, 12, 13, 16, 17, len(file) / 2, len(file) - 1} {
		bad[fmt.Sprintf("cut to %d", n)] = file[:n]
	}
	for name, data := range bad {
		_, err := Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), log, data)
		var ae *AuditError
		require.ErrorAs(t, err, &ae, name)
		require.Equal(t, "tally file", ae.What, name)
		require.Equal(t, -1, ae.Index, name)
		require.ErrorIs(t, err, ErrMalformedTally, name)
		require.Contains(t, err.Error(), "audit: tally file: ", name)
	}

	// A well-formed file holding a ballot instead of a tally proof.
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), log,
		EncodeTallyProofs([]*verifier.Proof{ballotOf(t, w, 0).Proof()}))
	var ae *AuditError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "tally proof", ae.What)
	require.Equal(t, 0, ae.Index)
	require.NotErrorIs(t, err, ErrMalformedTally)
}

// cancelAt is a context that its n-th Err call cancels (never for n = 0);
// calls counts the Err calls.
type cancelAt struct {
	context.Context
	cancel context.CancelFunc
	n      int64
	calls  atomic.Int64
}

func newCancelAt(t *testing.T, n int64) *cancelAt {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return &cancelAt{Context: ctx, cancel: cancel, n: n}
}

func (c *cancelAt) Err() error {
	if c.calls.Add(1) == c.n {
		c.cancel()
	}
	return c.Context.Err()
}

// TestAuditContext: Audit returns context.Canceled, not an *AuditError,
// for a context cancelled before the call, and for one cancelled at any
// of the points where it is consulted: before, during (inside the batch
// verification of the ballots) and after the verification.
func TestAuditContext(t *testing.T) {
	w := testWorld(t)
	tk := testTallyKeys(t)
	log, file := auditFixture(t, w)
	audit := func(ctx context.Context) error {
		_, err := Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), log, file)
		return err
	}
	canceled := func(err error, msg string) {
		t.Helper()
		require.ErrorIs(t, err, context.Canceled, msg)
		var ae *AuditError
		require.False(t, errors.As(err, &ae), "%s: %v", msg, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	canceled(audit(ctx), "cancelled before the call")

	// Never cancelled: it passes, and counts the checks. Audit checks the
	// context once before and once after the ballots' verification, so
	// every check between is verifier.VerifyBatch's.
	count := newCancelAt(t, 0)
	require.NoError(t, audit(count))
	checks := count.calls.Load()
	t.Logf("Audit consulted the context %d times", checks)
	require.GreaterOrEqual(t, checks, int64(3), "the batch verification does not consult the context")
	for k := int64(1); k <= checks; k++ {
		c := newCancelAt(t, k)
		canceled(audit(c), fmt.Sprintf("cancelled at check %d of %d", k, checks))
	}
}
