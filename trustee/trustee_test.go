package trustee

import (
	"bytes"
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/stretchr/testify/require"
)

func randomPoint(t testing.TB) Point {
	k, err := RandomScalar(nil)
	require.NoError(t, err)
	return BaseMul(k)
}

// deal splits a random secret among n trustees with threshold t, as a
// trusted dealer would (tests only: a real key comes from a key generation
// in which nobody learns the secret). It returns the secret, the shares and
// the verification shares.
func deal(t testing.TB, n, threshold int) (Scalar, []KeyShare, map[int]Point) {
	coef := make([]Scalar, threshold)
	for i := range coef {
		var err error
		coef[i], err = RandomScalar(nil)
		require.NoError(t, err)
	}
	shares := make([]KeyShare, n)
	vks := map[int]Point{}
	for i := range shares {
		x := NewScalar(uint64(i + 1))
		y, pow := NewScalar(0), NewScalar(1)
		for _, a := range coef {
			y = y.Add(a.Mul(pow))
			pow = pow.Mul(x)
		}
		shares[i] = KeyShare{Index: i + 1, Secret: y}
		vks[i+1] = shares[i].VerificationShare()
	}
	return coef[0], shares, vks
}

func TestGroup(t *testing.T) {
	g := Generator()
	require.True(t, g.p.IsInSubGroup())
	require.True(t, g.Mul(Scalar{v: *order()}).IsIdentity(), "G has order l")
	require.True(t, Point{}.IsIdentity())
	require.True(t, Point{}.Equal(Identity()))
	a, b := NewScalar(5), NewScalar(7)
	require.True(t, BaseMul(a).Add(BaseMul(b)).Equal(BaseMul(NewScalar(12))))
	require.True(t, BaseMul(a).Sub(BaseMul(b)).Equal(BaseMul(NewScalar(0).Sub(NewScalar(2)))))
	inv, err := a.Inverse()
	require.NoError(t, err)
	require.True(t, inv.Mul(a).Equal(NewScalar(1)))
	_, err = NewScalar(0).Inverse()
	require.Error(t, err)
	for range 20 {
		p := randomPoint(t)
		b := p.Bytes()
		q, err := ParsePoint(b[:])
		require.NoError(t, err)
		require.True(t, p.Equal(q))
	}
	id := Identity().Bytes()
	q, err := ParsePoint(id[:])
	require.NoError(t, err)
	require.True(t, q.IsIdentity())
}

// torsion returns a point of order 2 and one of order 4: neither is in the
// prime-order subgroup.
func torsion(t *testing.T) (two, four twistededwards.PointAffine) {
	two.Y.SetOne()
	two.Y.Neg(&two.Y) // (0, −1)
	var minusOne fr.Element
	minusOne.SetOne()
	minusOne.Neg(&minusOne)
	require.NotNil(t, four.X.Sqrt(&minusOne)) // (√−1, 0): a·x² = 1 with a = −1
	require.True(t, two.IsOnCurve())
	require.True(t, four.IsOnCurve())
	return two, four
}

