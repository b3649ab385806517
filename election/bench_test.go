package election_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"

	"github.com/netstate/zkvote/circuits"
	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
)

// benchBatch is the tally batch of the benchmark elections, whose
// parameters pin its tally key.
const benchBatch = 256

// benchElection is an election over a census of n test identities, with
// development keys cached under the user cache directory (the first run
// makes them).
type benchElection struct {
	tree   *membership.Tree
	params *Params
	keys   *prover.Keys
}

func newBenchElection(b *testing.B, depth, n int) *benchElection {
	logger.Disable()
	ctx := context.Background()
	tr := membership.NewTree(nil)
	if _, err := tr.InsertMany(ctx, membershiptest.Commitments(0, n)); err != nil {
		b.Fatal(err)
	}
	k, err := prover.OpenInsecure(ctx, benchKeyDir(), statement.Vote(depth, statement.DefaultOptions))
	if err != nil {
		b.Fatal(err)
	}
	tk, err := prover.OpenInsecure(ctx, benchKeyDir(), statement.Tally(benchBatch, statement.DefaultOptions))
	if err != nil {
		b.Fatal(err)
	}
	p := &Params{Log: testLogKeys(), DeploymentID: fe(7), ElectionID: fe(8), Question: "Which budget?",
		Options: []string{"a", "b", "c", "d", "e", "f", "g", "h"}, Census: []membership.Head{tr.Head()},
		Rules: Budget(10, 10), Depth: depth, VoteKey: PinKey(k.VerifyingKey()), TallyKey: PinKey(tk.VerifyingKey())}
	return &benchElection{tree: tr, params: p, keys: k}
}

func benchKeyDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "zkvote-bench-keys")
}

func (e *benchElection) cast(b *testing.B, i int) *Ballot {
	path, err := e.tree.Proof(uint64(i))
	if err != nil {
		b.Fatal(err)
	}
	votes := []uint64{uint64(i % 4), 1, 0, 2, 0, 0, 3, uint64(i % 2)}
	bal, err := prover.Cast(context.Background(), e.keys, e.params, membershiptest.Identity(uint64(i)), path, votes)
	if err != nil {
		b.Fatal(err)
	}
	return bal
}

// BenchmarkVoteProof measures a citizen's device: witness and proof of one
// ballot at depth 20 with 8 options (Cast, checks included).
func BenchmarkVoteProof(b *testing.B) {
	e := newBenchElection(b, 20, 64)
	b.Run("backend=groth16/depth=20/options=8", func(b *testing.B) {
		var size int
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			size = len(e.cast(b, i%64).Proof().Data)
			i++
		}
		b.ReportMetric(float64(e.keys.NbConstraints()), "constraints")
		b.ReportMetric(float64(size), "proof-bytes")
	})
}

// ballotCache is a pool of distinct valid ballots, proven once and cached
// on disk next to the keys.
type ballotCache struct {
	mu      sync.Mutex
	ballots []*Ballot
}

var openPool ballotCache

// get returns n ballots from the cache, the file at path, or cast (on two
// goroutines), in that order.
func (c *ballotCache) get(b *testing.B, path string, n int, cast func(i int) *Ballot) []*Ballot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ballots) >= n {
		return c.ballots[:n]
	}
	if data, err := os.ReadFile(path); err == nil {
		if got, err := decodePool(data); err == nil && len(got) == n {
			c.ballots = got
			return got
		}
	}
	b.Logf("proving %d ballots once (cached in %s)", n, path)
	out := make([]*Ballot, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 2 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				out[i] = cast(i)
			}
		})
	}
	wg.Wait()
	var buf bytes.Buffer
	for _, bal := range out {
		raw := bal.Bytes()
		buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(raw))))
		buf.Write(raw)
	}
	_ = os.WriteFile(path, buf.Bytes(), 0o600)
	c.ballots = out
	return out
}

// ballotPool returns n distinct valid ballots of a depth-10 election (the
// verification cost does not depend on the depth), cached on disk next to
// the keys because proving them takes about a minute.
func ballotPool(b *testing.B, e *benchElection, n int) []*Ballot {
	id := e.keys.VerifyingKey().ID()
	digest, err := e.params.Digest()
	if err != nil {
		b.Fatal(err)
	}
	db := digest.Bytes()
	path := filepath.Join(benchKeyDir(), fmt.Sprintf("ballots-%x-%x-%d.bin", id[:8], db[:8], n))
	return openPool.get(b, path, n, func(i int) *Ballot { return e.cast(b, i) })
}

