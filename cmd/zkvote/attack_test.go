package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// Attacks on the command line's roles by whoever hands them files: an
// organiser's parameters and spec, a published ceremony transcript.

// hostileParams returns valid parameters whose question, options and box
// key name carry terminal controls: ESC sequences that clear the screen
// and rewrite a line, a newline that shows one option as two, and a
// right-to-left override.
func hostileParams(t *testing.T) *election.Params {
	t.Helper()
	_, box := testkeys.Key("box\x1b[2K.example.org")
	var root fr.Element
	root.SetUint64(7)
	p := &election.Params{
		Question: "Adopt the charter?\x1b[2J\x1b[Hdigest        00000000",
		Options:  []string{"yes\n              2. no", "no\u202eon", "abstain\r"},
		Census:   []membership.Head{{Size: 1, Root: root}},
		Rules:    election.SingleChoice(),
		Depth:    2, MaxOptions: 3,
		VoteKey:  election.KeyPin{Backend: verifier.Groth16, ID: [32]byte{1}},
		TallyKey: election.KeyPin{Backend: verifier.Groth16, ID: [32]byte{2}},
		Log:      election.LogKeys{Box: box},
	}
	p.DeploymentID.SetUint64(1)
	p.ElectionID.SetUint64(2)
	require.NoError(t, p.Validate(), "the library accepts these labels: only their display can defend")
	return p
}

// requireInert fails if out holds a control character other than the
// newlines ending lines, or a bidirectional or other format character.
func requireInert(t *testing.T, out string, lines int) {
	t.Helper()
	for _, r := range out {
		if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			t.Fatalf("the output carries %U:\n%q", r, out)
		}
	}
	require.Equal(t, lines, strings.Count(out, "\n"), "one line per item:\n%s", out)
}

// TestAttackParamsControlCharacters: "election show" and the results of
// "tally" and "audit" print a hostile organiser's labels without their
// terminal controls, one line per option, so that what the user reads is
// what the file holds.
func TestAttackParamsControlCharacters(t *testing.T) {
	p := hostileParams(t)
	o, err := describeParams(p)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, printParams(&b, o))
	// digest, question, 3 options, rules, mode, deployment, election,
	// scope, 1 head, circuit, vote key, tally key, box key, witnesses,
	// quorum.
	requireInert(t, b.String(), 17)
	require.Contains(t, b.String(), `"yes\n              2. no"`, "an escaped label is still readable")

	b.Reset()
	res := &election.Results{Ballots: 3, Totals: []uint64{1, 2, 0}, Closed: true}
	require.NoError(t, printResults(&b, p, res, false))
	requireInert(t, b.String(), 1+3+3)
}

// TestAttackChoiceAmbiguousLabel: parameters may name two options alike;
// --choice then refuses rather than pick one silently.
func TestAttackChoiceAmbiguousLabel(t *testing.T) {
	p := &election.Params{Options: []string{"Alice", "Bob", "Alice"}}
	_, err := parseVotes(p, []string{"Alice"}, "")
	require.ErrorContains(t, err, "several options")
	votes, err := parseVotes(p, []string{"Bob"}, "")
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1, 0}, votes)
	votes, err = parseVotes(p, nil, "0,0,1")
	require.NoError(t, err, "--votes still chooses the third")
	require.Equal(t, []uint64{0, 0, 1}, votes)
}

// runCommand runs one subcommand in this process.
func runCommand(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	c := root()
	var stdout, stderr bytes.Buffer
	c.SetOut(&stdout)
	c.SetErr(&stderr)
	c.SetArgs(args)
	err := c.ExecuteContext(t.Context())
	return stdout.String(), stderr.String(), err
}

// TestAttackOutputsTakenFirst: vote and tally refuse an output file that
// exists before any work. Found only after the box acknowledged the
// ballot, an existing --receipt failed a vote already cast, without its
// position, head or checked receipt; an existing --out threw away a proof.
func TestAttackOutputsTakenFirst(t *testing.T) {
	dir := t.TempDir()
	taken := filepath.Join(dir, "taken")
	require.NoError(t, os.WriteFile(taken, []byte("mine"), 0o600))
	missing := filepath.Join(dir, "missing")
	vote := []string{"vote", "--identity", missing, "--proof", missing, "--keys", dir,
		"--params", missing, "--choice", "yes", "--box", "http://127.0.0.1:1"}
	for name, args := range map[string][]string{
		"vote --receipt": append(vote, "--receipt", taken),
		"vote --out":     append(vote, "--out", taken),
		"tally --out":    {"tally", "--params", missing, "--keys", dir, "--log", dir, "--out", taken},
	} {
		_, _, err := runCommand(t, args...)
		require.ErrorContains(t, err, taken+": already exists", name)
		b, err := os.ReadFile(taken)
		require.NoError(t, err)
		require.Equal(t, "mine", string(b), name)
	}
}

