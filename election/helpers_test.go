package election_test

// Fixtures shared by the package's tests: a census of test identities, an
// election over it with development vote and tally keys, cached ballots,
// and logs built by hand.

import (
	"context"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

const (
	tDepth   = 4
	tOptions = 4
	tVoters  = 10
	tBatch   = 4
)

func fe(v uint64) fr.Element { var x fr.Element; x.SetUint64(v); return x }

// testPin is a stand-in key pin for parameters that never meet a key.
func testPin(b byte) KeyPin { return KeyPin{Backend: verifier.Groth16, ID: [32]byte{b}} }

// world is a census of test identities, an election over it, and keys.
type world struct {
	tree   *membership.Tree
	params *Params
	keys   *prover.Keys
}

var (
	worldOnce sync.Once
	shared    *world
	ballots   sync.Map // voter index → *Ballot (single choice, option voter%3)

	tallyOnce sync.Once
	tallyKeys *prover.Keys
)

func testWorld(t testing.TB) *world {
	worldOnce.Do(func() {
		ctx := context.Background()
		tr := membership.NewTree(nil)
		_, err := tr.InsertMany(ctx, membershiptest.Commitments(0, tVoters))
		require.NoError(t, err)
		k, err := prover.SetupInsecure(ctx, statement.Vote(tDepth, tOptions))
		require.NoError(t, err)
		p := &Params{DeploymentID: fe(1), ElectionID: fe(2), Question: "Adopt the constitution?",
			Options: []string{"yes", "no", "abstain"}, Census: []membership.Head{tr.Head()}, Rules: SingleChoice(),
			Depth: tDepth, MaxOptions: tOptions,
			VoteKey: PinKey(k.VerifyingKey()), TallyKey: PinKey(testTallyKeys(t).VerifyingKey())}
		shared = &world{tree: tr, params: p, keys: k}
	})
	require.NotNil(t, shared)
	return shared
}

func testTallyKeys(t testing.TB) *prover.Keys {
	tallyOnce.Do(func() {
		k, err := prover.SetupInsecure(context.Background(), statement.Tally(tBatch, tOptions))
		require.NoError(t, err)
		tallyKeys = k
	})
	require.NotNil(t, tallyKeys)
	return tallyKeys
}

// ballotOf returns voter i's (cached) ballot for option i%3.
func ballotOf(t testing.TB, w *world, i int) *Ballot {
	if b, ok := ballots.Load(i); ok {
		return b.(*Ballot)
	}
	path, err := w.tree.Proof(uint64(i))
	require.NoError(t, err)
	votes := make([]uint64, 3)
	votes[i%3] = 1
	b, err := prover.Cast(context.Background(), w.keys, w.params, membershiptest.Identity(uint64(i)), path, votes)
	require.NoError(t, err)
	ballots.Store(i, b)
	return b
}

func openTestBox(t *testing.T, w *world, dir string) *Box {
	b, err := OpenBox(context.Background(), dir, w.params, w.keys.VerifyingKey())
	require.NoError(t, err)
	return b
}

// withPublic returns ballot bytes with their public inputs changed by f
// (the proof is left as it is).
func withPublic(t testing.TB, ballot []byte, f func(v *statement.VotePublic)) []byte {
	p, err := verifier.ParseProof(ballot)
	require.NoError(t, err)
	v, err := statement.ParseVote(p.Public)
	require.NoError(t, err)
	f(v)
	p.Public = v.Vector()
	return p.Bytes()
}

// buildLog writes a log by hand, as a box (or a forger) would.
func buildLog(t testing.TB, p *Params, ballots [][]byte, closed bool) []byte {
	enc, err := p.Encode()
	require.NoError(t, err)
	out := LogHeader(enc)
	for _, b := range ballots {
		out = append(out, wal.Frame(append([]byte{RecBallot}, b...))...)
	}
	if closed {
		out = append(out, wal.Frame([]byte{RecClosed})...)
	}
	return out
}