func TestParsePointRefuses(t *testing.T) {
	two, four := torsion(t)
	g := Generator()
	var mixed twistededwards.PointAffine
	mixed.Add(&g.p, &two)
	bad := map[string][]byte{}
	for name, p := range map[string]twistededwards.PointAffine{"order 2": two, "order 4": four, "G + order 2": mixed} {
		b := p.Bytes()
		bad[name] = b[:]
	}
	bad["short"] = make([]byte, 31)
	bad["long"] = make([]byte, 33)
	bad["empty"] = nil
	// y + p: the same point, non-canonical.
	gb := g.Bytes()
	y := new(big.Int).SetBytes(reverse(gb[:]))
	sign := y.Bit(255)
	y.SetBit(y, 255, 0)
	y.Add(y, fr.Modulus())
	if y.BitLen() <= 255 {
		y.SetBit(y, 255, sign)
		var enc [32]byte
		y.FillBytes(enc[:])
		bad["y + p"] = reverse(enc[:])
	}
	// The identity with the sign bit set: x = 0 has no sign.
	id := Identity().Bytes()
	id[31] |= 0x80
	bad["identity with sign"] = id[:]
	// A y with no point on the curve.
	for v := uint64(2); ; v++ {
		var e fr.Element
		e.SetUint64(v)
		b := e.Bytes()
		enc := reverse(b[:])
		var p twistededwards.PointAffine
		if _, err := p.SetBytes(enc); err == nil && !p.IsOnCurve() {
			bad["off the curve"] = enc
			break
		}
	}
	for name, b := range bad {
		_, err := ParsePoint(b)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
	require.Contains(t, bad, "y + p")
}

func reverse(b []byte) []byte {
	out := bytes.Clone(b)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func TestParseScalar(t *testing.T) {
	for range 10 {
		k, err := RandomScalar(nil)
		require.NoError(t, err)
		b := k.Bytes()
		back, err := ParseScalar(b[:])
		require.NoError(t, err)
		require.True(t, k.Equal(back))
	}
	var l [32]byte
	order().FillBytes(l[:])
	_, err := ParseScalar(l[:])
	require.ErrorIs(t, err, ErrMalformed, "l itself")
	_, err = ParseScalar(bytes.Repeat([]byte{0xff}, 32))
	require.ErrorIs(t, err, ErrMalformed)
	_, err = ParseScalar(make([]byte, 31))
	require.ErrorIs(t, err, ErrMalformed)
}

func TestElGamal(t *testing.T) {
	sk, err := RandomScalar(nil)
	require.NoError(t, err)
	pk := BaseMul(sk)
	sum, want := Zero(), uint64(0)
	for _, v := range []uint64{0, 1, 5, 1 << 20, 3} {
		c, k, err := Encrypt(pk, v, nil)
		require.NoError(t, err)
		require.True(t, c.C1.Equal(BaseMul(k)))
		require.True(t, EncryptWith(pk, v, k).C2.Equal(c.C2))
		b := c.Bytes()
		back, err := ParseCiphertext(b[:])
		require.NoError(t, err)
		require.Equal(t, c.Bytes(), back.Bytes())
		got, err := Solve(c.C2.Sub(c.C1.Mul(sk)), 1<<21)
		require.NoError(t, err)
		require.Equal(t, v, got)
		sum, want = sum.Add(c), want+v
	}
	got, err := Solve(sum.C2.Sub(sum.C1.Mul(sk)), 1<<22)
	require.NoError(t, err)
	require.Equal(t, want, got)
	// Replacing a ballot: subtracting its ciphertext removes its value.
	c, _, err := Encrypt(pk, 5, nil)
	require.NoError(t, err)
	back := sum.Add(c).Sub(c)
	require.Equal(t, sum.Bytes(), back.Bytes())
	_, _, err = Encrypt(Identity(), 1, nil)
	require.Error(t, err)
	_, err = ParseCiphertext(make([]byte, CiphertextSize-1))
	require.ErrorIs(t, err, ErrMalformed)
}

func TestDLEQ(t *testing.T) {
	s, err := RandomScalar(nil)
	require.NoError(t, err)
	h := randomPoint(t)
	x, y := BaseMul(s), h.Mul(s)
	ctx := []byte("election 1, option 2")
	p, err := ProveDLEQ(s, h, ctx, nil)
	require.NoError(t, err)
	require.NoError(t, VerifyDLEQ(p, h, x, y, ctx))
	b := p.Bytes()
	back, err := ParseDLEQProof(b[:])
	require.NoError(t, err)
	require.NoError(t, VerifyDLEQ(back, h, x, y, ctx))

	other := randomPoint(t)
	for name, err := range map[string]error{
		"other context": VerifyDLEQ(p, h, x, y, []byte("election 1, option 3")),
		"other base":    VerifyDLEQ(p, other, x, y, ctx),
		"other X":       VerifyDLEQ(p, h, other, y, ctx),
		"other Y":       VerifyDLEQ(p, h, x, other, ctx),
		"Y of another secret": func() error {
			s2, _ := RandomScalar(nil)
			return VerifyDLEQ(p, h, x, h.Mul(s2), ctx)
		}(),
		"z changed": VerifyDLEQ(DLEQProof{C: p.C, Z: p.Z.Add(NewScalar(1))}, h, x, y, ctx),
		"c changed": VerifyDLEQ(DLEQProof{C: p.C.Add(NewScalar(1)), Z: p.Z}, h, x, y, ctx),
		"zero":      VerifyDLEQ(DLEQProof{}, h, x, y, ctx),
	} {
		require.ErrorIs(t, err, ErrInvalidProof, name)
	}
	// A prover who does not know one s for both cannot prove: with
	// Y = s'·H, s' ≠ s, an honest run with s fails to verify.
	s2, _ := RandomScalar(nil)
	bad, err := ProveDLEQ(s, h, ctx, nil)
	require.NoError(t, err)
	require.ErrorIs(t, VerifyDLEQ(bad, h, x, h.Mul(s2), ctx), ErrInvalidProof)
}

// TestThreshold: over random key sizes, subsets and bad partial
// decryptions, Combine recovers the value from any threshold's worth of
// valid ones, names every bad one, and refuses with fewer.
func TestThreshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 12 {
		n := 1 + rng.IntN(7)
		thr := 1 + rng.IntN(n)
		secret, shares, vks := deal(t, n, thr)
		pk := BaseMul(secret)
		v := rng.Uint64N(5000)
		c, _, err := Encrypt(pk, v, nil)
		require.NoError(t, err)
		ctx := []byte{byte(round)}

		var partials []PartialDecryption
		var wantBad []int
		for _, i := range rng.Perm(n) {
			p, err := shares[i].PartialDecrypt(c, ctx, nil)
			require.NoError(t, err)
			require.NoError(t, VerifyPartial(p, vks[p.Index], c, ctx))
			switch rng.IntN(4) {
			case 0: // a wrong D with a proof for the right one
				p.D = p.D.Add(Generator())
				wantBad = append(wantBad, p.Index)
			case 1: // offline
				continue
			}
			partials = append(partials, p)
		}
		valid := len(partials) - len(wantBad)
		res, err := Combine(thr, vks, c, partials, ctx, 5000)
		require.ElementsMatch(t, wantBad, res.Bad, "round %d", round)
		if valid < thr {
			require.ErrorIs(t, err, ErrTooFewShares, "round %d", round)
			continue
		}
		require.NoError(t, err, "round %d: n=%d t=%d", round, n, thr)
		require.Equal(t, v, res.Value)
		require.Len(t, res.Used, thr)
	}
}

func TestCombineRefuses(t *testing.T) {
	secret, shares, vks := deal(t, 5, 3)
	c, _, err := Encrypt(BaseMul(secret), 42, nil)
	require.NoError(t, err)
	ctx := []byte("ctx")
	var partials []PartialDecryption
	for _, s := range shares {
		p, err := s.PartialDecrypt(c, ctx, nil)
		require.NoError(t, err)
		partials = append(partials, p)
	}
	res, err := Combine(3, vks, c, partials, ctx, 100)
	require.NoError(t, err)
	require.Equal(t, uint64(42), res.Value)
	require.Equal(t, []int{1, 2, 3}, res.Used)

	// A partial decryption relabelled as another trustee's is refused; its
	// index is not named bad when that trustee's own one is valid (anyone
	// can post under any index), and is named when it is not.
	moved := partials[0]
	moved.Index = 2
	res, err = Combine(3, vks, c, []PartialDecryption{moved, partials[1], partials[2], partials[3]}, ctx, 100)
	require.NoError(t, err)
	require.Empty(t, res.Bad)
	require.Equal(t, []int{2, 3, 4}, res.Used)
	res, err = Combine(3, vks, c, []PartialDecryption{moved, partials[2], partials[3], moved}, ctx, 100)
	require.ErrorIs(t, err, ErrTooFewShares)
	require.Equal(t, []int{2}, res.Bad, "named once")
	other, err := shares[0].PartialDecrypt(c, []byte("other"), nil)
	require.NoError(t, err)
	res, err = Combine(3, vks, c, []PartialDecryption{other, partials[1], partials[2]}, ctx, 100)
	require.ErrorIs(t, err, ErrTooFewShares)
	require.Equal(t, []int{1}, res.Bad)
	// Unknown trustee.
	unknown := partials[0]
	unknown.Index = 9
	res, err = Combine(3, vks, c, []PartialDecryption{unknown, partials[1], partials[2]}, ctx, 100)
	require.ErrorIs(t, err, ErrTooFewShares)
	require.Equal(t, []int{9}, res.Bad)
	// Duplicates count once.
	_, err = Combine(3, vks, c, []PartialDecryption{partials[0], partials[0], partials[1]}, ctx, 100)
	require.ErrorIs(t, err, ErrTooFewShares)
	// A total beyond the bound is an error, never a search past it.
	_, err = Combine(3, vks, c, partials, ctx, 41)
	require.ErrorIs(t, err, ErrNoSolution)
	_, err = Combine(3, vks, c, partials, ctx, MaxBound+1)
	require.Error(t, err)
	for _, thr := range []int{0, 6} {
		_, err = Combine(thr, vks, c, partials, ctx, 100)
		require.Error(t, err, "threshold %d", thr)
	}
	_, err = (&KeyShare{Index: 0, Secret: secret}).PartialDecrypt(c, ctx, nil)
	require.Error(t, err)
}

func TestSolveBounds(t *testing.T) {
	for _, c := range []struct{ v, bound uint64 }{{0, 0}, {0, 10}, {10, 10}, {99, 99}, {100, 10000}, {65535, 65535}, {3, 1 << 20}} {
		got, err := Solve(BaseMul(NewScalar(c.v)), c.bound)
		require.NoError(t, err, "%d in [0, %d]", c.v, c.bound)
		require.Equal(t, c.v, got)
	}
	for _, c := range []struct{ v, bound uint64 }{{1, 0}, {11, 10}, {100, 99}, {1 << 20, 1<<20 - 1}} {
		_, err := Solve(BaseMul(NewScalar(c.v)), c.bound)
		require.ErrorIs(t, err, ErrNoSolution, "%d in [0, %d]", c.v, c.bound)
	}
	if !testing.Short() {
		got, err := Solve(BaseMul(NewScalar(MaxBound)), MaxBound)
		require.NoError(t, err)
		require.Equal(t, uint64(MaxBound), got)
		_, err = Solve(BaseMul(NewScalar(MaxBound+1)), MaxBound)
		require.ErrorIs(t, err, ErrNoSolution)
	}
	_, err := Solve(randomPoint(t), 1000)
	require.ErrorIs(t, err, ErrNoSolution)
	_, err = Solve(Identity(), MaxBound+1)
	require.Error(t, err)
	require.False(t, errors.Is(err, ErrNoSolution))
}

func FuzzParsePoint(f *testing.F) {
	g := Generator().Bytes()
	id := Identity().Bytes()
	f.Add(g[:])
	f.Add(id[:])
	f.Add(make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePoint(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			// Refused: not canonical, off the curve, or outside the
			// subgroup by gnark-crypto's own check too.
			var q twistededwards.PointAffine
			if len(b) == PointSize {
				if _, err := q.SetBytes(b); err == nil && q.IsOnCurve() {
					enc := q.Bytes()
					require.False(t, bytes.Equal(enc[:], b) && q.IsInSubGroup())
				}
			}
			return
		}
		enc := p.Bytes()
		require.Equal(t, b, enc[:])
		require.True(t, p.p.IsInSubGroup())
	})
}

