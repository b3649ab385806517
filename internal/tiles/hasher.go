package tiles

import (
	"crypto/sha256"

	"golang.org/x/mod/sumdb/tlog"
)

// Hasher computes the RFC 6962 Merkle tree root of a sequence of entries
// as they are appended, keeping only the roots of the largest perfect
// subtrees (a compact range): at most 64 hashes, whatever the size. The
// zero Hasher is an empty tree, ready to use. A Hasher is not safe for
// concurrent use.
type Hasher struct {
	size uint64
	// subtrees are the roots of the perfect subtrees the tree splits
	// into, left to right, one for each bit set in size, largest first.
	subtrees []tlog.Hash
}

// Append appends an entry, whose leaf hash is [tlog.RecordHash] of it.
func (h *Hasher) Append(entry []byte) {
	x := tlog.RecordHash(entry)
	for s := h.size; s&1 == 1; s >>= 1 {
		last := len(h.subtrees) - 1
		x = tlog.NodeHash(h.subtrees[last], x)
		h.subtrees = h.subtrees[:last]
	}
	h.subtrees = append(h.subtrees, x)
	h.size++
}

// Size returns the number of entries appended.
func (h *Hasher) Size() uint64 { return h.size }

// Root returns the root hash of the tree of the entries appended so far:
// for an empty tree, SHA-256 of nothing (RFC 6962, as [tlog.TreeHash] of
// size 0 and Tessera's checkpoints have it).
func (h *Hasher) Root() tlog.Hash {
	if h.size == 0 {
		return sha256.Sum256(nil)
	}
	r := h.subtrees[len(h.subtrees)-1]
	for i := len(h.subtrees) - 2; i >= 0; i-- {
		r = tlog.NodeHash(h.subtrees[i], r)
	}
	return r
}
