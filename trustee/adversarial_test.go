package trustee

// Adversarial tests: attacks an independent review wrote against this
// package (a rogue-key deal, complaints that open other shares, blaming a
// trustee by posting in its name, replayed partial decryptions, zero
// values), each now refused.

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/stretchr/testify/require"
)

// lMul returns l·p computed directly by gnark-crypto: the identity exactly
// when p is in the prime-order subgroup.
func lMul(p twistededwards.PointAffine) twistededwards.PointAffine {
	var r twistededwards.PointAffine
	r.ScalarMultiplication(&p, order())
	return r
}

// curvePointFromY returns a curve point (any order) with the given y, or
// false when there is none.
func curvePointFromY(y uint64, negX bool) (twistededwards.PointAffine, bool) {
	var e fr.Element
	e.SetUint64(y)
	b := e.Bytes()
	enc := reverse(b[:])
	if negX {
		enc[31] |= 0x80
	}
	var p twistededwards.PointAffine
	if _, err := p.SetBytes(enc); err != nil || !p.IsOnCurve() {
		return p, false
	}
	return p, true
}

// eightTorsion returns a generator of the curve's 8-torsion (cyclic, as
// the cofactor is 8 and a rational 8-torsion point exists).
func eightTorsion(t *testing.T) twistededwards.PointAffine {
	for y := uint64(2); y < 10000; y++ {
		p, ok := curvePointFromY(y, false)
		if !ok {
			continue
		}
		q := lMul(p) // the torsion component of p, times l
		var d twistededwards.PointAffine
		d.Double(&q)
		d.Double(&d)
		if !d.IsZero() { // q has order 8
			return q
		}
	}
	t.Fatal("no point of order 8 found")
	return twistededwards.PointAffine{}
}

// TestSubgroupCheck cross-checks gnark-crypto's (new, divide-and-pair)
// IsInSubGroup and our inversion-free inSubgroup, and so ParsePoint,
// against l·P = O on many curve points of every torsion class, and on G
// plus every torsion point.
func TestSubgroupCheck(t *testing.T) {
	t8 := eightTorsion(t)
	var torsion [8]twistededwards.PointAffine
	torsion[0].Y.SetOne()
	for k := 1; k < 8; k++ {
		torsion[k].Add(&torsion[k-1], &t8)
	}
	for k := 1; k < 8; k++ {
		require.False(t, torsion[k].IsZero(), "torsion point %d", k)
	}
	check := func(p twistededwards.PointAffine, what string) {
		q := lMul(p)
		in := q.IsZero()
		require.Equal(t, in, p.IsInSubGroup(), what)
		require.Equal(t, in, inSubgroup(&p), what)
		b := p.Bytes()
		_, err := ParsePoint(b[:])
		require.Equal(t, in, err == nil, what)
	}
	for k := range 8 {
		check(torsion[k], "torsion")
		g := Generator().p
		var s twistededwards.PointAffine
		s.Add(&g, &torsion[k])
		check(s, "G + torsion")
		var n twistededwards.PointAffine
		n.Neg(&s)
		check(n, "−(G + torsion)")
	}
	count, inSub := 0, 0
	for y := uint64(2); count < 400; y++ {
		for _, neg := range []bool{false, true} {
			p, ok := curvePointFromY(y, neg)
			if !ok {
				continue
			}
			count++
			check(p, "random")
			var sub twistededwards.PointAffine
			sub.ScalarMultiplication(&p, big.NewInt(8))
			check(sub, "8·random")
			if sub.IsInSubGroup() {
				inSub++
			}
			for k := 1; k < 8; k++ {
				var m twistededwards.PointAffine
				m.Add(&sub, &torsion[k])
				check(m, "8·random + torsion")
			}
		}
	}
	require.Equal(t, count, inSub)
}

