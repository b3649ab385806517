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

// A packed plaintext must fit the uint64 that trustee.EncryptWith takes, and
// a slot must hold a whole vote.
const (
	_ = uint(64 - statement.MaxPack*statement.SlotBits)
	_ = uint(statement.SlotBits - statement.VoteBits)
)

// SecretVote proves an anonymous ballot whose votes stay secret: the voter
// is in the census and the nullifier is theirs (as in [Vote]), the votes
// obey the election's rules (as in [Vote]), and the votes are encrypted
// with exponential ElGamal under the election key Key, pack options per
// ciphertext: ciphertext i holds options pack·i … pack·i + pack − 1 (an odd
// last option has a ciphertext of its own), as the plaintext
// mᵢ = Σⱼ v_{pack·i+j}·2^(SlotBits·j), with randomness of its own:
// C1 = k·G, C2 = mᵢ·G + k·Key (package trustee; the trustees decrypt only
// the sum of many ballots). The ciphertexts are not public inputs: the
// public Ciphertexts is the wide Poseidon2 hash (width 12) of
// TagCiphertexts, Key, each C1 and C2,
// which a ballot box recomputes from the submitted points with the
// election's key (trustee.HashCiphertexts), so the hash binds the ballot to
// that key too. Counter is public and bound by the proof: a box keeps, for
// each nullifier, only the ballot with the highest counter.
//
// Public inputs, in order (statement.SecretVotePublic): Root, Nullifier,
// Scope, ParamsDigest, NumOptions, MaxPerOption, MinTotal, MaxTotal,
// CostExponent, Counter, Ciphertexts. Private inputs: Secret, the tree path,
// Votes, Randomness (one wire ρ < 2^251 per ciphertext, for the randomness
// k = 2ρ − (2^251 − 1) mod l; [SecretVoteWitness] computes it) and Key (a
// point on the curve; that it is the election's key follows from the
// hash).
//
// # Security
//
// Packing never carries between slots of one ballot: the rules range-check
// every vote below 2^VoteBits ≤ 2^SlotBits, so mᵢ < 2^(pack·SlotBits) ≤ 2^64,
// far below the subgroup order l, and the ciphertext encrypts that exact
// integer. The encryption reads the vote bits of that range check, so the
// value encrypted is the value the rules checked. A sum of ballots is
// exact slot by slot only while every option's total stays below
// 2^SlotBits, and it decrypts only within the trustees' search bound: both
// are the election parameters' to guarantee (the electorate times
// MaxPerOption, and the packing they admit), not this circuit's.
//
// # Cost
//
// At depth 20 with 8 options packed by two (statement.DefaultPack): 15,424
// R1CS constraints for Groth16, below 2^14, so the prover's FFT domain is
// 16,384; 38,838 for PLONK. Unpacked, 22,410 and 61,510
// (testdata/constraints.txt has every size). A ciphertext costs about
// 1,900 R1CS constraints with its first option: 1,626 to encrypt (the
// randomness in signed 2-bit windows that C1 = k·G and k·Key share, summed
// in Montgomery form; the plaintext's bits in a fixed-base multiplication),
// about 200 to hash its four coordinates (the width-12 Poseidon2 chain:
// one permutation, 459 constraints, per 11 inputs) and 72 for the option's rules; a second option in it
// costs 181 (its rules and 32 more plaintext bits). A ballot of two
// ciphertexts or more also builds, once, the table of the key's multiples
// (1,383). Against the open vote circuit (6,188), an option costs about
// 1,150 more packed by two, 2,030 unpacked.
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

	pack int // options per ciphertext
	off  guard
}

// newSecretVote returns the circuit shape of s, checked by the caller.
func newSecretVote(s statement.Statement) *SecretVote {
	return &SecretVote{
		Path:       NewLeanIMT(s.Depth()),
		Votes:      make([]frontend.Variable, s.Options()),
		Randomness: make([]frontend.Variable, s.Ciphertexts()),
		pack:       s.Pack(),
	}
}

// Define implements frontend.Circuit.
func (c *SecretVote) Define(api frontend.API) error {
	if c.pack < 1 || c.pack > statement.MaxPack || len(c.Randomness) != (len(c.Votes)+c.pack-1)/c.pack {
		return fmt.Errorf("circuits: %d randomness values for %d votes packed by %d", len(c.Randomness), len(c.Votes), c.pack)
	}
	h, err := NewHasher(api)
	if err != nil {
		return err
	}
	if err := assertMember(api, h, c.Secret, &c.Path, c.Root, poseidon2.TagVoteNullifier, c.Nullifier, c.Scope, c.off); err != nil {
		return err
	}
	bits := assertRules(api, c.Votes, c.NumOptions, c.MaxPerOption, c.MinTotal, c.MaxTotal, c.CostExponent, c.off)
	enc := newElGamal(NewEdwards(api), c.Key, len(c.Randomness), c.off)
	in := []frontend.Variable{c.Key.X, c.Key.Y}
	for i, rho := range c.Randomness {
		c1, c2 := enc.encrypt(c.plaintext(api, bits, i), rho)
		in = append(in, c1.X, c1.Y, c2.X, c2.Y)
	}
	if c.off&guardCiphertextHash == 0 {
		sum, err := h.hashWide(poseidon2.TagCiphertexts, in...)
		if err != nil {
			return err
		}
		api.AssertIsEqual(sum, c.Ciphertexts)
	}
	if c.off&guardPublicSquares == 0 {
		BindPublic(api, c.Root, c.Nullifier, c.Scope, c.ParamsDigest, c.NumOptions, c.MaxPerOption,
			c.MinTotal, c.MaxTotal, c.CostExponent, c.Counter, c.Ciphertexts)
	}
	return nil
}

