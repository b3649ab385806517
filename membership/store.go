package membership

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/internal/wal"
)

// A persistent tree lives in a directory:
//
//	LOCK       held with flock while the tree is open
//	tree.snap  the latest snapshot (written to a temporary file, fsynced, renamed)
//	tree.log   operations since (or shortly before) the snapshot
//
// The log starts with a 12-byte header ("ZKVTLOG\x00", version uint32 BE;
// version 2 since leaves became Leaf(commitment), which changed every root)
// and holds one internal/wal record per operation, whose payload is
// seq uint64 | kind uint8 | body.
//
// Bodies: insert = count uint32 | count×32-byte leaves; update = index uint64
// | 32-byte leaf; remove = index uint64. Sequence numbers run 1, 2, 3, … with
// no gap. A record is acknowledged only after it and everything before it are
// fsynced.
//
// A torn tail (internal/wal: a record cut short at the end of the log, or
// one that fails its CRC and is followed by nothing but zero bytes, as a
// crash or power loss during an append leaves it) was never acknowledged,
// and opening truncates it. Anything else that fails a check (a bad CRC on
// a record with data after it, a gap in sequence numbers, an operation the
// tree rejects, a wrong magic or version) is [ErrCorrupt], with the record's
// number and offset, and the open leaves the file as it is.
const (
	logName   = "tree.log"
	snapName  = "tree.snap"
	lockName  = "LOCK"
	logMagic  = "ZKVTLOG\x00"
	snapMagic = "ZKVTSNAP"
	version   = 2

	logHeaderSize  = 12
	snapHeaderSize = 8 + 4 + 8 + 8 + 8 + 4
	snapEntrySize  = 32 + 8 + 8
	maxHistory     = 1 << 20
)

// ErrLocked is returned by OpenTree when another process or Tree holds the
// directory.
var ErrLocked = errors.New("membership: tree directory is in use")

// ErrNoTree is returned by OpenTree with [TreeOptions.Existing] when the
// directory holds no tree.
var ErrNoTree = errors.New("membership: no tree in this directory")

type opKind uint8

const (
	opInsert opKind = 1
	opUpdate opKind = 2
	opRemove opKind = 3
)

// op is one logged change to a tree.
type op struct {
	seq    uint64
	kind   opKind
	index  uint64       // update, remove
	leaves []Commitment // insert: the batch; update: the new leaf
}

// record returns o framed as a log record (see internal/wal).
func (o *op) record() []byte {
	b := binary.BigEndian.AppendUint64(nil, o.seq)
	b = append(b, byte(o.kind))
	switch o.kind {
	case opInsert:
		b = binary.BigEndian.AppendUint32(b, uint32(len(o.leaves)))
		for _, c := range o.leaves {
			v := c.Bytes()
			b = append(b, v[:]...)
		}
	case opUpdate:
		b = binary.BigEndian.AppendUint64(b, o.index)
		v := o.leaves[0].Bytes()
		b = append(b, v[:]...)
	case opRemove:
		b = binary.BigEndian.AppendUint64(b, o.index)
	}
	return wal.Frame(b)
}

// decodeOp parses a record payload strictly.
func decodeOp(p []byte) (op, error) {
	var o op
	if len(p) < 9 {
		return o, errors.New("short payload")
	}
	o.seq = binary.BigEndian.Uint64(p)
	o.kind = opKind(p[8])
	body := p[9:]
	leaf := func(b []byte) (Commitment, error) {
		x, err := field.FromBytes(b)
		if err != nil {
			return Commitment{}, err
		}
		return Commitment(x), nil
	}
	switch o.kind {
	case opInsert:
		if len(body) < 4 {
			return o, errors.New("short insert")
		}
		count := uint64(binary.BigEndian.Uint32(body))
		if count == 0 || uint64(len(body)) != 4+32*count {
			return o, fmt.Errorf("insert of %d leaves in %d bytes", count, len(body))
		}
		o.leaves = make([]Commitment, count)
		for i := range o.leaves {
			c, err := leaf(body[4+32*i : 4+32*(i+1)])
			if err != nil {
				return o, err
			}
			o.leaves[i] = c
		}
	case opUpdate:
		if len(body) != 8+32 {
			return o, errors.New("update of wrong length")
		}
		o.index = binary.BigEndian.Uint64(body)
		c, err := leaf(body[8:])
		if err != nil {
			return o, err
		}
		o.leaves = []Commitment{c}
	case opRemove:
		if len(body) != 8 {
			return o, errors.New("remove of wrong length")
		}
		o.index = binary.BigEndian.Uint64(body)
	default:
		return o, fmt.Errorf("unknown operation %d", o.kind)
	}
	return o, nil
}

