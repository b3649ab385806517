//go:build !js

package session_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/web/internal/session"
	"github.com/netstate/zkvote/web/internal/webtest"
)

// TestAttackReopenForgetsElection: a session whose second Open fails (the
// box now shows another election, or the page was told another digest)
// must not vote in the election the first Open read: Vote is refused
// until an Open succeeds, and keys loaded for the old one are forgotten.
func TestAttackReopenForgetsElection(t *testing.T) {
	ctx := context.Background()
	e := webtest.New(t, webtest.Options{Keys: keysFor(t, statement.Vote(4, 3))})
	s := ready(t, e, 0)
	_, err := s.Open(ctx, strings.Repeat("ab", 32))
	requireCode(t, session.CodeDigest, err)
	_, err = s.Vote(ctx, []uint64{1, 0, 0})
	requireCode(t, session.CodeState, err)
	_, err = s.LoadKeys(ctx, prover.Trusted, nil)
	requireCode(t, session.CodeState, err)
	require.Zero(t, e.Box.Results().Ballots, "nothing was cast")

	_, err = s.Open(ctx, e.Digest)
	require.NoError(t, err)
	_, err = s.Vote(ctx, []uint64{1, 0, 0})
	requireCode(t, session.CodeState, err)
	require.ErrorContains(t, err, "before LoadKeys", "keys are loaded again for the election opened")
}

// TestAttackBusyBox: a box that answers busy (503 with Retry-After) while
// the page fetches its keys and asks for the log's proof. The voter is
// not told that the box's keys are not the election's (a key fetch that
// met a busy box), nor that the receipt does not check (a proof asked of
// a busy box): the session asks again after Retry-After, and the vote
// goes through.
func TestAttackBusyBox(t *testing.T) {
	ctx := context.Background()
	e := webtest.New(t, webtest.Options{Keys: keysFor(t, statement.Vote(4, 3))})
	target, err := url.Parse(e.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var keys, receipts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		busy := strings.HasPrefix(r.URL.Path, "/keys/") && keys.Add(1) <= 1 ||
			r.URL.Path == "/v1/receipts" && receipts.Add(1) <= 2
		if busy {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"httpbox: the ballot box is busy; retry later","code":"busy"}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()

	s, err := session.New(srv.URL, nil)
	require.NoError(t, err)
	_, err = s.Open(ctx, e.Digest)
	require.NoError(t, err)
	_, err = s.LoadKeys(ctx, prover.Trusted, nil)
	require.NoError(t, err, "a busy key fetch is asked again")
	require.NoError(t, s.Census(read(t, e.ProofFile(t, 0))))
	_, err = s.Unlock(read(t, e.IdentityFile(t, 0, "pass")), []byte("pass"))
	require.NoError(t, err)
	v, err := s.Vote(ctx, []uint64{1, 0, 0})
	require.NoError(t, err, "a busy proof is asked again")
	require.NotEmpty(t, v.Receipt)
	require.Equal(t, int64(3), receipts.Load())
}