func decodePool(data []byte) ([]*Ballot, error) {
	var out []*Ballot
	for len(data) >= 4 {
		n := binary.BigEndian.Uint32(data)
		if int(n) > len(data)-4 {
			return nil, fmt.Errorf("short pool")
		}
		bal, err := ParseBallot(data[4 : 4+n])
		if err != nil {
			return nil, err
		}
		out = append(out, bal)
		data = data[4+n:]
	}
	return out, nil
}

// BenchmarkSubmit measures the box: 1,000 distinct ballots submitted by 32
// concurrent clients to a fresh durable box (its Tessera log on disk), and
// the acknowledgement latency of each (p50 and p99, in milliseconds).
func BenchmarkSubmit(b *testing.B) {
	const n, clients = 1000, 32
	e := newBenchElection(b, 10, n)
	ballots := ballotPool(b, e, n)
	b.Run(fmt.Sprintf("ballots=%d/clients=%d", n, clients), func(b *testing.B) {
		var elapsed time.Duration
		var latencies []time.Duration
		for b.Loop() {
			b.StopTimer()
			box, err := OpenBox(context.Background(), b.TempDir(), e.params, e.keys.VerifyingKey(), testBoxOptions())
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			var wg sync.WaitGroup
			var next atomic.Int64
			lat := make([]time.Duration, n)
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
						t0 := time.Now()
						if _, err := box.Submit(context.Background(), ballots[i].Bytes()); err != nil {
							b.Error(err)
						}
						lat[i] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			latencies = append(latencies, lat...)
			elapsed += time.Since(start)
			b.StopTimer()
			box.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "ballots/s")
		slices.Sort(latencies)
		b.ReportMetric(float64(latencies[len(latencies)/2])/1e6, "p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100])/1e6, "p99-ms")
	})
}

// BenchmarkAudit measures an auditor on 1,000 ballots: log and tally file
// parsing, statement and nullifier checks, batch verification and tally
// checks.
func BenchmarkAudit(b *testing.B) {
	const n = 1000
	e := newBenchElection(b, 10, n)
	ballots := ballotPool(b, e, n)
	ctx := context.Background()
	tk, err := prover.OpenInsecure(ctx, benchKeyDir(), statement.Tally(benchBatch, statement.DefaultOptions))
	if err != nil {
		b.Fatal(err)
	}
	box, err := OpenBox(ctx, b.TempDir(), e.params, e.keys.VerifyingKey(), testBoxOptions())
	if err != nil {
		b.Fatal(err)
	}
	for _, bal := range ballots {
		if _, err := box.Submit(ctx, bal.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
	box.End()
	var log bytes.Buffer
	if err := box.ExportLog(context.Background(), &log); err != nil {
		b.Fatal(err)
	}
	tallies, err := prover.ProveTally(ctx, tk, e.params, ballots, nil)
	if err != nil {
		b.Fatal(err)
	}
	file := EncodeTallyProofs(tallies)
	b.Run(fmt.Sprintf("ballots=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Audit(ctx, e.params, e.keys.VerifyingKey(), tk.VerifyingKey(), log.Bytes(), file); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/ballot")
	})
}

// BenchmarkTallyProof measures one batch proof per batch size, full
// batches, and reports the cost per ballot. Setup for large batches takes
// minutes the first time (keys are cached).
func BenchmarkTallyProof(b *testing.B) {
	logger.Disable()
	ctx := context.Background()
	for _, size := range []int{64, 256, 1024} {
		b.Run(fmt.Sprintf("backend=groth16/batch=%d/options=8", size), func(b *testing.B) {
			tk, err := prover.OpenInsecure(ctx, benchKeyDir(), statement.Tally(size, statement.DefaultOptions))
			if err != nil {
				b.Fatal(err)
			}
			var scope fr.Element
			scope.SetUint64(3)
			ballots := make([]circuits.TallySlot, size)
			for i := range ballots {
				ballots[i].Nullifier.SetUint64(uint64(i + 1))
				ballots[i].Votes = []uint64{1, 0, 2, 0, 0, 0, 0, uint64(i % 3)}
			}
			w := tallyWitness(scope, ballots)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tk.Prove(ctx, w); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tk.NbConstraints()), "constraints")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/ballot")
		})
	}
}

func tallyWitness(scope fr.Element, ballots []circuits.TallySlot) *circuits.TallyWitness {
	return &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: make([]uint64, statement.DefaultOptions), Ballots: ballots}
}
