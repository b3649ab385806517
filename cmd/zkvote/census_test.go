package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
)

// TestCensusCommand drives the built binary as a registrar: admit
// commitments by argument and from a list, read the head (text and JSON),
// remove one, and the refusals (a duplicate, garbage, a bad line in a list,
// which admits none of it, a missing census); the heads are the library's
// for the same commitments.
func TestCensusCommand(t *testing.T) {
	bin := buildZkvote(t)
	dir := filepath.Join(t.TempDir(), "census")
	run := func(stdin string, args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	head := func(out string) headOutput {
		var h headOutput
		require.NoError(t, json.Unmarshal([]byte(out), &h), out)
		return h
	}
	cs := membershiptest.Commitments(0, 5)
	want := membership.NewTree(nil)
	_, err := want.InsertMany(context.Background(), cs)
	require.NoError(t, err)

	_, stderr, err := run("", "census", "add", "--dir", dir, cs[0].String(), cs[1].String())
	require.NoError(t, err, stderr)
	list := "# admitted on 2026-11-29\n" + cs[2].String() + "\n\n" + cs[3].String() + "\n" + cs[4].String() + "\n"
	out, stderr, err := run(list, "census", "import", "--dir", dir, "--file", "-", "--json")
	require.NoError(t, err, stderr)
	h := head(out)
	require.Equal(t, uint64(5), h.Size)
	require.Equal(t, membership.Commitment(want.Root()).String(), h.Root, "the library's root for the same commitments")
	out, _, err = run("", "census", "root", "--dir", dir)
	require.NoError(t, err)
	require.Equal(t, "size 5\nroot "+h.Root+"\nepoch 0\n", out)

	out, stderr, err = run("", "census", "remove", "--dir", dir, "--index", "1", "--json")
	require.NoError(t, err, stderr)
	require.NoError(t, want.Remove(1))
	removed := head(out)
	require.Equal(t, membership.Commitment(want.Root()).String(), removed.Root)
	require.Equal(t, uint64(1), removed.Epoch, "a removal starts a new epoch")

	listFile := filepath.Join(t.TempDir(), "bad.txt")
	require.NoError(t, os.WriteFile(listFile, []byte(membershiptest.Commitments(5, 1)[0].String()+"\nnot a commitment\n"), 0o600))
	for name, c := range map[string]struct {
		args []string
		say  string
	}{
		"duplicate":      {[]string{"census", "add", "--dir", dir, cs[0].String()}, "membership"},
		"garbage":        {[]string{"census", "add", "--dir", dir, "0xzz"}, "commitment 1"},
		"zero":           {[]string{"census", "add", "--dir", dir, "0"}, "commitment 1"},
		"bad list line":  {[]string{"census", "import", "--dir", dir, "--file", listFile}, "line 2"},
		"missing census": {[]string{"census", "root", "--dir", filepath.Join(t.TempDir(), "none")}, "no census"},
		"no dir":         {[]string{"census", "root"}, "dir"},
		"no commitment":  {[]string{"census", "add", "--dir", dir}, "arg"},
		"remove twice":   {[]string{"census", "remove", "--dir", dir, "--index", "1"}, "membership"},
	} {
		out, stderr, err := run("", c.args...)
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, name)
		require.Equal(t, 1, ee.ExitCode(), name)
		require.Contains(t, stderr, c.say, name)
		require.Empty(t, out, name)
	}
	out, _, err = run("", "census", "root", "--dir", dir, "--json")
	require.NoError(t, err)
	require.Equal(t, removed, head(out), "no refused command changed the census")
	for _, sub := range []string{"add", "import", "remove", "root"} {
		out, _, err := run("", "census", sub, "-h")
		require.NoError(t, err)
		require.Contains(t, out, "Examples:", sub)
	}
}
