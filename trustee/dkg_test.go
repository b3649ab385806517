package trustee

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

type dkgRun struct {
	setup *Setup
	keys  []*LongTermKey
	deals []*Deal
}

func newDKG(t *testing.T, n, threshold int, context string) *dkgRun {
	r := &dkgRun{setup: &Setup{Threshold: threshold, Context: []byte(context)}}
	for range n {
		k, err := GenerateLongTermKey(nil)
		require.NoError(t, err)
		r.keys = append(r.keys, k)
		r.setup.Keys = append(r.setup.Keys, k.Public())
	}
	require.NoError(t, r.setup.Validate())
	for _, k := range r.keys {
		d, err := k.Deal(r.setup, nil)
		require.NoError(t, err)
		// Every message travels as bytes.
		back, err := ParseDeal(d.Bytes())
		require.NoError(t, err)
		require.Equal(t, d.Bytes(), back.Bytes())
		r.deals = append(r.deals, back)
	}
	return r
}

// complaints runs the second round: every trustee checks its shares.
func (r *dkgRun) complaints(t *testing.T) []*Complaint {
	var out []*Complaint
	for _, k := range r.keys {
		cs, err := k.Check(r.setup, r.deals, nil)
		require.NoError(t, err)
		for _, c := range cs {
			back, err := ParseComplaint(c.Bytes())
			require.NoError(t, err)
			require.Equal(t, c.Bytes(), back.Bytes())
			out = append(out, back)
		}
	}
	return out
}

// decrypts checks that the trustees' shares decrypt under the key, with
// each threshold-sized subset given.
func (r *dkgRun) decrypts(t *testing.T, key *ElectionKey, subsets ...[]int) {
	shares := map[int]*KeyShare{}
	for _, k := range r.keys {
		s, err := k.Share(r.setup, r.deals, key)
		require.NoError(t, err)
		shares[s.Index] = s
	}
	c, _, err := Encrypt(key.PublicKey, 1234, nil)
	require.NoError(t, err)
	for _, set := range subsets {
		var partials []PartialDecryption
		for _, i := range set {
			p, err := shares[i].PartialDecrypt(c, []byte("tally"), nil)
			require.NoError(t, err)
			partials = append(partials, p)
		}
		res, err := Combine(key.Threshold, key.Verification, c, partials, []byte("tally"), 2000)
		require.NoError(t, err, "trustees %v", set)
		require.Equal(t, uint64(1234), res.Value)
	}
}

func TestDKG(t *testing.T) {
	r := newDKG(t, 5, 3, "election 1")
	cs := r.complaints(t)
	require.Empty(t, cs)
	key, err := Finish(r.setup, r.deals, cs)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3, 4, 5}, key.Qualified)
	require.Empty(t, key.Disqualified)
	require.Empty(t, key.Ignored)
	r.decrypts(t, key, []int{1, 2, 3}, []int{5, 3, 1}, []int{2, 4, 5})
	// Two trustees are not enough.
	shares := []*KeyShare{}
	for _, k := range r.keys[:2] {
		s, err := k.Share(r.setup, r.deals, key)
		require.NoError(t, err)
		shares = append(shares, s)
	}
	c, _, err := Encrypt(key.PublicKey, 7, nil)
	require.NoError(t, err)
	var partials []PartialDecryption
	for _, s := range shares {
		p, err := s.PartialDecrypt(c, nil, nil)
		require.NoError(t, err)
		partials = append(partials, p)
	}
	_, err = Combine(3, key.Verification, c, partials, nil, 100)
	require.ErrorIs(t, err, ErrTooFewShares)
}

// redeal replaces dealer i's share to trustee j with sealed and signs the
// deal again, as a cheating dealer would.
func (r *dkgRun) redeal(t *testing.T, i, j int, sealed []byte) {
	d := r.deals[i-1]
	d.Shares[j-1] = sealed
	var err error
	d.Signature, err = sign(r.keys[i-1].Secret, d.signed(), nil)
	require.NoError(t, err)
}

