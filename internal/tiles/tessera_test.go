package tiles

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/torchwood"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Tessera's readers are Fetchers.
var (
	_ Fetcher = tessera.LogReader(nil)
	_ Fetcher = client.FileFetcher{}
	_ Fetcher = (*client.HTTPFetcher)(nil)
)

// tesseraLog is a log Tessera's POSIX storage wrote, then shut down.
type tesseraLog struct {
	dir         string
	entries     [][]byte
	checkpoints []tlog.Tree // one per round of appends
}

// newTesseraLog appends entries of random sizes (among them an empty one
// and one of the largest size) to a Tessera POSIX log in two rounds, of 300
// (so the tree crosses a bundle and ends mid-bundle) and 700, records the
// checkpoint each round ends with, and waits for Tessera's garbage
// collector to delete the partial bundle and tile the first checkpoint
// needed.
func newTesseraLog(t *testing.T) *tesseraLog {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const origin = "example.com/tiles-test"
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	require.NoError(t, err)
	signer, err := note.NewSigner(skey)
	require.NoError(t, err)
	verifier, err := note.NewVerifier(vkey)
	require.NoError(t, err)

	l := &tesseraLog{dir: t.TempDir(), entries: randomEntries(7, 1000, 2000)}
	l.entries[3] = []byte{}
	l.entries[500] = make([]byte, 1<<16-1)
	l.entries[500][0] = 1

	drv, err := posix.New(ctx, posix.Config{Path: l.dir})
	require.NoError(t, err)
	app, shutdown, reader, err := tessera.NewAppender(ctx, drv, tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithBatching(64, 5*time.Millisecond).
		WithCheckpointInterval(100*time.Millisecond).
		WithGarbageCollectionInterval(100*time.Millisecond))
	require.NoError(t, err)
	awaiter := tessera.NewPublicationAwaiter(ctx, reader.ReadCheckpoint, 10*time.Millisecond)

	next := 0
	for _, n := range []int{300, 700} {
		var futures []tessera.IndexFuture
		for _, e := range l.entries[next : next+n] {
			futures = append(futures, app.Add(ctx, tessera.NewEntry(e)))
		}
		var cp []byte
		for j, f := range futures {
			idx, c, err := awaiter.Await(ctx, f)
			require.NoError(t, err)
			require.Equal(t, uint64(next+j), idx.Index)
			cp = c
		}
		next += n
		signed, err := note.Open(cp, note.VerifierList(verifier))
		require.NoError(t, err)
		c, err := torchwood.ParseCheckpoint(signed.Text)
		require.NoError(t, err)
		require.Equal(t, int64(next), c.N)
		l.checkpoints = append(l.checkpoints, c.Tree)
	}
	gone := filepath.Join(l.dir, layout.EntriesPath(1, 44))
	require.Eventually(t, func() bool {
		_, err := os.Stat(gone)
		return errors.Is(err, fs.ErrNotExist)
	}, 10*time.Second, 20*time.Millisecond, "Tessera's garbage collector removes %s", gone)
	require.NoError(t, shutdown(ctx))
	return l
}

// copy copies the log's public files (not Tessera's private state, which
// its goroutines may still be writing) to a new directory.
func (l *tesseraLog) copy(t *testing.T) string {
	dir := t.TempDir()
	tiles, err := fs.Sub(os.DirFS(l.dir), "tile")
	require.NoError(t, err)
	require.NoError(t, os.CopyFS(filepath.Join(dir, "tile"), tiles))
	cp, err := os.ReadFile(filepath.Join(l.dir, layout.CheckpointPath))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, layout.CheckpointPath), cp, 0o644))
	return dir
}

