// Package wal holds the durable-file machinery zkvote's persistent state
// shares: CRC-framed log records whose torn tail (a crash mid-write) is told
// apart from corruption, atomic file replacement, and directory locks.
//
// A record is
//
//	length  uint32 BE   payload length
//	hcrc    uint32 BE   CRC-32C of the length field
//	payload
//	pcrc    uint32 BE   CRC-32C of the payload
//
// A record cut short at the end of a file is what a crash leaves behind (it
// was never acknowledged). A complete record or header whose CRC fails is
// corruption.
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

// ErrCorrupt is returned by Scan for a record that is complete but fails its
// checksum.
var ErrCorrupt = errors.New("wal: corrupt record")

// Frame returns payload framed as a record.
func Frame(payload []byte) []byte {
	b := make([]byte, 8, len(payload)+Overhead)
	putU32(b[0:], uint32(len(payload)))
	putU32(b[4:], crc32.Checksum(b[0:4], castagnoli))
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
// each complete record's offset and payload, stopping at fn's first error.
// It returns the offset just past the last complete record: less than size
// when the file ends in a torn record. Allocation is bounded by size.
func Scan(r io.Reader, off, size int64, fn func(off int64, payload []byte) error) (int64, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	for off < size {
		if size-off < 8 {
			return off, nil // torn header
		}
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return off, fmt.Errorf("wal: reading: %v", err)
		}
		if crc32.Checksum(h[:4], castagnoli) != getU32(h[4:]) {
			return off, fmt.Errorf("%w at offset %d: header checksum", ErrCorrupt, off)
		}
		n := int64(getU32(h[:4]))
		if size-off-8 < n+4 {
			return off, nil // torn payload
		}
		rec := make([]byte, n+4)
		if _, err := io.ReadFull(br, rec); err != nil {
			return off, fmt.Errorf("wal: reading: %v", err)
		}
		if crc32.Checksum(rec[:n], castagnoli) != getU32(rec[n:]) {
			return off, fmt.Errorf("%w at offset %d: payload checksum", ErrCorrupt, off)
		}
		if err := fn(off, rec[:n]); err != nil {
			return off, err
		}
		off += 8 + n + 4
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
