package election

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/netstate/zkvote/internal/tiles"
	"github.com/netstate/zkvote/witness"
)

// The exported log ([Box.ExportLog]), one file holding what the log's
// tiles hold up to one checkpoint:
//
//	magic "ZKVOTELG" | version 1 | params (uint32 length, encoding)
//	| checkpoint (uint32 length, the signed note)
//	| the checkpoint's entries, each uint16 length | bytes
//
// A reader recomputes the tree from the entries and refuses the file
// unless its root is the checkpoint's and the checkpoint passes the
// parameters' log policy.
const (
	exportMagic   = "ZKVOTELG"
	exportVersion = 1
)

// exportHeader is an exported log's beginning, before its entries: the
// parameters' encoding enc and the checkpoint cp.
func exportHeader(enc, cp []byte) []byte {
	out := append([]byte(exportMagic), exportVersion)
	out = binary.BigEndian.AppendUint32(out, uint32(len(enc)))
	out = append(out, enc...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(cp)))
	return append(out, cp...)
}

// checkpoints caches the log's latest published checkpoint for the box's
// waiters (Prove, ExportLog), reading it again at most every pollPeriod.
type checkpoints struct {
	reader interface {
		ReadCheckpoint(context.Context) ([]byte, error)
	}
	policy witness.Policy

	mu   sync.Mutex
	raw  []byte
	tree tlog.Tree
	at   time.Time
}

const pollPeriod = 10 * time.Millisecond

// invalidate forgets the cached checkpoint: the next read is fresh.
func (c *checkpoints) invalidate() {
	c.mu.Lock()
	c.raw = nil
	c.mu.Unlock()
}

// latest returns the latest published checkpoint, which must pass the
// election's policy (the box publishes only such), and its tree; a log
// without one yet is a tree of size 0 and no checkpoint.
func (c *checkpoints) latest(ctx context.Context) ([]byte, tlog.Tree, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.raw != nil && time.Since(c.at) < pollPeriod {
		return c.raw, c.tree, nil
	}
	raw, err := c.reader.ReadCheckpoint(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return nil, tlog.Tree{}, nil
	}
	if err != nil {
		return nil, tlog.Tree{}, fmt.Errorf("election: reading the log's checkpoint: %v", err)
	}
	tree, err := c.policy.Verify(raw)
	if err != nil {
		return nil, tlog.Tree{}, fmt.Errorf("election: the log's published checkpoint: %w", err)
	}
	c.raw, c.tree, c.at = raw, tree, time.Now()
	return raw, tree, nil
}

// await waits until a published checkpoint's tree has at least size
// entries.
func (c *checkpoints) await(ctx context.Context, size uint64) ([]byte, tlog.Tree, error) {
	for {
		raw, tree, err := c.latest(ctx)
		if err != nil {
			return nil, tlog.Tree{}, err
		}
		if raw != nil && uint64(tree.N) >= size {
			return raw, tree, nil
		}
		select {
		case <-ctx.Done():
			return nil, tlog.Tree{}, fmt.Errorf("election: waiting for a checkpoint of %d entries (the latest has %d): %w", size, tree.N, ctx.Err())
		case <-time.After(pollPeriod):
		}
	}
}

// Prove waits until a checkpoint that holds the receipt's ballot is
// published, signed by the box and cosigned by the election's quorum of
// witnesses, and sets r.Checkpoint and r.Proof: the receipt then proves
// the ballot's place in the log offline ([VerifyReceipt]). A checkpoint is
// published every checkpoint interval (BoxOptions), once the witnesses
// answer; ctx bounds the wait.
//
// r must be a receipt of this box's Submit (or one read back from its
// encoding): Prove does not check r's fields against the log.
func (b *Box) Prove(ctx context.Context, r *Receipt) error {
	if r == nil {
		return errors.New("election: no receipt")
	}
	b.mu.Lock()
	size := b.size // at least 1: the header
	b.mu.Unlock()
	if r.Position >= size-1 {
		return fmt.Errorf("election: ballot %d is not in this box's log (%d ballots are durable)", r.Position, size-1)
	}
	index := r.Position + 1
	raw, tree, err := b.cps.await(ctx, index+1)
	if err != nil {
		return err
	}
	proof, err := tiles.InclusionProof(ctx, b.reader, index, uint64(tree.N))
	if err != nil {
		return fmt.Errorf("election: the inclusion proof of ballot %d: %v", r.Position, err)
	}
	// The proof comes from the log's stored hashes: check it before handing
	// it out, as the voter will.
	entry, err := b.entry(ctx, index, uint64(tree.N))
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, int64(index), tlog.RecordHash(entry)); err != nil {
		return fmt.Errorf("%w: the log's inclusion proof of ballot %d does not verify: its hash tiles are damaged", ErrCorrupt, r.Position)
	}
	r.Checkpoint, r.Proof = raw, proof
	return nil
}

