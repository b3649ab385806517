package prover

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover/msm"
	"github.com/netstate/zkvote/prover/msm/msmtest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// newLocalHelper returns a Helper in this process (msmtest.Helper), as
// the browser's helper worker runs.
func newLocalHelper() *msmtest.Helper { return &msmtest.Helper{} }

// testSecretKeys returns shared secret-ballot keys at testDepth.
var testSecretKeys = sync.OnceValues(func() (*Keys, error) {
	return SetupInsecure(context.Background(), statement.SecretVote(testDepth, 3, 2))
})

// helpedCase is a statement with keys and a witness of it.
type helpedCase struct {
	name string
	keys func(t *testing.T) *Keys
	wit  func(t *testing.T) circuits.Witness
}

func helpedCases() []helpedCase {
	return []helpedCase{
		{"membership", func(t *testing.T) *Keys { return testKeys(t) }, func(t *testing.T) circuits.Witness {
			tr := testTree(t, 9)
			p, err := tr.Proof(4)
			require.NoError(t, err)
			w, err := NewMembershipWitness(membershiptest.Identity(4), p, fe(3), fe(8))
			require.NoError(t, err)
			return w
		}},
		{"vote", func(t *testing.T) *Keys { return testVoteKeys(t) }, func(t *testing.T) circuits.Witness {
			return helpedVote(t, []uint64{0, 1, 0})
		}},
		{"secret", func(t *testing.T) *Keys {
			k, err := testSecretKeys()
			require.NoError(t, err)
			return k
		}, func(t *testing.T) circuits.Witness {
			sk, err := trustee.RandomScalar(nil)
			require.NoError(t, err)
			return secretBallot(t, 9, statement.SecretVote(testDepth, 3, 2), trustee.BaseMul(sk), []uint64{1, 0, 0})
		}},
	}
}

// helpedVote is the witness of a single-choice ballot of member 6 of a
// tree of 7, with votes (not checked against the rules).
func helpedVote(t *testing.T, votes []uint64) *circuits.VoteWitness {
	tr := testTree(t, 7)
	p, err := tr.Proof(6)
	require.NoError(t, err)
	w, err := voteWitness(membershiptest.Identity(6), p, &ballot{scope: fe(5), digest: fe(6), numOptions: 3,
		maxPer: 1, minTotal: 1, maxTotal: 1, exp: 1, votes: votes})
	require.NoError(t, err)
	return w
}

// subsets returns every non-empty subset of msm.Parts.
func subsets() [][]msm.Part {
	var out [][]msm.Part
	for set := 1; set < 1<<len(msm.Parts); set++ {
		var s []msm.Part
		for i, p := range msm.Parts {
			if set&(1<<i) != 0 {
				s = append(s, p)
			}
		}
		out = append(out, s)
	}
	return out
}

// TestHelperProofsVerify proves each statement with every set of parts on
// a helper: each proof verifies under the keys' verifying key, with the
// public inputs of the proof made without a helper, and the helper was
// given and asked exactly those parts.
func TestHelperProofsVerify(t *testing.T) {
	ctx := context.Background()
	for _, c := range helpedCases() {
		t.Run(c.name, func(t *testing.T) {
			k := c.keys(t)
			w := c.wit(t)
			alone, err := k.Prove(ctx, w)
			require.NoError(t, err)
			for _, parts := range subsets() {
				h := newLocalHelper()
				hk, err := k.WithHelper(ctx, h, parts)
				require.NoError(t, err)
				require.Equal(t, parts, h.Loads())
				pr, err := hk.Prove(ctx, w)
				require.NoError(t, err, "parts %v", parts)
				require.ElementsMatch(t, parts, h.Starts())
				require.Equal(t, len(parts), h.Waits())
				require.NoError(t, verifier.Verify(k.VerifyingKey(), pr), "parts %v", parts)
				require.Equal(t, alone.Public, pr.Public)
				require.Equal(t, alone.KeyID, pr.KeyID)
				// The keys without the helper still prove alone.
				require.Nil(t, k.helper)
			}
		})
	}
}