// check validates o against t as the writer would have.
func (t *Tree) check(o *op) error {
	switch o.kind {
	case opInsert:
		return t.checkInsert(o.leaves)
	case opUpdate:
		if err := t.checkLive(o.index); err != nil {
			return err
		}
		if err := checkCommitment(o.leaves[0]); err != nil {
			return err
		}
		if t.contains(o.leaves[0]) {
			return ErrDuplicate
		}
	case opRemove:
		return t.checkLive(o.index)
	}
	return nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// store is the on-disk half of a persistent tree.
type store struct {
	dir     string
	lock    *os.File
	log     *os.File
	logSize int64
	failed  error // a write or fsync failed: refuse further writes
	// recovered is the number of bytes of a torn final record dropped on open.
	recovered int64
}

// OpenTree opens the persistent tree in dir, creating it if dir holds none
// (unless opts.Existing: then it is [ErrNoTree]). It loads the snapshot, replays the log and takes an exclusive lock on the
// directory until [Tree.Close].
//
// A log that ends in a torn tail (its last record cut short, or failing its
// checksum with only zero bytes after it, as a crash or power loss during an
// append leaves it) is truncated to the record before: that record was never
// acknowledged. Any other damage returns an error wrapping [ErrCorrupt] that
// names the record and its byte offset, and leaves the files untouched.
//
// ctx is checked between replayed records; cancelling returns ctx's error
// and leaves the files untouched.
func OpenTree(ctx context.Context, dir string, opts *TreeOptions) (*Tree, error) {
	if opts != nil && opts.Existing {
		found := false
		for _, name := range []string{logName, snapName} {
			_, err := os.Stat(filepath.Join(dir, name))
			switch {
			case err == nil:
				found = true
			case !errors.Is(err, os.ErrNotExist):
				return nil, fmt.Errorf("membership: %v", err)
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: %s", ErrNoTree, dir)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("membership: %v", err)
	}
	lock, err := wal.Lock(filepath.Join(dir, lockName))
	if errors.Is(err, wal.ErrLocked) {
		return nil, ErrLocked
	}
	if err != nil {
		return nil, fmt.Errorf("membership: locking %s: %v", dir, err)
	}
	t, err := openLocked(ctx, dir, opts, lock)
	if err != nil {
		wal.Unlock(lock)
		return nil, err
	}
	return t, nil
}

func openLocked(ctx context.Context, dir string, opts *TreeOptions, lock *os.File) (*Tree, error) {
	t := NewTree(opts)
	s := &store{dir: dir, lock: lock}
	snapPath := filepath.Join(dir, snapName)
	haveSnap := false
	if f, err := os.Open(snapPath); err == nil {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil {
			err = t.readSnapshot(f, st.Size())
		}
		f.Close()
		if err != nil {
			return nil, err
		}
		haveSnap = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("membership: %v", err)
	}
	logPath := filepath.Join(dir, logName)
	f, err := os.OpenFile(logPath, os.O_RDWR, 0)
	switch {
	case errors.Is(err, os.ErrNotExist) && !haveSnap:
		if err := s.resetLog(); err != nil {
			return nil, err
		}
	case errors.Is(err, os.ErrNotExist):
		return nil, corrupt("%s is missing", logName)
	case err != nil:
		return nil, fmt.Errorf("membership: %v", err)
	default:
		s.log = f
		if err := t.replay(ctx, s); err != nil {
			f.Close()
			return nil, err
		}
	}
	t.store = s
	return t, nil
}

// replay applies the log's records after the snapshot to t.
func (t *Tree) replay(ctx context.Context, s *store) error {
	st, err := s.log.Stat()
	if err != nil {
		return fmt.Errorf("membership: %v", err)
	}
	size := st.Size()
	r := s.log
	var hdr [logHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return corrupt("log header: %d bytes", size)
	}
	if string(hdr[:8]) != logMagic {
		return corrupt("log: bad magic")
	}
	if v := binary.BigEndian.Uint32(hdr[8:]); v != version {
		return corrupt("log: unknown version %d", v)
	}
	base := t.seq
	var prev uint64
	rec := -1 // the record's number in the log, from 0
	off, err := wal.Scan(r, logHeaderSize, size, func(at int64, payload []byte) error {
		rec++
		if err := ctx.Err(); err != nil {
			return err
		}
		o, err := decodeOp(payload)
		if err != nil {
			return corrupt("log record %d at offset %d: %v", rec, at, err)
		}
		if prev != 0 && o.seq != prev+1 {
			return corrupt("log record %d at offset %d: sequence %d after %d", rec, at, o.seq, prev)
		}
		prev = o.seq
		if o.seq > base {
			if o.seq != t.seq+1 {
				return corrupt("log record %d at offset %d: sequence %d, tree is at %d", rec, at, o.seq, t.seq)
			}
			if err := t.check(&o); err != nil {
				return corrupt("log record %d at offset %d (sequence %d): %v", rec, at, o.seq, err)
			}
			t.apply(&o)
		}
		return nil
	})
	if errors.Is(err, wal.ErrCorrupt) {
		return corrupt("log: %v", err)
	}
	if err != nil {
		return err
	}
	if off < size {
		// A torn tail: a crash cut or zero-filled the final append, which
		// was never acknowledged (see internal/wal).
		if err := s.log.Truncate(off); err != nil {
			return fmt.Errorf("membership: truncating torn log record: %v", err)
		}
		s.recovered = size - off
	}
	// Records a failed writer left in the page cache become durable here,
	// before the tree serves any root that depends on them.
	if err := s.log.Sync(); err != nil {
		return fmt.Errorf("membership: %v", err)
	}
	if _, err := s.log.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("membership: %v", err)
	}
	s.logSize = off
	return nil
}

// append writes o's record and fsyncs it.
func (s *store) append(o *op) error {
	if s.failed != nil {
		return s.failed
	}
	rec := o.record()
	if _, err := s.log.Write(rec); err != nil {
		return s.fail(err)
	}
	if err := s.log.Sync(); err != nil {
		return s.fail(err)
	}
	s.logSize += int64(len(rec))
	return nil
}

func (s *store) fail(err error) error {
	s.failed = fmt.Errorf("membership: log write failed, tree is read-only until reopened: %v", err)
	return s.failed
}

// snapshot writes t's state to tree.snap and starts an empty log. The caller
// holds t.wmu, so t does not change.
func (s *store) snapshot(t *Tree) error {
	if s.failed != nil {
		return s.failed
	}
	if err := writeAtomic(s.dir, snapName, t.writeSnapshot); err != nil {
		return err
	}
	return s.resetLog()
}

// resetLog atomically replaces the log with an empty one.
func (s *store) resetLog() error {
	err := writeAtomic(s.dir, logName, func(w io.Writer) error {
		var hdr [logHeaderSize]byte
		copy(hdr[:], logMagic)
		binary.BigEndian.PutUint32(hdr[8:], version)
		_, err := w.Write(hdr[:])
		return err
	})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, logName), os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return s.fail(err)
	}
	if s.log != nil {
		s.log.Close()
	}
	s.log = f
	s.logSize = logHeaderSize
	return nil
}

