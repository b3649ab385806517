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

	emptyDir := t.TempDir() // exists, holds no census
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
		"empty dir root": {[]string{"census", "root", "--dir", emptyDir}, "no census"},
		"empty dir rm":   {[]string{"census", "remove", "--dir", emptyDir, "--index", "0"}, "no census"},
		"empty dir proof": {[]string{"census", "proof", "--dir", emptyDir, "--index", "0", "--out", filepath.Join(t.TempDir(), "p")},
			"no census"},
		"no dir":        {[]string{"census", "root"}, "dir"},
		"no commitment": {[]string{"census", "add", "--dir", dir}, "arg"},
		"remove twice":  {[]string{"census", "remove", "--dir", dir, "--index", "1"}, "membership"},
	} {
		out, stderr, err := run("", c.args...)
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, name)
		require.Equal(t, 1, ee.ExitCode(), name)
		require.Contains(t, stderr, c.say, name)
		require.Empty(t, out, name)
	}
	entries, err := os.ReadDir(emptyDir)
	require.NoError(t, err)
	require.Empty(t, entries, "reading a census in an empty directory creates none")
	out, _, err = run("", "census", "root", "--dir", dir, "--json")
	require.NoError(t, err)
	require.Equal(t, removed, head(out), "no refused command changed the census")
	for _, sub := range []string{"add", "import", "remove", "root"} {
		out, _, err := run("", "census", sub, "-h")
		require.NoError(t, err)
		require.Contains(t, out, "Examples:", sub)
	}
}

// TestCensusProofCommand: the registrar writes census proof files by index
// and by commitment; each parses, is the library's proof for that leaf and
// verifies under the printed root; and the refusals (unknown commitment,
// removed leaf, index out of range, both or neither selector, an existing
// output file, a missing census) exit 1 with a message and leave no file.
func TestCensusProofCommand(t *testing.T) {
	bin := buildZkvote(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "census")
	run := func(args ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	cs := membershiptest.Commitments(10, 6)
	args := []string{"census", "add", "--dir", dir}
	for _, c := range cs {
		args = append(args, c.String())
	}
	_, stderr, err := run(args...)
	require.NoError(t, err, stderr)
	want := membership.NewTree(nil)
	_, err = want.InsertMany(context.Background(), cs)
	require.NoError(t, err)

	byIndex := filepath.Join(tmp, "5.proof")
	out, stderr, err := run("census", "proof", "--dir", dir, "--index", "5", "--out", byIndex)
	require.NoError(t, err, stderr)
	root := membership.Commitment(want.Root()).String()
	require.Equal(t, "index 5\nroot "+root+"\nsize 6\n", out)
	byCommitment := filepath.Join(tmp, "2.proof")
	out, stderr, err = run("census", "proof", "--dir", dir, "--commitment", cs[2].String(), "--out", byCommitment, "--json")
	require.NoError(t, err, stderr)
	var po proofOutput
	require.NoError(t, json.Unmarshal([]byte(out), &po), out)
	require.Equal(t, proofOutput{Index: 2, Commitment: cs[2].String(), Root: root, Size: 6, Length: 3, File: byCommitment}, po)
	for i, f := range map[uint64]string{5: byIndex, 2: byCommitment} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		p, err := membership.ParseProof(b)
		require.NoError(t, err)
		lib, err := want.Proof(i)
		require.NoError(t, err)
		require.Equal(t, lib.Bytes(), b, "the library's proof of leaf %d", i)
		require.NoError(t, p.Verify(want.Root()))
		require.Equal(t, cs[i], p.Leaf)
		st, err := os.Stat(f)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	}

	_, stderr, err = run("census", "remove", "--dir", dir, "--index", "1")
	require.NoError(t, err, stderr)
	missing := filepath.Join(tmp, "none.proof")
	for name, c := range map[string]struct {
		args []string
		say  string
	}{
		"unknown commitment": {[]string{"--commitment", membershiptest.Commitments(99, 1)[0].String()}, "not in the census"},
		"removed commitment": {[]string{"--commitment", cs[1].String()}, "not in the census"},
		"removed leaf":       {[]string{"--index", "1"}, "removed"},
		"index out of range": {[]string{"--index", "6"}, "out of range"},
		"huge index":         {[]string{"--index", "18446744073709551615"}, "out of range"},
		"bad commitment":     {[]string{"--commitment", "0xzz"}, "--commitment"},
		"both":               {[]string{"--index", "0", "--commitment", cs[0].String()}, "exactly one"},
		"neither":            {nil, "exactly one"},
	} {
		out, stderr, err := run(append([]string{"census", "proof", "--dir", dir, "--out", missing}, c.args...)...)
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, name)
		require.Equal(t, 1, ee.ExitCode(), name)
		require.Contains(t, stderr, c.say, name)
		require.Empty(t, out, name)
		require.NoFileExists(t, missing, name)
	}
	for name, args := range map[string][]string{
		"existing file":  {"census", "proof", "--dir", dir, "--index", "0", "--out", byIndex},
		"missing census": {"census", "proof", "--dir", filepath.Join(tmp, "nowhere"), "--index", "0", "--out", missing},
		"no out":         {"census", "proof", "--dir", dir, "--index", "0"},
	} {
		_, stderr, err := run(args...)
		require.Error(t, err, name)
		require.NotEmpty(t, stderr, name)
		require.NoFileExists(t, missing, name)
	}
	require.NoDirExists(t, filepath.Join(tmp, "nowhere"), "a proof request creates no census")
	out, _, err = run("census", "proof", "-h")
	require.NoError(t, err)
	require.Contains(t, out, "Examples:")
}