func FuzzParseCiphertext(f *testing.F) {
	c := EncryptWith(Generator(), 3, NewScalar(5)).Bytes()
	f.Add(c[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCiphertext(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		enc := c.Bytes()
		require.Equal(t, b, enc[:])
	})
}

func FuzzParseDLEQProof(f *testing.F) {
	p, _ := ProveDLEQ(NewScalar(3), Generator(), nil, nil)
	b := p.Bytes()
	f.Add(b[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseDLEQProof(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		enc := p.Bytes()
		require.Equal(t, b, enc[:])
	})
}

// TestInterpolate: any threshold of verified partial decryptions
// interpolates to s·C1, so C2 − s·C1 is v·G; CombinePoint agrees; empty
// input and indices out of range are errors.
func TestInterpolate(t *testing.T) {
	r := newDKG(t, 5, 3, "interpolate")
	key, err := Finish(r.setup, r.deals, nil)
	require.NoError(t, err)
	c, _, err := Encrypt(key.PublicKey, 77, nil)
	require.NoError(t, err)
	ds := map[int]Point{}
	var partials []PartialDecryption
	for _, k := range r.keys {
		s, err := k.Share(r.setup, r.deals, key)
		require.NoError(t, err)
		p, err := s.PartialDecrypt(c, []byte("ctx"), nil)
		require.NoError(t, err)
		partials = append(partials, p)
		if s.Index%2 == 1 { // trustees 1, 3, 5
			ds[s.Index] = p.D
		}
	}
	sC1, err := Interpolate(ds)
	require.NoError(t, err)
	require.True(t, c.C2.Sub(sC1).Equal(BaseMul(NewScalar(77))))
	_, vG, err := CombinePoint(3, key.Verification, c, partials, []byte("ctx"))
	require.NoError(t, err)
	require.True(t, vG.Equal(c.C2.Sub(sC1)))
	_, err = Interpolate(nil)
	require.Error(t, err)
	_, err = Interpolate(map[int]Point{0: sC1})
	require.Error(t, err)
	_, err = Interpolate(map[int]Point{MaxTrustees + 1: sC1})
	require.Error(t, err)
}