// TestTessera reads a log Tessera wrote, from its directory and over HTTP.
func TestTessera(t *testing.T) {
	l := newTesseraLog(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(l.dir)))
	defer srv.Close()
	web, err := URL(srv.URL+"/", srv.Client())
	require.NoError(t, err)
	ctx := context.Background()

	for _, src := range []struct {
		name string
		f    Fetcher
	}{
		{"dir", Dir(l.dir)},
		{"url", web},
		{"tessera-file-fetcher", client.FileFetcher{Root: l.dir}},
	} {
		t.Run(src.name, func(t *testing.T) {
			for _, tree := range l.checkpoints {
				size := uint64(tree.N)
				got, err := collect(t, src.f, 0, size)
				require.NoError(t, err)
				requireEntries(t, l.entries[:size], got, fmt.Sprint("size ", size))
				var h Hasher
				for _, e := range got {
					h.Append(e)
				}
				require.Equal(t, tree.Hash, h.Root(), "size %d", size)

				for _, i := range []uint64{0, 3, 255, 256, 299, size / 2, size - 1} {
					p, err := InclusionProof(ctx, src.f, i, size)
					require.NoError(t, err)
					require.NoError(t, tlog.CheckRecord(p, tree.N, tree.Hash, int64(i), tlog.RecordHash(l.entries[i])), "entry %d in %d", i, size)
					require.Error(t, tlog.CheckRecord(p, tree.N, tree.Hash, int64(i), tlog.RecordHash([]byte("no"))))
				}
			}

			newer := l.checkpoints[1]
			for _, n := range []int64{1, 3, 256, 299, 300, 512, 999, 1000} {
				p, err := ConsistencyProof(ctx, src.f, uint64(n), uint64(newer.N))
				require.NoError(t, err)
				var h Hasher
				for _, e := range l.entries[:n] {
					h.Append(e)
				}
				require.NoError(t, tlog.CheckTree(p, newer.N, newer.Hash, n, h.Root()), "from %d", n)
			}

			got, err := collect(t, src.f, 290, 700)
			require.NoError(t, err)
			// 700 is no checkpoint's size, but the tree of 1000 fills its
			// last bundle.
			requireEntries(t, l.entries[290:700], got, "a range inside the tree")
		})
	}
}

// TestTesseraDamaged damages a copy of a Tessera log's files.
func TestTesseraDamaged(t *testing.T) {
	l := newTesseraLog(t)
	ctx := context.Background()
	bundle := filepath.FromSlash(layout.EntriesPath(2, 0))
	partial := filepath.FromSlash(layout.EntriesPath(3, 232))
	for _, tc := range []struct {
		name string
		file string
		edit func([]byte) []byte
		want error
	}{
		{"truncated bundle", bundle, func(b []byte) []byte { return b[:len(b)-1] }, ErrMalformed},
		{"extra entry", bundle, func(b []byte) []byte { return appendBundle(b, []byte("extra")) }, ErrMalformed},
		{"trailing garbage", bundle, func(b []byte) []byte { return append(b, 0xff) }, ErrMalformed},
		{"partial bundle extra entry", partial, func(b []byte) []byte { return appendBundle(b, nil) }, ErrMalformed},
		{"oversized bundle", bundle, func(b []byte) []byte { return make([]byte, MaxBundleSize+1) }, ErrMalformed},
		{"missing bundle", bundle, nil, fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := l.copy(t)
			name := filepath.Join(dir, tc.file)
			if tc.edit == nil {
				require.NoError(t, os.Remove(name))
			} else {
				b, err := os.ReadFile(name)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(name, tc.edit(b), 0o644))
			}
			srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
			defer srv.Close()
			web, err := URL(srv.URL, srv.Client())
			require.NoError(t, err)
			for _, f := range []Fetcher{Dir(dir), web} {
				_, err := collect(t, f, 0, 1000)
				require.ErrorIs(t, err, tc.want)
				t.Log(err)
				// The entries before the damaged bundle still read.
				_, err = collect(t, f, 0, 512)
				require.NoError(t, err)
			}
		})
	}

	t.Run("wrong hash in a tile", func(t *testing.T) {
		dir := l.copy(t)
		name := filepath.Join(dir, filepath.FromSlash(layout.TilePath(0, 0, 0)))
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		b[5*32] ^= 1 // the leaf hash of entry 5
		require.NoError(t, os.WriteFile(name, b, 0o644))
		tree := l.checkpoints[1]
		p, err := InclusionProof(ctx, Dir(dir), 4, uint64(tree.N))
		require.NoError(t, err, "the tile's shape is right")
		require.Error(t, tlog.CheckRecord(p, tree.N, tree.Hash, 4, tlog.RecordHash(l.entries[4])))
		p, err = InclusionProof(ctx, Dir(l.dir), 4, uint64(tree.N))
		require.NoError(t, err)
		require.NoError(t, tlog.CheckRecord(p, tree.N, tree.Hash, 4, tlog.RecordHash(l.entries[4])))
	})
}
