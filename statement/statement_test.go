package statement

import (
	"errors"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"
)

func TestNames(t *testing.T) {
	for _, c := range []struct {
		s    Statement
		name string
		pub  int
	}{
		{Membership(20), "membership/v3/depth=20", 4},
		{Vote(20, 8), "vote/v3/depth=20/options=8", 17},
		{Tally(64, 8), "tally/v3/batch=64/options=8", 6},
		{Vote(MaxDepth, MaxOptions), "vote/v3/depth=32/options=55", MaxPublic},
		{SecretVote(20, 8, 2), "secret-vote/v3/depth=20/options=8/pack=2", 11},
		{SecretVote(MaxDepth, MaxOptions, 1), "secret-vote/v3/depth=32/options=55/pack=1", 11},
	} {
		require.NoError(t, c.s.Check())
		require.Equal(t, c.name, c.s.Name())
		require.Equal(t, c.name, c.s.String())
		require.Equal(t, c.pub, c.s.NbPublic())
		got, err := Parse(c.name)
		require.NoError(t, err)
		require.Equal(t, c.s, got)
	}
	s := Vote(20, 8)
	require.Equal(t, KindVote, s.Kind())
	require.Equal(t, [3]int{20, 8, 0}, [3]int{s.Depth(), s.Options(), s.Batch()})
	s = Tally(64, 8)
	require.Equal(t, [3]int{0, 8, 64}, [3]int{s.Depth(), s.Options(), s.Batch()})
	s = SecretVote(20, 8, 2)
	require.Equal(t, [3]int{20, 8, 0}, [3]int{s.Depth(), s.Options(), s.Batch()})
	require.Equal(t, "secret-vote", s.Kind().String())
	require.Equal(t, [2]int{2, 4}, [2]int{s.Pack(), s.Ciphertexts()})
	require.Equal(t, 5, SecretVote(20, 9, 2).Ciphertexts(), "an odd option has a ciphertext of its own")
	require.Equal(t, 9, SecretVote(20, 9, 1).Ciphertexts())
	require.Zero(t, Vote(20, 8).Pack()+Vote(20, 8).Ciphertexts()+SecretVote(20, 8, 0).Ciphertexts())
	s = Membership(10)
	require.Equal(t, [3]int{10, 0, 0}, [3]int{s.Depth(), s.Options(), s.Batch()})
	require.Equal(t, "kind(9)", Kind(9).String())
}

// TestLimits: every limit is checked, and the largest vote statement has
// exactly MaxPublic public inputs.
func TestLimits(t *testing.T) {
	require.Equal(t, MaxPublic, Vote(1, MaxOptions).NbPublic())
	for _, bad := range []Statement{
		{}, Membership(0), Membership(MaxDepth + 1), Vote(0, 8), Vote(20, 0), Vote(20, MaxOptions+1),
		Vote(MaxDepth+1, 8), Tally(0, 8), Tally(MaxBatch+1, 8), Tally(8, MaxOptions+1), {kind: 7, a: 1},
		SecretVote(0, 8, 2), SecretVote(20, 0, 2), SecretVote(20, MaxOptions+1, 2), SecretVote(20, 8, 0), SecretVote(20, 8, MaxPack+1),
	} {
		require.Error(t, bad.Check(), "%v", bad)
	}
	require.NoError(t, Tally(MaxBatch, MaxOptions).Check())
	require.NoError(t, Membership(1).Check())
	require.Zero(t, Statement{}.NbPublic())
}

