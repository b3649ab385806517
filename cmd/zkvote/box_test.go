package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// boxRun runs the built binary and returns its stdout, stderr and error.
func boxRun(bin string, args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// boxServer is a running "zkvote box serve".
type boxServer struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
}

// startBox starts "zkvote box serve" with args and reads its address from
// the first line it prints.
func startBox(t *testing.T, bin string, args ...string) *boxServer {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"box", "serve", "--listen", "127.0.0.1:0"}, args...)...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, stderr.String())
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	require.True(t, ok, line)
	return &boxServer{cmd: cmd, url: url, stderr: &stderr}
}

// stop sends SIGTERM and requires a clean exit.
func (s *boxServer) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	waited := make(chan error, 1)
	go func() { waited <- s.cmd.Wait() }()
	select {
	case err := <-waited:
		require.NoError(t, err, "a SIGTERM stops the box cleanly: %s", s.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the box did not stop on SIGTERM")
	}
}

// TestBoxCommand drives the built binary as a box operator: a key, a box
// served over HTTP taking ballots (with receipts' proofs, the key files
// and the browser page), a clean stop on SIGTERM, the close with its
// results, the ended box served read-only, and bad invocations, each a
// message on stderr and exit status 1.
func TestBoxCommand(t *testing.T) {
	bin := buildZkvote(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	path := func(name string) string { return filepath.Join(dir, name) }

	keyFile := path("box.key")
	vkey, stderr, err := boxRun(bin, "box", "keygen", "--name", "vote.example.org/test", "--out", keyFile)
	require.NoError(t, err, stderr)
	vkey = strings.TrimSpace(vkey)
	st, err := os.Stat(keyFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the secret key is the owner's alone")
	shown, _, err := boxRun(bin, "box", "key", "--key", keyFile, "--json")
	require.NoError(t, err)
	var keyOut struct{ Key string }
	require.NoError(t, json.Unmarshal([]byte(shown), &keyOut))
	require.Equal(t, vkey, keyOut.Key)

	// The election: a census of four, development vote keys in a key
	// directory, parameters naming the box's key.
	tree := membership.NewTree(nil)
	_, err = tree.InsertMany(ctx, membershiptest.Commitments(0, 4))
	require.NoError(t, err)
	keys, err := prover.SetupInsecure(ctx, statement.Vote(4, 3))
	require.NoError(t, err)
	keyDir := path("keys")
	require.NoError(t, keys.WriteFiles(keyDir))
	require.NoError(t, os.WriteFile(filepath.Join(keyDir, "unrelated.key"), []byte("PRIVATE"), 0o600))
	var one, two fr.Element
	one.SetUint64(1)
	two.SetUint64(2)
	p := &election.Params{Log: election.LogKeys{Box: vkey}, DeploymentID: one, ElectionID: two,
		Question: "Adopt the charter?", Options: []string{"yes", "no", "abstain"},
		Census: []membership.Head{tree.Head()}, Rules: election.SingleChoice(), Depth: 4, MaxOptions: 3,
		VoteKey: election.PinKey(keys.VerifyingKey()), TallyKey: election.KeyPin{Backend: verifier.Groth16, ID: [32]byte{1}}}
	enc, err := p.Encode()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path("election.params"), enc, 0o600))
	webDir := path("web")
	require.NoError(t, os.MkdirAll(webDir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(webDir, "index.html"), []byte("<!doctype html><title>vote</title>"), 0o600))
	boxArgs := []string{"--dir", path("box"), "--params", path("election.params"), "--key", keyFile, "--keys", keyDir}

	srv := startBox(t, bin, append(boxArgs, "--web", webDir)...)
	c, err := httpbox.NewClient(srv.url, &http.Client{Timeout: time.Minute})
	require.NoError(t, err)
	for i, vote := range []int{0, 0, 1} {
		proof, err := tree.Proof(uint64(i))
		require.NoError(t, err)
		votes := make([]uint64, 3)
		votes[vote] = 1
		b, err := prover.Cast(ctx, keys, p, membershiptest.Identity(uint64(i)), proof, votes)
		require.NoError(t, err)
		r, err := c.Submit(ctx, b.Bytes())
		require.NoError(t, err, i)
		r, err = c.Prove(ctx, r)
		require.NoError(t, err, i)
		require.NoError(t, election.VerifyReceipt(p, r, b), i)
	}
	get := func(url string) (int, []byte) {
		resp, err := http.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, b
	}
	vkFile := strings.NewReplacer("/", "-", "=", "").Replace(p.VoteStatement().Name()) + "-groth16"
	for _, ext := range []string{".vk", ".pk", ".ccs"} {
		status, body := get(srv.url + "/keys/" + vkFile + ext)
		require.Equal(t, 200, status, ext)
		want, err := os.ReadFile(filepath.Join(keyDir, vkFile+ext))
		require.NoError(t, err)
		require.Equal(t, want, body, "the browser's key files: %s", ext)
	}
	status, _ := get(srv.url + "/keys/unrelated.key")
	require.Equal(t, 404, status, "only the vote statement's key files are served")
	status, body := get(srv.url + "/")
	require.Equal(t, 200, status)
	require.Contains(t, string(body), "<title>vote</title>")
	_, err = c.Results(ctx)
	require.ErrorIs(t, err, httpbox.ErrOpen)

	// Closing while the server runs: the directory is locked.
	stdout, stderr, err := boxRun(bin, append([]string{"box", "close"}, boxArgs...)...)
	requireBoxRefused(t, "close while serving", "in use", stdout, stderr, err)
	// A client in the middle of sending a ballot holds the graceful stop
	// (up to the read timeout); a second SIGTERM drops it, and the box
	// still closes with every acknowledged ballot (checked below).
	slow, err := net.Dial("tcp", strings.TrimPrefix(srv.url, "http://"))
	require.NoError(t, err)
	defer slow.Close()
	_, err = fmt.Fprintf(slow, "POST /v1/ballots HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\npartial")
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // the server has the request
	waited := make(chan error, 1)
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	go func() { waited <- srv.cmd.Wait() }()
	select {
	case err := <-waited:
		t.Fatalf("the box stopped at once with a request in flight (%v): %s", err, srv.stderr.String())
	case <-time.After(1500 * time.Millisecond):
	}
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-waited:
		require.NoError(t, err, "a second SIGTERM stops the box cleanly: %s", srv.stderr.String())
	case <-time.After(httpbox.ReadTimeout - 5*time.Second):
		t.Fatal("a second SIGTERM did not cut the graceful stop")
	}
	require.Contains(t, srv.stderr.String(), "signal again")

	stdout, stderr, err = boxRun(bin, append([]string{"box", "close", "--json"}, boxArgs...)...)
	require.NoError(t, err, stderr)
	var res struct {
		Ballots uint64
		Closed  bool
		Totals  []struct {
			Option string
			Votes  uint64
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	require.True(t, res.Closed)
	require.Equal(t, uint64(3), res.Ballots)
	require.Len(t, res.Totals, 3)
	require.Equal(t, uint64(2), res.Totals[0].Votes)
	require.Equal(t, uint64(1), res.Totals[1].Votes)
	stdout, stderr, err = boxRun(bin, append([]string{"box", "close"}, boxArgs...)...)
	require.NoError(t, err, "closing an ended box prints its results again: %s", stderr)
	require.Contains(t, stdout, "ballots 3")

	// The ended box, served read-only.
	srv = startBox(t, bin, boxArgs...)
	c, err = httpbox.NewClient(srv.url, &http.Client{Timeout: time.Minute})
	require.NoError(t, err)
	served, err := c.Results(ctx)
	require.NoError(t, err)
	require.Equal(t, []httpbox.Total{{Option: "yes", Votes: 2}, {Option: "no", Votes: 1}, {Option: "abstain", Votes: 0}}, served.Totals)
	status2, err := c.Status(ctx)
	require.NoError(t, err)
	require.True(t, status2.Closed)
	proof, err := tree.Proof(3)
	require.NoError(t, err)
	late, err := prover.Cast(ctx, keys, p, membershiptest.Identity(3), proof, []uint64{0, 0, 1})
	require.NoError(t, err)
	_, err = c.Submit(ctx, late.Bytes())
	require.ErrorIs(t, err, election.ErrClosed)
	lr, err := c.Log()
	require.NoError(t, err)
	logData, err := election.FetchLog(ctx, p, lr)
	require.NoError(t, err)
	lg, err := election.ReadLog(logData)
	require.NoError(t, err)
	require.Len(t, lg.Ballots, 3)
	srv.stop(t)

	// Bad invocations.
	otherKey := path("other.key")
	_, _, err = boxRun(bin, "box", "keygen", "--name", "other.example.org", "--out", otherKey)
	require.NoError(t, err)
	garbage := path("garbage")
	require.NoError(t, os.WriteFile(garbage, []byte("not a file of any kind"), 0o600))
	other := *p
	other.Question = "Something else?"
	otherEnc, err := other.Encode()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path("other.params"), otherEnc, 0o600))
	emptyKeys := path("empty-keys")
	require.NoError(t, os.MkdirAll(emptyKeys, 0o700))
	serveWith := func(replace ...string) []string {
		args := append([]string{"box", "serve", "--listen", "127.0.0.1:0"}, boxArgs...)
		for i := 0; i < len(replace); i += 2 {
			for j := range args {
				if args[j] == replace[i] {
					args[j+1] = replace[i+1]
				}
			}
		}
		return args
	}
	for _, c := range []struct {
		name, say string
		args      []string
		out       string // a file that must not be left
	}{
		{"keygen without --name", "name", []string{"box", "keygen", "--out", path("new1.key")}, path("new1.key")},
		{"keygen bad name", "not a key name", []string{"box", "keygen", "--name", "a b", "--out", path("new2.key")}, path("new2.key")},
		{"keygen over a file", "exists", []string{"box", "keygen", "--name", "x.org", "--out", keyFile}, ""},
		{"key of garbage", "not a box key", []string{"box", "key", "--key", garbage}, ""},
		{"serve without --dir", "dir", []string{"box", "serve", "--params", path("election.params"), "--key", keyFile, "--keys", keyDir}, ""},
		{"serve missing params", "no such file", serveWith("--params", path("missing.params")), ""},
		{"serve garbage params", "malformed parameters", serveWith("--params", garbage), ""},
		{"serve another box's key", "not the log key", serveWith("--key", otherKey), ""},
		{"serve a garbage key", "key", serveWith("--key", garbage), ""},
		{"serve without the vote key", "no verifying key", serveWith("--keys", emptyKeys), ""},
		{"serve with a witness too many", "witness", append(serveWith(), "--witness", "http://127.0.0.1:1"), ""},
		{"serve on a bad address", "listen", serveWith("--listen", "256.0.0.1:99999"), ""},
		{"serve missing web", "--web", append(serveWith(), "--web", path("no-web")), ""},
		{"close no box", "no ballot box", []string{"box", "close", "--dir", path("nothing"), "--params", path("election.params"), "--key", keyFile, "--keys", keyDir}, path("nothing")},
		{"close another election's box", "another election", []string{"box", "close", "--dir", path("box"), "--params", path("other.params"), "--key", keyFile, "--keys", keyDir}, ""},
	} {
		stdout, stderr, err := boxRun(bin, c.args...)
		requireBoxRefused(t, c.name, c.say, stdout, stderr, err)
		if c.out != "" {
			_, err := os.Stat(c.out)
			require.ErrorIs(t, err, os.ErrNotExist, "%s: no output file is left", c.name)
		}
	}
}

// requireBoxRefused checks a failed run: exit status 1, a message on
// stderr containing say, nothing on stdout.
func requireBoxRefused(t *testing.T, name, say, stdout, stderr string, err error) {
	t.Helper()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, name)
	require.Equal(t, 1, ee.ExitCode(), name)
	require.Contains(t, strings.ToLower(stderr), strings.ToLower(say), name)
	require.Empty(t, stdout, name)
}
