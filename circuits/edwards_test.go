package circuits

import (
	"bytes"
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/constraint/solver"
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

// encryptCircuit encrypts V under PK with a gadget planned for n
// encryptions (n ≥ 2: the shared table of the key's multiples).
type encryptCircuit struct {
	PK     EdwardsPoint
	V, Rho frontend.Variable
	C1, C2 EdwardsPoint
	vBits  int
	n      int
}

func (c *encryptCircuit) Define(api frontend.API) error {
	g := newElGamal(NewEdwards(api), c.PK, c.n, 0)
	c1, c2 := g.encrypt(api.ToBinary(c.V, c.vBits), c.Rho)
	api.AssertIsEqual(c1.X, c.C1.X)
	api.AssertIsEqual(c1.Y, c.C1.Y)
	api.AssertIsEqual(c2.X, c.C2.X)
	api.AssertIsEqual(c2.Y, c.C2.Y)
	return nil
}

// effectiveRandomness is the reference of the circuit's reading of a
// randomness wire: the scalar 2ρ − (2^251 − 1) mod l.
func effectiveRandomness(t testing.TB, rho *big.Int) trustee.Scalar {
	k := new(big.Int).Lsh(rho, 1)
	k.Sub(k, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 251), big.NewInt(1)))
	return scalar(t, k)
}

func scalarInt(k trustee.Scalar) *big.Int { b := k.Bytes(); return new(big.Int).SetBytes(b[:]) }

// TestEncryptPair: the circuit's encryption is trustee.EncryptWith's for
// 32- and 64-bit plaintexts (a packed pair of votes) and for every
// randomness wire below 2^251, the edges included; a ciphertext of another
// value or another randomness is rejected, and so is a wire of 2^251.
func TestEncryptPair(t *testing.T) {
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("encryptions=%d", n), func(t *testing.T) { testEncryptPair(t, n) })
	}
}

func testEncryptPair(t *testing.T, n int) {
	field := ecc.BN254.ScalarField()
	sk, _ := trustee.RandomScalar(nil)
	pk := trustee.BaseMul(sk)
	for _, c := range []struct {
		v     uint64
		vBits int
	}{
		{0, 32}, {1, 32}, {7, 32}, {1<<32 - 1, 32},
		{0, 64}, {1 << 32, 64}, {3<<32 | 5, 64}, {1<<64 - 1, 64},
	} {
		k, _ := trustee.RandomScalar(nil)
		rho := randomnessWire(k)
		ct := trustee.EncryptWith(pk, c.v, k)
		a := &encryptCircuit{PK: coords(t, pk), V: c.v, Rho: rho, C1: coords(t, ct.C1), C2: coords(t, ct.C2)}
		shape := &encryptCircuit{vBits: c.vBits, n: n}
		require.NoError(t, test.IsSolved(shape, a, field), "v=%d", c.v)

		bad := *a
		bad.C2 = coords(t, trustee.EncryptWith(pk, c.v^1, k).C2)
		require.Error(t, test.IsSolved(shape, &bad, field), "another value")
		bad = *a
		bad.Rho = new(big.Int).Add(rho, big.NewInt(1))
		require.Error(t, test.IsSolved(shape, &bad, field), "another randomness")
	}
	// Every wire below 2^251 is some randomness, those beyond l too.
	l := twistededwards.GetEdwardsCurve().Order
	top := new(big.Int).Lsh(big.NewInt(1), 251)
	shape := &encryptCircuit{vBits: 32, n: n}
	for _, rho := range []*big.Int{big.NewInt(0), big.NewInt(1), new(big.Int).Sub(&l, big.NewInt(1)), new(big.Int).Set(&l),
		new(big.Int).Add(&l, big.NewInt(1)), new(big.Int).Sub(top, big.NewInt(1))} {
		ct := trustee.EncryptWith(pk, 5, effectiveRandomness(t, rho))
		a := &encryptCircuit{PK: coords(t, pk), V: 5, Rho: rho, C1: coords(t, ct.C1), C2: coords(t, ct.C2)}
		require.NoError(t, test.IsSolved(shape, a, field), "rho=%v", rho)
	}
	ct := trustee.EncryptWith(pk, 5, effectiveRandomness(t, top))
	a := &encryptCircuit{PK: coords(t, pk), V: 5, Rho: top, C1: coords(t, ct.C1), C2: coords(t, ct.C2)}
	require.Error(t, test.IsSolved(shape, a, field), "rho=2^251")
}

