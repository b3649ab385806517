//go:build !js

package session_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark/logger"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/web/internal/session"
	"github.com/netstate/zkvote/web/internal/webtest"
)

// keysFor caches development keys per statement across the tests.
var keyCache sync.Map // statement.Statement → func() (*prover.Keys, error)

func keysFor(t testing.TB, s statement.Statement) *prover.Keys {
	t.Helper()
	logger.Disable()
	f, _ := keyCache.LoadOrStore(s, sync.OnceValues(func() (*prover.Keys, error) {
		return prover.SetupInsecure(context.Background(), s)
	}))
	k, err := f.(func() (*prover.Keys, error))()
	require.NoError(t, err)
	return k
}

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// ready opens a session with citizen i's identity and census proof.
func ready(t *testing.T, e *webtest.Election, i uint64) *session.Session {
	t.Helper()
	ctx := context.Background()
	s, err := session.New(e.URL, nil)
	require.NoError(t, err)
	_, err = s.Open(ctx, e.Digest)
	require.NoError(t, err)
	_, err = s.LoadKeys(ctx, prover.Trusted, nil)
	require.NoError(t, err)
	require.NoError(t, s.Census(read(t, e.ProofFile(t, i))))
	_, err = s.Unlock(read(t, e.IdentityFile(t, i, "pass")), []byte("pass"))
	require.NoError(t, err)
	return s
}

func requireCode(t *testing.T, code string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, session.CodeOf(err), "error: %v", err)
}

func TestVote(t *testing.T) {
	ctx := context.Background()
	e := webtest.New(t, webtest.Options{Keys: keysFor(t, statement.Vote(4, 3))})
	s, err := session.New(e.URL+"/", nil)
	require.NoError(t, err)
	el, err := s.Open(ctx, strings.ToUpper(e.Digest))
	require.NoError(t, err)
	require.Equal(t, e.Digest, el.Digest)
	require.Equal(t, []string{"yes", "no", "abstain"}, el.Options)
	require.False(t, el.Closed)
	require.False(t, el.Secret)
	st, err := s.LoadKeys(ctx, prover.Trusted, nil)
	require.NoError(t, err)
	require.Positive(t, st.Bytes)
	require.NoError(t, s.Census(read(t, e.ProofFile(t, 0))))
	c, err := s.Unlock(read(t, e.IdentityFile(t, 0, "pass")), []byte("pass"))
	require.NoError(t, err)
	require.Equal(t, membershiptest.Identity(0).Commitment().String(), c)
	var steps []string
	s.Progress = func(step string) { steps = append(steps, step) }
	v, err := s.Vote(ctx, []uint64{0, 1, 0})
	require.NoError(t, err)
	require.Equal(t, []string{"prove", "check", "submit", "receipt"}, steps)
	require.Zero(t, v.Position)
	r, err := election.ParseReceipt(v.Receipt)
	require.NoError(t, err)
	require.NotNil(t, r.Checkpoint)
	require.Equal(t, []uint64{0, 1, 0}, r.Votes)
	require.Equal(t, membershiptest.Identity(0).VoteNullifier(e.Params.Scope()), r.Nullifier)
	require.Equal(t, uint64(1), e.Box.Results().Ballots)

	// The same citizen again: refused by the box.
	_, err = s.Vote(ctx, []uint64{1, 0, 0})
	requireCode(t, session.CodeDuplicate, err)

	// Checked keys load and prove too.
	s = ready(t, e, 1)
	_, err = s.LoadKeys(ctx, prover.Checked, nil)
	require.NoError(t, err)
	_, err = s.Vote(ctx, []uint64{1, 0, 0})
	require.NoError(t, err)

	// Against the rules: two choices in a single-choice election.
	s = ready(t, e, 2)
	_, err = s.Vote(ctx, []uint64{1, 1, 0})
	requireCode(t, session.CodeRules, err)

	// Closed.
	require.NoError(t, e.Box.End())
	_, err = s.Vote(ctx, []uint64{1, 0, 0})
	requireCode(t, session.CodeClosed, err)
	s, err = session.New(e.URL, nil)
	require.NoError(t, err)
	el, err = s.Open(ctx, "")
	require.NoError(t, err)
	require.True(t, el.Closed)
	res := e.Box.Results()
	require.Equal(t, []uint64{1, 1, 0}, res.Totals)
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	e := webtest.New(t, webtest.Options{Keys: keysFor(t, statement.Vote(4, 3))})
	s, err := session.New(e.URL, nil)
	require.NoError(t, err)

	// Out of order.
	_, err = s.Vote(ctx, []uint64{1, 0, 0})
	requireCode(t, session.CodeState, err)
	_, err = s.LoadKeys(ctx, prover.Trusted, nil)
	requireCode(t, session.CodeState, err)

	// Another election's digest, and a digest that is not one.
	other := strings.Repeat("ab", 32)
	_, err = s.Open(ctx, other)
	requireCode(t, session.CodeDigest, err)
	_, err = s.Open(ctx, "xyz")
	requireCode(t, session.CodeDigest, err)
	_, err = s.Open(ctx, e.Digest)
	require.NoError(t, err)
	_, err = s.LoadKeys(ctx, prover.Trusted, nil)
	require.NoError(t, err)

	// Unlock before Census.
	_, err = s.Unlock(read(t, e.IdentityFile(t, 0, "pass")), []byte("pass"))
	requireCode(t, session.CodeState, err)

	// A wrong passphrase; a file that is not an identity.
	require.NoError(t, s.Census(read(t, e.ProofFile(t, 0))))
	_, err = s.Unlock(read(t, e.IdentityFile(t, 0, "pass")), []byte("wrong"))
	requireCode(t, session.CodePassphrase, err)
	_, err = s.Unlock([]byte("not an identity"), []byte("pass"))
	requireCode(t, session.CodeIdentityFile, err)

	// A census proof of another census; of another citizen; not a proof.
	requireCode(t, session.CodeCensusRoot, s.Census(read(t, e.OutsiderProofFile(t, 100))))
	require.NoError(t, s.Census(read(t, e.ProofFile(t, 1))))
	_, err = s.Unlock(read(t, e.IdentityFile(t, 100, "pass")), []byte("pass"))
	requireCode(t, session.CodeCensusLeaf, err)
	_, err = s.Vote(ctx, []uint64{1, 0, 0})
	requireCode(t, session.CodeState, err)
	require.ErrorContains(t, err, "before Unlock")
	requireCode(t, session.CodeCensusFile, s.Census([]byte("ZKVOTECP")))

	// A new attempt forgets the identity unlocked before.
	require.NoError(t, s.Census(read(t, e.ProofFile(t, 1))))
	_, err = s.Unlock(read(t, e.IdentityFile(t, 1, "pass")), []byte("pass"))
	require.NoError(t, err)
	require.NoError(t, s.Census(read(t, e.ProofFile(t, 2))))
	_, err = s.Vote(ctx, []uint64{1, 0, 0})
	requireCode(t, session.CodeState, err)
	require.ErrorContains(t, err, "before Unlock")
}

