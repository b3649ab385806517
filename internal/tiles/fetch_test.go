package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/api/layout"
)

// TestURLLimits: responses above the bounds are ErrMalformed whether or not
// they announce their length, and whether or not they are compressed;
// statuses other than 200 are errors, 404 one wrapping fs.ErrNotExist.
func TestURLLimits(t *testing.T) {
	bigGzip := func(n int) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(make([]byte, n))
		w.Close()
		return b.Bytes()
	}(MaxBundleSize + 1)
	mux := http.NewServeMux()
	serve := func(path string, n int, chunked bool) {
		mux.HandleFunc("/"+path, func(w http.ResponseWriter, r *http.Request) {
			if !chunked {
				w.Header().Set("Content-Length", strconv.Itoa(n))
			}
			w.Write(make([]byte, n))
		})
	}
	serve(layout.CheckpointPath, MaxCheckpointSize+1, false)
	serve(layout.TilePath(0, 0, 0), MaxTileSize+1, false)
	serve(layout.TilePath(0, 1, 0), MaxTileSize+1, true)
	serve(layout.TilePath(0, 2, 0), MaxTileSize, true) // at the bound: read
	serve(layout.EntriesPath(0, 0), MaxBundleSize+1, false)
	serve(layout.EntriesPath(1, 0), MaxBundleSize+1, true)
	mux.HandleFunc("/"+layout.EntriesPath(2, 0), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bigGzip)
	})
	mux.HandleFunc("/"+layout.EntriesPath(3, 0), func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f, err := URL(srv.URL, srv.Client())
	require.NoError(t, err)
	ctx := context.Background()

	_, err = f.ReadCheckpoint(ctx)
	require.ErrorIs(t, err, ErrMalformed)
	for i := range uint64(2) {
		_, err = f.ReadTile(ctx, 0, i, 0)
		require.ErrorIs(t, err, ErrMalformed, "tile %d", i)
	}
	b, err := f.ReadTile(ctx, 0, 2, 0)
	require.NoError(t, err)
	require.Len(t, b, MaxTileSize)
	for i := range uint64(3) {
		_, err = f.ReadEntryBundle(ctx, i, 0)
		require.ErrorIs(t, err, ErrMalformed, "bundle %d", i)
		require.ErrorIs(t, Entries(ctx, f, 256*i, 256*(i+1), func(uint64, []byte) error { return nil }), ErrMalformed)
	}
	_, err = f.ReadEntryBundle(ctx, 3, 0)
	require.Error(t, err)
	require.ErrorContains(t, err, "503")
	require.NotErrorIs(t, err, fs.ErrNotExist)
	_, err = f.ReadEntryBundle(ctx, 4, 0)
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = f.ReadEntryBundle(ctx, 4, 7)
	require.ErrorIs(t, err, fs.ErrNotExist, "neither the partial nor the full bundle")
}

// TestURLGzip: a bundle the server compresses is read decompressed.
func TestURLGzip(t *testing.T) {
	entries := randomEntries(8, 256, 100)
	var bundle []byte
	for _, e := range entries {
		bundle = appendBundle(bundle, e)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/log/"+layout.EntriesPath(0, 0), r.URL.Path)
		w.Header().Set("Content-Encoding", "gzip")
		z := gzip.NewWriter(w)
		z.Write(bundle)
		z.Close()
	}))
	defer srv.Close()
	f, err := URL(srv.URL+"/log", srv.Client())
	require.NoError(t, err)
	got, err := collect(t, f, 0, 256)
	require.NoError(t, err)
	requireEntries(t, entries, got, "gzip")
}

func TestURLParse(t *testing.T) {
	for _, bad := range []string{"", "example.com/log", "ftp://example.com/log", "http://", "http://example.com/log#x", "http://[::1"} {
		_, err := URL(bad, nil)
		require.Error(t, err, "%q", bad)
	}
	for _, good := range []string{"http://example.com", "https://example.com/log/", "https://example.com/log?key=1"} {
		_, err := URL(good, nil)
		require.NoError(t, err, "%q", good)
	}
}

// TestURLCancel: cancelling the context stops a read the server holds.
func TestURLCancel(t *testing.T) {
	started := make(chan struct{}, 16)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	f, err := URL(srv.URL, srv.Client())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	done := make(chan error)
	go func() { done <- Entries(ctx, f, 0, 1000, func(uint64, []byte) error { return nil }) }()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Entries did not stop")
	}
}

// TestDirLimits: files above the bounds are ErrMalformed, read or not.
func TestDirLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int64) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, nil, 0o644))
		require.NoError(t, os.Truncate(p, size))
	}
	write(layout.CheckpointPath, MaxCheckpointSize+1)
	write(layout.TilePath(0, 0, 0), MaxTileSize+1)
	write(layout.EntriesPath(0, 0), MaxBundleSize+1)
	write(layout.EntriesPath(1, 0), 0)
	f := Dir(dir)
	ctx := context.Background()
	_, err := f.ReadCheckpoint(ctx)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = f.ReadTile(ctx, 0, 0, 0)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = f.ReadEntryBundle(ctx, 0, 0)
	require.ErrorIs(t, err, ErrMalformed)
	b, err := f.ReadEntryBundle(ctx, 1, 9) // the full bundle for a partial
	require.NoError(t, err)
	require.Empty(t, b)
	_, err = f.ReadEntryBundle(ctx, 2, 0)
	require.ErrorIs(t, err, fs.ErrNotExist)

	// A directory where a file should be.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.FromSlash(layout.EntriesPath(3, 0))), 0o755))
	_, err = f.ReadEntryBundle(ctx, 3, 0)
	require.Error(t, err)
}

func TestReadAtMost(t *testing.T) {
	for _, tc := range []struct {
		n, hint, limit int64
		ok             bool
	}{
		{0, 0, 10, true},
		{0, -1, 10, true},
		{10, 10, 10, true},
		{10, -1, 10, true},
		{10, 3, 10, true},  // a wrong hint only costs a copy
		{10, 20, 10, true}, // the hint is above the limit
		{11, 11, 10, false},
		{11, -1, 10, false},
		{11, 3, 10, false},
		{200 << 10, -1, 1 << 20, true},
	} {
		b, err := readAtMost(bytes.NewReader(make([]byte, tc.n)), tc.hint, tc.limit)
		if tc.ok {
			require.NoError(t, err, "%+v", tc)
			require.Len(t, b, int(tc.n))
		} else {
			require.ErrorIs(t, err, ErrMalformed, "%+v", tc)
		}
	}
}