// FuzzEncryptPair runs random plaintexts and randomness through the
// circuit's encryption and trustee.EncryptWith.
func FuzzEncryptPair(f *testing.F) {
	f.Add(uint64(0), []byte{0})
	f.Add(uint64(1), []byte{1})
	f.Add(uint64(1<<64-1), bytes.Repeat([]byte{0xff}, 32))
	f.Add(uint64(1<<32), []byte("zkvote"))
	pk := trustee.BaseMul(trustee.NewScalar(7))
	f.Fuzz(func(t *testing.T, v uint64, kb []byte) {
		k := scalar(t, new(big.Int).SetBytes(kb))
		ct := trustee.EncryptWith(pk, v, k)
		a := &encryptCircuit{PK: coords(t, pk), V: v, Rho: randomnessWire(k), C1: coords(t, ct.C1), C2: coords(t, ct.C2)}
		for _, n := range []int{1, 2} {
			require.NoError(t, test.IsSolved(&encryptCircuit{vBits: 64, n: n}, a, ecc.BN254.ScalarField()), "encryptions=%d", n)
		}
	})
}

// TestRandomnessWire: the wire of a randomness k is below l and reads back
// as k; k = 0 included (whose ciphertext would show its value: witness
// builders refuse it).
func TestRandomnessWire(t *testing.T) {
	l := twistededwards.GetEdwardsCurve().Order
	r, _ := trustee.RandomScalar(nil)
	for _, k := range []trustee.Scalar{trustee.NewScalar(0), trustee.NewScalar(1), trustee.NewScalar(2), scalar(t, new(big.Int).Sub(&l, big.NewInt(1))), r} {
		rho := randomnessWire(k)
		require.True(t, rho.Sign() >= 0 && rho.Cmp(&l) < 0, "k=%v", scalarInt(k))
		require.True(t, k.Equal(effectiveRandomness(t, rho)), "k=%v", scalarInt(k))
	}
}

type keyCircuit struct {
	PK  EdwardsPoint
	n   int
	off guard
}

func (c *keyCircuit) Define(api frontend.API) error {
	newElGamal(NewEdwards(api), c.PK, c.n, c.off)
	return nil
}

// TestEncryptKeyOnCurve: the gadget refuses a key off the curve (its
// doubling formula would compute garbage), and without the guard it would
// not.
func TestEncryptKeyOnCurve(t *testing.T) {
	field := ecc.BN254.ScalarField()
	sk, _ := trustee.RandomScalar(nil)
	pk := coords(t, trustee.BaseMul(sk))
	require.NoError(t, test.IsSolved(&keyCircuit{}, &keyCircuit{PK: pk}, field))
	off := pk
	off.X = new(big.Int).Add(off.X.(*big.Int), big.NewInt(1))
	require.NoError(t, test.IsSolved(&keyCircuit{off: guardKeyOnCurve}, &keyCircuit{PK: off}, field), "the mutant must accept")
	require.Error(t, test.IsSolved(&keyCircuit{}, &keyCircuit{PK: off}, field))
}

// offCurveCircuit asserts that C1 of an encryption is NOT on the curve.
type offCurveCircuit struct {
	PK     EdwardsPoint
	V, Rho frontend.Variable
	n      int
	off    guard
}

