package circuits

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/statement"
)

const (
	tBatch   = 4
	tOptions = 3
)

func slot(n uint64, votes ...uint64) TallySlot {
	var x fr.Element
	x.SetUint64(1000 + n)
	return TallySlot{Nullifier: x, Votes: votes}
}

func tallyScope() fr.Element { var s fr.Element; s.SetUint64(31337); return s }

func tallySolved(t *testing.T, off guard, a *Tally) error {
	t.Helper()
	shape, err := shapeTally(len(a.Nullifiers), len(a.TotalsBefore))
	require.NoError(t, err)
	shape.off = off
	return test.IsSolved(shape, a, field)
}

func assignTallyW(t *testing.T, w *TallyWitness) (*Tally, *TallyResult) {
	t.Helper()
	a, res, err := assignTallyT(tBatch, tOptions, w)
	require.NoError(t, err)
	return a, res
}

func TestTallyBatches(t *testing.T) {
	scope := tallyScope()
	genesis := chain.Genesis(scope)
	all := []TallySlot{slot(1, 1, 0, 0), slot(2, 0, 1, 0), slot(3, 1, 0, 0), slot(4, 0, 0, 1), slot(5, 1, 0, 0), slot(6, 0, 1, 0)}
	// Two batches chained: 4 then 2 (with two padding slots).
	a1, r1 := assignTallyW(t, &TallyWitness{Scope: scope, HeadBefore: genesis, TotalsBefore: []uint64{0, 0, 0}, Ballots: all[:4]})
	require.NoError(t, tallySolved(t, 0, a1))
	a2, r2 := assignTallyW(t, &TallyWitness{Scope: scope, HeadBefore: r1.Public.HeadAfter, BallotsBefore: r1.BallotsAfter, TotalsBefore: r1.TotalsAfter, Ballots: all[4:]})
	require.NoError(t, tallySolved(t, 0, a2))
	require.Equal(t, r1.Public.TallyAfter, r2.Public.TallyBefore)
	require.Equal(t, []uint64{3, 2, 1}, r2.TotalsAfter)
	require.Equal(t, uint64(6), r2.BallotsAfter)
	// The final head is the log's head computed one entry at a time.
	head := genesis
	for _, b := range all {
		var err error
		head, err = chain.Entry(head, b.Nullifier, b.Votes)
		require.NoError(t, err)
	}
	require.Equal(t, head, r2.Public.HeadAfter)
	// An empty batch is a no-op.
	a0, r0 := assignTallyW(t, &TallyWitness{Scope: scope, HeadBefore: genesis, TotalsBefore: []uint64{0, 0, 0}})
	require.NoError(t, tallySolved(t, 0, a0))
	require.Equal(t, genesis, r0.Public.HeadAfter)
	require.Equal(t, chain.Tally(scope, 0, []uint64{0, 0, 0}), r0.Public.TallyAfter)
}

func TestTallyRejects(t *testing.T) {
	scope := tallyScope()
	genesis := chain.Genesis(scope)
	ballots := []TallySlot{slot(1, 1, 0, 0), slot(2, 0, 1, 0), slot(3, 0, 0, 1)}
	base := func() *Tally {
		a, _ := assignTallyW(t, &TallyWitness{Scope: scope, HeadBefore: genesis, TotalsBefore: []uint64{0, 0, 0}, Ballots: ballots})
		return a
	}
	// The honest head and tally of the log, fixed; each case tampers with
	// the witness and must be refused.
	cases := map[string]func(a *Tally){
		"dropped ballot": func(a *Tally) { a.Count = 2 },
		"extra ballot":   func(a *Tally) { a.Count = 4 },
		"reordered": func(a *Tally) {
			a.Nullifiers[0], a.Nullifiers[1] = a.Nullifiers[1], a.Nullifiers[0]
			a.Votes[0], a.Votes[1] = a.Votes[1], a.Votes[0]
		},
		"duplicated":          func(a *Tally) { a.Nullifiers[2], a.Votes[2] = a.Nullifiers[1], a.Votes[1] },
		"changed vote":        func(a *Tally) { a.Votes[0][0], a.Votes[0][1] = 0, 1 },
		"padding counted":     func(a *Tally) { a.Votes[3][0] = 5 },
		"wrong tally before":  func(a *Tally) { a.TotalsBefore[0] = 1 },
		"wrong ballots count": func(a *Tally) { a.BallotsBefore = 1 },
		"count beyond batch":  func(a *Tally) { a.Count = tBatch + 1 },
		"negative count":      func(a *Tally) { a.Count = new(big.Int).Sub(field, big.NewInt(1)) },
	}
	for name, mut := range cases {
		a := base()
		mut(a)
		// Keep the honest public values, except where the case changes
		// them: padding votes must not reach TallyAfter, so recompute it
		// with the padding counted to show the forgery is refused.
		if name == "padding counted" {
			a.TallyAfter = element(chain.Tally(scope, 3, []uint64{6, 1, 1}))
		}
		require.Error(t, tallySolved(t, 0, a), name)
	}
	// The padding slot's votes alone are harmless: the honest publics still hold.
	a := base()
	a.Votes[3][0], a.Nullifiers[3] = 5, 77
	require.NoError(t, tallySolved(t, 0, a))
}

