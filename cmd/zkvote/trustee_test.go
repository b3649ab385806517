package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"
	"k8s.io/klog/v2"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
)

// trusteeRun drives the built binary in a directory, with passphrases on
// file descriptor 3.
type trusteeRun struct {
	t   *testing.T
	bin string
	dir string
}

// path returns a file name in the run's directory.
func (r *trusteeRun) path(name string) string { return filepath.Join(r.dir, name) }

// exec runs the binary with args; a non-empty pass is written to
// descriptor 3, for --passphrase-fd 3.
func (r *trusteeRun) exec(pass string, args ...string) (stdout, stderr string, code int) {
	r.t.Helper()
	cmd := exec.Command(r.bin, args...)
	cmd.Dir = r.dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if pass != "" {
		pr, pw, err := os.Pipe()
		require.NoError(r.t, err)
		_, err = pw.WriteString(pass + "\n")
		require.NoError(r.t, err)
		pw.Close()
		defer pr.Close()
		cmd.ExtraFiles = []*os.File{pr}
	}
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	}
	require.NoError(r.t, err)
	return out.String(), errOut.String(), 0
}

// ok runs the binary and requires success; it returns stdout.
func (r *trusteeRun) ok(pass string, args ...string) string {
	r.t.Helper()
	out, errOut, code := r.exec(pass, args...)
	require.Equal(r.t, 0, code, "zkvote %s: %s", strings.Join(args, " "), errOut)
	return out
}

// fails runs the binary and requires exit status 1, a message on stderr
// containing want, nothing on stdout, and the output file out as it was
// before (absent, or with the same bytes).
func (r *trusteeRun) fails(pass, out, want string, args ...string) {
	r.t.Helper()
	before, beforeErr := os.ReadFile(r.path(out))
	stdout, stderr, code := r.exec(pass, args...)
	require.Equal(r.t, 1, code, "zkvote %s: want exit 1; stdout %s", strings.Join(args, " "), stdout)
	require.Contains(r.t, stderr, want, "zkvote %s", strings.Join(args, " "))
	require.Empty(r.t, stdout)
	after, afterErr := os.ReadFile(r.path(out))
	if beforeErr != nil {
		require.ErrorIs(r.t, afterErr, os.ErrNotExist, "a failed command left %s", out)
	} else {
		require.NoError(r.t, afterErr)
		require.Equal(r.t, before, after, "a failed command changed %s", out)
	}
}

// read returns a file of the run's directory.
func (r *trusteeRun) read(name string) []byte {
	b, err := os.ReadFile(r.path(name))
	require.NoError(r.t, err)
	return b
}

// repeatFlag returns --flag v for each value.
func repeatFlag(flag string, values ...string) []string {
	var out []string
	for _, v := range values {
		out = append(out, "--"+flag, v)
	}
	return out
}

