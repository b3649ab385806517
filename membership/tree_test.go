package membership

import (
	"context"
	"math/bits"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/statement"
)

// refRoot is the obviously-correct recursive definition of a LeanIMT root:
// one leaf is its own root; otherwise the left subtree holds the largest
// power of two strictly below n leaves, and the root is Node(left, right).
// (A right subtree smaller than the left is promoted level by level without
// hashing, so its LeanIMT root is its contribution.)
func refRoot(leaves []fr.Element) fr.Element {
	switch n := len(leaves); n {
	case 0:
		return fr.Element{}
	case 1:
		if leaves[0].IsZero() {
			return fr.Element{} // a removed member
		}
		return poseidon2.Hash(poseidon2.TagLeaf, leaves[0])
	default:
		half := 1 << (bits.Len(uint(n-1)) - 1)
		l, r := refRoot(leaves[:half]), refRoot(leaves[half:])
		return poseidon2.Node(&l, &r)
	}
}

func testLeaves(first, n int) []Commitment {
	out := make([]Commitment, n)
	for i := range out {
		var e fr.Element
		e.SetUint64(uint64(first + i + 1))
		e = poseidon2.Hash(poseidon2.TagIdentity, e)
		out[i] = Commitment(e)
	}
	return out
}

func elems(cs []Commitment) []fr.Element {
	out := make([]fr.Element, len(cs))
	for i, c := range cs {
		out[i] = fr.Element(c)
	}
	return out
}

// checkTree compares t against the reference and verifies a proof of every
// live leaf, the promoted last one included.
func checkTree(t *testing.T, tr *Tree, leaves []fr.Element) {
	t.Helper()
	require.Equal(t, uint64(len(leaves)), tr.Size())
	want := refRoot(leaves)
	root := tr.Root()
	require.True(t, want.Equal(&root), "root mismatch at size %d", len(leaves))
	wantDepth := 0
	if len(leaves) > 1 {
		wantDepth = bits.Len(uint(len(leaves) - 1))
	}
	require.Equal(t, wantDepth, tr.Depth())
	for i, leaf := range leaves {
		p, err := tr.Proof(uint64(i))
		if leaf.IsZero() {
			require.ErrorIs(t, err, ErrRemoved)
			continue
		}
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Siblings), wantDepth)
		require.NoError(t, p.Verify(root), "leaf %d of %d", i, len(leaves))
		j, ok := tr.IndexOf(Commitment(leaf))
		require.True(t, ok)
		require.Equal(t, uint64(i), j)
	}
}

func TestTreeMatchesReference(t *testing.T) {
	sizes := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129}
	for _, n := range sizes {
		// One at a time.
		tr := NewTree(nil)
		cs := testLeaves(0, n)
		for i, c := range cs {
			idx, err := tr.Insert(c)
			require.NoError(t, err)
			require.Equal(t, uint64(i), idx)
		}
		checkTree(t, tr, elems(cs))
		// As one batch.
		tb := NewTree(nil)
		first, err := tb.InsertMany(context.Background(), cs)
		require.NoError(t, err)
		require.Equal(t, uint64(0), first)
		checkTree(t, tb, elems(cs))
		// Updates and removals.
		if n == 0 {
			continue
		}
		leaves := elems(cs)
		upd := testLeaves(1000, n)
		for i := 0; i < n; i += 3 {
			require.NoError(t, tr.Update(uint64(i), upd[i]))
			leaves[i] = fr.Element(upd[i])
		}
		for i := 1; i < n; i += 4 {
			require.NoError(t, tr.Remove(uint64(i)))
			leaves[i] = fr.Element{}
		}
		if !leaves[n-1].IsZero() {
			require.NoError(t, tr.Remove(uint64(n-1)))
			leaves[n-1] = fr.Element{}
		}
		checkTree(t, tr, leaves)
	}
}

func TestTreeLargeBatchParallel(t *testing.T) {
	// Above parallelThreshold, and appended onto a non-power-of-two tree so
	// the previously promoted node gets a sibling.
	tr := NewTree(nil)
	a := testLeaves(0, 1001)
	b := testLeaves(1001, 3*parallelThreshold+5)
	_, err := tr.InsertMany(context.Background(), a)
	require.NoError(t, err)
	_, err = tr.InsertMany(context.Background(), b)
	require.NoError(t, err)
	all := append(elems(a), elems(b)...)
	want := refRoot(all)
	got := tr.Root()
	require.True(t, want.Equal(&got))
	for _, i := range []uint64{0, 1000, 1001, uint64(len(all) - 1)} {
		p, err := tr.Proof(i)
		require.NoError(t, err)
		require.NoError(t, p.Verify(got))
	}
}

