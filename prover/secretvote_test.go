package prover

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark/logger"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// secretBallot returns the witness of a secret ballot of member 3 of a tree
// of n for s, voting votes under key, with fresh randomness.
func secretBallot(t testing.TB, n int, s statement.Statement, key trustee.Point, votes []uint64) *circuits.SecretVoteWitness {
	tr := membership.NewTree(nil)
	_, err := tr.InsertMany(context.Background(), membershiptest.Commitments(0, n))
	require.NoError(t, err)
	p, err := tr.Proof(3)
	require.NoError(t, err)
	m, err := NewMembershipWitness(membershiptest.Identity(3), p, fe(5), fe(0))
	require.NoError(t, err)
	w := &circuits.SecretVoteWitness{
		VoteWitness: circuits.VoteWitness{Membership: *m, ParamsDigest: fe(6), NumOptions: uint64(s.Options()),
			MaxPerOption: 1, MinTotal: 1, MaxTotal: 1, CostExponent: 1, Votes: votes},
		Counter: 1,
		Key:     key,
	}
	for range s.Ciphertexts() {
		k, err := trustee.RandomScalar(nil)
		require.NoError(t, err)
		w.Randomness = append(w.Randomness, k)
	}
	return w
}

// TestSecretVoteProve proves a secret ballot with Groth16 and checks what a
// ballot box would: the proof verifies, its public inputs read by name carry
// the counter and the hash of the ciphertexts the voter submits, and the
// ciphertexts decrypt (here with the whole key) to the packed votes: options
// 0 and 1 in the two slots of the first, option 2 alone in the second.
func TestSecretVoteProve(t *testing.T) {
	ctx := context.Background()
	s := statement.SecretVote(testDepth, 3, 2)
	keys, err := SetupInsecure(ctx, s)
	require.NoError(t, err)
	sk, err := trustee.RandomScalar(nil)
	require.NoError(t, err)
	pk := trustee.BaseMul(sk)
	w := secretBallot(t, 9, s, pk, []uint64{0, 1, 0})
	proof, err := keys.Prove(ctx, w)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(keys.VerifyingKey(), proof))

	pub, err := statement.ParseSecretVote(proof.Public)
	require.NoError(t, err)
	require.Equal(t, uint64(1), pub.Counter)
	cs, err := w.Ciphertexts(s)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	require.Equal(t, trustee.HashCiphertexts(pk, cs), pub.Ciphertexts)
	for i, m := range []uint64{1 << statement.SlotBits, 0} {
		require.True(t, cs[i].C2.Sub(cs[i].C1.Mul(sk)).Equal(trustee.BaseMul(trustee.NewScalar(m))), "ciphertext %d", i)
	}
	// Submitted under another key, the same ciphertexts do not match.
	require.NotEqual(t, trustee.HashCiphertexts(trustee.Generator(), cs), pub.Ciphertexts)
	// A ballot against the rules cannot be proven; a witness of an open
	// ballot is refused by these keys.
	_, err = keys.Prove(ctx, secretBallot(t, 9, s, pk, []uint64{1, 1, 0}))
	require.Error(t, err)
	_, err = keys.Prove(ctx, &w.VoteWitness)
	require.Error(t, err)
}

// secretBench holds the benchmark's keys for each packing, set up once.
var secretBench = [...]func() (*Keys, error){1: secretSetup(1), 2: secretSetup(2)}

func secretSetup(pack int) func() (*Keys, error) {
	return sync.OnceValues(func() (*Keys, error) {
		return SetupInsecure(context.Background(), statement.SecretVote(statement.DefaultDepth, statement.DefaultOptions, pack))
	})
}

// openVoteBench holds the open vote keys the secret benchmark compares
// against, set up once.
var openVoteBench = sync.OnceValues(func() (*Keys, error) {
	return SetupInsecure(context.Background(), statement.Vote(statement.DefaultDepth, statement.DefaultOptions))
})

// BenchmarkSecretVoteProof measures proving a secret ballot: witness
// assembly (the ciphertexts natively), proving and encoding, for the
// default packing and without packing. Each iteration also proves, off the
// clock, the open ballot of the same citizen and votes (statement.Vote at
// the same depth and options), and the "vote-proofs" metric is the ratio of
// the two times: what a secret ballot costs a voter in open ballots,
// measured on one machine in one run.
func BenchmarkSecretVoteProof(b *testing.B) {
	logger.Disable()
	for _, pack := range []int{statement.DefaultPack, 1} {
		s := statement.SecretVote(statement.DefaultDepth, statement.DefaultOptions, pack)
		b.Run(fmt.Sprintf("backend=groth16/depth=%d/options=%d/pack=%d", s.Depth(), s.Options(), s.Pack()), func(b *testing.B) {
			keys, err := secretBench[pack]()
			if err != nil {
				b.Fatal(err)
			}
			open, err := openVoteBench()
			if err != nil {
				b.Fatal(err)
			}
			pk := trustee.BaseMul(trustee.NewScalar(12345))
			w := secretBallot(b, 64, s, pk, []uint64{0, 0, 1, 0, 0, 0, 0, 0})
			var size int
			var secretTime, openTime time.Duration
			for b.Loop() {
				start := time.Now()
				p, err := keys.Prove(context.Background(), w)
				if err != nil {
					b.Fatal(err)
				}
				secretTime += time.Since(start)
				size = len(p.Data)
				b.StopTimer()
				start = time.Now()
				if _, err := open.Prove(context.Background(), &w.VoteWitness); err != nil {
					b.Fatal(err)
				}
				openTime += time.Since(start)
				b.StartTimer()
			}
			b.ReportMetric(float64(keys.NbConstraints()), "constraints")
			b.ReportMetric(float64(size), "proof-bytes")
			b.ReportMetric(float64(secretTime)/float64(openTime), "vote-proofs")
		})
	}
}

// TestCeremonyHeaderSecretVote: a ceremony state names a secret vote
// statement by its kind and sizes, and reads back as the same statement;
// sizes out of range are refused as for every kind.
func TestCeremonyHeaderSecretVote(t *testing.T) {
	s := statement.SecretVote(20, 8, 2)
	first, second := ceremonySizes(s)
	_, got, _, err := parseCeremonyHeader(append(stateHeader(1, byte(statement.KindSecretVote), uint16(first), uint16(second)), 0))
	require.NoError(t, err)
	require.Equal(t, s, got)
	for _, sizes := range [][2]uint16{{0, 8 | 2<<8}, {20, 0}, {20, statement.MaxOptions + 1 | 2<<8}, {statement.MaxDepth + 1, 8 | 2<<8},
		{20, 8}, {20, 8 | (statement.MaxPack+1)<<8}} {
		_, _, _, err := parseCeremonyHeader(append(stateHeader(1, byte(statement.KindSecretVote), sizes[0], sizes[1]), 0))
		require.ErrorIs(t, err, ErrMalformedContribution, "sizes %v", sizes)
	}
	_, _, _, err = parseCeremonyHeader(append(stateHeader(1, 5, 20, 8), 0))
	require.ErrorIs(t, err, ErrMalformedContribution, "kind 5")
}

// stateHeader is a ceremony state's header as prover/ceremony.go documents
// it: magic, version 2, phase, kind and the two sizes.
func stateHeader(phase, kind byte, a, b uint16) []byte {
	h := append([]byte("ZKVOTECR"), 2, phase, kind)
	h = binary.BigEndian.AppendUint16(h, a)
	return binary.BigEndian.AppendUint16(h, b)
}
