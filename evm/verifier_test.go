package evm_test

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/netstate/zkvote/evm"
	"github.com/netstate/zkvote/verifier"
)

// subject is one proof and the verifiers it is checked by: zkvote's Go
// verifier with its key, and the contract exported from that key.
type subject struct {
	name     string
	vk       *verifier.VerifyingKey
	contract common.Address
	proof    *verifier.Proof
}

// subjects returns every proof of the vectors with its key and verifier.
func subjects(t *testing.T, d *daoSetup) []subject {
	f := testFixtures(t)
	var out []subject
	for _, b := range f.v.Ballots {
		s := subject{name: b.Name, vk: f.keys["vote"], contract: d.vote, proof: f.ballot(t, b.Name).Proof()}
		if f.ballot(t, b.Name).Secret() {
			s.vk, s.contract = f.keys["secret-vote"], d.secret
		}
		out = append(out, s)
	}
	for i, p := range f.tally {
		out = append(out, subject{name: "tally/" + string(rune('0'+i)), vk: f.keys["tally"], contract: d.tally, proof: p})
	}
	return out
}

// goAccepts reports whether zkvote's Go verifier accepts the proof given
// as the contract takes it: EIP-197 points and public inputs as integers.
// Coordinates not below p, points off their curve and inputs not below r
// have no encoding in zkvote's proof format: they are refused.
func goAccepts(vk *verifier.VerifyingKey, orig *verifier.Proof, proof []byte, input []*big.Int) bool {
	var els [8]fp.Element
	for i := range els {
		if els[i].SetBytesCanonical(proof[32*i:32*i+32]) != nil {
			return false
		}
	}
	a := bn254.G1Affine{X: els[0], Y: els[1]}
	var b bn254.G2Affine
	b.X.A1, b.X.A0, b.Y.A1, b.Y.A0 = els[2], els[3], els[4], els[5]
	c := bn254.G1Affine{X: els[6], Y: els[7]}
	if !a.IsOnCurve() || !b.IsOnCurve() || !c.IsOnCurve() {
		return false
	}
	data := bytes.Clone(orig.Data)
	ab, bb, cb := a.Bytes(), b.Bytes(), c.Bytes()
	copy(data[0:32], ab[:])
	copy(data[32:96], bb[:])
	copy(data[96:128], cb[:])
	pub := make([]fr.Element, len(input))
	for i, x := range input {
		if x.Sign() < 0 || x.BitLen() > 256 {
			return false
		}
		var w [32]byte
		x.FillBytes(w[:])
		if pub[i].SetBytesCanonical(w[:]) != nil {
			return false
		}
	}
	p, err := verifier.ParseProof((&verifier.Proof{Backend: verifier.Groth16, KeyID: vk.ID(), Public: pub, Data: data}).Bytes())
	if err != nil {
		return false
	}
	return verifier.Verify(vk, p) == nil
}

