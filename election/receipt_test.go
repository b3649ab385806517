package election_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"math/big"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/verifier"
	"github.com/netstate/zkvote/witness"
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
	exported := exportLog(t, box)
	require.NoError(t, box.Close())
	l, err := ReadLog(exported)
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

// TestReceiptProve: Box.Prove adds the log's proof to a receipt, which
// then verifies offline with the parameters and the ballot alone
// (VerifyReceipt), and its encoding round-trips. A receipt for another
// ballot (another citizen's, or the citizen's with other votes), with a
// proof hash changed, at another position, under a checkpoint signed by
// another key or changed, or without a checkpoint, is refused, each with
// an error that says which; every cut of its encoding is malformed. Once
// the election ended, each receipt's checkpoint is shown consistent with
// the final one by a consistency proof from the box's published tiles.
func TestReceiptProve(t *testing.T) {
	w := testWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	box := openTestBox(t, w, dir)
	var receipts []*Receipt
	for i := range 4 {
		r, err := box.Submit(ctx, ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
		require.Nil(t, r.Checkpoint, "Submit returns the receipt before a checkpoint holds it")
		receipts = append(receipts, r)
	}
	for i, r := range receipts {
		require.NoError(t, box.Prove(ctx, r), i)
		require.NoError(t, VerifyReceipt(w.params, r, ballotOf(t, w, i)), i)
		enc := r.Bytes()
		back, err := ParseReceipt(enc)
		require.NoError(t, err, i)
		require.Equal(t, r, back, i)
		require.Equal(t, enc, back.Bytes(), i)
		require.NoError(t, VerifyReceipt(w.params, back, ballotOf(t, w, i)), i)
	}
	// Prove does not take a receipt beyond the log.
	require.Error(t, box.Prove(ctx, &Receipt{Position: 4}))

	r, ballot := receipts[2], ballotOf(t, w, 2)
	require.NotEmpty(t, r.Proof)
	path, err := w.tree.Proof(2)
	require.NoError(t, err)
	otherVotes, err := prover.Cast(ctx, w.keys, w.params, membershiptest.Identity(2), path, []uint64{1, 0, 0})
	require.NoError(t, err)
	refuse := func(name string, r *Receipt, b *Ballot, also error) {
		t.Helper()
		err := VerifyReceipt(w.params, r, b)
		require.ErrorIs(t, err, ErrReceiptMismatch, name)
		if also != nil {
			require.ErrorIs(t, err, also, name)
		}
	}
	refuse("another citizen's ballot", r, ballotOf(t, w, 3), nil)
	refuse("the citizen's ballot with other votes", r, otherVotes, nil)
	other := *w.params
	other.ElectionID = fe(99)
	err = VerifyReceipt(&other, r, ballot)
	require.ErrorIs(t, err, ErrReceiptMismatch)
	require.ErrorIs(t, err, ErrWrongElection)
	for name, f := range map[string]func(r *Receipt){
		"votes":           func(r *Receipt) { r.Votes = []uint64{1, 0, 0} },
		"vote count":      func(r *Receipt) { r.Votes = append(r.Votes, 0) },
		"nullifier":       func(r *Receipt) { r.Nullifier = receipts[3].Nullifier },
		"no checkpoint":   func(r *Receipt) { r.Checkpoint = nil },
		"no proof":        func(r *Receipt) { r.Proof = nil },
		"a proof hash":    func(r *Receipt) { r.Proof[0][7] ^= 1 },
		"the last hash":   func(r *Receipt) { r.Proof[len(r.Proof)-1][31] ^= 1 },
		"a hash more":     func(r *Receipt) { r.Proof = append(r.Proof, r.Proof[0]) },
		"position + 1":    func(r *Receipt) { r.Position++ },
		"position - 1":    func(r *Receipt) { r.Position-- },
		"beyond the tree": func(r *Receipt) { r.Position = 100 },
		"position 2^62":   func(r *Receipt) { r.Position = 1 << 62 },
		"checkpoint size": func(r *Receipt) {
			lines := bytes.SplitN(r.Checkpoint, []byte("\n"), 3)
			r.Checkpoint = slices.Concat(lines[0], []byte("\n"), lines[1], []byte("0\n"), lines[2])
		},
		"checkpoint of another key, same name": func(r *Receipt) {
			r.Checkpoint = resign(t, r.Checkpoint, newSigner(t, testBoxSigner.Name()))
		},
		"checkpoint of another log": func(r *Receipt) { r.Checkpoint = resign(t, r.Checkpoint, newSigner(t, "zkvote.test/other")) },
		"checkpoint unsigned":       func(r *Receipt) { r.Checkpoint = resign(t, r.Checkpoint) },
	} {
		c := cloneReceipt(r)
		f(c)
		refuse(name, c, ballot, nil)
	}
	c := cloneReceipt(r)
	c.Proof[0][0] ^= 1
	refuse("a proof hash changed", c, ballot, witness.ErrInclusion)
	c = cloneReceipt(r)
	c.Position = 1
	refuse("another position", c, ballot, witness.ErrInclusion)
	c = cloneReceipt(r)
	c.Checkpoint = resign(t, c.Checkpoint, newSigner(t, testBoxSigner.Name()))
	refuse("signed by another key", c, ballot, witness.ErrSignature)

	// The encoding: every cut is malformed but one, the receipt without its
	// proof; a trailing byte, or a proof for another entry, is malformed.
	enc := r.Bytes()
	bare := cloneReceipt(r)
	bare.Checkpoint, bare.Proof = nil, nil
	for n := range len(enc) {
		got, err := ParseReceipt(enc[:n])
		if n == len(bare.Bytes()) {
			require.NoError(t, err)
			require.Equal(t, bare, got)
			continue
		}
		require.ErrorIs(t, err, ErrMalformedReceipt, "cut to %d", n)
	}
	_, err = ParseReceipt(append(bytes.Clone(enc), 0))
	require.ErrorIs(t, err, ErrMalformedReceipt)
	moved := append(bare.Bytes(), (&witness.Receipt{Index: int64(r.Position) + 2, Checkpoint: r.Checkpoint, Proof: r.Proof}).Bytes()...)
	_, err = ParseReceipt(moved)
	require.ErrorIs(t, err, ErrMalformedReceipt)

	// The final checkpoint extends every receipt's.
	require.NoError(t, box.End())
	final := awaitCheckpoint(t, box)
	policy, err := w.params.Log.Policy()
	require.NoError(t, err)
	m, err := policy.Verify(final)
	require.NoError(t, err)
	require.Equal(t, int64(6), m.N, "header, four ballots, close")
	tiles := LogDir(filepath.Join(dir, LogDirName))
	l, err := ReadLog(exportLog(t, box))
	require.NoError(t, err)
	for i, r := range receipts {
		n, err := policy.Verify(r.Checkpoint)
		require.NoError(t, err)
		proof, err := ConsistencyProof(ctx, tiles, uint64(n.N), uint64(m.N))
		require.NoError(t, err, i)
		require.NoError(t, policy.VerifyConsistent(r.Checkpoint, final, proof), i)
		require.NoError(t, l.CheckReceipt(r), i)
		if len(proof) > 0 {
			proof[0][0] ^= 1
			require.ErrorIs(t, policy.VerifyConsistent(r.Checkpoint, final, proof), witness.ErrProof, i)
		}
	}
}

func cloneReceipt(r *Receipt) *Receipt {
	c := *r
	c.Votes = slices.Clone(r.Votes)
	c.Checkpoint = bytes.Clone(r.Checkpoint)
	c.Proof = slices.Clone(r.Proof)
	return &c
}

// newSigner returns a fresh note signer named name.
func newSigner(t *testing.T, name string) note.Signer {
	t.Helper()
	skey, _, err := note.GenerateKey(nil, name)
	require.NoError(t, err)
	s, err := note.NewSigner(skey)
	require.NoError(t, err)
	return s
}

// resign returns the checkpoint's text signed by signers alone, in place
// of its signatures.
func resign(t *testing.T, checkpoint []byte, signers ...note.Signer) []byte {
	t.Helper()
	text, _, ok := bytes.Cut(checkpoint, []byte("\n\n"))
	require.True(t, ok)
	if len(signers) == 0 {
		return append(text, "\n\n"...)
	}
	out, err := note.Sign(&note.Note{Text: string(text) + "\n"}, signers...)
	require.NoError(t, err)
	return out
}

// TestReceiptWitnessed: with a witness in the parameters and a quorum of
// one, the box publishes checkpoints the witness cosigned (over HTTP,
// C2SP tlog-witness), receipts verify with the cosignature, and a receipt
// whose checkpoint lost it fails with witness.ErrQuorum. A box without
// the witness's URL does not open.
func TestReceiptWitnessed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	boxKey, err := note.NewVerifier(testBoxVKey)
	require.NoError(t, err)
	wit, err := witness.Open(witness.Config{Dir: t.TempDir(), Name: "witness.zkvote.test", Key: priv,
		Logs: []witness.Log{{Origin: boxKey.Name(), Key: boxKey}}})
	require.NoError(t, err)
	defer wit.Close()
	srv := httptest.NewServer(wit)
	defer srv.Close()

	s := newStubWorld(t, LogKeys{Box: testBoxVKey, Witnesses: []string{wit.VerifierKey()}, Quorum: 1})
	_, err = OpenBox(ctx, t.TempDir(), s.params, s.vk, testBoxOptions())
	require.Error(t, err, "the parameters name a witness the options do not reach")
	opts := testBoxOptions()
	opts.Witnesses, opts.HTTPClient = []string{srv.URL}, srv.Client()
	box, err := OpenBox(ctx, t.TempDir(), s.params, s.vk, opts)
	require.NoError(t, err)
	defer box.Close()
	var receipts []*Receipt
	var ballots []*Ballot
	for i, b := range s.ballots(t, 3) {
		r, err := box.Submit(ctx, b)
		require.NoError(t, err, i)
		receipts = append(receipts, r)
		ballots = append(ballots, mustParseBallot(t, b))
	}
	policy, err := s.params.Log.Policy()
	require.NoError(t, err)
	for i, r := range receipts {
		require.NoError(t, box.Prove(ctx, r), i)
		require.NoError(t, VerifyReceipt(s.params, r, ballots[i]), i)
		require.Contains(t, string(r.Checkpoint), "— witness.zkvote.test ", i)
		back, err := ParseReceipt(r.Bytes())
		require.NoError(t, err)
		require.NoError(t, VerifyReceipt(s.params, back, ballots[i]), i)

		c := cloneReceipt(r)
		c.Checkpoint = resign(t, c.Checkpoint, testBoxSigner)
		_, err = policy.Verify(c.Checkpoint)
		require.ErrorIs(t, err, witness.ErrQuorum, "the box's signature alone")
		err = VerifyReceipt(s.params, c, ballots[i])
		require.ErrorIs(t, err, ErrReceiptMismatch, i)
		require.ErrorIs(t, err, witness.ErrQuorum, i)
	}
	_, size, ok := wit.Latest(boxKey.Name())
	require.True(t, ok)
	require.GreaterOrEqual(t, size, int64(4), "the witness followed the log")
}

func FuzzParseReceipt(f *testing.F) {
	open := &Receipt{Position: 3, Nullifier: fe(5), Votes: []uint64{1, 0, 0}, Head: fe(9)}
	secret := &Receipt{Position: 0, Nullifier: fe(5), Head: fe(9), Counter: 2, Ciphertexts: fe(11)}
	proven := *open
	proven.Checkpoint = signCheckpoint(f, testBoxSigner, 7, tlog.Hash{1})
	proven.Proof = []tlog.Hash{{2}, {3}, {4}}
	empty := *secret
	empty.Checkpoint = []byte{}
	for _, r := range []*Receipt{open, secret, &proven, &empty, {Votes: []uint64{}}} {
		f.Add(r.Bytes())
	}
	f.Add([]byte("ZKVR\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReceipt(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedReceipt)
			return
		}
		require.Equal(t, b, r.Bytes(), "decode→encode is not exact")
	})
}