func TestTreeRejects(t *testing.T) {
	tr := NewTree(nil)
	cs := testLeaves(0, 4)
	_, err := tr.InsertMany(context.Background(), cs)
	require.NoError(t, err)
	root := tr.Root()

	_, err = tr.Insert(Commitment{})
	require.ErrorIs(t, err, ErrZeroCommitment)
	var big fr.Element
	big[0], big[1], big[2], big[3] = ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)
	_, err = tr.Insert(Commitment(big))
	require.ErrorIs(t, err, ErrCommitmentRange)
	var rl fr.Element // exactly r in limbs
	for i, m := 0, fr.Modulus(); i < 4; i++ {
		rl[i] = m.Uint64()
		m.Rsh(m, 64)
	}
	r := Commitment(rl)
	_, err = tr.Insert(r)
	require.ErrorIs(t, err, ErrCommitmentRange)
	_, err = tr.Insert(cs[2])
	require.ErrorIs(t, err, ErrDuplicate)
	fresh := testLeaves(10, 2)
	_, err = tr.InsertMany(context.Background(), []Commitment{fresh[0], fresh[1], fresh[0]})
	require.ErrorIs(t, err, ErrDuplicate)
	_, err = tr.InsertMany(context.Background(), []Commitment{fresh[0], {}})
	require.ErrorIs(t, err, ErrZeroCommitment)
	require.ErrorIs(t, tr.Update(4, fresh[0]), ErrIndexOutOfRange)
	require.ErrorIs(t, tr.Update(0, cs[1]), ErrDuplicate)
	require.ErrorIs(t, tr.Update(0, Commitment{}), ErrZeroCommitment)
	require.ErrorIs(t, tr.Remove(99), ErrIndexOutOfRange)
	_, err = tr.Proof(4)
	require.ErrorIs(t, err, ErrIndexOutOfRange)
	_, err = tr.Leaf(4)
	require.ErrorIs(t, err, ErrIndexOutOfRange)
	// Nothing above changed the tree.
	got := tr.Root()
	require.True(t, root.Equal(&got))
	require.Equal(t, uint64(4), tr.Size())

	require.NoError(t, tr.Remove(1))
	require.ErrorIs(t, tr.Remove(1), ErrRemoved)
	require.ErrorIs(t, tr.Update(1, fresh[1]), ErrRemoved)
	_, err = tr.Proof(1)
	require.ErrorIs(t, err, ErrRemoved)
	_, ok := tr.IndexOf(cs[1])
	require.False(t, ok)
	leaf, err := tr.Leaf(1)
	require.NoError(t, err)
	require.Equal(t, Commitment{}, leaf)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tr.InsertMany(ctx, fresh)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, uint64(4), tr.Size())
}

func TestEmptyAndSingle(t *testing.T) {
	tr := NewTree(nil)
	root := tr.Root()
	require.True(t, root.IsZero())
	require.False(t, tr.KnownRoot(root), "root 0 is never known")
	_, err := tr.Proof(0)
	require.ErrorIs(t, err, ErrIndexOutOfRange)
	c := testLeaves(0, 1)[0]
	_, err = tr.Insert(c)
	require.NoError(t, err)
	root = tr.Root()
	leaf := poseidon2.Hash(poseidon2.TagLeaf, fr.Element(c))
	require.True(t, root.Equal(&leaf), "one leaf: root = Leaf(commitment)")
	p, err := tr.Proof(0)
	require.NoError(t, err)
	require.Empty(t, p.Siblings)
	require.NoError(t, p.Verify(root))
}

