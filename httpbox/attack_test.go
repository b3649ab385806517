//go:build !js

package httpbox_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/httpbox"
)

// TestAttackErrorMessageInert: a hostile box's error message reaches the
// voter's terminal (zkvote vote) and page. Besides terminal controls, it
// must not carry bidirectional overrides, zero-width or other format
// characters, or line separators, which make the text read otherwise than
// it is (as the command's own printing of parameters refuses them).
func TestAttackErrorMessageInert(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"error":"you voted for \u202eon\u202c; see\u2028\u2029\u200b\ufeff\u00a0done","code":"duplicate\u202e"}`)
	}))
	defer srv.Close()
	c, err := httpbox.NewClient(srv.URL, srv.Client())
	require.NoError(t, err)
	_, err = c.Submit(context.Background(), []byte("ballot"))
	var he *httpbox.Error
	require.True(t, errors.As(err, &he))
	for _, s := range []string{he.Message, he.Code, err.Error()} {
		for _, r := range s {
			require.False(t, unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp),
				"%U in %q", r, s)
		}
	}
	require.Contains(t, he.Message, "you voted for ")
}

// TestAttackFIFOInServedDirectory: a FIFO (or other non-regular file) in
// the key, log or web directory under a served name gets 404 at once: the
// server does not open it first, which blocks its handler for good.
func TestAttackFIFOInServedDirectory(t *testing.T) {
	w := testWorld(t)
	keyDir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(keyDir, "vote.pk"), 0o600))
	dir := t.TempDir()
	webDir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(webDir, "index.html"), 0o600))
	s := serve(t, w.params, w, dir, boxOptions(), func(o *httpbox.Options, _ *http.Server) {
		o.KeyDir, o.Web = keyDir, os.DirFS(webDir)
	})
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "log", "tile", "0"), 0o755))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "log", "tile", "0", "999"), 0o600))
	hc := &http.Client{Timeout: 3 * time.Second}
	for _, path := range []string{"/keys/vote.pk", "/", "/index.html", "/log/tile/0/999"} {
		resp, err := hc.Get(s.url + path)
		require.NoError(t, err, "%s: a FIFO blocks the handler", path)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
}

// TestAttackWebHiddenFiles: files and directories whose name starts with
// "." in the web directory (a checkout's .git, an editor's backup, a
// server's .htpasswd) are not served.
func TestAttackWebHiddenFiles(t *testing.T) {
	w := testWorld(t)
	web := fstest.MapFS{
		"index.html":       {Data: []byte("<!doctype html><title>vote</title>")},
		".git/config":      {Data: []byte("[remote] PRIVATE")},
		".htpasswd":        {Data: []byte("PRIVATE")},
		"sub/.env":         {Data: []byte("PRIVATE")},
		".well/index.html": {Data: []byte("PRIVATE")},
	}
	s := serve(t, w.params, w, t.TempDir(), boxOptions(), func(o *httpbox.Options, _ *http.Server) { o.Web = web })
	for _, path := range []string{"/.git/config", "/.htpasswd", "/sub/.env", "/.well/"} {
		status, _, body := do(t, "GET", s.url, path, nil)
		require.Equal(t, 404, status, path)
		require.NotContains(t, string(body), "PRIVATE", path)
	}
	status, _, _ := do(t, "GET", s.url, "/", nil)
	require.Equal(t, 200, status)
}

// TestCrossOriginRetryAfter: a page of another origin (a voter's own copy)
// can read Retry-After, which says when a busy box takes a ballot again;
// without Access-Control-Expose-Headers the browser hides it.
func TestCrossOriginRetryAfter(t *testing.T) {
	w := testWorld(t)
	s := serve(t, w.params, w, t.TempDir(), boxOptions(), nil)
	for _, method := range []string{"OPTIONS", "GET"} {
		_, hd, _ := do(t, method, s.url, "/v1/status", nil)
		require.Contains(t, hd.Get("Access-Control-Expose-Headers"), "Retry-After", method)
	}
}