// TestHelperRandomises: two proofs of one witness share no element, so
// both r (in Ar) and s (in Bs) are drawn afresh for each proof.
func TestHelperRandomises(t *testing.T) {
	ctx := context.Background()
	c := helpedCases()[0]
	k := c.keys(t)
	w := c.wit(t)
	hk, err := k.WithHelper(ctx, newLocalHelper(), k.HelperParts())
	require.NoError(t, err)
	a, err := hk.Prove(ctx, w)
	require.NoError(t, err)
	b, err := hk.Prove(ctx, w)
	require.NoError(t, err)
	pa, pb := parseGroth16(t, a.Data), parseGroth16(t, b.Data)
	require.False(t, pa.Ar.Equal(&pb.Ar))
	require.False(t, pa.Bs.Equal(&pb.Bs))
	require.False(t, pa.Krs.Equal(&pb.Krs))
}

func parseGroth16(t *testing.T, data []byte) *groth16bn254.Proof {
	var p groth16bn254.Proof
	_, err := p.ReadFrom(bytes.NewReader(data))
	require.NoError(t, err)
	return &p
}

// TestHelperWrongSum: a helper that returns a point of the group other
// than the sum (the sum plus the generator) for any one part makes a proof
// that does not verify, so every part's sum is used.
func TestHelperWrongSum(t *testing.T) {
	ctx := context.Background()
	c := helpedCases()[1]
	k := c.keys(t)
	w := c.wit(t)
	for _, bad := range msm.Parts {
		h := &msmtest.Helper{Mangle: msmtest.Only(bad, msmtest.PlusGenerator)}
		hk, err := k.WithHelper(ctx, h, msm.Parts)
		require.NoError(t, err)
		pr, err := hk.Prove(ctx, w)
		require.NoError(t, err)
		require.Error(t, verifier.Verify(k.VerifyingKey(), pr), "wrong sum of part %v", bad)
	}
}

// TestHelperFails: a helper that fails, or returns bytes that are not a
// point of the group, fails the proof with an error naming the part (not
// one blaming the witness), and every started part is waited for.
func TestHelperFails(t *testing.T) {
	ctx := context.Background()
	c := helpedCases()[0]
	k := c.keys(t)
	w := c.wit(t)
	_, _, g1, _ := bn254.Generators()
	g1Raw := g1.RawBytes()
	offCurve := g1Raw
	offCurve[len(offCurve)-1] ^= 1
	g2NotInGroup := g2OutsideSubgroup(t)
	boom := errors.New("the helper's worker ended")
	cases := []struct {
		name string
		part msm.Part
		out  []byte
		err  error
		want string
	}{
		{"error", msm.A, nil, boom, "worker ended"},
		{"short", msm.K, g1Raw[:10], nil, "G1 sum of 10 bytes"},
		{"G2 size for G1", msm.B1, make([]byte, bn254.SizeOfG2AffineUncompressed), nil, "G1 sum of 128 bytes"},
		{"off the curve", msm.A, offCurve[:], nil, "not on the curve"},
		{"compressed", msm.A, func() []byte { b := g1.Bytes(); return append(b[:], make([]byte, 32)...) }(), nil, "not an uncompressed point"},
		{"G2 outside the subgroup", msm.B2, g2NotInGroup, nil, "not in the subgroup"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &msmtest.Helper{Mangle: msmtest.Only(tc.part, func(msm.Part, []byte) ([]byte, error) { return tc.out, tc.err })}
			hk, err := k.WithHelper(ctx, h, msm.Parts)
			require.NoError(t, err)
			_, err = hk.Prove(ctx, w)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "part "+tc.part.String())
			require.NotContains(t, err.Error(), "not a true instance")
			if tc.err != nil {
				require.ErrorIs(t, err, boom)
			}
			require.Equal(t, len(msm.Parts), h.Waits())
		})
	}
}

// g2OutsideSubgroup returns the raw encoding of a point on the twist that
// is not in G2 (nonSubgroupG2's point, uncompressed).
func g2OutsideSubgroup(t *testing.T) []byte {
	var p bn254.G2Affine
	dec := bn254.NewDecoder(bytes.NewReader(nonSubgroupG2(t)), bn254.NoSubgroupChecks())
	require.NoError(t, dec.Decode(&p))
	raw := p.RawBytes()
	return raw[:]
}

