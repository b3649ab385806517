package tiles

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/transparency-dev/tessera/api/layout"
)

// readahead is how many entry bundles [Entries] reads at once, the one it
// is handing out included; it bounds Entries' memory to that many bundles.
const readahead = 4

// Entries calls fn for every entry i in [from, to), in order, with the
// entry's bytes. to must be a tree size the log published, or a smaller
// one whose last bundle that tree fills (see the package documentation on
// partial resources). Bundles are read a few at a time ahead of fn.
//
// Each bundle is checked strictly against the tree size to: it must hold
// exactly 256 entries, or, for the last bundle of a tree ending mid-bundle,
// exactly to mod 256 entries (or a full 256, of which only the first
// to mod 256 are used), with no bytes left over. A bundle that does not
// parse, or holds another number of entries, is an error wrapping
// [ErrMalformed] that names its index. A missing bundle is an error
// wrapping [os.ErrNotExist].
//
// entry is valid only until fn returns; fn must copy what it keeps and
// must not modify it. If fn returns an error, Entries stops and returns
// it unchanged. Cancelling ctx stops Entries before the next bundle and
// cancels the reads in flight; it then returns an error wrapping ctx's.
// Entries returns only once every read it started has returned.
// Entries authenticates nothing (see the package documentation).
func Entries(ctx context.Context, f Fetcher, from, to uint64, fn func(i uint64, entry []byte) error) error {
	if from > to {
		return fmt.Errorf("tiles: entries from %d to %d", from, to)
	}
	if from == to {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	var readers sync.WaitGroup
	defer readers.Wait() // after cancel: no read outlives Entries
	defer cancel()

	type result struct {
		entries [][]byte
		err     error
	}
	first, last := from/layout.EntryBundleWidth, (to-1)/layout.EntryBundleWidth
	next := first
	var queue []chan result
	for bundle := first; bundle <= last; bundle++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("tiles: entry bundle %d: %w", bundle, err)
		}
		for len(queue) < readahead && next <= last {
			c := make(chan result, 1) // never blocks: the reader exits even if no one waits
			index := next
			readers.Go(func() {
				entries, err := readBundle(ctx, f, index, layout.PartialTileSize(0, index, to))
				c <- result{entries, err}
			})
			queue = append(queue, c)
			next++
		}
		var r result
		select {
		case <-ctx.Done():
			return fmt.Errorf("tiles: entry bundle %d: %w", bundle, ctx.Err())
		case r = <-queue[0]:
		}
		queue = queue[1:]
		if r.err != nil {
			return r.err
		}
		start := bundle * layout.EntryBundleWidth
		for j, e := range r.entries {
			if i := start + uint64(j); i >= from {
				if err := fn(i, e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readBundle reads and checks the bundle at index of width p (0 for full).
func readBundle(ctx context.Context, f Fetcher, index uint64, p uint8) ([][]byte, error) {
	b, err := f.ReadEntryBundle(ctx, index, p)
	if err != nil {
		return nil, fmt.Errorf("tiles: entry bundle %d: %w", index, err)
	}
	if len(b) > MaxBundleSize {
		return nil, fmt.Errorf("%w: entry bundle %d is %d bytes", ErrMalformed, index, len(b))
	}
	entries, err := parseBundle(b)
	if err != nil {
		return nil, fmt.Errorf("%w: entry bundle %d: %v", ErrMalformed, index, err)
	}
	want := int(p)
	if p == 0 {
		want = layout.EntryBundleWidth
	}
	switch {
	case len(entries) == want:
	case p != 0 && len(entries) == layout.EntryBundleWidth:
		// The full bundle, served because the partial one is gone.
		entries = entries[:want]
	default:
		return nil, fmt.Errorf("%w: entry bundle %d has %d entries, want %d", ErrMalformed, index, len(entries), want)
	}
	return entries, nil
}

// parseBundle splits an entry bundle into its entries: at most 256, each a
// big-endian uint16 length and that many bytes, with nothing left over.
// The entries alias b.
func parseBundle(b []byte) ([][]byte, error) {
	entries := make([][]byte, 0, min(len(b)/2, layout.EntryBundleWidth))
	for off := 0; off < len(b); {
		if len(entries) == layout.EntryBundleWidth {
			return nil, fmt.Errorf("%d bytes after %d entries", len(b)-off, layout.EntryBundleWidth)
		}
		if len(b)-off < 2 {
			return nil, fmt.Errorf("entry %d: truncated length at byte %d", len(entries), off)
		}
		n := int(binary.BigEndian.Uint16(b[off:]))
		off += 2
		if len(b)-off < n {
			return nil, fmt.Errorf("entry %d: %d bytes at byte %d, only %d left", len(entries), n, off, len(b)-off)
		}
		entries = append(entries, b[off:off+n:off+n])
		off += n
	}
	return entries, nil
}
