package tiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/transparency-dev/tessera/api/layout"

	"github.com/netstate/zkvote/internal/bounded"
)

// Fetcher reads the resources of a tlog-tiles log. Its methods are those
// of tessera.LogReader, client.FileFetcher and client.HTTPFetcher, so any
// of them is a Fetcher.
//
// ReadTile and ReadEntryBundle take a partial width p (0 for a full
// resource) and, when a partial resource is missing, return the full one
// instead, as Tessera's client.TileFetcherFunc requires. A resource that
// does not exist is an error wrapping [os.ErrNotExist].
type Fetcher interface {
	// ReadCheckpoint returns the log's latest checkpoint, a signed note.
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	// ReadTile returns the hash tile at the given level and index.
	ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error)
	// ReadEntryBundle returns the entry bundle at the given index.
	ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error)
}

// Bounds on what a [Fetcher] returned by [Dir] or [URL] reads: a resource
// above its bound is [ErrMalformed] and is never read in full.
const (
	// MaxCheckpointSize bounds a checkpoint, signatures included.
	MaxCheckpointSize = 1 << 20
	// MaxTileSize is the size of a full hash tile: 256 hashes of 32 bytes.
	MaxTileSize = layout.TileWidth * 32
	// MaxBundleSize is the size of a full entry bundle of 256 entries of
	// the largest size a uint16 length allows.
	MaxBundleSize = layout.EntryBundleWidth * (2 + 1<<16 - 1)
)

// ErrMalformed is wrapped by every error for a checkpoint, tile or entry
// bundle that is too large, or a tile or bundle whose structure is not
// that of the tree size it was read for.
var ErrMalformed = errors.New("tiles: malformed log resource")

// Dir returns a [Fetcher] for the log stored under the directory root, as
// Tessera's POSIX storage writes it.
func Dir(root string) Fetcher { return dirFetcher{root: root} }

// DirExact is [Dir] without the fall-back to a full resource when a partial
// one is missing: for a log's owner reading its own log at its own tree
// size, where Tessera always leaves the partial resources of the tree's
// right edge, so that a full one in their place is damage, not garbage
// collection.
func DirExact(root string) Fetcher { return dirFetcher{root: root, exact: true} }

type dirFetcher struct {
	root  string
	exact bool
}

func (d dirFetcher) ReadCheckpoint(_ context.Context) ([]byte, error) {
	return d.read(layout.CheckpointPath, MaxCheckpointSize)
}

func (d dirFetcher) ReadTile(_ context.Context, level, index uint64, p uint8) ([]byte, error) {
	read := func(p uint8) ([]byte, error) { return d.read(layout.TilePath(level, index, p), MaxTileSize) }
	if d.exact {
		return read(p)
	}
	return partialOrFull(p, read)
}

func (d dirFetcher) ReadEntryBundle(_ context.Context, index uint64, p uint8) ([]byte, error) {
	read := func(p uint8) ([]byte, error) { return d.read(layout.EntriesPath(index, p), MaxBundleSize) }
	if d.exact {
		return read(p)
	}
	return partialOrFull(p, read)
}

func (d dirFetcher) read(name string, limit int64) ([]byte, error) {
	f, err := os.Open(filepath.Join(d.root, filepath.FromSlash(name)))
	if err != nil {
		return nil, fmt.Errorf("tiles: %w", err)
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	if size > limit {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than %d", ErrMalformed, name, size, limit)
	}
	b, err := readAtMost(f, size, limit)
	if err != nil {
		return nil, fmt.Errorf("tiles: %s: %w", name, err)
	}
	return b, nil
}

// URL returns a [Fetcher] for the log served under base, an http or https
// URL prefix, with hc (http.DefaultClient if nil). A 404 response is an
// error wrapping [os.ErrNotExist]; any other status but 200 is an error
// naming it. Bodies are read up to the bounds above, after the HTTP
// client's transparent gzip decoding, so a compressed bomb is cut off too.
func URL(base string, hc *http.Client) (Fetcher, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("tiles: log URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("tiles: log URL %q is not an http or https URL", u.Redacted())
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("tiles: log URL %q has a fragment", u.Redacted())
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &httpFetcher{base: u, hc: hc}, nil
}

type httpFetcher struct {
	base *url.URL
	hc   *http.Client
}

func (h *httpFetcher) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	return h.get(ctx, layout.CheckpointPath, MaxCheckpointSize)
}

func (h *httpFetcher) ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) {
		return h.get(ctx, layout.TilePath(level, index, p), MaxTileSize)
	})
}

func (h *httpFetcher) ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error) {
	return partialOrFull(p, func(p uint8) ([]byte, error) {
		return h.get(ctx, layout.EntriesPath(index, p), MaxBundleSize)
	})
}

func (h *httpFetcher) get(ctx context.Context, name string, limit int64) ([]byte, error) {
	u := h.base.JoinPath(name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("tiles: %v", err)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		// The client's error names the URL; keep ctx's error matchable.
		return nil, fmt.Errorf("tiles: %w", err)
	}
	defer func() {
		// Drain a little so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
	}()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, fmt.Errorf("tiles: GET %s: %w", u.Redacted(), os.ErrNotExist)
	default:
		return nil, fmt.Errorf("tiles: GET %s: status %s", u.Redacted(), resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: GET %s: %d bytes, more than %d", ErrMalformed, u.Redacted(), resp.ContentLength, limit)
	}
	b, err := readAtMost(resp.Body, resp.ContentLength, limit)
	if err != nil {
		return nil, fmt.Errorf("tiles: GET %s: %w", u.Redacted(), err)
	}
	return b, nil
}

// partialOrFull reads the resource of width p and, if p is partial and
// that resource does not exist, the full one.
func partialOrFull(p uint8, read func(p uint8) ([]byte, error)) ([]byte, error) {
	b, err := read(p)
	if p != 0 && errors.Is(err, os.ErrNotExist) {
		return read(0)
	}
	return b, err
}

// readAtMost reads r to its end, or fails with ErrMalformed past limit
// bytes. sizeHint, if not negative, is the expected size: with the right
// hint the data is read into one buffer of exactly that size plus one byte.
func readAtMost(r io.Reader, sizeHint, limit int64) ([]byte, error) {
	buf, err := bounded.Read(r, sizeHint, limit, 64<<10)
	if int64(len(buf)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrMalformed, limit)
	}
	if err != nil {
		return nil, err
	}
	return buf, nil
}
