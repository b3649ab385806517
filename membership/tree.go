package membership

import (
	"context"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"unsafe"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/statement"
)

// MaxLeaves is the largest number of leaves a Tree holds: 2^32, the capacity
// of a depth-32 membership circuit.
const MaxLeaves = 1 << statement.MaxDepth

// DefaultRootHistory is how many recent roots a tree remembers by default.
const DefaultRootHistory = 128

// TreeOptions configure a Tree. A nil *TreeOptions means the defaults.
type TreeOptions struct {
	// RootHistory is how many of the most recent roots [Tree.KnownRoot]
	// accepts, the current one included; 0 means DefaultRootHistory.
	RootHistory int
	// SnapshotBytes is the log size after which a persistent tree writes a
	// snapshot and starts a new log; 0 means 64 MiB.
	SnapshotBytes int64
	// Existing makes [OpenTree] refuse a directory that holds no tree
	// ([ErrNoTree]), creating nothing, rather than start a new tree there:
	// for readers, which a mistyped directory should not send on with an
	// empty census.
	Existing bool
}

func (o *TreeOptions) withDefaults() TreeOptions {
	var out TreeOptions
	if o != nil {
		out = *o
	}
	if out.RootHistory <= 0 {
		out.RootHistory = DefaultRootHistory
	}
	if out.SnapshotBytes <= 0 {
		out.SnapshotBytes = 64 << 20
	}
	return out
}

// Tree is a citizen tree: a Lean Incremental Merkle Tree (LeanIMT, as in
// Semaphore v4 and zk-kit) of identity commitments.
//
// Commitments keep their insertion order. The leaf of commitment c is
// Leaf(c) = Hash(TagLeaf, c), never c itself (see the package doc's
// Security section). A node with both children is Node(left, right); a left
// child without a right sibling is promoted to the parent unhashed. The
// depth is ceil(log2(size)); a one-leaf tree's root is its leaf and an empty
// tree's root is 0. Removing a member sets its leaf to 0 for good; whether a
// member exists is decided by its index, never by a value.
//
// Every [Tree.Update] and [Tree.Remove] starts a new census epoch (see
// [Tree.Epoch]); within one epoch the tree only grows.
//
// A Tree is safe for concurrent use by many readers and writers; writers are
// serialised, and a persistent tree makes each change durable before any
// reader can see its root.
type Tree struct {
	// wmu serialises writers. A writer validates and logs under wmu alone,
	// so readers are not blocked during fsync, then applies under mu.
	wmu sync.Mutex
	mu  sync.RWMutex

	opts    TreeOptions
	commits []fr.Element   // the registered commitments; 0 where removed
	levels  [][]fr.Element // levels[0] are the leaves Leaf(c); the last level holds the root
	index   leafIndex      // commitment → index, over commits
	epoch   uint64         // Update and Remove operations applied
	history rootHistory
	seq     uint64 // operations applied since the tree was created
	store   *store // nil for an in-memory tree
	closed  bool
}

// NewTree returns an empty in-memory tree.
func NewTree(opts *TreeOptions) *Tree {
	o := opts.withDefaults()
	t := &Tree{opts: o, index: newLeafIndex(0)}
	t.history.init(o.RootHistory)
	t.history.push(entry{})
	return t
}

// Size returns the number of leaves, removed ones included.
func (t *Tree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size()
}

func (t *Tree) size() uint64 {
	if len(t.levels) == 0 {
		return 0
	}
	return uint64(len(t.levels[0]))
}

// Depth returns ceil(log2(Size())), and 0 for an empty or one-leaf tree.
func (t *Tree) Depth() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return depthFor(t.size())
}

func depthFor(n uint64) int {
	if n <= 1 {
		return 0
	}
	return bits.Len64(n - 1)
}

// Root returns the current root; 0 for an empty tree.
func (t *Tree) Root() fr.Element {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.root()
}

func (t *Tree) root() fr.Element {
	if len(t.levels) == 0 {
		return fr.Element{}
	}
	return t.levels[len(t.levels)-1][0]
}

// Leaf returns the commitment registered at index i, or the zero
// Commitment if it was removed.
func (t *Tree) Leaf(i uint64) (Commitment, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if i >= t.size() {
		return Commitment{}, ErrIndexOutOfRange
	}
	return Commitment(t.commits[i]), nil
}

// Leaves returns a copy of all registered commitments in insertion order,
// with the zero Commitment for removed ones. [VerifyHeads] recomputes roots
// from this list.
func (t *Tree) Leaves() []Commitment {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Commitment, len(t.commits))
	copy(unsafeElements(out), t.commits)
	return out
}