// TestDKGBadShares: a dealer whose share to one trustee does not decrypt,
// and another whose share decrypts to a value that does not match its
// commitments, are each caught by the victim's complaint, which anyone can
// judge, and disqualified; the key is built from the rest and decrypts.
func TestDKGBadShares(t *testing.T) {
	r := newDKG(t, 5, 3, "election 2")
	garbled := append([]byte(nil), r.deals[1].Shares[3]...)
	garbled[0] ^= 1
	r.redeal(t, 2, 4, garbled)
	wrong := evalPolyMismatch(t, r, 5, 1)
	d5, err := r.keys[4].deal(r.setup, nil, func(j int, share Scalar) Scalar {
		if j == 1 {
			return wrong
		}
		return share
	})
	require.NoError(t, err)
	r.deals[4] = d5

	cs := r.complaints(t)
	require.Len(t, cs, 2)
	for _, c := range cs {
		upheld, err := r.setup.Judge(c, r.deals[c.Dealer-1])
		require.NoError(t, err)
		require.True(t, upheld, "complaint by %d against %d", c.Complainer, c.Dealer)
	}
	key, err := Finish(r.setup, r.deals, cs)
	require.NoError(t, err)
	require.Equal(t, []int{1, 3, 4}, key.Qualified)
	require.Equal(t, []int{2, 5}, key.Disqualified)
	r.decrypts(t, key, []int{1, 2, 3}, []int{3, 4, 5})
}

// evalPolyMismatch returns a scalar that is not dealer i's share for j: a
// well-formed value that decrypts but fails the commitments.
func evalPolyMismatch(t *testing.T, r *dkgRun, i, j int) Scalar {
	k, err := RandomScalar(nil)
	require.NoError(t, err)
	return k // a random scalar is f(j) with probability 1/l
}

// TestDKGFalseComplaints: a complaint against an honest dealer is
// dismissed, and complaints that are forged, unproven or for another key
// generation are ignored; none disqualifies anyone.
func TestDKGFalseComplaints(t *testing.T) {
	r := newDKG(t, 4, 2, "election 3")
	dg := r.setup.digest()
	liar := r.keys[2]
	eph := r.deals[0].Ephemeral
	proof, err := ProveDLEQ(liar.Secret, eph, complaintContext(dg, 1, 3), nil)
	require.NoError(t, err)
	falseComplaint := &Complaint{Dealer: 1, Complainer: 3, DH: eph.Mul(liar.Secret), Proof: proof, setup: dg}
	upheld, err := r.setup.Judge(falseComplaint, r.deals[0])
	require.NoError(t, err)
	require.False(t, upheld)

	// Trustee 4 cannot complain in trustee 3's name, nor reveal a wrong DH.
	forged := *falseComplaint
	forged.Proof, err = ProveDLEQ(r.keys[3].Secret, eph, complaintContext(dg, 1, 3), nil)
	require.NoError(t, err)
	wrongDH := *falseComplaint
	wrongDH.DH = wrongDH.DH.Add(Generator())
	otherSetup := *falseComplaint
	otherSetup.setup[0] ^= 1
	for name, c := range map[string]*Complaint{"forged": &forged, "wrong DH": &wrongDH, "other setup": &otherSetup} {
		_, err := r.setup.Judge(c, r.deals[0])
		require.Error(t, err, name)
	}
	key, err := Finish(r.setup, r.deals, []*Complaint{falseComplaint, &forged, &wrongDH, &otherSetup})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3, 4}, key.Qualified)
	require.Len(t, key.Ignored, 4)
	r.decrypts(t, key, []int{1, 2}, []int{3, 4})
}

