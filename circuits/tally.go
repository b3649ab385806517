package circuits

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/statement"
)

// Tally proves one batch of a ballot log's tally: starting from the chain
// head HeadBefore and the tally committed in TallyBefore, appending the
// batch's first Count ballots (nullifier and votes each) gives HeadAfter, and
// adding their votes gives the tally committed in TallyAfter.
//
// Public inputs, in order (statement.TallyPublic): Scope, HeadBefore,
// HeadAfter, TallyBefore, TallyAfter, Count. Private: the tally before (ballots counted and
// per-option totals) and the batch's slots.
//
// The chain and commitments are those of internal/chain: entry =
// Poseidon2(TagBallot, prev, nullifier, packed votes), tally =
// Poseidon2(TagTally, scope, ballots, totals…). Slots at or beyond Count are
// padding and provably change nothing; every vote value is range-checked to
// 32 bits so the packing is injective; Count is at most the batch size. A
// chain of batch proofs whose first TallyBefore is the zero tally and whose
// first HeadBefore is the log's genesis certifies the final results against
// the final head. The tally proof does not check ballot proofs or nullifier
// uniqueness: the ballot box and the audit do (see package election).
//
// # Cost
//
// About 1,155 R1CS constraints per ballot slot with 8 options (four
// Poseidon2 compressions and 8 range checks); testdata/constraints.txt has
// the exact counts.
type Tally struct {
	Scope       frontend.Variable `gnark:",public"`
	HeadBefore  frontend.Variable `gnark:",public"`
	HeadAfter   frontend.Variable `gnark:",public"`
	TallyBefore frontend.Variable `gnark:",public"`
	TallyAfter  frontend.Variable `gnark:",public"`
	Count       frontend.Variable `gnark:",public"`

	BallotsBefore frontend.Variable
	TotalsBefore  []frontend.Variable
	Nullifiers    []frontend.Variable
	Votes         [][]frontend.Variable

	off guard
}

// newTally returns the circuit shape for batches of batch ballots with
// options options, checked by the caller ([New]).
func newTally(batch, options int) *Tally {
	c := &Tally{
		TotalsBefore: make([]frontend.Variable, options),
		Nullifiers:   make([]frontend.Variable, batch),
		Votes:        make([][]frontend.Variable, batch),
	}
	for i := range c.Votes {
		c.Votes[i] = make([]frontend.Variable, options)
	}
	return c
}

// Define implements frontend.Circuit.
func (c *Tally) Define(api frontend.API) error {
	h, err := NewHasher(api)
	if err != nil {
		return err
	}
	n := len(c.TotalsBefore)
	before := append([]frontend.Variable{c.Scope, c.BallotsBefore}, c.TotalsBefore...)
	api.AssertIsEqual(h.hash(poseidon2.TagTally, before...), c.TallyBefore)

	totals := append([]frontend.Variable(nil), c.TotalsBefore...)
	head := c.HeadBefore
	active := frontend.Variable(1)
	ends := api.IsZero(c.Count)
	active = api.Sub(active, ends)
	for i, votes := range c.Votes {
		if len(votes) != n {
			return fmt.Errorf("circuits: slot %d has %d votes, want %d", i, len(votes), n)
		}
		words := make([]frontend.Variable, chain.Words(n))
		for w := range words {
			acc := frontend.Variable(0)
			for j := w * chain.VotesPerWord; j < min(n, (w+1)*chain.VotesPerWord); j++ {
				if c.off&guardBallotRange == 0 {
					assertRange(api, votes[j], statement.VoteBits)
				}
				shift := new(big.Int).Lsh(big.NewInt(1), uint(statement.VoteBits*(j-w*chain.VotesPerWord)))
				acc = api.Add(acc, api.Mul(votes[j], shift))
			}
			words[w] = acc
		}
		entry := h.hash(poseidon2.TagBallot, append([]frontend.Variable{head, c.Nullifiers[i]}, words...)...)
		head = api.Add(head, api.Mul(active, api.Sub(entry, head)))
		for j := range totals {
			totals[j] = api.Add(totals[j], api.Mul(active, votes[j]))
		}
		end := api.IsZero(api.Sub(c.Count, i+1))
		ends = api.Add(ends, end)
		active = api.Sub(active, end)
	}
	if c.off&guardCount == 0 {
		api.AssertIsEqual(ends, 1)
	}
	api.AssertIsEqual(head, c.HeadAfter)
	after := append([]frontend.Variable{c.Scope, api.Add(c.BallotsBefore, c.Count)}, totals...)
	api.AssertIsEqual(h.hash(poseidon2.TagTally, after...), c.TallyAfter)
	if c.off&guardPublicSquares == 0 {
		BindPublic(api, c.Scope, c.HeadBefore, c.HeadAfter, c.TallyBefore, c.TallyAfter, c.Count)
	}
	return nil
}

