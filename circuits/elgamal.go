package circuits

import (
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/frontend"
	stdbits "github.com/consensys/gnark/std/math/bits"

	"github.com/netstate/zkvote/trustee"
)

// randomnessBits is the width of the randomness wire ρ of an in-circuit
// encryption: every ρ below 2^251 is accepted, and 2^251 exceeds the
// subgroup order l, so every randomness has a wire (see [randomnessWire]).
const randomnessBits = 251

// elgamal is the in-circuit counterpart of trustee.EncryptWith under one
// key: exponential ElGamal on BabyJubjub, C1 = k·G, C2 = m·G + k·pk.
//
// The randomness enters as a wire ρ < 2^randomnessBits read in signed
// digits: bits (ρ₂ⱼ, ρ₂ⱼ₊₁) make the digit dⱼ = (2ρ₂ⱼ − 1) + 2(2ρ₂ⱼ₊₁ − 1)
// in {−3, −1, 1, 3}, and a lone top bit the digit 2ρ₂ⱼ − 1, so the scalar
// is k = Σ dⱼ·4ʲ = 2ρ − (2^randomnessBits − 1). A digit never needs the
// identity, and its point is (±x, y) of a multiple P or 3·P: the sign is
// linear in the bits and the magnitude is selected by their exclusive or,
// so a digit's point costs three constraints. The same digits, and the
// same product ρ₂ⱼ·ρ₂ⱼ₊₁, select the constants dⱼ·4ʲ·G of C1 = k·G. Both
// points use the one integer k, so (C1, C2) is exactly
// trustee.EncryptWith(pk, m, k mod l) for a key in the prime-order
// subgroup; [randomnessWire] gives the ρ of a native randomness.
//
// The digits' sums run on the Montgomery form (montgomery.go), three
// constraints per addition instead of six, and only the lone top digit is
// added with the complete Edwards law. The incomplete law is safe here for
// every witness, whatever bits it holds: with Sⱼ = Σ_{i<j} dᵢ·4ⁱ the
// integer sum of the digits below window j, |Sⱼ| ≤ 4ʲ − 1 (each |dᵢ| ≤ 3)
// and Sⱼ is odd, so the partial sum is never zero, and Sⱼ ± dⱼ·4ʲ is a
// nonzero integer of absolute value below 4ʲ⁺¹ (|dⱼ·4ʲ| ≥ 4ʲ > |Sⱼ|). For
// j ≤ 124 that is below 4¹²⁵ = 2²⁵⁰ < l, so in a group of prime order l the
// running sum is never the identity nor ± the point added: no divisor of
// the Montgomery law is zero and every quotient is fixed by its
// constraint. The top digit (j = 125, ±4¹²⁵) can meet the sum modulo l,
// hence the complete law there. This holds for G and for the key, whose
// order is l (it is the election's key, bound by the ciphertext hash, and
// the parameters accept only keys of the prime-order subgroup other than
// the identity); TestMontgomeryWindowsNeverCollide checks the bound.
//
// For k·pk the gadget has two plans, and takes the cheaper for the number
// of encryptions it is made for. For several, it computes once the table
// 4ʲ·pk and 3·4ʲ·pk of every two-bit window in Montgomery form (two
// doublings and an addition per window, 11 constraints) and 4¹²⁵·pk, about
// 1,380 constraints; each k·pk is then the sum of its digits' points
// (6 constraints per window). For one, it computes only 3·pk, and k·pk
// goes from the top digit down with two Edwards doublings per window
// (19 constraints per window).
type elgamal struct {
	e *Edwards
	// table[j] holds 4ʲ·pk and 3·4ʲ·pk in Montgomery form for the
	// two-bit windows, and top is 4¹²⁵·pk; with a single encryption
	// planned, only one: pk and 3·pk in Edwards form.
	table []montMultiple
	top   EdwardsPoint
	one   keyMultiple
	off   guard
}

// keyMultiple is the pair of Edwards points a window's digit selects from.
type keyMultiple struct{ p1, p3 EdwardsPoint }

// montMultiple is the pair of Montgomery points a window's digit selects
// from.
type montMultiple struct{ p1, p3 montPoint }

