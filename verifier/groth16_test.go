package verifier_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/verifier"
)

// gnarkVerdict is gnark's own groth16 Verify on a proof that ParseProof
// accepted (so its framing is safe for gnark's decoder).
func gnarkVerdict(t *testing.T, vk *verifier.VerifyingKey, p *verifier.Proof) bool {
	var pr groth16bn254.Proof
	_, err := pr.ReadFrom(bytes.NewReader(p.Data))
	require.NoError(t, err)
	return groth16bn254.Verify(&pr, vk.Groth16Key(), fr.Vector(p.Public)) == nil
}

// TestGroth16MatchesGnark: our verifier (precomputed lines for −γ and −δ)
// and gnark's Verify agree on valid proofs, on every single-bit flip of the
// proof data that still decodes, and on every mutated public signal.
func TestGroth16MatchesGnark(t *testing.T) {
	f := malArtefacts(t)
	for _, p := range []*verifier.Proof{f.proof, f.other} {
		require.True(t, gnarkVerdict(t, f.vk, p))
		require.NoError(t, verifier.Verify(f.vk, p))
	}
	checked := 0
	for i := f.off(); i < len(f.enc); i++ {
		for _, bit := range []byte{0x01, 0x40} {
			b := bytes.Clone(f.enc)
			b[i] ^= bit
			p, err := verifier.ParseProof(b)
			if err != nil {
				continue
			}
			ours := verifier.Verify(f.vk, p) == nil
			require.Equal(t, gnarkVerdict(t, f.vk, p), ours, "byte %d ^ %#x", i, bit)
			checked++
		}
	}
	for i := range f.proof.Public {
		p, err := verifier.ParseProof(f.enc)
		require.NoError(t, err)
		one := fr.One()
		p.Public[i].Add(&p.Public[i], &one)
		require.False(t, gnarkVerdict(t, f.vk, p))
		require.ErrorIs(t, verifier.Verify(f.vk, p), verifier.ErrInvalidProof)
	}
	require.Positive(t, checked)
}

// BenchmarkVerifyVsGnark alternates our Verify (decoding included) and
// gnark's groth16 Verify (on an already decoded proof) and reports both
// medians and their ratio, measured in the same run.
func BenchmarkVerifyVsGnark(b *testing.B) {
	b.Run(fmt.Sprintf("backend=groth16/depth=%d", benchDepth), func(b *testing.B) {
		vk, ps := benchFixture(b)
		gk := vk.Groth16Key()
		gp := make([]*groth16bn254.Proof, len(ps))
		for i, p := range ps {
			gp[i] = new(groth16bn254.Proof)
			if _, err := gp[i].ReadFrom(bytes.NewReader(p.Data)); err != nil {
				b.Fatal(err)
			}
		}
		var ours, stock []float64
		i := 0
		for b.Loop() {
			t0 := time.Now()
			if err := verifier.Verify(vk, ps[i%len(ps)]); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if err := groth16bn254.Verify(gp[i%len(ps)], gk, fr.Vector(ps[i%len(ps)].Public)); err != nil {
				b.Fatal(err)
			}
			ours = append(ours, float64(t1.Sub(t0)))
			stock = append(stock, float64(time.Since(t1)))
			i++
		}
		sort.Float64s(ours)
		sort.Float64s(stock)
		b.ReportMetric(ours[len(ours)/2], "ours-ns")
		b.ReportMetric(stock[len(stock)/2], "stock-ns")
		b.ReportMetric(ours[len(ours)/2]/stock[len(stock)/2], "ratio")
	})
}

// TestDecodedPointsFollowData: Verify reuses the points ParseProof decoded
// only while Data is unchanged; a proof edited in place is decoded afresh.
func TestDecodedPointsFollowData(t *testing.T) {
	f := malArtefacts(t)
	p, err := verifier.ParseProof(f.enc)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(f.vk, p))
	p.Data[40] ^= 0x01 // B edited in place
	require.Error(t, verifier.Verify(f.vk, p))
	p.Data[40] ^= 0x01
	require.NoError(t, verifier.Verify(f.vk, p))
	copy(p.Data, f.other.Data) // another statement's valid points
	require.ErrorIs(t, verifier.Verify(f.vk, p), verifier.ErrInvalidProof)
	require.Error(t, verifier.VerifyBatch(context.Background(), f.vk, []*verifier.Proof{p, f.other}))
	q := *p // copies share the cache safely
	copy(q.Data, f.proof.Data)
	require.NoError(t, verifier.Verify(f.vk, &q))
}
