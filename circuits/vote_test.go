package circuits

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/statement"
)

const (
	vDepth   = 4
	vOptions = 4
)

// rules is a ballot rule set as the election package will state it.
type rules struct{ n, maxPer, minTotal, maxTotal, exp uint64 }

var (
	singleChoice = rules{n: 3, maxPer: 1, minTotal: 1, maxTotal: 1, exp: 1}
	approval2    = rules{n: 4, maxPer: 1, minTotal: 0, maxTotal: 2, exp: 1}
	budget10     = rules{n: 4, maxPer: 10, minTotal: 0, maxTotal: 10, exp: 1}
	quadratic25  = rules{n: 4, maxPer: 5, minTotal: 0, maxTotal: 25, exp: 2}
	big64        = rules{n: 4, maxPer: 1<<32 - 1, minTotal: 0, maxTotal: 1<<64 - 1, exp: 2}
)

// refValid is the native reference of the vote rules over arbitrary field
// values (big integers in [0, r)).
func refValid(r rules, votes []*big.Int) bool {
	if r.maxPer >= 1<<32 || r.exp < 1 || r.exp > 2 || r.n < 1 || r.n > uint64(len(votes)) {
		return false
	}
	total := new(big.Int)
	lim32 := new(big.Int).Lsh(big.NewInt(1), 32)
	for i, v := range votes {
		if v.Cmp(lim32) >= 0 || v.Cmp(new(big.Int).SetUint64(r.maxPer)) > 0 {
			return false
		}
		if uint64(i) >= r.n && v.Sign() != 0 {
			return false
		}
		total.Add(total, new(big.Int).Exp(v, big.NewInt(int64(r.exp)), nil))
	}
	return total.Cmp(new(big.Int).SetUint64(r.minTotal)) >= 0 && total.Cmp(new(big.Int).SetUint64(r.maxTotal)) <= 0
}

// voteAssignment builds a vote witness for member 2 of a 5-leaf tree.
func voteAssignment(t *testing.T, r rules, votes []*big.Int) *Vote {
	t.Helper()
	_, w := fixture(t, 5, 2)
	var digest fr.Element
	digest.SetUint64(4242)
	a, err := assignVoteT(vDepth, len(votes), &VoteWitness{Membership: *w, ParamsDigest: digest,
		NumOptions: r.n, MaxPerOption: r.maxPer, MinTotal: r.minTotal, MaxTotal: r.maxTotal, CostExponent: r.exp})
	require.NoError(t, err)
	for i, v := range votes {
		a.Votes[i] = v
	}
	return a
}

func voteSolved(t *testing.T, off guard, a *Vote) error {
	t.Helper()
	shape, err := shapeVote(vDepth, len(a.Votes))
	require.NoError(t, err)
	shape.off = off
	return test.IsSolved(shape, a, field)
}

func ints(vs ...int64) []*big.Int {
	out := make([]*big.Int, len(vs))
	for i, v := range vs {
		out[i] = big.NewInt(v)
		if v < 0 {
			out[i].Add(out[i], field) // −1 is r−1
		}
	}
	return out
}

