package tiles

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/tlog"
)

// TestMemLog runs Entries, Hasher and both proofs over logs of sizes at and
// around the bundle and tile boundaries, against x/mod's tlog: the entries
// come back exactly, the root is x/mod's, and x/mod checks the proofs.
func TestMemLog(t *testing.T) {
	sizes := []uint64{0, 1, 2, 3, 255, 256, 257, 511, 512, 513, 1000, 65535, 65536, 65537}
	if testing.Short() {
		sizes = sizes[:10]
	}
	for _, size := range sizes {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			entries := randomEntries(size, int(size), 40)
			l := newMemLog(t, entries, size)
			ctx := context.Background()

			got, err := collect(t, l, 0, size)
			require.NoError(t, err)
			requireEntries(t, entries, got, "all")
			var h Hasher
			for _, e := range got {
				h.Append(e)
			}
			root := l.root(t, size)
			require.Equal(t, size, h.Size())
			require.Equal(t, root, h.Root())

			// Ranges that start and end anywhere inside the tree; those
			// that end below size end at a multiple of 256, the only
			// smaller sizes whose bundles the log serves.
			for _, from := range []uint64{0, 1, 255, 256, 300, size / 2, size - min(size, 1)} {
				if from > size {
					continue
				}
				got, err := collect(t, l, from, size)
				require.NoError(t, err, "from %d", from)
				requireEntries(t, entries[from:], got, fmt.Sprintf("from %d", from))
				to := size / 256 * 256
				if from <= to {
					got, err := collect(t, l, from, to)
					require.NoError(t, err, "from %d to %d", from, to)
					requireEntries(t, entries[from:to], got, fmt.Sprintf("from %d to %d", from, to))
				}
			}

			for _, i := range []uint64{0, 1, 255, 256, size / 3, size - 1} {
				if i >= size {
					continue
				}
				p, err := InclusionProof(ctx, l, i, size)
				require.NoError(t, err, "entry %d", i)
				want, err := tlog.ProveRecord(int64(size), int64(i), l)
				require.NoError(t, err)
				require.Equal(t, []tlog.Hash(want), p, "entry %d", i)
				require.NoError(t, tlog.CheckRecord(p, int64(size), root, int64(i), tlog.RecordHash(entries[i])))
			}
			for _, n := range []uint64{1, 2, 255, 256, 257, size / 2, size - 1, size} {
				if n < 1 || n > size {
					continue
				}
				p, err := ConsistencyProof(ctx, l, n, size)
				require.NoError(t, err, "from %d", n)
				want, err := tlog.ProveTree(int64(size), int64(n), l)
				require.NoError(t, err)
				require.Equal(t, []tlog.Hash(want), p, "from %d", n)
				require.NoError(t, tlog.CheckTree(p, int64(size), root, int64(n), l.root(t, n)))
			}
		})
	}
}

// TestFullForPartial: a tree whose partial bundle and tiles are gone (as
// Tessera's garbage collector removes them once they are full) is read
// from the full ones, of which only the first entries and hashes count.
func TestFullForPartial(t *testing.T) {
	entries := randomEntries(1, 700, 20)
	l := newMemLog(t, entries, 300, 700)
	// Remove what Tessera's garbage collector removes once the bundle is
	// full; the level 1 tile of width 1 stays until that tile is full.
	delete(l.files, layout.EntriesPath(1, 44))
	delete(l.files, layout.TilePath(0, 1, 44))
	ctx := context.Background()
	got, err := collect(t, l, 0, 300)
	require.NoError(t, err)
	requireEntries(t, entries[:300], got, "to 300")
	c := l.readCount()
	require.Equal(t, 1, c[layout.EntriesPath(1, 44)], "the partial bundle was asked first")
	require.Equal(t, 1, c[layout.EntriesPath(1, 0)], "then the full one")

	root300 := l.root(t, 300)
	p, err := InclusionProof(ctx, l, 299, 300)
	require.NoError(t, err)
	require.NoError(t, tlog.CheckRecord(p, 300, root300, 299, tlog.RecordHash(entries[299])))
	p, err = ConsistencyProof(ctx, l, 300, 700)
	require.NoError(t, err)
	require.NoError(t, tlog.CheckTree(p, 700, l.root(t, 700), 300, root300))
}

