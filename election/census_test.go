package election_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
)

// TestCensusAttackEndToEnd: an attacker registers, as their one commitment,
// the root of a private tree of identities they hold, and tries to vote for
// each of them with a path through that private tree. No such ballot can be
// cast; the box and the audit count exactly the honest ballots.
func TestCensusAttackEndToEnd(t *testing.T) {
	w := testWorld(t)
	tk := testTallyKeys(t)
	ctx := context.Background()

	priv := membership.NewTree(nil)
	privIDs := []uint64{400, 401}
	for _, n := range privIDs {
		_, err := priv.Insert(membershiptest.Identity(n).Commitment())
		require.NoError(t, err)
	}
	census := membership.NewTree(nil)
	_, err := census.InsertMany(ctx, membershiptest.Commitments(0, 3))
	require.NoError(t, err)
	k, err := census.Insert(membership.Commitment(priv.Root()))
	require.NoError(t, err)
	_, err = census.InsertMany(ctx, membershiptest.Commitments(3, 2))
	require.NoError(t, err)

	p := *w.params
	p.ElectionID = fe(90)
	p.Census = []membership.Head{census.Head()}
	require.NoError(t, p.Validate())
	require.NoError(t, p.CheckCensus(census.Leaves()))

	tail, err := census.Proof(k)
	require.NoError(t, err)
	for i, n := range privIDs {
		pp, err := priv.Proof(uint64(i))
		require.NoError(t, err)
		forged := &membership.Proof{Root: census.Root(), Leaf: pp.Leaf, Index: k,
			Siblings: append(append([]fr.Element(nil), pp.Siblings...), tail.Siblings...),
			PathBits: append(append([]bool(nil), pp.PathBits...), tail.PathBits...)}
		require.LessOrEqual(t, len(forged.Siblings), tDepth, "the forged path must fit the circuit for the test to mean anything")
		_, err = prover.Cast(ctx, w.keys, &p, membershiptest.Identity(n), forged, []uint64{1, 0, 0})
		require.Error(t, err, "hidden identity %d cast a ballot through the registered subtree root", i)
	}

	box, err := OpenBox(ctx, t.TempDir(), &p, w.keys.VerifyingKey(), testBoxOptions())
	require.NoError(t, err)
	honest := []uint64{0, 1, 2, 3, 4}
	for _, n := range honest {
		path, err := census.Proof(map[uint64]uint64{0: 0, 1: 1, 2: 2, 3: 4, 4: 5}[n])
		require.NoError(t, err)
		b, err := prover.Cast(ctx, w.keys, &p, membershiptest.Identity(n), path, []uint64{0, 1, 0})
		require.NoError(t, err)
		_, err = box.Submit(ctx, b.Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, box.End())
	require.Equal(t, uint64(len(honest)), box.Results().Ballots)
	var logBuf bytes.Buffer
	require.NoError(t, box.ExportLog(context.Background(), &logBuf))
	l, err := ReadLog(logBuf.Bytes())
	require.NoError(t, err)
	tallies, err := prover.ProveTally(ctx, tk, &p, l.Ballots, nil)
	require.NoError(t, err)
	res, err := Audit(ctx, &p, w.keys.VerifyingKey(), tk.VerifyingKey(), logBuf.Bytes(), EncodeTallyProofs(tallies))
	require.NoError(t, err)
	require.Equal(t, uint64(len(honest)), res.Ballots)
	require.Equal(t, []uint64{0, uint64(len(honest)), 0}, res.Totals)
}

// TestCensusEpochs: after a key rotation, or a removal and a new
// registration, an election over heads of both epochs would give the
// citizen two ballots; the tree and the published list refuse such a
// census, and an election over one epoch gives the citizen one ballot.
func TestCensusEpochs(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	tr := membership.NewTree(nil)
	_, err := tr.InsertMany(ctx, membershiptest.Commitments(0, 4))
	require.NoError(t, err)
	before := tr.Head()
	oldPath, err := tr.Proof(1)
	require.NoError(t, err)
	// Citizen 1 rotates to identity 50.
	require.NoError(t, tr.Update(1, membershiptest.Identity(50).Commitment()))
	p := *w.params
	p.ElectionID = fe(91)
	p.Census = []membership.Head{before, tr.Head()}
	require.Error(t, p.Validate(), "a rotation keeps the size: two heads of one size are refused")
	_, err = tr.Insert(membershiptest.Identity(52).Commitment())
	require.NoError(t, err)
	after := tr.Head()
	newPath, err := tr.Proof(1)
	require.NoError(t, err)

	p.Census = []membership.Head{before, after}
	require.NoError(t, p.Validate(), "sizes and roots alone cannot show the epoch")
	require.ErrorIs(t, tr.CheckHeads(p.Census), membership.ErrMixedEpochs)
	require.ErrorIs(t, p.CheckCensus(tr.Leaves()), membership.ErrUnknownHead)
	// What the refused census would have allowed: two ballots, two
	// nullifiers, one citizen.
	b1, err := prover.Cast(ctx, w.keys, &p, membershiptest.Identity(1), oldPath, []uint64{1, 0, 0})
	require.NoError(t, err)
	b2, err := prover.Cast(ctx, w.keys, &p, membershiptest.Identity(50), newPath, []uint64{1, 0, 0})
	require.NoError(t, err)
	require.NotEqual(t, b1.Nullifier(), b2.Nullifier())

	// One epoch: the old identity no longer votes.
	p.Census = tr.EpochHeads()
	require.NoError(t, tr.CheckHeads(p.Census))
	require.NoError(t, p.CheckCensus(tr.Leaves()))
	_, err = prover.Cast(ctx, w.keys, &p, membershiptest.Identity(1), oldPath, []uint64{1, 0, 0})
	require.Error(t, err)
	_, err = prover.Cast(ctx, w.keys, &p, membershiptest.Identity(50), newPath, []uint64{1, 0, 0})
	require.NoError(t, err)

	// Remove, then register again: again a new epoch.
	require.NoError(t, tr.Remove(2))
	removed := tr.Head()
	_, err = tr.Insert(membershiptest.Identity(51).Commitment())
	require.NoError(t, err)
	require.ErrorIs(t, tr.CheckHeads([]membership.Head{after, tr.Head()}), membership.ErrMixedEpochs)
	require.NoError(t, tr.CheckHeads([]membership.Head{removed, tr.Head()}))
}
