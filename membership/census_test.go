package membership

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/poseidon2"
)

// forgedProofs returns, for each commitment of priv, the proof an attacker
// would present after registering priv's root as one commitment at index k
// of pub: the path through the private tree, then on along k's path.
func forgedProofs(t *testing.T, priv, pub *Tree, k uint64) []*Proof {
	t.Helper()
	tail, err := pub.Proof(k)
	require.NoError(t, err)
	var out []*Proof
	for i := range priv.Size() {
		p, err := priv.Proof(i)
		require.NoError(t, err)
		out = append(out, &Proof{
			Root:     pub.Root(),
			Leaf:     p.Leaf,
			Index:    i,
			Siblings: append(append([]fr.Element(nil), p.Siblings...), tail.Siblings...),
			PathBits: append(append([]bool(nil), p.PathBits...), tail.PathBits...),
		})
	}
	return out
}

// TestRegisteredSubtreeRootDoesNotProve is the census attack: an attacker
// registers the root of a private tree of their own commitments and presents
// a longer path through it for each. None may verify.
func TestRegisteredSubtreeRootDoesNotProve(t *testing.T) {
	priv := NewTree(nil)
	_, err := priv.InsertMany(context.Background(), testLeaves(1000, 4))
	require.NoError(t, err)
	pub := NewTree(nil)
	_, err = pub.InsertMany(context.Background(), testLeaves(0, 3))
	require.NoError(t, err)
	k, err := pub.Insert(Commitment(priv.Root()))
	require.NoError(t, err)
	for i, p := range forgedProofs(t, priv, pub, k) {
		require.ErrorIs(t, p.Verify(pub.Root()), ErrInvalidProof, "private identity %d", i)
	}
}

// TestRegisteredSubtreeRootProperty runs the census attack over random
// census sizes, random positions of the registered value, random private
// tree sizes and random later insertions, and its mirror image (registering
// one's own leaf hash to prove through it with a path one step shorter): no
// forged path ever verifies, and every honest member's proof does.
func TestRegisteredSubtreeRootProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	rounds := 60
	if testing.Short() {
		rounds = 15
	}
	for round := range rounds {
		priv := NewTree(nil)
		_, err := priv.InsertMany(context.Background(), testLeaves(10000*(round+1), 1+rng.IntN(9)))
		require.NoError(t, err)
		pub := NewTree(nil)
		_, err = pub.InsertMany(context.Background(), testLeaves(0, rng.IntN(40)))
		require.NoError(t, err)
		// Half the rounds, the attacker instead registers the leaf hash of
		// their own commitment c and presents a path that skips the leaf
		// step: c's proof with the registered value's siblings.
		viaLeaf := rng.IntN(2) == 0
		target := priv.Root()
		c, err := priv.Leaf(0)
		require.NoError(t, err)
		if viaLeaf {
			target = poseidon2Leaf(c)
		}
		k, err := pub.Insert(Commitment(target))
		require.NoError(t, err)
		_, err = pub.InsertMany(context.Background(), testLeaves(500000+round*100, rng.IntN(40)))
		require.NoError(t, err)
		forged := forgedProofs(t, priv, pub, k)
		if viaLeaf {
			tail, err := pub.Proof(k)
			require.NoError(t, err)
			forged = []*Proof{{Root: pub.Root(), Leaf: c, Index: k, Siblings: tail.Siblings, PathBits: tail.PathBits}}
		}
		for i, p := range forged {
			require.ErrorIs(t, p.Verify(pub.Root()), ErrInvalidProof, "round %d identity %d (via leaf %v)", round, i, viaLeaf)
		}
		for i := range pub.Size() {
			p, err := pub.Proof(i)
			require.NoError(t, err)
			require.NoError(t, p.Verify(pub.Root()))
		}
	}
}

func poseidon2Leaf(c Commitment) fr.Element { e := fr.Element(c); return poseidon2.Leaf(&e) }

