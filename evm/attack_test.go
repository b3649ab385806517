package evm_test

// Attacks on ZkVoteDAO: each test is an attack that worked against the
// contract as first written (see the README's "Review" section), or a
// check that one the review tried fails, run against the contract as it is
// now.

import (
	"context"
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/evm"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// attackBoxError is boxError with the errors of secret ballots' ciphertexts.
func attackBoxError(err error) string {
	switch {
	case errors.Is(err, election.ErrCiphertextHash):
		return "CiphertextHash"
	case errors.Is(err, election.ErrMalformedBallot):
		return "MalformedBallot"
	}
	return boxError(err)
}

// ciphertextWords returns a secret ballot's ciphertexts as the DAO takes
// them: C1.x, C1.y, C2.x, C2.y of each.
func ciphertextWords(b *election.Ballot) []*big.Int {
	var out []*big.Int
	for _, c := range b.Ciphertexts() {
		xy := c.XY()
		for i := 0; i < len(xy); i += 32 {
			out = append(out, new(big.Int).SetBytes(xy[i:i+32]))
		}
	}
	return out
}

// castSecretWith casts secret ballot b's proof in proposal id with the
// ciphertext words points instead of its own.
func (d *daoSetup) castSecretWith(id fr.Element, b *election.Ballot, points []*big.Int) error {
	dao, _ := evm.DAO()
	proof, input := calldataOf(d.t.(*testing.T), b.Proof())
	data, err := dao.ABI.Pack("castSecretBallot", bigOf(id), proof, arrayOf(input), arrayOf(points))
	if err != nil {
		d.t.Fatal(err)
	}
	_, err = d.send(d.voter, &d.dao, data)
	return err
}

// secretBytes returns secret ballot bytes with ciphertext words (32 bytes
// each, after the 6-byte header) replaced as set says.
func secretBytes(b *election.Ballot, set map[int]*big.Int) []byte {
	out := b.Bytes()
	for w, x := range set {
		x.FillBytes(out[6+32*w : 6+32*w+32])
	}
	return out
}

// TestAttackSecretCiphertexts (finding 1): castSecretBallot took no
// ciphertexts, only the hash the proof binds them to, so it accepted
// ballots that zkvote's box refuses (ciphertexts that are not the proof's,
// or none at all, and a C1 at the identity, the vote in the clear), and the
// chain did not hold what the trustees must sum: one voter who withheld
// their ciphertexts made the secret count impossible to audit against the
// chain. Now each ballot carries its ciphertexts, checked as the box
// checks them, and its event publishes them.
func TestAttackSecretCiphertexts(t *testing.T) {
	f := testFixtures(t)
	d := deployDAO(t, "VoteVerifier")
	d.open("secret")
	box := openBox(t, "secret")
	v1 := f.ballot(t, "secret/v1-c0")
	v0 := f.ballot(t, "secret/v0-c0")
	own := ciphertextWords(v1)
	r := new(big.Int).Set(rMod)

	swapped := slices.Clone(own) // ciphertexts 0 and 1 swapped: valid points
	copy(swapped[0:4], own[4:8])
	copy(swapped[4:8], own[0:4])
	swappedSet := map[int]*big.Int{}
	for i := range 8 {
		swappedSet[i] = swapped[i]
	}
	foreign := ciphertextWords(v0) // another ballot's ciphertexts
	foreignSet := map[int]*big.Int{}
	for i, x := range foreign {
		foreignSet[i] = x
	}
	// C1 at the identity (0, 1): randomness 0, the vote in the clear.
	clear := slices.Clone(own)
	clear[0], clear[1] = big.NewInt(0), big.NewInt(1)
	// A coordinate plus r: the same value mod r, not canonical.
	plusR := slices.Clone(own)
	plusR[3] = new(big.Int).Add(own[3], r)
	if plusR[3].BitLen() > 256 {
		t.Fatal("test vector coordinate too large to add r")
	}
	for _, c := range []struct {
		what   string
		box    []byte
		points []*big.Int
		want   string
	}{
		{"ciphertexts swapped", secretBytes(v1, swappedSet), swapped, "CiphertextHash"},
		{"another ballot's ciphertexts", secretBytes(v1, foreignSet), foreign, "CiphertextHash"},
		{"C1 at the identity", secretBytes(v1, map[int]*big.Int{0: big.NewInt(0), 1: big.NewInt(1)}), clear, "MalformedBallot"},
		{"a coordinate + r", secretBytes(v1, map[int]*big.Int{3: plusR[3]}), plusR, "MalformedBallot"},
		{"no ciphertexts (zeros)", nil, make([]*big.Int, 16), "CiphertextHash"},
	} {
		for i, x := range c.points {
			if x == nil {
				c.points[i] = new(big.Int)
			}
		}
		got := daoError(d.castSecretWith(fe(3), v1, c.points))
		if c.box != nil {
			_, berr := box.Submit(context.Background(), c.box)
			if b := attackBoxError(berr); b != c.want {
				t.Errorf("%s: the box says %q, want %q", c.what, b, c.want)
			}
		}
		if got != c.want {
			t.Errorf("%s: the DAO says %q, want %q", c.what, got, c.want)
		}
	}

	// The honest ballots go through, and the chain holds every ciphertext:
	// the events give back each ballot's points, which hash to its proof's
	// input under the election's key.
	names := []string{"secret/v0-c0", "secret/v1-c0", "secret/v0-c1"}
	for _, name := range names {
		if _, err := d.cast(fe(3), f.ballot(t, name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := box.Submit(context.Background(), f.ballot(t, name).Bytes()); err != nil {
			t.Fatalf("%s: box: %v", name, err)
		}
	}
	dao, _ := evm.DAO()
	ev := dao.ABI.Events["SecretBallotCast"]
	logs, err := d.client.FilterLogs(context.Background(), ethereum.FilterQuery{Addresses: []common.Address{d.dao}, Topics: [][]common.Hash{{ev.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != len(names) {
		t.Fatalf("%d secret ballot events, want %d", len(logs), len(names))
	}
	key := f.params["secret"].Secret.Key
	for i, l := range logs {
		out, err := ev.Inputs.NonIndexed().Unpack(l.Data)
		if err != nil {
			t.Fatal(err)
		}
		points := out[3].([16]*big.Int)
		b := f.ballot(t, names[i])
		var cts []trustee.Ciphertext
		for j := 0; j < len(points); j += 4 {
			var xy [trustee.CiphertextXYSize]byte
			for k := range 4 {
				points[j+k].FillBytes(xy[32*k : 32*k+32])
			}
			c, err := trustee.ParseCiphertextXY(xy[:])
			if err != nil {
				t.Fatalf("%s: event ciphertext %d: %v", names[i], j/4, err)
			}
			cts = append(cts, c)
		}
		h, want := trustee.HashCiphertexts(key, cts), b.CiphertextHash()
		if !h.Equal(&want) || !slices.EqualFunc(cts, b.Ciphertexts(), func(x, y trustee.Ciphertext) bool { return x.XY() == y.XY() }) {
			t.Fatalf("%s: the event's ciphertexts are not the ballot's", names[i])
		}
	}
	if got, want := d.head(fe(3)), box.Results().Head; !got.Equal(&want) {
		t.Fatalf("DAO head %s, box head %s", got.String(), want.String())
	}
}

// tallyBatch returns the batch size of the vectors' tally key.
func tallyBatch(t *testing.T) int {
	s, err := statement.Parse(testFixtures(t).keys["tally"].Circuit())
	if err != nil {
		t.Fatal(err)
	}
	return s.Batch()
}

func parseProofs(t *testing.T, bs ...[]byte) []*verifier.Proof {
	var out []*verifier.Proof
	for _, b := range bs {
		p, err := verifier.ParseProof(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestAttackTallyGasCap (finding 2): recordTally took every tally proof
// of a proposal in one transaction, and a transaction may use at most 2^24
// gas (EIP-7825, Osaka): with about 230,000 gas a proof, an open proposal
// with more than about 70 batches of ballots (4,500 with the vectors'
// batch of 64) could never have its result recorded. Anyone now records
// the proofs over several transactions (advanceTally), each from a state
// proven before; a state off the log's path, which anyone can prove, leads
// nowhere and blocks nothing.
func TestAttackTallyGasCap(t *testing.T) {
	f := testFixtures(t)
	d := deployDAO(t, "VoteVerifier")
	d.open("open")
	for _, name := range f.v.TallyOf {
		if _, err := d.cast(fe(1), f.ballot(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	split := parseProofs(t, f.v.TallySplit...)
	off := parseProofs(t, f.v.TallyOff)

	// The attack's arithmetic: the gas of one more proof in a transaction,
	// and how many fit under the cap.
	voter := crypto.PubkeyToAddress(d.voter.PublicKey)
	estimate := func(data []byte) uint64 {
		g, err := d.client.EstimateGas(context.Background(), ethereum.CallMsg{From: voter, To: &d.dao, Data: data})
		if err != nil {
			t.Fatal(d.decode(err))
		}
		return g
	}
	one := estimate(must(evm.AdvanceTallyCalldata(fe(1), split[:1])))
	two := estimate(must(evm.AdvanceTallyCalldata(fe(1), split)))
	per := two - one
	fit := (params.MaxTxGas-one)/per + 1
	t.Logf("a tally proof costs %d gas in a transaction; %d fit under the cap of %d: %d ballots of batch %d",
		per, fit, params.MaxTxGas, int(fit)*tallyBatch(t), tallyBatch(t))
	if fit*uint64(tallyBatch(t)) > 10_000 || fit < evm.MaxTallyProofs {
		t.Fatalf("%d proofs fit in a transaction, evm.MaxTallyProofs is %d", fit, evm.MaxTallyProofs)
	}
	// The chain refuses a transaction above the cap, whatever its fee.
	nonce, _ := d.client.PendingNonceAt(context.Background(), voter)
	head, _ := d.client.HeaderByNumber(context.Background(), nil)
	chainID, _ := d.client.ChainID(context.Background())
	tx, _ := types.SignNewTx(d.voter, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: new(big.Int).Mul(head.BaseFee, big.NewInt(4)),
		Gas: params.MaxTxGas + 1, To: &d.dao, Data: must(evm.AdvanceTallyCalldata(fe(1), split)),
	})
	if err := d.client.SendTransaction(context.Background(), tx); err == nil || !strings.Contains(err.Error(), core.ErrGasLimitTooHigh.Error()) {
		t.Fatalf("a transaction of 2^24 + 1 gas: %v", err)
	}

	// A griefer proves a state off the log's path (voter 0 and voter 5,
	// who never voted here) and records it: harmless.
	d.mustSend(d.voter, d.dao, must(evm.AdvanceTallyCalldata(fe(1), off)))
	dao, _ := evm.DAO()
	d.mustSend(d.organiser, d.dao, must(dao.ABI.Pack("close", big.NewInt(1))))
	offTotals := make([]uint64, evm.Options)
	offTotals[0], offTotals[2] = 1, 1
	if _, err := d.send(d.voter, &d.dao, must(evm.TallyCalldata(fe(1), nil, offTotals))); daoError(err) != "TallyMismatch" {
		t.Fatalf("a result from the off-path state: %v", err)
	}
	// Proofs that start where no proof ended: refused.
	if _, err := d.send(d.voter, &d.dao, must(evm.AdvanceTallyCalldata(fe(1), split[1:]))); daoError(err) != "TallyMismatch" {
		t.Fatalf("proofs from an unproven state: %v", err)
	}
	// Nothing recorded yet: no result without proofs.
	if _, err := d.send(d.voter, &d.dao, must(evm.TallyCalldata(fe(1), nil, f.v.Totals))); daoError(err) != "TallyMismatch" {
		t.Fatalf("a result without proofs: %v", err)
	}
	// The honest tally in two transactions, by anyone.
	d.mustSend(d.voter, d.dao, must(evm.AdvanceTallyCalldata(fe(1), split[:1])))
	wrong := slices.Clone(f.v.Totals)
	wrong[0]++
	if _, err := d.send(d.voter, &d.dao, must(evm.TallyCalldata(fe(1), split[1:], wrong))); daoError(err) != "TallyMismatch" {
		t.Fatalf("wrong totals: %v", err)
	}
	d.mustSend(d.voter, d.dao, must(evm.TallyCalldata(fe(1), split[1:], f.v.Totals)))
	out, err := d.daoCall("result", big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].([evm.Options]uint64); !slices.Equal(got[:], f.v.Totals) {
		t.Fatalf("result: %v", got)
	}
	if _, err := d.send(d.voter, &d.dao, must(evm.AdvanceTallyCalldata(fe(1), split[:1]))); daoError(err) != "Decided" {
		t.Fatalf("advancing a decided tally: %v", err)
	}

	// The same result with every proof advanced first and none at the end.
	d2 := deployDAO(t, "VoteVerifier")
	d2.open("open")
	for _, name := range f.v.TallyOf {
		if _, err := d2.cast(fe(1), f.ballot(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	d2.mustSend(d2.voter, d2.dao, must(evm.AdvanceTallyCalldata(fe(1), split[:1])))
	d2.mustSend(d2.voter, d2.dao, must(evm.AdvanceTallyCalldata(fe(1), split[1:])))
	out, err = d2.daoCall("tallyState", big.NewInt(1), bigOf(d2.head(fe(1))), bigOf(split[1].Public[4]))
	if err != nil || !out[0].(bool) || out[1].(uint64) != uint64(len(f.v.TallyOf)) {
		t.Fatalf("the final tally state: %v %v", out, err)
	}
	if _, err := d2.send(d2.voter, &d2.dao, must(evm.TallyCalldata(fe(1), nil, f.v.Totals))); daoError(err) != "NotClosed" {
		t.Fatalf("a result before the close: %v", err)
	}
	d2.mustSend(d2.organiser, d2.dao, must(dao.ABI.Pack("close", big.NewInt(1))))
	d2.mustSend(d2.voter, d2.dao, must(evm.TallyCalldata(fe(1), nil, f.v.Totals)))
}

// TestAttackDecryptionBounds (finding 3, hardening): recordDecryption
// recorded whatever totals its organiser gave. It is still the
// organiser's word, but no longer beyond what the proposal's voters could
// have voted.
func TestAttackDecryptionBounds(t *testing.T) {
	f := testFixtures(t)
	d := deployDAO(t, "VoteVerifier")
	d.open("secret")
	for _, name := range []string{"secret/v0-c0", "secret/v1-c0", "secret/v0-c1"} {
		if _, err := d.cast(fe(3), f.ballot(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	dao, _ := evm.DAO()
	d.mustSend(d.organiser, d.dao, must(dao.ABI.Pack("close", big.NewInt(3))))
	// Two voters (voter 0 re-voted), one choice each, four options.
	for what, totals := range map[string][evm.Options]uint64{
		"a vote beyond the options":    {1, 0, 0, 0, 1},
		"more votes than voters":       {2, 1},
		"fewer votes than the minimum": {1},
		"one option above the voters":  {0, 3},
	} {
		call := must(dao.ABI.Pack("recordDecryption", big.NewInt(3), totals, [32]byte{1}))
		if _, err := d.send(d.organiser, &d.dao, call); daoError(err) != "TallyMismatch" {
			t.Errorf("%s: %v", what, err)
		}
	}
	d.mustSend(d.organiser, d.dao, must(dao.ABI.Pack("recordDecryption", big.NewInt(3), [evm.Options]uint64{0, 0, 1, 1}, [32]byte{1})))
}

// TestAttacksRefused: attacks the review tried that the contract refused
// as first written, kept as regressions.
func TestAttacksRefused(t *testing.T) {
	f := testFixtures(t)
	d := deployDAO(t, "VoteVerifier")
	d.open("open")
	d.open("secret")
	dao, _ := evm.DAO()
	rng := rand.New(rand.NewPCG(7, 8))
	castRaw := func(method string, id int64, proof []byte, input []*big.Int) string {
		var data []byte
		var err error
		if method == "castSecretBallot" {
			data, err = dao.ABI.Pack(method, big.NewInt(id), proof, arrayOf(input), arrayOf(make16()))
		} else {
			data, err = dao.ABI.Pack(method, big.NewInt(id), proof, arrayOf(input))
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.send(d.voter, &d.dao, data)
		return daoError(err)
	}

	// Proof malleability: a cast ballot's proof re-randomised, or negated,
	// is still a valid proof, and still the same nullifier.
	v1 := f.ballot(t, "open/v1")
	if _, err := d.cast(fe(1), v1); err != nil {
		t.Fatal(err)
	}
	proof, input := calldataOf(t, v1.Proof())
	rerandomise(rng, proof)
	if got := castRaw("castBallot", 1, proof, input); got != "DuplicateNullifier" {
		t.Errorf("a re-randomised copy of a cast ballot: %s", got)
	}
	negate(proof)
	if got := castRaw("castBallot", 1, proof, input); got != "DuplicateNullifier" {
		t.Errorf("a negated copy of a cast ballot: %s", got)
	}
	// The nullifier + r, the same field element: the verifier refuses it,
	// so it never takes a storage slot of its own.
	proof, input = calldataOf(t, v1.Proof())
	input[1] = new(big.Int).Add(input[1], rMod)
	if got := castRaw("castBallot", 1, proof, input); got != "PublicInputNotInField" {
		t.Errorf("the nullifier + r: %s", got)
	}
	// Scope, digest, root or a rule + r: refused before the proof.
	for i, want := range map[int]string{0: "UnknownRoot", 2: "WrongElection", 3: "WrongElection", 5: "RulesMismatch"} {
		proof, input = calldataOf(t, f.ballot(t, "open/v2").Proof())
		input[i] = new(big.Int).Add(input[i], rMod)
		if got := castRaw("castBallot", 1, proof, input); got != want {
			t.Errorf("input %d + r: %s, want %s", i, got, want)
		}
	}
	// An open ballot's proof made for the secret proposal's scope and
	// digest (anyone may prove the open statement for any digest), and a
	// secret ballot sent as open: the mode is the proposal's.
	proof, input = calldataOf(t, f.ballot(t, "open/v2").Proof())
	sp := f.params["secret"]
	digest, _ := sp.Digest()
	scope := sp.Scope()
	input[2], input[3] = bigOf(scope), bigOf(digest)
	if got := castRaw("castBallot", 3, proof, input); got != "WrongMode" {
		t.Errorf("an open ballot in a secret proposal: %s", got)
	}
	// Secret re-vote: the latest ballot re-randomised is stale, and a
	// counter beyond 64 bits is malformed.
	v0 := f.ballot(t, "secret/v0-c1")
	if _, err := d.cast(fe(3), v0); err != nil {
		t.Fatal(err)
	}
	proof, input = calldataOf(t, v0.Proof())
	rerandomise(rng, proof)
	if err := d.castSecretWithInput(fe(3), proof, input, ciphertextWords(v0)); daoError(err) != "StaleBallot" {
		t.Errorf("a re-randomised copy of the latest secret ballot: %v", err)
	}
	proof, input = calldataOf(t, v0.Proof())
	input[9] = new(big.Int).Lsh(big.NewInt(1), 64)
	if err := d.castSecretWithInput(fe(3), proof, input, ciphertextWords(v0)); daoError(err) != "MalformedBallot" {
		t.Errorf("a counter of 2^64: %v", err)
	}
	// The contract's ciphertext count is the secret statement's.
	out, err := d.daoCall("CIPHERTEXTS")
	if want := statement.SecretVote(statement.DefaultDepth, statement.DefaultOptions, statement.DefaultPack).Ciphertexts(); err != nil || out[0].(*big.Int).Int64() != int64(want) {
		t.Errorf("CIPHERTEXTS: %v %v, want %d", out, err, want)
	}
	// A result before the close; a close by someone else.
	if _, err := d.send(d.voter, &d.dao, must(evm.TallyCalldata(fe(1), f.tally, f.v.Totals))); daoError(err) != "NotClosed" {
		t.Errorf("a result before the close: %v", err)
	}
	if _, err := d.send(d.voter, &d.dao, must(dao.ABI.Pack("close", big.NewInt(1)))); daoError(err) != "NotOrganiser" {
		t.Errorf("a close by a voter: %v", err)
	}
	// A secret proposal's open call, and the reverse, with a mismatched key.
	p := *f.params["open"]
	p.ElectionID = fe(9)
	data := must(evm.OpenCalldata(&p))
	bad := must(dao.ABI.Pack("open", big.NewInt(10), bigOf(fe(1)), []*big.Int{big.NewInt(5)},
		struct{ NumOptions, MaxPerOption, MinTotal, MaxTotal, CostExponent uint64 }{3, 1, 1, 1, 1}, true, [2]*big.Int{new(big.Int), new(big.Int)}))
	if _, err := d.send(d.organiser, &d.dao, bad); daoError(err) != "BadProposal" {
		t.Errorf("a secret proposal without a key: %v", err)
	}
	d.mustSend(d.organiser, d.dao, data)
}

func make16() []*big.Int {
	out := make([]*big.Int, 16)
	for i := range out {
		out[i] = new(big.Int)
	}
	return out
}

// castSecretWithInput casts raw secret calldata.
func (d *daoSetup) castSecretWithInput(id fr.Element, proof []byte, input, points []*big.Int) error {
	dao, _ := evm.DAO()
	data, err := dao.ABI.Pack("castSecretBallot", bigOf(id), proof, arrayOf(input), arrayOf(points))
	if err != nil {
		d.t.Fatal(err)
	}
	_, err = d.send(d.voter, &d.dao, data)
	return err
}