// entry reads entry i of the box's log, whose published tree has size
// entries.
func (b *Box) entry(ctx context.Context, i, size uint64) ([]byte, error) {
	var out []byte
	errGot := errors.New("got it")
	err := tiles.Entries(ctx, b.reader, i, size, func(_ uint64, e []byte) error {
		out = bytes.Clone(e)
		return errGot
	})
	if err != nil && err != errGot {
		return nil, fmt.Errorf("election: reading entry %d of the log: %v", i, err)
	}
	return out, nil
}

// Checkpoint returns the log's latest published checkpoint (a signed note
// cosigned by the election's witnesses) and the number of entries it
// holds: the header, the ballots, and the close entry once the election
// has ended. A new log's first checkpoint holds no entry; with a driver
// that publishes none before the first batch it is nil.
func (b *Box) Checkpoint(ctx context.Context) ([]byte, uint64, error) {
	raw, tree, err := b.cps.latest(ctx)
	return raw, uint64(tree.N), err
}

// ExportLog writes the log as one file ([ReadLog] and [Audit] read it):
// the parameters, a published checkpoint holding every ballot acknowledged
// so far, and its entries. It waits for that checkpoint (a checkpoint
// interval at most, while the witnesses answer), as long as ctx allows.
// After [Box.End] the file is the whole election.
func (b *Box) ExportLog(ctx context.Context, w io.Writer) error {
	b.mu.Lock()
	size := b.size
	b.mu.Unlock()
	raw, tree, err := b.cps.await(ctx, max(size, 1))
	if err != nil {
		return err
	}
	enc, err := b.params.Encode()
	if err != nil {
		return err
	}
	if _, err := w.Write(exportHeader(enc, raw)); err != nil {
		return fmt.Errorf("election: exporting the log: %v", err)
	}
	var buf []byte
	err = tiles.Entries(ctx, b.reader, 0, uint64(tree.N), func(_ uint64, e []byte) error {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(e)))
		buf = append(buf, e...)
		if len(buf) < 1<<20 {
			return nil
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	})
	if err == nil {
		_, err = w.Write(buf)
	}
	if err != nil {
		return fmt.Errorf("election: exporting the log: %v", err)
	}
	return nil
}

// exported is an exported log's parts, before its entries are parsed.
type exported struct {
	params     *Params
	checkpoint []byte
	tree       tlog.Tree
	entries    [][]byte // aliases the file's bytes
}

// each calls fn for every entry of the exported log, in order.
func (x *exported) each(_ context.Context, fn func(uint64, []byte) error) error {
	for i, e := range x.entries {
		if err := fn(uint64(i), e); err != nil {
			return err
		}
	}
	return nil
}