// writeAtomic replaces name in dir atomically (see internal/wal).
func writeAtomic(dir, name string, fill func(io.Writer) error) error {
	if err := wal.WriteFileAtomic(dir, name, fill); err != nil {
		return fmt.Errorf("membership: %v", err)
	}
	return nil
}

// levelSizes returns the number of nodes per level of a size-n tree.
func levelSizes(n uint64) []uint64 {
	if n == 0 {
		return nil
	}
	out := []uint64{n}
	for n > 1 {
		n = (n + 1) / 2
		out = append(out, n)
	}
	return out
}

// The snapshot: a header, the commitments in order (0 where removed), the
// root history oldest first, and a SHA-256 of everything before it.
//
//	magic "ZKVTSNAP" | version uint32 | seq uint64 | size uint64 | epoch uint64
//	| history uint32 | commitments (32 bytes each)
//	| history entries (root 32 bytes, size uint64, epoch uint64) | sha256
//
// Nodes are not stored: loading recomputes every node from the commitments
// and requires the newest history entry to be the recomputed head, so a
// snapshot whose root does not match its leaves is never served.
func (t *Tree) writeSnapshot(w io.Writer) error {
	h := sha256.New()
	mw := io.MultiWriter(w, h)
	hist := t.history.entries()
	var hdr [snapHeaderSize]byte
	copy(hdr[:], snapMagic)
	binary.BigEndian.PutUint32(hdr[8:], version)
	binary.BigEndian.PutUint64(hdr[12:], t.seq)
	binary.BigEndian.PutUint64(hdr[20:], t.size())
	binary.BigEndian.PutUint64(hdr[28:], t.epoch)
	binary.BigEndian.PutUint32(hdr[36:], uint32(len(hist)))
	if _, err := mw.Write(hdr[:]); err != nil {
		return err
	}
	buf := make([]byte, 0, 32*4096)
	flush := func() error {
		_, err := mw.Write(buf)
		buf = buf[:0]
		return err
	}
	put := func(e *fr.Element, words ...uint64) error {
		v := e.Bytes()
		buf = append(buf, v[:]...)
		for _, w := range words {
			buf = binary.BigEndian.AppendUint64(buf, w)
		}
		if len(buf) > cap(buf)-snapEntrySize {
			return flush()
		}
		return nil
	}
	for i := range t.commits {
		if err := put(&t.commits[i]); err != nil {
			return err
		}
	}
	for i := range hist {
		if err := put(&hist[i].Root, hist[i].Size, hist[i].epoch); err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	_, err := w.Write(h.Sum(nil))
	return err
}

// ReadTreeSnapshot returns an in-memory tree from data written by
// [Tree.WriteSnapshot]. It checks the length, magic, version, checksum and
// every value's encoding, recomputes every node from the commitments, and
// returns an error wrapping [ErrCorrupt] for any damage, including a root
// history whose newest head is not the recomputed one.
func ReadTreeSnapshot(data []byte, opts *TreeOptions) (*Tree, error) {
	t := NewTree(opts)
	if err := t.readSnapshot(bytes.NewReader(data), int64(len(data))); err != nil {
		return nil, err
	}
	return t, nil
}

// readSnapshot loads a snapshot of total length size from r into an empty t.
// It allocates only after checking that size matches the header.
func (t *Tree) readSnapshot(src io.Reader, fileSize int64) error {
	r := bufio.NewReaderSize(src, 1<<20)
	h := sha256.New()
	var hdr [snapHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return corrupt("snapshot header: %d bytes", fileSize)
	}
	h.Write(hdr[:])
	if string(hdr[:8]) != snapMagic {
		return corrupt("snapshot: bad magic")
	}
	if v := binary.BigEndian.Uint32(hdr[8:]); v != version {
		return corrupt("snapshot: unknown version %d", v)
	}
	seq := binary.BigEndian.Uint64(hdr[12:])
	size := binary.BigEndian.Uint64(hdr[20:])
	epoch := binary.BigEndian.Uint64(hdr[28:])
	nhist := uint64(binary.BigEndian.Uint32(hdr[36:]))
	if size > MaxLeaves || nhist > maxHistory {
		return corrupt("snapshot: size %d, history %d", size, nhist)
	}
	want := int64(snapHeaderSize) + 32*int64(size) + snapEntrySize*int64(nhist) + sha256.Size
	if fileSize != want {
		return corrupt("snapshot is %d bytes, header implies %d", fileSize, want)
	}
	read := func(b []byte) error {
		if _, err := io.ReadFull(r, b); err != nil {
			return corrupt("snapshot: %v", err)
		}
		h.Write(b)
		return nil
	}
	element := func(dst *fr.Element, b []byte) error {
		if err := dst.SetBytesCanonical(b); err != nil {
			return corrupt("snapshot: non-canonical value")
		}
		return nil
	}
	commits := make([]fr.Element, size)
	chunk := make([]byte, 32*4096)
	for done := uint64(0); done < size; {
		k := min(size-done, uint64(len(chunk)/32))
		b := chunk[:32*k]
		if err := read(b); err != nil {
			return err
		}
		for i := range k {
			if err := element(&commits[done+i], b[32*i:32*i+32]); err != nil {
				return err
			}
		}
		done += k
	}
	hist := make([]entry, nhist)
	var eb [snapEntrySize]byte
	for i := range hist {
		if err := read(eb[:]); err != nil {
			return err
		}
		if err := element(&hist[i].Root, eb[:32]); err != nil {
			return err
		}
		hist[i].Size = binary.BigEndian.Uint64(eb[32:])
		hist[i].epoch = binary.BigEndian.Uint64(eb[40:])
		if hist[i].Size > size || hist[i].epoch > epoch ||
			(i > 0 && (hist[i].epoch < hist[i-1].epoch || hist[i].epoch == hist[i-1].epoch && hist[i].Size < hist[i-1].Size)) {
			return corrupt("snapshot: history entry %d out of order", i)
		}
	}
	var sum [sha256.Size]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return corrupt("snapshot: %v", err)
	}
	if string(sum[:]) != string(h.Sum(nil)) {
		return corrupt("snapshot: checksum mismatch")
	}
	index := newLeafIndex(int(size))
	for i := range commits {
		if commits[i].IsZero() {
			continue
		}
		if _, dup := index.lookup(&commits[i], commits); dup {
			return corrupt("snapshot: duplicate commitment at %d", i)
		}
		index.add(&commits[i], uint32(i))
	}
	levels := buildLevels(commits)
	var root fr.Element
	if size > 0 {
		root = levels[len(levels)-1][0]
	}
	if nhist == 0 {
		return corrupt("snapshot: empty root history")
	}
	if last := hist[nhist-1]; last.Size != size || last.epoch != epoch || !last.Root.Equal(&root) {
		return corrupt("snapshot: the root recomputed from the commitments is not the recorded root")
	}
	t.commits, t.levels, t.index, t.seq, t.epoch = commits, levels, index, seq, epoch
	t.history.init(t.opts.RootHistory)
	for _, e := range hist {
		t.history.push(e)
	}
	return nil
}

// Snapshot writes a snapshot of a persistent tree now and starts a new log,
// so the next open replays nothing. It is a no-op for an in-memory tree.
func (t *Tree) Snapshot() error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closed {
		return ErrClosed
	}
	if t.store == nil {
		return nil
	}
	return t.store.snapshot(t)
}

// WriteSnapshot writes the tree's snapshot encoding to w, for backups and
// for moving a registry; [ReadTreeSnapshot] reads it back.
func (t *Tree) WriteSnapshot(w io.Writer) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.writeSnapshot(w)
}

// Close writes a snapshot if the log holds records, closes the files and
// releases the directory lock. Every acknowledged change was already durable;
// Close only makes the next open faster. Closing an in-memory tree only
// marks it closed.
func (t *Tree) Close() error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if t.store == nil {
		return nil
	}
	var err error
	if t.store.failed == nil && t.store.logSize > logHeaderSize {
		err = t.store.snapshot(t)
	}
	if t.store.log != nil {
		if cerr := t.store.log.Close(); err == nil {
			err = cerr
		}
	}
	wal.Unlock(t.store.lock)
	return err
}
