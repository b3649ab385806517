//go:build !js

package httpbox_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/verifier"
	"github.com/netstate/zkvote/witness"
)

// TestRoundTrip: a voter submits over HTTP, gets a receipt, asks for its
// log proof and checks it offline (with a witness's cosignature); a
// second ballot of the same citizen is refused with the box's sentinel;
// status, parameters, results after the end, and the log read over HTTP
// audit to the same totals.
func TestRoundTrip(t *testing.T) {
	w := testWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	castAll(t, w, 0, 5)

	// A witness the parameters name, with a quorum of one.
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	boxKey, err := note.NewVerifier(testBoxVKey)
	require.NoError(t, err)
	wit, err := witness.Open(witness.Config{Dir: t.TempDir(), Name: "witness.zkvote.test", Key: priv,
		Logs: []witness.Log{{Origin: boxKey.Name(), Key: boxKey}}})
	require.NoError(t, err)
	defer wit.Close()
	ws := httptest.NewServer(wit)
	defer ws.Close()
	p := *w.params
	p.Log = election.LogKeys{Box: testBoxVKey, Witnesses: []string{wit.VerifierKey()}, Quorum: 1}
	p.ElectionID = fe(3)
	require.NoError(t, p.Validate())
	// Ballots of this election.
	var bals []*election.Ballot
	for i := range 5 {
		path, err := w.tree.Proof(uint64(i))
		require.NoError(t, err)
		votes := make([]uint64, tOptions)
		votes[i%3] = 1
		b, err := prover.Cast(ctx, w.keys, &p, identity(i), path, votes)
		require.NoError(t, err)
		bals = append(bals, b)
	}

	opts := boxOptions()
	opts.Witnesses, opts.HTTPClient = []string{ws.URL}, ws.Client()
	s := serve(t, &p, w, t.TempDir(), opts, nil)
	c := s.client

	got, err := c.Params(ctx)
	require.NoError(t, err)
	want, _ := p.Digest()
	gd, _ := got.Digest()
	require.Equal(t, want, gd, "the box serves the election's parameters")

	for i, b := range bals[:4] {
		r, err := c.Submit(ctx, b.Bytes())
		require.NoError(t, err, i)
		require.Equal(t, uint64(i), r.Position)
		require.Nil(t, r.Checkpoint, "an acknowledgement carries no log proof yet")
		proven, err := c.Prove(ctx, r)
		require.NoError(t, err, i)
		require.NotNil(t, proven.Checkpoint)
		require.NoError(t, election.VerifyReceipt(&p, proven, b), i)
		require.Contains(t, string(proven.Checkpoint), "— witness.zkvote.test ")
	}
	// The same citizen again, with the same bytes: the box's sentinel.
	_, err = c.Submit(ctx, bals[0].Bytes())
	require.ErrorIs(t, err, election.ErrDuplicateNullifier)
	var he *httpbox.Error
	require.True(t, errors.As(err, &he))
	require.Equal(t, http.StatusConflict, he.StatusCode)
	require.Equal(t, "duplicate", he.Code)

	st, err := c.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(4), st.Ballots)
	require.Equal(t, uint64(4), st.Voters)
	require.False(t, st.Closed)
	require.GreaterOrEqual(t, st.Size, uint64(1))

	_, err = c.Results(ctx)
	require.ErrorIs(t, err, httpbox.ErrOpen)

	// The end: a results reply, and no more ballots.
	require.NoError(t, s.box.End())
	_, err = c.Submit(ctx, bals[4].Bytes())
	require.ErrorIs(t, err, election.ErrClosed)
	res, err := c.Results(ctx)
	require.NoError(t, err)
	require.True(t, res.Closed)
	require.False(t, res.Secret)
	require.Equal(t, uint64(4), res.Ballots)
	require.Equal(t, []httpbox.Total{{"yes", 2}, {"no", 1}, {"abstain", 1}}, res.Totals)
	br := s.box.Results()
	require.Equal(t, field.Text(&br.Head), res.Head)
	st, err = c.Status(ctx)
	require.NoError(t, err)
	require.True(t, st.Closed)

	// The log over HTTP: fetched, then audited with a tally proof.
	lr, err := c.Log()
	require.NoError(t, err)
	logData, err := election.FetchLog(ctx, &p, lr)
	require.NoError(t, err)
	parsed, err := election.ReadLog(logData)
	require.NoError(t, err)
	require.Len(t, parsed.Ballots, 4)
	tallies, err := prover.ProveTally(ctx, w.tallyKeys, &p, parsed.Ballots, nil)
	require.NoError(t, err)
	audited, err := election.AuditLog(ctx, &p, w.keys.VerifyingKey(), w.tallyKeys.VerifyingKey(), lr, election.EncodeTallyProofs(tallies))
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 1, 1}, audited.Totals)
	require.True(t, audited.Closed)
}

