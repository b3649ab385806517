package membership

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/poseidon2"
)

// Head is a census root together with the number of leaves it covers, like
// a transparency log's tree head. An election pins the heads it accepts.
type Head struct {
	Size uint64
	Root fr.Element
}

// Errors of census checks.
var (
	// ErrUnknownHead: a head that the tree does not remember, or whose size
	// does not match the root.
	ErrUnknownHead = errors.New("membership: unknown census head")
	// ErrMixedEpochs: heads from two census epochs. A citizen who rotated
	// their key, or was removed and registered again, holds one commitment
	// in each epoch and could vote once with each.
	ErrMixedEpochs = errors.New("membership: census heads from different epochs")
)

// Head returns the current head: the size and the root.
func (t *Tree) Head() Head {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return Head{t.size(), t.root()}
}

// Epoch returns the census epoch: 0 for a new tree, one more after every
// [Tree.Update] and [Tree.Remove].
//
// Within an epoch the tree only grows by insertion, so every root of the
// epoch is the root of a prefix of one list of commitments and no citizen
// has more than one commitment under all of them together. Across epochs
// that fails: after a key rotation the old commitment proves under an old
// root and the new one under a new root, two nullifiers for one citizen.
// An election therefore accepts heads of one epoch only; [Tree.CheckHeads]
// checks that against the tree, and [VerifyHeads] lets anyone check it
// against the published list of commitments.
func (t *Tree) Epoch() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.epoch
}

// EpochHeads returns the remembered heads of the current epoch, oldest
// first, ending with the current head. An empty tree has none.
func (t *Tree) EpochHeads() []Head {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []Head
	for _, e := range t.history.entries() {
		if e.epoch == t.epoch && !e.Root.IsZero() {
			out = append(out, e.Head)
		}
	}
	return out
}

// CheckHeads checks that every head is one the tree remembers (its root and
// size) and that all of them belong to one census epoch, which need not be
// the current one. It returns an error wrapping [ErrUnknownHead] or
// [ErrMixedEpochs].
func (t *Tree) CheckHeads(heads []Head) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var epoch uint64
	for i, h := range heads {
		e, ok := t.history.lookup(h.Root)
		if h.Root.IsZero() || !ok || e.Size != h.Size {
			return fmt.Errorf("%w: head %d (size %d)", ErrUnknownHead, i, h.Size)
		}
		if i == 0 {
			epoch = e.epoch
		} else if e.epoch != epoch {
			return fmt.Errorf("%w: head %d is from epoch %d, head 0 from %d", ErrMixedEpochs, i, e.epoch, epoch)
		}
	}
	return nil
}

// VerifyHeads checks that each head is the root of the first Size entries
// of commitments, the list a registrar publishes (the zero Commitment
// marking a removed member, as [Tree.Leaves] returns it). Heads that pass
// are prefixes of one list, so they belong to one epoch and no citizen holds
// two commitments under them. It returns nil, or an error wrapping [ErrUnknownHead] naming
// the first head that does not match. It costs one hash per commitment and
// per node, once, however many heads there are.
func VerifyHeads(commitments []Commitment, heads []Head) error {
	var maxSize uint64
	for _, h := range heads {
		maxSize = max(maxSize, h.Size)
	}
	if maxSize > uint64(len(commitments)) {
		return fmt.Errorf("%w: a head covers %d commitments, the list has %d", ErrUnknownHead, maxSize, len(commitments))
	}
	for i, c := range commitments[:maxSize] {
		if c != (Commitment{}) {
			if err := checkCommitment(c); err != nil {
				return fmt.Errorf("membership: commitment %d: %w", i, err)
			}
		}
	}
	levels := buildLevels(unsafeElements(commitments[:maxSize]))
	for i, h := range heads {
		if h.Root.IsZero() {
			return fmt.Errorf("%w: head %d has root 0", ErrUnknownHead, i)
		}
		if got := prefixRoot(levels, h.Size); !got.Equal(&h.Root) {
			return fmt.Errorf("%w: head %d is not the root of the first %d commitments", ErrUnknownHead, i, h.Size)
		}
	}
	return nil
}

// buildLevels returns every level of the LeanIMT over commitments: leaves
// first, the root last.
func buildLevels(commitments []fr.Element) [][]fr.Element {
	n := uint64(len(commitments))
	if n == 0 {
		return nil
	}
	leaves := make([]fr.Element, n)
	parallel(0, n, func(a, b uint64) { hashLeaves(commitments, leaves, a, b) })
	return rehashLevels([][]fr.Element{leaves}, 0)
}

// prefixRoot returns the root of the tree of the first size leaves of the
// tree whose levels are given, walking up its right edge. Every node left of
// the edge covers leaves below size only, so it is the same in both trees.
func prefixRoot(levels [][]fr.Element, size uint64) fr.Element {
	if size == 0 {
		return fr.Element{}
	}
	last := size - 1 // index of the right-edge node on the current level
	node := levels[0][last]
	for k := 0; last > 0; k++ {
		if last%2 == 1 {
			node = poseidon2.Node(&levels[k][last-1], &node)
		} // else a lone left child, promoted unhashed
		last /= 2
	}
	return node
}
