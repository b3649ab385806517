package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIdentityCommand drives the built binary: a new identity sealed under
// a passphrase read from a file descriptor, its commitment shown again from
// the file (text and JSON), and the refusals: a wrong passphrase, no
// passphrase source (no terminal), an empty passphrase, an existing file,
// a damaged file; each a message on stderr and exit status 1.
func TestIdentityCommand(t *testing.T) {
	bin := buildZkvote(t)
	dir := t.TempDir()
	// run runs the binary with the passphrase, if not nil, on fd 3.
	run := func(pass []byte, args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if pass != nil {
			r, w, err := os.Pipe()
			require.NoError(t, err)
			go func() { w.Write(pass); w.Close() }()
			defer r.Close()
			cmd.ExtraFiles = []*os.File{r}
		}
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	file := filepath.Join(dir, "me.zkid")
	out, stderr, err := run([]byte("correct horse\n"), "identity", "new", "--out", file, "--passphrase-fd", "3")
	require.NoError(t, err, stderr)
	commitment := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(commitment, "0x"), commitment)
	st, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	out, stderr, err = run([]byte("correct horse"), "identity", "show", "--in", file, "--passphrase-fd", "3")
	require.NoError(t, err, stderr)
	require.Equal(t, commitment, strings.TrimSpace(out))
	out, _, err = run([]byte("correct horse\n"), "identity", "show", "--in", file, "--passphrase-fd", "3", "--json")
	require.NoError(t, err)
	var shown struct{ Commitment string }
	require.NoError(t, json.Unmarshal([]byte(out), &shown))
	require.Equal(t, commitment, shown.Commitment)

	damaged := filepath.Join(dir, "damaged.zkid")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	data[len(data)-1] ^= 1
	require.NoError(t, os.WriteFile(damaged, data, 0o600))
	for name, c := range map[string]struct {
		pass []byte
		args []string
		say  string
	}{
		"wrong passphrase": {[]byte("wrong\n"), []string{"identity", "show", "--in", file, "--passphrase-fd", "3"}, "wrong passphrase"},
		"no terminal":      {nil, []string{"identity", "show", "--in", file}, "--passphrase-fd"},
		"empty passphrase": {[]byte("\n"), []string{"identity", "new", "--out", filepath.Join(dir, "x"), "--passphrase-fd", "3"}, "1 to"},
		"file exists":      {[]byte("p\n"), []string{"identity", "new", "--out", file, "--passphrase-fd", "3"}, "exists"},
		"damaged file":     {[]byte("correct horse\n"), []string{"identity", "show", "--in", damaged, "--passphrase-fd", "3"}, "tampered"},
		"no such file":     {[]byte("p\n"), []string{"identity", "show", "--in", filepath.Join(dir, "missing"), "--passphrase-fd", "3"}, "no such file"},
		"missing --out":    {nil, []string{"identity", "new"}, "out"},
	} {
		out, stderr, err := run(c.pass, c.args...)
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, name)
		require.Equal(t, 1, ee.ExitCode(), name)
		require.Contains(t, stderr, c.say, name)
		require.Empty(t, out, name)
	}
	_, err = os.Stat(filepath.Join(dir, "x"))
	require.ErrorIs(t, err, os.ErrNotExist, "a refused new writes no file")
	for _, sub := range []string{"new", "show"} {
		out, _, err := run(nil, "identity", sub, "-h")
		require.NoError(t, err)
		require.Contains(t, out, "Examples:", sub)
	}
}