// TestErrorCodes: each rejection the box makes arrives at the client as
// the box's sentinel error, with the documented status.
func TestErrorCodes(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	s := serve(t, w.params, w, t.TempDir(), boxOptions(), nil)
	c := s.client
	good := ballotOf(t, w, 7).Bytes()
	mutate := func(f func(p *verifier.Proof)) []byte {
		p, err := verifier.ParseProof(good)
		require.NoError(t, err)
		f(p)
		return p.Bytes()
	}
	for name, tc := range map[string]struct {
		body   []byte
		want   error
		status int
	}{
		"garbage":   {[]byte("junk"), election.ErrMalformedBallot, 400},
		"empty":     {[]byte{}, election.ErrMalformedBallot, 400},
		"trailing":  {append(good[:len(good):len(good)], 0), election.ErrMalformedBallot, 400},
		"bad proof": {mutate(func(p *verifier.Proof) { p.Data[40] ^= 1 }), nil, 0},
		"other key": {mutate(func(p *verifier.Proof) { p.KeyID[0] ^= 1 }), nil, 0},
	} {
		_, err := c.Submit(ctx, tc.body)
		require.Error(t, err, name)
		var he *httpbox.Error
		require.True(t, errors.As(err, &he), name)
		require.NotEmpty(t, he.Code, name)
		if tc.want != nil {
			require.ErrorIs(t, err, tc.want, name)
			require.Equal(t, tc.status, he.StatusCode, name)
		}
	}
	_, err := c.Submit(ctx, make([]byte, httpbox.MaxBallotSize+1))
	require.ErrorIs(t, err, httpbox.ErrTooLarge)

	// Another election's ballot.
	other := *w.params
	other.ElectionID = fe(99)
	path, _ := w.tree.Proof(9)
	foreign, err := prover.Cast(ctx, w.keys, &other, identity(9), path, []uint64{1, 0, 0})
	require.NoError(t, err)
	_, err = c.Submit(ctx, foreign.Bytes())
	require.ErrorIs(t, err, election.ErrWrongElection)

	r, err := c.Submit(ctx, good)
	require.NoError(t, err)
	// A receipt for a position the log does not hold.
	far := *r
	far.Position = 5
	_, err = c.Prove(ctx, &far)
	require.ErrorIs(t, err, httpbox.ErrNotInLog)
	require.Equal(t, uint64(0), s.box.Results().Ballots-1, "nothing else was recorded")
}

// do sends a request with a raw path (not cleaned) and returns the status,
// the headers and the body.
func do(t testing.TB, method, url, path string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url+"/", bytes.NewReader(body))
	require.NoError(t, err)
	req.URL.Path, req.URL.RawPath = path, ""
	req.URL.Opaque = path // sent as is
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NotEmpty(t, resp.Header.Get("Content-Type"), "%s %s: every reply has a Content-Type", method, path)
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), "%s %s", method, path)
	return resp.StatusCode, resp.Header, b
}