// TestEpochs: inserts keep the epoch; Update and Remove start a new one; a
// set of heads across a rotation or a removal is refused.
func TestEpochs(t *testing.T) {
	tr := NewTree(nil)
	require.Zero(t, tr.Epoch())
	require.Empty(t, tr.EpochHeads())
	cs := testLeaves(0, 6)
	var heads []Head
	for _, c := range cs[:4] {
		_, err := tr.Insert(c)
		require.NoError(t, err)
		heads = append(heads, tr.Head())
	}
	require.Zero(t, tr.Epoch())
	require.Equal(t, heads, tr.EpochHeads())
	require.NoError(t, tr.CheckHeads(heads))
	require.NoError(t, VerifyHeads(tr.Leaves(), heads))

	// Rotation: the old commitment proves under the old head, the new one
	// under the new head. The two heads must never be accepted together.
	old, err := tr.Proof(1)
	require.NoError(t, err)
	require.NoError(t, tr.Update(1, cs[4]))
	require.Equal(t, uint64(1), tr.Epoch())
	rotated, err := tr.Proof(1)
	require.NoError(t, err)
	require.NoError(t, old.Verify(heads[3].Root))
	require.NoError(t, rotated.Verify(tr.Root()))
	require.ErrorIs(t, tr.CheckHeads([]Head{heads[3], tr.Head()}), ErrMixedEpochs)
	require.Equal(t, []Head{tr.Head()}, tr.EpochHeads())
	require.False(t, tr.KnownRoot(heads[3].Root))
	// An election pinned to the old epoch stays checkable.
	require.NoError(t, tr.CheckHeads(heads))
	require.ErrorIs(t, VerifyHeads(tr.Leaves(), append(heads, tr.Head())), ErrUnknownHead,
		"a head from before the rotation is no prefix of today's list")

	// Remove, then register the same citizen again under a new commitment.
	before := tr.Head()
	require.NoError(t, tr.Remove(2))
	removedHead := tr.Head()
	_, err = tr.Insert(cs[5])
	require.NoError(t, err)
	require.Equal(t, uint64(2), tr.Epoch())
	require.ErrorIs(t, tr.CheckHeads([]Head{before, tr.Head()}), ErrMixedEpochs)
	require.NoError(t, tr.CheckHeads([]Head{removedHead, tr.Head()}))
	require.NoError(t, VerifyHeads(tr.Leaves(), []Head{removedHead, tr.Head()}))

	// Unknown heads: a wrong size, root 0, a root never seen.
	h := tr.Head()
	require.ErrorIs(t, tr.CheckHeads([]Head{{h.Size + 1, h.Root}}), ErrUnknownHead)
	require.ErrorIs(t, tr.CheckHeads([]Head{{0, fr.Element{}}}), ErrUnknownHead)
	var x fr.Element
	x.SetUint64(42)
	require.ErrorIs(t, tr.CheckHeads([]Head{{1, x}}), ErrUnknownHead)
}

// TestVerifyHeadsProperty: for random insert-only lists, the head of every
// prefix verifies, and a head with a neighbouring size or a changed list
// does not.
func TestVerifyHeadsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for round := range 20 {
		n := 1 + rng.IntN(70)
		tr := NewTree(&TreeOptions{RootHistory: 200})
		var heads []Head
		for _, c := range testLeaves(round*1000, n) {
			_, err := tr.Insert(c)
			require.NoError(t, err)
			if rng.IntN(3) == 0 || tr.Size() == uint64(n) {
				heads = append(heads, tr.Head())
			}
		}
		leaves := tr.Leaves()
		require.NoError(t, VerifyHeads(leaves, heads), "round %d", round)
		require.NoError(t, tr.CheckHeads(heads))
		h := heads[rng.IntN(len(heads))]
		if h.Size > 1 {
			require.ErrorIs(t, VerifyHeads(leaves, []Head{{h.Size - 1, h.Root}}), ErrUnknownHead)
		}
		require.ErrorIs(t, VerifyHeads(leaves[:h.Size-1], []Head{h}), ErrUnknownHead)
		changed := append([]Commitment(nil), leaves...)
		changed[rng.IntN(int(h.Size))] = testLeaves(1000000+round, 1)[0]
		require.ErrorIs(t, VerifyHeads(changed, []Head{h}), ErrUnknownHead)
	}
}

// TestSnapshotRootRecomputed: a snapshot whose commitments were changed and
// whose checksum was then fixed up is refused, because the nodes are
// recomputed from the commitments on load.
func TestSnapshotRootRecomputed(t *testing.T) {
	tr := NewTree(nil)
	_, err := tr.InsertMany(context.Background(), testLeaves(0, 9))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, tr.WriteSnapshot(&buf))
	good := buf.Bytes()
	back, err := ReadTreeSnapshot(good, nil)
	require.NoError(t, err)
	require.Equal(t, tr.Root(), back.Root())
	require.Equal(t, tr.EpochHeads(), back.EpochHeads())

	bad := append([]byte(nil), good[:len(good)-sha256.Size]...)
	// Replace commitment 3 with another valid commitment.
	other := testLeaves(777, 1)[0].Bytes()
	copy(bad[snapHeaderSize+3*32:], other[:])
	sum := sha256.Sum256(bad)
	bad = append(bad, sum[:]...)
	_, err = ReadTreeSnapshot(bad, nil)
	require.ErrorIs(t, err, ErrCorrupt)

	// A history whose epochs run backwards is refused too.
	bad = append([]byte(nil), good[:len(good)-sha256.Size]...)
	binary.BigEndian.PutUint64(bad[28:], 5) // tree epoch 5, history entries epoch 0: fine so far
	sum = sha256.Sum256(bad)
	_, err = ReadTreeSnapshot(append(bad, sum[:]...), nil)
	require.ErrorIs(t, err, ErrCorrupt, "the newest head must be of the tree's epoch")
}
