package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSecretElection runs a whole secret election by the command alone:
// two trustees make the election key together, the organiser opens the
// election under it, citizens vote through the HTTP box (one votes again
// and the later ballot counts), the box closes, each trustee decrypts the
// encrypted sum at the head the box published, and the tally and an
// auditor combine the decryptions; then the refusals (a tally without
// shares, an audit with one share of a 2-of-2 key).
func TestSecretElection(t *testing.T) {
	if testing.Short() {
		t.Skip("makes keys and proves ballots: about 30 s")
	}
	dir := t.TempDir()
	pass := func(text string) []*os.File { return []*os.File{passFile(t, dir, text)} }
	must := func(files []*os.File, args ...string) string {
		t.Helper()
		stdout, stderr, err := runIn(t, dir, "", files, args...)
		require.NoError(t, err, "%v: %s", args, stderr)
		return stdout
	}
	jsonOf := func(out string, v any) {
		t.Helper()
		require.NoError(t, json.Unmarshal([]byte(out), v), out)
	}

	// Citizens and the census; keys for the secret-vote statement.
	for _, who := range []string{"alice", "bob"} {
		c := must(pass(who), "identity", "new", "--out", who+".zkid", "--passphrase-fd", "3")
		must(nil, "census", "add", "--dir", "census", strings.TrimSpace(c))
		must(nil, "census", "proof", "--dir", "census", "--commitment", strings.TrimSpace(c), "--out", who+".proof")
	}
	must(nil, "keys", "setup", "--dev", "--secret", "--dir", "keys", "--depth", "4", "--options", "3")

	// The trustees' key generation, 2 of 2.
	var pubs []string
	for _, tr := range []string{"t1", "t2"} {
		var k struct {
			PublicKey string `json:"public_key"`
		}
		jsonOf(must(pass(tr), "trustee", "keygen", "--out", tr+".key", "--passphrase-fd", "3", "--json"), &k)
		pubs = append(pubs, k.PublicKey)
	}
	must(nil, "trustee", "setup", "--threshold", "2", "--trustee", pubs[0], "--trustee", pubs[1], "--context", "secret e2e", "--out", "setup")
	for _, tr := range []string{"t1", "t2"} {
		must(pass(tr), "trustee", "deal", "--key", tr+".key", "--setup", "setup", "--out", "deal-"+tr, "--passphrase-fd", "3")
	}
	deals := []string{"--deal", "deal-t1", "--deal", "deal-t2"}
	for _, tr := range []string{"t1", "t2"} {
		must(pass(tr), append([]string{"trustee", "check", "--key", tr + ".key", "--setup", "setup", "--out", "complaints-" + tr, "--passphrase-fd", "3"}, deals...)...)
	}
	dkg := append(deals, "--complaint", "complaints-t1", "--complaint", "complaints-t2")
	must(nil, append([]string{"trustee", "finish", "--setup", "setup", "--out", "election.key"}, dkg...)...)
	for _, tr := range []string{"t1", "t2"} {
		must(pass(tr), append([]string{"trustee", "share", "--key", tr + ".key", "--setup", "setup", "--election-key", "election.key", "--out", "share-" + tr, "--passphrase-fd", "3"}, dkg...)...)
	}

	// The log's keys, a witness, the election and its box.
	must(nil, "box", "keygen", "--name", "vote.example.org/secret", "--out", "box.key")
	boxVKey := strings.TrimSpace(must(nil, "box", "key", "--key", "box.key"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "box.vkey"), []byte(boxVKey+"\n"), 0o600))
	witnessVKey := must(nil, "witness", "keygen", "--name", "witness.example.net", "--out", "witness.key")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "witness.vkey"), []byte(witnessVKey), 0o600))
	witnessURL, stopWitness := serve(t, dir, "witness", "serve", "--key", "witness.key", "--dir", "witness", "--log", boxVKey, "--listen", "127.0.0.1:0")
	defer stopWitness()
	must(nil, "election", "new", "--out", "election.params", "--deployment", "1", "--election", "9",
		"--question", "Which budget?", "--option", "parks", "--option", "roads", "--option", "schools",
		"--census", "census", "--keys", "keys", "--election-key", "election.key",
		"--box-key", "box.vkey", "--witness-key", "witness.vkey", "--quorum", "1")
	boxArgs := []string{"--dir", "box", "--params", "election.params", "--key", "box.key", "--keys", "keys", "--witness", witnessURL}
	boxURL, stopBox := serve(t, dir, append([]string{"box", "serve", "--listen", "127.0.0.1:0"}, boxArgs...)...)
	vote := func(who, choice, counter string) {
		t.Helper()
		must(pass(who), "vote", "--identity", who+".zkid", "--passphrase-fd", "3", "--proof", who+".proof",
			"--params", "election.params", "--keys", "keys", "--choice", choice, "--counter", counter,
			"--box", boxURL, "--receipt", who+"-"+counter+".receipt")
	}
	vote("alice", "parks", "1")
	vote("bob", "roads", "1")
	vote("alice", "schools", "2") // alice changes her mind: the latest counts
	_, stderr, err := runIn(t, dir, "", pass("bob"), "vote", "--identity", "bob.zkid", "--passphrase-fd", "3", "--proof", "bob.proof",
		"--params", "election.params", "--keys", "keys", "--choice", "parks", "--counter", "1", "--box", boxURL)
	require.Error(t, err, "a ballot whose counter is not above the latest")
	require.Contains(t, stderr, "counter")
	stopBox()

	var closed resultsOutput
	jsonOf(must(nil, append([]string{"box", "close", "--json"}, boxArgs...)...), &closed)
	require.True(t, closed.Closed)
	require.Equal(t, uint64(3), closed.Ballots)
	require.Equal(t, uint64(2), closed.Voters)

	// Each trustee decrypts the sum at the head the box published.
	for _, tr := range []string{"t1", "t2"} {
		must(pass(tr), "trustee", "decrypt", "--share", "share-"+tr, "--params", "election.params", "--keys", "keys",
			"--log", "box/log", "--head", closed.Head, "--journal", "journal-"+tr, "--out", "decryption-"+tr, "--passphrase-fd", "3")
	}
	shares := []string{"--share", "decryption-t1", "--share", "decryption-t2"}
	want := []optionOutput{{"parks", 0}, {"roads", 1}, {"schools", 1}}
	for _, cmd := range []string{"tally", "audit"} {
		var res resultsOutput
		jsonOf(must(nil, append([]string{cmd, "--params", "election.params", "--keys", "keys", "--log", "box/log", "--json"}, shares...)...), &res)
		require.Equal(t, want, res.Totals, cmd)
		require.Equal(t, []int{1, 2}, res.Trustees, cmd)
		require.Equal(t, closed.Head, res.Head, cmd)
	}

	for _, args := range [][]string{
		{"tally", "--params", "election.params", "--keys", "keys", "--log", "box/log"},
		{"audit", "--params", "election.params", "--keys", "keys", "--log", "box/log", "--share", "decryption-t1"},
		{"audit", "--params", "election.params", "--keys", "keys", "--log", "box/log", "--tally", "decryption-t1"},
		{"tally", "--params", "election.params", "--keys", "keys", "--log", "box/log", "--out", "x", "--share", "decryption-t1"},
	} {
		_, stderr, err := runIn(t, dir, "", nil, args...)
		require.Error(t, err, "%v", args)
		require.NotEmpty(t, stderr, "%v", args)
	}
	require.NoFileExists(t, filepath.Join(dir, "x"))
}
