package membership_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
)

var benchSizes = []int{1 << 10, 1 << 16, 1_000_000}

var (
	treeCacheMu sync.Mutex
	treeCache   = map[int]*membership.Tree{}
)

// benchTree returns a shared in-memory tree of n leaves.
func benchTree(b *testing.B, n int) *membership.Tree {
	treeCacheMu.Lock()
	defer treeCacheMu.Unlock()
	if t, ok := treeCache[n]; ok {
		return t
	}
	t := membership.NewTree(nil)
	if _, err := t.InsertMany(context.Background(), membershiptest.FastCommitments(0, n)); err != nil {
		b.Fatal(err)
	}
	treeCache[n] = t
	return t
}

func BenchmarkInsertMany(b *testing.B) {
	for _, n := range benchSizes {
		cs := membershiptest.FastCommitments(0, n)
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t := membership.NewTree(nil)
				if _, err := t.InsertMany(context.Background(), cs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkInsert(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			t := membership.NewTree(nil)
			if _, err := t.InsertMany(context.Background(), membershiptest.FastCommitments(0, n)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			i := uint64(n)
			for b.Loop() {
				if _, err := t.Insert(membershiptest.FastCommitments(i, 1)[0]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkProof(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			t := benchTree(b, n)
			b.ReportAllocs()
			i := uint64(0)
			for b.Loop() {
				if _, err := t.Proof(i % uint64(n)); err != nil {
					b.Fatal(err)
				}
				i += 7919
			}
		})
	}
}

func BenchmarkVerifyProof(b *testing.B) {
	n := 1_000_000
	t := benchTree(b, n)
	p, err := t.Proof(12345)
	if err != nil {
		b.Fatal(err)
	}
	root := t.Root()
	b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
		for b.Loop() {
			if err := p.Verify(root); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// rssBytes returns the resident set size on Linux, 0 elsewhere.
func rssBytes() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkMemory reports the heap a tree of n leaves holds after a GC, and
// the growth of the process's resident memory once freed pages are returned
// to the OS.
func BenchmarkMemory(b *testing.B) {
	for _, n := range benchSizes {
		cs := membershiptest.FastCommitments(0, n)
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			var heap, rss float64
			for b.Loop() {
				debug.FreeOSMemory()
				rss0 := rssBytes()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				t := membership.NewTree(nil)
				if _, err := t.InsertMany(context.Background(), cs); err != nil {
					b.Fatal(err)
				}
				debug.FreeOSMemory()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				heap = float64(after.HeapAlloc) - float64(before.HeapAlloc)
				rss = rssBytes() - rss0
				runtime.KeepAlive(t)
			}
			if rss > 0 {
				b.ReportMetric(rss/(1<<20), "rss-MiB")
			}
			b.ReportMetric(heap/(1<<20), "heap-MiB")
			b.ReportMetric(heap/float64(n), "heap-B/leaf")
		})
	}
}

func BenchmarkReopen(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			t, err := membership.OpenTree(context.Background(), dir, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := t.InsertMany(context.Background(), membershiptest.FastCommitments(0, n)); err != nil {
				b.Fatal(err)
			}
			if err := t.Close(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				t, err := membership.OpenTree(context.Background(), dir, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				t.Close()
				b.StartTimer()
			}
		})
	}
}

func BenchmarkInsertDurable(b *testing.B) {
	b.Run("leaves=1024", func(b *testing.B) {
		t, err := membership.OpenTree(context.Background(), b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer t.Close()
		if _, err := t.InsertMany(context.Background(), membershiptest.FastCommitments(0, 1024)); err != nil {
			b.Fatal(err)
		}
		i := uint64(1024)
		for b.Loop() {
			if _, err := t.Insert(membershiptest.FastCommitments(i, 1)[0]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