// TestDKGForgedAndEquivocatingDeals: a deal in another trustee's name is
// ignored (the victim stays qualified); a dealer who publishes two
// different deals is disqualified; a deal of another key generation is
// ignored; with too few dealers left, Finish refuses.
func TestDKGForgedAndEquivocatingDeals(t *testing.T) {
	r := newDKG(t, 4, 3, "election 4")
	// Trustee 4 deals in trustee 1's name.
	forged, err := r.keys[3].Deal(r.setup, nil)
	require.NoError(t, err)
	forged.Dealer = 1
	forged.Signature, err = sign(r.keys[3].Secret, forged.signed(), nil)
	require.NoError(t, err)
	// Trustee 2 equivocates.
	second, err := r.keys[1].Deal(r.setup, nil)
	require.NoError(t, err)
	// A deal for another election.
	elsewhere, err := r.keys[2].Deal(&Setup{Threshold: 3, Keys: r.setup.Keys, Context: []byte("election 5")}, nil)
	require.NoError(t, err)

	deals := append([]*Deal{forged, second, elsewhere}, r.deals...)
	key, err := Finish(r.setup, deals, nil)
	require.NoError(t, err)
	require.Equal(t, []int{1, 3, 4}, key.Qualified)
	require.Equal(t, []int{2}, key.Disqualified)
	require.Len(t, key.Ignored, 2)
	// Trustee 1's shares come from its own deal, not the forged one.
	r.decrypts(t, key, []int{1, 2, 3})

	// Two equivocators of four leave fewer than three dealers.
	third, err := r.keys[2].Deal(r.setup, nil)
	require.NoError(t, err)
	_, err = Finish(r.setup, append([]*Deal{second, third}, r.deals...), nil)
	require.ErrorIs(t, err, ErrTooFewQualified)
	// So do missing deals.
	_, err = Finish(r.setup, r.deals[:2], nil)
	require.ErrorIs(t, err, ErrTooFewQualified)
}

func TestSetupValidate(t *testing.T) {
	k1, _ := GenerateLongTermKey(nil)
	k2, _ := GenerateLongTermKey(nil)
	for name, s := range map[string]*Setup{
		"no trustees":   {Threshold: 1},
		"threshold 0":   {Threshold: 0, Keys: []Point{k1.Public()}},
		"threshold > n": {Threshold: 3, Keys: []Point{k1.Public(), k2.Public()}},
		"repeated key":  {Threshold: 1, Keys: []Point{k1.Public(), k1.Public()}},
		"identity key":  {Threshold: 1, Keys: []Point{k1.Public(), Identity()}},
		"long context":  {Threshold: 1, Keys: []Point{k1.Public()}, Context: make([]byte, MaxContext+1)},
		"too many":      {Threshold: 1, Keys: make([]Point, MaxTrustees+1)},
	} {
		require.Error(t, s.Validate(), name)
	}
	s := &Setup{Threshold: 1, Keys: []Point{k1.Public()}}
	require.NoError(t, s.Validate())
	_, err := k2.Deal(s, nil)
	require.Error(t, err, "a key outside the setup cannot deal")
}

