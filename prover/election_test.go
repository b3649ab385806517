package prover

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/verifier"
)

// testBoxVKey is the checkpoint key the test elections name for their box.
var _, testBoxVKey = testkeys.Key("zkvote.test/prover-box")

// testParams returns an election of three options over tr's census, proven
// with the shared vote keys (statement.Vote(testDepth, testVoteOptions)),
// which it pins. Its tally pin is a placeholder: no test here counts.
func testParams(t *testing.T, tr *membership.Tree) *election.Params {
	p := &election.Params{DeploymentID: fe(1), ElectionID: fe(2), Question: "Adopt the test?",
		Options: []string{"yes", "no", "abstain"}, Census: []membership.Head{tr.Head()}, Rules: election.SingleChoice(),
		Depth: testDepth, MaxOptions: testVoteOptions,
		VoteKey: election.PinKey(testVoteKeys(t).VerifyingKey()), TallyKey: election.PinKey(testKeys(t).VerifyingKey()),
		Log: election.LogKeys{Box: testBoxVKey}}
	require.NoError(t, p.Validate())
	return p
}

// TestCastRefusesKeys: Cast proves only with the vote keys the election
// pins. Missing keys, keys for another statement (another kind, or the vote
// statement at other sizes than the election's) and keys for the right
// statement that the election does not pin (ErrKeyMismatch) are refused
// before any proving; the pinned keys cast a ballot every box accepts.
// (election's tests cover Cast in full; these are the refusals of keys.)
func TestCastRefusesKeys(t *testing.T) {
	ctx := context.Background()
	tr := testTree(t, 5)
	p := testParams(t, tr)
	path, err := tr.Proof(3)
	require.NoError(t, err)
	id := membershiptest.Identity(3)
	votes := []uint64{0, 1, 0}

	_, err = Cast(ctx, nil, p, id, path, votes)
	require.ErrorIs(t, err, election.ErrKeyMismatch, "nil keys")

	_, err = Cast(ctx, testKeys(t), p, id, path, votes)
	require.ErrorIs(t, err, election.ErrKeyMismatch, "membership keys")

	_, err = Cast(ctx, testVoteKeys(t), nil, id, path, votes)
	require.Error(t, err, "nil parameters")

	// The same vote keys, for an election of another compiled size.
	for _, other := range []func(q *election.Params){
		func(q *election.Params) { q.MaxOptions = testVoteOptions - 1 },
		func(q *election.Params) { q.Depth = testDepth + 1 },
	} {
		q := *p
		other(&q)
		require.NoError(t, q.Validate())
		require.NotEqual(t, q.VoteStatement(), testVoteKeys(t).Statement())
		_, err = Cast(ctx, testVoteKeys(t), &q, id, path, votes)
		require.ErrorIs(t, err, election.ErrKeyMismatch, "keys for %s, election of %s", testVoteKeys(t).Statement(), q.VoteStatement())
	}

	// The right statement, another pin.
	unpinned := *p
	unpinned.VoteKey = election.PinKey(testKeys(t).VerifyingKey())
	_, err = Cast(ctx, testVoteKeys(t), &unpinned, id, path, votes)
	require.ErrorIs(t, err, election.ErrKeyMismatch)

	b, err := Cast(ctx, testVoteKeys(t), p, id, path, votes)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(testVoteKeys(t).VerifyingKey(), b.Proof()))
	require.Equal(t, id.VoteNullifier(p.Scope()), b.Nullifier())
	require.Equal(t, []uint64{0, 1, 0, 0}, b.Votes(testVoteOptions))
}

// TestProveTallyRefusesKeys: ProveTally refuses missing keys and keys for a
// statement that cannot count the election's ballots (here another kind;
// TestTallyProveVerify: a tally of other options), before any proving.
func TestProveTallyRefusesKeys(t *testing.T) {
	ctx := context.Background()
	p := testParams(t, testTree(t, 5))
	_, err := ProveTally(ctx, nil, p, nil, nil)
	require.ErrorIs(t, err, election.ErrKeyMismatch, "nil keys")
	_, err = ProveTally(ctx, testKeys(t), nil, nil, nil)
	require.Error(t, err, "nil parameters")
	for _, k := range []*Keys{testKeys(t), testVoteKeys(t)} {
		calls := 0
		_, err = ProveTally(ctx, k, p, nil, func(int, int) { calls++ })
		require.ErrorIs(t, err, election.ErrKeyMismatch, "keys for %s", k.Statement())
		require.Zero(t, calls, "keys for %s", k.Statement())
	}
	// TestTallyProveVerify refuses tally keys of other options.
}
