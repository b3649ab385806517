//go:build !js

package httpbox_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consensys/gnark/logger"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// benchElection is an election over a census of n test identities at
// depth 10 with 8 options (the verification cost does not depend on the
// depth), its development vote key cached under the user cache directory.
type benchElection struct {
	tree   *membership.Tree
	params *election.Params
	keys   *prover.Keys
}

func newBenchElection(b *testing.B, n int) *benchElection {
	logger.Disable()
	ctx := context.Background()
	tr := membership.NewTree(nil)
	if _, err := tr.InsertMany(ctx, membershiptest.Commitments(0, n)); err != nil {
		b.Fatal(err)
	}
	k, err := prover.OpenInsecure(ctx, benchKeyDir(), statement.Vote(10, statement.DefaultOptions))
	if err != nil {
		b.Fatal(err)
	}
	p := &election.Params{Log: election.LogKeys{Box: testBoxVKey}, DeploymentID: fe(7), ElectionID: fe(80),
		Question: "Which budget?", Options: []string{"a", "b", "c", "d", "e", "f", "g", "h"},
		Census: []membership.Head{tr.Head()}, Rules: election.Budget(10, 10), Depth: 10,
		VoteKey: election.PinKey(k.VerifyingKey()),
		// The box never meets the tally key: a stand-in pin.
		TallyKey: election.KeyPin{Backend: verifier.Groth16, ID: [32]byte{1}}}
	if err := p.Validate(); err != nil {
		b.Fatal(err)
	}
	return &benchElection{tree: tr, params: p, keys: k}
}

func benchKeyDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "zkvote-bench-keys")
}

// ballotPool returns n distinct valid ballots of e, proven once (on two
// goroutines, a few minutes) and cached on disk next to the keys.
func ballotPool(b *testing.B, e *benchElection, n int) [][]byte {
	id := e.keys.VerifyingKey().ID()
	digest, err := e.params.Digest()
	if err != nil {
		b.Fatal(err)
	}
	db := digest.Bytes()
	path := filepath.Join(benchKeyDir(), fmt.Sprintf("httpbox-ballots-%x-%x-%d.bin", id[:8], db[:8], n))
	if data, err := os.ReadFile(path); err == nil {
		if got, err := decodePool(data); err == nil && len(got) == n {
			return got
		}
	}
	b.Logf("proving %d ballots once (cached in %s)", n, path)
	out := make([][]byte, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	var failed atomic.Value
	for range 2 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				proof, err := e.tree.Proof(uint64(i))
				if err != nil {
					failed.Store(err)
					return
				}
				votes := []uint64{uint64(i % 4), 1, 0, 2, 0, 0, 3, uint64(i % 2)}
				bal, err := prover.Cast(context.Background(), e.keys, e.params, membershiptest.Identity(uint64(i)), proof, votes)
				if err != nil {
					failed.Store(err)
					return
				}
				out[i] = bal.Bytes()
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for _, raw := range out {
		buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(raw))))
		buf.Write(raw)
	}
	_ = os.WriteFile(path, buf.Bytes(), 0o600)
	return out
}

func decodePool(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) >= 4 {
		n := binary.BigEndian.Uint32(data)
		if int(n) > len(data)-4 {
			return nil, fmt.Errorf("short pool")
		}
		if _, err := election.ParseBallot(data[4 : 4+n]); err != nil {
			return nil, err
		}
		out = append(out, data[4:4+n])
		data = data[4+n:]
	}
	return out, nil
}

// BenchmarkServe measures the box over HTTP: n distinct ballots submitted
// by 64 concurrent HTTP clients (keep-alive connections) to a fresh
// durable box (its Tessera log on disk) behind the handler on a loopback
// listener, and the latency of each submission until its receipt arrives
// (p50 and p99, in milliseconds). Clients and server share the machine.
func BenchmarkServe(b *testing.B) {
	const n, clients = 1000, 64
	e := newBenchElection(b, n)
	pool := ballotPool(b, e, n)
	b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
		var elapsed time.Duration
		var latencies []time.Duration
		for b.Loop() {
			b.StopTimer()
			dir := b.TempDir()
			box, err := election.OpenBox(context.Background(), dir, e.params, e.keys.VerifyingKey(),
				election.BoxOptions{Key: testBoxSKey})
			if err != nil {
				b.Fatal(err)
			}
			h, err := httpbox.NewHandler(box, e.params, &httpbox.Options{LogDir: filepath.Join(dir, "log")})
			if err != nil {
				b.Fatal(err)
			}
			srv := httpbox.NewServer("", h)
			srv.ErrorLog = log.New(io.Discard, "", 0)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go srv.Serve(ln)
			tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: time.Minute}
			c, err := httpbox.NewClient("http://"+ln.Addr().String(), &http.Client{Transport: tr, Timeout: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()

			start := time.Now()
			var wg sync.WaitGroup
			var next atomic.Int64
			lat := make([]time.Duration, n)
			for range clients {
				wg.Go(func() {
					for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
						t0 := time.Now()
						if _, err := c.Submit(context.Background(), pool[i]); err != nil {
							b.Error(err)
						}
						lat[i] = time.Since(t0)
					}
				})
			}
			wg.Wait()
			elapsed += time.Since(start)
			latencies = append(latencies, lat...)

			b.StopTimer()
			srv.Shutdown(context.Background())
			tr.CloseIdleConnections()
			box.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "ballots/s")
		slices.Sort(latencies)
		b.ReportMetric(float64(latencies[len(latencies)/2])/1e6, "p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100])/1e6, "p99-ms")
	})
}
