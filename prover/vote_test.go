package prover

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/verifier"
)

func TestVoteProveVerify(t *testing.T) {
	ctx := context.Background()
	k, err := SetupVoteInsecure(ctx, testDepth, 4)
	require.NoError(t, err)
	require.Equal(t, VoteCircuitName(testDepth, 4), k.VerifyingKey().Circuit())
	tr := testTree(t, 7)
	p, err := tr.Proof(6)
	require.NoError(t, err)
	s := &VoteStatement{Scope: fe(5), Ballot: circuits.Ballot{ParamsDigest: fe(6), NumOptions: 3, MaxPerOption: 1, MinTotal: 1, MaxTotal: 1, CostExponent: 1, Votes: []uint64{0, 1, 0}}}
	pr, err := k.Prove(ctx, membershiptest.Identity(6), p, s)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(k.VerifyingKey(), pr))
	require.Len(t, pr.Public, circuits.VotePublicCount(4))
	null := membershiptest.Identity(6).VoteNullifier(fe(5))
	require.True(t, pr.Public[1].Equal(&null))
	member := membershiptest.Identity(6).Nullifier(fe(5))
	require.False(t, pr.Public[1].Equal(&member), "a membership proof for the election's scope must not reveal the ballot nullifier")
	// Changing the vote after proving is caught.
	q, err := verifier.ParseProof(pr.Bytes())
	require.NoError(t, err)
	q.Public[9], q.Public[10] = q.Public[10], q.Public[9]
	require.ErrorIs(t, verifier.Verify(k.VerifyingKey(), q), verifier.ErrInvalidProof)
	// A ballot that breaks the rules cannot be proven.
	bad := *s
	bad.Votes = []uint64{1, 1, 0}
	_, err = k.Prove(ctx, membershiptest.Identity(6), p, &bad)
	require.Error(t, err)
	bad.Votes = []uint64{1, 0, 0, 0, 0}
	bad.NumOptions = 5
	_, err = k.Prove(ctx, membershiptest.Identity(6), p, &bad)
	require.Error(t, err)
	_, err = k.Prove(ctx, membershiptest.Identity(5), p, s)
	require.ErrorIs(t, err, ErrNotMember)
}

func TestTallyProveVerify(t *testing.T) {
	ctx := context.Background()
	k, err := SetupTallyInsecure(ctx, 4, 3)
	require.NoError(t, err)
	scope := fe(9)
	w := &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: []uint64{0, 0, 0},
		Ballots: []circuits.TallySlot{{Nullifier: fe(1), Votes: []uint64{1, 0, 0}}, {Nullifier: fe(2), Votes: []uint64{0, 0, 1}}}}
	pr, res, err := k.Prove(ctx, w)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(k.VerifyingKey(), pr))
	require.Equal(t, []uint64{1, 0, 1}, res.TotalsAfter)
	require.True(t, pr.Public[4].Equal(&res.TallyAfter))
	q, _ := verifier.ParseProof(pr.Bytes())
	one := fe(1)
	q.Public[5].Add(&q.Public[5], &one) // claim one more ballot
	require.ErrorIs(t, verifier.Verify(k.VerifyingKey(), q), verifier.ErrInvalidProof)
	dir := t.TempDir()
	require.NoError(t, k.WriteFiles(dir))
	k2, err := LoadTallyKeys(ctx, dir, 4, 3, verifier.Groth16, Trusted)
	require.NoError(t, err)
	require.Equal(t, k.VerifyingKey().ID(), k2.VerifyingKey().ID())
	k3, err := OpenTallyKeysInsecure(ctx, dir, 4, 3)
	require.NoError(t, err)
	require.Equal(t, k.VerifyingKey().ID(), k3.VerifyingKey().ID())
}
