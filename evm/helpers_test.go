package evm_test

// Fixtures shared by the tests: the checked-in vectors, keys and compiled
// contracts, and a simulated chain (go-ethereum's ethclient/simulated) to
// deploy and call them on.

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
	"k8s.io/klog/v2"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/evm"
	"github.com/netstate/zkvote/evm/internal/vectors"
	"github.com/netstate/zkvote/verifier"
)

// fixtures are the checked-in test material.
type fixtures struct {
	v         *vectors.Vectors
	params    map[string]*election.Params
	ballots   map[string]*election.Ballot
	tally     []*verifier.Proof
	keys      map[string]*verifier.VerifyingKey // by file name: vote, secret-vote, tally, vote-other
	artifacts map[string]*evm.Artifact          // by contract file name
}

var loadFixtures = sync.OnceValues(func() (*fixtures, error) {
	f := &fixtures{params: map[string]*election.Params{}, ballots: map[string]*election.Ballot{},
		keys: map[string]*verifier.VerifyingKey{}, artifacts: map[string]*evm.Artifact{}}
	var err error
	if f.v, err = vectors.Read(filepath.Join("testdata", vectors.File)); err != nil {
		return nil, err
	}
	for name, b := range f.v.Params {
		if f.params[name], err = election.ParseParams(b); err != nil {
			return nil, fmt.Errorf("params %s: %v", name, err)
		}
	}
	for _, b := range f.v.Ballots {
		if f.ballots[b.Name], err = election.ParseBallot(b.Bytes); err != nil {
			return nil, fmt.Errorf("ballot %s: %v", b.Name, err)
		}
	}
	for i, b := range f.v.Tally {
		p, err := verifier.ParseProof(b)
		if err != nil {
			return nil, fmt.Errorf("tally proof %d: %v", i, err)
		}
		f.tally = append(f.tally, p)
	}
	for _, k := range []string{"vote", "secret-vote", "tally", "vote-other"} {
		b, err := os.ReadFile(filepath.Join("testdata", "keys", k+".vk"))
		if err != nil {
			return nil, err
		}
		if f.keys[k], err = verifier.ParseVerifyingKey(b); err != nil {
			return nil, fmt.Errorf("key %s: %v", k, err)
		}
	}
	for _, a := range []string{"VoteVerifier", "SecretVoteVerifier", "TallyVerifier", "OtherVoteVerifier", "Poseidon2Harness"} {
		b, err := os.ReadFile(filepath.Join("testdata", "artifacts", a+".json"))
		if err != nil {
			return nil, err
		}
		if f.artifacts[a], err = evm.ParseArtifact(b); err != nil {
			return nil, err
		}
	}
	return f, nil
})

func testFixtures(t testing.TB) *fixtures {
	t.Helper()
	f, err := loadFixtures()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixtures) ballot(t testing.TB, name string) *election.Ballot {
	t.Helper()
	b, ok := f.ballots[name]
	if !ok {
		t.Fatalf("no ballot %q in the vectors", name)
	}
	return b
}

// chain is a simulated chain with two funded accounts: the organiser, who
// deploys, and a voter.
type chain struct {
	t         testing.TB
	sim       *simulated.Backend
	client    simulated.Client
	organiser *ecdsa.PrivateKey
	voter     *ecdsa.PrivateKey
	errs      map[[4]byte]string // custom error selectors of the contracts, by name
}

// osaka is go-ethereum's development chain configuration with the forks
// after Osaka (Ethereum mainnet's rules since December 2025) switched off:
// the simulated backend's default also runs the next fork, which reprices
// storage.
func osaka() *params.ChainConfig {
	c := *params.AllDevChainProtocolChanges
	c.BogotaTime = nil
	return &c
}

func newChain(t testing.TB) *chain { return newChainWith(t, osaka()) }