// IndexOf returns the index of commitment c, if c is a current leaf.
func (t *Tree) IndexOf(c Commitment) (uint64, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e := fr.Element(c)
	i, ok := t.index.lookup(&e, t.commits)
	return uint64(i), ok
}

// KnownRoot reports whether root is the current root or one of the
// RootHistory most recent roots of the current epoch. Root 0 is never
// known, and neither is any root from before the last [Tree.Update] or
// [Tree.Remove]: a removed or rotated member cannot prove with it.
func (t *Tree) KnownRoot(root fr.Element) bool {
	if root.IsZero() {
		return false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.history.lookup(root)
	return ok && e.epoch == t.epoch
}

// Insert appends commitment c and returns its index.
func (t *Tree) Insert(c Commitment) (uint64, error) {
	first, err := t.InsertMany(context.Background(), []Commitment{c})
	return first, err
}

// InsertMany appends the commitments in order, as one operation, and returns
// the index of the first. Either all are inserted or none is: a zero,
// out-of-range or duplicate commitment (within the batch or against the tree)
// rejects the batch. The hashing runs on all CPUs.
//
// ctx is checked before the batch is validated and before it is committed;
// once committed (logged, for a persistent tree) the batch is applied in full
// and cancellation no longer has an effect.
func (t *Tree) InsertMany(ctx context.Context, cs []Commitment) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closed {
		return 0, ErrClosed
	}
	first := t.size() // only writers change the size, and we are the writer
	if len(cs) == 0 {
		return first, nil
	}
	if err := t.checkInsert(cs); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return first, t.commit(op{kind: opInsert, leaves: cs})
}

// checkInsert validates a batch against the tree; the caller holds wmu.
func (t *Tree) checkInsert(cs []Commitment) error {
	if t.size()+uint64(len(cs)) > MaxLeaves {
		return ErrTreeFull
	}
	leaves := t.commits
	batch := unsafeElements(cs)
	var seen leafIndex
	if len(cs) > 1 {
		seen = newLeafIndex(len(cs))
	}
	for i := range batch {
		if err := checkCommitment(cs[i]); err != nil {
			return batchErr(len(cs), i, err)
		}
		if _, dup := t.index.lookup(&batch[i], leaves); dup {
			return batchErr(len(cs), i, ErrDuplicate)
		}
		if len(cs) > 1 {
			if _, dup := seen.lookup(&batch[i], batch); dup {
				return batchErr(len(cs), i, ErrDuplicate)
			}
			seen.add(&batch[i], uint32(i))
		}
	}
	return nil
}

func batchErr(n, i int, err error) error {
	if n == 1 {
		return err
	}
	return fmt.Errorf("membership: batch entry %d: %w", i, err)
}

// checkCommitment rejects zero and values whose limbs are not below r (an
// fr.Element built by hand rather than by a decoder).
func checkCommitment(c Commitment) error {
	e := fr.Element(c)
	if !field.IsReduced(&e) {
		return ErrCommitmentRange
	}
	if e.IsZero() {
		return ErrZeroCommitment
	}
	return nil
}

// Update replaces the commitment at index i (key rotation). It starts a new
// census epoch: the old commitment can still prove against roots of earlier
// epochs, so an election must never accept roots of two epochs (see
// [Tree.Epoch]).
func (t *Tree) Update(i uint64, c Commitment) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closed {
		return ErrClosed
	}
	if err := t.checkLive(i); err != nil {
		return err
	}
	if err := checkCommitment(c); err != nil {
		return err
	}
	if t.contains(c) {
		return ErrDuplicate
	}
	return t.commit(op{kind: opUpdate, index: i, leaves: []Commitment{c}})
}

// Remove sets the leaf at index i to 0 for good. It starts a new census
// epoch (see [Tree.Epoch]).
func (t *Tree) Remove(i uint64) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closed {
		return ErrClosed
	}
	if err := t.checkLive(i); err != nil {
		return err
	}
	return t.commit(op{kind: opRemove, index: i})
}

// contains reports whether c is a current leaf; the caller holds wmu or mu.
func (t *Tree) contains(c Commitment) bool {
	e := fr.Element(c)
	_, ok := t.index.lookup(&e, t.commits)
	return ok
}

func (t *Tree) checkLive(i uint64) error {
	if i >= t.size() {
		return ErrIndexOutOfRange
	}
	if t.commits[i].IsZero() {
		return ErrRemoved
	}
	return nil
}

// commit makes o durable (for a persistent tree) and then applies it. The
// caller holds wmu and has validated o.
func (t *Tree) commit(o op) error {
	o.seq = t.seq + 1
	if t.store != nil {
		if err := t.store.append(&o); err != nil {
			return err
		}
	}
	t.mu.Lock()
	t.apply(&o)
	t.mu.Unlock()
	if t.store != nil && t.store.logSize >= t.opts.SnapshotBytes {
		// The operation is durable in the log; a failed snapshot only
		// means the log keeps growing, and is retried on the next write.
		_ = t.store.snapshot(t)
	}
	return nil
}

