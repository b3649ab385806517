package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
)

// TestAttackBoxConnectionFlood: a client that opens connections until the
// box's process runs out of file descriptors, while a citizen submits a
// ballot over a connection opened before. Tessera's POSIX storage panics
// when it cannot open its lock file, so without a bound on connections
// the ballot's write killed the box. With the bound the box takes the
// ballot, and serves again once the flood ends.
func TestAttackBoxConnectionFlood(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sets RLIMIT_NOFILE with the shell's ulimit")
	}
	bin := buildZkvote(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := newCmdElection(t, dir, "vote.example.org/flood")
	const nofile = 256
	cmd := exec.Command("bash", "-c", `ulimit -n `+strconv.Itoa(nofile)+` && exec "$0" "$@"`, bin,
		"box", "serve", "--listen", "127.0.0.1:0", "--dir", filepath.Join(dir, "box"),
		"--params", filepath.Join(dir, "election.params"), "--key", e.keyFile, "--keys", e.keyDir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, stderr.String())
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	require.True(t, ok, line)
	addr := strings.TrimPrefix(url, "http://")

	ballot := func(i int) []byte {
		proof, err := e.tree.Proof(uint64(i))
		require.NoError(t, err)
		b, err := prover.Cast(ctx, e.keys, e.params, membershiptest.Identity(uint64(i)), proof, []uint64{1, 0, 0})
		require.NoError(t, err)
		return b.Bytes()
	}
	first, second := ballot(0), ballot(1)

	// The citizen's connection, opened before the flood and kept alive.
	c, err := httpbox.NewClient(url, &http.Client{Timeout: 30 * time.Second})
	require.NoError(t, err)
	_, err = c.Status(ctx)
	require.NoError(t, err)

	// The flood: more connections than the process has descriptors, each
	// a request and then idle (kept alive).
	var flood []net.Conn
	defer func() {
		for _, f := range flood {
			f.Close()
		}
	}()
	for range 2 * nofile {
		f, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		flood = append(flood, f)
		io.WriteString(f, "GET /healthz HTTP/1.1\r\nHost: box\r\n\r\n")
	}
	time.Sleep(time.Second) // the server accepts what it can

	_, err = c.Submit(ctx, first)
	select {
	case err := <-exited:
		t.Fatalf("the box died under the flood (%v):\n%s", err, stderr.String())
	case <-time.After(2 * time.Second):
	}
	require.NoError(t, err, "the citizen's ballot over its open connection")

	for _, f := range flood {
		f.Close()
	}
	flood = nil
	_, err = c.Submit(ctx, second)
	require.NoError(t, err, "the box serves on after the flood")
	st, err := c.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(2), st.Ballots)
}

// TestAttackBoxWebLinkOut: a link in the --web directory to a file outside
// it is not followed (the directory is an os.Root, as the log and key
// directories are), so whoever can add a link there cannot publish the
// box's key or parameters through it.
func TestAttackBoxWebLinkOut(t *testing.T) {
	bin := buildZkvote(t)
	dir := t.TempDir()
	e := newCmdElection(t, dir, "vote.example.org/weblink")
	web := filepath.Join(dir, "web")
	require.NoError(t, os.MkdirAll(web, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(web, "index.html"), []byte("<!doctype html><title>vote</title>"), 0o600))
	require.NoError(t, os.Symlink(e.keyFile, filepath.Join(web, "box.key")))
	require.NoError(t, os.Symlink(dir, filepath.Join(web, "up")))
	srv := startBox(t, bin, "--dir", filepath.Join(dir, "box"), "--params", filepath.Join(dir, "election.params"),
		"--key", e.keyFile, "--keys", e.keyDir, "--web", web)
	defer srv.stop(t)
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	for _, path := range []string{"/box.key", "/up/box.key", "/up/election.params"} {
		status, body := get(path)
		require.Equal(t, http.StatusNotFound, status, path)
		require.NotContains(t, body, "PRIVATE+KEY", path)
	}
	status, body := get("/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "<title>vote</title>")
}
