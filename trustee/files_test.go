package trustee

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership"
)

// fastKDF keeps argon2id cheap in tests; real files use
// membership.DefaultKDFParams.
var fastKDF = &membership.KDFParams{Time: 1, Memory: 8, Threads: 1}

// cheatingDKG is a 2-of-3 key generation in which dealer 3 seals a bad
// share to trustee 1 and re-signs: trustee 1's complaint is upheld and
// dealer 3 disqualified.
func cheatingDKG(t *testing.T) (*dkgRun, []*Complaint, *ElectionKey) {
	r := newDKG(t, 3, 2, "files test")
	d := r.deals[2]
	d.Shares[0][0] ^= 1
	require.NoError(t, r.keys[2].Sign(r.setup, d, nil))
	cs := r.complaints(t)
	require.Len(t, cs, 1)
	key, err := Finish(r.setup, r.deals, cs)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, key.Qualified)
	require.Equal(t, []int{3}, key.Disqualified)
	return r, cs, key
}

// flips calls f with a copy of b for every single-bit flip.
func flips(b []byte, f func(pos int, flipped []byte)) {
	for i := range b {
		for bit := range 8 {
			c := bytes.Clone(b)
			c[i] ^= 1 << bit
			f(i, c)
		}
	}
}

func TestSetupFile(t *testing.T) {
	r := newDKG(t, 3, 2, "setup file")
	b, err := r.setup.Encode()
	require.NoError(t, err)
	s, err := ParseSetup(b)
	require.NoError(t, err)
	require.Equal(t, r.setup.Threshold, s.Threshold)
	require.Equal(t, r.setup.Context, s.Context)
	require.Len(t, s.Keys, 3)
	for i := range s.Keys {
		require.True(t, s.Keys[i].Equal(r.setup.Keys[i]))
	}
	// The parsed setup is the same key generation: its deals verify.
	for _, d := range r.deals {
		require.NoError(t, s.VerifyDeal(d))
	}
	again, err := s.Encode()
	require.NoError(t, err)
	require.Equal(t, b, again)

	for n := range len(b) {
		_, err := ParseSetup(b[:n])
		require.ErrorIs(t, err, ErrMalformed, "cut at %d", n)
	}
	_, err = ParseSetup(append(bytes.Clone(b), 0))
	require.ErrorIs(t, err, ErrMalformed, "trailing byte")
	ctxAt := 11 + 3*PointSize
	flips(b, func(pos int, c []byte) {
		s, err := ParseSetup(c)
		if pos < 9 || pos == 10 || pos == ctxAt || pos == ctxAt+1 {
			// Magic, version and lengths never parse. (A threshold of 1 or
			// 3 of 3, a key flipped to another point of the subgroup or
			// another context is another setup.)
			require.ErrorIs(t, err, ErrMalformed, "flip at %d", pos)
			return
		}
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed, "flip at %d", pos)
			return
		}
		again, err := s.Encode()
		require.NoError(t, err)
		require.Equal(t, c, again, "flip at %d: not canonical", pos)
	})

	// Setups that must not encode or decode.
	k := r.setup.Keys
	for name, bad := range map[string]*Setup{
		"no trustees":      {Threshold: 1},
		"threshold 0":      {Threshold: 0, Keys: k},
		"threshold over n": {Threshold: 4, Keys: k},
		"repeated key":     {Threshold: 1, Keys: []Point{k[0], k[0]}},
		"identity key":     {Threshold: 1, Keys: []Point{k[0], Identity()}},
		"long context":     {Threshold: 1, Keys: k, Context: make([]byte, MaxContext+1)},
	} {
		_, err := bad.Encode()
		require.Error(t, err, name)
		// Hand-encode it anyway: the decoder refuses it.
		raw := append([]byte(setupMagic), fileVersion, byte(bad.Threshold), byte(len(bad.Keys)))
		for _, p := range bad.Keys {
			e := p.Bytes()
			raw = append(raw, e[:]...)
		}
		raw = binary.BigEndian.AppendUint16(raw, uint16(len(bad.Context)))
		raw = append(raw, bad.Context...)
		_, err = ParseSetup(raw)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
	// A deal of another setup does not verify under this one.
	other := newDKG(t, 3, 2, "another election")
	other.setup.Keys = r.setup.Keys
	d, err := r.keys[0].Deal(other.setup, nil)
	require.NoError(t, err)
	require.ErrorIs(t, s.VerifyDeal(d), ErrMalformed)
	require.NoError(t, other.setup.VerifyDeal(d))
}