// apply changes the tree; the caller holds mu for writing (or owns t).
func (t *Tree) apply(o *op) {
	switch o.kind {
	case opInsert:
		start := t.size()
		if len(t.levels) == 0 {
			t.levels = append(t.levels, nil)
		}
		t.commits = appendGrow(t.commits, unsafeElements(o.leaves))
		t.levels[0] = appendGrow(t.levels[0], make([]fr.Element, len(o.leaves)))
		parallel(start, t.size(), func(a, b uint64) { hashLeaves(t.commits, t.levels[0], a, b) })
		t.index.grow(len(o.leaves))
		for k := range o.leaves {
			i := start + uint64(k)
			t.index.add(&t.commits[i], uint32(i))
		}
		t.rehash(start)
	case opUpdate:
		t.index.remove(&t.commits[o.index], uint32(o.index))
		t.commits[o.index] = fr.Element(o.leaves[0])
		t.levels[0][o.index] = poseidon2.Leaf(&t.commits[o.index])
		t.index.add(&t.commits[o.index], uint32(o.index))
		t.rehash(o.index)
		t.epoch++
	case opRemove:
		t.index.remove(&t.commits[o.index], uint32(o.index))
		t.commits[o.index] = fr.Element{}
		t.levels[0][o.index] = fr.Element{}
		t.rehash(o.index)
		t.epoch++
	}
	t.seq = o.seq
	t.history.push(entry{Head{t.size(), t.root()}, t.epoch})
}

// hashLeaves sets leaves[i] = Leaf(commits[i]) for i in [lo, hi), and 0
// where the commitment is 0 (removed).
func hashLeaves(commits, leaves []fr.Element, lo, hi uint64) {
	for i := lo; i < hi; i++ {
		if commits[i].IsZero() {
			leaves[i] = fr.Element{}
		} else {
			leaves[i] = poseidon2.Leaf(&commits[i])
		}
	}
}

// appendGrow appends add to s, growing the backing array by at least an
// eighth at a time (instead of append's doubling for small slices) so a large
// tree carries little spare capacity.
func appendGrow(s, add []fr.Element) []fr.Element {
	if need := len(s) + len(add); need > cap(s) {
		grown := make([]fr.Element, len(s), need+need/8+16)
		copy(grown, s)
		s = grown
	}
	return append(s, add...)
}

// unsafeElements views commitments as field elements (same memory layout).
func unsafeElements(cs []Commitment) []fr.Element {
	if len(cs) == 0 {
		return nil
	}
	return unsafe.Slice((*fr.Element)(unsafe.Pointer(&cs[0])), len(cs))
}

// parallelThreshold is the number of nodes in a level above which hashing is
// split across goroutines.
const parallelThreshold = 2048

// rehash recomputes every node above leaves[from:], leaving a single root.
func (t *Tree) rehash(from uint64) {
	t.levels = rehashLevels(t.levels, from)
}

// rehashLevels recomputes every node of levels above levels[0][from:],
// growing the upper levels as needed, and returns the levels.
func rehashLevels(levels [][]fr.Element, from uint64) [][]fr.Element {
	lo := from
	for k := 0; len(levels[k]) > 1; k++ {
		cur := levels[k]
		n := uint64(len(cur)+1) / 2
		if k+1 == len(levels) {
			levels = append(levels, make([]fr.Element, 0, n))
		}
		next := levels[k+1]
		if uint64(len(next)) < n {
			next = appendGrow(next, make([]fr.Element, n-uint64(len(next))))
		}
		lo /= 2
		hashRange(cur, next, lo, n)
		levels[k+1] = next
	}
	return levels
}

// hashRange sets next[j] for j in [lo, hi) from the children in cur.
func hashRange(cur, next []fr.Element, lo, hi uint64) {
	parallel(lo, hi, func(a, b uint64) {
		for j := a; j < b; j++ {
			l := 2 * j
			if l+1 < uint64(len(cur)) {
				next[j] = poseidon2.Node(&cur[l], &cur[l+1])
			} else {
				next[j] = cur[l]
			}
		}
	})
}

// parallel runs work over [lo, hi), split across CPUs when the range is
// large enough to pay for the goroutines.
func parallel(lo, hi uint64, work func(a, b uint64)) {
	n := hi - lo
	workers := uint64(runtime.GOMAXPROCS(0))
	if n < parallelThreshold || workers < 2 {
		work(lo, hi)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for a := lo; a < hi; a += chunk {
		b := min(a+chunk, hi)
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(a, b)
		}()
	}
	wg.Wait()
}