func TestProofVerifyRejects(t *testing.T) {
	tr := NewTree(nil)
	_, err := tr.InsertMany(context.Background(), testLeaves(0, 11))
	require.NoError(t, err)
	root := tr.Root()
	p, err := tr.Proof(10) // the promoted last leaf
	require.NoError(t, err)
	require.NoError(t, p.Verify(root))

	mut := func(f func(q *Proof)) error {
		q := &Proof{Root: p.Root, Leaf: p.Leaf, Index: p.Index,
			Siblings: append([]fr.Element(nil), p.Siblings...),
			PathBits: append([]bool(nil), p.PathBits...)}
		f(q)
		return q.Verify(root)
	}
	one := fr.One()
	require.ErrorIs(t, mut(func(q *Proof) {
		e := fr.Element(q.Leaf)
		q.Leaf = Commitment(*e.Add(&e, &one))
	}), ErrInvalidProof)
	require.ErrorIs(t, mut(func(q *Proof) { q.Siblings[0].Add(&q.Siblings[0], &one) }), ErrInvalidProof)
	require.ErrorIs(t, mut(func(q *Proof) { q.PathBits[0] = !q.PathBits[0] }), ErrInvalidProof)
	require.ErrorIs(t, mut(func(q *Proof) { q.Siblings = q.Siblings[:1]; q.PathBits = q.PathBits[:1] }), ErrInvalidProof)
	require.ErrorIs(t, mut(func(q *Proof) { q.Leaf = Commitment{} }), ErrInvalidProof)
	require.Error(t, mut(func(q *Proof) { q.PathBits = q.PathBits[1:] }))
	require.Error(t, mut(func(q *Proof) {
		q.Siblings = make([]fr.Element, statement.MaxDepth+1)
		q.PathBits = make([]bool, statement.MaxDepth+1)
	}))
	require.ErrorIs(t, p.Verify(fr.Element{}), ErrInvalidProof)
	require.Error(t, (*Proof)(nil).Verify(root))

	// An internal node cannot pose as a leaf at a shorter depth: the node
	// above leaves 0 and 1 with the level-1 path of leaf 0 verifies as a
	// Merkle path, but no identity has it as its commitment, and a leaf
	// proof against it must go through Proof.Verify with a real leaf.
	p0, err := tr.Proof(0)
	require.NoError(t, err)
	leaf0 := fr.Element(p0.Leaf)
	node := poseidon2.Node(&p0.Siblings[0], &leaf0) // wrong order: not the real node
	short := &Proof{Leaf: Commitment(node), Siblings: p0.Siblings[1:], PathBits: p0.PathBits[1:]}
	require.ErrorIs(t, short.Verify(root), ErrInvalidProof)
}

func TestRootHistory(t *testing.T) {
	tr := NewTree(&TreeOptions{RootHistory: 3})
	var roots []fr.Element
	for _, c := range testLeaves(0, 5) {
		_, err := tr.Insert(c)
		require.NoError(t, err)
		roots = append(roots, tr.Root())
	}
	for i, r := range roots {
		require.Equal(t, i >= 2, tr.KnownRoot(r), "root %d", i)
	}
	// A removed member keeps a valid proof against an older root, but that
	// root belongs to an earlier epoch and is no longer known.
	p, err := tr.Proof(0)
	require.NoError(t, err)
	require.NoError(t, tr.Remove(0))
	require.NoError(t, p.Verify(p.Root))
	require.False(t, tr.KnownRoot(p.Root), "a root from before a removal is not known")
	require.True(t, tr.KnownRoot(tr.Root()))
}

func TestRootHistoryRecurringRoot(t *testing.T) {
	var h rootHistory
	h.init(2)
	var a, b fr.Element
	a.SetUint64(1)
	b.SetUint64(2)
	h.push(entry{Head{1, a}, 0})
	h.push(entry{Head{1, a}, 1})
	h.push(entry{Head{2, b}, 1})
	e, ok := h.lookup(a)
	require.True(t, ok)
	require.Equal(t, uint64(1), e.epoch, "the newest entry of a recurring root wins")
	h.push(entry{Head{2, b}, 2})
	_, ok = h.lookup(a)
	require.False(t, ok)
	require.Equal(t, []entry{{Head{2, b}, 1}, {Head{2, b}, 2}}, h.entries())
}

// TestConcurrentReadersAndWriters runs writers and readers at once (run it
// under -race) and checks that every root a reader saw is the root of some
// prefix of the operations.
func TestConcurrentReadersAndWriters(t *testing.T) {
	tr := NewTree(&TreeOptions{RootHistory: 4096})
	const writers, perWriter = 4, 40
	const readers = 4
	seen := make([][]fr.Element, readers)
	stop := make(chan struct{})
	var rd sync.WaitGroup
	for r := range readers {
		rd.Add(1)
		go func() {
			defer rd.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				root := tr.Root()
				seen[r] = append(seen[r], root)
				if n := tr.Size(); n > 0 {
					p, err := tr.Proof(n - 1)
					if err == nil {
						require.NoError(t, p.Verify(p.Root))
					}
				}
			}
		}()
	}
	var wr sync.WaitGroup
	for w := range writers {
		wr.Add(1)
		go func() {
			defer wr.Done()
			cs := testLeaves(w*perWriter, perWriter)
			for i := 0; i < len(cs); i += 2 {
				_, err := tr.InsertMany(context.Background(), cs[i:i+2])
				require.NoError(t, err)
			}
		}()
	}
	wr.Wait()
	close(stop)
	rd.Wait()
	// The final leaf order is the linearisation of the writes; every root
	// seen must be the root of one of its batch-aligned prefixes.
	leaves := elems(tr.Leaves())
	prefix := map[fr.Element]bool{{}: true}
	for n := 2; n <= len(leaves); n += 2 {
		prefix[refRoot(leaves[:n])] = true
	}
	count := 0
	for _, roots := range seen {
		for _, r := range roots {
			require.True(t, prefix[r], "a reader saw a root of no prefix")
			count++
		}
	}
	require.Positive(t, count)
}