// newChainWith starts a simulated chain with the chain configuration cfg.
func newChainWith(t testing.TB, cfg *params.ChainConfig) *chain {
	t.Helper()
	org, _ := crypto.GenerateKey()
	voter, _ := crypto.GenerateKey()
	funds := new(big.Int).Lsh(big.NewInt(1), 100)
	sim := simulated.NewBackend(types.GenesisAlloc{
		crypto.PubkeyToAddress(org.PublicKey):   {Balance: funds},
		crypto.PubkeyToAddress(voter.PublicKey): {Balance: funds},
	}, simulated.WithBlockGasLimit(60_000_000), func(_ *node.Config, e *ethconfig.Config) { e.Genesis.Config = cfg })
	t.Cleanup(func() { sim.Close() })
	c := &chain{t: t, sim: sim, client: sim.Client(), organiser: org, voter: voter, errs: map[[4]byte]string{}}
	dao, err := evm.DAO()
	if err != nil {
		t.Fatal(err)
	}
	c.learnErrors(dao.ABI)
	for _, a := range testFixtures(t).artifacts {
		c.learnErrors(a.ABI)
	}
	return c
}

func (c *chain) learnErrors(a abi.ABI) {
	for name, e := range a.Errors {
		c.errs[[4]byte(e.ID[:4])] = name
	}
}

// revert is a reverted call or transaction: the name of the custom error
// it reverted with, "Error(<message>)", or "revert" without data.
type revert string

func (r revert) Error() string { return "reverted: " + string(r) }

// decode turns an RPC error carrying revert data into a revert.
func (c *chain) decode(err error) error {
	var de rpc.DataError
	if !errors.As(err, &de) {
		return err
	}
	s, _ := de.ErrorData().(string)
	data := common.FromHex(s)
	switch {
	case len(data) < 4:
		return revert("revert")
	case [4]byte(data[:4]) == [4]byte{0x08, 0xc3, 0x79, 0xa0}:
		msg, uerr := abi.UnpackRevert(data)
		if uerr != nil {
			return revert("Error(?)")
		}
		return revert("Error(" + msg + ")")
	}
	if name, ok := c.errs[[4]byte(data[:4])]; ok {
		return revert(name)
	}
	return revert(fmt.Sprintf("unknown error %x", data[:4]))
}

// call runs data against to without a transaction.
func (c *chain) call(to common.Address, data []byte) ([]byte, error) {
	out, err := c.client.CallContract(context.Background(), ethereum.CallMsg{To: &to, Data: data}, nil)
	if err != nil {
		return nil, c.decode(err)
	}
	return out, nil
}

// send sends data to to (nil: a contract creation) from key, mines it and
// returns its receipt; a call that would revert returns the revert and
// sends nothing.
func (c *chain) send(key *ecdsa.PrivateKey, to *common.Address, data []byte) (*types.Receipt, error) {
	ctx := context.Background()
	from := crypto.PubkeyToAddress(key.PublicKey)
	gas, err := c.client.EstimateGas(ctx, ethereum.CallMsg{From: from, To: to, Data: data})
	if err != nil {
		return nil, c.decode(err)
	}
	nonce, err := c.client.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, err
	}
	head, err := c.client.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	fee := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), big.NewInt(1e9))
	chainID, err := c.client.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: fee,
		Gas: gas + gas/5, To: to, Data: data,
	})
	if err != nil {
		return nil, err
	}
	if err := c.client.SendTransaction(ctx, tx); err != nil {
		return nil, err
	}
	c.sim.Commit()
	r, err := c.client.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		return nil, err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return r, errors.New("transaction failed after its estimate succeeded")
	}
	return r, nil
}

