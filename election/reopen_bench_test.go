package election_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/statement"
)

// BenchmarkReopen measures opening a box whose log holds 1,000 ballots,
// after a clean close: its state file, and every entry read back and
// checked against the tiles and the checkpoint. It reports the cost per
// entry.
func BenchmarkReopen(b *testing.B) {
	const n = 1000
	e, dir := benchBoxDir(b, n, false)
	ctx := context.Background()
	b.Run(fmt.Sprintf("ballots=%d", n), func(b *testing.B) {
		for b.Loop() {
			box, err := OpenBox(ctx, dir, e.params, e.keys.VerifyingKey(), testBoxOptions())
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if err := box.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(n+1)), "ns/entry")
	})
}

// BenchmarkReadLog measures an auditor's streaming read of a published
// log of 1,000 ballots from its directory, before any proof is verified:
// the tiles read, the tree recomputed and checked against the checkpoint,
// and every ballot decoded (FetchLog, then ReadLog). It reports entries
// per second.
func BenchmarkReadLog(b *testing.B) {
	const n = 1000
	e, dir := benchBoxDir(b, n, true)
	ctx := context.Background()
	src := LogDir(filepath.Join(dir, LogDirName))
	b.Run(fmt.Sprintf("ballots=%d", n), func(b *testing.B) {
		for b.Loop() {
			data, err := FetchLog(ctx, e.params, src)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ReadLog(data); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*(n+2))/b.Elapsed().Seconds(), "entries/s")
	})
}

// benchBoxDir returns the directory of a box that took the pool's n
// ballots, then was closed, or ended if end.
func benchBoxDir(b *testing.B, n int, end bool) (*benchElection, string) {
	e := newBenchElection(b, 10, n)
	ctx := context.Background()
	dir := b.TempDir()
	box, err := OpenBox(ctx, dir, e.params, e.keys.VerifyingKey(), testBoxOptions())
	if err != nil {
		b.Fatal(err)
	}
	for _, bal := range ballotPool(b, e, n) {
		if _, err := box.Submit(ctx, bal.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
	if end {
		err = box.End()
	} else {
		err = box.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	return e, dir
}

// BenchmarkReopenLarge measures reopening a box whose log holds 1,000,000
// entries, after a clean close (its state file is current), and the
// memory it then holds (heap in use, and the process's resident set). The
// log is made of the pool's ballots with their nullifiers changed: replay
// does not verify proofs, so they count as distinct ballots. Making it
// takes several minutes and about 2 GB of disk; it is not in the standard
// set:
//
//	go test ./election -run '^$' -bench BenchmarkReopenLarge -benchtime 3x
func BenchmarkReopenLarge(b *testing.B) {
	const n = 1_000_000
	e := newBenchElection(b, 10, 1000)
	pool := ballotPool(b, e, 1000)
	ctx := context.Background()
	dir := b.TempDir()
	box, err := OpenBox(ctx, dir, e.params, e.keys.VerifyingKey(), testBoxOptions())
	if err != nil {
		b.Fatal(err)
	}
	if err := box.Close(); err != nil {
		b.Fatal(err)
	}
	appendSynthetic(b, filepath.Join(dir, LogDirName), pool, n-1)
	box, err = OpenBox(ctx, dir, e.params, e.keys.VerifyingKey(), testBoxOptions()) // replays all, once
	if err != nil {
		b.Fatal(err)
	}
	if err := box.Close(); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
		var heap, rss uint64
		for b.Loop() {
			box, err := OpenBox(ctx, dir, e.params, e.keys.VerifyingKey(), testBoxOptions())
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heap = max(heap, ms.HeapInuse)
			rss = max(rss, residentBytes())
			if box.StateCovered() != n {
				b.Fatalf("the state covered %d entries", box.StateCovered())
			}
			if err := box.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
		if rss > 0 {
			b.ReportMetric(float64(rss)/(1<<20), "rss-MiB")
		}
	})
}

// appendSynthetic appends count ballots to the box's Tessera log directly:
// the pool's ballots in turn, each with a nullifier of its own.
func appendSynthetic(b *testing.B, logPath string, pool []*Ballot, count int) {
	signer, err := note.NewSigner(testBoxSKey)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drv, err := posix.New(ctx, posix.Config{Path: logPath})
	if err != nil {
		b.Fatal(err)
	}
	app, shutdown, _, err := tessera.NewAppender(ctx, drv, tessera.NewAppendOptions().WithCheckpointSigner(signer).
		WithBatching(256, 10*time.Millisecond).WithCheckpointInterval(time.Second).WithPushback(1<<16))
	if err != nil {
		b.Fatal(err)
	}
	for from := 0; from < count; from += 8192 {
		var futures []tessera.IndexFuture
		for i := from; i < min(count, from+8192); i++ {
			raw := withPublic(b, pool[i%len(pool)].Bytes(), func(v *statement.VotePublic) { v.Nullifier.SetUint64(uint64(i) + 1<<40) })
			futures = append(futures, app.Add(ctx, tessera.NewEntry(append([]byte{RecBallot}, raw...))))
		}
		for _, f := range futures {
			if _, err := f(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := shutdown(ctx); err != nil {
		b.Fatal(err)
	}
}

// residentBytes is the process's resident memory (VmRSS, Linux), or 0.
func residentBytes() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