// TestHelperFalseWitness: a witness that is not a true instance fails as
// it does without a helper, before the helper is asked anything.
func TestHelperFalseWitness(t *testing.T) {
	ctx := context.Background()
	k := testVoteKeys(t)
	w := helpedVote(t, []uint64{1, 1, 0}) // two votes where one is allowed
	h := newLocalHelper()
	hk, err := k.WithHelper(ctx, h, k.HelperParts())
	require.NoError(t, err)
	_, err = hk.Prove(ctx, w)
	require.ErrorContains(t, err, "not a true instance")
	require.Empty(t, h.Starts())
}

// TestWithHelperRefuses: keys that cannot be helped, parts that are not
// parts, and a helper that cannot load are errors.
func TestWithHelperRefuses(t *testing.T) {
	ctx := context.Background()
	k := testKeys(t)
	_, err := k.WithHelper(ctx, nil, msm.Parts)
	require.ErrorContains(t, err, "nil helper")
	_, err = k.WithHelper(ctx, newLocalHelper(), nil)
	require.ErrorContains(t, err, "no part")
	_, err = k.WithHelper(ctx, newLocalHelper(), []msm.Part{msm.A, msm.A})
	require.ErrorContains(t, err, "repeated")
	_, err = k.WithHelper(ctx, newLocalHelper(), []msm.Part{msm.Part(0)})
	require.ErrorContains(t, err, "unknown")
	_, err = k.WithHelper(ctx, newLocalHelper(), []msm.Part{msm.Part(9)})
	require.ErrorContains(t, err, "unknown")
	h := &msmtest.Helper{LoadErr: errors.New("no worker")}
	_, err = k.WithHelper(ctx, h, msm.Parts)
	require.ErrorContains(t, err, "no worker")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = k.WithHelper(cancelled, newLocalHelper(), msm.Parts)
	require.ErrorIs(t, err, context.Canceled)

	plonk := testPLONKKeys(t, testDepth)
	require.Nil(t, plonk.HelperParts())
	_, err = plonk.WithHelper(ctx, newLocalHelper(), msm.Parts)
	require.ErrorContains(t, err, "only Groth16")
}

// TestHelperParts: the G2 part always goes to the helper, each part at
// most once, and the split balances the two threads better than giving
// the helper the G2 part alone or everything.
func TestHelperParts(t *testing.T) {
	for _, c := range helpedCases() {
		k := c.keys(t)
		parts := k.HelperParts()
		require.Contains(t, parts, msm.B2, c.name)
		seen := map[msm.Part]bool{}
		for _, p := range parts {
			require.True(t, p.Valid())
			require.False(t, seen[p])
			seen[p] = true
		}
		span := func(parts []msm.Part) int {
			in := map[msm.Part]bool{}
			for _, p := range parts {
				in[p] = true
			}
			pk := k.pk
			helper, own := 0, costFFT*int(pk.Domain.Cardinality)+10*len(pk.G1.Z)
			for p, c := range map[msm.Part]int{msm.A: 10 * len(pk.G1.A), msm.B1: 10 * len(pk.G1.B), msm.K: 10 * len(pk.G1.K), msm.B2: costG2 * len(pk.G2.B)} {
				if in[p] {
					helper += c
				} else {
					own += c
				}
			}
			return max(helper, own)
		}
		require.LessOrEqual(t, span(parts), span([]msm.Part{msm.B2}), c.name)
		require.LessOrEqual(t, span(parts), span(msm.Parts), c.name)
	}
}

// TestHelperCeremonyKeys: keys sealed by a ceremony (gnark's mpcsetup
// lays out the proving key itself) prove with a helper too.
func TestHelperCeremonyKeys(t *testing.T) {
	ctx := context.Background()
	k := testCeremony(t).keys
	tr := testTree(t, 4) // depth 2
	p, err := tr.Proof(2)
	require.NoError(t, err)
	w, err := NewMembershipWitness(membershiptest.Identity(2), p, fe(1), fe(2))
	require.NoError(t, err)
	for _, parts := range [][]msm.Part{k.HelperParts(), msm.Parts} {
		hk, err := k.WithHelper(ctx, newLocalHelper(), parts)
		require.NoError(t, err)
		pr, err := hk.Prove(ctx, w)
		require.NoError(t, err)
		require.NoError(t, verifier.Verify(k.VerifyingKey(), pr))
	}
}