// TestOrderIsPrime: the subgroup order is prime and G is not the
// identity, so G generates the whole subgroup.
func TestOrderIsPrime(t *testing.T) {
	require.True(t, order().ProbablyPrime(64))
	require.False(t, Generator().IsIdentity())
	require.Equal(t, 251, order().BitLen())
}

// rogueDeal builds dealer i's deal as a rushing attacker does once it has
// seen the other dealers' deals: its constant commitment is target − Σ
// (the others' constant commitments), a point whose discrete logarithm it
// does not know, and its polynomial "in the exponent" is interpolated
// through that point at 0 and through known shares at points[k] (the
// honest trustees, and as many others as needed to reach t points). The
// shares it deals to points[k] are known[k], so they pass every check.
func rogueDeal(t *testing.T, r *dkgRun, i int, target Point, others []*Deal, points []int, known []Scalar) *Deal {
	s := r.setup
	require.Equal(t, s.Threshold, len(points)+1)
	c0 := target
	for _, d := range others {
		c0 = c0.Sub(d.Commitments[0])
	}
	xs := append([]int{0}, points...)
	ys := []Point{c0}
	for _, k := range known {
		ys = append(ys, BaseMul(k))
	}
	// Coefficients of the Lagrange basis polynomial of each xs[a], in
	// scalars; the commitments are Σ_a coef_ak·ys[a].
	commit := make([]Point, s.Threshold)
	for k := range commit {
		commit[k] = Identity()
	}
	for a := range xs {
		poly := []Scalar{NewScalar(1)} // Π_{b≠a} (X − x_b)/(x_a − x_b)
		for b := range xs {
			if b == a {
				continue
			}
			den, err := NewScalar(uint64(xs[a])).Sub(NewScalar(uint64(xs[b]))).Inverse()
			require.NoError(t, err)
			next := make([]Scalar, len(poly)+1)
			for k := range next {
				next[k] = NewScalar(0)
			}
			for k, c := range poly {
				next[k+1] = next[k+1].Add(c.Mul(den))
				next[k] = next[k].Sub(c.Mul(NewScalar(uint64(xs[b]))).Mul(den))
			}
			poly = next
		}
		for k, c := range poly {
			commit[k] = commit[k].Add(ys[a].Mul(c))
		}
	}
	eph, err := RandomScalar(nil)
	require.NoError(t, err)
	d := &Deal{Dealer: i, Ephemeral: BaseMul(eph), Commitments: commit, setup: s.digest()}
	// The rogue dealer does not know the discrete log of its constant
	// commitment, so the best it can attach is a proof under another key.
	d.Knowledge, err = sign(eph, knowledgeMessage(d.setup, i), nil)
	require.NoError(t, err)
	me := r.keys[i-1]
	for j := 1; j <= len(s.Keys); j++ {
		share := NewScalar(7) // to the attacker's own trustees: anything
		for k, p := range points {
			if p == j {
				share = known[k]
			}
		}
		key := shareKey(d.setup, i, j, d.Ephemeral, s.Keys[j-1].Mul(eph))
		d.Shares = append(d.Shares, seal(key, share, shareAD(d.setup, i, j)))
	}
	d.Signature, err = sign(me.Secret, d.signed(), nil)
	require.NoError(t, err)
	back, err := ParseDeal(d.Bytes())
	require.NoError(t, err)
	return back
}

// TestDKGRogueKeyRefused: with n < 2t−1 (3-of-3, 3-of-4, 2-of-2,
// 4-of-5) a coalition of t−1 trustees, one of whom deals last, could choose
// the election key outright and know its secret: no honest trustee
// complains, because every honest trustee gets a share that checks. A deal
// now carries a proof of knowledge of its constant term (as FROST's round 1
// does), which the rogue dealer cannot make: its deal is refused, it is
// disqualified, and the key it aimed for never forms.
func TestDKGRogueKeyRefused(t *testing.T) {
	for _, c := range []struct{ n, thr int }{{3, 3}, {4, 3}, {2, 2}, {5, 4}} {
		t.Run(fmt.Sprintf("%d-of-%d", c.thr, c.n), func(t *testing.T) { rogueKeyAttack(t, c.n, c.thr) })
	}
}