func (c *offCurveCircuit) Define(api frontend.API) error {
	e := NewEdwards(api)
	c1, _ := newElGamal(e, c.PK, c.n, c.off).encrypt(api.ToBinary(c.V, 32), c.Rho)
	xx, yy := api.Mul(c1.X, c1.X), api.Mul(c1.Y, c1.Y)
	api.AssertIsDifferent(api.Add(api.Mul(xx, e.a), yy), api.Add(1, api.Mul(api.Mul(xx, yy), e.d)))
	return nil
}

// TestEncryptRandomnessBits: the randomness wire's bits must be bits.
// A hint that keeps their sum but makes two of them 3 and −1 yields, once
// booleanity is switched off, a "ciphertext" whose C1 is no point of the
// curve, let alone k·G: a ballot whose points are no encryption of any
// vote (with a search over such lies, points that parse but decrypt to
// nothing, which would make an election's sum undecryptable). With the
// guard the lie is refused.
func TestEncryptRandomnessBits(t *testing.T) {
	sk, _ := trustee.RandomScalar(nil)
	k, _ := trustee.RandomScalar(nil)
	a := &offCurveCircuit{PK: coords(t, trustee.BaseMul(sk)), V: 3, Rho: randomnessWire(k)}
	var nBits solver.HintID
	for _, h := range solver.GetRegisteredHints() {
		if solver.GetHintName(h) == "github.com/consensys/gnark/std/math/bits.nBits" {
			nBits = solver.GetHintID(h)
		}
	}
	lie := solver.OverrideHint(nBits, func(q *big.Int, in, out []*big.Int) error {
		for i := range out {
			out[i].SetUint64(uint64(in[0].Bit(i)))
		}
		if len(out) == randomnessBits { // ρ's bits: b₀ + 2, b₁ − 1 keep the sum
			out[0].Add(out[0], big.NewInt(2))
			out[1].Sub(out[1], big.NewInt(1)).Mod(out[1], q)
		}
		return nil
	})
	wit, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
	require.NoError(t, err)
	for _, n := range []int{1, 2} {
		for _, c := range []struct {
			off     guard
			lie     bool
			solves  bool
			comment string
		}{
			{guardRandomnessBits, false, false, "honest bits give a point on the curve"},
			{guardRandomnessBits, true, true, "the mutant must accept the lie"},
			{0, true, false, "the lie is refused"},
		} {
			ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &offCurveCircuit{n: n, off: c.off})
			require.NoError(t, err)
			var opts []solver.Option
			if c.lie {
				opts = append(opts, lie)
			}
			if err := ccs.IsSolved(wit, opts...); c.solves {
				require.NoError(t, err, "encryptions=%d: %s", n, c.comment)
			} else {
				require.Error(t, err, "encryptions=%d: %s", n, c.comment)
			}
		}
	}
}

// TestEncryptCost pins what one encryption costs (the unit of a secret
// ballot's size) and the key's set-up, for each plan: the shared table of
// the key's multiples pays for itself from two encryptions on.
func TestEncryptCost(t *testing.T) {
	total := map[int]int{}
	for _, c := range []struct{ n, key, enc int }{{1, 15, 3240}, {2, 1383, 1626}} {
		ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &encryptCircuit{vBits: 32, n: c.n})
		require.NoError(t, err)
		key, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &keyCircuit{n: c.n})
		require.NoError(t, err)
		// Less the 32-bit value's decomposition (33) and the four equalities.
		enc := ccs.GetNbConstraints() - key.GetNbConstraints() - 33 - 4
		t.Logf("planned for %d: key set-up %d, one encryption (32-bit value, 251-bit randomness) %d R1CS constraints", c.n, key.GetNbConstraints(), enc)
		require.Equal(t, c.key, key.GetNbConstraints(), "the cost of a key changed: update this pin and the docs")
		require.Equal(t, c.enc, enc, "the cost of an encryption changed: update this pin and the docs")
		total[c.n] = key.GetNbConstraints() + 2*enc
	}
	require.Less(t, total[2], total[1], "two encryptions must be cheaper with the table")
}
