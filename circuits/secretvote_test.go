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

const sOptions = 2

// secretWitness is a single-choice secret ballot of member 2 of a 5-leaf
// tree, for votes, under a fresh election key; it returns the secret key.
func secretWitness(t *testing.T, votes ...uint64) (*SecretVoteWitness, trustee.Scalar) {
	t.Helper()
	_, m := fixture(t, 5, 2)
	sk, err := trustee.RandomScalar(nil)
	require.NoError(t, err)
	w := &SecretVoteWitness{
		VoteWitness: VoteWitness{Membership: *m, NumOptions: sOptions, MaxPerOption: 1, MinTotal: 1, MaxTotal: 1, CostExponent: 1, Votes: votes},
		Counter:     3,
		Key:         trustee.BaseMul(sk),
	}
	w.ParamsDigest.SetUint64(99)
	for range sOptions {
		k, err := trustee.RandomScalar(nil)
		require.NoError(t, err)
		w.Randomness = append(w.Randomness, k)
	}
	return w, sk
}

func secretSolved(t *testing.T, off guard, a *SecretVote) error {
	t.Helper()
	shape := newSecretVote(vDepth, sOptions)
	shape.off = off
	return test.IsSolved(shape, a, field)
}

func assignSecretT(t *testing.T, w *SecretVoteWitness) *SecretVote {
	t.Helper()
	c, pub, err := Assign(statement.SecretVote(vDepth, sOptions), w)
	require.NoError(t, err)
	require.Len(t, pub, statement.SecretVote(vDepth, sOptions).NbPublic())
	return c.(*SecretVote)
}

// TestSecretVote: an honest secret ballot proves, its ciphertexts decrypt
// to its votes, and the rules still hold with the votes private.
func TestSecretVote(t *testing.T) {
	w, sk := secretWitness(t, 0, 1)
	require.NoError(t, secretSolved(t, 0, assignSecretT(t, w)))
	cs, err := w.Ciphertexts(sOptions)
	require.NoError(t, err)
	for i, c := range cs {
		v, err := trustee.Solve(c.C2.Sub(c.C1.Mul(sk)), 1)
		require.NoError(t, err)
		require.Equal(t, w.Votes[i], v)
	}
	// Two votes in a single-choice election, or none, cannot be proven.
	for _, votes := range [][]uint64{{1, 1}, {0, 0}, {2, 0}} {
		bad, _ := secretWitness(t, votes...)
		require.Error(t, secretSolved(t, 0, assignSecretT(t, bad)), "votes %v", votes)
	}
}

// TestSecretVoteCiphertextHash: the public hash must be that of the
// ciphertexts the circuit computes. Without that constraint a voter could
// prove a valid ballot while submitting ciphertexts of anything (here two
// votes for option 1): the mutant accepts it, the circuit does not.
func TestSecretVoteCiphertextHash(t *testing.T) {
	honest, _ := secretWitness(t, 0, 1)
	a := assignSecretT(t, honest)
	forged := *honest
	forged.Votes = []uint64{0, 2}
	fc, err := forged.Ciphertexts(sOptions)
	require.NoError(t, err)
	a.Ciphertexts = element(trustee.HashCiphertexts(honest.Key, fc))
	require.NoError(t, secretSolved(t, guardCiphertextHash, a), "the mutant must accept, or the test is not sensitive")
	require.Error(t, secretSolved(t, 0, a))

	// Ciphertexts under another key than the one hashed are refused too.
	b := assignSecretT(t, honest)
	other, _ := trustee.RandomScalar(nil)
	x, y := trustee.BaseMul(other).Coordinates()
	b.Key = EdwardsPoint{X: element(x), Y: element(y)}
	require.Error(t, secretSolved(t, 0, b))
	// A key off the curve is refused.
	c := assignSecretT(t, honest)
	var one fr.Element
	one.SetOne()
	x.Add(&x, &one)
	c.Key.X = element(x)
	require.Error(t, secretSolved(t, 0, c))
}

// TestSecretVoteGuards: the shared rules' guards and the public squares
// hold in the secret circuit too.
func TestSecretVoteGuards(t *testing.T) {
	w, _ := secretWitness(t, 1, 0)
	a := assignSecretT(t, w)
	a.Counter = 4 // another counter than the one proven is a different statement: fine for the solver
	require.NoError(t, secretSolved(t, 0, a))
	// Two votes for the price of one: rejected by the rules' guard.
	bad, _ := secretWitness(t, 1, 1)
	ab := assignSecretT(t, bad)
	require.NoError(t, secretSolved(t, guardTotalMax, ab), "mutant")
	require.Error(t, secretSolved(t, 0, ab))
	// Every public input, the counter included, is in a multiplication of
	// its own; without BindPublic the counter is bound by nothing.
	shape := newSecretVote(vDepth, sOptions)
	got := nonLinearPublic(t, shape)
	require.Len(t, got, statement.SecretVote(vDepth, sOptions).NbPublic())
	for i, ok := range got {
		require.True(t, ok, "public input %d is not in a multiplication", i)
	}
	shape.off = guardPublicSquares
	require.False(t, nonLinearPublic(t, shape)[9], "the counter")
}

func TestSecretVoteAssignRefuses(t *testing.T) {
	w, _ := secretWitness(t, 0, 1)
	w.Randomness = w.Randomness[:1]
	_, _, err := Assign(statement.SecretVote(vDepth, sOptions), w)
	require.Error(t, err)
	w, _ = secretWitness(t, 0, 1, 0)
	_, _, err = Assign(statement.SecretVote(vDepth, sOptions), w)
	require.Error(t, err)
	_, _, err = Assign(statement.SecretVote(vDepth, sOptions), (*SecretVoteWitness)(nil))
	require.Error(t, err)
	_, _, err = Assign(statement.Vote(vDepth, sOptions), w)
	require.Error(t, err, "a secret witness for an open vote")
}

// TestSecretVoteMaliciousHints lies in every hint the secret circuit uses
// (the bit decompositions of votes and randomness, and the inverse behind
// IsZero): the compiled circuit must refuse each lie. The Edwards
// divisions take no hint: their quotient is a wire fixed by one constraint
// whose divisor is never zero on the curve.
func TestSecretVoteMaliciousHints(t *testing.T) {
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, newSecretVote(vDepth, sOptions))
	require.NoError(t, err)
	w, _ := secretWitness(t, 1, 0)
	wit, err := frontend.NewWitness(assignSecretT(t, w), field)
	require.NoError(t, err)
	require.NoError(t, ccs.IsSolved(wit))
	requireHintsRefused(t, ccs, wit)
}
