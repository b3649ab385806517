package circuits

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"

	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/statement"
)

// Ballot value bounds enforced by [Vote]; each vote value and MaxPerOption
// is below 2^statement.VoteBits.
const (
	// totalBits bounds MinTotal and MaxTotal: < 2^64. A cost total (at most
	// 64 options × (2^32−1)², below 2^70) never wraps around the field.
	totalBits = 64
	// costBits is the range that differences of totals are checked in.
	costBits = 70
)

// Vote proves an anonymous, rule-abiding ballot: the voter is in the census
// tree (as [Membership], with the same leaf construction), the nullifier is
// Hash(TagVoteNullifier, Secret, Scope), and the ballot obeys the election's
// rules. The ballot nullifier's tag differs from [Membership]'s, so a
// membership proof for an election's scope never reveals the ballot
// nullifier.
//
// Public inputs, in order (statement.VotePublic): Root, Nullifier, Scope,
// ParamsDigest, NumOptions, MaxPerOption, MinTotal, MaxTotal, CostExponent,
// then Votes (one per compiled option). Private inputs: Secret and the tree
// path.
//
// The rules: each vote value is below 2^32 and at most MaxPerOption (range
// checks come before any arithmetic on the values); options at or beyond
// NumOptions are 0; the cost Σ vᵢ^CostExponent, with CostExponent 1 or 2, is
// between MinTotal and MaxTotal, which are below 2^64 — so the total cannot
// wrap around the field for any input. One type covers single choice
// (MaxPerOption 1, MinTotal = MaxTotal = 1), approval of up to k (MaxPerOption
// 1, MaxTotal k), budget/cumulative (exponent 1, MaxTotal B) and quadratic
// voting (exponent 2, MaxTotal B). ParamsDigest binds the ballot to the
// election's parameters; every public input is squared on its own.
//
// # Cost
//
// At depth 20 with 8 options: 6,188 R1CS constraints for Groth16 (see
// testdata/constraints.txt for every size and backend).
type Vote struct {
	Root         frontend.Variable   `gnark:",public"`
	Nullifier    frontend.Variable   `gnark:",public"`
	Scope        frontend.Variable   `gnark:",public"`
	ParamsDigest frontend.Variable   `gnark:",public"`
	NumOptions   frontend.Variable   `gnark:",public"`
	MaxPerOption frontend.Variable   `gnark:",public"`
	MinTotal     frontend.Variable   `gnark:",public"`
	MaxTotal     frontend.Variable   `gnark:",public"`
	CostExponent frontend.Variable   `gnark:",public"`
	Votes        []frontend.Variable `gnark:",public"`

	Secret frontend.Variable
	Path   LeanIMT

	off guard
}

// newVote returns the circuit shape for trees of depth at most maxDepth and
// ballots of maxOptions options, checked by the caller ([New]).
func newVote(maxDepth, maxOptions int) *Vote {
	return &Vote{Path: NewLeanIMT(maxDepth), Votes: make([]frontend.Variable, maxOptions)}
}

// Define implements frontend.Circuit.
func (c *Vote) Define(api frontend.API) error {
	h, err := NewHasher(api)
	if err != nil {
		return err
	}
	if err := assertMember(api, h, c.Secret, &c.Path, c.Root, poseidon2.TagVoteNullifier, c.Nullifier, c.Scope, c.off); err != nil {
		return err
	}
	assertRules(api, c.Votes, c.NumOptions, c.MaxPerOption, c.MinTotal, c.MaxTotal, c.CostExponent, c.off)
	if c.off&guardPublicSquares == 0 {
		BindPublic(api, c.Root, c.Nullifier, c.Scope, c.ParamsDigest,
			c.NumOptions, c.MaxPerOption, c.MinTotal, c.MaxTotal, c.CostExponent)
		BindPublic(api, c.Votes...)
	}
	return nil
}

// assertRange asserts 0 ≤ v < 2^bits (as an integer below r) and returns
// the bits of v, least significant first.
func assertRange(api frontend.API, v frontend.Variable, bits int) []frontend.Variable {
	return api.ToBinary(v, bits)
}