func rogueKeyAttack(t *testing.T, n, thr int) {
	r := newDKG(t, n, thr, "rogue")
	honest := n - (thr - 1)   // trustees 1..honest are honest; the rest collude
	rogue := n                // the last colluder deals last, having seen the others
	x := NewScalar(123456789) // the secret key the coalition wants
	var points []int
	var known []Scalar
	for j := 1; len(points) < thr-1; j++ {
		k, err := RandomScalar(nil)
		require.NoError(t, err)
		points, known = append(points, j), append(known, k)
	}
	require.GreaterOrEqual(t, len(points), honest, "every honest trustee gets a share that checks")
	r.deals[rogue-1] = rogueDeal(t, r, rogue, BaseMul(x), r.deals[:rogue-1], points, known)

	// The honest trustees check their shares: nothing to complain about.
	var complaints []*Complaint
	for _, k := range r.keys[:honest] {
		cs, err := k.Check(r.setup, r.deals, nil)
		require.NoError(t, err)
		complaints = append(complaints, cs...)
	}
	require.Empty(t, complaints)
	require.Error(t, checkDeal(r.setup, r.deals[rogue-1]), "the rogue deal proves no knowledge of its constant term")
	key, err := Finish(r.setup, r.deals, complaints)
	if err != nil {
		require.ErrorIs(t, err, ErrTooFewQualified) // n − 1 < t dealers left: no key at all
		return
	}
	require.Contains(t, key.Disqualified, rogue)
	for _, k := range r.keys[:honest] { // honest trustees get consistent shares
		_, err := k.Share(r.setup, r.deals, key)
		require.NoError(t, err)
	}

	// A ballot, decrypted by the coalition alone.
	ballot, _, err := Encrypt(key.PublicKey, 1, nil)
	require.NoError(t, err)
	v, err := Solve(ballot.C2.Sub(ballot.C1.Mul(x)), 10)
	stolen := err == nil && v == 1
	require.False(t, stolen, "%d colluding trustees of %d (threshold %d) chose the election key and decrypt a ballot", thr-1, n, thr)
}

// TestFinishNilComplaint: Finish takes "whatever a channel delivered" and
// ignores what is malformed, a nil deal or a nil complaint (what
// ParseComplaint returns on error) included, without a panic.
func TestFinishNilComplaint(t *testing.T) {
	r := newDKG(t, 3, 2, "nil complaint")
	require.NotPanics(t, func() {
		key, err := Finish(r.setup, append([]*Deal{nil}, r.deals...), []*Complaint{nil})
		require.NoError(t, err)
		require.Equal(t, []int{1, 2, 3}, key.Qualified)
	})
}

// TestComplaintOpensOnlyItsShare: a complaint used to reveal the static
// Diffie–Hellman point x_i·x_j·G of the pair, from which anyone could derive
// the key of the shares the pair dealt each other in every other key
// generation. Shares are now sealed under each deal's ephemeral key, so a
// complaint of election A opens nothing in election B.
func TestComplaintOpensOnlyItsShare(t *testing.T) {
	a := newDKG(t, 3, 2, "election A")
	// In A, dealer 2 deals trustee 1 a damaged share (a fault, or malice):
	// trustee 1 rightly complains.
	garbled := append([]byte(nil), a.deals[1].Shares[0]...)
	garbled[5] ^= 1
	a.redeal(t, 2, 1, garbled)
	cs, err := a.keys[0].Check(a.setup, a.deals, nil)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	complaint, err := ParseComplaint(cs[0].Bytes()) // public
	require.NoError(t, err)

	// Election B: same long-term keys, both trustees honest.
	b := &dkgRun{setup: &Setup{Threshold: 2, Keys: a.setup.Keys, Context: []byte("election B")}, keys: a.keys}
	for _, k := range b.keys {
		d, err := k.Deal(b.setup, nil)
		require.NoError(t, err)
		b.deals = append(b.deals, d)
	}
	// An outsider with A's complaint and B's public deals.
	digestB := b.setup.digest()
	var opened []string
	for _, pair := range [][2]int{{2, 1}, {1, 2}} { // dealer, recipient
		dealer, recipient := pair[0], pair[1]
		key := shareKey(digestB, dealer, recipient, b.deals[dealer-1].Ephemeral, complaint.DH)
		share, err := open(key, b.deals[dealer-1].Shares[recipient-1], shareAD(digestB, dealer, recipient))
		if err == nil {
			require.True(t, BaseMul(share).Equal(commitmentAt(b.deals[dealer-1].Commitments, recipient)))
			opened = append(opened, fmt.Sprintf("f_%d(%d)", dealer, recipient))
		}
	}
	require.Empty(t, opened, "a complaint of election A opens election B's shares")
}

