package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// TestAttackVoteHostileBox: "zkvote vote" against a box that takes the
// ballot and then withholds the log's proof, answers busy, or answers with
// the receipt of another ballot. The command never panics (a withheld
// proof once dereferenced a nil receipt, losing the position the voter
// needs), asks again while the box says "timeout" or "busy", names the
// position it was accepted at, and does not print another ballot's
// receipt as its own.
func TestAttackVoteHostileBox(t *testing.T) {
	bin := buildZkvote(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	path := func(name string) string { return filepath.Join(dir, name) }
	e := newCmdElection(t, dir, "vote.example.org/hostile")
	p, keys, keyDir, skey := e.params, e.keys, e.keyDir, e.skey

	box, err := election.OpenBox(ctx, path("box"), p, keys.VerifyingKey(),
		election.BoxOptions{Key: skey, CheckpointInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	defer box.Close()
	h, err := httpbox.NewHandler(box, p, nil)
	require.NoError(t, err)

	// The hostile box: the real handler, but for receipts and submissions
	// what the test's mode says.
	var mode atomic.Value
	var receipts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/receipts" && mode.Load() == "timeout":
			receipts.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusGatewayTimeout)
			io.WriteString(w, `{"error":"no checkpoint yet","code":"timeout"}`)
		case r.URL.Path == "/v1/receipts" && mode.Load() == "busy" && receipts.Add(1) <= 2:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"busy","code":"busy"}`)
		case r.URL.Path == "/v1/ballots" && mode.Load() == "other":
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			got, err := election.ParseReceipt(rec.Body.Bytes())
			if err != nil {
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
				return
			}
			got.Nullifier = membershiptest.Identity(3).VoteNullifier(p.Scope()) // another citizen's
			w.Write(got.Bytes())
		default:
			h.ServeHTTP(w, r)
		}
	}))
	defer srv.Close()

	vote := func(i int, extra ...string) (string, string, error) {
		args := append([]string{"vote", "--identity", path(strconv.Itoa(i) + ".zkid"), "--proof", path(strconv.Itoa(i) + ".proof"),
			"--params", path("election.params"), "--keys", keyDir, "--trusted-keys", "--choice", "yes",
			"--box", srv.URL, "--passphrase-fd", "3"}, extra...)
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		r, w, err := os.Pipe()
		require.NoError(t, err)
		go func() { w.Write([]byte("pass\n")); w.Close() }()
		defer r.Close()
		cmd.ExtraFiles = []*os.File{r}
		err = cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	exitCode := func(err error) int {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return -1
	}

	// The log's proof withheld: a clean error naming the position, after
	// asking more than once; no receipt file.
	mode.Store("timeout")
	stdout, stderr, err := vote(0, "--receipt", path("0.receipt"))
	require.Error(t, err)
	require.NotContains(t, stderr, "panic", "a withheld log proof must not crash the command")
	require.Equal(t, 1, exitCode(err), stderr)
	require.Contains(t, stderr, "accepted at position 0", stderr)
	require.Greater(t, receipts.Load(), int64(1), "a timeout is asked about again")
	require.Empty(t, stdout)
	_, err = os.Stat(path("0.receipt"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Equal(t, uint64(1), box.Results().Ballots)

	// Busy twice, then the proof: the vote goes through with its checked
	// receipt.
	mode.Store("busy")
	receipts.Store(0)
	stdout, stderr, err = vote(1, "--receipt", path("1.receipt"))
	require.NoError(t, err, stderr)
	require.Contains(t, stdout, "log proof checked true")
	rb, err := os.ReadFile(path("1.receipt"))
	require.NoError(t, err)
	rec, err := election.ParseReceipt(rb)
	require.NoError(t, err)
	require.Equal(t, uint64(1), rec.Position)

	// The receipt of another ballot, without --receipt: not printed as
	// this ballot's.
	mode.Store("other")
	stdout, stderr, err = vote(2)
	require.Error(t, err, stdout)
	require.Equal(t, 1, exitCode(err), stderr)
	require.Contains(t, stderr, "another ballot")
	require.NotContains(t, stdout, "accepted at position")
}

// cmdElection is an election of four citizens in a directory: their
// identity files (passphrase "pass") and census proofs as N.zkid and
// N.proof, the parameters as election.params, the vote keys in keys/ and
// the box's key as box.key.
type cmdElection struct {
	params        *election.Params
	tree          *membership.Tree
	keys          *prover.Keys
	keyDir        string
	skey, keyFile string
}

func newCmdElection(t *testing.T, dir, boxName string) *cmdElection {
	t.Helper()
	ctx := context.Background()
	path := func(name string) string { return filepath.Join(dir, name) }
	tree := membership.NewTree(nil)
	_, err := tree.InsertMany(ctx, membershiptest.Commitments(0, 4))
	require.NoError(t, err)
	keys, err := prover.SetupInsecure(ctx, statement.Vote(4, 3))
	require.NoError(t, err)
	keyDir := path("keys")
	require.NoError(t, keys.WriteFiles(keyDir))
	skey, vkey := testkeys.Key(boxName)
	require.NoError(t, os.WriteFile(path("box.key"), []byte(skey+"\n"), 0o600))
	p := &election.Params{Log: election.LogKeys{Box: vkey},
		Question: "Adopt the charter?", Options: []string{"yes", "no", "abstain"},
		Census: []membership.Head{tree.Head()}, Rules: election.SingleChoice(), Depth: 4, MaxOptions: 3,
		VoteKey: election.PinKey(keys.VerifyingKey()), TallyKey: election.KeyPin{Backend: verifier.Groth16, ID: [32]byte{1}}}
	p.DeploymentID.SetUint64(1)
	p.ElectionID.SetUint64(2)
	enc, err := p.Encode()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path("election.params"), enc, 0o600))
	for i := range 4 {
		pr, err := tree.Proof(uint64(i))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path(strconv.Itoa(i)+".proof"), pr.Bytes(), 0o600))
		id, err := membershiptest.Identity(uint64(i)).Encrypt([]byte("pass"), &membership.KDFParams{Time: 1, Memory: 8, Threads: 1})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path(strconv.Itoa(i)+".zkid"), id, 0o600))
	}
	return &cmdElection{params: p, tree: tree, keys: keys, keyDir: keyDir, skey: skey, keyFile: path("box.key")}
}
