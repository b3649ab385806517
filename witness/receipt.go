package witness

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Receipt proves that an entry is in a log, offline: its index, a
// checkpoint whose tree holds it (signed by the log and cosigned by its
// witnesses) and an RFC 6962 inclusion proof. A voter keeps one for their
// ballot; if a later checkpoint of the log is not consistent with the
// receipt's, the two signed checkpoints and the later log's hashes make
// evidence anyone can check ([ProveFork]).
type Receipt struct {
	Index      int64
	Checkpoint []byte
	Proof      []tlog.Hash
}

// ErrInclusion: the receipt does not prove that the entry is in the log.
var ErrInclusion = errors.New("witness: the inclusion proof does not verify")

// VerifyReceipt checks that r proves entry in the log under the policy: the
// checkpoint passes [Policy.Verify], the index is within its tree, and the
// inclusion proof leads from the entry's RFC 6962 leaf hash to its root.
// It returns the checkpoint's tree.
func (p Policy) VerifyReceipt(r *Receipt, entry []byte) (tlog.Tree, error) {
	if r == nil {
		return tlog.Tree{}, fmt.Errorf("%w: no receipt", ErrMalformed)
	}
	tree, err := p.Verify(r.Checkpoint)
	if err != nil {
		return tlog.Tree{}, err
	}
	if r.Index < 0 || r.Index >= tree.N {
		return tlog.Tree{}, fmt.Errorf("%w: index %d outside a tree of %d", ErrInclusion, r.Index, tree.N)
	}
	if err := tlog.CheckRecord(r.Proof, tree.N, tree.Hash, r.Index, tlog.RecordHash(entry)); err != nil {
		return tlog.Tree{}, fmt.Errorf("%w: entry %d of %d", ErrInclusion, r.Index, tree.N)
	}
	return tree, nil
}

// VerifyConsistent checks that newer extends older: both pass the policy
// and proof is a consistency proof between their trees (empty for equal
// sizes, whose roots must then be equal).
func (p Policy) VerifyConsistent(older, newer []byte, proof []tlog.Hash) error {
	a, err := p.Verify(older)
	if err != nil {
		return fmt.Errorf("witness: older checkpoint: %w", err)
	}
	b, err := p.Verify(newer)
	if err != nil {
		return fmt.Errorf("witness: newer checkpoint: %w", err)
	}
	if a.N > b.N {
		return fmt.Errorf("%w: the older checkpoint is the larger", ErrProof)
	}
	if err := tlog.CheckTree(proof, b.N, b.Hash, a.N, a.Hash); err != nil {
		return fmt.Errorf("%w: from %d to %d", ErrProof, a.N, b.N)
	}
	return nil
}

// The encoding of a Receipt:
//
//	magic "ZKRC" | version 1 | index (8 bytes) | checkpoint (u32 length, note)
//	| proof count (1 byte) | proof hashes (32 each)
const (
	receiptMagic   = "ZKRC"
	receiptVersion = 1
)

// Bytes returns the receipt's encoding.
func (r *Receipt) Bytes() []byte {
	out := append([]byte(receiptMagic), receiptVersion)
	out = binary.BigEndian.AppendUint64(out, uint64(r.Index))
	return appendProof(appendNote(out, r.Checkpoint), r.Proof)
}

// ParseReceipt decodes a receipt strictly (bounded sizes, a non-negative
// index, no trailing bytes). It does not verify it: see
// [Policy.VerifyReceipt].
func ParseReceipt(b []byte) (*Receipt, error) {
	rest, ok := bytes.CutPrefix(b, []byte(receiptMagic))
	if !ok || len(rest) < 1+8 || rest[0] != receiptVersion {
		return nil, fmt.Errorf("%w: not a version %d receipt", ErrMalformed, receiptVersion)
	}
	r := &Receipt{Index: int64(binary.BigEndian.Uint64(rest[1:]))}
	if r.Index < 0 {
		return nil, fmt.Errorf("%w: negative index", ErrMalformed)
	}
	var err error
	if r.Checkpoint, rest, err = cutNote(rest[9:]); err != nil {
		return nil, err
	}
	if r.Proof, err = parseProof(rest); err != nil {
		return nil, err
	}
	return r, nil
}
