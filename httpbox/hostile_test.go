//go:build !js

package httpbox_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
)

// Short timeouts for the hostile-client tests.
const (
	hostileHeaderTimeout = 500 * time.Millisecond
	hostileReadTimeout   = time.Second
)

func shortTimeouts(_ *httpbox.Options, srv *http.Server) {
	srv.ReadHeaderTimeout = hostileHeaderTimeout
	srv.ReadTimeout = hostileReadTimeout
	srv.WriteTimeout = 10 * time.Second
	srv.IdleTimeout = time.Second
}

// statusOf reads the status code of the reply on c, waiting at most d.
func statusOf(c net.Conn, d time.Duration) (int, error) {
	c.SetReadDeadline(time.Now().Add(d))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0, err
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, fmt.Errorf("status line %q", line)
	}
	return strconv.Atoi(f[1])
}

// closedWithin reports whether the server closes c (after any reply)
// within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// attacks are hostile clients: each sends one kind of bad request and
// checks that the server answers it as it should (or drops it in time).
func attacks(addr string) map[string]func() error {
	dial := func() (net.Conn, error) { return net.DialTimeout("tcp", addr, 5*time.Second) }
	raw := func(req string, want int) error {
		c, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := io.WriteString(c, req); err != nil {
			return err
		}
		got, err := statusOf(c, 5*time.Second)
		if err != nil {
			return fmt.Errorf("no reply: %v", err)
		}
		if got != want {
			return fmt.Errorf("status %d, want %d", got, want)
		}
		return nil
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	return map[string]func() error{
		"declared oversized body": func() error {
			return raw("POST /v1/ballots HTTP/1.1\r\nHost: box\r\nContent-Length: 1073741824\r\n\r\n", 413)
		},
		"streamed oversized body": func() error {
			body := io.MultiReader(bytes.NewReader(make([]byte, 200<<10))) // no length: chunked
			resp, err := hc.Post("http://"+addr+"/v1/ballots", "application/octet-stream", body)
			if err != nil {
				return nil // the server may close while the body is still being written
			}
			resp.Body.Close()
			if resp.StatusCode != 413 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		},
		"garbage ballot": func() error {
			b := make([]byte, rand.IntN(2000))
			for i := range b {
				b[i] = byte(rand.Uint32())
			}
			resp, err := hc.Post("http://"+addr+"/v1/ballots", "application/octet-stream", bytes.NewReader(b))
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != 400 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		},
		"garbage receipt": func() error {
			return raw("POST /v1/receipts HTTP/1.1\r\nHost: box\r\nContent-Length: 4\r\n\r\njunk", 400)
		},
		"truncated body": func() error {
			c, err := dial()
			if err != nil {
				return err
			}
			io.WriteString(c, "POST /v1/ballots HTTP/1.1\r\nHost: box\r\nContent-Length: 5000\r\n\r\n"+strings.Repeat("z", 100))
			return c.Close()
		},
		"slow headers": func() error {
			c, err := dial()
			if err != nil {
				return err
			}
			defer c.Close()
			start := time.Now()
			io.WriteString(c, "POST /v1/ballots HTTP/1.1\r\nHost: box\r\n")
			for time.Since(start) < 4*hostileHeaderTimeout {
				if _, err := io.WriteString(c, "X-Slow: 1\r\n"); err != nil {
					return nil // dropped
				}
				time.Sleep(50 * time.Millisecond)
			}
			if !closedWithin(c, 2*time.Second) {
				return errors.New("a client dribbling headers kept its connection")
			}
			return nil
		},
		"slow body": func() error {
			c, err := dial()
			if err != nil {
				return err
			}
			defer c.Close()
			start := time.Now()
			io.WriteString(c, "POST /v1/ballots HTTP/1.1\r\nHost: box\r\nContent-Length: 2000\r\n\r\n")
			for time.Since(start) < 3*hostileReadTimeout {
				if _, err := io.WriteString(c, "z"); err != nil {
					return nil // dropped
				}
				time.Sleep(50 * time.Millisecond)
			}
			if !closedWithin(c, 2*time.Second) {
				return errors.New("a client dribbling its body kept its connection")
			}
			return nil
		},
		"wrong method": func() error {
			return raw("DELETE /v1/ballots HTTP/1.1\r\nHost: box\r\n\r\n", 405)
		},
		"path traversal": func() error {
			for _, p := range []string{"/log/../params", "/log/.state/treeState", "/keys/../LOCK", "/log/tile/..%2f..%2fparams"} {
				if err := raw("GET "+p+" HTTP/1.1\r\nHost: box\r\n\r\n", 404); err != nil {
					return fmt.Errorf("%s: %v", p, err)
				}
			}
			return nil
		},
		"huge headers": func() error {
			return raw("GET /v1/status HTTP/1.1\r\nHost: box\r\nX-Huge: "+strings.Repeat("h", 1<<20)+"\r\n\r\n", 431)
		},
	}
}

// TestHostileClients: while honest voters submit and prove their ballots,
// hostile clients send oversized, garbage and truncated bodies, dribble
// headers and bodies, use wrong methods, walk paths and send huge headers.
// Every honest ballot is accepted and counted, every hostile request gets
// its answer or is dropped within the timeouts, the server serves on, and
// no goroutine is left behind.
func TestHostileClients(t *testing.T) {
	w := testWorld(t)
	const voters = 12
	castAll(t, w, 0, voters)
	s := serve(t, w.params, w, t.TempDir(), boxOptions(), shortTimeouts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := s.client.Status(ctx)
	require.NoError(t, err)
	baseline := runtime.NumGoroutine()

	var stop atomic.Bool
	var hostile sync.WaitGroup
	runs := map[string]*atomic.Int64{}
	for name, attack := range attacks(strings.TrimPrefix(s.url, "http://")) {
		count := new(atomic.Int64)
		runs[name] = count
		for range 3 {
			hostile.Go(func() {
				for !stop.Load() {
					if err := attack(); err != nil {
						t.Errorf("%s: %v", name, err)
						return
					}
					count.Add(1)
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
	}

	// Honest voters, paced so that the attacks overlap them.
	start := time.Now()
	var honest sync.WaitGroup
	next := make(chan int, voters)
	for i := range voters {
		next <- i
	}
	close(next)
	for range 4 {
		honest.Go(func() {
			for i := range next {
				time.Sleep(200 * time.Millisecond)
				b := ballotOf(t, w, i)
				r, err := s.client.Submit(ctx, b.Bytes())
				if err != nil {
					t.Errorf("voter %d: %v", i, err)
					continue
				}
				r, err = s.client.Prove(ctx, r)
				if err != nil {
					t.Errorf("voter %d: prove: %v", i, err)
					continue
				}
				if err := election.VerifyReceipt(w.params, r, b); err != nil {
					t.Errorf("voter %d: receipt: %v", i, err)
				}
			}
		})
	}
	honest.Wait()
	for time.Since(start) < 3*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	hostile.Wait()
	for name, n := range runs {
		require.Positive(t, n.Load(), "attack %q never completed", name)
	}

	st, err := s.client.Status(ctx)
	require.NoError(t, err, "the server serves on")
	require.Equal(t, uint64(voters), st.Ballots)
	require.NoError(t, s.box.End())
	res, err := s.client.Results(ctx)
	require.NoError(t, err)
	require.Equal(t, []httpbox.Total{{"yes", 4}, {"no", 4}, {"abstain", 4}}, res.Totals, "every honest ballot counts")

	// The hostile connections are gone: the server's goroutines are back
	// to about what they were.
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > baseline+5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+5 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines, %d before the attacks:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// TestBusy: with every body-reading slot held by slow clients, a
// submission gets 503 busy with Retry-After at once, not a place in a
// queue; once the slow clients time out, it goes through.
func TestBusy(t *testing.T) {
	w := testWorld(t)
	s := serve(t, w.params, w, t.TempDir(), boxOptions(), func(o *httpbox.Options, srv *http.Server) {
		shortTimeouts(o, srv)
		o.MaxInFlight = 1 // 4 bodies read at once
	})
	addr := strings.TrimPrefix(s.url, "http://")
	ctx := context.Background()
	for range 4 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		io.WriteString(c, "POST /v1/ballots HTTP/1.1\r\nHost: box\r\nContent-Length: 2000\r\n\r\nz")
	}
	ballot := ballotOf(t, w, 3).Bytes()
	var err error
	for deadline := time.Now().Add(hostileReadTimeout / 2); time.Now().Before(deadline); {
		t0 := time.Now()
		_, err = s.client.Submit(ctx, []byte("probe")) // malformed until the slots are taken
		if errors.Is(err, httpbox.ErrBusy) {
			require.Less(t, time.Since(t0), hostileReadTimeout/2, "busy comes at once")
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.ErrorIs(t, err, httpbox.ErrBusy)
	var he *httpbox.Error
	require.True(t, errors.As(err, &he))
	require.Equal(t, http.StatusServiceUnavailable, he.StatusCode)
	require.Equal(t, time.Second, he.RetryAfter)
	time.Sleep(hostileReadTimeout + 200*time.Millisecond)
	_, err = s.client.Submit(ctx, ballot)
	require.NoError(t, err, "the slow clients' slots are free again")
}