// TestTallyGuards: without range checks, votes can be re-split inside one
// packed word (v₀ + 2^32, v₁ − 1 packs the same) to move totals between
// options; without the count bound, a count past the batch inflates the
// ballot count.
func TestTallyGuards(t *testing.T) {
	scope := tallyScope()
	genesis := chain.Genesis(scope)
	ballots := []TallySlot{slot(1, 0, 1, 0)}
	a, res := assignTallyW(t, &TallyWitness{Scope: scope, HeadBefore: genesis, TotalsBefore: []uint64{0, 0, 0}, Ballots: ballots})
	// (2^32, 0) packs like (0, 1): the head is unchanged, the totals move.
	two32 := new(big.Int).Lsh(big.NewInt(1), 32)
	a.Votes[0][0], a.Votes[0][1] = two32, big.NewInt(0)
	a.TallyAfter = element(talliedWith(scope, 1, []*big.Int{two32, big.NewInt(0), big.NewInt(0)}))
	require.Equal(t, element(res.Public.HeadAfter), a.HeadAfter)
	require.NoError(t, tallySolved(t, guardBallotRange, a), "the mutant must accept")
	require.Error(t, tallySolved(t, 0, a))

	// Count past the batch.
	full := []TallySlot{slot(1, 1, 0, 0), slot(2, 1, 0, 0), slot(3, 1, 0, 0), slot(4, 1, 0, 0)}
	b, _ := assignTallyW(t, &TallyWitness{Scope: scope, HeadBefore: genesis, TotalsBefore: []uint64{0, 0, 0}, Ballots: full})
	b.Count = tBatch + 1
	b.TallyAfter = element(chain.Tally(scope, tBatch+1, []uint64{4, 0, 0}))
	require.NoError(t, tallySolved(t, guardCount, b), "the mutant must accept")
	require.Error(t, tallySolved(t, 0, b))
}

// talliedWith is chain.Tally over arbitrary field values.
func talliedWith(scope fr.Element, ballots uint64, totals []*big.Int) fr.Element {
	in := []fr.Element{scope, {}}
	in[1].SetUint64(ballots)
	for _, v := range totals {
		var e fr.Element
		e.SetBigInt(v)
		in = append(in, e)
	}
	return poseidon2.Hash(poseidon2.TagTally, in...)
}

func TestTallyPublicBindingAndHints(t *testing.T) {
	c, err := shapeTally(tBatch, tOptions)
	require.NoError(t, err)
	got := nonLinearPublic(t, c)
	require.Len(t, got, statement.Tally(1, 1).NbPublic())
	for i, ok := range got {
		require.True(t, ok, "public input %d", i)
	}
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	require.NoError(t, err)
	scope := tallyScope()
	a, _ := assignTallyW(t, &TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: []uint64{0, 0, 0}, Ballots: []TallySlot{slot(1, 1, 2, 3)}})
	wit, err := frontend.NewWitness(a, field)
	require.NoError(t, err)
	require.NoError(t, ccs.IsSolved(wit))
	lie := func(_ *big.Int, in, out []*big.Int) error {
		for i := range out {
			out[i].SetUint64(1)
		}
		return nil
	}
	for _, h := range []solver.Hint{solver.InvZeroHint} {
		require.Error(t, ccs.IsSolved(wit, solver.OverrideHint(solver.GetHintID(h), lie)))
	}
	for _, h := range solver.GetRegisteredHints() {
		if solver.GetHintName(h) == "github.com/consensys/gnark/std/math/bits.nBits" {
			require.Error(t, ccs.IsSolved(wit, solver.OverrideHint(solver.GetHintID(h), lie)))
		}
	}
	_, err = shapeTally(0, 3)
	require.Error(t, err)
	_, err = shapeTally(4, 0)
	require.Error(t, err)
	_, _, err = assignTallyT(1, 3, &TallyWitness{TotalsBefore: []uint64{0, 0, 0}, Ballots: []TallySlot{slot(1, 1, 0, 0), slot(2, 1, 0, 0)}})
	require.Error(t, err)
	_, _, err = assignTallyT(2, 3, &TallyWitness{TotalsBefore: []uint64{0, 0, 0}, Ballots: []TallySlot{slot(1, 1, 0)}})
	require.Error(t, err)
	_, _, err = assignTallyT(2, 3, &TallyWitness{TotalsBefore: []uint64{0, 0, 0}, Ballots: []TallySlot{slot(1, 1<<32, 0, 0)}})
	require.Error(t, err)
}