// TestMalformedBundles: every way a bundle can fail to be the one the tree
// size calls for is ErrMalformed, naming the bundle.
func TestMalformedBundles(t *testing.T) {
	entries := randomEntries(2, 600, 30)
	full := layout.EntriesPath(1, 0)
	partial := layout.EntriesPath(2, 88)
	bundle := func(from, to int) []byte {
		var b []byte
		for _, e := range entries[from:to] {
			b = appendBundle(b, e)
		}
		return b
	}
	for _, tc := range []struct {
		name, path string
		data       []byte
	}{
		{"truncated entry", full, bundle(256, 512)[:100]},
		{"truncated length", full, append(bundle(256, 511), 0)},
		{"one entry short", full, bundle(256, 511)},
		{"one entry more", full, appendBundle(bundle(256, 512), []byte("extra"))},
		{"trailing byte", full, append(bundle(256, 512), 0)},
		{"trailing garbage", full, append(bundle(256, 512), "garbage"...)},
		{"empty", full, nil},
		{"partial one short", partial, bundle(512, 599)},
		{"partial one more", partial, appendBundle(bundle(512, 600), []byte("x"))},
		{"partial served 200 entries", partial, bundle(0, 200)},
		{"length past the end", partial, append(bundle(512, 599), 0xff, 0xff, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newMemLog(t, entries, 600)
			l.files[tc.path] = tc.data
			_, err := collect(t, l, 0, 600)
			require.ErrorIs(t, err, ErrMalformed)
			index := map[string]int{full: 1, partial: 2}[tc.path]
			require.ErrorContains(t, err, fmt.Sprintf("entry bundle %d", index))
			t.Log(err)
		})
	}
}

// TestMissingBundle: a missing bundle is an error wrapping fs.ErrNotExist.
func TestMissingBundle(t *testing.T) {
	entries := randomEntries(3, 600, 30)
	l := newMemLog(t, entries, 600)
	delete(l.files, layout.EntriesPath(1, 0))
	_, err := collect(t, l, 0, 600)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "entry bundle 1")

	// A size the log never published: the bundle of width 44 is not there.
	l = newMemLog(t, entries, 600)
	_, err = collect(t, l, 0, 556)
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// TestMalformedTiles: a tile of the wrong length is ErrMalformed; one with
// wrong hashes gives proofs that do not check.
func TestMalformedTiles(t *testing.T) {
	entries := randomEntries(4, 600, 30)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		path string
		edit func([]byte) []byte
	}{
		{"full tile one hash short", layout.TilePath(0, 0, 0), func(b []byte) []byte { return b[:len(b)-32] }},
		{"full tile one byte more", layout.TilePath(0, 0, 0), func(b []byte) []byte { return append(b, 0) }},
		{"partial tile one hash more", layout.TilePath(0, 2, 88), func(b []byte) []byte { return append(b, b[:32]...) }},
		{"partial level 1 tile empty", layout.TilePath(1, 0, 2), func(b []byte) []byte { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newMemLog(t, entries, 600)
			l.files[tc.path] = tc.edit(l.files[tc.path])
			_, err1 := InclusionProof(ctx, l, 5, 600)
			_, err2 := InclusionProof(ctx, l, 599, 600)
			_, err3 := ConsistencyProof(ctx, l, 7, 600)
			require.ErrorIs(t, errors.Join(err1, err2, err3), ErrMalformed)
			for _, err := range []error{err1, err2, err3} {
				if err != nil {
					require.ErrorIs(t, err, ErrMalformed)
					t.Log(err)
				}
			}
		})
	}

	t.Run("wrong hash", func(t *testing.T) {
		l := newMemLog(t, entries, 600)
		root := l.root(t, 600)
		l.files[layout.TilePath(0, 0, 0)][7*32] ^= 1 // entry 7's leaf hash
		p, err := InclusionProof(ctx, l, 6, 600)     // entry 7's hash is the first step
		require.NoError(t, err)
		require.Error(t, tlog.CheckRecord(p, 600, root, 6, tlog.RecordHash(entries[6])))
		c, err := ConsistencyProof(ctx, l, 7, 600)
		require.NoError(t, err)
		require.Error(t, tlog.CheckTree(c, 600, root, 7, l.root(t, 7)))
	})

	t.Run("missing tile", func(t *testing.T) {
		l := newMemLog(t, entries, 600)
		delete(l.files, layout.TilePath(0, 0, 0))
		_, err := InclusionProof(ctx, l, 6, 600)
		require.ErrorIs(t, err, fs.ErrNotExist)
	})
}