// evmAccepts reports whether the exported verifier at addr accepts.
func evmAccepts(t *testing.T, d *daoSetup, addr common.Address, proof []byte, input []*big.Int) (bool, string) {
	arr, _ := abi.NewType("uint256["+itoa(len(input))+"]", "", nil)
	bt, _ := abi.NewType("bytes", "", nil)
	m := abi.NewMethod("verifyProof", "verifyProof", abi.Function, "view", false, false,
		abi.Arguments{{Name: "proof", Type: bt}, {Name: "input", Type: arr}}, nil)
	args, err := m.Inputs.Pack(proof, toArray(input))
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.call(addr, append(m.ID, args...))
	return err == nil, daoError(err)
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func toArray(xs []*big.Int) any {
	// The same conversion as the package's, through its public API would
	// need a verifier.Proof; the values here may be out of range.
	return arrayOf(xs)
}

// calldataOf returns p as the contract takes it.
func calldataOf(t *testing.T, p *verifier.Proof) ([]byte, []*big.Int) {
	proof, words, err := verifier.SolidityCalldata(p)
	if err != nil {
		t.Fatal(err)
	}
	input := make([]*big.Int, len(words))
	for i := range words {
		input[i] = new(big.Int).SetBytes(words[i][:])
	}
	return proof, input
}

// TestVerifierAcceptsWhatGoAccepts: every proof of the vectors verifies
// under both verifiers, and its calldata from package evm is the same.
func TestVerifierAcceptsWhatGoAccepts(t *testing.T) {
	d := deployDAO(t, "VoteVerifier")
	for _, s := range subjects(t, d) {
		proof, input := calldataOf(t, s.proof)
		if !goAccepts(s.vk, s.proof, proof, input) || verifier.Verify(s.vk, s.proof) != nil {
			t.Fatalf("%s: the Go verifier refuses it", s.name)
		}
		if ok, why := evmAccepts(t, d, s.contract, proof, input); !ok {
			t.Fatalf("%s: the contract refuses it: %s", s.name, why)
		}
		data, err := evm.VerifyCalldata(s.proof)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.call(s.contract, data); err != nil {
			t.Fatalf("%s: VerifyCalldata: %v", s.name, err)
		}
	}
}

var (
	pMod = fp.Modulus()
	rMod = fr.Modulus()
	max  = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
)

// TestMutations is a property test: random mutations of every kind
// SECURITY.md lists for proofs and public inputs, applied to real proofs;
// the Go verifier and the contract must agree on each, and the mutations
// that keep the statement (Groth16's re-randomisation and negation) must
// be accepted by both, every other refused.
func TestMutations(t *testing.T) {
	d := deployDAO(t, "VoteVerifier")
	subs := subjects(t, d)
	n := 400
	if testing.Short() {
		n = 60
	}
	rng := rand.New(rand.NewPCG(1, uint64(len(subs))))
	counts := map[string]int{}
	for i := range n {
		s := subs[rng.IntN(len(subs))]
		proof, input := calldataOf(t, s.proof)
		what, keeps := mutate(rng, subs, s, proof, input)
		counts[what]++
		g := goAccepts(s.vk, s.proof, proof, input)
		e, why := evmAccepts(t, d, s.contract, proof, input)
		if g != e {
			t.Fatalf("mutation %d (%s of %s): Go accepts %v, contract %v (%s)", i, what, s.name, g, e, why)
		}
		if g != keeps {
			t.Fatalf("mutation %d (%s of %s): both accept %v, want %v", i, what, s.name, g, keeps)
		}
	}
	t.Logf("%d mutations: %v", n, counts)
}

// mutate changes proof or input in place and says how, and whether the
// result is still a valid proof of a statement.
func mutate(rng *rand.Rand, subs []subject, s subject, proof []byte, input []*big.Int) (string, bool) {
	word := func() int { return rng.IntN(8) }
	in := rng.IntN(len(input))
	switch rng.IntN(11) {
	case 0:
		bit := rng.IntN(256 * 8)
		proof[bit/8] ^= 1 << (bit % 8)
		return "proof bit flip", false
	case 1:
		w := word()
		for j := range 32 {
			proof[32*w+j] = byte(rng.Uint32())
		}
		return "random proof word", false
	case 2:
		w := word()
		x := new(big.Int).SetBytes(proof[32*w : 32*w+32])
		x.Add(x, pMod)
		if x.BitLen() > 256 {
			return "coordinate + p (skipped: over 256 bits)", true
		}
		x.FillBytes(proof[32*w : 32*w+32])
		return "coordinate + p", false
	case 3:
		for j := range 64 {
			proof[j] = 0
		}
		return "A at infinity", false
	case 4:
		input[in] = new(big.Int).Mod(new(big.Int).Add(input[in], big.NewInt(1)), rMod)
		return "input + 1", false
	case 5:
		input[in] = new(big.Int).Add(input[in], rMod)
		return "input + r", false
	case 6:
		input[in] = []*big.Int{new(big.Int).Set(rMod), new(big.Int).Add(rMod, big.NewInt(1)), new(big.Int).Set(max)}[rng.IntN(3)]
		return "input r, r + 1 or 2^256 - 1", false
	case 7:
		j := rng.IntN(len(input))
		if input[in].Cmp(input[j]) == 0 {
			return "swap of equal inputs", true
		}
		input[in], input[j] = input[j], input[in]
		return "swapped inputs", false
	case 8:
		// (k·A, k⁻¹·B, C) proves the same statement.
		rerandomise(rng, proof)
		return "re-randomised", true
	case 9:
		negate(proof)
		return "(-A, -B, C)", true
	default:
		o := subs[rng.IntN(len(subs))]
		if o.proof == s.proof || o.vk != s.vk {
			return "another proof (skipped: same or other key)", true
		}
		other, _, _ := verifier.SolidityCalldata(o.proof)
		if bytes.Equal(other, proof) {
			return "another proof (skipped: same bytes)", true
		}
		copy(proof, other)
		return "another ballot's proof", false
	}
}

func points(proof []byte) (a bn254.G1Affine, b bn254.G2Affine) {
	a.X.SetBytes(proof[0:32])
	a.Y.SetBytes(proof[32:64])
	b.X.A1.SetBytes(proof[64:96])
	b.X.A0.SetBytes(proof[96:128])
	b.Y.A1.SetBytes(proof[128:160])
	b.Y.A0.SetBytes(proof[160:192])
	return
}

func setPoints(proof []byte, a bn254.G1Affine, b bn254.G2Affine) {
	for i, e := range []fp.Element{a.X, a.Y, b.X.A1, b.X.A0, b.Y.A1, b.Y.A0} {
		w := e.Bytes()
		copy(proof[32*i:], w[:])
	}
}

func rerandomise(rng *rand.Rand, proof []byte) {
	a, b := points(proof)
	var k, kinv fr.Element
	k.SetUint64(rng.Uint64() | 2)
	kinv.Inverse(&k)
	var kb, kib big.Int
	k.BigInt(&kb)
	kinv.BigInt(&kib)
	a.ScalarMultiplication(&a, &kb)
	b.ScalarMultiplication(&b, &kib)
	setPoints(proof, a, b)
}

func negate(proof []byte) {
	a, b := points(proof)
	a.Neg(&a)
	b.Neg(&b)
	setPoints(proof, a, b)
}

// TestVerifierSources: the checked-in verifiers are what
// verifier.ExportSolidity writes for the checked-in keys today.
func TestVerifierSources(t *testing.T) {
	f := testFixtures(t)
	for key, contract := range map[string]string{
		"vote": "VoteVerifier", "secret-vote": "SecretVoteVerifier", "tally": "TallyVerifier", "vote-other": "OtherVoteVerifier",
	} {
		var want bytes.Buffer
		if err := verifier.ExportSolidity(f.keys[key], &want); err != nil {
			t.Fatal(err)
		}
		have, err := os.ReadFile(filepath.Join("testdata", "contracts", contract+".sol"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want.Bytes()) {
			t.Errorf("testdata/contracts/%s.sol is not ExportSolidity of keys/%s.vk: go run ./internal/cmd/vectors, then scripts/solc", contract, key)
		}
	}
}
