package prover

// Adversarial review of the helped prove path (helped.go): statements and
// key sources the package's own tests do not try, and helpers that answer
// the wrong call or hold another key's bases.

import (
	"context"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/prover/msm"
	"github.com/netstate/zkvote/prover/msm/msmtest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// TestAttackHelperTally: tally keys (the one statement helped_test.go does
// not prove) prove with a helper, with HelperParts' split and with every
// part on the helper.
func TestAttackHelperTally(t *testing.T) {
	ctx := context.Background()
	k, err := SetupInsecure(ctx, statement.Tally(4, 3))
	require.NoError(t, err)
	scope := fe(9)
	w := &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: []uint64{0, 0, 0},
		Ballots: []circuits.TallySlot{{Nullifier: fe(1), Votes: []uint64{1, 0, 0}}, {Nullifier: fe(2), Votes: []uint64{0, 0, 1}}}}
	alone, err := k.Prove(ctx, w)
	require.NoError(t, err)
	for _, parts := range [][]msm.Part{k.HelperParts(), msm.Parts} {
		hk, err := k.WithHelper(ctx, newLocalHelper(), parts)
		require.NoError(t, err)
		pr, err := hk.Prove(ctx, w)
		require.NoError(t, err, "parts %v", parts)
		require.NoError(t, verifier.Verify(k.VerifyingKey(), pr), "parts %v", parts)
		require.Equal(t, alone.Public, pr.Public)
	}
}

// TestAttackHelperLoadedKeys: keys read back from files, Trusted (gnark's
// unchecked decoder, the page's own origin) and Checked (the circuit
// compiled afresh, every point checked: another origin), prove with a
// helper. The session tests only try Trusted.
func TestAttackHelperLoadedKeys(t *testing.T) {
	ctx := context.Background()
	k := testVoteKeys(t)
	dir := t.TempDir()
	require.NoError(t, k.WriteFiles(dir))
	wit := helpedCases()[1].wit(t)
	for _, mode := range []LoadMode{Trusted, Checked} {
		lk, err := Load(ctx, dir, k.Statement(), verifier.Groth16, mode)
		require.NoError(t, err)
		hk, err := lk.WithHelper(ctx, newLocalHelper(), msm.Parts)
		require.NoError(t, err)
		pr, err := hk.Prove(ctx, wit)
		require.NoError(t, err, "mode %v", mode)
		require.NoError(t, verifier.Verify(k.VerifyingKey(), pr), "mode %v", mode)
	}
}

// TestAttackHelperProofEncoding: a helped proof is laid out as gnark's
// own: the same length, no commitments, and the same (empty) commitment
// proof of knowledge, so nothing in its bytes tells which path made it.
func TestAttackHelperProofEncoding(t *testing.T) {
	ctx := context.Background()
	for _, c := range helpedCases() {
		k := c.keys(t)
		w := c.wit(t)
		alone, err := k.Prove(ctx, w)
		require.NoError(t, err)
		hk, err := k.WithHelper(ctx, newLocalHelper(), k.HelperParts())
		require.NoError(t, err)
		helped, err := hk.Prove(ctx, w)
		require.NoError(t, err)
		require.Len(t, helped.Data, len(alone.Data), c.name)
		pa, ph := parseGroth16(t, alone.Data), parseGroth16(t, helped.Data)
		require.Empty(t, ph.Commitments, c.name)
		require.Len(t, ph.Commitments, len(pa.Commitments), c.name)
		require.True(t, ph.CommitmentPok.Equal(&pa.CommitmentPok), c.name)
		// Every element is fresh: neither proof repeats the other's.
		require.False(t, ph.Ar.Equal(&pa.Ar), c.name)
		require.False(t, ph.Bs.Equal(&pa.Bs), c.name)
		require.False(t, ph.Krs.Equal(&pa.Krs), c.name)
	}
}

// crossedHelper answers each call with the sum of another call, as a
// bridge that mixed up its call ids would. Each call is computed once.
type crossedHelper struct {
	*msmtest.Helper
	swap map[msm.Part]msm.Part

	mu      sync.Mutex
	results map[msm.Part]func() ([]byte, error)
}

