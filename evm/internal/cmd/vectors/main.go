// Command vectors regenerates evm/testdata: the development verifying keys
// (made, or read from the cache, with prover.OpenInsecure), the Solidity
// verifiers exported from them (verifier.ExportSolidity), and real ballots
// and tally proofs (vectors.json). Run it from evm/, then rebuild the
// contracts (scripts/solc):
//
//	go run ./internal/cmd/vectors [-keys dir]
//
// Every run makes new ballots (proofs are randomised); with the same cached
// keys the keys and verifiers stay byte-for-byte the same.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/evm/internal/vectors"
	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// TallyBatch is the batch size of the tally keys (the referendum example's).
const tallyBatch = 64

func main() {
	keyDir := flag.String("keys", defaultKeyDir(), "cache directory for development keys")
	out := flag.String("out", "testdata", "output directory")
	flag.Parse()
	logger.Disable()
	if err := run(context.Background(), *keyDir, *out); err != nil {
		log.Fatal(err)
	}
}

func defaultKeyDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "zkvote-keys")
	}
	return filepath.Join(os.TempDir(), "zkvote-keys")
}

func fe(v uint64) fr.Element { var x fr.Element; x.SetUint64(v); return x }

func run(ctx context.Context, keyDir, out string) error {
	depth, options := statement.DefaultDepth, statement.DefaultOptions
	voteKeys, err := prover.OpenInsecure(ctx, keyDir, statement.Vote(depth, options))
	if err != nil {
		return err
	}
	secretKeys, err := prover.OpenInsecure(ctx, keyDir, statement.SecretVote(depth, options, statement.DefaultPack))
	if err != nil {
		return err
	}
	tallyKeys, err := prover.OpenInsecure(ctx, keyDir, statement.Tally(tallyBatch, options))
	if err != nil {
		return err
	}
	// Another key for the same vote statement: a contract made from it
	// must refuse every ballot proven with voteKeys.
	otherKeys, err := prover.OpenInsecure(ctx, filepath.Join(keyDir, "evm-other"), statement.Vote(depth, options))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "keys"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "contracts"), 0o755); err != nil {
		return err
	}
	for _, k := range []struct {
		name, contract string
		keys           *prover.Keys
	}{
		{"vote", "VoteVerifier", voteKeys},
		{"secret-vote", "SecretVoteVerifier", secretKeys},
		{"tally", "TallyVerifier", tallyKeys},
		{"vote-other", "OtherVoteVerifier", otherKeys},
	} {
		vk := k.keys.VerifyingKey()
		if err := os.WriteFile(filepath.Join(out, "keys", k.name+".vk"), vk.Bytes(), 0o644); err != nil {
			return err
		}
		var src bytes.Buffer
		if err := verifier.ExportSolidity(vk, &src); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "contracts", k.contract+".sol"), src.Bytes(), 0o644); err != nil {
			return err
		}
	}

	// A census of six citizens, published at two heads of one epoch:
	// after four registrations and after six. Voter 0 proves membership
	// under the older head.
	tree := membership.NewTree(nil)
	if _, err := tree.InsertMany(ctx, membershiptest.Commitments(0, 4)); err != nil {
		return err
	}
	oldHead := tree.Head()
	oldPath, err := tree.Proof(0)
	if err != nil {
		return err
	}
	if _, err := tree.InsertMany(ctx, membershiptest.Commitments(4, 2)); err != nil {
		return err
	}
	census := []membership.Head{oldHead, tree.Head()}
	_, boxKey := testkeys.Key("zkvote.test/evm-box")
	base := func(id uint64) *election.Params {
		return &election.Params{
			Log: election.LogKeys{Box: boxKey}, DeploymentID: fe(2026), ElectionID: fe(id),
			Question: "Fund the community garden?", Options: []string{"yes", "no", "abstain"},
			Census: census, Rules: election.SingleChoice(), Depth: depth, MaxOptions: options,
			VoteKey: election.PinKey(voteKeys.VerifyingKey()), TallyKey: election.PinKey(tallyKeys.VerifyingKey()),
		}
	}
	open, other := base(1), base(2)

	key, err := dkg(3, 2)
	if err != nil {
		return err
	}
	mode, err := election.NewSecretMode(key, statement.DefaultPack)
	if err != nil {
		return err
	}
	secret := base(3)
	secret.Question, secret.Options = "Who chairs the assembly?", []string{"Ada", "Grace", "Edsger", "Barbara"}
	secret.VoteKey, secret.TallyKey, secret.Secret = election.PinKey(secretKeys.VerifyingKey()), election.KeyPin{}, mode

	v := &vectors.Vectors{
		Comment: "Made by go run ./internal/cmd/vectors with development keys (prover.OpenInsecure); see README.md.",
		Params:  map[string][]byte{},
	}
	elections := map[string]*election.Params{"open": open, "other": other, "secret": secret}
	for name, p := range elections {
		if v.Params[name], err = p.Encode(); err != nil {
			return err
		}
	}
	path := func(i int) (*membership.Proof, error) {
		if i == 0 {
			return oldPath, nil
		}
		return tree.Proof(uint64(i))
	}
	one := func(n, option int) []uint64 {
		votes := make([]uint64, n)
		votes[option] = 1
		return votes
	}
	cast := func(name, el string, voter, option int, counter uint64) (*election.Ballot, error) {
		p := elections[el]
		pr, err := path(voter)
		if err != nil {
			return nil, err
		}
		id := membershiptest.Identity(uint64(voter))
		var b *election.Ballot
		if p.Secret != nil {
			b, err = prover.CastSecret(ctx, secretKeys, p, id, pr, one(len(p.Options), option), counter, nil)
		} else {
			b, err = prover.Cast(ctx, voteKeys, p, id, pr, one(len(p.Options), option))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		v.Ballots = append(v.Ballots, vectors.Ballot{Name: name, Election: el, Voter: voter, Bytes: b.Bytes()})
		return b, nil
	}
	var counted []*election.Ballot
	for i := range 4 {
		b, err := cast(fmt.Sprintf("open/v%d", i), "open", i, i%3, 0)
		if err != nil {
			return err
		}
		counted = append(counted, b)
		v.TallyOf = append(v.TallyOf, fmt.Sprintf("open/v%d", i))
	}
	for _, c := range []struct {
		name, el             string
		voter, option, count int
	}{
		{"open/v0-again", "open", 0, 1, 0},   // a second ballot of voter 0: same nullifier
		{"open/v5", "open", 5, 2, 0},         // a voter left out of the tally
		{"other/v1", "other", 1, 0, 0},       // voter 1 in election 2
		{"secret/v0-c0", "secret", 0, 0, 0},  // voter 0's first secret ballot
		{"secret/v1-c0", "secret", 1, 3, 0},  //
		{"secret/v0-c1", "secret", 0, 2, 1},  // voter 0 changes their mind
		{"secret/v0-c1b", "secret", 0, 1, 1}, // another ballot with the same counter: stale
		{"secret/v2-c7", "secret", 2, 1, 7},  // counters need not start at 0
	} {
		if _, err := cast(c.name, c.el, c.voter, c.option, uint64(c.count)); err != nil {
			return err
		}
	}
	tallies, err := prover.ProveTally(ctx, tallyKeys, open, counted, nil)
	if err != nil {
		return err
	}
	for _, t := range tallies {
		v.Tally = append(v.Tally, t.Bytes())
	}
	// The same tally in two batches, and a tally of ballots that are not
	// the log's (voter 0's and voter 5's): proofs from a given state.
	split, err := proveBatches(ctx, tallyKeys, open, counted[:2], counted[2:])
	if err != nil {
		return err
	}
	for _, t := range split {
		v.TallySplit = append(v.TallySplit, t.Bytes())
	}
	v5, err := election.ParseBallot(v.Ballots[5].Bytes)
	if err != nil || v.Ballots[5].Name != "open/v5" {
		return fmt.Errorf("ballot 5 is %s: %v", v.Ballots[5].Name, err)
	}
	off, err := proveBatches(ctx, tallyKeys, open, []*election.Ballot{counted[0], v5})
	if err != nil {
		return err
	}
	v.TallyOff, v.TallyOffOf = off[0].Bytes(), []string{"open/v0", "open/v5"}
	v.Totals = make([]uint64, options)
	for _, b := range counted {
		for i, x := range b.Votes(options) {
			v.Totals[i] += x
		}
	}
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, vectors.File), append(data, '\n'), 0o644)
}

