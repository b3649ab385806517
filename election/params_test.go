package election

import (
	"bytes"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/poseidon2"
)

func fe(v uint64) fr.Element { var x fr.Element; x.SetUint64(v); return x }

func testParams() *Params {
	return &Params{
		DeploymentID: fe(1), ElectionID: fe(2),
		Question: "Adopt the constitution?", Options: []string{"yes", "no", "abstain"},
		Roots: []fr.Element{fe(77), fe(78)}, Rules: SingleChoice(),
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
	require.True(t, p.equal(q))
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
		"no roots":      func(p *Params) { p.Roots = nil },
		"zero root":     func(p *Params) { p.Roots[0] = fr.Element{} },
		"repeated root": func(p *Params) { p.Roots[1] = p.Roots[0] },
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

func FuzzParseParams(f *testing.F) {
	enc, err := testParams().Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add(enc[:20])
	f.Add([]byte{})
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
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBallot(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedBallot)
			return
		}
		require.Equal(t, data, b.Bytes())
		_ = b.Votes(DefaultMaxOptions)
	})
}