func (h *crossedHelper) Start(p msm.Part, scalars []byte) func() ([]byte, error) {
	wait := sync.OnceValues(h.Helper.Start(p, scalars))
	h.mu.Lock()
	if h.results == nil {
		h.results = map[msm.Part]func() ([]byte, error){}
	}
	h.results[p] = wait
	h.mu.Unlock()
	return func() ([]byte, error) {
		q, ok := h.swap[p]
		if !ok {
			q = p
		}
		h.mu.Lock()
		other := h.results[q]
		h.mu.Unlock()
		wait() // this call's own answer is waited for, as the contract asks
		return other()
	}
}

// TestAttackHelperCrossedReplies: sums returned for the wrong part (A's
// for B1 and B1's for A: both G1 points of the group) make a proof that
// does not verify; a G1 sum for the G2 part is refused.
func TestAttackHelperCrossedReplies(t *testing.T) {
	ctx := context.Background()
	c := helpedCases()[1]
	k := c.keys(t)
	w := c.wit(t)
	h := &crossedHelper{Helper: newLocalHelper(), swap: map[msm.Part]msm.Part{msm.A: msm.B1, msm.B1: msm.A}}
	hk, err := k.WithHelper(ctx, h, []msm.Part{msm.A, msm.B1})
	require.NoError(t, err)
	pr, err := hk.Prove(ctx, w)
	require.NoError(t, err)
	require.Error(t, verifier.Verify(k.VerifyingKey(), pr), "crossed A and B1 sums")

	h = &crossedHelper{Helper: newLocalHelper(), swap: map[msm.Part]msm.Part{msm.B2: msm.K}}
	hk, err = k.WithHelper(ctx, h, []msm.Part{msm.K, msm.B2})
	require.NoError(t, err)
	_, err = hk.Prove(ctx, w)
	require.ErrorContains(t, err, "G2 sum of 64 bytes")
}

// TestAttackHelperStaleBases: two keys share one helper (the page's
// single worker), and the second replaces the bases the first loaded.
// Proofs of the first keys then fail or do not verify: never a proof
// that verifies, and never one of the second keys' statement.
func TestAttackHelperStaleBases(t *testing.T) {
	ctx := context.Background()
	k1 := testKeys(t)
	k2, err := SetupInsecure(ctx, k1.Statement()) // same statement and sizes, other bases
	require.NoError(t, err)
	w := helpedCases()[0].wit(t)
	h := newLocalHelper()
	hk1, err := k1.WithHelper(ctx, h, msm.Parts)
	require.NoError(t, err)
	pr, err := hk1.Prove(ctx, w)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(k1.VerifyingKey(), pr))

	_, err = k2.WithHelper(ctx, h, []msm.Part{msm.B2})
	require.NoError(t, err)
	pr, err = hk1.Prove(ctx, w)
	require.NoError(t, err)
	require.Error(t, verifier.Verify(k1.VerifyingKey(), pr), "k1's proof with k2's B2 bases")
	require.Error(t, verifier.Verify(k2.VerifyingKey(), pr))

	// Another statement's bases (other sizes): the helper refuses the sum.
	_, err = testVoteKeys(t).WithHelper(ctx, h, []msm.Part{msm.A})
	require.NoError(t, err)
	_, err = hk1.Prove(ctx, w)
	require.ErrorContains(t, err, "part A")
}

// TestAttackHelperConcurrentProofs: proofs made at once with the same
// helped keys each get their own sums and verify, and are distinct.
func TestAttackHelperConcurrentProofs(t *testing.T) {
	ctx := context.Background()
	c := helpedCases()[0]
	k := c.keys(t)
	w := c.wit(t)
	hk, err := k.WithHelper(ctx, newLocalHelper(), msm.Parts)
	require.NoError(t, err)
	const n = 4
	proofs := make([]*verifier.Proof, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			proofs[i], errs[i] = hk.Prove(ctx, w)
		}()
	}
	wg.Wait()
	seen := map[bn254.G1Affine]bool{}
	for i := range n {
		require.NoError(t, errs[i])
		require.NoError(t, verifier.Verify(k.VerifyingKey(), proofs[i]))
		ar := parseGroth16(t, proofs[i].Data).Ar
		require.False(t, seen[ar], "two proofs share Ar")
		seen[ar] = true
	}
}