// twoBitWindows is the number of two-bit windows of the randomness; a lone
// top bit follows them.
const twoBitWindows = randomnessBits / 2

// newElGamal returns the encryption gadget for n encryptions under pk,
// asserting that pk is on the curve (the doubling formula relies on it;
// that pk is in the prime-order subgroup is checked natively where the key
// is accepted). off is the circuit's test-only guard set.
func newElGamal(e *Edwards, pk EdwardsPoint, n int, off guard) *elgamal {
	if off&guardKeyOnCurve == 0 {
		e.AssertOnCurve(pk)
	}
	g := &elgamal{e: e, off: off}
	if n < 2 {
		g.one = keyMultiple{p1: pk, p3: e.Add(e.double(pk), pk)}
		return g
	}
	p := e.toMont(pk)
	for range twoBitWindows {
		p2 := e.montDouble(p)
		g.table = append(g.table, montMultiple{p1: p, p3: e.montAdd(p2, p)})
		p = e.montDouble(p2)
	}
	g.top = e.fromMont(p)
	return g
}

// digitWindow is one signed digit of the randomness: its bits, least
// significant first (one or two), and for two bits their product.
type digitWindow struct {
	bits []frontend.Variable
	both frontend.Variable
}

// encrypt returns the encryption of m (its bits, least significant first,
// each already constrained to be boolean) with the randomness wire rho,
// which it decomposes into randomnessBits bits (so asserts ρ < 2^251).
func (g *elgamal) encrypt(m []frontend.Variable, rho frontend.Variable) (c1, c2 EdwardsPoint) {
	api := g.e.api
	var bits []frontend.Variable
	if g.off&guardRandomnessBits == 0 {
		bits = api.ToBinary(rho, randomnessBits)
	} else {
		bits = stdbits.ToBinary(api, rho, stdbits.WithNbDigits(randomnessBits), stdbits.WithUnconstrainedOutputs())
	}
	ws := make([]digitWindow, 0, (len(bits)+1)/2)
	for lo := 0; lo < len(bits); lo += 2 {
		w := digitWindow{bits: bits[lo:min(lo+2, len(bits))]}
		if len(w.bits) == 2 {
			w.both = api.Mul(w.bits[0], w.bits[1])
		}
		ws = append(ws, w)
	}
	c1 = g.mulBase(ws)
	c2 = g.e.Add(g.e.ScalarMulBase(m), g.mulKey(ws))
	return c1, c2
}

// mulKey returns k·pk: with the table, the Montgomery sum of the two-bit
// windows' points, back to Edwards form, plus the top digit's point;
// without, the top digit's point, then for each lower window two doublings
// and the addition of its digit's point.
func (g *elgamal) mulKey(ws []digitWindow) EdwardsPoint {
	e := g.e
	if g.table != nil {
		acc := montDigit(e.api, ws[0], g.table[0])
		for j := 1; j < twoBitWindows; j++ {
			acc = e.montAdd(acc, montDigit(e.api, ws[j], g.table[j]))
		}
		return e.Add(e.fromMont(acc), digit(e.api, ws[twoBitWindows], keyMultiple{p1: g.top}))
	}
	acc := digit(e.api, ws[len(ws)-1], g.one)
	for j := len(ws) - 2; j >= 0; j-- {
		for range ws[j].bits {
			acc = e.double(acc)
		}
		acc = e.Add(acc, digit(e.api, ws[j], g.one))
	}
	return acc
}

// digit returns d·P for the window's digit d, from P and 3·P. With bits
// (a, b): d = −3, −1, 1, 3 for (0,0), (1,0), (0,1), (1,1); x = −x₃ +
// a·(x₃ − x₁) + b·(x₁ + x₃) and y = y₃ + (a ⊕ b)·(y₁ − y₃), with
// a ⊕ b = a + b − 2ab. A lone bit c gives (2c − 1)·P.
func digit(api frontend.API, w digitWindow, m keyMultiple) EdwardsPoint {
	p1, p3 := m.p1, m.p3
	if len(w.bits) == 1 {
		return EdwardsPoint{X: api.Mul(api.Sub(api.Mul(w.bits[0], 2), 1), p1.X), Y: p1.Y}
	}
	a, b := w.bits[0], w.bits[1]
	x := api.Add(api.Neg(p3.X), api.Mul(a, api.Sub(p3.X, p1.X)), api.Mul(b, api.Add(p1.X, p3.X)))
	xor := api.Sub(api.Add(a, b), api.Mul(w.both, 2))
	y := api.Add(p3.Y, api.Mul(xor, api.Sub(p1.Y, p3.Y)))
	return EdwardsPoint{X: x, Y: y}
}

