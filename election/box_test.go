package election_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

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
	again, err := prover.Cast(context.Background(), w.keys, w.params, membershiptest.Identity(0), path, []uint64{0, 0, 1})
	require.NoError(t, err)
	require.NotEqual(t, again.Bytes(), ballotOf(t, w, 0).Bytes())
	_, err = box.Submit(context.Background(), again.Bytes())
	require.ErrorIs(t, err, ErrDuplicateNullifier)
	_, err = box.Submit(context.Background(), ballotOf(t, w, 0).Bytes())
	require.ErrorIs(t, err, ErrDuplicateNullifier)

	// Close and reopen: same state; end; ended for good.
	require.NoError(t, box.Close())
	box = openTestBox(t, w, dir)
	require.Equal(t, res, box.Results())
	_, err = box.Submit(context.Background(), ballotOf(t, w, 1).Bytes())
	require.ErrorIs(t, err, ErrDuplicateNullifier)
	_, err = box.Submit(context.Background(), ballotOf(t, w, 5).Bytes())
	require.NoError(t, err)
	require.NoError(t, box.End())
	require.NoError(t, box.End())
	_, err = box.Submit(context.Background(), ballotOf(t, w, 6).Bytes())
	require.ErrorIs(t, err, ErrClosed)
	final := box.Results()
	require.True(t, final.Closed)
	require.Equal(t, uint64(6), final.Ballots)
	var exported bytes.Buffer
	require.NoError(t, box.ExportLog(context.Background(), &exported))
	box = openTestBox(t, w, dir)
	require.Equal(t, final, box.Results())
	_, err = box.Submit(context.Background(), ballotOf(t, w, 6).Bytes())
	require.ErrorIs(t, err, ErrClosed)
	var reexported bytes.Buffer
	require.NoError(t, box.ExportLog(context.Background(), &reexported))
	require.NoError(t, box.Close())
	require.Equal(t, exported.Bytes(), reexported.Bytes(), "the reopened box exports the same log")
}

func TestBoxRejects(t *testing.T) {
	w := testWorld(t)
	box := openTestBox(t, w, t.TempDir())
	defer box.Close()
	good := ballotOf(t, w, 7)

	_, err := box.Submit(context.Background(), []byte("junk"))
	require.ErrorIs(t, err, ErrMalformedBallot)
	_, err = box.Submit(context.Background(), append(good.Bytes(), 0))
	require.ErrorIs(t, err, ErrMalformedBallot)
	_, err = box.Submit(context.Background(), make([]byte, MaxBallotSize+1))
	require.ErrorIs(t, err, ErrMalformedBallot)

	mutate := func(f func(p *verifier.Proof)) []byte {
		p, err := verifier.ParseProof(good.Bytes())
		require.NoError(t, err)
		f(p)
		return p.Bytes()
	}
	public := func(f func(v *statement.VotePublic)) []byte { return withPublic(t, good.Bytes(), f) }
	one := fe(1)
	cases := map[string]struct {
		data []byte
		want error
	}{
		"other scope":  {public(func(v *statement.VotePublic) { v.Scope.Add(&v.Scope, &one) }), ErrWrongElection},
		"other digest": {public(func(v *statement.VotePublic) { v.ParamsDigest.Add(&v.ParamsDigest, &one) }), ErrWrongElection},
		"other rules":  {public(func(v *statement.VotePublic) { v.MaxTotal = 2 }), ErrRulesMismatch},
		"unknown root": {public(func(v *statement.VotePublic) { v.Root.Add(&v.Root, &one) }), ErrUnknownRoot},
		"changed vote": {public(func(v *statement.VotePublic) {
			v.Votes[0], v.Votes[1] = v.Votes[1], v.Votes[0]
		}), verifier.ErrInvalidProof},
		"rule-breaking": {public(func(v *statement.VotePublic) { v.Votes[2] = 1 }), ErrMalformedBallot},
		"fourth option": {public(func(v *statement.VotePublic) { v.Votes[3] = 1 }), ErrMalformedBallot},
		"other nullifier": {public(func(v *statement.VotePublic) {
			v.Nullifier.Add(&v.Nullifier, &one)
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
	_, err = prover.Cast(context.Background(), w.keys, w.params, outsider, path, []uint64{1, 0, 0})
	require.ErrorIs(t, err, prover.ErrNotMember)
	// A ballot replayed into another election (other ID, same census) fails.
	other := *w.params
	other.ElectionID = fe(99)
	box2, err := OpenBox(context.Background(), t.TempDir(), &other, w.keys.VerifyingKey(), testBoxOptions())
	require.NoError(t, err)
	defer box2.Close()
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
	defer box.Close()
	path, _ := w.tree.Proof(8)
	alt, err := prover.Cast(context.Background(), w.keys, w.params, membershiptest.Identity(8), path, []uint64{0, 1, 0})
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
	_, err := OpenBox(context.Background(), dir, w.params, w.keys.VerifyingKey(), testBoxOptions())
	require.ErrorIs(t, err, ErrLocked)
	for i := range 3 {
		_, err := box.Submit(context.Background(), ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, box.Close())
	// Another election in the same directory.
	other := *w.params
	other.Question = "Something else?"
	_, err = OpenBox(context.Background(), dir, &other, w.keys.VerifyingKey(), testBoxOptions())
	require.ErrorIs(t, err, ErrWrongElection)
	// A key for another circuit.
	mk, err := prover.SetupInsecure(context.Background(), statement.Membership(tDepth))
	require.NoError(t, err)
	_, err = OpenBox(context.Background(), dir, w.params, mk.VerifyingKey(), testBoxOptions())
	require.Error(t, err)

}

// TestBoxDeferClose: a deferred Close only releases the box, so a server
// that stops and opens the box again keeps taking ballots; End ends the
// election for good, and a Close deferred before it is harmless.
func TestBoxDeferClose(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	dir := t.TempDir()
	serve := func(voter int, end bool) Results {
		box := openTestBox(t, w, dir)
		defer func() { require.NoError(t, box.Close()) }()
		_, err := box.Submit(ctx, ballotOf(t, w, voter).Bytes())
		require.NoError(t, err)
		if end {
			require.NoError(t, box.End())
		}
		return box.Results()
	}
	res := serve(0, false)
	require.False(t, res.Closed)
	res = serve(1, false)
	require.False(t, res.Closed, "a deferred Close does not end the election")
	require.Equal(t, uint64(2), res.Ballots)
	res = serve(2, true)
	require.True(t, res.Closed)
	require.Equal(t, uint64(3), res.Ballots)

	box := openTestBox(t, w, dir)
	defer box.Close()
	require.True(t, box.Results().Closed, "End's close record is durable")
	require.Equal(t, res, box.Results())
	_, err := box.Submit(ctx, ballotOf(t, w, 3).Bytes())
	require.ErrorIs(t, err, ErrClosed, "an ended election takes no ballot after a reopen")
}