func TestParseRefuses(t *testing.T) {
	for _, name := range []string{
		"", "vote", "vote/v3", "vote/v2/depth=20/options=8", "vote/v3/depth=20", "vote/v3/options=8/depth=20",
		"vote/v3/depth=020/options=8", "vote/v3/depth=+20/options=8", "vote/v3/depth=20/options=8/",
		"vote/v3/depth=20/options=56", "membership/v3/depth=33", "membership/v3/depth=20/options=8",
		"tally/v3/batch=0/options=8", "ballot/v3/depth=20", "Vote/v3/depth=20/options=8",
		"vote/v3/depth=20/options=8 ", "membership/v3/depth=-1", "membership/v3/depth=99999999999999999999",
		"secret-vote/v3/depth=20", "secret-vote/v3/batch=20/options=8", "secret_vote/v3/depth=20/options=8",
		"secret-vote/v3/depth=20/options=8", "secret-vote/v3/depth=20/options=8/pack=0", "secret-vote/v3/depth=20/options=8/pack=3",
		"secret-vote/v3/depth=20/pack=2/options=8", "vote/v3/depth=20/options=8/pack=2",
	} {
		_, err := Parse(name)
		require.Error(t, err, name)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("vote/v3/depth=20/options=8")
	f.Add("membership/v3/depth=1")
	f.Add("tally/v3/batch=16384/options=55")
	f.Add("secret-vote/v3/depth=20/options=8/pack=2")
	f.Fuzz(func(t *testing.T, name string) {
		s, err := Parse(name)
		if err != nil {
			return
		}
		if s.Name() != name || s.Check() != nil {
			t.Fatalf("Parse(%q) = %v", name, s)
		}
	})
}

func element(v uint64) fr.Element {
	var e fr.Element
	e.SetUint64(v)
	return e
}

func TestPublicRoundTrip(t *testing.T) {
	m := &MembershipPublic{Root: element(1), Nullifier: element(2), Scope: element(3), Message: element(4)}
	gm, err := ParseMembership(m.Vector())
	require.NoError(t, err)
	require.Equal(t, m, gm)
	require.Equal(t, []fr.Element{element(1), element(2), element(3), element(4)}, m.Vector())

	v := &VotePublic{Root: element(1), Nullifier: element(2), Scope: element(3), ParamsDigest: element(4),
		NumOptions: 5, MaxPerOption: 6, MinTotal: 7, MaxTotal: 8, CostExponent: 2, Votes: []uint64{10, 11, 0}}
	vec := v.Vector()
	require.Len(t, vec, Vote(1, 3).NbPublic())
	require.Equal(t, element(5), vec[4])
	require.Equal(t, element(11), vec[10])
	gv, err := ParseVote(vec)
	require.NoError(t, err)
	require.Equal(t, v, gv)

	sv := &SecretVotePublic{Root: element(1), Nullifier: element(2), Scope: element(3), ParamsDigest: element(4),
		NumOptions: 5, MaxPerOption: 6, MinTotal: 7, MaxTotal: 8, CostExponent: 1, Counter: 9, Ciphertexts: element(10)}
	svec := sv.Vector()
	require.Len(t, svec, SecretVote(1, 3, 2).NbPublic())
	require.Equal(t, element(9), svec[9])
	gsv, err := ParseSecretVote(svec)
	require.NoError(t, err)
	require.Equal(t, sv, gsv)

	ta := &TallyPublic{Scope: element(1), HeadBefore: element(2), HeadAfter: element(3), TallyBefore: element(4), TallyAfter: element(5), Count: 6}
	gt, err := ParseTally(ta.Vector())
	require.NoError(t, err)
	require.Equal(t, ta, gt)
}

func TestParsePublicRefuses(t *testing.T) {
	var big fr.Element
	big.SetOne()
	big.Neg(&big) // r − 1: not a 64-bit value
	for name, err := range map[string]error{
		"membership short": func() error { _, err := ParseMembership(make([]fr.Element, 3)); return err }(),
		"membership long":  func() error { _, err := ParseMembership(make([]fr.Element, 5)); return err }(),
		"vote no votes":    func() error { _, err := ParseVote(make([]fr.Element, 9)); return err }(),
		"vote too long":    func() error { _, err := ParseVote(make([]fr.Element, MaxPublic+1)); return err }(),
		"vote big rule": func() error {
			pub := make([]fr.Element, 12)
			pub[6] = big
			_, err := ParseVote(pub)
			return err
		}(),
		"vote big vote": func() error {
			pub := make([]fr.Element, 12)
			pub[11] = big
			_, err := ParseVote(pub)
			return err
		}(),
		"tally short": func() error { _, err := ParseTally(make([]fr.Element, 5)); return err }(),
		"secret long": func() error { _, err := ParseSecretVote(make([]fr.Element, 12)); return err }(),
		"secret big counter": func() error {
			pub := make([]fr.Element, 11)
			pub[9] = big
			_, err := ParseSecretVote(pub)
			return err
		}(),
		"tally big count": func() error {
			pub := make([]fr.Element, 6)
			pub[5] = big
			_, err := ParseTally(pub)
			return err
		}(),
	} {
		require.True(t, errors.Is(err, ErrPublic), "%s: %v", name, err)
		require.True(t, strings.HasPrefix(err.Error(), "statement: "), name)
	}
	// The root, nullifier, scope and digest of a ballot are any field
	// elements.
	pub := make([]fr.Element, 10)
	pub[0], pub[1], pub[2], pub[3] = big, big, big, big
	_, err := ParseVote(pub)
	require.NoError(t, err)
}

// FuzzParsePublic runs every public-input parser on the same vectors:
// none panics, and what one accepts comes back unchanged from Vector.
func FuzzParsePublic(f *testing.F) {
	f.Add([]byte{}, 10)
	f.Add([]byte{1, 2, 3}, 64)
	f.Add([]byte{7}, 4)
	f.Add([]byte{9, 1}, 6)
	f.Add([]byte{5, 5, 5}, 11)
	f.Fuzz(func(t *testing.T, seed []byte, n int) {
		if n < 0 || n > 2*MaxPublic {
			return
		}
		pub := make([]fr.Element, n)
		for i := range pub {
			if len(seed) > 0 {
				pub[i].SetUint64(uint64(seed[i%len(seed)]) << (i % 64))
				if seed[i%len(seed)]&1 == 1 {
					pub[i].Neg(&pub[i])
				}
			}
		}
		roundTrip := func(name string, vec []fr.Element) {
			if len(vec) != n {
				t.Fatalf("%s: %d inputs came back as %d", name, n, len(vec))
			}
			for i := range vec {
				if !vec[i].Equal(&pub[i]) {
					t.Fatalf("%s: input %d changed", name, i)
				}
			}
		}
		if p, err := ParseMembership(pub); err == nil {
			roundTrip("membership", p.Vector())
		}
		if p, err := ParseVote(pub); err == nil {
			roundTrip("vote", p.Vector())
		}
		if p, err := ParseSecretVote(pub); err == nil {
			roundTrip("secret vote", p.Vector())
		}
		if p, err := ParseTally(pub); err == nil {
			roundTrip("tally", p.Vector())
		}
	})
}