// TestAttackVoteShowsUncheckedDigest: a voter given a parameters file and
// no digest is told the digest it votes under, before any proof.
func TestAttackVoteShowsUncheckedDigest(t *testing.T) {
	dir := t.TempDir()
	p := hostileParams(t)
	b, err := p.Encode()
	require.NoError(t, err)
	params := filepath.Join(dir, "election.params")
	require.NoError(t, os.WriteFile(params, b, 0o600))
	d, err := p.Digest()
	require.NoError(t, err)
	db := d.Bytes()
	missing := filepath.Join(dir, "missing")
	_, stderr, err := runCommand(t, "vote", "--identity", missing, "--proof", missing, "--keys", dir,
		"--params", params, "--votes", "1,0,0", "--out", filepath.Join(dir, "ballot"))
	require.Error(t, err, "no census proof")
	require.Contains(t, stderr, hex.EncodeToString(db[:]))
	require.Contains(t, stderr, "unchecked")

	_, stderr, err = runCommand(t, "vote", "--identity", missing, "--proof", missing, "--keys", dir,
		"--params", params, "--digest", hex.EncodeToString(db[:]), "--votes", "1,0,0", "--out", filepath.Join(dir, "ballot"))
	require.Error(t, err)
	require.NotContains(t, stderr, "unchecked", "checked against --digest")
}

// TestAttackSpecKeyFileRelative: a spec's box key file is found next to
// the spec, as its other paths are, not in the directory the organiser
// happens to run the command from, where another box's key may lie.
func TestAttackSpecKeyFileRelative(t *testing.T) {
	specDir, cwd := t.TempDir(), t.TempDir()
	_, real := testkeys.Key("vote.example.org")
	_, other := testkeys.Key("test.example.org")
	_, w := testkeys.Key("w1.example.net")
	require.NoError(t, os.WriteFile(filepath.Join(specDir, "box.vkey"), []byte(real+"\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(specDir, "w1.vkey"), []byte(w+"\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(cwd, "box.vkey"), []byte(other+"\n"), 0o600))
	spec := filepath.Join(specDir, "spec.json")
	require.NoError(t, os.WriteFile(spec, []byte(`{"box_key": "box.vkey", "witness_keys": ["w1.vkey", "`+w+`"]}`), 0o600))
	t.Chdir(cwd)
	s, err := readSpec(spec)
	require.NoError(t, err)
	got, err := logKey("box key", s.BoxKey)
	require.NoError(t, err)
	require.Equal(t, real, got)
	for i := range s.WitnessKeys {
		got, err := logKey("witness key", s.WitnessKeys[i])
		require.NoError(t, err)
		require.Equal(t, w, got, "witness key %d", i)
	}
}

// TestAttackShortBeacon: a beacon shorter than 32 bytes is refused as
// the message says, before any replay.
func TestAttackShortBeacon(t *testing.T) {
	for _, s := range []string{"00", strings.Repeat("ab", 31), strings.Repeat("ab", 31) + "a"} {
		_, err := parseBeacon(s)
		require.Error(t, err, s)
	}
	b, err := parseBeacon(strings.Repeat("ab", 32))
	require.NoError(t, err)
	require.Len(t, b, 32)
}

// TestAttackTranscriptHugeInitialState: an auditor replaying a published
// transcript reads no more of its initial state than the state it must
// equal, however large the file.
func TestAttackTranscriptHugeInitialState(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a small circuit")
	}
	dir := t.TempDir()
	s := statement.Membership(2)
	require.NoError(t, os.WriteFile(filepath.Join(dir, ceremonyStatementFile), []byte(s.Name()+"\n"), 0o600))
	require.NoError(t, os.MkdirAll(phaseDir(dir, 1), 0o700))
	f, err := os.Create(filepath.Join(phaseDir(dir, 1), initialStateFile))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(512<<20)) // sparse: no disk
	require.NoError(t, f.Close())
	tr, err := readTranscript(dir)
	require.NoError(t, err)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err = tr.replay(t.Context())
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(128<<20), "bytes allocated to refuse the transcript")
}

