package circuits

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/trustee"
)

// coords returns the affine coordinates of a trustee point.
func coords(t testing.TB, p trustee.Point) EdwardsPoint {
	b := p.Bytes()
	var a twistededwards.PointAffine
	_, err := a.SetBytes(b[:])
	require.NoError(t, err)
	return EdwardsPoint{X: a.X.BigInt(new(big.Int)), Y: a.Y.BigInt(new(big.Int))}
}

func scalar(t testing.TB, k *big.Int) trustee.Scalar {
	var b [32]byte
	c := twistededwards.GetEdwardsCurve()
	new(big.Int).Mod(k, &c.Order).FillBytes(b[:])
	s, err := trustee.ParseScalar(b[:])
	require.NoError(t, err)
	return s
}

type addCircuit struct{ P, Q, R EdwardsPoint }

func (c *addCircuit) Define(api frontend.API) error {
	e := NewEdwards(api)
	r := e.Add(c.P, c.Q)
	api.AssertIsEqual(r.X, c.R.X)
	api.AssertIsEqual(r.Y, c.R.Y)
	return nil
}

// TestEdwardsAdd: the in-circuit law agrees with the native one on random
// points, the identity, doubling and opposite points, and rejects a wrong
// sum.
func TestEdwardsAdd(t *testing.T) {
	field := ecc.BN254.ScalarField()
	rnd := func() trustee.Point { k, _ := trustee.RandomScalar(nil); return trustee.BaseMul(k) }
	p, q := rnd(), rnd()
	neg := trustee.Identity().Sub(p)
	for name, pq := range map[string][2]trustee.Point{
		"random":   {p, q},
		"identity": {p, trustee.Identity()},
		"both id":  {trustee.Identity(), trustee.Identity()},
		"double":   {p, p},
		"opposite": {p, neg},
	} {
		sum := pq[0].Add(pq[1])
		a := &addCircuit{P: coords(t, pq[0]), Q: coords(t, pq[1]), R: coords(t, sum)}
		require.NoError(t, test.IsSolved(&addCircuit{}, a, field), name)
		bad := &addCircuit{P: a.P, Q: a.Q, R: coords(t, sum.Add(trustee.Generator()))}
		require.Error(t, test.IsSolved(&addCircuit{}, bad, field), name)
	}
}

type mulCircuit struct {
	K    frontend.Variable
	P    EdwardsPoint
	KG   EdwardsPoint
	KP   EdwardsPoint
	bits int
}

func (c *mulCircuit) Define(api frontend.API) error {
	e := NewEdwards(api)
	b := api.ToBinary(c.K, c.bits)
	kg, kp := e.ScalarMulBase(b), e.ScalarMul(c.P, b)
	api.AssertIsEqual(kg.X, c.KG.X)
	api.AssertIsEqual(kg.Y, c.KG.Y)
	api.AssertIsEqual(kp.X, c.KP.X)
	api.AssertIsEqual(kp.Y, c.KP.Y)
	return nil
}

// TestEdwardsMul: fixed-base and variable-base multiplication agree with
// the native ones for edge scalars and widths that are and are not
// multiples of the window.
func TestEdwardsMul(t *testing.T) {
	field := ecc.BN254.ScalarField()
	k0, _ := trustee.RandomScalar(nil)
	p := trustee.BaseMul(k0)
	k0b := k0.Bytes()
	max251 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 251), big.NewInt(1))
	for _, c := range []struct {
		k    *big.Int
		bits int
	}{
		{big.NewInt(0), 32}, {big.NewInt(1), 32}, {big.NewInt(5), 3}, {big.NewInt(0xffffffff), 32},
		{big.NewInt(12345), 17}, {max251, 251}, {new(big.Int).SetBytes(k0b[:]), 251},
	} {
		s := scalar(t, c.k)
		a := &mulCircuit{K: c.k, P: coords(t, p), KG: coords(t, trustee.BaseMul(s)), KP: coords(t, p.Mul(s)), bits: c.bits}
		require.NoError(t, test.IsSolved(&mulCircuit{bits: c.bits}, a, field), "k=%v", c.k)
		wrong := *a
		wrong.KP = coords(t, p.Mul(s.Add(trustee.NewScalar(1))))
		require.Error(t, test.IsSolved(&mulCircuit{bits: c.bits}, &wrong, field), "k=%v", c.k)
		wrong = *a
		wrong.KG = coords(t, trustee.BaseMul(s.Add(trustee.NewScalar(1))))
		require.Error(t, test.IsSolved(&mulCircuit{bits: c.bits}, &wrong, field), "k=%v", c.k)
	}
}

