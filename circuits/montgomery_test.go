package circuits

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/trustee"
)

// montCircuit round-trips P through the Montgomery form and checks the
// Montgomery sum and double against the Edwards law's.
type montCircuit struct{ P, Q, Sum, Double EdwardsPoint }

func (c *montCircuit) Define(api frontend.API) error {
	e := NewEdwards(api)
	p, q := e.toMont(c.P), e.toMont(c.Q)
	for _, pair := range [][2]EdwardsPoint{
		{e.fromMont(p), c.P},
		{e.fromMont(e.montAdd(p, q)), c.Sum},
		{e.fromMont(e.montDouble(p)), c.Double},
	} {
		api.AssertIsEqual(pair[0].X, pair[1].X)
		api.AssertIsEqual(pair[0].Y, pair[1].Y)
	}
	return nil
}

// TestMontgomeryLaw: the Montgomery maps and law agree with the Edwards
// law (trustee's) on random points of the subgroup, a wrong sum or double
// is refused, and P = ±Q, which the incomplete law excludes, cannot be
// proven (the test engine refuses the zero divisor).
func TestMontgomeryLaw(t *testing.T) {
	field := ecc.BN254.ScalarField()
	rnd := func() trustee.Point { k, _ := trustee.RandomScalar(nil); return trustee.BaseMul(k) }
	for range 8 {
		p, q := rnd(), rnd()
		a := &montCircuit{P: coords(t, p), Q: coords(t, q), Sum: coords(t, p.Add(q)), Double: coords(t, p.Add(p))}
		require.NoError(t, test.IsSolved(&montCircuit{}, a, field))
		bad := *a
		bad.Sum = coords(t, p.Add(q).Add(trustee.Generator()))
		require.Error(t, test.IsSolved(&montCircuit{}, &bad, field), "wrong sum")
		bad = *a
		bad.Double = coords(t, p)
		require.Error(t, test.IsSolved(&montCircuit{}, &bad, field), "wrong double")
	}
	p := rnd()
	for name, q := range map[string]trustee.Point{"P + P": p, "P − P": trustee.Identity().Sub(p)} {
		a := &montCircuit{P: coords(t, p), Q: coords(t, q), Sum: coords(t, p.Add(q)), Double: coords(t, p.Add(p))}
		require.Error(t, test.IsSolved(&montCircuit{}, a, field), name)
	}
}

// TestMontgomeryConstants: A and B define the curve the maps land on, for
// the base point and its multiples.
func TestMontgomeryConstants(t *testing.T) {
	a, b := montConstants()
	g := twistededwards.GetEdwardsCurve().Base
	for range 4 {
		u, v := montNative(g)
		var l, r, uu, au fr.Element
		l.Square(&v).Mul(&l, &b)
		uu.Square(&u)
		r.Mul(&uu, &u)
		au.Mul(&uu, &a)
		r.Add(&r, &au).Add(&r, &u)
		require.True(t, l.Equal(&r), "B·v² = u³ + A·u² + u")
		g.Double(&g)
	}
}

// TestMontgomeryWindowsNeverCollide checks, on integers, the bound that
// makes the incomplete law safe in the encryption (see [elgamal]): for the
// digits of any randomness wire, the partial sum below each two-bit window
// is odd, of absolute value below 4ʲ, and neither it nor its sum or
// difference with the window's digit times 4ʲ is 0 modulo l; and 4¹²⁵ is
// below l while 2·4¹²⁵ is not, which is why the top digit is added with
// the complete law. Extreme digit patterns and random ones.
func TestMontgomeryWindowsNeverCollide(t *testing.T) {
	l := twistededwards.GetEdwardsCurve().Order
	top := new(big.Int).Lsh(big.NewInt(1), 2*twoBitWindows)
	require.Negative(t, top.Cmp(&l), "4^125 < l")
	require.Positive(t, new(big.Int).Lsh(top, 1).Cmp(&l), "2·4^125 > l: the top digit needs the complete law")
	patterns := map[string]func(j int) int{
		"all 3": func(int) int { return 3 }, "all −3": func(int) int { return -3 },
		"all 1": func(int) int { return 1 }, "3, −3": func(j int) int { return 3 - 6*(j%2) },
		"−3 then 3": func(j int) int { return 3 - 6*((j+1)%2) }, "−1, 3": func(j int) int { return []int{-1, 3}[j%2] },
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 64 {
		patterns[fmt.Sprint("random ", i)] = func(int) int { return []int{-3, -1, 1, 3}[rng.IntN(4)] }
	}
	for name, digit := range patterns {
		sum := new(big.Int)
		pow := big.NewInt(1)
		for j := range twoBitWindows {
			d := new(big.Int).Mul(big.NewInt(int64(digit(j))), pow)
			if j > 0 {
				require.Equal(t, uint(1), sum.Bit(0), "%s: S_%d odd", name, j)
				require.Negative(t, new(big.Int).Abs(sum).Cmp(pow), "%s: |S_%d| < 4^j", name, j)
				for _, v := range []*big.Int{sum, new(big.Int).Add(sum, d), new(big.Int).Sub(sum, d)} {
					require.NotZero(t, new(big.Int).Mod(v, &l).Sign(), "%s: window %d meets the sum", name, j)
				}
			}
			sum.Add(sum, d)
			pow.Lsh(pow, 2)
		}
	}
}

// TestEncryptDigitPatterns runs the encryption on randomness wires whose
// digits are extreme patterns (every digit 3, −3, alternating signs and
// magnitudes), with either top bit: the Montgomery sums never meet a zero
// divisor (the test engine would refuse one) and the ciphertext is
// trustee.EncryptWith's, for both plans.
func TestEncryptDigitPatterns(t *testing.T) {
	field := ecc.BN254.ScalarField()
	pk := trustee.BaseMul(trustee.NewScalar(987654321))
	bits := map[int][2]uint{-3: {0, 0}, -1: {1, 0}, 1: {0, 1}, 3: {1, 1}}
	for name, digit := range map[string]func(j int) int{
		"all 3": func(int) int { return 3 }, "all −3": func(int) int { return -3 },
		"all −1": func(int) int { return -1 }, "3, −3": func(j int) int { return 3 - 6*(j%2) },
		"1, −3": func(j int) int { return []int{1, -3}[j%2] }, "−1 then 3": func(j int) int { return []int{-1, 3}[min(j, 1)] },
	} {
		for topBit := range uint(2) {
			rho := new(big.Int).SetUint64(uint64(topBit))
			rho.Lsh(rho, 2*twoBitWindows)
			for j := range twoBitWindows {
				ab := bits[digit(j)]
				rho.SetBit(rho, 2*j, ab[0])
				rho.SetBit(rho, 2*j+1, ab[1])
			}
			ct := trustee.EncryptWith(pk, 3<<32|9, effectiveRandomness(t, rho))
			a := &encryptCircuit{PK: coords(t, pk), V: 3<<32 | 9, Rho: rho, C1: coords(t, ct.C1), C2: coords(t, ct.C2)}
			for _, n := range []int{1, 2} {
				require.NoError(t, test.IsSolved(&encryptCircuit{vBits: 64, n: n}, a, field), "%s, top bit %d, encryptions=%d", name, topBit, n)
			}
		}
	}
}
