package prover

import (
	"context"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// testVoteOptions is the compiled number of options of the shared vote keys.
const testVoteOptions = 4

// testVoteKeys returns the shared Groth16 keys for statement.Vote(testDepth,
// testVoteOptions).
var testVoteKeys = func() func(t testing.TB) *Keys {
	var (
		once sync.Once
		k    *Keys
		err  error
	)
	return func(t testing.TB) *Keys {
		once.Do(func() { k, err = SetupInsecure(context.Background(), statement.Vote(testDepth, testVoteOptions)) })
		require.NoError(t, err)
		return k
	}
}()

// ballot is what a ballot states besides the voter's membership (the
// fields of the former VoteStatement).
type ballot struct {
	scope, digest                               fr.Element
	numOptions, maxPer, minTotal, maxTotal, exp uint64
	votes                                       []uint64
}

// voteWitness checks natively that id is the member behind p
// (NewMembershipWitness: ErrNotMember, an invalid tree proof) and returns
// the witness of b, as the typed vote Prove did before proving.
func voteWitness(id *membership.Identity, p *membership.Proof, b *ballot) (*circuits.VoteWitness, error) {
	m, err := NewMembershipWitness(id, p, b.scope, fr.Element{})
	if err != nil {
		return nil, err
	}
	return &circuits.VoteWitness{Membership: *m, ParamsDigest: b.digest, NumOptions: b.numOptions,
		MaxPerOption: b.maxPer, MinTotal: b.minTotal, MaxTotal: b.maxTotal, CostExponent: b.exp, Votes: b.votes}, nil
}

// proveVote proves b with k for id behind p.
func proveVote(ctx context.Context, k *Keys, id *membership.Identity, p *membership.Proof, b *ballot) (*verifier.Proof, error) {
	w, err := voteWitness(id, p, b)
	if err != nil {
		return nil, err
	}
	return k.Prove(ctx, w)
}

func TestVoteProveVerify(t *testing.T) {
	ctx := context.Background()
	k := testVoteKeys(t)
	require.Equal(t, statement.Vote(testDepth, 4), k.Statement())
	require.Equal(t, statement.Vote(testDepth, 4).Name(), k.VerifyingKey().Circuit())
	tr := testTree(t, 7)
	p, err := tr.Proof(6)
	require.NoError(t, err)
	s := &ballot{scope: fe(5), digest: fe(6), numOptions: 3, maxPer: 1, minTotal: 1, maxTotal: 1, exp: 1, votes: []uint64{0, 1, 0}}
	pr, err := proveVote(ctx, k, membershiptest.Identity(6), p, s)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(k.VerifyingKey(), pr))
	require.Len(t, pr.Public, statement.Vote(testDepth, 4).NbPublic())
	null := membershiptest.Identity(6).VoteNullifier(fe(5))
	require.True(t, pr.Public[1].Equal(&null))
	member := membershiptest.Identity(6).Nullifier(fe(5))
	require.False(t, pr.Public[1].Equal(&member), "a membership proof for the election's scope must not reveal the ballot nullifier")
	pub, err := statement.ParseVote(pr.Public)
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1, 0, 0}, pub.Votes)
	require.Equal(t, null, pub.Nullifier)
	// Changing the vote after proving is caught.
	q, err := verifier.ParseProof(pr.Bytes())
	require.NoError(t, err)
	q.Public[9], q.Public[10] = q.Public[10], q.Public[9]
	require.ErrorIs(t, verifier.Verify(k.VerifyingKey(), q), verifier.ErrInvalidProof)
	// A ballot that breaks the rules cannot be proven.
	bad := *s
	bad.votes = []uint64{1, 1, 0}
	_, err = proveVote(ctx, k, membershiptest.Identity(6), p, &bad)
	require.Error(t, err)
	bad.votes = []uint64{1, 0, 0, 0, 0}
	bad.numOptions = 5
	_, err = proveVote(ctx, k, membershiptest.Identity(6), p, &bad)
	require.Error(t, err)
	_, err = proveVote(ctx, k, membershiptest.Identity(5), p, s)
	require.ErrorIs(t, err, ErrNotMember)
	// Past the native check, the circuit itself refuses another secret.
	w, err := voteWitness(membershiptest.Identity(6), p, s)
	require.NoError(t, err)
	w.Membership.Secret = membershiptest.Identity(5).Secret()
	_, err = k.Prove(ctx, w)
	require.Error(t, err)
}

