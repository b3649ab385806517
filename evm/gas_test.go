package evm_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"

	"github.com/netstate/zkvote/evm"
)

// gasCase is one measured transaction: its gas, and the call to time.
type gasCase struct {
	name string
	gas  uint64
	to   common.Address
	data []byte
}

// measureGas sends each measured transaction once on a fresh chain and
// returns its gas (the receipt's gasUsed: execution, calldata and the
// 21,000 of every transaction), with the call to repeat for timing.
func measureGas(t testing.TB, cfg *params.ChainConfig) []gasCase {
	f := testFixtures(t)
	d := deployDAOWith(t, "VoteVerifier", cfg)
	var out []gasCase
	add := func(name string, to common.Address, data []byte) {
		t.Helper()
		// Time the call before sending it: once sent, a ballot's
		// nullifier is used and the call would revert.
		c := gasCase{name: name, to: to, data: data}
		r := d.mustSend(d.voter, to, data)
		c.gas = r.GasUsed
		out = append(out, c)
	}
	for _, v := range []struct {
		name, ballot string
		to           common.Address
	}{
		{"verify/statement=vote", "open/v0", d.vote},
		{"verify/statement=secret-vote", "secret/v0-c0", d.secret},
	} {
		add(v.name, v.to, must(evm.VerifyCalldata(f.ballot(t, v.ballot).Proof())))
	}
	add("verify/statement=tally", d.tally, must(evm.VerifyCalldata(f.tally[0])))

	dao, _ := evm.DAO()
	openCall := must(evm.OpenCalldata(f.params["open"]))
	r := d.mustSend(d.organiser, d.dao, openCall)
	out = append(out, gasCase{name: "open/mode=open", gas: r.GasUsed})
	d.open("secret")
	// The first ballot of a proposal pays for its ballot counter's first
	// write; the measured ones are a later ballot.
	if _, err := d.cast(fe(1), f.ballot(t, "open/v0")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cast(fe(3), f.ballot(t, "secret/v0-c0")); err != nil {
		t.Fatal(err)
	}
	add("cast/mode=open", d.dao, must(evm.CastCalldata(fe(1), f.ballot(t, "open/v1"))))
	add("cast/mode=secret", d.dao, must(evm.CastCalldata(fe(3), f.ballot(t, "secret/v1-c0"))))
	add("recast/mode=secret", d.dao, must(evm.CastCalldata(fe(3), f.ballot(t, "secret/v0-c1"))))
	for _, b := range []string{"open/v2", "open/v3"} {
		if _, err := d.cast(fe(1), f.ballot(t, b)); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []int64{1, 3} {
		d.mustSend(d.organiser, d.dao, must(dao.ABI.Pack("close", big.NewInt(id))))
	}
	add("result/mode=open", d.dao, must(evm.TallyCalldata(fe(1), f.tally, f.v.Totals)))
	// Two voters, one vote each: totals the rules allow.
	totals := [evm.Options]uint64{1, 1}
	r = d.mustSend(d.organiser, d.dao, must(dao.ABI.Pack("recordDecryption", big.NewInt(3), totals, [32]byte{1})))
	out = append(out, gasCase{name: "result/mode=secret", gas: r.GasUsed})
	return out
}

// TestGas logs the gas of each measured transaction and bounds it, so a
// change that makes ballots much dearer fails here; BenchmarkGas reports
// the same numbers as metrics.
func TestGas(t *testing.T) {
	limits := map[string]uint64{
		"verify/statement=vote": 400_000, "verify/statement=secret-vote": 350_000, "verify/statement=tally": 330_000,
		"open/mode=open": 250_000, "cast/mode=open": 500_000, "cast/mode=secret": 560_000, "recast/mode=secret": 560_000,
		"result/mode=open": 700_000, "result/mode=secret": 150_000,
	}
	next := map[string]uint64{}
	for _, c := range measureGas(t, params.AllDevChainProtocolChanges) {
		next[c.name] = c.gas
	}
	for _, c := range measureGas(t, osaka()) {
		t.Logf("%-30s %9d gas (%d under go-ethereum's next fork)", c.name, c.gas, next[c.name])
		if limit, ok := limits[c.name]; !ok || c.gas > limit {
			t.Errorf("%s: %d gas, above its bound %d", c.name, c.gas, limit)
		}
	}
}

// BenchmarkGas reports the gas of verifying one proof with an exported
// verifier, opening a proposal, casting a ballot through the DAO and
// recording a result, measured in go-ethereum's EVM (metric "gas"); the
// time per op is one eth_call of the transaction's call in the simulated
// chain for the verifications, and meaningless for the other cases.
func BenchmarkGas(b *testing.B) {
	cases := measureGas(b, osaka())
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			defer b.ReportMetric(float64(c.gas), "gas")
			if c.data == nil || c.name[:6] != "verify" {
				// State-changing calls were spent by measureGas: their
				// time per op means nothing; gas is their metric.
				return
			}
			d := deployDAO(b, "VoteVerifier")
			to := map[string]common.Address{"verify/statement=vote": d.vote, "verify/statement=secret-vote": d.secret, "verify/statement=tally": d.tally}[c.name]
			msg := ethereum.CallMsg{To: &to, Data: c.data}
			for b.Loop() {
				if _, err := d.client.CallContract(context.Background(), msg, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDAOCodeSize: the DAO's runtime code stays under EIP-170's limit of
// 24,576 bytes (the wide Poseidon2 of secret ballots' ciphertexts is most
// of it); the margin is logged.
func TestDAOCodeSize(t *testing.T) {
	d := deployDAO(t, "VoteVerifier")
	code, err := d.client.CodeAt(context.Background(), d.dao, nil)
	if err != nil {
		t.Fatal(err)
	}
	const limit = params.MaxCodeSize
	t.Logf("ZkVoteDAO runtime code: %d bytes, %d under EIP-170's limit", len(code), limit-len(code))
	if len(code) == 0 || len(code) > limit {
		t.Fatalf("ZkVoteDAO runtime code: %d bytes", len(code))
	}
}
