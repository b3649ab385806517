package witness

import (
	"bytes"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Misbehaviour proves that a log signed two views of its history that
// cannot both be true. Two kinds:
//   - First and Second have one size and different roots (what a witness
//     sees when a log equivocates; Root and Proof are empty);
//   - First is smaller, and Proof is a consistency proof, verifying against
//     Second's root, from Root at First's size: Second's tree had root Root
//     at that size, not First's ([ProveFork] builds it from Second's
//     hashes).
//
// Both checkpoints carry the log's signatures, so anyone with the log's
// public key checks it with [VerifyMisbehaviour]; it needs nothing else.
type Misbehaviour struct {
	First, Second []byte // checkpoint notes signed by the log
	Root          tlog.Hash
	Proof         []tlog.Hash
}

// ErrNotMisbehaviour: the evidence does not prove that the log misbehaved.
var ErrNotMisbehaviour = errors.New("witness: the evidence does not show two inconsistent checkpoints")

// VerifyMisbehaviour checks that m proves the log whose checkpoint key is
// key signed two inconsistent checkpoints. It returns nil if it does.
func VerifyMisbehaviour(key note.Verifier, m *Misbehaviour) error {
	if m == nil {
		return ErrNotMisbehaviour
	}
	a, err := openCheckpoint(m.First, key.Name(), key)
	if err != nil {
		return fmt.Errorf("witness: first checkpoint: %w", err)
	}
	b, err := openCheckpoint(m.Second, key.Name(), key)
	if err != nil {
		return fmt.Errorf("witness: second checkpoint: %w", err)
	}
	switch {
	case a.tree.N == b.tree.N:
		if len(m.Proof) != 0 || m.Root != (tlog.Hash{}) || a.tree.Hash == b.tree.Hash {
			return ErrNotMisbehaviour
		}
		return nil
	case a.tree.N < b.tree.N:
		if m.Root == a.tree.Hash {
			return ErrNotMisbehaviour
		}
		if err := tlog.CheckTree(m.Proof, b.tree.N, b.tree.Hash, a.tree.N, m.Root); err != nil {
			return fmt.Errorf("%w: the proof does not verify", ErrNotMisbehaviour)
		}
		return nil
	}
	return fmt.Errorf("%w: the first checkpoint is the larger", ErrNotMisbehaviour)
}

// ProveFork builds the evidence that first and second, checkpoints signed
// by the log with key, first no larger than second, are inconsistent, from
// hashes, a reader of the stored hashes of second's tree (for example from the log's tiles, with
// tlog.TileHashReader). It returns ErrNotMisbehaviour if second's tree does
// extend first.
func ProveFork(key note.Verifier, first, second []byte, hashes tlog.HashReader) (*Misbehaviour, error) {
	a, err := openCheckpoint(first, key.Name(), key)
	if err != nil {
		return nil, fmt.Errorf("witness: first checkpoint: %w", err)
	}
	b, err := openCheckpoint(second, key.Name(), key)
	if err != nil {
		return nil, fmt.Errorf("witness: second checkpoint: %w", err)
	}
	if a.tree.N > b.tree.N {
		return nil, fmt.Errorf("%w: the first checkpoint is the larger", ErrNotMisbehaviour)
	}
	m := &Misbehaviour{First: a.note, Second: b.note}
	if a.tree.N == b.tree.N {
		if a.tree.Hash == b.tree.Hash {
			return nil, ErrNotMisbehaviour
		}
		return m, nil
	}
	if m.Root, err = tlog.TreeHash(a.tree.N, hashes); err != nil {
		return nil, fmt.Errorf("witness: the second tree's root at size %d: %v", a.tree.N, err)
	}
	if m.Proof, err = tlog.ProveTree(b.tree.N, a.tree.N, hashes); err != nil {
		return nil, fmt.Errorf("witness: consistency proof: %v", err)
	}
	if err := VerifyMisbehaviour(key, m); err != nil {
		return nil, err
	}
	return m, nil
}

// The encoding of a Misbehaviour:
//
//	magic "ZKMB" | version 1 | first (u32 length, note) | second (u32 length, note)
//	| root (32 bytes, zero for one size) | proof count (1 byte) | proof hashes (32 each)
const (
	misbehaviourMagic   = "ZKMB"
	misbehaviourVersion = 1
)

// Bytes returns the evidence's encoding.
func (m *Misbehaviour) Bytes() []byte {
	out := append([]byte(misbehaviourMagic), misbehaviourVersion)
	out = appendNote(appendNote(out, m.First), m.Second)
	return appendProof(append(out, m.Root[:]...), m.Proof)
}

// ParseMisbehaviour decodes evidence strictly (bounded sizes, no trailing
// bytes, a zero root without a proof). It does not verify it: see
// [VerifyMisbehaviour].
func ParseMisbehaviour(b []byte) (*Misbehaviour, error) {
	rest, ok := bytes.CutPrefix(b, []byte(misbehaviourMagic))
	if !ok || len(rest) < 1 || rest[0] != misbehaviourVersion {
		return nil, fmt.Errorf("%w: not a version %d misbehaviour", ErrMalformed, misbehaviourVersion)
	}
	m := new(Misbehaviour)
	var err error
	if m.First, rest, err = cutNote(rest[1:]); err != nil {
		return nil, err
	}
	if m.Second, rest, err = cutNote(rest); err != nil {
		return nil, err
	}
	if len(rest) < tlog.HashSize {
		return nil, fmt.Errorf("%w: truncated misbehaviour", ErrMalformed)
	}
	copy(m.Root[:], rest)
	if m.Proof, err = parseProof(rest[tlog.HashSize:]); err != nil {
		return nil, err
	}
	if len(m.Proof) == 0 && m.Root != (tlog.Hash{}) {
		return nil, fmt.Errorf("%w: a root without a proof", ErrMalformed)
	}
	return m, nil
}
