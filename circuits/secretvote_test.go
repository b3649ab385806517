package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
)

// sOptions is odd, so that packed by two the last option has a ciphertext
// of its own.
const sOptions = 3

func secretStatement(pack int) statement.Statement {
	return statement.SecretVote(vDepth, sOptions, pack)
}

// secretWitness is a single-choice secret ballot of member 2 of a 5-leaf
// tree for s, for votes, under a fresh election key; it returns the secret
// key.
func secretWitness(t *testing.T, s statement.Statement, votes ...uint64) (*SecretVoteWitness, trustee.Scalar) {
	t.Helper()
	_, m := fixture(t, 5, 2)
	sk, err := trustee.RandomScalar(nil)
	require.NoError(t, err)
	w := &SecretVoteWitness{
		VoteWitness: VoteWitness{Membership: *m, NumOptions: uint64(s.Options()), MaxPerOption: 1, MinTotal: 1, MaxTotal: 1, CostExponent: 1, Votes: votes},
		Counter:     3,
		Key:         trustee.BaseMul(sk),
	}
	w.ParamsDigest.SetUint64(99)
	for range s.Ciphertexts() {
		k, err := trustee.RandomScalar(nil)
		require.NoError(t, err)
		w.Randomness = append(w.Randomness, k)
	}
	return w, sk
}

func secretSolved(t *testing.T, s statement.Statement, off guard, a *SecretVote) error {
	t.Helper()
	shape := newSecretVote(s)
	shape.off = off
	return test.IsSolved(shape, a, field)
}

func assignSecretT(t *testing.T, s statement.Statement, w *SecretVoteWitness) *SecretVote {
	t.Helper()
	c, pub, err := Assign(s, w)
	require.NoError(t, err)
	require.Len(t, pub, s.NbPublic())
	return c.(*SecretVote)
}

// decrypt returns C2 − sk·C1, the plaintext's point.
func decrypt(c trustee.Ciphertext, sk trustee.Scalar) trustee.Point { return c.C2.Sub(c.C1.Mul(sk)) }

// TestSecretVote: an honest secret ballot proves for each packing (and
// with a single ciphertext, whose key multiple is computed by the other
// plan), its ciphertexts decrypt to its packed votes, and the rules still
// hold with the votes private.
func TestSecretVote(t *testing.T) {
	for _, s := range []statement.Statement{secretStatement(1), secretStatement(2), statement.SecretVote(vDepth, 2, 2)} {
		pack := s.Pack()
		for choice := range s.Options() {
			votes := make([]uint64, s.Options())
			votes[choice] = 1
			w, sk := secretWitness(t, s, votes...)
			require.NoError(t, secretSolved(t, s, 0, assignSecretT(t, s, w)), "%s %v", s, votes)
			cs, err := w.Ciphertexts(s)
			require.NoError(t, err)
			require.Len(t, cs, s.Ciphertexts())
			for i, c := range cs {
				var m uint64
				for j := range pack {
					if o := pack*i + j; o < len(votes) {
						m += votes[o] << (statement.SlotBits * j)
					}
				}
				require.True(t, decrypt(c, sk).Equal(trustee.BaseMul(trustee.NewScalar(m))), "%s %v ciphertext %d", s, votes, i)
			}
		}
		// Two votes in a single-choice election, or none, cannot be proven.
		for _, votes := range [][]uint64{{1, 1}, {0, 0}, {2, 0}, {0, 1, 1}} {
			if len(votes) > s.Options() {
				continue
			}
			bad, _ := secretWitness(t, s, votes...)
			require.Error(t, secretSolved(t, s, 0, assignSecretT(t, s, bad)), "%s votes %v", s, votes)
		}
	}
}

