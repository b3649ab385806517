//go:build !js

package session_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/prover/msm"
	"github.com/netstate/zkvote/prover/msm/msmtest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/web/internal/session"
	"github.com/netstate/zkvote/web/internal/webtest"
)

// goHelper returns a prover.Helper in this process (msmtest.Helper): what
// web/helper does in a second Web Worker.
func goHelper() *msmtest.Helper { return &msmtest.Helper{} }

// failing returns a helper whose every sum fails with err.
func failing(err error) *msmtest.Helper {
	return &msmtest.Helper{Mangle: func(msm.Part, []byte) ([]byte, error) { return nil, err }}
}

// garbage is a Mangle that makes every sum bytes that are no point.
func garbage(_ msm.Part, sum []byte) ([]byte, error) {
	return bytes.Repeat([]byte{0xff}, len(sum)), nil
}

// countingBox serves e through a proxy that counts the ballots POSTed to
// it.
func countingBox(t *testing.T, e *webtest.Election) (string, *atomic.Int64) {
	t.Helper()
	target, err := url.Parse(e.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/ballots" {
			posts.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &posts
}

// readyWith opens a session at base with citizen i, its keys loaded with
// helper h.
func readyWith(t *testing.T, e *webtest.Election, base string, i uint64, h prover.Helper) (*session.Session, *session.KeyStats) {
	t.Helper()
	ctx := context.Background()
	s, err := session.New(base, nil)
	require.NoError(t, err)
	_, err = s.Open(ctx, e.Digest)
	require.NoError(t, err)
	st, err := s.LoadKeys(ctx, prover.Trusted, &session.KeyOptions{Helper: h})
	require.NoError(t, err)
	require.NoError(t, s.Census(read(t, e.ProofFile(t, i))))
	_, err = s.Unlock(read(t, e.IdentityFile(t, i, "pass")), []byte("pass"))
	require.NoError(t, err)
	return s, st
}

// TestHelper: open and secret ballots proven with a helper verify, are
// accepted and come with a checked receipt; the helper computed the parts
// HelperParts names, G2's among them.
func TestHelper(t *testing.T) {
	ctx := context.Background()
	for _, s := range []statement.Statement{statement.Vote(4, 3), statement.SecretVote(4, 3, 2)} {
		t.Run(s.Kind().String(), func(t *testing.T) {
			k := keysFor(t, s)
			e := webtest.New(t, webtest.Options{Keys: k})
			h := goHelper()
			sess, st := readyWith(t, e, e.URL, 0, h)
			require.Empty(t, st.HelperError)
			want := []string{}
			for _, p := range k.HelperParts() {
				want = append(want, p.String())
			}
			require.Equal(t, want, st.Helper)
			require.Contains(t, st.Helper, msm.B2.String())
			require.Len(t, h.Loads(), len(st.Helper))
			sess.Now = func() time.Time { return time.Unix(1_900_000_000, 0) }
			v, err := sess.Vote(ctx, []uint64{0, 1, 0})
			require.NoError(t, err)
			require.True(t, v.Helper)
			require.Len(t, h.Starts(), len(st.Helper))
			_, err = election.ParseReceipt(v.Receipt)
			require.NoError(t, err)
			require.Equal(t, uint64(1), e.Box.Results().Ballots)
		})
	}
}

// TestHelperFails: a helper that cannot load its parts leaves the session
// proving alone; one that fails a proof, or returns a wrong sum or bytes
// that are no point, fails the vote with CodeHelper before anything is
// sent, and the next attempt proves alone and goes through.
func TestHelperFails(t *testing.T) {
	ctx := context.Background()
	e := webtest.New(t, webtest.Options{Keys: keysFor(t, statement.Vote(4, 3))})
	base, posts := countingBox(t, e)

	// No helper at all; a helper that cannot load: the session proves alone.
	s, err := session.New(base, nil)
	require.NoError(t, err)
	_, err = s.Open(ctx, e.Digest)
	require.NoError(t, err)
	st, err := s.LoadKeys(ctx, prover.Trusted, &session.KeyOptions{})
	require.NoError(t, err)
	require.Empty(t, st.Helper)
	require.Empty(t, st.HelperError)
	h := &msmtest.Helper{LoadErr: errors.New("no room for the bases")}
	s, st = readyWith(t, e, base, 0, h)
	require.Empty(t, st.Helper)
	require.Contains(t, st.HelperError, "no room for the bases")
	v, err := s.Vote(ctx, []uint64{1, 0, 0})
	require.NoError(t, err)
	require.False(t, v.Helper)
	require.Empty(t, h.Starts())
	require.Equal(t, int64(1), posts.Load())

	for i, c := range []struct {
		name string
		h    *msmtest.Helper
		want string
	}{
		{"fails", failing(errors.New("the worker stopped")), "the worker stopped"},
		{"wrong", &msmtest.Helper{Mangle: msmtest.PlusGenerator}, "does not verify"},
		{"garbage", &msmtest.Helper{Mangle: garbage}, "the helper's part"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, st := readyWith(t, e, base, uint64(i+1), c.h)
			require.NotEmpty(t, st.Helper)
			before := posts.Load()
			_, err := s.Vote(ctx, []uint64{0, 1, 0})
			requireCode(t, session.CodeHelper, err)
			require.ErrorContains(t, err, c.want)
			require.ErrorContains(t, err, "nothing was sent")
			require.Equal(t, before, posts.Load(), "nothing was sent to the box")
			runs := len(c.h.Starts())
			require.Positive(t, runs)

			// The next attempt proves alone.
			v, err := s.Vote(ctx, []uint64{0, 1, 0})
			require.NoError(t, err)
			require.False(t, v.Helper)
			require.Len(t, c.h.Starts(), runs, "the helper is not asked again")
			require.Equal(t, before+1, posts.Load())
		})
	}
	require.Equal(t, uint64(4), e.Box.Results().Ballots)
}

// TestHelperDiscardedAtReload: loading the keys again without a helper
// forgets the one given before.
func TestHelperDiscardedAtReload(t *testing.T) {
	ctx := context.Background()
	e := webtest.New(t, webtest.Options{Keys: keysFor(t, statement.Vote(4, 3))})
	h := goHelper()
	s, st := readyWith(t, e, e.URL, 0, h)
	require.NotEmpty(t, st.Helper)
	st, err := s.LoadKeys(ctx, prover.Trusted, nil)
	require.NoError(t, err)
	require.Empty(t, st.Helper)
	v, err := s.Vote(ctx, []uint64{0, 0, 1})
	require.NoError(t, err)
	require.False(t, v.Helper)
	require.Empty(t, h.Starts())
}