// montDigit is [digit] in Montgomery form, where −(u, v) = (u, −v): the
// magnitude (P when a ⊕ b, else 3·P) selects u and v, and the sign 2b − 1
// multiplies v. Three constraints.
func montDigit(api frontend.API, w digitWindow, m montMultiple) montPoint {
	a, b := w.bits[0], w.bits[1]
	xor := api.Sub(api.Add(a, b), api.Mul(w.both, 2))
	u := api.Add(m.p3.U, api.Mul(xor, api.Sub(m.p1.U, m.p3.U)))
	v := api.Add(m.p3.V, api.Mul(xor, api.Sub(m.p1.V, m.p3.V)))
	return montPoint{U: u, V: api.Mul(api.Sub(api.Mul(b, 2), 1), v)}
}

// mulBase returns k·G: two-bit window j selects the Montgomery constant
// dⱼ·4ʲ·G by the interpolation of [Edwards.interpolate] over the monomials
// 1, a, b, ab (no constraint beyond the shared ab), the selections are
// added up in Montgomery form (see [elgamal] for why the incomplete law is
// safe), and the top digit's constant ±4¹²⁵·G is added in Edwards form.
func (g *elgamal) mulBase(ws []digitWindow) EdwardsPoint {
	e := g.e
	step := e.base // 4^j·G
	var acc montPoint
	for j, w := range ws[:twoBitWindows] {
		var minus, three, minus3 twistededwards.PointAffine
		minus.Neg(&step)
		three.Double(&step)
		three.Add(&three, &step)
		minus3.Neg(&three)
		// Indexed by a + 2b: (0,0) −3, (1,0) −1, (0,1) 1, (1,1) 3.
		var us, vs [4]fr.Element
		for i, p := range []twistededwards.PointAffine{minus3, minus, step, three} {
			us[i], vs[i] = montNative(p)
		}
		prods := []frontend.Variable{1, w.bits[0], w.bits[1], w.both}
		q := montPoint{U: e.interpolate(prods, us[:]), V: e.interpolate(prods, vs[:])}
		if j == 0 {
			acc = q
		} else {
			acc = e.montAdd(acc, q)
		}
		step.Double(&step)
		step.Double(&step)
	}
	var minus twistededwards.PointAffine
	minus.Neg(&step)
	top := e.lookupConst([]frontend.Variable{1, ws[twoBitWindows].bits[0]}, []twistededwards.PointAffine{minus, step})
	return e.Add(e.fromMont(acc), top)
}

// randomnessConstants returns the subgroup order l and the inverse of 2
// modulo l.
var randomnessConstants = sync.OnceValues(func() (l, half *big.Int) {
	c := twistededwards.GetEdwardsCurve()
	l = new(big.Int).Set(&c.Order)
	half = new(big.Int).Rsh(new(big.Int).Add(l, big.NewInt(1)), 1)
	return l, half
})

// randomnessWire returns the wire ρ in [0, l) that makes an in-circuit
// encryption use the randomness k: 2ρ − (2^251 − 1) ≡ k (mod l). It is the
// inverse of [elgamal]'s reading of ρ.
func randomnessWire(k trustee.Scalar) *big.Int {
	l, half := randomnessConstants()
	b := k.Bytes()
	rho := new(big.Int).SetBytes(b[:])
	rho.Add(rho, new(big.Int).Lsh(big.NewInt(1), randomnessBits))
	rho.Sub(rho, big.NewInt(1))
	rho.Mul(rho, half)
	return rho.Mod(rho, l)
}