// TestCombineDoesNotBlameUsedTrustee: partial decryptions carry no
// signature, so anyone can post a garbage one under an honest trustee's
// index; Combine then lists that index in Bad although the trustee's own
// valid partial decryption was used (it is in Used). A caller who treats
// Bad as "trustees who misbehaved", as "names and skips bad ones" invites,
// blames an honest trustee.
func TestCombineDoesNotBlameUsedTrustee(t *testing.T) {
	secret, shares, vks := deal(t, 3, 2)
	c, _, err := Encrypt(BaseMul(secret), 9, nil)
	require.NoError(t, err)
	ctx := []byte("tally")
	var partials []PartialDecryption
	for _, s := range shares {
		p, err := s.PartialDecrypt(c, ctx, nil)
		require.NoError(t, err)
		partials = append(partials, p)
	}
	junk := PartialDecryption{Index: 1, D: Generator()} // posted by anyone
	res, err := Combine(2, vks, c, append([]PartialDecryption{junk}, partials...), ctx, 100)
	require.NoError(t, err)
	require.Equal(t, uint64(9), res.Value)
	require.Contains(t, res.Used, 1)
	require.NotContains(t, res.Bad, 1, "trustee 1 is named bad and used")
}

// TestZeroValues: zero-value Points, Scalars, proofs and ciphertexts
// go through every public entry point without panicking, and a zero proof
// never verifies.
func TestZeroValues(t *testing.T) {
	var p Point
	var s Scalar
	require.NotPanics(t, func() {
		require.True(t, p.Add(p).IsIdentity())
		require.True(t, p.Sub(p).IsIdentity())
		require.True(t, p.Mul(s).IsIdentity())
		require.True(t, Generator().Mul(s).IsIdentity())
		require.True(t, p.Mul(NewScalar(5)).IsIdentity())
		require.Equal(t, Identity().Bytes(), p.Bytes())
		_, err := s.Inverse()
		require.Error(t, err)
		require.Equal(t, [ScalarSize]byte{}, s.Bytes())
		var c Ciphertext
		require.Equal(t, Zero().Bytes(), c.Bytes())
		v, err := Solve(p, 0)
		require.NoError(t, err)
		require.Zero(t, v)
		require.ErrorIs(t, VerifyDLEQ(DLEQProof{}, p, p, p, nil), ErrInvalidProof)
		require.ErrorIs(t, VerifyDLEQ(DLEQProof{}, Generator(), Generator(), Generator(), nil), ErrInvalidProof)
		_, _, err = Encrypt(p, 1, nil)
		require.Error(t, err)
		require.Error(t, VerifyPartial(PartialDecryption{}, p, c, nil))
		_, err = Combine(1, map[int]Point{1: p}, c, []PartialDecryption{{}, {Index: 1}}, nil, 0)
		require.ErrorIs(t, err, ErrTooFewShares)
		require.Error(t, verifySig(p, nil, DLEQProof{}))
		_, err = (&Setup{Threshold: 1, Keys: []Point{p}}).Judge(nil, nil)
		require.Error(t, err)
		_, err = Finish(&Setup{Threshold: 1, Keys: []Point{Generator()}}, []*Deal{nil, {}}, nil)
		require.ErrorIs(t, err, ErrTooFewQualified)
	})
}

