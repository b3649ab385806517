package election

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/witness"
)

// ErrReceiptMismatch: a receipt does not match the log it is checked
// against.
var ErrReceiptMismatch = errors.New("election: receipt does not match the log")

// CheckReceipt checks r against the log: the log holds a ballot at
// r.Position with r's nullifier and votes, and the chain head after it,
// recomputed from the election's genesis over every ballot up to it, is
// r.Head. It returns nil or an error wrapping ErrReceiptMismatch that says
// what differs.
//
// It checks the same values the chain covers, and nothing else: a ballot
// replaced by a re-randomised copy of its proof still matches (see
// [Receipt]). It does not check the ballots' proofs or the tally: [Audit]
// does; a voter runs both.
func (l *Log) CheckReceipt(r *Receipt) error {
	if r == nil {
		return fmt.Errorf("%w: no receipt", ErrReceiptMismatch)
	}
	if l.Params.Secret != nil {
		return l.checkSecretReceipt(r)
	}
	opts := l.Params.maxOptions()
	if len(r.Votes) != len(l.Params.Options) {
		return fmt.Errorf("%w: %d votes, the election has %d options", ErrReceiptMismatch, len(r.Votes), len(l.Params.Options))
	}
	if r.Position >= uint64(len(l.Ballots)) {
		return fmt.Errorf("%w: position %d, the log holds %d ballots", ErrReceiptMismatch, r.Position, len(l.Ballots))
	}
	b := l.Ballots[r.Position]
	if n := b.Nullifier(); !n.Equal(&r.Nullifier) {
		return fmt.Errorf("%w: ballot %d has another nullifier", ErrReceiptMismatch, r.Position)
	}
	votes := b.Votes(opts)
	for i, v := range votes {
		if i < len(r.Votes) && v != r.Votes[i] || i >= len(r.Votes) && v != 0 {
			return fmt.Errorf("%w: ballot %d has other votes", ErrReceiptMismatch, r.Position)
		}
	}
	head := chain.Genesis(l.Params.Scope())
	for i, b := range l.Ballots[:r.Position+1] {
		if b.Secret() {
			return fmt.Errorf("%w: ballot %d is a secret ballot in an open election's log", ErrCorrupt, i)
		}
		var err error
		if head, err = chain.Entry(head, b.Nullifier(), b.Votes(opts)); err != nil {
			return fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, i, err)
		}
	}
	if !head.Equal(&r.Head) {
		return fmt.Errorf("%w: the chain head after ballot %d differs: the log's history before it is not the receipt's", ErrReceiptMismatch, r.Position)
	}
	return nil
}

// checkSecretReceipt is CheckReceipt in secret mode: the ballot at the
// position has the receipt's nullifier, counter and ciphertext hash, and
// the chain head after it is the receipt's. Whether the ballot still
// counts (no later ballot of the citizen replaced it) is for the voter to
// see in the log: a later ballot with the same nullifier.
func (l *Log) checkSecretReceipt(r *Receipt) error {
	if r.Votes != nil {
		return fmt.Errorf("%w: a secret ballot's receipt shows no votes", ErrReceiptMismatch)
	}
	if r.Position >= uint64(len(l.Ballots)) {
		return fmt.Errorf("%w: position %d, the log holds %d ballots", ErrReceiptMismatch, r.Position, len(l.Ballots))
	}
	b := l.Ballots[r.Position]
	n, h := b.Nullifier(), b.CiphertextHash()
	if !n.Equal(&r.Nullifier) || b.Counter() != r.Counter || !h.Equal(&r.Ciphertexts) {
		return fmt.Errorf("%w: ballot %d has another nullifier, counter or ciphertexts", ErrReceiptMismatch, r.Position)
	}
	head := chain.Genesis(l.Params.Scope())
	for i, b := range l.Ballots[:r.Position+1] {
		if !b.Secret() {
			return fmt.Errorf("%w: ballot %d is an open ballot in a secret election's log", ErrCorrupt, i)
		}
		head = chain.SecretEntry(head, b.Nullifier(), b.Counter(), b.CiphertextHash())
	}
	if !head.Equal(&r.Head) {
		return fmt.Errorf("%w: the chain head after ballot %d differs: the log's history before it is not the receipt's", ErrReceiptMismatch, r.Position)
	}
	return nil
}

