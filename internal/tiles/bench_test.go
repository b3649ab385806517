package tiles

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/transparency-dev/tessera/api/layout"
)

// BenchmarkEntries reads a directory log of 100,000 entries of about 1 KB,
// from the directory and over HTTP from a local file server, with and
// without recomputing the root.
func BenchmarkEntries(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	total := writeDirLog(b, dir, n, 1024)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	web, err := URL(srv.URL, srv.Client())
	if err != nil {
		b.Fatal(err)
	}
	for _, src := range []struct {
		name string
		f    Fetcher
	}{{"dir", Dir(dir)}, {"http", web}} {
		for _, hash := range []bool{false, true} {
			b.Run(fmt.Sprintf("source=%s/hash=%t", src.name, hash), func(b *testing.B) {
				b.SetBytes(total)
				b.ReportAllocs()
				for b.Loop() {
					var h Hasher
					err := Entries(context.Background(), src.f, 0, n, func(_ uint64, e []byte) error {
						if hash {
							h.Append(e)
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}

// writeDirLog writes the entry bundles of a log of n entries of sizes
// around size under dir and returns the bytes of entry data.
func writeDirLog(b *testing.B, dir string, n, size int) int64 {
	r := rand.New(rand.NewPCG(9, 0))
	pool := make([]byte, 1<<20)
	for i := range pool {
		pool[i] = byte(r.Uint32())
	}
	var total int64
	for bundle := uint64(0); bundle*256 < uint64(n); bundle++ {
		var data []byte
		for i := bundle * 256; i < min(uint64(n), (bundle+1)*256); i++ {
			l := size*7/8 + r.IntN(size/4+1)
			off := r.IntN(len(pool) - l)
			data = appendBundle(data, pool[off:off+l])
			total += int64(l)
		}
		p := filepath.Join(dir, filepath.FromSlash(layout.EntriesPath(bundle, layout.PartialTileSize(0, bundle, uint64(n)))))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return total
}