// TestSecretVotePacking checks the packing against an independent native
// reference: ciphertext 0 is trustee.EncryptWith of v₀ + v₁·2^32, ciphertext
// 1 of v₂ alone, each with its own randomness. The same votes in other
// slots (v₀ and v₁ swapped) are another plaintext, another hash, and the
// circuit refuses that hash. The sum of several ballots decrypts to each
// option's total in its slot.
func TestSecretVotePacking(t *testing.T) {
	s := secretStatement(2)
	w, sk := secretWitness(t, s, 0, 1, 0)
	w.MaxPerOption, w.MaxTotal = 7, 7
	w.Votes = []uint64{5, 2, 0}
	want := []trustee.Ciphertext{
		trustee.EncryptWith(w.Key, 5+2*(1<<32), w.Randomness[0]),
		trustee.EncryptWith(w.Key, 0, w.Randomness[1]),
	}
	got, err := w.Ciphertexts(s)
	require.NoError(t, err)
	require.Equal(t, want, got)
	a := assignSecretT(t, s, w)
	require.Equal(t, element(trustee.HashCiphertexts(w.Key, want)), a.Ciphertexts)
	require.NoError(t, secretSolved(t, s, 0, a))

	swapped := *w
	swapped.Votes = []uint64{2, 5, 0}
	sc, err := swapped.Ciphertexts(s)
	require.NoError(t, err)
	require.NotEqual(t, trustee.HashCiphertexts(w.Key, sc), trustee.HashCiphertexts(w.Key, want))
	a.Ciphertexts = element(trustee.HashCiphertexts(w.Key, sc))
	require.Error(t, secretSolved(t, s, 0, a), "votes proven in one order, hashed in the other")

	// Σ of ballots (5, 2, 0), (1, 3, 4), (0, 7, 1): slot totals 6 and 12, then 5.
	sum := []trustee.Ciphertext{trustee.Zero(), trustee.Zero()}
	for _, votes := range [][]uint64{{5, 2, 0}, {1, 3, 4}, {0, 7, 1}} {
		b, _ := secretWitness(t, s)
		b.Key, b.Votes = w.Key, votes
		cs, err := b.Ciphertexts(s)
		require.NoError(t, err)
		for i := range sum {
			sum[i] = sum[i].Add(cs[i])
		}
	}
	require.True(t, decrypt(sum[0], sk).Equal(trustee.BaseMul(trustee.NewScalar(6+12<<32))))
	require.True(t, decrypt(sum[1], sk).Equal(trustee.BaseMul(trustee.NewScalar(5))))
}

// TestSecretVoteCiphertextHash: the public hash must be that of the
// ciphertexts the circuit computes. Without that constraint a voter could
// prove a valid ballot while submitting ciphertexts of anything (here two
// votes for option 1): the mutant accepts it, the circuit does not.
func TestSecretVoteCiphertextHash(t *testing.T) {
	s := secretStatement(2)
	honest, _ := secretWitness(t, s, 0, 1, 0)
	a := assignSecretT(t, s, honest)
	forged := *honest
	forged.Votes = []uint64{0, 2, 0}
	fc, err := forged.Ciphertexts(s)
	require.NoError(t, err)
	a.Ciphertexts = element(trustee.HashCiphertexts(honest.Key, fc))
	require.NoError(t, secretSolved(t, s, guardCiphertextHash, a), "the mutant must accept, or the test is not sensitive")
	require.Error(t, secretSolved(t, s, 0, a))

	// Ciphertexts under another key than the one hashed are refused too.
	b := assignSecretT(t, s, honest)
	other, _ := trustee.RandomScalar(nil)
	x, y := trustee.BaseMul(other).Coordinates()
	b.Key = EdwardsPoint{X: element(x), Y: element(y)}
	require.Error(t, secretSolved(t, s, 0, b))
	// A key off the curve is refused.
	c := assignSecretT(t, s, honest)
	var one fr.Element
	one.SetOne()
	x.Add(&x, &one)
	c.Key.X = element(x)
	require.Error(t, secretSolved(t, s, 0, c))
}

// TestSecretVoteSlotRange: the encryption reads the bits of the rules'
// range check, so a vote is below 2^32 in its slot too. Without that check
// the single-choice ballot (−1, 1, 1) costs 1, and packed by two its first
// plaintext is −1 + 2^32 = 2^32 − 1: option 0 would gain 4,294,967,295
// votes and option 1 none. The mutant accepts its ciphertexts; the circuit
// does not.
func TestSecretVoteSlotRange(t *testing.T) {
	s := secretStatement(2)
	w, sk := secretWitness(t, s, 0, 0, 1)
	a := assignSecretT(t, s, w)
	a.Votes = []frontend.Variable{ints(-1)[0], 1, 1}
	forged := []trustee.Ciphertext{
		trustee.EncryptWith(w.Key, 1<<32-1, w.Randomness[0]),
		trustee.EncryptWith(w.Key, 1, w.Randomness[1]),
	}
	a.Ciphertexts = element(trustee.HashCiphertexts(w.Key, forged))
	require.NoError(t, secretSolved(t, s, guardVoteRange, a), "the mutant must accept, or the test is not sensitive")
	require.Error(t, secretSolved(t, s, 0, a))
	require.True(t, decrypt(forged[0], sk).Equal(trustee.BaseMul(trustee.NewScalar(1<<32-1))))
}

