package tiles

import (
	"context"
	"fmt"

	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/tlog"
)

// InclusionProof returns the proof that the entry at index is in the tree
// of the given size, built from the log's hash tiles. size must be a tree
// size the log published. Check the proof with [tlog.CheckRecord] against
// a verified checkpoint of that size; a log that serves wrong hashes yields
// a proof that does not check, not an error here. A tile that is missing
// is an error wrapping [os.ErrNotExist]; one of the wrong length wraps
// [ErrMalformed].
func InclusionProof(ctx context.Context, f Fetcher, index, size uint64) ([]tlog.Hash, error) {
	if index >= size {
		return nil, fmt.Errorf("tiles: inclusion proof of entry %d in a tree of size %d", index, size)
	}
	t := &strictTiles{f: f}
	pb, err := client.NewProofBuilder(ctx, size, t.read)
	if err != nil {
		return nil, fmt.Errorf("tiles: %v", err)
	}
	raw, err := pb.InclusionProof(ctx, index)
	if err != nil {
		return nil, t.wrap(fmt.Sprintf("inclusion proof of entry %d in size %d", index, size), err)
	}
	return toHashes(raw)
}

// ConsistencyProof returns the proof that the tree of size n is a prefix of
// the tree of size m, for 1 ≤ n ≤ m, built from the log's hash tiles. m
// must be a tree size the log published. Check the proof with
// [tlog.CheckTree] against verified checkpoints of both sizes; errors are
// as for [InclusionProof]. The proof is empty when n = m.
func ConsistencyProof(ctx context.Context, f Fetcher, n, m uint64) ([]tlog.Hash, error) {
	if n < 1 || n > m {
		return nil, fmt.Errorf("tiles: consistency proof from size %d to %d", n, m)
	}
	t := &strictTiles{f: f}
	pb, err := client.NewProofBuilder(ctx, m, t.read)
	if err != nil {
		return nil, fmt.Errorf("tiles: %v", err)
	}
	raw, err := pb.ConsistencyProof(ctx, n, m)
	if err != nil {
		return nil, t.wrap(fmt.Sprintf("consistency proof from size %d to %d", n, m), err)
	}
	return toHashes(raw)
}

// strictTiles reads hash tiles for Tessera's proof builder, checking that
// each holds exactly the hashes its width asks for, and remembers the first
// error, which the proof builder only formats.
type strictTiles struct {
	f   Fetcher
	err error
}

func (t *strictTiles) read(ctx context.Context, level, index uint64, p uint8) ([]byte, error) {
	b, err := t.f.ReadTile(ctx, level, index, p)
	if err != nil {
		return nil, t.fail(fmt.Errorf("%s: %w", layout.TilePath(level, index, p), err))
	}
	want := int(p) * 32
	if p == 0 {
		want = MaxTileSize
	}
	switch {
	case len(b) == want:
	case p != 0 && len(b) == MaxTileSize:
		// The full tile, served because the partial one is gone.
		b = b[:want]
	default:
		return nil, t.fail(fmt.Errorf("%w: %s is %d bytes, want %d", ErrMalformed, layout.TilePath(level, index, p), len(b), want))
	}
	return b, nil
}

func (t *strictTiles) fail(err error) error {
	if t.err == nil {
		t.err = err
	}
	return err
}

// wrap returns the error of the tile read that made the proof builder fail,
// or else the builder's own error.
func (t *strictTiles) wrap(what string, err error) error {
	if t.err != nil {
		return fmt.Errorf("tiles: %s: %w", what, t.err)
	}
	return fmt.Errorf("tiles: %s: %v", what, err)
}

func toHashes(raw [][]byte) ([]tlog.Hash, error) {
	proof := make([]tlog.Hash, len(raw))
	for i, h := range raw {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("tiles: proof hash %d is %d bytes", i, len(h))
		}
		proof[i] = tlog.Hash(h)
	}
	return proof, nil
}