func TestParseDealRefuses(t *testing.T) {
	r := newDKG(t, 3, 2, "x")
	good := r.deals[0].Bytes()
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for name, b := range map[string][]byte{
		"empty":     nil,
		"magic":     mut(func(b []byte) []byte { b[0] ^= 1; return b }),
		"version":   mut(func(b []byte) []byte { b[8] = 1; return b }),
		"dealer 0":  mut(func(b []byte) []byte { b[headerSize] = 0; return b }),
		"dealer>n":  mut(func(b []byte) []byte { b[headerSize] = 4; return b }),
		"t > n":     mut(func(b []byte) []byte { b[headerSize+1] = 4; return b }),
		"n = 65":    mut(func(b []byte) []byte { b[headerSize+2] = 65; return b }),
		"truncated": good[:len(good)-1],
		"trailing":  append(append([]byte(nil), good...), 0),
		"commitment off the subgroup": mut(func(b []byte) []byte {
			two := Identity().Bytes()
			two[31] |= 0x80
			copy(b[headerSize+3:], two[:])
			return b
		}),
	} {
		_, err := ParseDeal(b)
		require.True(t, errors.Is(err, ErrMalformed), "%s: %v", name, err)
	}
	cb := (&Complaint{Dealer: 1, Complainer: 2, DH: Generator()}).Bytes()
	_, err := ParseComplaint(cb)
	require.NoError(t, err)
	for name, b := range map[string][]byte{
		"short":     cb[:len(cb)-1],
		"dealer 0":  func() []byte { b := append([]byte(nil), cb...); b[headerSize] = 0; return b }(),
		"magic":     append([]byte("ZKVTDEAL"), cb[8:]...),
		"big proof": func() []byte { b := append([]byte(nil), cb...); b[len(b)-1], b[len(b)-64] = 0xff, 0xff; return b }(),
	} {
		_, err := ParseComplaint(b)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
}

func FuzzParseDeal(f *testing.F) {
	k, _ := GenerateLongTermKey(nil)
	d, _ := k.Deal(&Setup{Threshold: 1, Keys: []Point{k.Public()}}, nil)
	f.Add(d.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDeal(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, b, d.Bytes())
	})
}

func FuzzParseComplaint(f *testing.F) {
	f.Add((&Complaint{Dealer: 1, Complainer: 2, DH: Generator()}).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseComplaint(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, b, c.Bytes())
	})
}

// TestSignCheatingDeal: a dealer that changes a sealed share and re-signs
// its deal is caught by the recipient's complaint, which anyone can judge,
// and disqualified; nobody else can sign in its name.
func TestSignCheatingDeal(t *testing.T) {
	r := newDKG(t, 4, 2, "re-signed")
	d := r.deals[2] // dealer 3
	d.Shares[0][0] ^= 1
	require.NoError(t, r.keys[2].Sign(r.setup, d, nil))
	back, err := ParseDeal(d.Bytes())
	require.NoError(t, err)
	r.deals[2] = back
	cs := r.complaints(t)
	require.Len(t, cs, 1)
	require.Equal(t, [2]int{1, 3}, [2]int{cs[0].Complainer, cs[0].Dealer})
	upheld, err := r.setup.Judge(cs[0], back)
	require.NoError(t, err)
	require.True(t, upheld)
	key, err := Finish(r.setup, r.deals, cs)
	require.NoError(t, err)
	require.Equal(t, []int{3}, key.Disqualified)

	require.Error(t, r.keys[0].Sign(r.setup, back, nil), "another trustee cannot sign dealer 3's deal")
	other := newDKG(t, 4, 2, "another setup")
	require.Error(t, r.keys[2].Sign(other.setup, back, nil))
	require.Error(t, r.keys[2].Sign(r.setup, nil, nil))
}

// TestCheckKey: a key generation's output passes; another key, a share off
// the polynomial, or the shares of another key generation do not.
func TestCheckKey(t *testing.T) {
	for _, c := range [][2]int{{1, 1}, {3, 2}, {5, 3}, {4, 4}} {
		r := newDKG(t, c[0], c[1], "check key")
		key, err := Finish(r.setup, r.deals, nil)
		require.NoError(t, err)
		var vks []Point
		for j := 1; j <= c[0]; j++ {
			vks = append(vks, key.Verification[j])
		}
		require.NoError(t, CheckKey(c[1], key.PublicKey, vks), "%v", c)
		require.ErrorIs(t, CheckKey(c[1], key.PublicKey.Add(Generator()), vks), ErrInconsistentKey)
		for j := range vks {
			bad := append([]Point(nil), vks...)
			bad[j] = bad[j].Add(Generator())
			require.ErrorIs(t, CheckKey(c[1], key.PublicKey, bad), ErrInconsistentKey, "%v share %d", c, j+1)
		}
		require.Error(t, CheckKey(0, key.PublicKey, vks))
		require.Error(t, CheckKey(c[0]+1, key.PublicKey, vks))
	}
}
