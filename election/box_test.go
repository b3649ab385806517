package election

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/verifier"
)

const (
	tDepth   = 4
	tOptions = 4
	tVoters  = 10
)

// world is a census of test identities, an election over it, and keys.
type world struct {
	tree   *membership.Tree
	params *Params
	keys   *prover.VoteKeys
}

var (
	worldOnce sync.Once
	shared    *world
	ballots   sync.Map // voter index → *Ballot (single choice, option voter%3)
)

func testWorld(t testing.TB) *world {
	worldOnce.Do(func() {
		ctx := context.Background()
		tr := membership.NewTree(nil)
		_, err := tr.InsertMany(ctx, membershiptest.Commitments(0, tVoters))
		require.NoError(t, err)
		k, err := prover.SetupVoteInsecure(ctx, tDepth, tOptions)
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

// ballotOf returns voter i's (cached) ballot for option i%3.
func ballotOf(t testing.TB, w *world, i int) *Ballot {
	if b, ok := ballots.Load(i); ok {
		return b.(*Ballot)
	}
	path, err := w.tree.Proof(uint64(i))
	require.NoError(t, err)
	votes := make([]uint64, 3)
	votes[i%3] = 1
	b, err := Cast(context.Background(), w.keys, w.params, membershiptest.Identity(uint64(i)), path, votes)
	require.NoError(t, err)
	ballots.Store(i, b)
	return b
}

func openTestBox(t *testing.T, w *world, dir string) *Box {
	b, err := OpenBox(context.Background(), dir, w.params, w.keys.VerifyingKey())
	require.NoError(t, err)
	return b
}

func TestBoxSubmitAndResults(t *testing.T) {
	w := testWorld(t)
	dir := t.TempDir()
	box := openTestBox(t, w, dir)
	var heads []fr.Element
	for i := range 5 {
		r, err := box.Submit(context.Background(), ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
		require.Equal(t, uint64(i), r.Position)
		heads = append(heads, r.Head)
	}
	res := box.Results()
	require.Equal(t, uint64(5), res.Ballots)
	require.Equal(t, []uint64{2, 2, 1}, res.Totals)
	require.Equal(t, heads[4], res.Head)

	// A second ballot by the same citizen: rejected, however its bytes
	// differ (here: a fresh proof with another vote).
	path, _ := w.tree.Proof(0)
	again, err := Cast(context.Background(), w.keys, w.params, membershiptest.Identity(0), path, []uint64{0, 0, 1})
	require.NoError(t, err)
	require.NotEqual(t, again.Bytes(), ballotOf(t, w, 0).Bytes())
	_, err = box.Submit(context.Background(), again.Bytes())
	require.ErrorIs(t, err, ErrDuplicateNullifier)
	_, err = box.Submit(context.Background(), ballotOf(t, w, 0).Bytes())
	require.ErrorIs(t, err, ErrDuplicateNullifier)

	// Reopen: same state; close; closed for good.
	require.NoError(t, box.Shutdown())
	box = openTestBox(t, w, dir)
	require.Equal(t, res, box.Results())
	_, err = box.Submit(context.Background(), ballotOf(t, w, 1).Bytes())
	require.ErrorIs(t, err, ErrDuplicateNullifier)
	_, err = box.Submit(context.Background(), ballotOf(t, w, 5).Bytes())
	require.NoError(t, err)
	require.NoError(t, box.Close())
	require.NoError(t, box.Close())
	_, err = box.Submit(context.Background(), ballotOf(t, w, 6).Bytes())
	require.ErrorIs(t, err, ErrClosed)
	final := box.Results()
	require.True(t, final.Closed)
	require.Equal(t, uint64(6), final.Ballots)
	var exported bytes.Buffer
	require.NoError(t, box.ExportLog(&exported))
	box = openTestBox(t, w, dir)
	require.Equal(t, final, box.Results())
	_, err = box.Submit(context.Background(), ballotOf(t, w, 6).Bytes())
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, box.Shutdown())
	onDisk, err := os.ReadFile(filepath.Join(dir, logFile))
	require.NoError(t, err)
	require.Equal(t, onDisk, exported.Bytes())
}

func TestBoxRejects(t *testing.T) {
	w := testWorld(t)
	box := openTestBox(t, w, t.TempDir())
	defer box.Shutdown()
	good := ballotOf(t, w, 7)

	_, err := box.Submit(context.Background(), []byte("junk"))
	require.ErrorIs(t, err, ErrMalformedBallot)
	_, err = box.Submit(context.Background(), append(good.Bytes(), 0))
	require.ErrorIs(t, err, ErrMalformedBallot)
	_, err = box.Submit(context.Background(), make([]byte, maxBallotSize+1))
	require.ErrorIs(t, err, ErrMalformedBallot)

	mutate := func(f func(p *verifier.Proof)) []byte {
		p, err := verifier.ParseProof(good.Bytes())
		require.NoError(t, err)
		f(p)
		return p.Bytes()
	}
	one := fe(1)
	cases := map[string]struct {
		data []byte
		want error
	}{
		"other scope":  {mutate(func(p *verifier.Proof) { p.Public[sigScope].Add(&p.Public[sigScope], &one) }), ErrWrongElection},
		"other digest": {mutate(func(p *verifier.Proof) { p.Public[sigDigest].Add(&p.Public[sigDigest], &one) }), ErrWrongElection},
		"other rules":  {mutate(func(p *verifier.Proof) { p.Public[sigMaxTotal].SetUint64(2) }), ErrRulesMismatch},
		"unknown root": {mutate(func(p *verifier.Proof) { p.Public[sigRoot].Add(&p.Public[sigRoot], &one) }), ErrUnknownRoot},
		"changed vote": {mutate(func(p *verifier.Proof) {
			p.Public[sigVotes], p.Public[sigVotes+1] = p.Public[sigVotes+1], p.Public[sigVotes]
		}), verifier.ErrInvalidProof},
		"rule-breaking": {mutate(func(p *verifier.Proof) { p.Public[sigVotes+2].SetUint64(1) }), ErrMalformedBallot},
		"fourth option": {mutate(func(p *verifier.Proof) { p.Public[sigVotes+3].SetUint64(1) }), ErrMalformedBallot},
		"other nullifier": {mutate(func(p *verifier.Proof) {
			p.Public[sigNullifier].Add(&p.Public[sigNullifier], &one)
		}), verifier.ErrInvalidProof},
		"proof byte": {mutate(func(p *verifier.Proof) { p.Data[5] ^= 1 }), nil},
	}
	for name, c := range cases {
		_, err := box.Submit(context.Background(), c.data)
		require.Error(t, err, name)
		if c.want != nil {
			require.ErrorIs(t, err, c.want, name)
		}
	}
	// A non-citizen cannot even produce a ballot for an accepted root.
	outsider := membershiptest.Identity(999)
	path, _ := w.tree.Proof(3)
	_, err = Cast(context.Background(), w.keys, w.params, outsider, path, []uint64{1, 0, 0})
	require.ErrorIs(t, err, prover.ErrNotMember)
	// A ballot replayed into another election (other ID, same census) fails.
	other := *w.params
	other.ElectionID = fe(99)
	box2, err := OpenBox(context.Background(), t.TempDir(), &other, w.keys.VerifyingKey())
	require.NoError(t, err)
	defer box2.Shutdown()
	_, err = box2.Submit(context.Background(), good.Bytes())
	require.ErrorIs(t, err, ErrWrongElection)
	// Nothing above was recorded.
	require.Equal(t, uint64(0), box.Results().Ballots)
	_, err = box.Submit(context.Background(), good.Bytes())
	require.NoError(t, err)
}

// TestBoxConcurrentSameNullifier: many goroutines submit ballots of one
// citizen (the same bytes, and different proofs) at once: exactly one wins.
func TestBoxConcurrentSameNullifier(t *testing.T) {
	w := testWorld(t)
	box := openTestBox(t, w, t.TempDir())
	defer box.Shutdown()
	path, _ := w.tree.Proof(8)
	alt, err := Cast(context.Background(), w.keys, w.params, membershiptest.Identity(8), path, []uint64{0, 1, 0})
	require.NoError(t, err)
	variants := [][]byte{ballotOf(t, w, 8).Bytes(), alt.Bytes()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, dups := 0, 0
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := box.Submit(context.Background(), variants[g%2])
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, ErrDuplicateNullifier):
				dups++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 1, accepted)
	require.Equal(t, 15, dups)
	require.Equal(t, uint64(1), box.Results().Ballots)
}

func TestBoxOpenChecks(t *testing.T) {
	w := testWorld(t)
	dir := t.TempDir()
	box := openTestBox(t, w, dir)
	_, err := OpenBox(context.Background(), dir, w.params, w.keys.VerifyingKey())
	require.ErrorIs(t, err, ErrLocked)
	for i := range 3 {
		_, err := box.Submit(context.Background(), ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, box.Shutdown())
	// Another election in the same directory.
	other := *w.params
	other.Question = "Something else?"
	_, err = OpenBox(context.Background(), dir, &other, w.keys.VerifyingKey())
	require.ErrorIs(t, err, ErrWrongElection)
	// A key for another circuit.
	mk, err := prover.SetupMembershipInsecure(context.Background(), tDepth)
	require.NoError(t, err)
	_, err = OpenBox(context.Background(), dir, w.params, mk.VerifyingKey())
	require.Error(t, err)

	good, err := os.ReadFile(filepath.Join(dir, logFile))
	require.NoError(t, err)
	reopen := func(data []byte) (*Box, error) {
		d := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(d, logFile), data, 0o600))
		return OpenBox(context.Background(), d, w.params, w.keys.VerifyingKey())
	}
	// Torn tail: every cut inside the last record recovers the first two.
	for cut := len(good) - 1; cut > len(good)-50; cut-- {
		b, err := reopen(good[:cut])
		require.NoError(t, err, cut)
		require.Equal(t, uint64(2), b.Results().Ballots)
		b.Shutdown()
	}
	// Damage: flipped bits, wrong version, trailing garbage, empty file.
	bad := map[string][]byte{"empty": {}, "header": good[:10], "trailing": append(bytes.Clone(good), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)}
	v := bytes.Clone(good)
	v[8] = 9
	bad["version"] = v
	for _, at := range []int{20, len(good) / 2} {
		b := bytes.Clone(good)
		b[at] ^= 0x10
		bad["flip"+string(rune('a'+at%26))] = b
	}
	for name, data := range bad {
		_, err := reopen(data)
		require.Error(t, err, name)
	}
	// A flip in the last record, with nothing after it, cannot be told from
	// a torn write: it is dropped (TestBoxLogDamage has the rules).
	last := bytes.Clone(good)
	last[len(last)-3] ^= 0x10
	b, err := reopen(last)
	require.NoError(t, err)
	require.Equal(t, uint64(2), b.Results().Ballots)
	require.NoError(t, b.Shutdown())
}