// TestRoutes: methods, the log's and keys' paths (only the tlog-tiles
// resources and the listed key files, nothing outside, whatever the
// spelling), cache headers and the web files.
func TestRoutes(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	keyDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(keyDir, "vote.pk"), []byte("proving key"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(keyDir, "secret.key"), []byte("PRIVATE"), 0o600))
	outside := filepath.Join(t.TempDir(), "outside")
	require.NoError(t, os.WriteFile(outside, []byte("PRIVATE"), 0o600))
	require.NoError(t, os.Symlink(outside, filepath.Join(keyDir, "link.pk")))
	web := fstest.MapFS{
		"index.html":     {Data: []byte("<!doctype html><title>vote</title>")},
		"voter.wasm":     {Data: []byte("\x00asm")},
		"assets/app.js":  {Data: []byte("console.log(1)")},
		"assets/sub/x.x": {Data: []byte("x")},
	}
	s := serve(t, w.params, w, t.TempDir(), boxOptions(), func(o *httpbox.Options, _ *http.Server) {
		o.KeyDir, o.KeyFiles, o.Web = keyDir, []string{"vote.pk", "link.pk", "missing.pk"}, web
	})
	_, err := s.client.Submit(ctx, ballotOf(t, w, 1).Bytes())
	require.NoError(t, err)
	cp, _, err := s.box.Checkpoint(ctx)
	for ; err == nil && cp == nil || !bytes.Contains(cp, []byte("\n2\n")); cp, _, err = s.box.Checkpoint(ctx) {
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, err)

	status, hd, body := do(t, "GET", s.url, "/log/checkpoint", nil)
	require.Equal(t, 200, status)
	require.Equal(t, "no-store", hd.Get("Cache-Control"))
	require.True(t, strings.HasPrefix(hd.Get("Content-Type"), "text/plain"))
	require.Equal(t, cp, body)
	status, hd, body = do(t, "GET", s.url, "/log/tile/0/000.p/2", nil)
	require.Equal(t, 200, status)
	require.Len(t, body, 64)
	require.Equal(t, "no-cache", hd.Get("Cache-Control"), "a partial tile may be replaced by the full one")
	status, _, _ = do(t, "GET", s.url, "/log/tile/entries/000.p/2", nil)
	require.Equal(t, 200, status)
	status, _, _ = do(t, "HEAD", s.url, "/log/checkpoint", nil)
	require.Equal(t, 200, status)

	for _, path := range []string{
		"/log/.state/treeState", "/log/.state/version", "/log/../params", "/log/tile/../../params",
		"/log/tile/0/../../.state/treeState", "/log/%2e%2e/params", "/log/tile/0/000.p/2/", "/log/tile/0/0.p/2",
		"/log/tile/00/000.p/2", "/log/tile/0/x000/000.p/2", "/log/tile/64/000", "/log/tile/0/000.p/0",
		"/log/tile/0/000.p/256", "/log/tile/entries/000.p/02", "/log/tile/0/000.p/2.tmp", "/log/", "/log/tile/",
		"/log/checkpoint/", "/log//checkpoint", "/log/tile/0/x18446744073709551615/000", "/log/LOCK",
		"/keys/secret.key", "/keys/../params", "/keys/link.pk", "/keys/missing.pk", "/keys/", "/keys/.hidden",
		"/keys/vote.pk/", "/keys/%2e%2e%2fparams", "/v1/", "/v1/nothing", "/v1/ballots/", "/nothing",
		"/assets/", "/assets/sub/", "/../params", "/assets/../../params",
	} {
		status, _, body := do(t, "GET", s.url, path, nil)
		require.Equal(t, 404, status, path)
		require.NotContains(t, string(body), "PRIVATE", path)
		require.NotContains(t, string(body), "size", path)
	}
	status, hd, body = do(t, "GET", s.url, "/keys/vote.pk", nil)
	require.Equal(t, 200, status)
	require.Equal(t, "proving key", string(body))
	require.Equal(t, "application/octet-stream", hd.Get("Content-Type"))

	status, hd, body = do(t, "GET", s.url, "/", nil)
	require.Equal(t, 200, status)
	require.Contains(t, string(body), "<title>vote</title>")
	require.True(t, strings.HasPrefix(hd.Get("Content-Type"), "text/html"))
	require.Equal(t, "DENY", hd.Get("X-Frame-Options"))
	_, hd, _ = do(t, "GET", s.url, "/voter.wasm", nil)
	require.Equal(t, "application/wasm", hd.Get("Content-Type"))
	_, hd, _ = do(t, "GET", s.url, "/assets/app.js", nil)
	require.True(t, strings.HasPrefix(hd.Get("Content-Type"), "text/javascript"))

	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/v1/ballots", "POST"}, {"PUT", "/v1/ballots", "POST"}, {"DELETE", "/v1/receipts", "POST"},
		{"POST", "/v1/status", "GET, HEAD"}, {"POST", "/v1/params", "GET, HEAD"}, {"POST", "/log/checkpoint", "GET, HEAD"},
		{"OPTIONS", "/", "GET, HEAD"}, {"PATCH", "/healthz", "GET, HEAD"}, {"POST", "/", "GET, HEAD"},
		{"BREW", "/keys/vote.pk", "GET, HEAD"},
	} {
		status, hd, body := do(t, c.method, s.url, c.path, []byte("x"))
		require.Equal(t, 405, status, c)
		require.Equal(t, c.allow, hd.Get("Allow"), c)
		require.Contains(t, string(body), `"code":"method"`, c)
	}
	// The API, the log and the keys are for pages of any origin (a voter's
	// own copy of the page); the box's page is not.
	for _, path := range []string{"/v1/ballots", "/v1/receipts", "/v1/params", "/log/checkpoint", "/keys/vote.pk"} {
		status, hd, _ := do(t, "OPTIONS", s.url, path, nil)
		require.Equal(t, 204, status, path)
		require.Equal(t, "*", hd.Get("Access-Control-Allow-Origin"), path)
		require.Contains(t, hd.Get("Access-Control-Allow-Methods"), "POST", path)
		require.Equal(t, "Content-Type", hd.Get("Access-Control-Allow-Headers"), path)
		_, hd, _ = do(t, "GET", s.url, path, nil)
		require.Equal(t, "*", hd.Get("Access-Control-Allow-Origin"), path)
	}
	_, hd, _ = do(t, "GET", s.url, "/", nil)
	require.Empty(t, hd.Get("Access-Control-Allow-Origin"), "the box's own page")
	status, _, body = do(t, "GET", s.url, "/healthz", nil)
	require.Equal(t, 200, status)
	require.Contains(t, string(body), "ok")
	status, hd, body = do(t, "GET", s.url, "/v1/params", nil)
	require.Equal(t, 200, status)
	enc, _ := w.params.Encode()
	require.Equal(t, enc, body)
	etag := hd.Get("ETag")
	require.NotEmpty(t, etag)
	req, _ := http.NewRequest("GET", s.url+"/v1/params", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotModified, resp.StatusCode)
}