// TallySlot is one ballot of a batch, as the log stores it.
type TallySlot struct {
	Nullifier fr.Element
	Votes     []uint64
}

// TallyWitness holds the values of one batch statement.
type TallyWitness struct {
	Scope         fr.Element
	HeadBefore    fr.Element
	BallotsBefore uint64
	TotalsBefore  []uint64
	Ballots       []TallySlot // at most the batch size; the rest is padding
}

// TallyResult is what a batch proves: its public inputs, and the counted
// ballots and per-option totals after it (the next batch's BallotsBefore
// and TotalsBefore).
type TallyResult struct {
	Public       statement.TallyPublic
	BallotsAfter uint64
	TotalsAfter  []uint64
}

// Result computes the batch natively (internal/chain) for a circuit of
// batch slots and options options: what a proof of w certifies. It returns
// an error for a vote value of 2^32 or more, a ballot with the wrong number
// of options, or more ballots than the batch holds.
func (w *TallyWitness) Result(batch, options int) (*TallyResult, error) {
	_, res, err := assignTally(batch, options, w)
	return res, err
}

// assignTally computes the batch natively and returns the circuit
// assignment and the values it proves. Padding slots are zero.
func assignTally(batch, options int, w *TallyWitness) (*Tally, *TallyResult, error) {
	if w == nil {
		return nil, nil, errors.New("circuits: nil witness")
	}
	c := newTally(batch, options)
	if len(w.Ballots) > batch || len(w.TotalsBefore) != options {
		return nil, nil, fmt.Errorf("circuits: %d ballots and %d totals for a batch of %d with %d options", len(w.Ballots), len(w.TotalsBefore), batch, options)
	}
	res := &TallyResult{
		Public: statement.TallyPublic{
			Scope: w.Scope, HeadBefore: w.HeadBefore, Count: uint64(len(w.Ballots)),
			TallyBefore: chain.Tally(w.Scope, w.BallotsBefore, w.TotalsBefore),
		},
		BallotsAfter: w.BallotsBefore + uint64(len(w.Ballots)),
		TotalsAfter:  append([]uint64(nil), w.TotalsBefore...),
	}
	head := w.HeadBefore
	for i := range c.Votes {
		c.Nullifiers[i] = 0
		for j := range c.Votes[i] {
			c.Votes[i][j] = 0
		}
		if i >= len(w.Ballots) {
			continue
		}
		b := w.Ballots[i]
		if len(b.Votes) != options {
			return nil, nil, fmt.Errorf("circuits: ballot %d has %d votes, want %d", i, len(b.Votes), options)
		}
		var err error
		if head, err = chain.Entry(head, b.Nullifier, b.Votes); err != nil {
			return nil, nil, err
		}
		c.Nullifiers[i] = element(b.Nullifier)
		for j, v := range b.Votes {
			c.Votes[i][j] = v
			res.TotalsAfter[j] += v
			if res.TotalsAfter[j] < v {
				return nil, nil, fmt.Errorf("circuits: option %d total overflows", j)
			}
		}
	}
	res.Public.HeadAfter = head
	res.Public.TallyAfter = chain.Tally(w.Scope, res.BallotsAfter, res.TotalsAfter)
	c.Scope, c.HeadBefore, c.HeadAfter = element(w.Scope), element(w.HeadBefore), element(head)
	c.TallyBefore, c.TallyAfter = element(res.Public.TallyBefore), element(res.Public.TallyAfter)
	c.Count = len(w.Ballots)
	c.BallotsBefore = w.BallotsBefore
	for j, t := range w.TotalsBefore {
		c.TotalsBefore[j] = t
	}
	return c, res, nil
}