// readExport decodes an exported log and checks it: the checkpoint passes
// the parameters' log policy, it holds exactly the file's entries, and
// their tree's root is the checkpoint's.
func readExport(data []byte) (*exported, error) {
	rest, ok := bytes.CutPrefix(data, []byte(exportMagic))
	if !ok || len(rest) < 1 || rest[0] != exportVersion {
		return nil, fmt.Errorf("%w: not a version %d exported log", ErrCorrupt, exportVersion)
	}
	rest = rest[1:]
	cut := func(limit int, what string) ([]byte, error) {
		if len(rest) < 4 {
			return nil, fmt.Errorf("%w: the file ends before the %s", ErrCorrupt, what)
		}
		n := binary.BigEndian.Uint32(rest)
		if n > uint32(limit) || uint64(n) > uint64(len(rest)-4) {
			return nil, fmt.Errorf("%w: the %s has %d bytes", ErrCorrupt, what, n)
		}
		out := rest[4 : 4+n]
		rest = rest[4+n:]
		return out, nil
	}
	enc, err := cut(maxParamsSize, "parameters")
	if err != nil {
		return nil, err
	}
	p, err := ParseParams(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	cp, err := cut(witness.MaxCheckpointSize, "checkpoint")
	if err != nil {
		return nil, err
	}
	policy, err := p.Log.Policy()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	tree, err := policy.Verify(cp)
	if err != nil {
		return nil, fmt.Errorf("%w: the checkpoint: %w", ErrCorrupt, err)
	}
	// Each entry takes at least its 2-byte length: a checkpoint claiming
	// more entries than the file can hold is refused before allocating.
	if uint64(tree.N) > uint64(len(rest))/2 {
		return nil, fmt.Errorf("%w: the checkpoint holds %d entries, the file has room for %d", ErrCorrupt, tree.N, len(rest)/2)
	}
	x := &exported{params: p, checkpoint: cp, tree: tree, entries: make([][]byte, 0, tree.N)}
	var h tiles.Hasher
	for i := int64(0); i < tree.N; i++ {
		if len(rest) < 2 || len(rest)-2 < int(binary.BigEndian.Uint16(rest)) {
			return nil, fmt.Errorf("%w: entry %d is cut short", ErrCorrupt, i)
		}
		n := int(binary.BigEndian.Uint16(rest))
		e := rest[2 : 2+n]
		rest = rest[2+n:]
		h.Append(e)
		x.entries = append(x.entries, e)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the checkpoint's %d entries", ErrCorrupt, len(rest), tree.N)
	}
	if h.Root() != tree.Hash {
		return nil, fmt.Errorf("%w: the entries do not hash to the checkpoint's root", ErrCorrupt)
	}
	return x, nil
}

// LogReader reads a published ballot log through the C2SP tlog-tiles
// protocol: [LogDir] for a directory (the box's log/ directory, or a copy),
// [LogURL] for any static web server of one, or [Box.LogReader].
type LogReader interface {
	// ReadCheckpoint returns the log's latest checkpoint, a signed note.
	ReadCheckpoint(ctx context.Context) ([]byte, error)
	// ReadTile returns the hash tile at the level and index, partial of
	// width p (0: full).
	ReadTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error)
	// ReadEntryBundle returns the entry bundle at the index, partial of
	// width p (0: full).
	ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error)
}

// LogDir reads the ballot log stored under the directory root, as a box
// with Tessera's POSIX storage writes it (its directory's log/).
func LogDir(root string) LogReader { return tiles.Dir(root) }

// LogURL reads the ballot log served under the base URL by any static file
// server; nil hc is http.DefaultClient. Every response's size is bounded
// before it is read.
func LogURL(base string, hc *http.Client) (LogReader, error) { return tiles.URL(base, hc) }

// LogReader returns a reader of the box's own log: what it serves to
// voters, witnesses and auditors.
func (b *Box) LogReader() LogReader { return b.reader }

// ConsistencyProof returns the proof, built from the log's hash tiles,
// that the log's tree of size older is a prefix of its tree of size newer
// (1 ≤ older ≤ newer, newer a size the log published): with the two
// checkpoints, witness.Policy.VerifyConsistent checks it. A voter uses it
// to show that the final log still holds their receipt's checkpoint.
func ConsistencyProof(ctx context.Context, r LogReader, older, newer uint64) ([]tlog.Hash, error) {
	proof, err := tiles.ConsistencyProof(ctx, r, older, newer)
	if err != nil {
		return nil, fmt.Errorf("election: %v", err)
	}
	return proof, nil
}

// FetchLog reads the ballot log of the election p from r, up to its
// latest checkpoint, and returns it as one exported file ([Box.ExportLog],
// for [Audit], [AuditSecret], [ReadLog] and [prover.ProveTally]). It
// checks the checkpoint against the parameters' log policy and the entries'
// tree against the checkpoint, and refuses a log of another election
// ([ErrWrongElection]), damaged tiles or entry bundles ([ErrCorrupt]
// naming what failed), and a checkpoint that does not pass the policy.
func FetchLog(ctx context.Context, p *Params, r LogReader) ([]byte, error) {
	digest, err := p.Digest()
	if err != nil {
		return nil, err
	}
	enc, err := p.Encode()
	if err != nil {
		return nil, err
	}
	cp, tree, each, err := tileEntries(ctx, p, r)
	if err != nil {
		return nil, err
	}
	out := exportHeader(enc, cp)
	var h tiles.Hasher
	var headerErr error // provisional until the entries hash to the checkpoint
	err = each(ctx, func(i uint64, e []byte) error {
		if i == 0 {
			headerErr = checkHeader(e, digest)
		}
		h.Append(e)
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case h.Root() != tree.Hash:
		return nil, fmt.Errorf("%w: the log's entries do not hash to its checkpoint's root", ErrCorrupt)
	case tree.N == 0:
		return nil, fmt.Errorf("%w: the log has no header", ErrCorrupt)
	case headerErr != nil:
		return nil, headerErr
	}
	return out, nil
}
