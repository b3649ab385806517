package membership

import "errors"

// Errors returned by citizen trees. Each names one rejected input, so a
// registrar can tell a citizen exactly what went wrong.
var (
	// ErrZeroCommitment: 0 marks a removed leaf and is never a commitment.
	ErrZeroCommitment = errors.New("membership: commitment is zero")
	// ErrCommitmentRange: a commitment not below the field modulus r.
	ErrCommitmentRange = errors.New("membership: commitment is not below the field modulus")
	// ErrDuplicate: the commitment is already a leaf of the tree.
	ErrDuplicate = errors.New("membership: commitment is already in the tree")
	// ErrIndexOutOfRange: no leaf at that index.
	ErrIndexOutOfRange = errors.New("membership: leaf index out of range")
	// ErrRemoved: the leaf was removed and can be neither updated, removed
	// again, nor proven.
	ErrRemoved = errors.New("membership: leaf was removed")
	// ErrTreeFull: the tree holds MaxLeaves leaves.
	ErrTreeFull = errors.New("membership: tree is full")
	// ErrEmptyTree: an empty tree has root 0 and no proofs.
	ErrEmptyTree = errors.New("membership: tree is empty")
	// ErrClosed: the tree was closed.
	ErrClosed = errors.New("membership: tree is closed")
	// ErrCorrupt: a persisted tree failed its checks on open (bad magic,
	// version, checksum, length or content). Nothing is repaired silently.
	ErrCorrupt = errors.New("membership: persisted tree is corrupt")
	// ErrInvalidProof: a tree proof does not lead to the given root.
	ErrInvalidProof = errors.New("membership: invalid tree proof")
)
