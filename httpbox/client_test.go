//go:build !js

package httpbox_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
)

// TestClientHostileServer: the client bounds what a server sends, maps a
// proxy's page to an error without a code, and refuses a proof of
// another receipt than the one it asked about.
func TestClientHostileServer(t *testing.T) {
	var reply func(w http.ResponseWriter, r *http.Request)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		reply(w, r)
	}))
	defer srv.Close()
	c, err := httpbox.NewClient(srv.URL+"/box/", srv.Client())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// An endless body: cut off at the bound, whether or not a length is
	// declared.
	for _, declared := range []bool{false, true} {
		reply = func(w http.ResponseWriter, _ *http.Request) {
			if declared {
				w.Header().Set("Content-Length", "4294967296")
			}
			chunk := make([]byte, 64<<10)
			for i := 0; i < 64; i++ { // 4 MiB, more than any bound
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
		_, err = c.Params(ctx)
		require.Error(t, err)
		_, err = c.Status(ctx)
		require.Error(t, err)
		_, err = c.Submit(ctx, []byte("ballot"))
		require.Error(t, err)
	}
	// A proxy's error page.
	reply = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html>"+strings.Repeat("bad gateway ", 10000)+"</html>")
	}
	_, err = c.Submit(ctx, []byte("ballot"))
	var he *httpbox.Error
	require.True(t, errors.As(err, &he))
	require.Equal(t, http.StatusBadGateway, he.StatusCode)
	require.Empty(t, he.Code)
	require.Equal(t, "Bad Gateway", he.Message)
	// An error of the API with a hostile message.
	reply = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":"\u001b[2Jbusy`+strings.Repeat("!", 3000)+`","code":"busy"}`)
	}
	_, err = c.Submit(ctx, []byte("ballot"))
	require.ErrorIs(t, err, httpbox.ErrBusy)
	require.True(t, errors.As(err, &he))
	require.Equal(t, 7*time.Second, he.RetryAfter)
	require.NotContains(t, he.Message, "\x1b")

	// A proof of another receipt.
	asked := &election.Receipt{Position: 1, Votes: []uint64{1, 0}}
	asked.Nullifier.SetUint64(5)
	other := *asked
	other.Position = 2
	other.Checkpoint = []byte("box.example.org\n3\nAAAA\n\n— box.example.org sig\n")
	reply = func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/box/v1/receipts", r.URL.Path)
		w.Write(other.Bytes())
	}
	_, err = c.Prove(ctx, asked)
	require.ErrorIs(t, err, election.ErrReceiptMismatch)
	require.Nil(t, asked.Checkpoint, "the receipt asked about is left as it is")

	for _, bad := range []string{"ftp://box", "box.example.org", "http://box/?q=1", "http://box/#f", "http://"} {
		_, err := httpbox.NewClient(bad, nil)
		require.Error(t, err, bad)
	}
}