// TestAttackWriteNewWhole: a file the commands write (a sealed key, a
// census proof, parameters, a decryption share) appears whole or not at
// all: a reader, or a crash, never meets half of it. An existing file,
// or a link planted in its place, is never replaced or followed.
func TestAttackWriteNewWhole(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("zkvote"), 16<<20/6)
	path := filepath.Join(dir, "share")
	done := make(chan struct{})
	seen := make(chan int64, 1)
	go func() {
		defer close(seen)
		for {
			select {
			case <-done:
				return
			default:
			}
			if st, err := os.Stat(path); err == nil && st.Size() != int64(len(data)) {
				seen <- st.Size()
				return
			}
		}
	}()
	require.NoError(t, writeNew(path, data))
	close(done)
	if n, ok := <-seen; ok {
		t.Fatalf("a reader saw %d of the %d bytes", n, len(data))
	}
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	err = writeNew(path, []byte("other"))
	require.ErrorContains(t, err, path+": already exists")
	target := filepath.Join(dir, "target")
	require.NoError(t, os.Symlink(target, filepath.Join(dir, "link")))
	require.ErrorContains(t, writeNew(filepath.Join(dir, "link"), []byte("x")), "already exists")
	require.NoFileExists(t, target)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "no temporary file left behind")
}

// notWithin fails if fn does not return within a few seconds.
func notWithin(t *testing.T, name string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still reading a FIFO after 5 s", name)
		return nil
	}
}

// TestAttackFIFOInDirectory: a key directory or a ceremony transcript
// handed over by someone else (a tarball can hold a FIFO) cannot hang the
// command that reads the files it finds there.
func TestAttackFIFOInDirectory(t *testing.T) {
	keys := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(keys, "a.vk"), 0o600))
	err := notWithin(t, "findVerifyingKey", func() error {
		_, _, err := findVerifyingKey(keys, election.KeyPin{Backend: verifier.Groth16, ID: [32]byte{1}})
		return err
	})
	require.ErrorIs(t, err, election.ErrKeyMismatch)
	err = notWithin(t, "keysInDir", func() error { _, err := keysInDir(keys); return err })
	require.ErrorContains(t, err, "not a regular file")
	err = notWithin(t, "refuseExistingKeys", func() error { return refuseExistingKeys(keys, []statement.Statement{statement.Membership(2)}) })
	require.NoError(t, err)

	for _, name := range []string{ceremonyStatementFile, filepath.Join("phase1", beaconFile), filepath.Join("phase1", "0001.contribution")} {
		dir := t.TempDir()
		require.NoError(t, os.MkdirAll(phaseDir(dir, 1), 0o700))
		if name != ceremonyStatementFile {
			require.NoError(t, os.WriteFile(filepath.Join(dir, ceremonyStatementFile), []byte(statement.Membership(2).Name()+"\n"), 0o600))
		}
		require.NoError(t, syscall.Mkfifo(filepath.Join(dir, name), 0o600))
		err := notWithin(t, name, func() error { _, err := readTranscript(dir); return err })
		require.ErrorContains(t, err, "not a regular file", name)
	}
}

// TestAttackProofUnderEarlierHead: a ballot shows its census root, so a
// registrar who hands each citizen a proof under a different one of the
// election's heads can tell their ballots apart. vote says so when the
// proof is not under the election's last head.
func TestAttackProofUnderEarlierHead(t *testing.T) {
	dir := t.TempDir()
	tree := membership.NewTree(nil)
	cs := membershiptest.Commitments(0, 2)
	var heads []membership.Head
	var proofs []string
	for i, c := range cs {
		_, err := tree.Insert(c)
		require.NoError(t, err)
		heads = append(heads, tree.Head())
		pr, err := tree.Proof(0)
		require.NoError(t, err)
		proofs = append(proofs, filepath.Join(dir, fmt.Sprintf("%d.proof", i)))
		require.NoError(t, os.WriteFile(proofs[i], pr.Bytes(), 0o600))
	}
	p := hostileParams(t)
	p.Census = heads
	b, err := p.Encode()
	require.NoError(t, err)
	params := filepath.Join(dir, "election.params")
	require.NoError(t, os.WriteFile(params, b, 0o600))
	missing := filepath.Join(dir, "missing")
	for i, proof := range proofs {
		_, stderr, err := runCommand(t, "vote", "--identity", missing, "--proof", proof, "--keys", dir,
			"--params", params, "--votes", "1,0,0", "--out", filepath.Join(dir, "ballot"))
		require.ErrorContains(t, err, missing, "stops at the identity")
		if i == 0 {
			require.Contains(t, stderr, "earlier head")
		} else {
			require.NotContains(t, stderr, "earlier head")
		}
	}
}