// Proof is a LeanIMT membership proof for one commitment. Levels where the
// node has no sibling (a promoted left child) are skipped, so Siblings holds
// only the hashed levels, bottom-up, and len(Siblings) is the proof length
// the membership circuit takes as a private input. The path starts at the
// commitment's leaf, Leaf(commitment).
type Proof struct {
	Root  fr.Element // the root the proof leads to
	Leaf  Commitment // the commitment (the path starts at its Leaf hash)
	Index uint64     // the leaf's position in the tree
	// Siblings are the sibling nodes of the hashed levels, bottom-up.
	Siblings []fr.Element
	// PathBits[j] is true when the path node is the right child at the
	// j-th hashed level, so the parent is Node(Siblings[j], node).
	PathBits []bool
}

// Proof returns the membership proof of the leaf at index i against the
// current root.
func (t *Tree) Proof(i uint64) (*Proof, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if i >= t.size() {
		return nil, ErrIndexOutOfRange
	}
	if t.commits[i].IsZero() {
		return nil, ErrRemoved
	}
	d := len(t.levels) - 1
	p := &Proof{
		Root:     t.root(),
		Leaf:     Commitment(t.commits[i]),
		Index:    i,
		Siblings: make([]fr.Element, 0, d),
		PathBits: make([]bool, 0, d),
	}
	idx := i
	for k := 0; k < d; k++ {
		level := t.levels[k]
		if sib := idx ^ 1; sib < uint64(len(level)) {
			p.Siblings = append(p.Siblings, level[sib])
			p.PathBits = append(p.PathBits, idx&1 == 1)
		}
		idx >>= 1
	}
	return p, nil
}

// ComputeRoot returns the root that the leaf of p's commitment,
// Leaf(p.Leaf), and p's path lead to.
func (p *Proof) ComputeRoot() (fr.Element, error) {
	if len(p.Siblings) != len(p.PathBits) {
		return fr.Element{}, fmt.Errorf("membership: proof has %d siblings and %d path bits", len(p.Siblings), len(p.PathBits))
	}
	if len(p.Siblings) > statement.MaxDepth {
		return fr.Element{}, fmt.Errorf("membership: proof length %d exceeds %d", len(p.Siblings), statement.MaxDepth)
	}
	leaf := fr.Element(p.Leaf)
	node := poseidon2.Leaf(&leaf)
	for j := range p.Siblings {
		if p.PathBits[j] {
			node = poseidon2.Node(&p.Siblings[j], &node)
		} else {
			node = poseidon2.Node(&node, &p.Siblings[j])
		}
	}
	return node, nil
}

// Verify checks natively that p proves its leaf under root. It returns nil
// or [ErrInvalidProof], or a descriptive error for a malformed proof. A zero
// leaf (a removed member) or a zero root never verifies.
func (p *Proof) Verify(root fr.Element) error {
	if p == nil {
		return fmt.Errorf("membership: nil proof")
	}
	got, err := p.ComputeRoot()
	if err != nil {
		return err
	}
	if root.IsZero() || p.Leaf == (Commitment{}) || !got.Equal(&root) {
		return ErrInvalidProof
	}
	return nil
}

// entry is one remembered root: its head and the epoch it belongs to.
type entry struct {
	Head
	epoch uint64
}

// rootHistory is a ring of recent entries indexed by root, so lookups are
// O(1). A root recurs only when the tree returns to an earlier state (for
// example an Update and back), which starts a new epoch; the index keeps the
// newest entry of each root.
type rootHistory struct {
	ring  []entry
	next  int
	full  bool
	index map[fr.Element]int // root → position in ring of its newest entry
}

func (h *rootHistory) init(n int) {
	*h = rootHistory{ring: make([]entry, n), index: make(map[fr.Element]int, n)}
}

func (h *rootHistory) push(e entry) {
	if h.full {
		old := h.ring[h.next].Root
		if h.index[old] == h.next {
			delete(h.index, old)
		}
	}
	h.ring[h.next] = e
	h.index[e.Root] = h.next
	h.next++
	if h.next == len(h.ring) {
		h.next, h.full = 0, true
	}
}

// lookup returns the newest remembered entry of root.
func (h *rootHistory) lookup(r fr.Element) (entry, bool) {
	i, ok := h.index[r]
	if !ok {
		return entry{}, false
	}
	return h.ring[i], true
}

// entries returns the remembered entries, oldest first.
func (h *rootHistory) entries() []entry {
	if !h.full {
		return append([]entry(nil), h.ring[:h.next]...)
	}
	return append(append([]entry(nil), h.ring[h.next:]...), h.ring[:h.next]...)
}
