package evm

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// Artifact is a compiled contract: what scripts/solc writes for each
// contract, as JSON with the fields contractName, sourceName, compiler,
// settings, abi and bytecode.
type Artifact struct {
	Name     string  // the contract's name
	Source   string  // its source file, relative to the module
	Compiler string  // the solc version that built it
	ABI      abi.ABI // its interface
	Bytecode []byte  // its creation code
}

// ParseArtifact decodes an artefact file.
func ParseArtifact(data []byte) (*Artifact, error) {
	var f struct {
		ContractName string          `json:"contractName"`
		SourceName   string          `json:"sourceName"`
		Compiler     string          `json:"compiler"`
		ABI          json.RawMessage `json:"abi"`
		Bytecode     string          `json:"bytecode"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("evm: artefact: %v", err)
	}
	a, err := abi.JSON(strings.NewReader(string(f.ABI)))
	if err != nil {
		return nil, fmt.Errorf("evm: artefact %s: %v", f.ContractName, err)
	}
	code, err := hexBytes(f.Bytecode)
	if err != nil || len(code) == 0 {
		return nil, fmt.Errorf("evm: artefact %s: no bytecode", f.ContractName)
	}
	return &Artifact{Name: f.ContractName, Source: f.SourceName, Compiler: f.Compiler, ABI: a, Bytecode: code}, nil
}

func hexBytes(s string) ([]byte, error) {
	s, ok := strings.CutPrefix(s, "0x")
	if !ok {
		return nil, errors.New("no 0x prefix")
	}
	return hex.DecodeString(s)
}

// DeployCode returns the creation transaction's data: the bytecode followed
// by the constructor's arguments.
func (a *Artifact) DeployCode(args ...any) ([]byte, error) {
	packed, err := a.ABI.Pack("", args...)
	if err != nil {
		return nil, fmt.Errorf("evm: %s constructor: %v", a.Name, err)
	}
	return append(append([]byte(nil), a.Bytecode...), packed...), nil
}

//go:embed artifacts/ZkVoteDAO.json
var daoArtifact []byte

var dao = sync.OnceValues(func() (*Artifact, error) { return ParseArtifact(daoArtifact) })

// DAO returns the compiled ZkVoteDAO contract. Its constructor takes the
// addresses of the vote, secret vote and tally verifiers (contracts that
// verifier.ExportSolidity made from the election keys, compiled with
// scripts/solc) and the deployment ID of its proposals, below r.
func DAO() (*Artifact, error) { return dao() }

// Options is the number of options of the ballots the DAO takes
// (statement.DefaultOptions); a test holds it equal to the contract's.
const Options = statement.DefaultOptions

// rules is the DAO's Rules struct, as go-ethereum packs it.
type rules struct {
	NumOptions   uint64
	MaxPerOption uint64
	MinTotal     uint64
	MaxTotal     uint64
	CostExponent uint64
}

// OpenCalldata returns the calldata of the DAO's open for election p: the
// proposal ID is p.ElectionID, with p's digest, census roots, rules, mode
// and, in secret mode, election key. The contract's deployment ID must be
// p.DeploymentID.
func OpenCalldata(p *election.Params) ([]byte, error) {
	a, err := DAO()
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if s := p.VoteStatement(); s.Options() != Options || s.Depth() != statement.DefaultDepth ||
		(p.Secret != nil && s.Pack() != statement.DefaultPack) {
		return nil, fmt.Errorf("evm: the DAO takes ballots of the default sizes, not %s", s)
	}
	digest, err := p.Digest()
	if err != nil {
		return nil, err
	}
	roots := make([]*big.Int, len(p.Census))
	for i := range p.Census {
		roots[i] = word(p.Census[i].Root)
	}
	r := rules{uint64(len(p.Options)), p.Rules.MaxPerOption, p.Rules.MinTotal, p.Rules.MaxTotal, uint64(p.Rules.CostExponent)}
	key := [2]*big.Int{new(big.Int), new(big.Int)}
	if p.Secret != nil {
		x, y := p.Secret.Key.Coordinates()
		key = [2]*big.Int{word(x), word(y)}
	}
	return a.ABI.Pack("open", word(p.ElectionID), word(digest), roots, r, p.Secret != nil, key)
}

// CastCalldata returns the calldata that casts ballot b in proposal id:
// castBallot for an open ballot, castSecretBallot for a secret one, with
// its ciphertexts (each trustee.Ciphertext.XY, as four words).
func CastCalldata(id fr.Element, b *election.Ballot) ([]byte, error) {
	a, err := DAO()
	if err != nil {
		return nil, err
	}
	proof, input, err := calldata(b.Proof())
	if err != nil {
		return nil, err
	}
	method := "castBallot"
	if b.Secret() {
		method = "castSecretBallot"
	}
	m := a.ABI.Methods[method]
	if want := m.Inputs[2].Type.Size; len(input) != want {
		return nil, fmt.Errorf("evm: a ballot of %d public inputs, the DAO takes %d", len(input), want)
	}
	if !b.Secret() {
		return a.ABI.Pack(method, word(id), proof, array(input))
	}
	var points []*big.Int
	for _, c := range b.Ciphertexts() {
		xy := c.XY()
		for i := 0; i < len(xy); i += 32 {
			points = append(points, new(big.Int).SetBytes(xy[i:i+32]))
		}
	}
	if want := m.Inputs[3].Type.Size; len(points) != want {
		return nil, fmt.Errorf("evm: a secret ballot of %d ciphertext words, the DAO takes %d", len(points), want)
	}
	return a.ABI.Pack(method, word(id), proof, array(input), array(points))
}

// TallyCalldata returns the calldata of the DAO's recordTally for proposal
// id: the election's tally proofs, in order, and the totals they end at
// (one per compiled option). The proofs start at the log's genesis or
// where earlier proofs given to AdvanceTallyCalldata ended (none if those
// ended at the log's head).
func TallyCalldata(id fr.Element, proofs []*verifier.Proof, totals []uint64) ([]byte, error) {
	a, err := DAO()
	if err != nil {
		return nil, err
	}
	if len(totals) != Options {
		return nil, fmt.Errorf("evm: %d totals, the DAO records %d", len(totals), Options)
	}
	ps, ins, err := tallyArgs(proofs)
	if err != nil {
		return nil, err
	}
	var t [Options]uint64
	copy(t[:], totals)
	return a.ABI.Pack("recordTally", word(id), ps, ins, t)
}

// MaxTallyProofs is how many tally proofs one transaction of the DAO
// verifies within EIP-7825's cap on a transaction's gas (2^24), with room
// to spare: about 235,000 gas each. Give a longer list in several
// transactions, AdvanceTallyCalldata for all but the last.
const MaxTallyProofs = 64

// AdvanceTallyCalldata returns the calldata of the DAO's advanceTally for
// proposal id: tally proofs that go on from the log's genesis or from
// where proofs given before ended. Anyone may send it, before or after the
// close; the result is then recorded with TallyCalldata of the remaining
// proofs.
func AdvanceTallyCalldata(id fr.Element, proofs []*verifier.Proof) ([]byte, error) {
	a, err := DAO()
	if err != nil {
		return nil, err
	}
	ps, ins, err := tallyArgs(proofs)
	if err != nil {
		return nil, err
	}
	return a.ABI.Pack("advanceTally", word(id), ps, ins)
}

// tallyArgs returns tally proofs as the DAO takes them.
func tallyArgs(proofs []*verifier.Proof) ([][]byte, [][6]*big.Int, error) {
	ps := make([][]byte, len(proofs))
	ins := make([][6]*big.Int, len(proofs))
	for i, p := range proofs {
		proof, input, err := calldata(p)
		if err != nil {
			return nil, nil, err
		}
		if len(input) != len(ins[i]) {
			return nil, nil, fmt.Errorf("evm: tally proof %d has %d public inputs", i, len(input))
		}
		ps[i] = proof
		copy(ins[i][:], input)
	}
	return ps, ins, nil
}

// VerifyCalldata returns the calldata of verifyProof(bytes, uint256[n]) for
// p, the function of every verifier verifier.ExportSolidity writes.
func VerifyCalldata(p *verifier.Proof) ([]byte, error) {
	proof, input, err := calldata(p)
	if err != nil {
		return nil, err
	}
	t, err := abi.NewType(fmt.Sprintf("uint256[%d]", len(input)), "", nil)
	if err != nil {
		return nil, err
	}
	bt, _ := abi.NewType("bytes", "", nil)
	m := abi.NewMethod("verifyProof", "verifyProof", abi.Function, "view", false, false,
		abi.Arguments{{Name: "proof", Type: bt}, {Name: "input", Type: t}}, nil)
	args, err := m.Inputs.Pack(proof, array(input))
	if err != nil {
		return nil, err
	}
	return append(m.ID, args...), nil
}

// calldata returns p's EIP-197 proof bytes and public inputs as integers.
func calldata(p *verifier.Proof) ([]byte, []*big.Int, error) {
	proof, input, err := verifier.SolidityCalldata(p)
	if err != nil {
		return nil, nil, fmt.Errorf("evm: %v", err)
	}
	out := make([]*big.Int, len(input))
	for i := range input {
		out[i] = new(big.Int).SetBytes(input[i][:])
	}
	return proof, out, nil
}

// array returns xs as a Go array [len(xs)]*big.Int, the type go-ethereum's
// ABI packs a fixed-size uint256 array from.
func array(xs []*big.Int) any {
	v := reflect.New(reflect.ArrayOf(len(xs), reflect.TypeFor[*big.Int]())).Elem()
	for i, x := range xs {
		v.Index(i).Set(reflect.ValueOf(x))
	}
	return v.Interface()
}

func word(e fr.Element) *big.Int {
	b := e.Bytes()
	return new(big.Int).SetBytes(b[:])
}