// VerifyReceipt checks offline, with the election's parameters alone, that
// r (with its proof, from [Box.Prove]) proves that ballot is in the
// election's log: ballot is a ballot of this election with r's nullifier
// and votes (in secret mode: counter and ciphertext hash), r's checkpoint
// is signed by the box's key and cosigned by the parameters' quorum of
// witnesses, and its inclusion proof leads from the ballot's entry to the
// checkpoint's root. It returns nil, or an error wrapping
// ErrReceiptMismatch or the witness package's error (witness.ErrSignature,
// witness.ErrQuorum, witness.ErrInclusion, witness.ErrMalformed) that says
// what failed.
//
// It does not verify the ballot's proof (that needs the vote key; [Audit]
// does), nor r.Head, which only the log's earlier ballots determine
// ([Log.CheckReceipt]). The checkpoint names the box's key, not the
// election: a box key must serve one election only (LogKeys.Box), or a
// receipt could show the ballot in another election's log. That the log kept the ballot afterwards is shown
// by the consistency of r's checkpoint with a later one: see
// witness.Policy.VerifyConsistent.
func VerifyReceipt(p *Params, r *Receipt, ballot *Ballot) error {
	switch {
	case p == nil || r == nil || ballot == nil:
		return fmt.Errorf("%w: missing parameters, receipt or ballot", ErrReceiptMismatch)
	case r.Checkpoint == nil:
		return fmt.Errorf("%w: the receipt has no checkpoint (Box.Prove adds it)", ErrReceiptMismatch)
	}
	policy, err := p.Log.Policy()
	if err != nil {
		return err
	}
	digest, err := p.Digest()
	if err != nil {
		return err
	}
	if err := ballot.checkStatement(p, p.Scope(), digest); err != nil {
		return fmt.Errorf("%w: %w", ErrReceiptMismatch, err)
	}
	if n := ballot.Nullifier(); !n.Equal(&r.Nullifier) {
		return fmt.Errorf("%w: the ballot has another nullifier", ErrReceiptMismatch)
	}
	if ballot.Secret() {
		h := ballot.CiphertextHash()
		if r.Votes != nil || ballot.Counter() != r.Counter || !h.Equal(&r.Ciphertexts) {
			return fmt.Errorf("%w: the ballot has another counter or ciphertexts", ErrReceiptMismatch)
		}
	} else if !slices.Equal(ballot.Votes(len(p.Options)), r.Votes) {
		return fmt.Errorf("%w: the ballot has other votes", ErrReceiptMismatch)
	}
	entry := append([]byte{recBallot}, ballot.Bytes()...)
	if r.Position >= 1<<62 {
		return fmt.Errorf("%w: position %d", ErrReceiptMismatch, r.Position)
	}
	if _, err := policy.VerifyReceipt(&witness.Receipt{Index: int64(r.Position) + 1, Checkpoint: r.Checkpoint, Proof: r.Proof}, entry); err != nil {
		return fmt.Errorf("%w: %w", ErrReceiptMismatch, err)
	}
	return nil
}

// The encoding of a Receipt:
//
//	magic "ZKVR" | version 1 | mode (0 open, 1 secret) | position (8)
//	| nullifier (32) | head (32)
//	| open: vote count (1), then each vote (8)
//	| secret: counter (8) | ciphertext hash (32)
//	| the log's proof, if any: a witness.Receipt encoding (index
//	  position+1, checkpoint and inclusion proof) to the end
const (
	receiptMagic   = "ZKVR"
	receiptVersion = 1
)

// Bytes returns the receipt's encoding, which a voter keeps.
func (r *Receipt) Bytes() []byte {
	out := append([]byte(receiptMagic), receiptVersion)
	if r.Votes == nil {
		out = append(out, 1)
	} else {
		out = append(out, 0)
	}
	out = binary.BigEndian.AppendUint64(out, r.Position)
	n, h := r.Nullifier.Bytes(), r.Head.Bytes()
	out = append(append(out, n[:]...), h[:]...)
	if r.Votes == nil {
		out = binary.BigEndian.AppendUint64(out, r.Counter)
		c := r.Ciphertexts.Bytes()
		out = append(out, c[:]...)
	} else {
		out = append(out, byte(len(r.Votes)))
		for _, v := range r.Votes {
			out = binary.BigEndian.AppendUint64(out, v)
		}
	}
	if r.Checkpoint != nil {
		lr := witness.Receipt{Index: int64(r.Position) + 1, Checkpoint: r.Checkpoint, Proof: r.Proof}
		out = append(out, lr.Bytes()...)
	}
	return out
}

// ErrMalformedReceipt is wrapped by every decoding error of a receipt.
var ErrMalformedReceipt = errors.New("election: malformed receipt")

// ParseReceipt decodes a receipt strictly: field elements canonical, at
// most 255 votes, the log proof's index the ballot's entry, nothing
// trailing. It does not verify it: [VerifyReceipt] does.
func ParseReceipt(b []byte) (*Receipt, error) {
	bad := func(what string) (*Receipt, error) { return nil, fmt.Errorf("%w: %s", ErrMalformedReceipt, what) }
	rest, ok := bytes.CutPrefix(b, []byte(receiptMagic))
	if !ok || len(rest) < 2 || rest[0] != receiptVersion || rest[1] > 1 {
		return bad(fmt.Sprintf("not a version %d receipt", receiptVersion))
	}
	secret := rest[1] == 1
	rd := &reader{b: rest[2:]}
	r := &Receipt{Position: rd.u64()}
	var err error
	if r.Nullifier, err = field.FromBytes(rd.next(32)); err != nil && !rd.short {
		return bad("nullifier")
	}
	if r.Head, err = field.FromBytes(rd.next(32)); err != nil && !rd.short {
		return bad("head")
	}
	if secret {
		r.Counter = rd.u64()
		if r.Ciphertexts, err = field.FromBytes(rd.next(32)); err != nil && !rd.short {
			return bad("ciphertext hash")
		}
	} else {
		r.Votes = make([]uint64, rd.byte())
		for i := range r.Votes {
			r.Votes[i] = rd.u64()
		}
	}
	if rd.short {
		return bad("truncated")
	}
	if len(rd.b) == 0 {
		return r, nil
	}
	lr, err := witness.ParseReceipt(rd.b)
	if err != nil {
		return bad(err.Error())
	}
	if r.Position >= 1<<62 || lr.Index != int64(r.Position)+1 {
		return bad("the log proof is for another entry")
	}
	r.Checkpoint, r.Proof = lr.Checkpoint, lr.Proof
	return r, nil
}