type encryptCircuit struct {
	PK     EdwardsPoint
	V, K   frontend.Variable
	C1, C2 EdwardsPoint
}

func (c *encryptCircuit) Define(api frontend.API) error {
	e := NewEdwards(api)
	c1, c2 := e.Encrypt(c.PK, c.V, 32, c.K)
	api.AssertIsEqual(c1.X, c.C1.X)
	api.AssertIsEqual(c1.Y, c.C1.Y)
	api.AssertIsEqual(c2.X, c.C2.X)
	api.AssertIsEqual(c2.Y, c.C2.Y)
	return nil
}

// TestEncryptPair: the circuit's encryption is trustee.EncryptWith's, and a
// ciphertext of another value, another randomness, or under a key off the
// curve is rejected; so is randomness of 2^251 or more.
func TestEncryptPair(t *testing.T) {
	field := ecc.BN254.ScalarField()
	sk, _ := trustee.RandomScalar(nil)
	pk := trustee.BaseMul(sk)
	for _, v := range []uint64{0, 1, 7, 1<<32 - 1} {
		k, _ := trustee.RandomScalar(nil)
		c := trustee.EncryptWith(pk, v, k)
		kInt := new(big.Int).SetBytes(func() []byte { b := k.Bytes(); return b[:] }())
		a := &encryptCircuit{PK: coords(t, pk), V: v, K: kInt, C1: coords(t, c.C1), C2: coords(t, c.C2)}
		require.NoError(t, test.IsSolved(&encryptCircuit{}, a, field), "v=%d", v)

		other := trustee.EncryptWith(pk, v+1, k)
		bad := *a
		bad.C2 = coords(t, other.C2)
		require.Error(t, test.IsSolved(&encryptCircuit{}, &bad, field), "v+1")
		bad = *a
		bad.K = new(big.Int).Add(kInt, big.NewInt(1))
		require.Error(t, test.IsSolved(&encryptCircuit{}, &bad, field), "k+1")
	}
	// Randomness of 2^251 or more does not decompose.
	k := new(big.Int).Lsh(big.NewInt(1), 251)
	s := scalar(t, k)
	c := trustee.EncryptWith(pk, 3, s)
	a := &encryptCircuit{PK: coords(t, pk), V: 3, K: k, C1: coords(t, c.C1), C2: coords(t, c.C2)}
	require.Error(t, test.IsSolved(&encryptCircuit{}, a, field))
	// A key off the curve is refused, even with a consistent assignment.
	off := coords(t, pk)
	off.X = new(big.Int).Add(off.X.(*big.Int), big.NewInt(1))
	a = &encryptCircuit{PK: off, V: 0, K: 0, C1: EdwardsPoint{X: 0, Y: 1}, C2: EdwardsPoint{X: 0, Y: 1}}
	require.Error(t, test.IsSolved(&encryptCircuit{}, a, field))
	a.PK = coords(t, pk)
	require.NoError(t, test.IsSolved(&encryptCircuit{}, a, field), "the same with the real key")
}

// TestEncryptCost pins what one encryption costs, the unit of a secret
// ballot's size.
func TestEncryptCost(t *testing.T) {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &encryptCircuit{})
	require.NoError(t, err)
	t.Logf("one ElGamal encryption (32-bit value, 251-bit randomness): %d R1CS constraints", ccs.GetNbConstraints())
	require.Equal(t, 4483, ccs.GetNbConstraints(), "the cost of an encryption changed: update this pin and the docs")
}