// TestLogCacheHeaders: a full tile or entry bundle is immutable.
func TestLogCacheHeaders(t *testing.T) {
	w := testWorld(t)
	logDir := t.TempDir()
	for _, name := range []string{"tile/0/001", "tile/entries/x001/234", "tile/1/000.p/7", ".state/treeState"} {
		p := filepath.Join(logDir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(name), 0o600))
	}
	s := serve(t, w.params, w, t.TempDir(), boxOptions(), func(o *httpbox.Options, _ *http.Server) { o.LogDir = logDir })
	for name, cache := range map[string]string{
		"tile/0/001": "public, max-age=31536000, immutable", "tile/entries/x001/234": "public, max-age=31536000, immutable",
		"tile/1/000.p/7": "no-cache",
	} {
		status, hd, body := do(t, "GET", s.url, "/log/"+name, nil)
		require.Equal(t, 200, status, name)
		require.Equal(t, name, string(body))
		require.Equal(t, cache, hd.Get("Cache-Control"), name)
		require.Equal(t, "application/octet-stream", hd.Get("Content-Type"), name)
	}
	status, _, _ := do(t, "GET", s.url, "/log/.state/treeState", nil)
	require.Equal(t, 404, status)
}

// TestProveTimeout: while the witness does not answer no checkpoint is
// published, so a receipt's proof waits at most the handler's
// ProveTimeout and the client gets ErrTimeout (504); the ballot is
// durable all the same, and its proof comes once the witness is back.
func TestProveTimeout(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	boxKey, err := note.NewVerifier(testBoxVKey)
	require.NoError(t, err)
	wit, err := witness.Open(witness.Config{Dir: t.TempDir(), Name: "witness.zkvote.test", Key: priv,
		Logs: []witness.Log{{Origin: boxKey.Name(), Key: boxKey}}})
	require.NoError(t, err)
	defer wit.Close()
	var down atomic.Bool
	ws := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(rw, "down", http.StatusServiceUnavailable)
			return
		}
		wit.ServeHTTP(rw, r)
	}))
	defer ws.Close()
	p := *w.params
	p.Log = election.LogKeys{Box: testBoxVKey, Witnesses: []string{wit.VerifierKey()}, Quorum: 1}
	p.ElectionID = fe(4)
	path, err := w.tree.Proof(2)
	require.NoError(t, err)
	b, err := prover.Cast(ctx, w.keys, &p, identity(2), path, []uint64{0, 0, 1})
	require.NoError(t, err)
	opts := boxOptions()
	opts.Witnesses, opts.HTTPClient = []string{ws.URL}, ws.Client()
	s := serve(t, &p, w, t.TempDir(), opts, func(o *httpbox.Options, _ *http.Server) { o.ProveTimeout = 300 * time.Millisecond })

	down.Store(true)
	r, err := s.client.Submit(ctx, b.Bytes())
	require.NoError(t, err, "a ballot is acknowledged once durable, witnessed or not")
	t0 := time.Now()
	_, err = s.client.Prove(ctx, r)
	require.ErrorIs(t, err, httpbox.ErrTimeout)
	require.Less(t, time.Since(t0), 5*time.Second)
	var he *httpbox.Error
	require.True(t, errors.As(err, &he))
	require.Equal(t, http.StatusGatewayTimeout, he.StatusCode)

	down.Store(false)
	var proven *election.Receipt
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if proven, err = s.client.Prove(ctx, r); !errors.Is(err, httpbox.ErrTimeout) {
			break
		}
	}
	require.NoError(t, err)
	require.NoError(t, election.VerifyReceipt(&p, proven, b))
}

// TestLogThroughReader: without LogDir the log is read through the box's
// own reader (another Tessera driver), and an auditor reads it the same.
func TestLogThroughReader(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	s := serve(t, w.params, w, t.TempDir(), boxOptions(), func(o *httpbox.Options, _ *http.Server) { o.LogDir = "" })
	r, err := s.client.Submit(ctx, ballotOf(t, w, 5).Bytes())
	require.NoError(t, err)
	_, err = s.client.Prove(ctx, r) // a checkpoint holds the ballot
	require.NoError(t, err)
	lr, err := s.client.Log()
	require.NoError(t, err)
	data, err := election.FetchLog(ctx, w.params, lr)
	require.NoError(t, err)
	lg, err := election.ReadLog(data)
	require.NoError(t, err)
	require.NoError(t, lg.CheckReceipt(r))
	status, _, _ := do(t, "GET", s.url, "/log/tile/0/001", nil)
	require.Equal(t, 404, status)
	status, _, _ = do(t, "GET", s.url, "/log/.state/treeState", nil)
	require.Equal(t, 404, status)
}