// plaintext returns the bits of ciphertext i's plaintext, least significant
// first: the range-check bits of each of its votes, slot after slot, each
// slot padded to statement.SlotBits.
func (c *SecretVote) plaintext(api frontend.API, bits [][]frontend.Variable, i int) []frontend.Variable {
	lo, hi := c.pack*i, min(c.pack*i+c.pack, len(c.Votes))
	if c.off&guardVoteRange != 0 {
		// Test-only: without the range check the votes have no bits, and
		// the plaintext is their packed sum as a field element, as a
		// circuit that never bounded them would compute it.
		m := frontend.Variable(0)
		for j := lo; j < hi; j++ {
			m = api.Add(m, api.Mul(c.Votes[j], new(big.Int).Lsh(big.NewInt(1), uint(statement.SlotBits*(j-lo)))))
		}
		return api.ToBinary(m)
	}
	var m []frontend.Variable
	for j := lo; j < hi; j++ {
		m = append(m, bits[j]...)
		for range statement.SlotBits - len(bits[j]) {
			m = append(m, 0)
		}
	}
	return m
}

// SecretVoteWitness holds the values of one secret ballot: those of a
// ballot ([VoteWitness]), its counter, the election key and the
// randomness of each ciphertext (statement.Statement.Ciphertexts of them,
// each drawn on its own with trustee.RandomScalar: one reused or derived
// from another, k + i say, shows the difference of two plaintexts).
type SecretVoteWitness struct {
	VoteWitness
	Counter    uint64
	Key        trustee.Point
	Randomness []trustee.Scalar
}

func (*SecretVoteWitness) kind() statement.Kind { return statement.KindSecretVote }

// Ciphertexts returns the ballot's ciphertexts for the secret vote statement
// s: for each ciphertext i, trustee.EncryptWith(Key, mᵢ, Randomness[i]) with
// mᵢ the packed plaintext of options pack·i … pack·i + pack − 1 (see
// [SecretVote]; options beyond the given votes are 0). It returns an error
// for a statement of another kind, a witness that does not fit s, a vote of
// 2^statement.VoteBits or more (it has no slot), or a randomness that is
// zero or used twice.
func (w *SecretVoteWitness) Ciphertexts(s statement.Statement) ([]trustee.Ciphertext, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	if s.Kind() != statement.KindSecretVote {
		return nil, fmt.Errorf("circuits: %s is not a secret vote statement", s)
	}
	if len(w.Randomness) != s.Ciphertexts() || len(w.Votes) > s.Options() {
		return nil, fmt.Errorf("circuits: %d votes and %d randomness values for %s", len(w.Votes), len(w.Randomness), s)
	}
	for i, k := range w.Randomness {
		if k.IsZero() {
			return nil, fmt.Errorf("circuits: randomness %d is zero", i)
		}
		for _, other := range w.Randomness[:i] {
			if k.Equal(other) {
				return nil, fmt.Errorf("circuits: randomness %d is used twice", i)
			}
		}
	}
	out := make([]trustee.Ciphertext, s.Ciphertexts())
	for i := range out {
		var m uint64
		for j := range s.Pack() {
			if o := s.Pack()*i + j; o < len(w.Votes) {
				v := w.Votes[o]
				if v >= 1<<statement.VoteBits {
					return nil, fmt.Errorf("circuits: vote %d is %d, not below 2^%d", o, v, statement.VoteBits)
				}
				m |= v << (statement.SlotBits * j)
			}
		}
		out[i] = trustee.EncryptWith(w.Key, m, w.Randomness[i])
	}
	return out, nil
}

// Public returns the public inputs w proves for the secret vote statement
// s; its errors are those of [SecretVoteWitness.Ciphertexts].
func (w *SecretVoteWitness) Public(s statement.Statement) (*statement.SecretVotePublic, error) {
	cs, err := w.Ciphertexts(s)
	if err != nil {
		return nil, err
	}
	return &statement.SecretVotePublic{
		Root: w.Membership.Root, Nullifier: w.Nullifier(), Scope: w.Membership.Scope, ParamsDigest: w.ParamsDigest,
		NumOptions: w.NumOptions, MaxPerOption: w.MaxPerOption, MinTotal: w.MinTotal, MaxTotal: w.MaxTotal,
		CostExponent: w.CostExponent, Counter: w.Counter, Ciphertexts: trustee.HashCiphertexts(w.Key, cs),
	}, nil
}

// assignSecretVote returns the full assignment of the circuit of s for w
// and the public inputs it proves.
func assignSecretVote(s statement.Statement, w *SecretVoteWitness) (*SecretVote, *statement.SecretVotePublic, error) {
	if w == nil {
		return nil, nil, errors.New("circuits: nil witness")
	}
	v, err := assignVote(s.Depth(), s.Options(), &w.VoteWitness)
	if err != nil {
		return nil, nil, err
	}
	pub, err := w.Public(s)
	if err != nil {
		return nil, nil, err
	}
	c := newSecretVote(s)
	c.Root, c.Nullifier, c.Scope, c.ParamsDigest = v.Root, v.Nullifier, v.Scope, v.ParamsDigest
	c.NumOptions, c.MaxPerOption, c.MinTotal, c.MaxTotal, c.CostExponent =
		v.NumOptions, v.MaxPerOption, v.MinTotal, v.MaxTotal, v.CostExponent
	c.Counter = w.Counter
	c.Ciphertexts = element(pub.Ciphertexts)
	c.Secret, c.Path = v.Secret, v.Path
	copy(c.Votes, v.Votes)
	for i, k := range w.Randomness {
		c.Randomness[i] = randomnessWire(k)
	}
	x, y := w.Key.Coordinates()
	c.Key = EdwardsPoint{X: element(x), Y: element(y)}
	return c, pub, nil
}
