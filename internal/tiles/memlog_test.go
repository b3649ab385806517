package tiles

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/tlog"
)

// memLog is a tlog-tiles log held in memory for tests. Its tiles and tree
// hashes come from golang.org/x/mod/sumdb/tlog (whose tiles of height 8 are
// C2SP's), not from this package; its bundles are built here by
// appendBundle. Like Tessera's fetchers, it serves the full resource when a
// partial one is missing.
type memLog struct {
	entries [][]byte
	hashes  []tlog.Hash // x/mod's stored hashes
	mu      sync.Mutex
	files   map[string][]byte
	reads   map[string]int
}

func (l *memLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(l.hashes)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = l.hashes[x]
	}
	return out, nil
}

// newMemLog returns a log of the given entries that published checkpoints
// of the given sizes (each at most len(entries)): it serves every full
// bundle and tile, and the partial ones of those sizes.
func newMemLog(t testing.TB, entries [][]byte, published ...uint64) *memLog {
	t.Helper()
	l := &memLog{entries: entries, files: map[string][]byte{}, reads: map[string]int{}}
	for i, e := range entries {
		h, err := tlog.StoredHashes(int64(i), e, l)
		require.NoError(t, err)
		l.hashes = append(l.hashes, h...)
	}
	for _, size := range published {
		require.LessOrEqual(t, size, uint64(len(entries)))
		for b := uint64(0); b*256 < size; b++ {
			end := min(size, (b+1)*256)
			var bundle []byte
			for _, e := range entries[b*256 : end] {
				bundle = appendBundle(bundle, e)
			}
			l.files[layout.EntriesPath(b, layout.PartialTileSize(0, b, size))] = bundle
		}
		for _, tile := range tlog.NewTiles(8, 0, int64(size)) {
			data, err := tlog.ReadTileData(tile, l)
			require.NoError(t, err)
			p := uint8(tile.W % 256)
			l.files[layout.TilePath(uint64(tile.L), uint64(tile.N), p)] = data
		}
	}
	return l
}

// root returns x/mod's root hash of the first size entries.
func (l *memLog) root(t testing.TB, size uint64) tlog.Hash {
	h, err := tlog.TreeHash(int64(size), l)
	require.NoError(t, err)
	return h
}

func appendBundle(b, entry []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(entry)))
	return append(b, entry...)
}

func (l *memLog) read(name string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads[name]++
	b, ok := l.files[name]
	if !ok {
		return nil, fmt.Errorf("memlog: %s: %w", name, fs.ErrNotExist)
	}
	return b, nil
}

func (l *memLog) readCount() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.reads)
}

func (l *memLog) ReadCheckpoint(context.Context) ([]byte, error) { return l.read("checkpoint") }

func (l *memLog) ReadTile(_ context.Context, level, index uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) { return l.read(layout.TilePath(level, index, p)) })
}

func (l *memLog) ReadEntryBundle(_ context.Context, index uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) { return l.read(layout.EntriesPath(index, p)) })
}

var _ Fetcher = (*memLog)(nil)

// randomEntries returns n entries of sizes from 0 to max, from a fixed seed.
func randomEntries(seed uint64, n, max int) [][]byte {
	r := rand.New(rand.NewPCG(seed, 0))
	entries := make([][]byte, n)
	for i := range entries {
		e := make([]byte, r.IntN(max+1))
		for j := range e {
			e[j] = byte(r.Uint32())
		}
		entries[i] = e
	}
	return entries
}

// requireEntries compares entries without printing them all.
func requireEntries(t testing.TB, want, got [][]byte, what string) {
	t.Helper()
	require.Equal(t, len(want), len(got), what)
	for i := range want {
		if !bytes.Equal(want[i], got[i]) {
			require.Failf(t, "entries differ", "%s: entry %d: %d bytes, want %d", what, i, len(got[i]), len(want[i]))
		}
	}
}

// collect reads entries [from, to) with Entries, copying each.
func collect(t testing.TB, f Fetcher, from, to uint64) ([][]byte, error) {
	t.Helper()
	var got [][]byte
	err := Entries(context.Background(), f, from, to, func(i uint64, e []byte) error {
		if i != from+uint64(len(got)) {
			return fmt.Errorf("entry %d out of order", i)
		}
		got = append(got, append([]byte{}, e...))
		return nil
	})
	return got, err
}
