package verifier_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

const (
	benchDepth  = 20
	benchProofs = 16
)

var (
	benchOnce sync.Once
	benchKey  *verifier.VerifyingKey
	benchSet  []*verifier.Proof
	benchErr  error
)

// benchFixture returns a depth-20 key and 16 distinct valid proofs, made
// once: setup takes seconds.
func benchFixture(b *testing.B) (*verifier.VerifyingKey, []*verifier.Proof) {
	benchOnce.Do(func() {
		ctx := context.Background()
		k, err := prover.SetupInsecure(ctx, statement.Membership(benchDepth))
		if err != nil {
			benchErr = err
			return
		}
		benchKey = k.VerifyingKey()
		benchSet, benchErr = makeProofs(ctx, k, benchProofs)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchKey, benchSet
}

func BenchmarkVerify(b *testing.B) {
	b.Run(fmt.Sprintf("backend=groth16/depth=%d", benchDepth), func(b *testing.B) {
		vk, ps := benchFixture(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := verifier.Verify(vk, ps[i%len(ps)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/proof")
	})
}

// BenchmarkVerifyBatch verifies batches of n valid proofs (the 16 distinct
// proofs repeated), and batches of n with one invalid proof in the middle,
// which VerifyBatch must locate.
func BenchmarkVerifyBatch(b *testing.B) {
	for _, bad := range []bool{false, true} {
		for _, n := range []int{1, 16, 100, 1000} {
			name := fmt.Sprintf("backend=groth16/depth=%d/proofs=%d", benchDepth, n)
			if bad {
				name += "/bad=1"
			}
			b.Run(name, func(b *testing.B) {
				vk, ps := benchFixture(b)
				batch := cloneAll(b, ps, n)
				if bad {
					add(&batch[n/2].Public[3], 1)
				}
				b.ReportAllocs()
				for b.Loop() {
					err := verifier.VerifyBatch(context.Background(), vk, batch)
					if bad != (err != nil) {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/proof")
			})
		}
	}
}
