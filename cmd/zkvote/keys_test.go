package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// runZkvote runs the built binary and returns stdout, stderr and the error.
func runZkvote(bin string, args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// requireRefused checks a failed run: exit status 1, a message on stderr
// containing say, nothing on stdout.
func requireRefused(t *testing.T, name, say, stdout, stderr string, err error) {
	t.Helper()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, name)
	require.Equal(t, 1, ee.ExitCode(), name)
	require.Contains(t, stderr, say, name)
	require.Empty(t, stdout, name)
}

// TestKeysSetupCommand: development keys for the vote and tally statements
// are written where --dir says, load as the statement's keys with the IDs
// --json printed; setup refuses without --dev (saying why), refuses bad
// sizes and mixed flags, and never replaces keys already in the directory.
func TestKeysSetupCommand(t *testing.T) {
	bin := buildZkvote(t)
	dir := filepath.Join(t.TempDir(), "keys")
	for name, c := range map[string]struct {
		args []string
		say  string
	}{
		"no --dev":          {[]string{"--dir", dir}, "ceremony"},
		"depth 0":           {[]string{"--dev", "--dir", dir, "--depth", "0"}, "depth"},
		"too many options":  {[]string{"--dev", "--dir", dir, "--options", "1000"}, "options"},
		"batch with secret": {[]string{"--dev", "--dir", dir, "--secret", "--batch", "4"}, "no tally keys"},
		"pack without":      {[]string{"--dev", "--dir", dir, "--pack", "1"}, "--pack"},
		"no dir":            {[]string{"--dev"}, "dir"},
	} {
		out, stderr, err := runZkvote(bin, append([]string{"keys", "setup"}, c.args...)...)
		requireRefused(t, name, c.say, out, stderr, err)
		require.NoDirExists(t, dir, name)
	}

	out, stderr, err := runZkvote(bin, "keys", "setup", "--dev", "--dir", dir, "--depth", "2", "--options", "2", "--batch", "2", "--json")
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "forge", "a warning that the keys are insecure")
	var got struct {
		Dir  string      `json:"dir"`
		Keys []keyOutput `json:"keys"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	require.Equal(t, dir, got.Dir)
	require.Len(t, got.Keys, 2)
	ctx := context.Background()
	for i, s := range []statement.Statement{statement.Vote(2, 2), statement.Tally(2, 2)} {
		require.Equal(t, s.Name(), got.Keys[i].Statement)
		require.Equal(t, "groth16", got.Keys[i].Backend)
		k, err := prover.Load(ctx, dir, s, verifier.Groth16, prover.Checked)
		require.NoError(t, err, s.Name())
		id := k.VerifyingKey().ID()
		require.Equal(t, hex.EncodeToString(id[:]), got.Keys[i].ID)
	}
	before, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, before, 6, "three files per statement and nothing else")

	out, stderr, err = runZkvote(bin, "keys", "setup", "--dev", "--dir", dir, "--depth", "2", "--options", "2", "--batch", "2")
	requireRefused(t, "again", "already holds", out, stderr, err)
	after, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Equal(t, len(before), len(after))

	for _, sub := range []string{"setup", "ceremony init", "ceremony state", "ceremony contribute", "ceremony verify", "ceremony seal"} {
		out, _, err := runZkvote(bin, append(append([]string{"keys"}, strings.Fields(sub)...), "-h")...)
		require.NoError(t, err)
		require.Contains(t, out, "Examples:", sub)
	}
}

// TestKeysCeremonyCommand runs a whole ceremony through the built binary at
// the smallest statement (membership, depth 1): one contribution in each
// phase; the refusals (a stale contribution made elsewhere from an
// exported state, a replayed, a tampered and a truncated one, each not
// appended; a state for another statement; sealing before any
// contribution, phase 2 before phase 1, a reused beacon, a sealed
// ceremony); the auditor's replay gives the sealed keys' verifying-key ID;
// the keys load and prove; a damaged transcript fails the replay.
//
// Every command that rebuilds the ceremony in phase 2 seals phase 1 again
// (several seconds at any size), so the refusals are tested in phase 1,
// and the auditor's replay runs beside the coordinator's seal.
func TestKeysCeremonyCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("a ceremony replays phase 1's seal on every phase-2 command")
	}
	bin := buildZkvote(t)
	tmp := t.TempDir()
	cer := filepath.Join(tmp, "cer")
	file := func(name string) string { return filepath.Join(tmp, name) }
	run := func(args ...string) string {
		t.Helper()
		out, stderr, err := runZkvote(bin, append([]string{"keys", "ceremony"}, args...)...)
		require.NoError(t, err, "%v: %s", args, stderr)
		return out
	}
	refused := func(name, say string, args ...string) {
		t.Helper()
		out, stderr, err := runZkvote(bin, append([]string{"keys", "ceremony"}, args...)...)
		requireRefused(t, name, say, out, stderr, err)
	}
	listing := func() []string {
		var names []string
		require.NoError(t, filepath.WalkDir(cer, func(p string, _ os.DirEntry, err error) error {
			names = append(names, strings.TrimPrefix(p, cer))
			return err
		}))
		return names
	}
	beacon1, beacon2 := strings.Repeat("a1", 32), strings.Repeat("b2", 32)
	stmt := []string{"--statement", "membership", "--depth", "1"}

	refused("unknown statement", "--statement", "init", "--dir", cer, "--statement", "ballot")
	out := run(append([]string{"init", "--dir", cer}, stmt...)...)
	require.Contains(t, out, "membership/v3/depth=1")
	refused("init again", "not empty", append([]string{"init", "--dir", cer}, stmt...)...)
	refused("seal phase 1 without contributions", "no accepted contribution", "seal", "--dir", cer, "--phase", "1", "--beacon", beacon1)
	refused("seal phase 2 first", "phase 1 is still open", "seal", "--dir", cer, "--beacon", beacon2, "--out", file("keys"))

	// Alice contributes on the coordinator's machine; Bob, elsewhere, from
	// the exported initial state, naming the statement he agreed to. Bob's
	// contribution arrives after Alice's was accepted: it is stale.
	run("state", "--dir", cer, "--out", file("state-bob"))
	run("contribute", "--dir", cer, "--out", file("alice"))
	out = run("verify", "--dir", cer, "--contribution", file("alice"))
	require.Contains(t, out, "accepted "+filepath.Join(cer, "phase1", "0001.contribution"))
	refused("another statement", "", "contribute", "--state", file("state-bob"), "--statement", "membership", "--depth", "2", "--out", file("x"))
	require.NoFileExists(t, file("x"))
	out = run(append([]string{"contribute", "--state", file("state-bob"), "--out", file("bob")}, stmt...)...)
	bob, err := os.ReadFile(file("bob"))
	require.NoError(t, err)
	require.Contains(t, out, "sha256 "+sha256Hex(bob))
	alice, err := os.ReadFile(file("alice"))
	require.NoError(t, err)
	aliceSum := sha256Hex(alice)

	// Bob's stale contribution, Alice's again, hers with one byte changed
	// and cut short: each refused, none appended.
	snapshot := listing()
	tampered := bytes.Clone(alice)
	tampered[len(tampered)/2] ^= 1
	require.NoError(t, os.WriteFile(file("tampered"), tampered, 0o600))
	require.NoError(t, os.WriteFile(file("truncated"), alice[:len(alice)-1], 0o600))
	refused("stale", "not appended", "verify", "--dir", cer, "--contribution", file("bob"))
	refused("replayed", "not appended", "verify", "--dir", cer, "--contribution", file("alice"))
	refused("tampered", "not appended", "verify", "--dir", cer, "--contribution", file("tampered"))
	refused("truncated", "not appended", "verify", "--dir", cer, "--contribution", file("truncated"))
	require.Equal(t, snapshot, listing(), "no refused contribution was appended")

	run("seal", "--dir", cer, "--phase", "1", "--beacon", beacon1)
	refused("seal phase 1 twice", "already sealed", "seal", "--dir", cer, "--phase", "1", "--beacon", beacon1)
	refused("phase 2 without contributions", "no accepted contribution", "seal", "--dir", cer, "--beacon", beacon2, "--out", file("keys"))
	run("contribute", "--dir", cer, "--out", file("carol")) // phase 2's initial state, no replay
	run("verify", "--dir", cer, "--contribution", file("carol"))
	refused("the phase-1 beacon again", "beacon", "seal", "--dir", cer, "--beacon", beacon1, "--out", file("keys"))
	require.NoDirExists(t, file("keys"))

	// The coordinator seals while an auditor, holding the published
	// transcript with the second beacon, replays it: both get one key.
	published := filepath.Join(tmp, "published")
	require.NoError(t, os.CopyFS(published, os.DirFS(cer)))
	require.NoError(t, os.WriteFile(filepath.Join(published, "phase2", "beacon"), []byte(beacon2+"\n"), 0o600))
	type result struct {
		out, stderr string
		err         error
	}
	auditDone := make(chan result, 1)
	go func() {
		out, stderr, err := runZkvote(bin, "keys", "ceremony", "verify", "--dir", published, "--json")
		auditDone <- result{out, stderr, err}
	}()
	out = run("seal", "--dir", cer, "--beacon", beacon2, "--out", file("keys"), "--json")
	var sealed struct{ Keys []keyOutput }
	require.NoError(t, json.Unmarshal([]byte(out), &sealed), out)
	require.Len(t, sealed.Keys, 1)
	a := <-auditDone
	require.NoError(t, a.err, a.stderr)
	var audit ceremonyOutput
	require.NoError(t, json.Unmarshal([]byte(a.out), &audit), a.out)
	require.Equal(t, 0, audit.Phase)
	require.NotNil(t, audit.VerifyingKey)
	require.Equal(t, sealed.Keys[0], *audit.VerifyingKey, "the replay gives the sealed key")
	require.Equal(t, []string{aliceSum}, audit.Phases[0].Contributions, "Alice finds her contribution in the transcript")
	require.Len(t, audit.Phases[1].Contributions, 1)
	require.Equal(t, beacon1, audit.Phases[0].Beacon)
	require.Equal(t, beacon2, audit.Phases[1].Beacon)
	b2, err := os.ReadFile(filepath.Join(cer, "phase2", "beacon"))
	require.NoError(t, err)
	require.Equal(t, beacon2+"\n", string(b2), "the seal published its beacon")
	refused("sealed", "sealed", "verify", "--dir", cer, "--contribution", file("carol"))

	// The keys load (every point checked) and prove membership.
	ctx := context.Background()
	k, err := prover.Load(ctx, file("keys"), statement.Membership(1), verifier.Groth16, prover.Checked)
	require.NoError(t, err)
	id := k.VerifyingKey().ID()
	require.Equal(t, sealed.Keys[0].ID, hex.EncodeToString(id[:]))
	tr := membership.NewTree(nil)
	_, err = tr.InsertMany(ctx, membershiptest.Commitments(0, 2))
	require.NoError(t, err)
	p, err := tr.Proof(1)
	require.NoError(t, err)
	var scope, msg fr.Element
	scope.SetUint64(3)
	msg.SetUint64(4)
	w, err := prover.NewMembershipWitness(membershiptest.Identity(1), p, scope, msg)
	require.NoError(t, err)
	proof, err := k.Prove(ctx, w)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(k.VerifyingKey(), proof))

	// A damaged transcript is refused by the replay.
	f := filepath.Join(cer, "phase1", "0001.contribution")
	b, err := os.ReadFile(f)
	require.NoError(t, err)
	b[len(b)/2] ^= 1
	require.NoError(t, os.WriteFile(f, b, 0o600))
	refused("damaged transcript", "phase 1 contribution 1", "verify", "--dir", cer)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