func TestElectionKeyFile(t *testing.T) {
	_, _, key := cheatingDKG(t)
	b, err := key.Encode()
	require.NoError(t, err)
	back, err := ParseElectionKey(b)
	require.NoError(t, err)
	require.Equal(t, key.Threshold, back.Threshold)
	require.True(t, key.PublicKey.Equal(back.PublicKey))
	require.Equal(t, key.Qualified, back.Qualified)
	require.Equal(t, key.Disqualified, back.Disqualified)
	require.Len(t, back.Verification, 3)
	for j, vk := range key.Verification {
		require.True(t, vk.Equal(back.Verification[j]))
	}
	require.Empty(t, back.Ignored)
	again, err := back.Encode()
	require.NoError(t, err)
	require.Equal(t, b, again)

	for n := range len(b) {
		_, err := ParseElectionKey(b[:n])
		require.ErrorIs(t, err, ErrMalformed, "cut at %d", n)
	}
	_, err = ParseElectionKey(append(bytes.Clone(b), 0))
	require.ErrorIs(t, err, ErrMalformed, "trailing byte")
	pointsEnd := 11 + PointSize + 3*PointSize
	flips(b, func(pos int, c []byte) {
		k, err := ParseElectionKey(c)
		if pos >= 11 && pos < pointsEnd {
			// A changed key or verification share is off the polynomial.
			require.ErrorIs(t, err, ErrMalformed, "flip at %d", pos)
			return
		}
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed, "flip at %d", pos)
			return
		}
		again, err := k.Encode()
		require.NoError(t, err)
		require.Equal(t, c, again, "flip at %d: not canonical", pos)
	})

	// Keys that must not encode.
	clone := func(f func(k *ElectionKey)) *ElectionKey {
		k := *key
		k.Verification = map[int]Point{}
		for j, vk := range key.Verification {
			k.Verification[j] = vk
		}
		k.Qualified, k.Disqualified = slices.Clone(key.Qualified), slices.Clone(key.Disqualified)
		f(&k)
		return &k
	}
	for name, bad := range map[string]*ElectionKey{
		"missing share":        clone(func(k *ElectionKey) { delete(k.Verification, 2) }),
		"share off polynomial": clone(func(k *ElectionKey) { k.Verification[3] = k.Verification[3].Add(Generator()) }),
		"another key":          clone(func(k *ElectionKey) { k.PublicKey = k.PublicKey.Add(Generator()) }),
		"too few qualified":    clone(func(k *ElectionKey) { k.Qualified, k.Disqualified = []int{1}, []int{2, 3} }),
		"disqualified wrong":   clone(func(k *ElectionKey) { k.Disqualified = nil }),
		"qualified unsorted":   clone(func(k *ElectionKey) { k.Qualified = []int{2, 1} }),
		"threshold 0":          clone(func(k *ElectionKey) { k.Threshold = 0 }),
	} {
		_, err := bad.Encode()
		require.Error(t, err, name)
	}
	var nilKey *ElectionKey
	_, err = nilKey.Encode()
	require.Error(t, err)
	// A threshold lowered in the file: the shares are not on a line.
	r := newDKG(t, 3, 3, "three of three")
	k3, err := Finish(r.setup, r.deals, nil)
	require.NoError(t, err)
	b3, err := k3.Encode()
	require.NoError(t, err)
	low := bytes.Clone(b3)
	low[9] = 2
	_, err = ParseElectionKey(low)
	require.ErrorIs(t, err, ErrInconsistentKey)
}

