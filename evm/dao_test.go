package evm_test

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/evm"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// boxError names the DAO error that matches a ballot box's error, or ""
// for an accepted ballot.
func boxError(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{election.ErrWrongElection, "WrongElection"},
		{election.ErrRulesMismatch, "RulesMismatch"},
		{election.ErrUnknownRoot, "UnknownRoot"},
		{election.ErrClosed, "Closed"},
		{election.ErrDuplicateNullifier, "DuplicateNullifier"},
		{election.ErrStaleBallot, "StaleBallot"},
		{verifier.ErrInvalidProof, "ProofInvalid"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	if err != nil {
		return "box: " + err.Error()
	}
	return ""
}

func daoError(err error) string {
	var r revert
	if errors.As(err, &r) {
		return string(r)
	}
	if err != nil {
		return "dao: " + err.Error()
	}
	return ""
}

// openBox opens zkvote's ballot box for the vectors' election name.
func openBox(t *testing.T, name string) *election.Box {
	f := testFixtures(t)
	key := f.keys["vote"]
	if name == "secret" {
		key = f.keys["secret-vote"]
	}
	skey, _ := testkeys.Key("zkvote.test/evm-box")
	b, err := election.OpenBox(context.Background(), t.TempDir(), f.params[name], key,
		election.BoxOptions{Key: skey, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// submission is one ballot for both the box and the DAO.
type submission struct {
	what   string
	ballot []byte // ballot bytes
	want   string // the DAO error both must give, "" to accept
}

// both submits each ballot to the box and to the DAO's proposal id, and
// requires them to agree with each other and with want.
func both(t *testing.T, box *election.Box, d *daoSetup, id uint64, subs []submission) {
	t.Helper()
	for _, s := range subs {
		_, berr := box.Submit(context.Background(), s.ballot)
		b, err := election.ParseBallot(s.ballot)
		if err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		_, derr := d.cast(fe(id), b)
		if got, want := boxError(berr), daoError(derr); got != want || got != s.want {
			t.Errorf("%s: box %q, DAO %q, want %q", s.what, got, want, s.want)
		}
	}
}

// withPublic returns ballot bytes with their public inputs changed by f.
func withPublic(t *testing.T, b *election.Ballot, f func(v *statement.VotePublic)) []byte {
	p, err := verifier.ParseProof(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	v, err := statement.ParseVote(p.Public)
	if err != nil {
		t.Fatal(err)
	}
	f(v)
	p.Public = v.Vector()
	return p.Bytes()
}

// TestOpenElection runs the vectors' open election through zkvote's ballot
// box and the DAO side by side: every ballot is accepted or refused by
// both, for the same reason; both end at the same chain head; the tally
// proofs record the result on chain only with the right totals.
func TestOpenElection(t *testing.T) {
	f := testFixtures(t)
	d := deployDAO(t, "VoteVerifier")
	d.open("open")
	d.open("other")
	box := openBox(t, "open")
	raw := func(name string) []byte { return f.ballot(t, name).Bytes() }
	v5 := f.ballot(t, "open/v5")
	// A tampered proof: voter 5's with C taken from voter 0's proof, a
	// valid point in its canonical encoding.
	tampered := raw("open/v5")
	c0 := raw("open/v0")
	n := len(tampered)
	copy(tampered[n-68:n-36], c0[len(c0)-68:len(c0)-36])
	both(t, box, d, 1, []submission{
		{"voter 0 under the older census root", raw("open/v0"), ""},
		{"voter 1", raw("open/v1"), ""},
		{"voter 2", raw("open/v2"), ""},
		{"voter 3", raw("open/v3"), ""},
		{"voter 0 again, another proof and vote", raw("open/v0-again"), "DuplicateNullifier"},
		{"voter 1's ballot for proposal 2", raw("other/v1"), "WrongElection"},
		{"a secret ballot", raw("secret/v1-c0"), "WrongElection"},
		{"an unknown root", withPublic(t, v5, func(v *statement.VotePublic) { v.Root = fe(12345) }), "UnknownRoot"},
		{"other rules", withPublic(t, v5, func(v *statement.VotePublic) { v.MaxPerOption = 9 }), "RulesMismatch"},
		{"a changed vote", withPublic(t, v5, func(v *statement.VotePublic) { v.Votes[2], v.Votes[0] = 0, 1 }), "ProofInvalid"},
		{"a tampered proof", tampered, "ProofInvalid"},
	})
	if got, want := d.head(fe(1)), box.Results().Head; !got.Equal(&want) {
		t.Fatalf("DAO head %s, box head %s", got.String(), want.String())
	}

	// The ballot of proposal 2 is good there, and voter 1 may vote in both.
	if _, err := d.cast(fe(2), f.ballot(t, "other/v1")); err != nil {
		t.Fatalf("voter 1 in proposal 2: %v", err)
	}

	// A result before the close is refused; then the voter cannot close.
	tally, err := evm.TallyCalldata(fe(1), f.tally, f.v.Totals)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.send(d.voter, &d.dao, tally); daoError(err) != "NotClosed" {
		t.Fatalf("a result before the close: %v", err)
	}
	dao, _ := evm.DAO()
	closeCall, _ := dao.ABI.Pack("close", big.NewInt(1))
	if _, err := d.send(d.voter, &d.dao, closeCall); daoError(err) != "NotOrganiser" {
		t.Fatalf("the voter closes: %v", err)
	}
	d.mustSend(d.organiser, d.dao, closeCall)
	if err := box.End(); err != nil {
		t.Fatal(err)
	}
	both(t, box, d, 1, []submission{{"voter 5 after the close", raw("open/v5"), "Closed"}})

	// Wrong totals, a missing or foreign proof: refused. Anyone may record
	// the right result.
	wrong := slices.Clone(f.v.Totals)
	wrong[0], wrong[1] = wrong[1], wrong[0]+1
	for what, call := range map[string][]byte{
		"wrong totals":      must(evm.TallyCalldata(fe(1), f.tally, wrong)),
		"no proof":          must(evm.TallyCalldata(fe(1), nil, f.v.Totals)),
		"proposal 2's head": must(evm.TallyCalldata(fe(2), f.tally, f.v.Totals)),
	} {
		if what == "proposal 2's head" {
			d.mustSend(d.organiser, d.dao, must(dao.ABI.Pack("close", big.NewInt(2))))
		}
		if _, err := d.send(d.voter, &d.dao, call); daoError(err) != "TallyMismatch" {
			t.Errorf("%s: %v", what, err)
		}
	}
	if _, err := d.send(d.voter, &d.dao, tally); err != nil {
		t.Fatalf("recording the result: %v", err)
	}
	if _, err := d.send(d.voter, &d.dao, tally); daoError(err) != "Decided" {
		t.Fatalf("recording it twice: %v", err)
	}
	out, err := d.daoCall("result", big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].([evm.Options]uint64)
	res := box.Results()
	if !slices.Equal(got[:len(res.Totals)], res.Totals) || !slices.Equal(got[:], f.v.Totals) {
		t.Fatalf("DAO totals %v, box %v, vectors %v", got, res.Totals, f.v.Totals)
	}
}

// TestSecretElection runs the vectors' secret election through the box and
// the DAO: re-votes with higher counters replace earlier ballots, stale
// ones are refused by both, both end at the same chain head, and only the
// organiser records the decryption.
func TestSecretElection(t *testing.T) {
	f := testFixtures(t)
	d := deployDAO(t, "VoteVerifier")
	d.open("secret")
	box := openBox(t, "secret")
	raw := func(name string) []byte { return f.ballot(t, name).Bytes() }
	both(t, box, d, 3, []submission{
		{"voter 0, counter 0", raw("secret/v0-c0"), ""},
		{"voter 1, counter 0", raw("secret/v1-c0"), ""},
		{"voter 0, counter 1", raw("secret/v0-c1"), ""},
		{"voter 0, counter 1 again", raw("secret/v0-c1b"), "StaleBallot"},
		{"voter 0, counter 0 replayed", raw("secret/v0-c0"), "StaleBallot"},
		{"voter 2, counter 7", raw("secret/v2-c7"), ""},
		{"an open ballot", raw("open/v3"), "WrongElection"},
	})
	if got, want := d.head(fe(3)), box.Results().Head; !got.Equal(&want) {
		t.Fatalf("DAO head %s, box head %s", got.String(), want.String())
	}
	out, err := d.daoCall("voted", big.NewInt(3), bigOf(f.ballot(t, "secret/v0-c1").Nullifier()))
	if err != nil || !out[0].(bool) || out[1].(uint64) != 1 {
		t.Fatalf("voter 0's latest counter: %v %v", out, err)
	}
	dao, _ := evm.DAO()
	var totals [evm.Options]uint64
	totals[1], totals[2], totals[3] = 1, 1, 1
	digest := [32]byte{1, 2, 3}
	record := must(dao.ABI.Pack("recordDecryption", big.NewInt(3), totals, digest))
	if _, err := d.send(d.organiser, &d.dao, record); daoError(err) != "NotClosed" {
		t.Fatalf("a decryption before the close: %v", err)
	}
	d.mustSend(d.organiser, d.dao, must(dao.ABI.Pack("close", big.NewInt(3))))
	if _, err := d.send(d.voter, &d.dao, record); daoError(err) != "NotOrganiser" {
		t.Fatalf("the voter records a decryption: %v", err)
	}
	d.mustSend(d.organiser, d.dao, record)
	out, err = d.daoCall("result", big.NewInt(3))
	if err != nil || out[0].([evm.Options]uint64) != totals || out[1].([32]byte) != digest {
		t.Fatalf("result: %v %v", out, err)
	}
}

// TestOpenRefusals checks who may open what.
func TestOpenRefusals(t *testing.T) {
	f := testFixtures(t)
	d := deployDAO(t, "VoteVerifier")
	data := must(evm.OpenCalldata(f.params["open"]))
	if _, err := d.send(d.voter, &d.dao, data); daoError(err) != "NotOrganiser" {
		t.Fatalf("a voter opens a proposal: %v", err)
	}
	d.mustSend(d.organiser, d.dao, data)
	if _, err := d.send(d.organiser, &d.dao, data); daoError(err) != "BadProposal" {
		t.Fatalf("opening it twice: %v", err)
	}
	// The contract computes each proposal's scope from its deployment ID:
	// the same as zkvote's.
	out, err := d.daoCall("proposal", big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := elementOf(t, out[0].(*big.Int)), f.params["open"].Scope(); !got.Equal(&want) {
		t.Fatalf("scope %s, want %s", got.String(), want.String())
	}
	out, err = d.daoCall("OPTIONS")
	if err != nil || out[0].(*big.Int).Int64() != statement.DefaultOptions {
		t.Fatalf("OPTIONS: %v %v", out, err)
	}
}

// TestWrongKey: a DAO whose vote verifier was exported from another key of
// the same statement refuses every ballot, as the Go verifier does under
// that key.
func TestWrongKey(t *testing.T) {
	f := testFixtures(t)
	d := deployDAO(t, "OtherVoteVerifier")
	d.open("open")
	other := f.keys["vote-other"]
	for _, name := range []string{"open/v0", "open/v1", "open/v2", "open/v3"} {
		b := f.ballot(t, name)
		p := *b.Proof()
		p.KeyID = other.ID()
		if err := verifier.Verify(other, &p); !errors.Is(err, verifier.ErrInvalidProof) {
			t.Errorf("%s: the Go verifier under the other key: %v", name, err)
		}
		if _, err := d.cast(fe(1), b); daoError(err) != "ProofInvalid" {
			t.Errorf("%s: the DAO with the other key's verifier: %v", name, err)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