// TestSecretVoteGuards: the shared rules' guards and the public squares
// hold in the secret circuit too.
func TestSecretVoteGuards(t *testing.T) {
	s := secretStatement(2)
	w, _ := secretWitness(t, s, 1, 0, 0)
	a := assignSecretT(t, s, w)
	a.Counter = 4 // another counter than the one proven is a different statement: fine for the solver
	require.NoError(t, secretSolved(t, s, 0, a))
	// Two votes for the price of one: rejected by the rules' guard.
	bad, _ := secretWitness(t, s, 1, 1, 0)
	ab := assignSecretT(t, s, bad)
	require.NoError(t, secretSolved(t, s, guardTotalMax, ab), "mutant")
	require.Error(t, secretSolved(t, s, 0, ab))
	// Every public input, the counter included, is in a multiplication of
	// its own; without BindPublic the counter is bound by nothing.
	shape := newSecretVote(s)
	got := nonLinearPublic(t, shape)
	require.Len(t, got, s.NbPublic())
	for i, ok := range got {
		require.True(t, ok, "public input %d is not in a multiplication", i)
	}
	shape.off = guardPublicSquares
	require.False(t, nonLinearPublic(t, shape)[9], "the counter")
}

// TestSecretVoteAssignRefuses: a witness that does not fit its statement
// is an error, never a panic, and so is randomness that would give the
// votes away (zero, or one value twice) and a vote with no slot.
func TestSecretVoteAssignRefuses(t *testing.T) {
	s := secretStatement(2)
	refuse := func(name string, s statement.Statement, w Witness) {
		t.Helper()
		_, _, err := Assign(s, w)
		require.Error(t, err, name)
	}
	w, _ := secretWitness(t, s, 0, 1, 0)
	w.Randomness = w.Randomness[:1]
	refuse("too little randomness", s, w)
	w, _ = secretWitness(t, s, 0, 1, 0)
	w.Randomness = append(w.Randomness, w.Randomness[0])
	refuse("too much randomness", s, w)
	w, _ = secretWitness(t, s, 0, 1, 0)
	w.Randomness[1] = w.Randomness[0]
	refuse("repeated randomness", s, w)
	w, _ = secretWitness(t, s, 0, 1, 0)
	w.Randomness[1] = trustee.NewScalar(0)
	refuse("zero randomness", s, w)
	w, _ = secretWitness(t, s, 0, 1, 0, 0)
	refuse("too many votes", s, w)
	w, _ = secretWitness(t, s, 0, 1<<32, 0)
	refuse("a vote with no slot", s, w)
	refuse("nil", s, (*SecretVoteWitness)(nil))
	w, _ = secretWitness(t, s, 0, 1, 0)
	refuse("a secret witness for an open vote", statement.Vote(vDepth, sOptions), w)
	refuse("pack 3", statement.SecretVote(vDepth, sOptions, 3), w)
	_, err := w.Ciphertexts(statement.Vote(vDepth, sOptions))
	require.Error(t, err)
	_, err = w.Public(statement.SecretVote(vDepth, sOptions, 0))
	require.Error(t, err)
	_, err = w.Ciphertexts(s)
	require.NoError(t, err)
}

// TestSecretVoteMaliciousHints lies in every hint the secret circuit uses
// (the bit decompositions of votes and randomness, and the inverse behind
// IsZero): the compiled circuit must refuse each lie. The Edwards
// divisions take no hint: their quotient is a wire fixed by one constraint
// whose divisor is never zero on the curve.
func TestSecretVoteMaliciousHints(t *testing.T) {
	s := secretStatement(2)
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, newSecretVote(s))
	require.NoError(t, err)
	w, _ := secretWitness(t, s, 1, 0, 0)
	wit, err := frontend.NewWitness(assignSecretT(t, s, w), field)
	require.NoError(t, err)
	require.NoError(t, ccs.IsSolved(wit))
	requireHintsRefused(t, ccs, wit)
}