func TestComplaintListFile(t *testing.T) {
	r, cs, _ := cheatingDKG(t)
	// Trustee 1's list holds its complaint; trustee 2's is empty.
	l := &ComplaintList{Complainer: 1, Complaints: cs}
	b, err := l.Encode()
	require.NoError(t, err)
	back, err := ParseComplaintList(b)
	require.NoError(t, err)
	require.Equal(t, 1, back.Complainer)
	require.Len(t, back.Complaints, 1)
	require.Equal(t, cs[0].Bytes(), back.Complaints[0].Bytes())
	upheld, err := r.setup.Judge(back.Complaints[0], r.deals[2])
	require.NoError(t, err)
	require.True(t, upheld)

	empty, err := (&ComplaintList{Complainer: 2}).Encode()
	require.NoError(t, err)
	e, err := ParseComplaintList(empty)
	require.NoError(t, err)
	require.Equal(t, 2, e.Complainer)
	require.Empty(t, e.Complaints)
	again, err := e.Encode()
	require.NoError(t, err)
	require.Equal(t, empty, again)

	for n := range len(b) {
		_, err := ParseComplaintList(b[:n])
		require.ErrorIs(t, err, ErrMalformed, "cut at %d", n)
	}
	_, err = ParseComplaintList(append(bytes.Clone(empty), 0))
	require.ErrorIs(t, err, ErrMalformed, "trailing byte")
	flips(b, func(pos int, c []byte) {
		l, err := ParseComplaintList(c)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed, "flip at %d", pos)
			return
		}
		again, err := l.Encode()
		require.NoError(t, err)
		require.Equal(t, c, again, "flip at %d: not canonical", pos)
	})

	// Complaints are sorted by dealer; two against one dealer, another
	// trustee's complaint or a nil one are refused.
	c2 := &Complaint{Dealer: 2, Complainer: 1, DH: Generator(), setup: r.setup.digest()}
	c3 := cs[0]
	sorted, err := (&ComplaintList{Complainer: 1, Complaints: []*Complaint{c3, c2}}).Encode()
	require.NoError(t, err)
	s, err := ParseComplaintList(sorted)
	require.NoError(t, err)
	require.Equal(t, []int{2, 3}, []int{s.Complaints[0].Dealer, s.Complaints[1].Dealer})
	unsorted := bytes.Clone(sorted)
	copy(unsorted[11:], c3.Bytes())
	copy(unsorted[11+complaintSize:], c2.Bytes())
	_, err = ParseComplaintList(unsorted)
	require.ErrorIs(t, err, ErrMalformed)
	for name, bad := range map[string]*ComplaintList{
		"duplicate":   {Complainer: 1, Complaints: []*Complaint{c3, c3}},
		"not its own": {Complainer: 2, Complaints: []*Complaint{c3}},
		"nil":         {Complainer: 1, Complaints: []*Complaint{nil}},
		"index 0":     {Complainer: 0},
	} {
		_, err := bad.Encode()
		require.Error(t, err, name)
	}
	foreign := append([]byte(complaintListMagic), fileVersion, 2, 1)
	foreign = append(foreign, c3.Bytes()...)
	_, err = ParseComplaintList(foreign)
	require.ErrorIs(t, err, ErrMalformed, "trustee 1's complaint in trustee 2's list")
}

