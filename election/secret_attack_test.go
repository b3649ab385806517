package election_test

// Attacks on the secret mode found by review, each now refused.

import (
	"context"
	"fmt"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/torsion"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
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
	_, _, entries := exportParts(t, running)
	runningClosed := reExport(t, w.params, append(entries, []byte{RecClosed}))

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

// TestTrusteeDecryptsOneElectionPerKey: an organiser who writes a second
// election under the same trustees' key (another election ID, so another
// digest, and its own vote key, under which it can forge a ballot that
// copies a victim's ciphertexts) and gets trustees to decrypt that
// "election" learns the victim's vote. A trustee's journal records one
// decryption per election key, whatever the parameters: the second is
// refused, before or after the real one.
func TestTrusteeDecryptsOneElectionPerKey(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	vk := w.keys.VerifyingKey()
	forged := *w.params
	forged.ElectionID = fe(9999)
	path, err := w.tree.Proof(1)
	require.NoError(t, err)
	votes := make([]uint64, len(forged.Options))
	votes[1] = 1
	b, err := prover.CastSecret(ctx, w.keys, &forged, membershiptest.Identity(1), path, votes, 1, nil)
	require.NoError(t, err)
	forgedLog := buildLog(t, &forged, [][]byte{b.Bytes()}, true)
	forgedRes, err := AuditSecret(ctx, &forged, vk, forgedLog, nil)
	require.NoError(t, err)

	box := openSecretBox(t, w, t.TempDir())
	defer box.Close()
	_, err = box.Submit(ctx, secretBallotOf(t, w, 0, 2, 1).Bytes())
	require.NoError(t, err)
	require.NoError(t, box.End())
	final := box.Results().Head
	log := exportLog(t, box)

	first := t.TempDir()
	_, err = PartialDecrypt(ctx, w.params, vk, log, final, w.shares[1], first, nil)
	require.NoError(t, err)
	_, err = PartialDecrypt(ctx, &forged, vk, forgedLog, forgedRes.Head, w.shares[1], first, nil)
	require.ErrorIs(t, err, ErrAlreadyDecrypted, "another election under the same key, after the real one")
	_, err = PartialDecrypt(ctx, w.params, vk, log, final, w.shares[1], first, nil)
	require.NoError(t, err, "the same sum again is allowed")

	second := t.TempDir()
	_, err = PartialDecrypt(ctx, &forged, vk, forgedLog, forgedRes.Head, w.shares[2], second, nil)
	require.NoError(t, err, "misled first")
	_, err = PartialDecrypt(ctx, w.params, vk, log, final, w.shares[2], second, nil)
	require.ErrorIs(t, err, ErrAlreadyDecrypted, "the real election after another under the same key")
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

// torsionPoint returns a point of the given order, 2, 4 or 8, of the
// curve's 8-torsion.
func torsionPoint(t *testing.T, order int) twistededwards.PointAffine {
	q := torsion.Point(order)
	require.Equal(t, order, torsion.Order(q))
	return q
}

// withTorsion returns a secret ballot's encoding with tp added to point k
// (0: C1, 1: C2) of ciphertext j: the same ciphertext plus a small-order
// point, on the curve but outside the prime-order subgroup.
func withTorsion(t *testing.T, enc []byte, j, k int, tp twistededwards.PointAffine) []byte {
	at := ctOffset + j*trustee.CiphertextXYSize + k*pointXYSize
	var p twistededwards.PointAffine
	require.NoError(t, p.X.SetBytesCanonical(enc[at:at+fr.Bytes]))
	require.NoError(t, p.Y.SetBytesCanonical(enc[at+fr.Bytes:at+pointXYSize]))
	require.True(t, p.IsOnCurve())
	p.Add(&p, &tp)
	return withBytes(enc, at, pointXY(p))
}

// versionOne returns a secret ballot in the version-1 encoding: its
// ciphertexts compressed, 64 bytes each.
func versionOne(b *Ballot) []byte {
	cts := b.Ciphertexts()
	out := append([]byte("ZKSB"), 1, byte(len(cts)))
	for _, c := range cts {
		e := c.Bytes()
		out = append(out, e[:]...)
	}
	return append(out, b.Proof().Bytes()...)
}

// TestSecretBallotTorsion: a secret ballot whose C1 or C2 is its own point
// plus a point of order 2 or 8 is refused by ParseBallot and by the box,
// which names the ciphertext and keeps its state.
func TestSecretBallotTorsion(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	box := openSecretBox(t, w, t.TempDir())
	defer box.Close()
	good := secretBallotOf(t, w, 5, 1, 1)
	enc := good.Bytes()
	require.Len(t, enc, ctOffset+2*trustee.CiphertextXYSize+len(good.Proof().Bytes()), "two ciphertexts of 128 bytes")
	before := box.Results()
	for _, order := range []int{2, 8} {
		tp := torsionPoint(t, order)
		for _, at := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
			bad := withTorsion(t, enc, at[0], at[1], tp)
			what := []string{"C1", "C2"}[at[1]]
			_, err := ParseBallot(bad)
			require.ErrorIs(t, err, ErrMalformedBallot, "order %d, %v", order, at)
			require.ErrorContains(t, err, fmt.Sprintf("ciphertext %d: ", at[0]), "order %d, %v", order, at)
			require.ErrorContains(t, err, what+" outside the prime-order subgroup", "order %d, %v", order, at)
			_, err = box.Submit(ctx, bad)
			require.ErrorIs(t, err, ErrMalformedBallot, "order %d, %v", order, at)
			require.ErrorContains(t, err, what+" outside the prime-order subgroup", "order %d, %v", order, at)
		}
	}
	after := box.Results()
	require.Zero(t, after.Ballots)
	require.Zero(t, after.Voters)
	require.Equal(t, before.Head, after.Head)
	requireSameSum(t, before.Encrypted, after.Encrypted, "the refused ballots left the sum")
	require.NoError(t, err2(box.Submit(ctx, enc)), "the untouched ballot is taken")
}

// TestSecretAuditTorsion: a log with a secret ballot spliced in whose C1
// carries a small-order component is refused by AuditSecret (and so by
// PartialDecrypt) at that ballot, with ErrCiphertextHash, although the
// audit decodes without the subgroup test; with its hash forged to match,
// by its proof. ReadLog and the box's replay refuse it as malformed.
func TestSecretAuditTorsion(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	vk := w.keys.VerifyingKey()
	box := openSecretBox(t, w, t.TempDir())
	for i := range 2 {
		_, err := box.Submit(ctx, secretBallotOf(t, w, i, i, 1).Bytes())
		require.NoError(t, err)
	}
	running := exportLog(t, box)
	require.NoError(t, box.Close())
	_, _, entries := exportParts(t, running)
	spliced := func(ballot []byte) [][]byte {
		return append(append([][]byte{}, entries...), append([]byte{RecBallot}, ballot...), []byte{RecClosed})
	}
	splice := func(ballot []byte) []byte { return reExport(t, w.params, spliced(ballot)) }
	third := secretBallotOf(t, w, 2, 2, 1)
	clean := splice(third.Bytes())
	res, err := AuditSecret(ctx, w.params, vk, clean, nil)
	require.NoError(t, err, "the log with the untouched ballot")
	require.Equal(t, uint64(3), res.Voters)

	// C1 of ciphertext 0 plus a point of order 8 under the proof's own
	// hash: the audit's decoding takes the point, the hash check refuses
	// it.
	tampered := withTorsion(t, third.Bytes(), 0, 0, torsionPoint(t, 8))
	// The same points with the public hash forged to match them: the
	// proof fails.
	cts := make([]trustee.Ciphertext, 2)
	for j := range cts {
		at := ctOffset + j*trustee.CiphertextXYSize
		cts[j], err = trustee.ParseCiphertextXYOnCurve(tampered[at : at+trustee.CiphertextXYSize])
		require.NoError(t, err)
	}
	p, err := verifier.ParseProof(third.Proof().Bytes())
	require.NoError(t, err)
	pub, err := statement.ParseSecretVote(p.Public)
	require.NoError(t, err)
	pub.Ciphertexts = trustee.HashCiphertexts(w.params.Secret.Key, cts)
	p.Public = pub.Vector()
	forged, err := NewSecretBallot(p, cts)
	require.NoError(t, err)

	for name, c := range map[string]struct {
		ballot []byte
		want   error
	}{
		"hash":   {tampered, ErrCiphertextHash},
		"forged": {forged.Bytes(), verifier.ErrInvalidProof},
	} {
		log := splice(c.ballot)
		_, err := AuditSecret(ctx, w.params, vk, log, nil)
		var ae *AuditError
		require.ErrorAs(t, err, &ae, name)
		require.Equal(t, "ballot", ae.What, name)
		require.Equal(t, 2, ae.Index, name)
		require.ErrorIs(t, err, c.want, name)
		require.ErrorContains(t, err, "ballot 2", name)

		journal := t.TempDir()
		_, err = PartialDecrypt(ctx, w.params, vk, log, res.Head, w.shares[0], journal, nil)
		require.ErrorAs(t, err, &ae, name)
		require.Equal(t, 2, ae.Index, name)
		require.ErrorIs(t, err, c.want, name)
		_, err = PartialDecrypt(ctx, w.params, vk, clean, res.Head, w.shares[0], journal, nil)
		require.NoError(t, err, "%s: nothing was journalled", name)

		// Strict readers: the ballot does not decode.
		_, err = ReadLog(log)
		require.ErrorIs(t, err, ErrCorrupt, name)
		require.ErrorContains(t, err, "ballot 2: ", name)
		require.ErrorContains(t, err, "outside the prime-order subgroup", name)
		// A box whose log holds it (a damaged disk, or a forger with the
		// box's key) refuses to open, and leaves the log as it is.
		dir := t.TempDir()
		enc, err := w.params.Encode()
		require.NoError(t, err)
		craftBox(t, dir, enc, spliced(c.ballot))
		before := dirFiles(t, dir)
		_, err = OpenBox(ctx, dir, w.params, vk, testBoxOptions())
		require.ErrorIs(t, err, ErrCorrupt, name)
		require.ErrorContains(t, err, "ballot 2: ", name)
		require.ErrorContains(t, err, "outside the prime-order subgroup", name)
		require.Equal(t, before, dirFiles(t, dir), name)
	}
}

// TestSecretBallotVersionOne: a secret ballot in the version-1 encoding
// (compressed points) is refused as unsupported, by ParseBallot, the box
// and the audit.
func TestSecretBallotVersionOne(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	good := secretBallotOf(t, w, 6, 0, 1)
	old := versionOne(good)
	_, err := ParseBallot(old)
	require.ErrorIs(t, err, ErrMalformedBallot)
	require.ErrorContains(t, err, "version 1 is unsupported")
	box := openSecretBox(t, w, t.TempDir())
	defer box.Close()
	_, err = box.Submit(ctx, old)
	require.ErrorIs(t, err, ErrMalformedBallot)
	require.ErrorContains(t, err, "version 1 is unsupported")
	require.Zero(t, box.Results().Ballots)
	_, err = AuditSecret(ctx, w.params, w.keys.VerifyingKey(), buildLog(t, w.params, [][]byte{old}, true), nil)
	var ae *AuditError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "log", ae.What)
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "version 1 is unsupported")
}
