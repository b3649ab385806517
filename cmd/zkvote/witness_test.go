package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/netstate/zkvote/witness"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildZkvote builds the command once per test run and returns its path.
func buildZkvote(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "zkvote-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "zkvote")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// TestMain removes the binary buildZkvote built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// TestWitnessCommand drives the built binary: a key, a witness serving a
// box's log over HTTP that cosigns the box's checkpoints in order and
// refuses a fork, a graceful stop on SIGTERM, and bad invocations, each a
// message on stderr and exit status 1.
func TestWitnessCommand(t *testing.T) {
	bin := buildZkvote(t)
	dir := t.TempDir()
	run := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	keyFile := filepath.Join(dir, "witness.key")
	vkey, _, err := run("witness", "keygen", "--name", "witness.example.net", "--out", keyFile)
	require.NoError(t, err)
	vkey = strings.TrimSpace(vkey)
	shown, _, err := run("witness", "key", "--key", keyFile)
	require.NoError(t, err)
	require.Equal(t, vkey, strings.TrimSpace(shown))
	st, err := os.Stat(keyFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the secret key is the owner's alone")
	wv, err := witness.ParseWitnessKey(vkey)
	require.NoError(t, err)

	// A box's checkpoint key.
	boxSKey, boxVKey, err := note.GenerateKey(rand.Reader, "ballots.example.org/test")
	require.NoError(t, err)
	boxSigner, err := note.NewSigner(boxSKey)
	require.NoError(t, err)

	var serveErr bytes.Buffer
	start := func() (*exec.Cmd, string) {
		serve := exec.Command(bin, "witness", "serve", "--key", keyFile, "--dir", filepath.Join(dir, "state"), "--log", boxVKey, "--listen", "127.0.0.1:0")
		stdout, err := serve.StdoutPipe()
		require.NoError(t, err)
		serve.Stderr = &serveErr
		require.NoError(t, serve.Start())
		t.Cleanup(func() { serve.Process.Kill() })
		line, err := bufio.NewReader(stdout).ReadString('\n')
		require.NoError(t, err, serveErr.String())
		url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
		require.True(t, ok, line)
		return serve, url
	}
	stopped := func(serve *exec.Cmd) {
		require.NoError(t, serve.Process.Signal(syscall.SIGTERM))
		waited := make(chan error, 1)
		go func() { waited <- serve.Wait() }()
		select {
		case err := <-waited:
			require.NoError(t, err, "a SIGTERM stops the witness cleanly: %s", serveErr.String())
		case <-time.After(15 * time.Second):
			t.Fatal("the witness did not stop on SIGTERM")
		}
	}
	serve, url := start()

	// Checkpoints of a growing log: 1 entry, then 3; each is cosigned.
	leaves := []tlog.Hash{tlog.RecordHash([]byte("a")), tlog.RecordHash([]byte("b")), tlog.RecordHash([]byte("c"))}
	hashes := func(n int) tlog.HashReader {
		var stored []tlog.Hash
		for i := range n {
			h, err := tlog.StoredHashes(int64(i), []byte{"abc"[i]}, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
				out := make([]tlog.Hash, len(idx))
				for j, k := range idx {
					out[j] = stored[k]
				}
				return out, nil
			}))
			require.NoError(t, err)
			stored = append(stored, h...)
		}
		return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for j, k := range idx {
				out[j] = stored[k]
			}
			return out, nil
		})
	}
	checkpoint := func(n int, root tlog.Hash) []byte {
		cp, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: boxSigner.Name(), Size: uint64(n), Hash: root[:]}.Marshal())}, boxSigner)
		require.NoError(t, err)
		return cp
	}
	ctx := context.Background()
	root1 := leaves[0]
	sigs, err := witness.Submit(ctx, nil, url, 0, nil, checkpoint(1, root1))
	require.NoError(t, err)
	cosigned := append(checkpoint(1, root1), sigs...)
	_, err = note.Open(cosigned, note.VerifierList(wv))
	require.NoError(t, err, "the witness's cosignature verifies under the key keygen printed")
	root3, err := tlog.TreeHash(3, hashes(3))
	require.NoError(t, err)
	proof, err := tlog.ProveTree(3, 1, hashes(3))
	require.NoError(t, err)
	_, err = witness.Submit(ctx, nil, url, 1, proof, checkpoint(3, root3))
	require.NoError(t, err)
	// A fork: another root of size 3.
	_, err = witness.Submit(ctx, nil, url, 3, nil, checkpoint(3, tlog.Hash{1}))
	require.Error(t, err)

	stopped(serve)

	// Restarted, it remembers the last checkpoint it cosigned: a request
	// from size 1 is stale.
	serve, url = start()
	_, err = witness.Submit(ctx, nil, url, 1, proof, checkpoint(3, root3))
	var conflict *witness.ConflictError
	require.ErrorAs(t, err, &conflict)
	require.Equal(t, int64(3), conflict.Size)
	stopped(serve)

	// Bad invocations.
	for name, args := range map[string][]string{
		"no key":          {"witness", "serve", "--dir", dir, "--log", boxVKey},
		"bad log key":     {"witness", "serve", "--key", keyFile, "--dir", filepath.Join(dir, "state2"), "--log", "nonsense"},
		"garbage key":     {"witness", "key", "--key", filepath.Join(dir, "state", "LOCK")},
		"key exists":      {"witness", "keygen", "--name", "w.example", "--out", keyFile},
		"bad name":        {"witness", "keygen", "--name", "has space", "--out", filepath.Join(dir, "k2")},
		"unknown flag":    {"witness", "serve", "--frobnicate"},
		"unknown":         {"witnesss"},
		"no such keyfile": {"witness", "key", "--key", filepath.Join(dir, "missing")},
	} {
		out, stderr, err := run(args...)
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, name)
		require.Equal(t, 1, ee.ExitCode(), name)
		require.NotEmpty(t, strings.TrimSpace(stderr), name)
		require.Empty(t, out, name)
	}
	// -h on every subcommand, with an example.
	for _, sub := range []string{"keygen", "key", "serve"} {
		out, _, err := run("witness", sub, "-h")
		require.NoError(t, err)
		require.Contains(t, out, "Examples:", sub)
	}
}