// TestKeysNotPinned: a box serving keys of the right statement that are not
// the pinned ones (a second setup) is refused before anything is proven.
func TestKeysNotPinned(t *testing.T) {
	ctx := context.Background()
	s := statement.Vote(4, 3)
	other, err := prover.SetupInsecure(ctx, s)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, other.WriteFiles(dir))
	e := webtest.New(t, webtest.Options{Keys: keysFor(t, s), KeyDir: dir})
	sess, err := session.New(e.URL, nil)
	require.NoError(t, err)
	_, err = sess.Open(ctx, e.Digest)
	require.NoError(t, err)
	for _, mode := range []prover.LoadMode{prover.Trusted, prover.Checked} {
		_, err = sess.LoadKeys(ctx, mode, nil)
		requireCode(t, session.CodeKeys, err)
	}

	// The pinned verifying key with another setup's proving key: the
	// proving key names another vk.
	pinned := t.TempDir()
	require.NoError(t, keysFor(t, s).WriteFiles(pinned))
	_, _, vk := prover.KeyFiles(s, keysFor(t, s).Backend())
	require.NoError(t, os.WriteFile(filepath.Join(dir, vk), read(t, filepath.Join(pinned, vk)), 0o600))
	_, err = sess.LoadKeys(ctx, prover.Trusted, nil)
	requireCode(t, session.CodeKeys, err)
	require.ErrorIs(t, err, prover.ErrStaleKey)
}

func TestSecretVote(t *testing.T) {
	ctx := context.Background()
	e := webtest.New(t, webtest.Options{Keys: keysFor(t, statement.SecretVote(4, 3, 2))})
	s := ready(t, e, 3)
	now := time.Unix(1_900_000_000, 0)
	s.Now = func() time.Time { return now }
	v, err := s.Vote(ctx, []uint64{0, 0, 1})
	require.NoError(t, err)
	r, err := election.ParseReceipt(v.Receipt)
	require.NoError(t, err)
	require.Equal(t, uint64(now.Unix()), r.Counter)
	require.Nil(t, r.Votes)

	// A later ballot replaces it; one with the same counter is stale.
	now = now.Add(time.Second)
	_, err = s.Vote(ctx, []uint64{1, 0, 0})
	require.NoError(t, err)
	_, err = s.Vote(ctx, []uint64{0, 1, 0})
	requireCode(t, session.CodeStale, err)
	res := e.Box.Results()
	require.Equal(t, uint64(2), res.Ballots)
	require.Equal(t, uint64(1), res.Voters)
}