// The identity of a tree is its leaves: equal leaves, equal roots.
func TestRefRootKnownSmall(t *testing.T) {
	l := elems(testLeaves(0, 3))
	for i := range l {
		l[i] = poseidon2.Hash(poseidon2.TagLeaf, l[i])
	}
	n01 := poseidon2.Node(&l[0], &l[1])
	want := poseidon2.Node(&n01, &l[2])
	got := refRoot(elems(testLeaves(0, 3)))
	require.True(t, want.Equal(&got))
}

func FuzzTreeOps(f *testing.F) {
	f.Add([]byte{0, 5, 1, 2, 3, 0, 7})
	f.Add([]byte{0, 1, 0, 1, 0, 1, 2, 0, 3, 0})
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 64 {
			script = script[:64]
		}
		dir := t.TempDir()
		tr, err := OpenTree(context.Background(), dir, &TreeOptions{SnapshotBytes: 512})
		require.NoError(t, err)
		var leaves []fr.Element
		next := 0
		for i := 0; i+1 < len(script); i += 2 {
			arg := int(script[i+1])
			switch script[i] % 4 {
			case 0, 1: // insert a batch of 1..8
				cs := testLeaves(next, arg%8+1)
				next += len(cs)
				_, err := tr.InsertMany(context.Background(), cs)
				require.NoError(t, err)
				leaves = append(leaves, elems(cs)...)
			case 2: // update
				if len(leaves) == 0 {
					continue
				}
				j := arg % len(leaves)
				c := testLeaves(next, 1)[0]
				next++
				err := tr.Update(uint64(j), c)
				if leaves[j].IsZero() {
					require.ErrorIs(t, err, ErrRemoved)
					continue
				}
				require.NoError(t, err)
				leaves[j] = fr.Element(c)
			case 3: // remove
				if len(leaves) == 0 {
					continue
				}
				j := arg % len(leaves)
				err := tr.Remove(uint64(j))
				if leaves[j].IsZero() {
					require.ErrorIs(t, err, ErrRemoved)
					continue
				}
				require.NoError(t, err)
				leaves[j] = fr.Element{}
			}
		}
		checkTree(t, tr, leaves)
		want := tr.Root()
		require.NoError(t, tr.Close())
		re, err := OpenTree(context.Background(), dir, nil)
		require.NoError(t, err)
		defer re.Close()
		got := re.Root()
		require.True(t, want.Equal(&got))
		checkTree(t, re, leaves)
	})
}

// TestIndexFingerprintCollisions inserts commitments that all share one
// index fingerprint (chosen limbs, as a hostile registrant could) and checks
// that lookups, duplicates, updates and removals stay exact.
func TestIndexFingerprintCollisions(t *testing.T) {
	mk := func(i uint64) Commitment { return Commitment(fr.Element{5, i, 0, 0}) }
	tr := NewTree(nil)
	var cs []Commitment
	for i := uint64(1); i <= 50; i++ {
		cs = append(cs, mk(i))
	}
	_, err := tr.InsertMany(context.Background(), cs[:25])
	require.NoError(t, err)
	for _, c := range cs[25:] {
		_, err := tr.Insert(c)
		require.NoError(t, err)
	}
	_, err = tr.Insert(mk(30))
	require.ErrorIs(t, err, ErrDuplicate)
	_, err = tr.InsertMany(context.Background(), []Commitment{mk(100), mk(101), mk(100)})
	require.ErrorIs(t, err, ErrDuplicate)
	require.NoError(t, tr.Remove(0)) // the fingerprint-map entry
	require.NoError(t, tr.Update(7, mk(200)))
	require.ErrorIs(t, tr.Update(8, mk(200)), ErrDuplicate)
	_, ok := tr.IndexOf(mk(1))
	require.False(t, ok)
	_, ok = tr.IndexOf(mk(8))
	require.False(t, ok)
	for i := uint64(2); i <= 50; i++ {
		if i == 8 {
			continue
		}
		j, ok := tr.IndexOf(mk(i))
		require.True(t, ok, i)
		require.Equal(t, i-1, j)
	}
	j, ok := tr.IndexOf(mk(200))
	require.True(t, ok)
	require.Equal(t, uint64(7), j)
	// Re-adding a removed commitment is allowed: it is no longer a leaf.
	_, err = tr.Insert(mk(1))
	require.NoError(t, err)
	checkTree(t, tr, elems(tr.Leaves()))
}
