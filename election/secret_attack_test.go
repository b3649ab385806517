package election_test

// Attacks on the secret mode found by review, each now refused.

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/trustee"
)

// TestTrusteesDecryptOnlyTheElectionsSum: anyone can write a closed log of
// public ballots (one citizen's ballot alone, or the running log of an
// open election with a close record appended). Trustees given the
// election's final head refuse such a log; a trustee misled into taking
// another head decrypts at most one sum per election (its journal), and
// its share for another log does not verify against the real one.
func TestTrusteesDecryptOnlyTheElectionsSum(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	vk := w.keys.VerifyingKey()
	box := openSecretBox(t, w, t.TempDir())
	defer box.Close()
	for i, opt := range []int{0, 2, 1} {
		_, err := box.Submit(ctx, secretBallotOf(t, w, i, opt, 1).Bytes())
		require.NoError(t, err)
	}
	running := exportLog(t, box)
	l, err := ReadLog(running)
	require.NoError(t, err)
	oneBallot := buildLog(t, w.params, [][]byte{l.Ballots[1].Bytes()}, true)
	runningClosed := append(append([]byte{}, running...), wal.Frame([]byte{RecClosed})...)

	// The election goes on: a fourth ballot, then the end.
	_, err = box.Submit(ctx, secretBallotOf(t, w, 3, 0, 1).Bytes())
	require.NoError(t, err)
	require.NoError(t, box.End())
	final := box.Results().Head
	log := exportLog(t, box)
	journal := t.TempDir()
	for name, forged := range map[string][]byte{"one ballot": oneBallot, "running, closed": runningClosed} {
		_, err := PartialDecrypt(ctx, w.params, vk, forged, final, w.shares[0], journal, nil)
		require.ErrorIs(t, err, ErrHeadMismatch, name)
	}
	// Misled about the head, trustee 1 decrypts the one-ballot log: its
	// journal then refuses the real sum, and the share it gave does not
	// verify against the real log.
	forgedHead, err := AuditSecret(ctx, w.params, vk, oneBallot, nil)
	require.NoError(t, err)
	misled, err := PartialDecrypt(ctx, w.params, vk, oneBallot, forgedHead.Head, w.shares[0], journal, nil)
	require.NoError(t, err)
	_, err = PartialDecrypt(ctx, w.params, vk, log, final, w.shares[0], journal, nil)
	require.ErrorIs(t, err, ErrAlreadyDecrypted)
	again, err := PartialDecrypt(ctx, w.params, vk, oneBallot, forgedHead.Head, w.shares[0], journal, nil)
	require.NoError(t, err, "the same sum again is allowed")
	require.Equal(t, misled.Partials[0].D, again.Partials[0].D)

	shares := append([][]byte{misled.Bytes()}, shareBytes(t, w, log, 2, 3, 4)...)
	res, err := AuditSecret(ctx, w.params, vk, log, shares)
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 1, 1}, res.Totals)
	require.Equal(t, []int{2, 3, 4}, res.Decryption.Used)
	require.Len(t, res.Decryption.Refused, 1)
	require.ErrorIs(t, res.Decryption.Refused[0], trustee.ErrInvalidProof)
	_, err = PartialDecrypt(ctx, w.params, vk, log, final, w.shares[0], "", nil)
	require.Error(t, err, "a trustee needs a journal")
}

// TestSecretParamsKeyConsistency: parameters whose key is not the
// trustees' (an organiser's own key beside the real verification shares),
// or with a share off the trustees' polynomial, are refused.
func TestSecretParamsKeyConsistency(t *testing.T) {
	p := testSecretParams(t) // 2-of-3
	k, err := trustee.RandomScalar(nil)
	require.NoError(t, err)
	p.Secret.Shares[2] = trustee.BaseMul(k)
	require.ErrorIs(t, p.Validate(), trustee.ErrInconsistentKey)
	_, err = p.Encode()
	require.Error(t, err)

	q := testSecretParams(t)
	x, err := trustee.RandomScalar(nil)
	require.NoError(t, err)
	q.Secret.Key = trustee.BaseMul(x)
	require.ErrorIs(t, q.Validate(), trustee.ErrInconsistentKey)
}

// TestJunkSharesDoNotBlock: shares are not signed, so anyone can post
// shares in a trustee's name; however many junk shares come first, each is
// named and skipped, and the trustee's valid share still counts.
func TestJunkSharesDoNotBlock(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	log := buildLog(t, w.params, [][]byte{secretBallotOf(t, w, 0, 0, 1).Bytes()}, true)
	good := shareBytes(t, w, log, 1, 2, 3)
	d, err := ParseDecryptionShare(good[2])
	require.NoError(t, err)
	d.Partials[0].D = d.Partials[0].D.Add(trustee.Generator())
	junk := d.Bytes()
	shares := [][]byte{good[0], junk, good[1], junk, junk, junk, good[2]}
	res, err := AuditSecret(ctx, w.params, w.keys.VerifyingKey(), log, shares)
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 0, 0}, res.Totals)
	require.Equal(t, []int{1, 2, 3}, res.Decryption.Used)
	require.Len(t, res.Decryption.Refused, 4)
}

// TestReceiptsOfTheOtherMode: a log that mixes in a ballot of the other
// mode checks no receipt past it.
func TestReceiptsOfTheOtherMode(t *testing.T) {
	sw, ow := testSecretWorld(t), testWorld(t)
	secret := secretBallotOf(t, sw, 0, 0, 1)
	open := ballotOf(t, ow, 0)
	l, err := ReadLog(buildLog(t, ow.params, [][]byte{secret.Bytes(), open.Bytes()}, false))
	require.NoError(t, err)
	require.ErrorIs(t, l.CheckReceipt(&Receipt{Position: 1, Nullifier: open.Nullifier(), Votes: open.Votes(3)}), ErrCorrupt)
	l, err = ReadLog(buildLog(t, sw.params, [][]byte{open.Bytes(), secret.Bytes()}, false))
	require.NoError(t, err)
	require.ErrorIs(t, l.CheckReceipt(&Receipt{Position: 1, Nullifier: secret.Nullifier(), Counter: 1, Ciphertexts: secret.CiphertextHash()}), ErrCorrupt)
}

// TestAuditNilParams: both audits refuse nil parameters with an error, not
// a panic.
func TestAuditNilParams(t *testing.T) {
	w := testSecretWorld(t)
	vk := w.keys.VerifyingKey()
	_, err := Audit(context.Background(), nil, vk, vk, nil, nil)
	require.Error(t, err)
	_, err = AuditSecret(context.Background(), nil, vk, nil, nil)
	require.Error(t, err)
}
