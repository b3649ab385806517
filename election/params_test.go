package election_test

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/circuits"
	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

func testParams() *Params {
	return &Params{
		DeploymentID: fe(1), ElectionID: fe(2),
		Question: "Adopt the constitution?", Options: []string{"yes", "no", "abstain"},
		Census: []membership.Head{{Size: 3, Root: fe(77)}, {Size: 5, Root: fe(78)}}, Rules: SingleChoice(),
		VoteKey: testPin(1), TallyKey: testPin(2), Log: testLogKeys(),
	}
}

func TestRulesCheck(t *testing.T) {
	cases := []struct {
		r     Rules
		votes []uint64
		ok    bool
	}{
		{SingleChoice(), []uint64{1, 0, 0}, true},
		{SingleChoice(), []uint64{0, 0, 0}, false},
		{SingleChoice(), []uint64{1, 1, 0}, false},
		{SingleChoice(), []uint64{2, 0, 0}, false},
		{Approval(2), []uint64{1, 1, 0}, true},
		{Approval(2), []uint64{1, 1, 1}, false},
		{Approval(2), []uint64{0, 0, 0}, true},
		{Budget(10, 10), []uint64{10, 0, 0}, true},
		{Budget(10, 10), []uint64{5, 5, 1}, false},
		{Budget(10, 10), []uint64{11, 0, 0}, false},
		{Quadratic(25), []uint64{3, 4, 0}, true},
		{Quadratic(25), []uint64{3, 4, 1}, false},
		{Quadratic(25), []uint64{6, 0, 0}, false},
		{Quadratic(1<<64 - 1), []uint64{1<<32 - 1, 1<<32 - 1, 0}, false}, // 2^65 > 2^64−1: no wrap
		{Quadratic(1<<64 - 1), []uint64{1<<32 - 1, 0, 0}, true},
	}
	for i, c := range cases {
		err := c.r.Check(3, c.votes)
		if c.ok {
			require.NoError(t, err, i)
		} else {
			require.ErrorIs(t, err, ErrBallotRules, i)
		}
	}
	require.Error(t, SingleChoice().Check(3, []uint64{1, 0}))
	require.Equal(t, uint64(5), Quadratic(25).MaxPerOption)
	require.Equal(t, uint64(1<<32-1), Quadratic(1<<64-1).MaxPerOption)
	for _, bad := range []Rules{{MaxPerOption: 1 << 32, MaxTotal: 1, CostExponent: 1}, {MaxPerOption: 1, MaxTotal: 1, CostExponent: 3}, {MaxPerOption: 1, MinTotal: 2, MaxTotal: 1, CostExponent: 1}} {
		require.Error(t, bad.Validate())
	}
}

func TestParamsEncodeParse(t *testing.T) {
	p := testParams()
	enc, err := p.Encode()
	require.NoError(t, err)
	q, err := ParseParams(enc)
	require.NoError(t, err)
	enc2, err := q.Encode()
	require.NoError(t, err)
	require.Equal(t, enc, enc2)
	require.True(t, ParamsEqual(p, q))
	d1, err := p.Digest()
	require.NoError(t, err)
	d2, err := q.Digest()
	require.NoError(t, err)
	require.Equal(t, d1, d2)
	require.Equal(t, poseidon2.Hash(poseidon2.TagElection, fe(1), fe(2)), p.Scope())

	// Any change changes the digest; the scope depends only on the IDs.
	q.Options[2] = "abstention"
	d3, err := q.Digest()
	require.NoError(t, err)
	require.NotEqual(t, d1, d3)
	require.Equal(t, p.Scope(), q.Scope())
	q.ElectionID = fe(3)
	require.NotEqual(t, p.Scope(), q.Scope())
	// The digest is below 2^248.
	require.Less(t, d1.BigInt(new(big.Int)).BitLen(), 249)

	// Every truncation and any trailing byte is refused.
	for n := 0; n < len(enc); n++ {
		_, err := ParseParams(enc[:n])
		require.ErrorIs(t, err, ErrMalformedParams, n)
	}
	_, err = ParseParams(append(bytes.Clone(enc), 0))
	require.ErrorIs(t, err, ErrMalformedParams)
}

