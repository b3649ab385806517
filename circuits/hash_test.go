package circuits

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/poseidon2"
)

type hashPairCircuit struct {
	X, Y           frontend.Variable
	Compress, Node frontend.Variable `gnark:",public"`
	Hash2          frontend.Variable `gnark:",public"`
}

func (c *hashPairCircuit) Define(api frontend.API) error {
	h, err := NewHasher(api)
	if err != nil {
		return err
	}
	api.AssertIsEqual(h.Compress(c.X, c.Y), c.Compress)
	api.AssertIsEqual(h.Node(c.X, c.Y), c.Node)
	api.AssertIsEqual(h.hash(poseidon2.TagNullifier, c.X, c.Y), c.Hash2)
	return nil
}

func hashInputs() []fr.Element {
	var one, rm1 fr.Element
	one.SetOne()
	rm1.Neg(&one)
	out := []fr.Element{{}, one, rm1}
	for range 3 {
		var x fr.Element
		x.SetRandom()
		out = append(out, x)
	}
	return out
}

func bi(x fr.Element) *big.Int { return x.BigInt(new(big.Int)) }

// TestHasherMatchesNative: the in-circuit hash accepts the native values on
// edge (0, 1, r−1) and random inputs, and rejects a perturbed one.
func TestHasherMatchesNative(t *testing.T) {
	in := hashInputs()
	for _, x := range in {
		for _, y := range in {
			c := poseidon2.Compress(&x, &y)
			n := poseidon2.Node(&x, &y)
			h := poseidon2.Hash(poseidon2.TagNullifier, x, y)
			good := &hashPairCircuit{X: bi(x), Y: bi(y), Compress: bi(c), Node: bi(n), Hash2: bi(h)}
			require.NoError(t, test.IsSolved(&hashPairCircuit{}, good, ecc.BN254.ScalarField()))
			var one fr.Element
			one.SetOne()
			bad := *good
			cc := c
			cc.Add(&cc, &one)
			bad.Compress = bi(cc)
			require.Error(t, test.IsSolved(&hashPairCircuit{}, &bad, ecc.BN254.ScalarField()))
			bad = *good
			bad.Node = bi(c) // a node without its domain offset
			require.Error(t, test.IsSolved(&hashPairCircuit{}, &bad, ecc.BN254.ScalarField()))
		}
	}
}

type compressCircuit struct {
	X, Y frontend.Variable
	Out  frontend.Variable `gnark:",public"`
}

func (c *compressCircuit) Define(api frontend.API) error {
	h, err := NewHasher(api)
	if err != nil {
		return err
	}
	api.AssertIsEqual(h.Compress(c.X, c.Y), c.Out)
	return nil
}

// TestCompressConstraints pins the R1CS cost of one compression at 8/56.
func TestCompressConstraints(t *testing.T) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &compressCircuit{})
	require.NoError(t, err)
	// 8 full rounds × 2 S-boxes + 56 partial × 1, 3 constraints each, plus
	// the output equality: 216 + 1.
	require.Equal(t, 217, ccs.GetNbConstraints())
}

type wideCircuit struct {
	In  []frontend.Variable
	Out frontend.Variable `gnark:",public"`
}

func (c *wideCircuit) Define(api frontend.API) error {
	h, err := NewHasher(api)
	if err != nil {
		return err
	}
	out, err := h.hashWide(poseidon2.TagCiphertexts, c.In...)
	if err != nil {
		return err
	}
	api.AssertIsEqual(out, c.Out)
	return nil
}

// TestHashWideMatchesNative: the in-circuit wide chain is
// poseidon2.HashWide for input counts around the block boundaries, a wrong
// digest is refused, and one permutation costs 459 constraints.
func TestHashWideMatchesNative(t *testing.T) {
	inputs := hashInputs()
	for _, n := range []int{0, 1, poseidon2.WideRate, poseidon2.WideRate + 1, 18} {
		msgs := make([]fr.Element, n)
		for i := range msgs {
			msgs[i] = inputs[i%len(inputs)]
			msgs[i].Add(&msgs[i], new(fr.Element).SetUint64(uint64(i/len(inputs))))
		}
		a := &wideCircuit{Out: bi(poseidon2.HashWide(poseidon2.TagCiphertexts, msgs...))}
		for _, m := range msgs {
			a.In = append(a.In, bi(m))
		}
		shape := &wideCircuit{In: make([]frontend.Variable, n)}
		require.NoError(t, test.IsSolved(shape, a, ecc.BN254.ScalarField()), "n=%d", n)
		a.Out = new(big.Int).Add(a.Out.(*big.Int), big.NewInt(1))
		require.Error(t, test.IsSolved(shape, a, ecc.BN254.ScalarField()), "n=%d, wrong digest", n)
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &wideCircuit{In: make([]frontend.Variable, poseidon2.WideRate)})
	require.NoError(t, err)
	require.Equal(t, 460, ccs.GetNbConstraints(), "one permutation and the equality")
}