// TestTamperedDealIsNotEquivocation: anyone can repost an honest
// dealer's deal with a byte changed, or post it twice; neither makes the
// dealer equivocate (the altered copy fails its signature and is ignored),
// and a signature does not carry over to another dealer index.
func TestTamperedDealIsNotEquivocation(t *testing.T) {
	r := newDKG(t, 3, 2, "tamper")
	b := r.deals[0].Bytes()
	var extra []*Deal
	for _, off := range []int{headerSize + 3, headerSize + 3 + 2*PointSize + 5, len(b) - 1} {
		m := append([]byte(nil), b...)
		m[off] ^= 1
		if d, err := ParseDeal(m); err == nil {
			extra = append(extra, d)
		}
	}
	relabelled := append([]byte(nil), b...)
	relabelled[headerSize] = 2
	d, err := ParseDeal(relabelled)
	require.NoError(t, err)
	extra = append(extra, d)
	again, err := ParseDeal(b)
	require.NoError(t, err)
	extra = append(extra, again)
	key, err := Finish(r.setup, append(extra, r.deals...), nil)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, key.Qualified)
	require.Len(t, key.Ignored, len(extra)-1)
}

// TestComplaintNotTransplantable: a valid complaint does not count
// against another dealer, in another trustee's name, or in another key
// generation, even with the same long-term keys.
func TestComplaintNotTransplantable(t *testing.T) {
	r := newDKG(t, 3, 2, "transplant")
	garbled := append([]byte(nil), r.deals[1].Shares[0]...)
	garbled[0] ^= 1
	r.redeal(t, 2, 1, garbled)
	cs, err := r.keys[0].Check(r.setup, r.deals, nil)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	upheld, err := r.setup.Judge(cs[0], r.deals[1])
	require.NoError(t, err)
	require.True(t, upheld)
	for name, f := range map[string]func(c *Complaint){
		"other dealer":     func(c *Complaint) { c.Dealer = 3 },
		"other complainer": func(c *Complaint) { c.Complainer = 3 },
	} {
		c := *cs[0]
		f(&c)
		_, err := r.setup.Judge(&c, r.deals[c.Dealer-1])
		require.Error(t, err, name)
	}
	other := &Setup{Threshold: 2, Keys: r.setup.Keys, Context: []byte("other")}
	d, err := r.keys[1].Deal(other, nil)
	require.NoError(t, err)
	c := *cs[0]
	c.setup = other.digest()
	_, err = other.Judge(&c, d)
	require.Error(t, err)
}

// TestPartialBindsWholeCiphertext: a partial decryption's proof used to cover
// C1 only, so it verified for any ciphertext with the same C1 (harmless:
// s·C1 is the right partial decryption of each). Its context now includes
// C2, so as the doc says it cannot be replayed for another ciphertext.
func TestPartialBindsWholeCiphertext(t *testing.T) {
	secret, shares, vks := deal(t, 3, 2)
	c, _, err := Encrypt(BaseMul(secret), 4, nil)
	require.NoError(t, err)
	other := Ciphertext{C1: c.C1, C2: c.C2.Add(BaseMul(NewScalar(3)))}
	var partials []PartialDecryption
	for _, s := range shares[:2] {
		p, err := s.PartialDecrypt(c, []byte("ctx"), nil)
		require.NoError(t, err)
		partials = append(partials, p)
	}
	res, err := Combine(2, vks, other, partials, []byte("ctx"), 10)
	require.ErrorIs(t, err, ErrTooFewShares)
	require.Equal(t, []int{1, 2}, res.Bad)
}