func TestParamsValidate(t *testing.T) {
	mut := map[string]func(p *Params){
		"no question":   func(p *Params) { p.Question = "" },
		"long question": func(p *Params) { p.Question = strings.Repeat("x", MaxQuestionLen+1) },
		"bad utf8":      func(p *Params) { p.Question = "\xff" },
		"no options":    func(p *Params) { p.Options = nil },
		"too many": func(p *Params) {
			p.Options = make([]string, 9)
			for i := range p.Options {
				p.Options[i] = "o"
			}
		},
		"empty option":  func(p *Params) { p.Options[1] = "" },
		"no roots":      func(p *Params) { p.Census = nil },
		"zero root":     func(p *Params) { p.Census[0].Root = fr.Element{} },
		"repeated root": func(p *Params) { p.Census[1].Root = p.Census[0].Root },
		"zero size":     func(p *Params) { p.Census[0].Size = 0 },
		"equal sizes":   func(p *Params) { p.Census[1].Size = p.Census[0].Size },
		"falling sizes": func(p *Params) { p.Census[0].Size, p.Census[1].Size = 5, 3 },
		"huge size":     func(p *Params) { p.Census[1].Size = membership.MaxLeaves + 1 },
		"56 options":    func(p *Params) { p.MaxOptions = 56 },
		"bad rules":     func(p *Params) { p.Rules.CostExponent = 0 },
		"depth":         func(p *Params) { p.Depth = 33 },
	}
	for name, m := range mut {
		p := testParams()
		m(p)
		require.Error(t, p.Validate(), name)
		_, err := p.Encode()
		require.Error(t, err, name)
	}
	p := testParams()
	require.True(t, p.AcceptsRoot(fe(78)))
	require.False(t, p.AcceptsRoot(fe(79)))
}

// TestParamsStatements: the vote statement is the vote of the census depth
// and compiled options (the defaults when zero, as the encoding records
// them); a tally of any batch size with the compiled options can count the
// ballots, and nothing else can.
func TestParamsStatements(t *testing.T) {
	p := testParams()
	require.Equal(t, statement.Vote(statement.DefaultDepth, statement.DefaultOptions), p.VoteStatement())
	enc, err := p.Encode()
	require.NoError(t, err)
	back, err := ParseParams(enc)
	require.NoError(t, err)
	require.Equal(t, p.VoteStatement(), back.VoteStatement())
	require.NoError(t, p.CheckTallyStatement(statement.Tally(4, statement.DefaultOptions)))

	p.Depth, p.MaxOptions = 4, 5
	require.Equal(t, statement.Vote(4, 5), p.VoteStatement())
	require.Equal(t, fmt.Sprintf("vote/v%d/depth=4/options=5", statement.Version), p.VoteStatement().Name())
	for _, batch := range []int{1, 4, 256, statement.MaxBatch} {
		require.NoError(t, p.CheckTallyStatement(statement.Tally(batch, 5)), batch)
	}
	for name, s := range map[string]statement.Statement{
		"fewer options":       statement.Tally(4, 4),
		"more options":        statement.Tally(4, 6),
		"the default options": statement.Tally(4, statement.DefaultOptions),
		"the labels' count":   statement.Tally(4, len(p.Options)),
		"batch 0":             statement.Tally(0, 5),
		"batch above max":     statement.Tally(statement.MaxBatch+1, 5),
		"the vote statement":  p.VoteStatement(),
		"a membership":        statement.Membership(4),
		"no statement":        {},
	} {
		require.Error(t, p.CheckTallyStatement(s), name)
	}
}

func FuzzParseParams(f *testing.F) {
	enc, err := testParams().Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add(enc[:20])
	f.Add([]byte{})
	secret, err := testSecretParams(f).Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(secret)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseParams(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedParams)
			return
		}
		again, err := p.Encode()
		require.NoError(t, err)
		require.Equal(t, b, again, "decode→encode is not exact")
	})
}

func FuzzParseBallot(f *testing.F) {
	f.Add([]byte("ZKVP"))
	f.Add(make([]byte, 400))
	w := testWorld(f)
	f.Add(ballotOf(f, w, 0).Bytes())
	secret := secretBallotOf(f, testSecretWorld(f), 0, 0, 1)
	f.Add(secret.Bytes())
	f.Add(versionOne(secret)) // refused: the version-1 encoding
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBallot(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedBallot)
			return
		}
		require.Equal(t, data, b.Bytes())
		_ = b.Votes(statement.DefaultOptions)
	})
}

