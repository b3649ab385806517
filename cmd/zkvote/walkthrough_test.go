package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// walkthrough returns the shell block of the README's "Run an election
// with the zkvote command" section.
func walkthrough(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(readme), "<!-- walkthrough: begin -->\n```sh\n")
	require.True(t, ok, "README: no walkthrough block")
	block, _, ok := strings.Cut(rest, "```\n<!-- walkthrough: end -->")
	require.True(t, ok, "README: the walkthrough block is not closed")
	return block
}

// freeAddr returns a loopback address no one listens on (for a moment).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// runIn runs the built binary in dir with stdin and extra files (fd 3 on).
func runIn(t *testing.T, dir, stdin string, files []*os.File, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(buildZkvote(t), args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.ExtraFiles = files
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// passFile opens a file holding text, for --passphrase-fd 3.
func passFile(t *testing.T, dir, text string) *os.File {
	t.Helper()
	path := filepath.Join(dir, "pass-"+strings.ReplaceAll(text, " ", "-"))
	require.NoError(t, os.WriteFile(path, []byte(text+"\n"), 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// serve starts "zkvote box serve" (or another server) and returns its URL
// from the first line it prints, and a stop function that sends SIGTERM
// and checks the exit status.
func serve(t *testing.T, dir string, args ...string) (string, func()) {
	t.Helper()
	cmd := exec.Command(buildZkvote(t), args...)
	cmd.Dir = dir
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("%v: no address printed; stderr: %s", args, stderr.String())
	}
	first := lines.Text()
	go func() {
		for lines.Scan() {
		}
	}()
	url := first[strings.Index(first, "http://"):]
	return url, func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(t, cmd.Wait(), "exit status after SIGTERM; stderr: %s", stderr.String())
	}
}

// TestWalkthrough runs the README's walkthrough as a newcomer would paste
// it, with the built zkvote on PATH (a whole open election by the command
// alone: identities, census, keys, log keys, a witness, the parameters,
// the HTTP box, three votes with receipts, close, tally and audit), then
// the refusals a voter, organiser or auditor can meet on the same files.
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("the walkthrough makes keys and proves ballots: about a minute")
	}
	bin := buildZkvote(t)
	dir := t.TempDir()
	path := filepath.Join(t.TempDir(), "bin")
	require.NoError(t, os.MkdirAll(path, 0o755))
	require.NoError(t, os.Symlink(bin, filepath.Join(path, "zkvote")))

	witnessAddr, boxAddr := freeAddr(t), freeAddr(t)
	script := walkthrough(t)
	require.Contains(t, script, "127.0.0.1:7380")
	require.Contains(t, script, "127.0.0.1:8080")
	script = strings.ReplaceAll(script, "127.0.0.1:7380", witnessAddr)
	script = strings.ReplaceAll(script, "127.0.0.1:8080", boxAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	sh.Dir = dir
	sh.Env = append(os.Environ(), "PATH="+path+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &out
	require.NoError(t, sh.Run(), "the walkthrough failed:\n%s", out.String())
	t.Logf("walkthrough output:\n%s", out.String())
	for _, want := range []string{"yes                  2", "no                   1", "abstain              0", "ballots 3", "closed true"} {
		require.Contains(t, out.String(), want)
	}
	for _, who := range []string{"alice", "bob", "carol"} {
		st, err := os.Stat(filepath.Join(dir, who+".receipt"))
		require.NoError(t, err, "the walkthrough leaves each voter a receipt")
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	}

	// The audit's JSON, from the directory and from the URL of the closed
	// box served read-only, and the refusals of a closed election.
	common := []string{"--params", "election.params", "--keys", "keys"}
	auditArgs := append([]string{"audit", "--tally", "tally.proofs", "--json"}, common...)
	stdout, stderr, err := runIn(t, dir, "", nil, append(auditArgs, "--log", "box/log")...)
	require.NoError(t, err, stderr)
	var res resultsOutput
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Equal(t, []optionOutput{{"yes", 2}, {"no", 1}, {"abstain", 0}}, res.Totals)
	require.True(t, res.Closed)

	// A box key serves one election: the second election below has its
	// own, which the witness follows too.
	_, stderr, err = runIn(t, dir, "", nil, "box", "keygen", "--name", "vote.example.org/second", "--out", "box2.key")
	require.NoError(t, err, stderr)
	box2VKey, stderr, err := runIn(t, dir, "", nil, "box", "key", "--key", "box2.key")
	require.NoError(t, err, stderr)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "box2.vkey"), []byte(box2VKey), 0o600))
	witnessURL, stopWitness := serve(t, dir, "witness", "serve", "--key", "witness.key", "--dir", "witness",
		"--log", strings.TrimSpace(readFile(t, dir, "box.vkey")), "--log", strings.TrimSpace(box2VKey), "--listen", "127.0.0.1:0")
	defer stopWitness()
	boxURL, stopBox := serve(t, dir, "box", "serve", "--dir", "box", "--params", "election.params", "--key", "box.key", "--keys", "keys", "--witness", witnessURL, "--listen", "127.0.0.1:0")
	stdout, stderr, err = runIn(t, dir, "", nil, append(auditArgs, "--log", boxURL+"/log/")...)
	require.NoError(t, err, stderr)
	var overHTTP resultsOutput
	require.NoError(t, json.Unmarshal([]byte(stdout), &overHTTP))
	require.Equal(t, res, overHTTP, "the same audit over HTTP")

	voteArgs := func(who, box string, extra ...string) []string {
		return append([]string{"vote", "--identity", who + ".zkid", "--passphrase-fd", "3", "--proof", who + ".proof",
			"--keys", "keys", "--box", box}, extra...)
	}
	alicePass := passFile(t, dir, "the passphrase of alice")
	_, stderr, err = runIn(t, dir, "", []*os.File{alicePass}, voteArgs("alice", boxURL, "--params", "election.params", "--choice", "no")...)
	require.Error(t, err)
	require.Contains(t, stderr, "closed", "a closed election refuses ballots")
	stopBox()

	// A second election over the same census, open: a second vote by the
	// same citizen, a wrong passphrase, someone else's census proof, an
	// option that does not exist, the parameters from the box under the
	// wrong digest, and an auditor given a tampered tally file.
	_, stderr, err = runIn(t, dir, "", nil, "election", "new", "--out", "second.params", "--deployment", "1", "--election", "2",
		"--question", "Second?", "--option", "yes", "--option", "no", "--option", "abstain", "--census", "census", "--keys", "keys",
		"--box-key", "box2.vkey", "--witness-key", "witness.vkey", "--quorum", "1")
	require.NoError(t, err, stderr)
	digest, stderr, err := runIn(t, dir, "", nil, "election", "digest", "--params", "second.params")
	require.NoError(t, err, stderr)
	digest = strings.TrimSpace(digest)
	boxURL, stopBox = serve(t, dir, "box", "serve", "--dir", "box2", "--params", "second.params", "--key", "box2.key", "--keys", "keys", "--witness", witnessURL, "--listen", "127.0.0.1:0")
	defer stopBox()
	stdout, stderr, err = runIn(t, dir, "", []*os.File{passFile(t, dir, "the passphrase of alice")}, voteArgs("alice", boxURL, "--digest", digest, "--choice", "no", "--json")...)
	require.NoError(t, err, "the parameters from the box, checked against the digest: %s", stderr)
	require.Contains(t, stdout, `"position":0`)

	refusals := []struct {
		name, pass string
		args       []string
		want       string
	}{
		{"second vote", "the passphrase of alice", voteArgs("alice", boxURL, "--params", "second.params", "--choice", "yes"), "already voted"},
		{"wrong passphrase", "not alice's", voteArgs("alice", boxURL, "--params", "second.params", "--choice", "yes"), "passphrase"},
		{"another's census proof", "the passphrase of bob", []string{"vote", "--identity", "bob.zkid", "--passphrase-fd", "3", "--proof", "alice.proof",
			"--keys", "keys", "--box", boxURL, "--params", "second.params", "--choice", "yes"}, "not of this identity"},
		{"no such option", "the passphrase of bob", voteArgs("bob", boxURL, "--params", "second.params", "--choice", "maybe"), "not an option"},
		{"wrong digest", "the passphrase of bob", voteArgs("bob", boxURL, "--digest", strings.Repeat("ab", 32), "--choice", "yes"), "do not vote"},
		{"no choice", "the passphrase of bob", voteArgs("bob", boxURL, "--params", "second.params"), "what is your vote"},
		{"receipt without a box", "the passphrase of bob", []string{"vote", "--identity", "bob.zkid", "--passphrase-fd", "3", "--proof", "bob.proof", "--keys", "keys", "--params", "second.params", "--choice", "yes", "--out", "b.ballot", "--receipt", "b.receipt"}, "--receipt needs --box"},
	}
	for _, tc := range refusals {
		_, stderr, err := runIn(t, dir, "", []*os.File{passFile(t, dir, tc.pass)}, tc.args...)
		require.Error(t, err, tc.name)
		require.Contains(t, stderr, tc.want, tc.name)
		require.Equal(t, 1, err.(*exec.ExitError).ExitCode(), tc.name)
	}
	for _, f := range []string{"b.ballot", "b.receipt"} {
		require.NoFileExists(t, filepath.Join(dir, f))
	}
	_, stderr, err = runIn(t, dir, "", nil, "tally", "--params", "second.params", "--keys", "keys", "--log", "box2/log", "--out", "t2")
	require.Error(t, err, "a tally of an open election")
	require.NoFileExists(t, filepath.Join(dir, "t2"))

	tampered := []byte(readFile(t, dir, "tally.proofs"))
	tampered[len(tampered)-5] ^= 1
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tampered.proofs"), tampered, 0o600))
	_, stderr, err = runIn(t, dir, "", nil, "audit", "--params", "election.params", "--keys", "keys", "--log", "box/log", "--tally", "tampered.proofs")
	require.Error(t, err, "an audit of a tampered tally")
	require.NotEmpty(t, stderr)
	_, stderr, err = runIn(t, dir, "", nil, "audit", "--params", "second.params", "--keys", "keys", "--log", "box/log", "--tally", "tally.proofs")
	require.Error(t, err, "another election's log")
	require.NotEmpty(t, stderr)
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return string(b)
}