func TestSealedKeys(t *testing.T) {
	lt, err := GenerateLongTermKey(nil)
	require.NoError(t, err)
	pass := []byte("correct horse")
	ltFile, err := lt.Encrypt(pass, fastKDF)
	require.NoError(t, err)
	require.Len(t, ltFile, LongTermKeyFileSize)
	got, err := DecryptLongTermKey(ltFile, pass)
	require.NoError(t, err)
	require.True(t, got.Secret.Equal(lt.Secret))
	secret := lt.Secret.Bytes()
	require.NotContains(t, string(ltFile), string(secret[:8]), "the secret is never stored in the clear")

	share := &KeyShare{Index: 7, Secret: NewScalar(12345)}
	shFile, err := share.Encrypt(pass, fastKDF)
	require.NoError(t, err)
	require.Len(t, shFile, KeyShareFileSize)
	gotShare, err := DecryptKeyShare(shFile, pass)
	require.NoError(t, err)
	require.Equal(t, 7, gotShare.Index)
	require.True(t, gotShare.Secret.Equal(share.Secret))

	// The wrong passphrase, the other kind of file, cuts and flips.
	_, err = DecryptLongTermKey(ltFile, []byte("wrong"))
	require.ErrorIs(t, err, ErrDecrypt)
	_, err = DecryptKeyShare(shFile, []byte("wrong"))
	require.ErrorIs(t, err, ErrDecrypt)
	_, err = DecryptKeyShare(ltFile, pass)
	require.ErrorIs(t, err, ErrMalformed)
	relabelled := bytes.Clone(shFile[:LongTermKeyFileSize])
	copy(relabelled, longTermKeyMagic)
	_, err = DecryptLongTermKey(relabelled, pass)
	require.Error(t, err)
	for _, f := range []struct {
		data []byte
		open func([]byte) error
	}{
		{ltFile, func(b []byte) error { _, err := DecryptLongTermKey(b, pass); return err }},
		{shFile, func(b []byte) error { _, err := DecryptKeyShare(b, pass); return err }},
	} {
		for n := range len(f.data) {
			require.ErrorIs(t, f.open(f.data[:n]), ErrMalformed, "cut at %d", n)
		}
		require.ErrorIs(t, f.open(append(bytes.Clone(f.data), 0)), ErrMalformed)
		flips(f.data, func(pos int, c []byte) {
			err := f.open(c)
			require.Error(t, err, "flip at %d opened", pos)
			require.True(t, errors.Is(err, ErrDecrypt) || errors.Is(err, ErrMalformed) || errors.Is(err, membership.ErrKDFLimit), "flip at %d: %v", pos, err)
		})
	}

	// A header asking for more work than the limit is refused before any.
	greedy := bytes.Clone(ltFile)
	binary.BigEndian.PutUint32(greedy[13:], membership.DefaultKDFLimit().Memory+1)
	_, err = DecryptLongTermKey(greedy, pass)
	require.ErrorIs(t, err, membership.ErrKDFLimit)
	_, err = lt.Encrypt(pass, &membership.KDFParams{Time: 100, Memory: 8, Threads: 1})
	require.ErrorIs(t, err, membership.ErrKDFLimit)
	_, err = lt.Encrypt(pass, &membership.KDFParams{Time: 0, Memory: 8, Threads: 1})
	require.Error(t, err)
	_, err = lt.Encrypt(nil, fastKDF)
	require.Error(t, err)
	_, err = (&KeyShare{Index: 0}).Encrypt(pass, fastKDF)
	require.Error(t, err)

	// The default parameters, once.
	def, err := lt.Encrypt(pass, nil)
	require.NoError(t, err)
	got, err = DecryptLongTermKey(def, pass)
	require.NoError(t, err)
	require.True(t, got.Secret.Equal(lt.Secret))
}

// TestFilesDKG runs a key generation in which every message travels as a
// file: setup, deals, complaint lists, the election key and sealed shares.
func TestFilesDKG(t *testing.T) {
	r, cs, key := cheatingDKG(t)
	setupFile, err := r.setup.Encode()
	require.NoError(t, err)
	setup, err := ParseSetup(setupFile)
	require.NoError(t, err)
	var lists [][]byte
	for i := 1; i <= 3; i++ {
		l := &ComplaintList{Complainer: i}
		for _, c := range cs {
			if c.Complainer == i {
				l.Complaints = append(l.Complaints, c)
			}
		}
		b, err := l.Encode()
		require.NoError(t, err)
		lists = append(lists, b)
	}
	var complaints []*Complaint
	for _, b := range lists {
		l, err := ParseComplaintList(b)
		require.NoError(t, err)
		complaints = append(complaints, l.Complaints...)
	}
	again, err := Finish(setup, r.deals, complaints)
	require.NoError(t, err)
	kb, err := key.Encode()
	require.NoError(t, err)
	ab, err := again.Encode()
	require.NoError(t, err)
	require.Equal(t, kb, ab, "the key is the same from the files")
	parsed, err := ParseElectionKey(kb)
	require.NoError(t, err)
	for _, lt := range r.keys {
		sealed, err := lt.Encrypt([]byte("pw"), fastKDF)
		require.NoError(t, err)
		opened, err := DecryptLongTermKey(sealed, []byte("pw"))
		require.NoError(t, err)
		s, err := opened.Share(setup, r.deals, parsed)
		require.NoError(t, err)
		sb, err := s.Encrypt([]byte("pw"), fastKDF)
		require.NoError(t, err)
		back, err := DecryptKeyShare(sb, []byte("pw"))
		require.NoError(t, err)
		require.True(t, back.VerificationShare().Equal(parsed.Verification[back.Index]))
	}
}