func TestProofArguments(t *testing.T) {
	l := newMemLog(t, randomEntries(5, 10, 5), 10)
	ctx := context.Background()
	_, err := InclusionProof(ctx, l, 10, 10)
	require.Error(t, err)
	_, err = ConsistencyProof(ctx, l, 0, 10)
	require.Error(t, err)
	_, err = ConsistencyProof(ctx, l, 11, 10)
	require.Error(t, err)
	p, err := ConsistencyProof(ctx, l, 10, 10)
	require.NoError(t, err)
	require.Empty(t, p)
	require.Error(t, Entries(ctx, l, 5, 4, nil))
	require.NoError(t, Entries(ctx, l, 4, 4, nil))
}

// TestEntriesStops: fn's error and a cancelled context stop Entries, and no
// bundle beyond the read-ahead window is read.
func TestEntriesStops(t *testing.T) {
	entries := randomEntries(6, 256*20, 10)
	ctx := context.Background()

	l := newMemLog(t, entries, uint64(len(entries)))
	stop := errors.New("stop")
	err := Entries(ctx, l, 0, uint64(len(entries)), func(i uint64, _ []byte) error {
		if i == 300 {
			return stop
		}
		return nil
	})
	require.Equal(t, stop, err)
	require.LessOrEqual(t, len(l.readCount()), 1+readahead, "bundles read")

	l = newMemLog(t, entries, uint64(len(entries)))
	cctx, cancel := context.WithCancel(ctx)
	var last uint64
	err = Entries(cctx, l, 0, uint64(len(entries)), func(i uint64, _ []byte) error {
		if i == 600 {
			cancel()
		}
		last = i
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, uint64(767), last, "stops at the end of the bundle")

	cancel()
	called := false
	err = Entries(cctx, l, 0, 10, func(uint64, []byte) error { called = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, called)
}

func TestHasherEmpty(t *testing.T) {
	var h Hasher
	want, err := tlog.TreeHash(0, nil)
	require.NoError(t, err)
	require.Equal(t, want, h.Root())
	require.Equal(t, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", h.Root().String())
}

func TestParseBundle(t *testing.T) {
	var b []byte
	want := [][]byte{{}, []byte("a"), make([]byte, 65535), {}}
	for _, e := range want {
		b = appendBundle(b, e)
	}
	got, err := parseBundle(b)
	require.NoError(t, err)
	require.Equal(t, want, got)

	got, err = parseBundle(nil)
	require.NoError(t, err)
	require.Empty(t, got)

	b = nil
	for range 256 {
		b = appendBundle(b, nil)
	}
	got, err = parseBundle(b)
	require.NoError(t, err)
	require.Len(t, got, 256)
	_, err = parseBundle(append(b, 0, 0))
	require.Error(t, err, "257 entries")
}

// FuzzParseBundle: parseBundle never panics, returns at most 256 entries,
// and what it accepts re-encodes to exactly its input.
func FuzzParseBundle(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0})
	f.Add([]byte{0, 1, 'a', 0, 0})
	f.Add([]byte{0, 2, 'a'})
	f.Add([]byte{0xff, 0xff})
	f.Add([]byte{0})
	var b []byte
	for i := range 256 {
		b = appendBundle(b, []byte{byte(i)})
	}
	f.Add(b)
	f.Add(append(b, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := parseBundle(b)
		if err != nil {
			return
		}
		if len(entries) > 256 {
			t.Fatalf("%d entries", len(entries))
		}
		var out []byte
		for _, e := range entries {
			out = appendBundle(out, e)
		}
		if string(out) != string(b) {
			t.Fatalf("re-encoding differs")
		}
	})
}