// TestParamsKeyPins: both key pins are required, in the encoding and the
// digest, and parsed strictly.
func TestParamsKeyPins(t *testing.T) {
	p := testParams()
	enc, err := p.Encode()
	require.NoError(t, err)
	d, err := p.Digest()
	require.NoError(t, err)
	for name, m := range map[string]func(p *Params){
		"no vote pin":       func(p *Params) { p.VoteKey = KeyPin{} },
		"no tally pin":      func(p *Params) { p.TallyKey = KeyPin{} },
		"zero vote key ID":  func(p *Params) { p.VoteKey.ID = [32]byte{} },
		"zero tally key ID": func(p *Params) { p.TallyKey.ID = [32]byte{} },
		"no vote backend":   func(p *Params) { p.VoteKey.Backend = 0 },
		"unknown backend":   func(p *Params) { p.TallyKey.Backend = 3 },
	} {
		q := testParams()
		m(q)
		require.Error(t, q.Validate(), name)
		_, err := q.Encode()
		require.Error(t, err, name)
	}
	// Each pin, and its backend, changes the encoding and the digest.
	for name, m := range map[string]func(p *Params){
		"vote key ID":   func(p *Params) { p.VoteKey.ID[31] = 9 },
		"vote backend":  func(p *Params) { p.VoteKey.Backend = verifier.PLONK },
		"tally key ID":  func(p *Params) { p.TallyKey.ID[0] = 9 },
		"tally backend": func(p *Params) { p.TallyKey.Backend = verifier.PLONK },
		"pins swapped":  func(p *Params) { p.VoteKey, p.TallyKey = p.TallyKey, p.VoteKey },
	} {
		q := testParams()
		m(q)
		e, err := q.Encode()
		require.NoError(t, err, name)
		require.NotEqual(t, enc, e, name)
		d2, err := q.Digest()
		require.NoError(t, err, name)
		require.NotEqual(t, d, d2, name)
		back, err := ParseParams(e)
		require.NoError(t, err, name)
		require.Equal(t, q.VoteKey, back.VoteKey, name)
		require.Equal(t, q.TallyKey, back.TallyKey, name)
	}
	// The pins sit after the cost exponent: version, magic, IDs, sizes,
	// rules, then backend and ID of each key.
	off := len(ParamsMagic) + 1 + 32 + 32 + 2 + 3*8 + 1
	require.Equal(t, byte(verifier.Groth16), enc[off])
	require.Equal(t, p.VoteKey.ID[:], enc[off+1:off+33])
	require.Equal(t, byte(verifier.Groth16), enc[off+33])
	require.Equal(t, p.TallyKey.ID[:], enc[off+34:off+66])
	for name, b := range map[string][]byte{
		"version 1":        append(append([]byte(ParamsMagic), 1), enc[len(ParamsMagic)+1:]...),
		"vote backend 0":   setByte(enc, off, 0),
		"vote backend 3":   setByte(enc, off, 3),
		"tally backend 0":  setByte(enc, off+33, 0),
		"zero vote key ID": append(append(bytes.Clone(enc[:off+1]), make([]byte, 32)...), enc[off+33:]...),
	} {
		_, err := ParseParams(b)
		require.ErrorIs(t, err, ErrMalformedParams, name)
	}
	back, err := ParseParams(enc)
	require.NoError(t, err)
	require.Equal(t, p.VoteKey, back.VoteKey)
	require.Equal(t, p.TallyKey, back.TallyKey)

	require.False(t, KeyPin{}.Matches(nil))
	require.Equal(t, KeyPin{}, PinKey(nil))
}

func setByte(b []byte, off int, v byte) []byte {
	x := bytes.Clone(b)
	x[off] = v
	return x
}