// joinArgs concatenates argument lists.
func joinArgs(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestTrusteeCommand runs a whole 2-of-3 key generation through the
// built binary, with a cheating dealer that is caught and disqualified,
// and the refusals a trustee meets (wrong passphrase, a deal of another
// setup, an existing file, a key that is not the deals'); then a secret
// election over the key, whose sum two trustees decrypt with the binary
// and the audit turns into the right totals.
func TestTrusteeCommand(t *testing.T) {
	bin := buildZkvote(t)
	r := &trusteeRun{t: t, bin: bin, dir: t.TempDir()}
	// The secret election's vote keys are made while the trustees work.
	const depth, options = 2, 2
	type keysResult struct {
		keys *prover.Keys
		err  error
		took time.Duration
	}
	keysDone := make(chan keysResult, 1)
	go func() {
		start := time.Now()
		k, err := prover.SetupInsecure(context.Background(), statement.SecretVote(depth, options, 2))
		keysDone <- keysResult{k, err, time.Since(start)}
	}()
	dkgStart := time.Now()
	fd := []string{"--passphrase-fd", "3"}
	named := func(prefix string, i int, suffix string) string { return fmt.Sprintf("%s-%d%s", prefix, i, suffix) }
	keyFile := func(i int) string { return named("trustee", i, ".key") }
	deal := func(i int) string { return named("deal", i, "") }
	complaints := func(i int) string { return named("complaints", i, "") }
	share := func(i int) string { return named("share", i, "") }
	decryption := func(i int) string { return named("decryption", i, "") }
	pass := func(i int) string { return named("passphrase of trustee", i, "") }

	// Every subcommand has an example.
	for _, sub := range []string{"keygen", "setup", "show-setup", "deal", "check", "finish", "share", "head", "decrypt"} {
		out := r.ok("", "trustee", sub, "-h")
		require.Contains(t, out, "Examples:", sub)
	}

	// Key generation: three long-term keys, sealed.
	var pubs []string
	for i := 1; i <= 3; i++ {
		out := r.ok(pass(i), joinArgs([]string{"trustee", "keygen", "--out", keyFile(i), "--json"}, fd)...)
		var o struct {
			PublicKey string `json:"public_key"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &o))
		require.Len(t, o.PublicKey, 64)
		pubs = append(pubs, o.PublicKey)
		st, err := os.Stat(r.path(keyFile(i)))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "a long-term key is its owner's alone")
		require.Len(t, r.read(keyFile(i)), trustee.LongTermKeyFileSize)
	}
	r.fails(pass(1), keyFile(1), "exists", joinArgs([]string{"trustee", "keygen", "--out", keyFile(1)}, fd)...)

	setupArgs := func(out, context string) []string {
		args := []string{"trustee", "setup", "--threshold", "2", "--context", context, "--out", out, "--json"}
		for _, p := range pubs {
			args = append(args, "--trustee", p)
		}
		return args
	}
	var setup struct {
		Threshold   int      `json:"threshold"`
		Trustees    []string `json:"trustees"`
		Context     string   `json:"context"`
		Fingerprint string   `json:"fingerprint"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.ok("", setupArgs("setup", "council election 2026")...)), &setup))
	require.Equal(t, pubs, setup.Trustees)
	shown := r.ok("", "trustee", "show-setup", "--setup", "setup")
	require.Contains(t, shown, "fingerprint "+setup.Fingerprint)
	require.Contains(t, shown, "threshold 2 of 3")
	r.fails("", "setup-bad", "threshold", "trustee", "setup", "--threshold", "4", "--trustee", pubs[0], "--context", "x", "--out", "setup-bad")
	r.fails("", "setup-bad", "--trustee 2", "trustee", "setup", "--threshold", "1", "--trustee", pubs[0], "--trustee", "beef", "--context", "x", "--out", "setup-bad")
	r.fails("", "setup-bad", "repeated", "trustee", "setup", "--threshold", "1", "--trustee", pubs[0], "--trustee", pubs[0], "--context", "x", "--out", "setup-bad")
	r.fails("", "setup-bad", "context", "trustee", "setup", "--threshold", "1", "--trustee", pubs[0], "--context", " ", "--out", "setup-bad")

	// Round 1: deals. A wrong passphrase and a key outside the setup are
	// refused.
	r.fails("wrong", "deal-1", "wrong passphrase", joinArgs([]string{"trustee", "deal", "--key", keyFile(1), "--setup", "setup", "--out", "deal-1"}, fd)...)
	for i := 1; i <= 3; i++ {
		out := r.ok(pass(i), joinArgs([]string{"trustee", "deal", "--key", keyFile(i), "--setup", "setup", "--out", deal(i)}, fd)...)
		require.Contains(t, out, "deal of trustee "+strconv.Itoa(i))
	}
	r.fails(pass(1), deal(1), "exists", joinArgs([]string{"trustee", "deal", "--key", keyFile(1), "--setup", "setup", "--out", deal(1)}, fd)...)
	r.ok(pass(4), joinArgs([]string{"trustee", "keygen", "--out", keyFile(4)}, fd)...)
	r.fails(pass(4), "deal-4", "not one of the setup's trustees", joinArgs([]string{"trustee", "deal", "--key", keyFile(4), "--setup", "setup", "--out", "deal-4"}, fd)...)

	// Trustee 3 cheats: it alters the share it sealed to trustee 1 and
	// signs its deal again.
	lt3, err := trustee.DecryptLongTermKey(r.read(keyFile(3)), []byte(pass(3)))
	require.NoError(t, err)
	s, err := trustee.ParseSetup(r.read("setup"))
	require.NoError(t, err)
	d3, err := trustee.ParseDeal(r.read(deal(3)))
	require.NoError(t, err)
	d3.Shares[0][0] ^= 1
	require.NoError(t, lt3.Sign(s, d3, nil))
	require.NoError(t, os.Remove(r.path(deal(3))))
	require.NoError(t, os.WriteFile(r.path(deal(3)), d3.Bytes(), 0o600))

	// A deal of another key generation (same trustees, another context).
	r.ok("", setupArgs("setup-other", "another election")...)
	r.ok(pass(2), joinArgs([]string{"trustee", "deal", "--key", keyFile(2), "--setup", "setup-other", "--out", "deal-other"}, fd)...)

	// Round 2: checks. Trustee 1 complains about trustee 3; a deal of
	// another setup stops the check.
	allDeals := repeatFlag("deal", deal(1), deal(2), deal(3))
	r.fails(pass(1), complaints(1), "another key generation",
		joinArgs([]string{"trustee", "check", "--key", keyFile(1), "--setup", "setup", "--out", complaints(1)}, allDeals, repeatFlag("deal", "deal-other"), fd)...)
	r.fails("wrong", complaints(1), "wrong passphrase",
		joinArgs([]string{"trustee", "check", "--key", keyFile(1), "--setup", "setup", "--out", complaints(1)}, allDeals, fd)...)
	for i := 1; i <= 3; i++ {
		var o checkOutput
		given := allDeals
		if i == 1 {
			// The bad deal given twice: one complaint.
			require.NoError(t, os.WriteFile(r.path("deal-3-copy"), r.read(deal(3)), 0o600))
			given = joinArgs(allDeals, repeatFlag("deal", "deal-3-copy"))
		}
		out := r.ok(pass(i), joinArgs([]string{"trustee", "check", "--key", keyFile(i), "--setup", "setup", "--out", complaints(i), "--json"}, given, fd)...)
		require.NoError(t, json.Unmarshal([]byte(out), &o))
		require.Equal(t, i, o.Trustee)
		require.Empty(t, o.Missing)
		if i == 1 {
			require.Equal(t, []int{3}, o.Complaints)
		} else {
			require.Empty(t, o.Complaints, "trustee %d", i)
		}
		l, err := trustee.ParseComplaintList(r.read(complaints(i)))
		require.NoError(t, err)
		require.Len(t, l.Complaints, len(o.Complaints))
	}

	// A dealer with two deals is named.
	r.ok(pass(3), joinArgs([]string{"trustee", "deal", "--key", keyFile(3), "--setup", "setup", "--out", "deal-3-again"}, fd)...)
	var equiv checkOutput
	out := r.ok(pass(2), joinArgs([]string{"trustee", "check", "--key", keyFile(2), "--setup", "setup", "--out", "complaints-2-again", "--json"}, allDeals, repeatFlag("deal", "deal-3-again"), fd)...)
	require.NoError(t, json.Unmarshal([]byte(out), &equiv))
	require.Equal(t, []int{3}, equiv.Equivocated)

	// Finish: dealer 3 is disqualified; a foreign deal is ignored, with the
	// reason, and changes nothing.
	allComplaints := repeatFlag("complaint", complaints(1), complaints(2), complaints(3))
	var fin finishOutput
	out = r.ok("", joinArgs([]string{"trustee", "finish", "--setup", "setup", "--out", "election.key", "--json"}, allDeals, allComplaints)...)
	require.NoError(t, json.Unmarshal([]byte(out), &fin))
	require.Equal(t, []int{1, 2}, fin.Qualified)
	require.Equal(t, []int{3}, fin.Disqualified)
	require.Equal(t, []int{1, 2, 3}, fin.Complainers)
	require.Len(t, fin.Verification, 3)
	keyBytes := r.read("election.key")
	key, err := trustee.ParseElectionKey(keyBytes)
	require.NoError(t, err)
	require.Equal(t, fin.ElectionKey, pointHex(key.PublicKey))
	_, stderr, code := r.exec("", joinArgs([]string{"trustee", "finish", "--setup", "setup", "--out", "election-again.key"}, allDeals, repeatFlag("deal", "deal-other"), allComplaints)...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "ignored:")
	require.Equal(t, keyBytes, r.read("election-again.key"), "anyone finishing gets the same key")
	r.fails("", "election.key", "exists", joinArgs([]string{"trustee", "finish", "--setup", "setup", "--out", "election.key"}, allDeals, allComplaints)...)
	// Without the complaints, the cheater stays in: that key's share does
	// not open for its victim.
	r.ok("", joinArgs([]string{"trustee", "finish", "--setup", "setup", "--out", "uncomplained.key"}, allDeals)...)
	r.fails(pass(1), share(1), "qualified dealer 3",
		joinArgs([]string{"trustee", "share", "--key", keyFile(1), "--setup", "setup", "--election-key", "uncomplained.key", "--out", share(1)}, allDeals, fd)...)

	// Shares: each trustee, the disqualified dealer too. An election key
	// that is not the deals' is refused.
	r.fails(pass(2), share(2), "not the election key",
		joinArgs([]string{"trustee", "share", "--key", keyFile(2), "--setup", "setup", "--election-key", "uncomplained.key", "--out", share(2)}, allDeals, allComplaints, fd)...)
	for i := 1; i <= 3; i++ {
		r.ok(pass(i), joinArgs([]string{"trustee", "share", "--key", keyFile(i), "--setup", "setup", "--election-key", "election.key", "--out", share(i)}, allDeals, allComplaints, fd)...)
		st, err := os.Stat(r.path(share(i)))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		ks, err := trustee.DecryptKeyShare(r.read(share(i)), []byte(pass(i)))
		require.NoError(t, err, "the share is sealed under the long-term key's passphrase")
		require.Equal(t, i, ks.Index)
		require.True(t, ks.VerificationShare().Equal(key.Verification[i]))
	}

	// A secret election over the key; the box is the library's. Tessera,
	// which keeps its log, reports through klog.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
	t.Logf("key generation through the binary: %v", time.Since(dkgStart).Round(time.Millisecond))
	ctx := context.Background()
	kr := <-keysDone
	require.NoError(t, kr.err)
	voteKeys := kr.keys
	t.Logf("vote keys: %v", kr.took.Round(time.Millisecond))
	electionStart := time.Now()
	keyDir := r.path("keys")
	require.NoError(t, voteKeys.WriteFiles(keyDir))
	tree := membership.NewTree(nil)
	_, err = tree.InsertMany(ctx, membershiptest.Commitments(0, 3))
	require.NoError(t, err)
	mode, err := election.NewSecretMode(key, 2)
	require.NoError(t, err)
	boxSKey, boxVKey := testkeys.Key("zkvote.test/trustee-box")
	var deployment, id fr.Element
	deployment.SetUint64(7)
	id.SetUint64(1)
	p := &election.Params{DeploymentID: deployment, ElectionID: id, Question: "Who chairs the council?",
		Options: []string{"Ada", "Grace"}, Census: []membership.Head{tree.Head()}, Rules: election.SingleChoice(),
		Depth: depth, MaxOptions: options, VoteKey: election.PinKey(voteKeys.VerifyingKey()), Secret: mode,
		Log: election.LogKeys{Box: boxVKey}}
	enc, err := p.Encode()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(r.path("election.params"), enc, 0o600))
	boxDir := r.path("box")
	box, err := election.OpenBox(ctx, boxDir, p, voteKeys.VerifyingKey(), election.BoxOptions{Key: boxSKey, CheckpointInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { box.Close() })
	for i, choice := range []int{0, 1, 1} {
		path, err := tree.Proof(uint64(i))
		require.NoError(t, err)
		votes := make([]uint64, options)
		votes[choice] = 1
		b, err := prover.CastSecret(ctx, voteKeys, p, membershiptest.Identity(uint64(i)), path, votes, 1, nil)
		require.NoError(t, err)
		_, err = box.Submit(ctx, b.Bytes())
		require.NoError(t, err)
	}
	logDir := filepath.Join(boxDir, "log")
	decryptArgs := func(i int, head, out string) []string {
		return joinArgs([]string{"trustee", "decrypt", "--share", share(i), "--params", "election.params", "--keys", keyDir,
			"--log", logDir, "--head", head, "--journal", "journal-" + strconv.Itoa(i), "--out", out}, fd)
	}
	// Before the end, a trustee refuses.
	awaitEntries(t, box, 4)
	open := box.Results()
	r.fails(pass(1), decryption(1), "no close entry", decryptArgs(1, headHex(open.Head), decryption(1))...)

	require.NoError(t, box.End())
	awaitEntries(t, box, 5)
	res := box.Results()
	head := headHex(res.Head)
	var shown2 logHeadOutput
	require.NoError(t, json.Unmarshal([]byte(r.ok("", "trustee", "head", "--params", "election.params", "--keys", keyDir, "--log", logDir, "--json")), &shown2))
	require.Equal(t, logHeadOutput{Head: head, Closed: true, Ballots: 3, Voters: 3}, shown2)

	// Another head (a log the trustee was not told of), a wrong
	// passphrase, a bad head: refused, and nothing journalled.
	r.fails(pass(1), decryption(1), "chain head", decryptArgs(1, strings.Repeat("0", 64), decryption(1))...)
	r.fails("wrong", decryption(1), "wrong passphrase", decryptArgs(1, head, decryption(1))...)
	r.fails(pass(1), decryption(1), "--head", decryptArgs(1, strings.Repeat("f", 64), decryption(1))...)
	for _, i := range []int{1, 3} {
		out := r.ok(pass(i), decryptArgs(i, head, decryption(i))...)
		require.Contains(t, out, "decryption share of trustee")
	}
	r.fails(pass(1), decryption(1), "exists", decryptArgs(1, head, decryption(1))...)

	// The lead's tally: the shares through readDecryptionShares, audited.
	shares, err := readDecryptionShares([]string{r.path(decryption(1)), r.path(decryption(3))})
	require.NoError(t, err)
	got, err := election.AuditSecretLog(ctx, p, voteKeys.VerifyingKey(), election.LogDir(logDir), shares)
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2}, got.Totals)
	require.Equal(t, []int{1, 3}, got.Decryption.Used)
	require.Empty(t, got.Decryption.Refused)
	_, err = readDecryptionShares(make([]string, trustee.MaxTrustees+1))
	require.Error(t, err)
	t.Logf("secret election: %v", time.Since(electionStart).Round(time.Millisecond))
}

// awaitEntries waits until the box has published a checkpoint of at least
// n entries.
func awaitEntries(t *testing.T, box *election.Box, n uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		cp, size, err := box.Checkpoint(ctx)
		require.NoError(t, err)
		if cp != nil && size >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no checkpoint of %d entries (the latest holds %d)", n, size)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