// proveBatches proves the tally of p's ballots in the given batches, one
// proof each, chained from the genesis and the zero tally.
func proveBatches(ctx context.Context, keys *prover.Keys, p *election.Params, batches ...[]*election.Ballot) ([]*verifier.Proof, error) {
	options := keys.Statement().Options()
	scope := p.Scope()
	w := &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: make([]uint64, options)}
	var out []*verifier.Proof
	for _, bals := range batches {
		w.Ballots = nil
		for _, b := range bals {
			w.Ballots = append(w.Ballots, circuits.TallySlot{Nullifier: b.Nullifier(), Votes: b.Votes(options)})
		}
		res, err := w.Result(keys.Statement().Batch(), options)
		if err != nil {
			return nil, err
		}
		pr, err := keys.Prove(ctx, w)
		if err != nil {
			return nil, err
		}
		out = append(out, pr)
		w.HeadBefore, w.BallotsBefore, w.TotalsBefore = res.Public.HeadAfter, res.BallotsAfter, res.TotalsAfter
	}
	return out, nil
}

// dkg runs an honest key generation of n trustees with threshold t.
func dkg(n, t int) (*trustee.ElectionKey, error) {
	setup := &trustee.Setup{Threshold: t, Context: []byte("zkvote evm test vectors")}
	var lts []*trustee.LongTermKey
	for range n {
		k, err := trustee.GenerateLongTermKey(nil)
		if err != nil {
			return nil, err
		}
		lts = append(lts, k)
		setup.Keys = append(setup.Keys, k.Public())
	}
	var deals []*trustee.Deal
	for _, k := range lts {
		d, err := k.Deal(setup, nil)
		if err != nil {
			return nil, err
		}
		deals = append(deals, d)
	}
	return trustee.Finish(setup, deals, nil)
}