// TestVoteRulesMatchReference runs ballots at and around every boundary
// through the circuit and the reference.
func TestVoteRulesMatchReference(t *testing.T) {
	cases := []struct {
		r     rules
		votes []*big.Int
	}{
		{singleChoice, ints(1, 0, 0, 0)},
		{singleChoice, ints(0, 0, 1, 0)},
		{singleChoice, ints(0, 0, 0, 1)}, // beyond NumOptions
		{singleChoice, ints(0, 0, 0, 0)}, // blank: below MinTotal
		{singleChoice, ints(1, 1, 0, 0)}, // over MaxTotal
		{singleChoice, ints(2, 0, 0, 0)}, // over MaxPerOption
		{singleChoice, ints(-1, 2, 0, 0)},
		{singleChoice, ints(2, -1, 0, 0)},
		{approval2, ints(1, 0, 1, 0)},
		{approval2, ints(1, 1, 1, 0)},
		{approval2, ints(0, 0, 0, 0)},
		{budget10, ints(10, 0, 0, 0)},
		{budget10, ints(3, 3, 4, 0)},
		{budget10, ints(3, 3, 4, 1)},
		{budget10, ints(11, 0, 0, 0)},
		{budget10, ints(-1, 11, 0, 0)},
		{quadratic25, ints(5, 0, 0, 0)},
		{quadratic25, ints(3, 4, 0, 0)},
		{quadratic25, ints(3, 4, 1, 0)},
		{quadratic25, ints(4, 3, 0, 0)},
		{quadratic25, ints(6, 0, 0, 0)},
		{big64, ints(1<<32-1, 1<<32-1, 0, 0)},
		{big64, ints(1<<32, 0, 0, 0)},
		{rules{n: 4, maxPer: 1<<32 - 1, minTotal: 0, maxTotal: 1<<33 - 2, exp: 1}, ints(1<<32-1, 1<<32-1, 0, 0)},
		{rules{n: 4, maxPer: 1<<32 - 1, minTotal: 0, maxTotal: 1<<33 - 3, exp: 1}, ints(1<<32-1, 1<<32-1, 0, 0)},
		{rules{n: 0, maxPer: 1, minTotal: 0, maxTotal: 1, exp: 1}, ints(0, 0, 0, 0)},
		{rules{n: 5, maxPer: 1, minTotal: 0, maxTotal: 1, exp: 1}, ints(0, 0, 0, 0)},
		{rules{n: 2, maxPer: 1, minTotal: 0, maxTotal: 1, exp: 3}, ints(1, 0, 0, 0)},
		{rules{n: 2, maxPer: 1, minTotal: 0, maxTotal: 1, exp: 0}, ints(1, 0, 0, 0)},
	}
	for i, c := range cases {
		want := refValid(c.r, c.votes)
		err := voteSolved(t, 0, voteAssignment(t, c.r, c.votes))
		if want {
			require.NoError(t, err, "case %d should be valid", i)
		} else {
			require.Error(t, err, "case %d should be invalid", i)
		}
	}
	// r − 1 as a rule value.
	a := voteAssignment(t, budget10, ints(1, 0, 0, 0))
	a.MaxTotal = new(big.Int).Sub(field, big.NewInt(1))
	require.Error(t, voteSolved(t, 0, a))
}

// mutation: a witness breaking exactly one rule is accepted without its
// guard and rejected with it.
func mutation(t *testing.T, name string, g guard, a *Vote) {
	t.Helper()
	require.NoError(t, voteSolved(t, g, a), "%s: the mutant must accept, or the test is not sensitive", name)
	require.Error(t, voteSolved(t, 0, a), name)
}

func TestVoteGuards(t *testing.T) {
	// Wrap-around: −1, 1, 1 sum to 1 and each passes MaxPerOption − v: two
	// votes for the price of one, unless every value is range-checked.
	mutation(t, "value range", guardVoteRange, voteAssignment(t, singleChoice, ints(-1, 1, 1, 0)))
	mutation(t, "max per option", guardVoteMax, voteAssignment(t, budget10, ints(2, 0, 0, 0)).with(func(a *Vote) { a.MaxPerOption = 1 }))
	mutation(t, "inactive options zero", guardInactiveZero, voteAssignment(t, singleChoice, ints(0, 0, 0, 1)))
	mutation(t, "total max", guardTotalMax, voteAssignment(t, approval2, ints(1, 1, 1, 0)))
	mutation(t, "total min", guardTotalMin, voteAssignment(t, singleChoice, ints(0, 0, 0, 0)))
	// Exponent 0 makes a cost 2v − v²: v = 2 costs nothing.
	mutation(t, "cost exponent", guardCostExponent, voteAssignment(t, rules{n: 4, maxPer: 3, minTotal: 0, maxTotal: 1, exp: 0}, ints(2, 0, 0, 0)))
	mutation(t, "number of options", guardNumOptions, voteAssignment(t, rules{n: 9, maxPer: 1, minTotal: 1, maxTotal: 1, exp: 1}, ints(0, 0, 0, 1)))
	// Rule values outside their documented range (MaxPerOption = 2^32).
	mutation(t, "rule range", guardRuleRange, voteAssignment(t, rules{n: 4, maxPer: 1 << 32, minTotal: 0, maxTotal: 1 << 33, exp: 1}, ints(1, 1, 1, 1)))
}

func (a *Vote) with(f func(*Vote)) *Vote { f(a); return a }

func TestVotePublicBinding(t *testing.T) {
	c, err := shapeVote(vDepth, vOptions)
	require.NoError(t, err)
	for i, ok := range nonLinearPublic(t, c) {
		require.True(t, ok, "public input %d is not in a multiplication", i)
	}
	require.Len(t, nonLinearPublic(t, c), statement.Vote(1, vOptions).NbPublic())
	c.off = guardPublicSquares
	got := nonLinearPublic(t, c)
	require.False(t, got[3], "without BindPublic ParamsDigest is bound by nothing")
}

// TestVoteMaliciousHints lies in the bit-decomposition and inverse hints:
// an honest ballot no longer solves, so the constraints check every hint.
func TestVoteMaliciousHints(t *testing.T) {
	shape, err := shapeVote(vDepth, vOptions)
	require.NoError(t, err)
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, shape)
	require.NoError(t, err)
	wit, err := frontend.NewWitness(voteAssignment(t, budget10, ints(3, 3, 4, 0)), field)
	require.NoError(t, err)
	require.NoError(t, ccs.IsSolved(wit))
	requireHintsRefused(t, ccs, wit)
}

