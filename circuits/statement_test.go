package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
)

// TestPublicOrder: the public inputs gnark reads from each circuit's
// assignment are, in order, the statement package's Vector that Assign
// returns, and their number is the statement's NbPublic. The circuit
// structs and package statement are the two places a layout is written
// (gnark needs the struct); this test keeps them one layout.
func TestPublicOrder(t *testing.T) {
	_, w := fixture(t, 5, 3)
	m := *w
	v := &VoteWitness{Membership: m, NumOptions: 3, MaxPerOption: 5, MinTotal: 1, MaxTotal: 9, CostExponent: 2, Votes: []uint64{1, 2, 0}}
	v.ParamsDigest.SetUint64(13)
	var scope fr.Element
	scope.SetUint64(14)
	ta := &TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), BallotsBefore: 2, TotalsBefore: []uint64{3, 4, 5, 6},
		Ballots: []TallySlot{{Nullifier: scope, Votes: []uint64{1, 0, 2, 7}}}}
	sk, err := trustee.RandomScalar(nil)
	require.NoError(t, err)
	sv := &SecretVoteWitness{VoteWitness: *v, Counter: 7, Key: trustee.BaseMul(sk)}
	for range statement.SecretVote(4, 5, 2).Ciphertexts() {
		k, err := trustee.RandomScalar(nil)
		require.NoError(t, err)
		sv.Randomness = append(sv.Randomness, k)
	}
	for _, c := range []struct {
		s statement.Statement
		w Witness
	}{
		{statement.Membership(4), &m},
		{statement.Vote(4, 5), v},
		{statement.Tally(3, 4), ta},
		{statement.SecretVote(4, 5, 2), sv},
	} {
		a, pub, err := Assign(c.s, c.w)
		require.NoError(t, err, c.s.Name())
		require.Len(t, pub, c.s.NbPublic(), c.s.Name())
		wit, err := frontend.NewWitness(a, ecc.BN254.ScalarField(), frontend.PublicOnly())
		require.NoError(t, err)
		vec, ok := wit.Vector().(fr.Vector)
		require.True(t, ok)
		require.Equal(t, []fr.Element(vec), pub, c.s.Name())
		shape, err := New(c.s)
		require.NoError(t, err)
		require.IsType(t, shape, a)
	}
	// Each named layout reads back what it wrote.
	mp := m.Public()
	got, err := statement.ParseMembership(mp.Vector())
	require.NoError(t, err)
	require.Equal(t, mp, got)
	vp := v.Public(5)
	gv, err := statement.ParseVote(vp.Vector())
	require.NoError(t, err)
	require.Equal(t, vp, gv)
	sp, err := sv.Public(statement.SecretVote(4, 5, 2))
	require.NoError(t, err)
	gs, err := statement.ParseSecretVote(sp.Vector())
	require.NoError(t, err)
	require.Equal(t, sp, gs)
	res, err := ta.Result(3, 4)
	require.NoError(t, err)
	gt, err := statement.ParseTally(res.Public.Vector())
	require.NoError(t, err)
	require.Equal(t, &res.Public, gt)
}

// TestAssignRefuses: a witness of another kind, a nil witness and a
// statement out of range are errors, never panics.
func TestAssignRefuses(t *testing.T) {
	_, _, err := Assign(statement.Vote(4, 4), &MembershipWitness{})
	require.Error(t, err)
	_, _, err = Assign(statement.Membership(4), nil)
	require.Error(t, err)
	_, _, err = Assign(statement.Membership(4), (*MembershipWitness)(nil))
	require.Error(t, err)
	_, _, err = Assign(statement.Vote(4, 4), (*VoteWitness)(nil))
	require.Error(t, err)
	_, _, err = Assign(statement.Tally(4, 4), (*TallyWitness)(nil))
	require.Error(t, err)
	_, _, err = Assign(statement.Membership(statement.MaxDepth+1), &MembershipWitness{})
	require.Error(t, err)
	_, err = New(statement.Statement{})
	require.Error(t, err)
}
