package election_test

import (
	"bytes"
	"context"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/verifier"
)

// rerandomise returns another valid Groth16 proof of the same statement:
// (r·A, r⁻¹·B, C).
func rerandomise(t *testing.T, vk *verifier.VerifyingKey, data []byte) []byte {
	t.Helper()
	p, err := verifier.ParseProof(data)
	require.NoError(t, err)
	var g groth16bn254.Proof
	_, err = g.ReadFrom(bytes.NewReader(p.Data))
	require.NoError(t, err)
	var r, rInv fr.Element
	r.SetUint64(1234567)
	rInv.Inverse(&r)
	g.Ar.ScalarMultiplication(&g.Ar, r.BigInt(new(big.Int)))
	g.Bs.ScalarMultiplication(&g.Bs, rInv.BigInt(new(big.Int)))
	var buf bytes.Buffer
	_, err = g.WriteTo(&buf)
	require.NoError(t, err)
	q, err := verifier.ParseProof(append(data[:len(data)-len(p.Data):len(data)-len(p.Data)], buf.Bytes()...))
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(vk, q), "the re-randomised proof verifies")
	out := q.Bytes()
	require.NotEqual(t, data, out)
	return out
}

// TestReceiptCheck: receipts check against the exported log, and against a
// log where a ballot was replaced by a re-randomised copy of its proof (the
// same statement, which the chain and the receipt cover); a log where the
// ballot is missing, moved or has other votes, or whose history before it
// differs, fails.
func TestReceiptCheck(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	box := openTestBox(t, w, t.TempDir())
	var receipts []*Receipt
	for i := range 5 {
		r, err := box.Submit(ctx, ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
		require.Equal(t, ballotOf(t, w, i).Nullifier(), r.Nullifier)
		require.Equal(t, ballotOf(t, w, i).Votes(len(w.params.Options)), r.Votes)
		receipts = append(receipts, r)
	}
	var exported bytes.Buffer
	require.NoError(t, box.ExportLog(&exported))
	require.NoError(t, box.Close())
	l, err := ReadLog(exported.Bytes())
	require.NoError(t, err)
	for i, r := range receipts {
		require.NoError(t, l.CheckReceipt(r), i)
	}
	raw := make([][]byte, len(l.Ballots))
	for i, b := range l.Ballots {
		raw[i] = b.Bytes()
	}
	logOf := func(ballots ...[]byte) *Log {
		l, err := ReadLog(buildLog(t, w.params, ballots, false))
		require.NoError(t, err)
		return l
	}
	check := func(l *Log, ok ...bool) {
		t.Helper()
		for i, r := range receipts {
			err := l.CheckReceipt(r)
			if ok[i] {
				require.NoError(t, err, "receipt %d", i)
			} else {
				require.ErrorIs(t, err, ErrReceiptMismatch, "receipt %d", i)
			}
		}
	}

	// Ballot 2 replaced by a re-randomised copy: other bytes, same ballot.
	copy2 := rerandomise(t, w.keys.VerifyingKey(), raw[2])
	check(logOf(raw[0], raw[1], copy2, raw[3], raw[4]), true, true, true, true, true)
	// Ballot 2 missing.
	check(logOf(raw[0], raw[1], raw[3], raw[4]), true, true, false, false, false)
	// Ballot 2 moved to the end.
	check(logOf(raw[0], raw[1], raw[3], raw[4], raw[2]), true, true, false, false, false)
	// Ballots 0 and 1 swapped: 2 is where it was, after another history.
	check(logOf(raw[1], raw[0], raw[2], raw[3], raw[4]), false, false, false, false, false)
	// Voter 2's ballot with other votes (a fresh proof of another choice).
	path, err := w.tree.Proof(2)
	require.NoError(t, err)
	other, err := prover.Cast(ctx, w.keys, w.params, membershiptest.Identity(2), path, []uint64{1, 0, 0})
	require.NoError(t, err)
	require.Equal(t, ballotOf(t, w, 2).Nullifier(), other.Nullifier())
	check(logOf(raw[0], raw[1], other.Bytes(), raw[3], raw[4]), true, true, false, false, false)

	// A receipt changed in any field.
	for name, f := range map[string]func(r *Receipt){
		"position":   func(r *Receipt) { r.Position++ },
		"beyond":     func(r *Receipt) { r.Position = 5 },
		"nullifier":  func(r *Receipt) { r.Nullifier = receipts[3].Nullifier },
		"votes":      func(r *Receipt) { r.Votes = []uint64{1, 0, 0} },
		"vote count": func(r *Receipt) { r.Votes = append(r.Votes, 0) },
		"head":       func(r *Receipt) { r.Head = receipts[3].Head },
	} {
		r := *receipts[2]
		r.Votes = append([]uint64(nil), r.Votes...)
		f(&r)
		require.ErrorIs(t, l.CheckReceipt(&r), ErrReceiptMismatch, name)
	}
	require.ErrorIs(t, l.CheckReceipt(nil), ErrReceiptMismatch)
}

// TestAuditReportsClosed: Audit's result says whether the log ends with a
// close record.
func TestAuditReportsClosed(t *testing.T) {
	w := testWorld(t)
	tk := testTallyKeys(t)
	ctx := context.Background()
	raw := [][]byte{ballotOf(t, w, 0).Bytes(), ballotOf(t, w, 1).Bytes(), ballotOf(t, w, 2).Bytes()}
	l, err := ReadLog(buildLog(t, w.params, raw, false))
	require.NoError(t, err)
	tallies, err := prover.ProveTally(ctx, tk, w.params, l.Ballots, nil)
	require.NoError(t, err)
	for _, closed := range []bool{false, true} {
		res, err := Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), buildLog(t, w.params, raw, closed), EncodeTallyProofs(tallies))
		require.NoError(t, err)
		require.Equal(t, closed, res.Closed)
		require.Equal(t, uint64(3), res.Ballots)
	}
}