// assertRules enforces a ballot's rules (see [Vote]) and returns each vote's
// statement.VoteBits bits, least significant first, from its range check:
// a circuit that needs them (the encryptions of [SecretVote]) reuses them.
// Under the test-only guardVoteRange the votes have no bits (nil).
func assertRules(api frontend.API, votes []frontend.Variable, numOptions, maxPer, minTotal, maxTotal, costExp frontend.Variable, off guard) [][]frontend.Variable {
	if off&guardRuleRange == 0 {
		assertRange(api, maxPer, statement.VoteBits)
		assertRange(api, minTotal, totalBits)
		assertRange(api, maxTotal, totalBits)
	}
	quadratic := api.Sub(costExp, 1)
	if off&guardCostExponent == 0 {
		api.AssertIsBoolean(quadratic)
	}
	// active_i = 1 for options below NumOptions: end_k = (NumOptions == k)
	// for k = 1 … len(votes), exactly one of which holds.
	active := frontend.Variable(1)
	ends := frontend.Variable(0)
	total := frontend.Variable(0)
	bits := make([][]frontend.Variable, len(votes))
	for i, v := range votes {
		if i > 0 {
			end := api.IsZero(api.Sub(numOptions, i))
			ends = api.Add(ends, end)
			active = api.Sub(active, end)
		}
		if off&guardVoteRange == 0 {
			bits[i] = assertRange(api, v, statement.VoteBits)
		}
		if off&guardVoteMax == 0 {
			assertRange(api, api.Sub(maxPer, v), statement.VoteBits)
		}
		if off&guardInactiveZero == 0 {
			api.AssertIsEqual(api.Mul(v, api.Sub(1, active)), 0)
		}
		sq := api.Mul(v, v)
		total = api.Add(total, v, api.Mul(quadratic, api.Sub(sq, v)))
	}
	end := api.IsZero(api.Sub(numOptions, len(votes)))
	ends = api.Add(ends, end)
	if off&guardNumOptions == 0 {
		api.AssertIsEqual(ends, 1)
	}
	if off&guardTotalMax == 0 {
		assertRange(api, api.Sub(maxTotal, total), costBits)
	}
	if off&guardTotalMin == 0 {
		assertRange(api, api.Sub(total, minTotal), costBits)
	}
	return bits
}

// VoteWitness holds the values of one ballot statement: the voter's
// membership (its Message is not used), the election's parameter digest and
// rules, and the votes (at most the compiled number of options; the rest are
// 0).
type VoteWitness struct {
	Membership   MembershipWitness
	ParamsDigest fr.Element
	NumOptions   uint64
	MaxPerOption uint64
	MinTotal     uint64
	MaxTotal     uint64
	CostExponent uint64
	Votes        []uint64
}

// Nullifier returns the ballot nullifier the witness proves:
// Poseidon2(TagVoteNullifier, Secret, Scope).
func (w *VoteWitness) Nullifier() fr.Element {
	return poseidon2.Hash(poseidon2.TagVoteNullifier, w.Membership.Secret, w.Membership.Scope)
}

// Public returns the public inputs w proves in a circuit of maxOptions
// options (Votes padded with zeros).
func (w *VoteWitness) Public(maxOptions int) *statement.VotePublic {
	votes := make([]uint64, maxOptions)
	copy(votes, w.Votes)
	return &statement.VotePublic{
		Root: w.Membership.Root, Nullifier: w.Nullifier(), Scope: w.Membership.Scope, ParamsDigest: w.ParamsDigest,
		NumOptions: w.NumOptions, MaxPerOption: w.MaxPerOption, MinTotal: w.MinTotal,
		MaxTotal: w.MaxTotal, CostExponent: w.CostExponent, Votes: votes,
	}
}

// assignVote returns the full assignment of a vote circuit for w, padding
// Votes with zeros. It does not check the rules: a ballot that breaks them
// yields an assignment the circuit rejects.
func assignVote(maxDepth, maxOptions int, w *VoteWitness) (*Vote, error) {
	if w == nil {
		return nil, errors.New("circuits: nil witness")
	}
	m, err := assignMembership(maxDepth, &w.Membership)
	if err != nil {
		return nil, err
	}
	c := newVote(maxDepth, maxOptions)
	if len(w.Votes) > maxOptions {
		return nil, fmt.Errorf("circuits: %d votes for a circuit of %d options", len(w.Votes), maxOptions)
	}
	c.Root, c.Scope, c.Secret, c.Path = m.Root, m.Scope, m.Secret, m.Path
	c.Nullifier = element(w.Nullifier())
	c.ParamsDigest = element(w.ParamsDigest)
	c.NumOptions, c.MaxPerOption, c.MinTotal, c.MaxTotal, c.CostExponent =
		w.NumOptions, w.MaxPerOption, w.MinTotal, w.MaxTotal, w.CostExponent
	for i := range c.Votes {
		c.Votes[i] = uint64(0)
		if i < len(w.Votes) {
			c.Votes[i] = w.Votes[i]
		}
	}
	return c, nil
}