func (c *chain) mustSend(key *ecdsa.PrivateKey, to common.Address, data []byte) *types.Receipt {
	c.t.Helper()
	r, err := c.send(key, &to, data)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// deploy deploys a and returns its address.
func (c *chain) deploy(a *evm.Artifact, args ...any) common.Address {
	c.t.Helper()
	code, err := a.DeployCode(args...)
	if err != nil {
		c.t.Fatal(err)
	}
	r, err := c.send(c.organiser, nil, code)
	if err != nil {
		c.t.Fatalf("deploying %s: %v", a.Name, err)
	}
	return r.ContractAddress
}

// daoSetup is a DAO deployed with the fixtures' verifiers.
type daoSetup struct {
	*chain
	dao                          common.Address
	vote, secret, tally, another common.Address // the verifiers
}

// deployDAO deploys the four verifiers and a DAO for deployment ID 2026
// (the vectors' DeploymentID) wired to the vote, secret vote and tally
// verifiers, or with voteVerifier "OtherVoteVerifier" to another key's.
func deployDAO(t testing.TB, voteVerifier string) *daoSetup {
	return deployDAOWith(t, voteVerifier, osaka())
}

func deployDAOWith(t testing.TB, voteVerifier string, cfg *params.ChainConfig) *daoSetup {
	f := testFixtures(t)
	c := newChainWith(t, cfg)
	d := &daoSetup{chain: c}
	d.vote = c.deploy(f.artifacts["VoteVerifier"])
	d.secret = c.deploy(f.artifacts["SecretVoteVerifier"])
	d.tally = c.deploy(f.artifacts["TallyVerifier"])
	d.another = c.deploy(f.artifacts["OtherVoteVerifier"])
	vote := d.vote
	if voteVerifier == "OtherVoteVerifier" {
		vote = d.another
	}
	dao, err := evm.DAO()
	if err != nil {
		t.Fatal(err)
	}
	d.dao = c.deploy(dao, vote, d.secret, d.tally, big.NewInt(2026))
	return d
}

// open opens the vectors' election name as a proposal.
func (d *daoSetup) open(name string) *types.Receipt {
	d.t.Helper()
	data, err := evm.OpenCalldata(testFixtures(d.t).params[name])
	if err != nil {
		d.t.Fatal(err)
	}
	return d.mustSend(d.organiser, d.dao, data)
}

// cast casts ballot b in proposal id from the voter's account.
func (d *daoSetup) cast(id fr.Element, b *election.Ballot) (*types.Receipt, error) {
	data, err := evm.CastCalldata(id, b)
	if err != nil {
		d.t.Fatal(err)
	}
	return d.send(d.voter, &d.dao, data)
}

// daoCall calls a view method of the DAO.
func (d *daoSetup) daoCall(method string, args ...any) ([]any, error) {
	dao, _ := evm.DAO()
	data, err := dao.ABI.Pack(method, args...)
	if err != nil {
		d.t.Fatal(err)
	}
	out, err := d.call(d.dao, data)
	if err != nil {
		return nil, err
	}
	return dao.ABI.Unpack(method, out)
}

// head returns proposal id's chain head.
func (d *daoSetup) head(id fr.Element) fr.Element {
	d.t.Helper()
	out, err := d.daoCall("proposal", bigOf(id))
	if err != nil {
		d.t.Fatal(err)
	}
	return elementOf(d.t, out[2].(*big.Int))
}

func bigOf(e fr.Element) *big.Int {
	b := e.Bytes()
	return new(big.Int).SetBytes(b[:])
}

func elementOf(t testing.TB, x *big.Int) fr.Element {
	t.Helper()
	var e fr.Element
	var b [32]byte
	x.FillBytes(b[:])
	if err := e.SetBytesCanonical(b[:]); err != nil {
		t.Fatal(err)
	}
	return e
}

func fe(v uint64) fr.Element { var x fr.Element; x.SetUint64(v); return x }

func u64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func TestMain(m *testing.M) {
	// Tessera, behind zkvote's ballot box, logs its start-up.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
	os.Exit(m.Run())
}

// arrayOf returns xs as a Go array [len(xs)]*big.Int, for a fixed-size
// uint256 ABI argument.
func arrayOf(xs []*big.Int) any {
	v := reflect.New(reflect.ArrayOf(len(xs), reflect.TypeFor[*big.Int]())).Elem()
	for i, x := range xs {
		v.Index(i).Set(reflect.ValueOf(x))
	}
	return v.Interface()
}