// TestKeyPinsRefuseSecondKey: a second development key for the same vote
// circuit (whoever ran its setup can forge ballots) fills a ballot log; the
// box, the tally and the audit refuse it under the election's pinned
// parameters with ErrKeyMismatch, and so for a second tally key.
func TestKeyPinsRefuseSecondKey(t *testing.T) {
	w := testWorld(t)
	tk := testTallyKeys(t)
	ctx := context.Background()
	forger, err := prover.SetupInsecure(ctx, statement.Vote(tDepth, tOptions))
	require.NoError(t, err)
	require.Equal(t, w.keys.VerifyingKey().Circuit(), forger.VerifyingKey().Circuit())
	require.NotEqual(t, w.keys.VerifyingKey().ID(), forger.VerifyingKey().ID())

	// The box refuses the second key.
	_, err = OpenBox(ctx, t.TempDir(), w.params, forger.VerifyingKey(), testBoxOptions())
	require.ErrorIs(t, err, ErrKeyMismatch)

	// Ballots proven with the second key, for this election, fill a log.
	var raw [][]byte
	for i := range 3 {
		path, err := w.tree.Proof(uint64(i))
		require.NoError(t, err)
		votes := make([]uint64, 3)
		votes[0] = 1
		_, err = prover.Cast(ctx, forger, w.params, membershiptest.Identity(uint64(i)), path, votes)
		require.ErrorIs(t, err, ErrKeyMismatch, "Cast refuses a key the election does not pin")
		// The forger proves directly, as Cast would have.
		digest, err := w.params.Digest()
		require.NoError(t, err)
		id := membershiptest.Identity(uint64(i))
		proof, err := forger.Prove(ctx, &circuits.VoteWitness{
			Membership:   circuits.MembershipWitness{Root: path.Root, Scope: w.params.Scope(), Secret: id.Secret(), Siblings: path.Siblings, PathBits: path.PathBits},
			ParamsDigest: digest,
			NumOptions:   uint64(len(w.params.Options)),
			MaxPerOption: w.params.Rules.MaxPerOption, MinTotal: w.params.Rules.MinTotal, MaxTotal: w.params.Rules.MaxTotal,
			CostExponent: uint64(w.params.Rules.CostExponent),
			Votes:        votes,
		})
		require.NoError(t, err)
		raw = append(raw, proof.Bytes())
	}
	log := buildLog(t, w.params, raw, true)
	l, err := ReadLog(log)
	require.NoError(t, err)
	tallies, err := prover.ProveTally(ctx, tk, w.params, l.Ballots, nil)
	require.NoError(t, err)
	file := EncodeTallyProofs(tallies)
	_, err = Audit(ctx, w.params, forger.VerifyingKey(), tk.VerifyingKey(), log, file)
	require.ErrorIs(t, err, ErrKeyMismatch)
	var ae *AuditError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "log", ae.What)
	// With the pinned key, the forged ballots do not verify.
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), log, file)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrKeyMismatch)
	_, err = Audit(ctx, w.params, nil, tk.VerifyingKey(), log, file)
	require.ErrorIs(t, err, ErrKeyMismatch)

	// A second tally key for the same circuit proves nothing for this
	// election and is refused by the audit.
	tk2, err := prover.SetupInsecure(ctx, statement.Tally(tBatch, tOptions))
	require.NoError(t, err)
	require.Equal(t, tk.VerifyingKey().Circuit(), tk2.VerifyingKey().Circuit())
	_, err = prover.ProveTally(ctx, tk2, w.params, l.Ballots, nil)
	require.ErrorIs(t, err, ErrKeyMismatch)
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk2.VerifyingKey(), log, file)
	require.ErrorIs(t, err, ErrKeyMismatch)

	// Parameters pinning the second key are another election: its log
	// does not pass an audit under the election's parameters.
	other := *w.params
	other.VoteKey = PinKey(forger.VerifyingKey())
	box, err := OpenBox(ctx, t.TempDir(), &other, forger.VerifyingKey(), testBoxOptions())
	require.NoError(t, err)
	require.NoError(t, box.End())
	var exported bytes.Buffer
	require.NoError(t, box.ExportLog(context.Background(), &exported))
	_, err = Audit(ctx, w.params, w.keys.VerifyingKey(), tk.VerifyingKey(), exported.Bytes(), file)
	require.ErrorIs(t, err, ErrWrongElection)
}
