package election

import (
	"errors"
	"fmt"

	"github.com/netstate/zkvote/internal/chain"
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
