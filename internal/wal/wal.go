// Package wal holds the durable-file machinery zkvote's persistent state
// shares: CRC-framed log records whose torn tail (a crash mid-write) is told
// apart from damage, atomic file replacement, and directory locks.
//
// A record is
//
//	length  uint32 BE   payload length
//	hcrc    uint32 BE   CRC-32C of the length field
//	payload
//	pcrc    uint32 BE   CRC-32C of the payload
//
// # Torn tails and damage
//
// A record is acknowledged only after it and everything before it are
// fsynced, so a crash can only spoil what follows the last acknowledged
// record, and only as an interrupted append does: a prefix of the records
// being written, then, after a power loss, possibly bytes the file system
// had allocated but not yet written, which read as zeros. [Scan] therefore
// treats the first record that fails its checks as a torn tail, to be
// dropped, only if it is one of:
//
//   - fewer than 8 bytes at the end of the file (a cut header);
//   - a record whose header is intact and whose length runs past the end
//     of the file (a cut payload);
//   - a record whose header or payload checksum fails and that is followed
//     by nothing but zero bytes up to the end of the file (a write cut
//     short and zero-filled, or a zero-filled tail; this includes a bad
//     final record that ends exactly at the end of the file).
//
// Anything else is damage, and returns a [*CorruptError] naming the
// record's number and offset: a failed checksum with a non-zero byte
// anywhere after the record (or after a header that fails its checksum)
// means records were written after it, some of them perhaps acknowledged,
// so nothing may be dropped.
//
// The rule cannot tell a bit flip in the very last record, or a zero-filled
// last record, from a torn write: such a record is dropped like a torn one.
// A crash that leaves pages of an unacknowledged append out of order (zeros
// followed by data) is reported as damage: the open fails safe, and the
// operator must look.
package wal

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Overhead is the framing size of one record.
const Overhead = 12

// ErrCorrupt is matched (with errors.Is) by every [*CorruptError].
var ErrCorrupt = errors.New("wal: corrupt record")

// CorruptError reports damage that is not a torn tail (see the package
// documentation).
type CorruptError struct {
	Record int64  // the damaged record's number, from 0 (the first record after the file's header)
	Offset int64  // the record's byte offset in the file
	Reason string // what failed
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("wal: corrupt record %d at offset %d: %s", e.Record, e.Offset, e.Reason)
}

// Is reports whether target is [ErrCorrupt].
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Header returns the 8-byte header of a record of n payload bytes: the
// length and its CRC.
func Header(n uint32) []byte {
	b := make([]byte, 8)
	putHeader(b, n)
	return b
}

func putHeader(b []byte, n uint32) {
	putU32(b[0:], n)
	putU32(b[4:], crc32.Checksum(b[0:4], castagnoli))
}

// Frame returns payload framed as a record.
func Frame(payload []byte) []byte {
	b := make([]byte, 8, len(payload)+Overhead)
	putHeader(b, uint32(len(payload)))
	b = append(b, payload...)
	var c [4]byte
	putU32(c[:], crc32.Checksum(payload, castagnoli))
	return append(b, c[:]...)
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
func getU32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// Scan reads the records of a file of total length size from r, which is
// positioned at offset off (after the file's own header). It calls fn with
// each good record's offset and payload, in order, stopping at fn's first
// error.
//
// It returns the offset just past the last good record, which is less than
// size only when the file ends in a torn tail (see the package
// documentation): the caller may drop the bytes from there on. Any other
// damage returns a [*CorruptError]; fn has then been called for the
// records before it, and the caller must not use what it built. Allocation
// is bounded by size.
func Scan(r io.Reader, off, size int64, fn func(off int64, payload []byte) error) (int64, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	for rec := int64(0); off < size; rec++ {
		if size-off < 8 {
			return off, nil // a cut header
		}
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return off, fmt.Errorf("wal: reading: %v", err)
		}
		if crc32.Checksum(h[:4], castagnoli) != getU32(h[4:]) {
			return tail(br, off, off+8, size, rec, "header checksum")
		}
		n := int64(getU32(h[:4]))
		if size-off-8 < n+4 {
			return off, nil // a cut payload
		}
		p := make([]byte, n+4)
		if _, err := io.ReadFull(br, p); err != nil {
			return off, fmt.Errorf("wal: reading: %v", err)
		}
		if crc32.Checksum(p[:n], castagnoli) != getU32(p[n:]) {
			return tail(br, off, off+8+n+4, size, rec, "payload checksum")
		}
		if err := fn(off, p[:n]); err != nil {
			return off, err
		}
		off += 8 + n + 4
	}
	return off, nil
}

// tail decides about record rec at off, which failed its checks: r is
// positioned at from; the record is a torn tail if the bytes from there to
// size are all zero.
func tail(r io.Reader, off, from, size, rec int64, what string) (int64, error) {
	var buf [4096]byte
	for at := from; at < size; {
		k := min(int64(len(buf)), size-at)
		if _, err := io.ReadFull(r, buf[:k]); err != nil {
			return off, fmt.Errorf("wal: reading: %v", err)
		}
		for i, c := range buf[:k] {
			if c != 0 {
				return off, &CorruptError{Record: rec, Offset: off,
					Reason: fmt.Sprintf("%s fails, and data follows at offset %d", what, at+int64(i))}
			}
		}
		at += k
	}
	return off, nil
}

// WriteFileAtomic writes name in dir through a temporary file, fsync and
// rename, then fsyncs the directory: a crash leaves the old file or the new.
func WriteFileAtomic(dir, name string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %v", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory, making renames and creations in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory: %v", err)
	}
	return nil
}