func FuzzParseSetup(f *testing.F) {
	k1, _ := GenerateLongTermKey(nil)
	k2, _ := GenerateLongTermKey(nil)
	for _, s := range []*Setup{
		{Threshold: 1, Keys: []Point{k1.Public()}},
		{Threshold: 2, Keys: []Point{k1.Public(), k2.Public()}, Context: []byte("election")},
	} {
		b, err := s.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSetup(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		again, err := s.Encode()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzParseElectionKey(f *testing.F) {
	for _, n := range []int{1, 3} {
		s := &Setup{Threshold: (n + 1) / 2, Context: []byte("fuzz")}
		var lts []*LongTermKey
		for range n {
			k, err := GenerateLongTermKey(nil)
			if err != nil {
				f.Fatal(err)
			}
			lts = append(lts, k)
			s.Keys = append(s.Keys, k.Public())
		}
		var deals []*Deal
		for _, k := range lts {
			d, err := k.Deal(s, nil)
			if err != nil {
				f.Fatal(err)
			}
			deals = append(deals, d)
		}
		key, err := Finish(s, deals, nil)
		if err != nil {
			f.Fatal(err)
		}
		b, err := key.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseElectionKey(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		again, err := k.Encode()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

func FuzzParseComplaintList(f *testing.F) {
	c := &Complaint{Dealer: 2, Complainer: 1, DH: Generator()}
	for _, l := range []*ComplaintList{{Complainer: 1}, {Complainer: 1, Complaints: []*Complaint{c}}} {
		b, err := l.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseComplaintList(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		again, err := l.Encode()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

// cheapHeader reports whether a sealed file's argon2id parameters are cheap
// enough to run in a fuzz iteration.
func cheapHeader(b []byte) bool {
	return len(b) >= 18 && uint64(binary.BigEndian.Uint32(b[9:]))*uint64(binary.BigEndian.Uint32(b[13:])) <= 1<<12
}

func FuzzDecryptLongTermKey(f *testing.F) {
	// Deterministic: the fuzzing workers rebuild it, and must agree.
	k := &LongTermKey{Secret: NewScalar(424242)}
	b, err := k.Encrypt([]byte("pass"), fastKDF)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, []byte("pass"))
	f.Add(b[:40], []byte("pass"))
	f.Fuzz(func(t *testing.T, b, pass []byte) {
		if !cheapHeader(b) {
			return // valid but costly parameters: not a decoder question
		}
		got, err := DecryptLongTermKey(b, pass)
		if err != nil {
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrDecrypt) || errors.Is(err, membership.ErrKDFLimit), "%v", err)
			return
		}
		require.True(t, got.Secret.Equal(k.Secret), "only the authentic file opens")
	})
}

func FuzzDecryptKeyShare(f *testing.F) {
	s := &KeyShare{Index: 3, Secret: NewScalar(99)}
	b, err := s.Encrypt([]byte("pass"), fastKDF)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, []byte("pass"))
	f.Add(b[:40], []byte("pass"))
	f.Fuzz(func(t *testing.T, b, pass []byte) {
		if !cheapHeader(b) {
			return
		}
		got, err := DecryptKeyShare(b, pass)
		if err != nil {
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrDecrypt) || errors.Is(err, membership.ErrKDFLimit), "%v", err)
			return
		}
		require.Equal(t, 3, got.Index)
		require.True(t, got.Secret.Equal(s.Secret), "only the authentic file opens")
	})
}
