package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWebCommand drives the built binary: a build of the browser voter
// into a new directory (--json), and bad invocations, each a message on
// stderr, exit status 1 and nothing written. The page itself is tested in
// package web.
func TestWebCommand(t *testing.T) {
	bin := buildZkvote(t)
	dir := t.TempDir()
	run := func(wd string, args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Dir = wd
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	bad := func(wd string, want string, args ...string) {
		t.Helper()
		stdout, stderr, err := run(wd, args...)
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "zkvote %q", args)
		require.Equal(t, 1, ee.ExitCode())
		require.Empty(t, stdout)
		require.Contains(t, stderr, want)
	}

	bad(".", `"out" not set`, "web", "build")
	full := filepath.Join(dir, "full")
	require.NoError(t, os.MkdirAll(full, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(full, "mine.txt"), []byte("keep"), 0o600))
	bad(".", "is not empty", "web", "build", "--out", full)
	b, err := os.ReadFile(filepath.Join(full, "mine.txt"))
	require.NoError(t, err)
	require.Equal(t, "keep", string(b))
	// Outside any module: refused before anything is written.
	outside := filepath.Join(dir, "outside")
	bad(dir, "zkvote module", "web", "build", "--out", outside)
	require.NoDirExists(t, outside)

	out := filepath.Join(dir, "voter")
	stdout, stderr, err := run(".", "web", "build", "--out", out, "--json")
	require.NoError(t, err, stderr)
	var res struct {
		Dir   string `json:"dir"`
		Files []struct {
			Name string `json:"name"`
			Size int64  `json:"size"`
		} `json:"files"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	names := map[string]int64{}
	for _, f := range res.Files {
		names[f.Name] = f.Size
	}
	for _, n := range []string{"index.html", "app.js", "worker.js", "helper.js", "load.js", "style.css", "wasm_exec.js", "voter.wasm", "voter.wasm.gz", "helper.wasm", "helper.wasm.gz"} {
		require.Positive(t, names[n], n)
	}
	for _, n := range []string{"voter.wasm", "helper.wasm"} {
		wasm, err := os.ReadFile(filepath.Join(out, n))
		require.NoError(t, err)
		require.Equal(t, []byte("\x00asm"), wasm[:4], n)
	}
	bad(".", "is not empty", "web", "build", "--out", out)
}