// TestVoteKeysRefuseWitness: vote keys refuse a witness of another kind, a
// nil one and a path deeper than their depth, with an error and no panic.
func TestVoteKeysRefuseWitness(t *testing.T) {
	ctx := context.Background()
	k := testVoteKeys(t)
	tr := testTree(t, 3)
	p, err := tr.Proof(1)
	require.NoError(t, err)
	m, err := NewMembershipWitness(membershiptest.Identity(1), p, fe(5), fe(0))
	require.NoError(t, err)
	deep := testTree(t, 1<<testDepth+1)
	pd, err := deep.Proof(0)
	require.NoError(t, err)
	s := &ballot{scope: fe(5), digest: fe(6), numOptions: 2, maxPer: 1, minTotal: 1, maxTotal: 1, exp: 1, votes: []uint64{0, 1}}
	tooDeep, err := voteWitness(membershiptest.Identity(0), pd, s)
	require.NoError(t, err)
	scope := fe(9)
	for name, w := range map[string]circuits.Witness{
		"untyped nil": nil,
		"nil vote":    (*circuits.VoteWitness)(nil),
		"membership":  m,
		"tally":       &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: make([]uint64, testVoteOptions)},
		"too deep":    tooDeep,
	} {
		require.NotPanics(t, func() { _, err = k.Prove(ctx, w) }, name)
		require.Error(t, err, name)
	}
}

func TestTallyProveVerify(t *testing.T) {
	ctx := context.Background()
	k, err := SetupInsecure(ctx, statement.Tally(4, 3))
	require.NoError(t, err)
	require.Equal(t, 4, k.Statement().Batch())
	require.Equal(t, 3, k.Statement().Options())
	scope := fe(9)
	w := &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: []uint64{0, 0, 0},
		Ballots: []circuits.TallySlot{{Nullifier: fe(1), Votes: []uint64{1, 0, 0}}, {Nullifier: fe(2), Votes: []uint64{0, 0, 1}}}}
	pr, err := k.Prove(ctx, w)
	require.NoError(t, err)
	res, err := w.Result(4, 3)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(k.VerifyingKey(), pr))
	require.Equal(t, []uint64{1, 0, 1}, res.TotalsAfter)
	require.True(t, pr.Public[4].Equal(&res.Public.TallyAfter))
	require.Equal(t, res.Public.Vector(), pr.Public)
	q, _ := verifier.ParseProof(pr.Bytes())
	one := fe(1)
	q.Public[5].Add(&q.Public[5], &one) // claim one more ballot
	require.ErrorIs(t, verifier.Verify(k.VerifyingKey(), q), verifier.ErrInvalidProof)
	dir := t.TempDir()
	require.NoError(t, k.WriteFiles(dir))
	k2, err := Load(ctx, dir, statement.Tally(4, 3), verifier.Groth16, Trusted)
	require.NoError(t, err)
	require.Equal(t, k.VerifyingKey().ID(), k2.VerifyingKey().ID())
	k3, err := OpenInsecure(ctx, dir, statement.Tally(4, 3))
	require.NoError(t, err)
	require.Equal(t, k.VerifyingKey().ID(), k3.VerifyingKey().ID())

	// Tally keys refuse a witness of another kind, a nil one and one that
	// does not fit the batch, with an error and no panic.
	tr := testTree(t, 3)
	p, err := tr.Proof(1)
	require.NoError(t, err)
	m, err := NewMembershipWitness(membershiptest.Identity(1), p, fe(5), fe(0))
	require.NoError(t, err)
	for name, bad := range map[string]circuits.Witness{
		"untyped nil": nil,
		"nil tally":   (*circuits.TallyWitness)(nil),
		"membership":  m,
		"vote":        &circuits.VoteWitness{Membership: *m, NumOptions: 1, MaxPerOption: 1, MaxTotal: 1, CostExponent: 1, Votes: []uint64{1}},
		"5 ballots": &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: []uint64{0, 0, 0},
			Ballots: make([]circuits.TallySlot, 5)},
		"2 totals": &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: []uint64{0, 0}},
	} {
		require.NotPanics(t, func() { _, err = k.Prove(ctx, bad) }, name)
		require.Error(t, err, name)
	}
	// ProveTally refuses them for an election of testVoteOptions options.
	params := testParams(t, tr)
	require.Error(t, params.CheckTallyStatement(k.Statement()))
	calls := 0
	_, err = ProveTally(ctx, k, params, nil, func(int, int) { calls++ })
	require.Error(t, err)
	require.Zero(t, calls)
}
