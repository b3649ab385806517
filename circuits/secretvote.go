package circuits

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark/frontend"

	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
)

// SecretVote proves an anonymous ballot whose votes stay secret: the voter
// is in the census and the nullifier is theirs (as in [Vote]), the votes
// obey the election's rules (as in [Vote]), and each option's value is
// encrypted with exponential ElGamal under the election key Key, with its
// own randomness: C1 = k·G, C2 = v·G + k·Key (package trustee; the
// trustees decrypt only the sum of many ballots). The ciphertexts are not
// public inputs: the public Ciphertexts is Poseidon2(TagCiphertexts, Key,
// each C1 and C2), which a ballot box recomputes from the submitted points
// with the election's key (trustee.HashCiphertexts), so the hash binds the
// ballot to that key too. Counter is public and bound by the proof: a box
// keeps, for each nullifier, only the ballot with the highest counter.
//
// Public inputs, in order (statement.SecretVotePublic): Root, Nullifier,
// Scope, ParamsDigest, NumOptions, MaxPerOption, MinTotal, MaxTotal,
// CostExponent, Counter, Ciphertexts. Private inputs: Secret, the tree path,
// Votes, Randomness (one per compiled option, below 2^251) and Key (a point
// on the curve; that it is the election's key follows from the hash).
//
// # Cost
//
// Each option adds one encryption (4,483 R1CS constraints: 251 bits of
// randomness, a windowed fixed-base and a double-and-add variable-base
// multiplication) and four hashed coordinates (864); testdata/constraints.txt
// has the exact counts.
type SecretVote struct {
	Root         frontend.Variable `gnark:",public"`
	Nullifier    frontend.Variable `gnark:",public"`
	Scope        frontend.Variable `gnark:",public"`
	ParamsDigest frontend.Variable `gnark:",public"`
	NumOptions   frontend.Variable `gnark:",public"`
	MaxPerOption frontend.Variable `gnark:",public"`
	MinTotal     frontend.Variable `gnark:",public"`
	MaxTotal     frontend.Variable `gnark:",public"`
	CostExponent frontend.Variable `gnark:",public"`
	Counter      frontend.Variable `gnark:",public"`
	Ciphertexts  frontend.Variable `gnark:",public"`

	Secret     frontend.Variable
	Path       LeanIMT
	Votes      []frontend.Variable
	Randomness []frontend.Variable
	Key        EdwardsPoint

	off guard
}

// newSecretVote returns the circuit shape, sizes checked by the caller.
func newSecretVote(maxDepth, options int) *SecretVote {
	return &SecretVote{
		Path:       NewLeanIMT(maxDepth),
		Votes:      make([]frontend.Variable, options),
		Randomness: make([]frontend.Variable, options),
	}
}

// Define implements frontend.Circuit.
func (c *SecretVote) Define(api frontend.API) error {
	if len(c.Randomness) != len(c.Votes) {
		return fmt.Errorf("circuits: %d randomness values for %d votes", len(c.Randomness), len(c.Votes))
	}
	h, err := NewHasher(api)
	if err != nil {
		return err
	}
	if err := assertMember(api, h, c.Secret, &c.Path, c.Root, poseidon2.TagVoteNullifier, c.Nullifier, c.Scope, c.off); err != nil {
		return err
	}
	assertRules(api, c.Votes, c.NumOptions, c.MaxPerOption, c.MinTotal, c.MaxTotal, c.CostExponent, c.off)
	e := NewEdwards(api)
	in := []frontend.Variable{c.Key.X, c.Key.Y}
	for i, v := range c.Votes {
		c1, c2 := e.Encrypt(c.Key, v, statement.VoteBits, c.Randomness[i])
		in = append(in, c1.X, c1.Y, c2.X, c2.Y)
	}
	if c.off&guardCiphertextHash == 0 {
		api.AssertIsEqual(h.hash(poseidon2.TagCiphertexts, in...), c.Ciphertexts)
	}
	if c.off&guardPublicSquares == 0 {
		BindPublic(api, c.Root, c.Nullifier, c.Scope, c.ParamsDigest, c.NumOptions, c.MaxPerOption,
			c.MinTotal, c.MaxTotal, c.CostExponent, c.Counter, c.Ciphertexts)
	}
	return nil
}

// SecretVoteWitness holds the values of one secret ballot: those of a
// ballot ([VoteWitness]), its counter, the election key and the
// randomness of each ciphertext (one per compiled option; never reuse
// one, or the difference of two votes shows).
type SecretVoteWitness struct {
	VoteWitness
	Counter    uint64
	Key        trustee.Point
	Randomness []trustee.Scalar
}

func (*SecretVoteWitness) kind() statement.Kind { return statement.KindSecretVote }

// Ciphertexts returns the ballot's ciphertexts for a circuit of options
// options: each vote (0 beyond the given ones) encrypted under Key with its
// randomness.
func (w *SecretVoteWitness) Ciphertexts(options int) ([]trustee.Ciphertext, error) {
	if len(w.Randomness) != options || len(w.Votes) > options {
		return nil, fmt.Errorf("circuits: %d votes and %d randomness values for %d options", len(w.Votes), len(w.Randomness), options)
	}
	out := make([]trustee.Ciphertext, options)
	for i := range out {
		var v uint64
		if i < len(w.Votes) {
			v = w.Votes[i]
		}
		out[i] = trustee.EncryptWith(w.Key, v, w.Randomness[i])
	}
	return out, nil
}

// Public returns the public inputs w proves in a circuit of options
// options.
func (w *SecretVoteWitness) Public(options int) (*statement.SecretVotePublic, error) {
	cs, err := w.Ciphertexts(options)
	if err != nil {
		return nil, err
	}
	return &statement.SecretVotePublic{
		Root: w.Membership.Root, Nullifier: w.Nullifier(), Scope: w.Membership.Scope, ParamsDigest: w.ParamsDigest,
		NumOptions: w.NumOptions, MaxPerOption: w.MaxPerOption, MinTotal: w.MinTotal, MaxTotal: w.MaxTotal,
		CostExponent: w.CostExponent, Counter: w.Counter, Ciphertexts: trustee.HashCiphertexts(w.Key, cs),
	}, nil
}

// assignSecretVote returns the full assignment of a secret vote circuit for
// w and the public inputs it proves.
func assignSecretVote(maxDepth, options int, w *SecretVoteWitness) (*SecretVote, *statement.SecretVotePublic, error) {
	if w == nil {
		return nil, nil, errors.New("circuits: nil witness")
	}
	v, err := assignVote(maxDepth, options, &w.VoteWitness)
	if err != nil {
		return nil, nil, err
	}
	pub, err := w.Public(options)
	if err != nil {
		return nil, nil, err
	}
	c := newSecretVote(maxDepth, options)
	c.Root, c.Nullifier, c.Scope, c.ParamsDigest = v.Root, v.Nullifier, v.Scope, v.ParamsDigest
	c.NumOptions, c.MaxPerOption, c.MinTotal, c.MaxTotal, c.CostExponent =
		v.NumOptions, v.MaxPerOption, v.MinTotal, v.MaxTotal, v.CostExponent
	c.Counter = w.Counter
	c.Ciphertexts = element(pub.Ciphertexts)
	c.Secret, c.Path = v.Secret, v.Path
	copy(c.Votes, v.Votes)
	for i, k := range w.Randomness {
		b := k.Bytes()
		c.Randomness[i] = new(big.Int).SetBytes(b[:])
	}
	x, y := w.Key.Coordinates()
	c.Key = EdwardsPoint{X: element(x), Y: element(y)}
	return c, pub, nil
}
