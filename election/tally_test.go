package election

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/verifier"
)

const tBatch = 4

var (
	tallyOnce sync.Once
	tallyKeys *prover.TallyKeys
)

func testTallyKeys(t testing.TB) *prover.TallyKeys {
	tallyOnce.Do(func() {
		k, err := prover.SetupTallyInsecure(context.Background(), tBatch, tOptions)
		require.NoError(t, err)
		tallyKeys = k
	})
	require.NotNil(t, tallyKeys)
	return tallyKeys
}

// buildLog writes a log by hand, as a box (or a forger) would.
func buildLog(t *testing.T, p *Params, ballots [][]byte, closed bool) []byte {
	enc, err := p.Encode()
	require.NoError(t, err)
	out := logHeader(enc)
	for _, b := range ballots {
		out = append(out, wal.Frame(append([]byte{recBallot}, b...))...)
	}
	if closed {
		out = append(out, wal.Frame([]byte{recClosed})...)
	}
	return out
}

func TestTallyAndAudit(t *testing.T) {
	w := testWorld(t)
	tk := testTallyKeys(t)
	ctx := context.Background()
	box := openTestBox(t, w, t.TempDir())
	for i := range 7 { // two batches: 4 + 3
		_, err := box.Submit(ctx, ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, box.Close())
	want := box.Results()
	var logBuf bytes.Buffer
	require.NoError(t, box.ExportLog(&logBuf))
	l, err := ReadLog(logBuf.Bytes())
	require.NoError(t, err)
	require.True(t, l.Closed)
	require.Len(t, l.Ballots, 7)

	var calls int
	tallies, err := ProveTally(ctx, tk, w.params, l.Ballots, func(done, total int) { calls++; require.Equal(t, 2, total) })
	require.NoError(t, err)
	require.Len(t, tallies, 2)
	require.Equal(t, 2, calls)

	// The tally file round-trips.
	file := EncodeTallyProofs(tallies)
	back, err := ParseTallyProofs(file)
	require.NoError(t, err)
	require.Equal(t, file, EncodeTallyProofs(back))

	got, err := Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), back)
	require.NoError(t, err)
	require.Equal(t, want, *got)

	auditErr := func(err error) *AuditError {
		var ae *AuditError
		require.True(t, errors.As(err, &ae), "%v", err)
		return ae
	}
	// A missing, swapped or foreign tally proof.
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), tallies[:1])
	require.ErrorIs(t, err, ErrTallyMismatch)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), []*verifier.Proof{tallies[1], tallies[0]})
	require.Equal(t, 0, auditErr(err).Index)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), nil)
	require.ErrorIs(t, err, ErrTallyMismatch)

	// A log with one ballot dropped no longer matches the tally proofs.
	raw := make([][]byte, len(l.Ballots))
	for i, b := range l.Ballots {
		raw[i] = b.Bytes()
	}
	dropped := buildLog(t, w.params, append(append([][]byte{}, raw[:2]...), raw[3:]...), true)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), dropped, tallies)
	require.ErrorIs(t, err, ErrTallyMismatch)
	// Reordered ballots: same results, other chain.
	reordered := buildLog(t, w.params, append([][]byte{raw[1], raw[0]}, raw[2:]...), true)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), reordered, tallies)
	require.ErrorIs(t, err, ErrTallyMismatch)
	// A ballot repeated in the log: the audit names it.
	dup := buildLog(t, w.params, append(append([][]byte{}, raw...), raw[4]), true)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), dup, tallies)
	ae := auditErr(err)
	require.Equal(t, "ballot", ae.What)
	require.Equal(t, 7, ae.Index)
	require.ErrorIs(t, err, ErrDuplicateNullifier)
	// A ballot whose vote was changed after proving: its proof fails.
	forged := bytes.Clone(raw[5])
	p5, err := verifier.ParseProof(forged)
	require.NoError(t, err)
	p5.Public[sigVotes], p5.Public[sigVotes+2] = p5.Public[sigVotes+2], p5.Public[sigVotes] // voter 5 chose option 2
	bad := append(append([][]byte{}, raw[:5]...), p5.Bytes(), raw[6])
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), buildLog(t, w.params, bad, true), tallies)
	ae = auditErr(err)
	require.Equal(t, 5, ae.Index)
	require.ErrorIs(t, err, verifier.ErrInvalidProof)
	// Another election's parameters.
	other := *w.params
	other.ElectionID = fe(3)
	_, err = Audit(ctx, &other, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), tallies)
	require.ErrorIs(t, err, ErrWrongElection)
	// A truncated export.
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes()[:logBuf.Len()-3], tallies)
	require.ErrorIs(t, err, ErrBoxCorrupt)
	// Keys swapped.
	_, err = Audit(ctx, w.params, tk.VerifyingKey(), w.keys.VerifyingKey(), logBuf.Bytes(), tallies)
	require.Error(t, err)
}

func TestTallyEmptyLog(t *testing.T) {
	w := testWorld(t)
	tk := testTallyKeys(t)
	ctx := context.Background()
	log := buildLog(t, w.params, nil, true)
	l, err := ReadLog(log)
	require.NoError(t, err)
	tallies, err := ProveTally(ctx, tk, w.params, l.Ballots, nil)
	require.NoError(t, err)
	require.Len(t, tallies, 1)
	res, err := Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), log, tallies)
	require.NoError(t, err)
	require.Equal(t, uint64(0), res.Ballots)
	require.Equal(t, []uint64{0, 0, 0}, res.Totals)
}

func TestReadLogRejects(t *testing.T) {
	w := testWorld(t)
	good := buildLog(t, w.params, [][]byte{ballotOf(t, w, 0).Bytes()}, true)
	_, err := ReadLog(good)
	require.NoError(t, err)
	after := append(bytes.Clone(good), wal.Frame(append([]byte{recBallot}, ballotOf(t, w, 1).Bytes()...))...)
	_, err = ReadLog(after)
	require.ErrorIs(t, err, ErrBoxCorrupt, "a ballot after the close record")
	_, err = ReadLog(append(bytes.Clone(good), wal.Frame([]byte{9})...))
	require.ErrorIs(t, err, ErrBoxCorrupt)
	for n := 0; n < len(good); n += 13 {
		if n == len(good)-len(wal.Frame([]byte{recClosed})) {
			continue // the log before its close record is a valid open log
		}
		_, err := ReadLog(good[:n])
		require.Error(t, err, n)
	}
	_, err = ParseTallyProofs([]byte("ZKVOTETL\x01\xff\xff\xff\xff"))
	require.Error(t, err)
}

func FuzzReadLog(f *testing.F) {
	p := &Params{DeploymentID: fe(1), ElectionID: fe(2), Question: "q", Options: []string{"a", "b"}, Census: []membership.Head{{Size: 1, Root: fe(5)}}, Rules: SingleChoice(), Depth: 4, MaxOptions: 4,
		VoteKey: testPin(1), TallyKey: testPin(2)}
	enc, _ := p.Encode()
	f.Add(logHeader(enc))
	f.Add(append(logHeader(enc), wal.Frame([]byte{recClosed})...))
	f.Add([]byte(boxMagic))
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
			return
		}
		require.Equal(t, data, EncodeTallyProofs(ps))
	})
}