func TestVoteAssignmentErrors(t *testing.T) {
	_, err := shapeVote(0, 4)
	require.Error(t, err)
	_, err = shapeVote(4, 0)
	require.Error(t, err)
	_, err = shapeVote(4, statement.MaxOptions+1)
	require.Error(t, err)
	_, w := fixture(t, 5, 2)
	_, err = assignVoteT(vDepth, 2, &VoteWitness{Membership: *w, Votes: []uint64{1, 0, 0}})
	require.Error(t, err)
}

// TestVoteNullifierDomain: a ballot's nullifier is Hash(TagVoteNullifier,
// secret, scope); the membership nullifier for the same scope, which any
// service may ask a citizen to reveal with a membership proof, is not
// accepted as a ballot nullifier, and the two differ.
func TestVoteNullifierDomain(t *testing.T) {
	a := voteAssignment(t, singleChoice, ints(0, 1, 0, 0))
	require.NoError(t, voteSolved(t, 0, a))
	_, w := fixture(t, 5, 2)
	member := w.Nullifier() // what a Membership proof with this scope reveals
	ballot := poseidon2.Hash(poseidon2.TagVoteNullifier, w.Secret, w.Scope)
	require.False(t, member.Equal(&ballot))
	require.Equal(t, element(ballot), a.Nullifier)
	a.Nullifier = element(member)
	require.Error(t, voteSolved(t, 0, a), "the membership nullifier must not be a ballot nullifier")
	// And the Membership circuit refuses the ballot nullifier.
	m := mustAssign(t, 4, w)
	m.Nullifier = element(ballot)
	require.Error(t, solved(t, 4, 0, m))
}

// TestVoteCensusAttack: the census attack of TestGuardLeafTag against the
// vote circuit, which shares the membership gadget.
func TestVoteCensusAttack(t *testing.T) {
	priv := make([]fr.Element, 3)
	for i := range priv {
		priv[i] = membershiptest.Identity(uint64(300 + i)).Commitment().Element()
	}
	census := make([]fr.Element, 4)
	for i, c := range membershiptest.Commitments(0, 4) {
		census[i] = c.Element()
	}
	for _, c := range []struct {
		off    guard
		leafOf func(fr.Element) fr.Element
		ok     bool
	}{
		{guardLeafTag, func(c fr.Element) fr.Element { return c }, true},
		{0, func(c fr.Element) fr.Element { return poseidon2.Leaf(&c) }, false},
	} {
		root, paths, bits := forgeThroughSubtree(priv, census, c.leafOf, poseidon2.Node)
		for i := range priv {
			var digest fr.Element
			digest.SetUint64(4242)
			w := MembershipWitness{Root: root, Secret: membershiptest.Identity(uint64(300 + i)).Secret(),
				Siblings: paths[i], PathBits: bits[i]}
			w.Scope.SetUint64(77)
			a, err := assignVoteT(vDepth, 4, &VoteWitness{Membership: w, ParamsDigest: digest,
				NumOptions: 3, MaxPerOption: 1, MinTotal: 1, MaxTotal: 1, CostExponent: 1, Votes: []uint64{1}})
			require.NoError(t, err)
			if err := voteSolved(t, c.off, a); c.ok {
				require.NoError(t, err, "mutant: identity %d", i)
			} else {
				require.Error(t, err, "identity %d voted through a registered subtree root", i)
			}
		}
	}
}

// requireHintsRefused lies in each hint the zkvote circuits use (gnark's
// bit decomposition behind ToBinary, and the inverse behind IsZero) and
// requires the compiled circuit to refuse the witness under every lie.
func requireHintsRefused(t *testing.T, ccs constraint.ConstraintSystem, wit witness.Witness) {
	t.Helper()
	ids := map[string]solver.HintID{}
	for _, h := range solver.GetRegisteredHints() {
		ids[solver.GetHintName(h)] = solver.GetHintID(h)
	}
	flipFirst := func(_ *big.Int, in, out []*big.Int) error {
		for i := range out {
			out[i].SetUint64(0)
		}
		out[0].SetUint64(1)
		return nil
	}
	for _, name := range []string{"github.com/consensys/gnark/std/math/bits.nBits", solver.GetHintName(solver.InvZeroHint)} {
		id, ok := ids[name]
		require.True(t, ok, "hint %s is not registered", name)
		require.Error(t, ccs.IsSolved(wit, solver.OverrideHint(id, flipFirst)), "hint %s", name)
	}
}
