package membership_test

// A tree's directory (tree.log, tree.snap) and a snapshot handed to
// ReadTreeSnapshot are bytes a process must survive whatever they hold:
// crafted headers that claim 2^32 leaves, 2^20 history entries or a 4 GiB
// record, truncations, out-of-range values. Each runs under an
// address-space limit in a child process (internal/memlimit) and must be
// refused with ErrCorrupt (or, for a record cut at the end of the log,
// dropped as the torn tail it is) quickly, never by a crash. The bytes are
// built from the formats documented in membership/store.go, independently
// of its decoder.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netstate/zkvote/internal/memlimit"
	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
)

// mlQuick bounds the refusal of a set of crafted inputs.
const mlQuick = time.Second

// mlLogHeader is the tree log's header: magic and version.
func mlLogHeader(version uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte("ZKVTLOG\x00"), version)
}

// mlOp returns a framed log record: seq | kind | body.
func mlOp(seq uint64, kind byte, body ...byte) []byte {
	p := binary.BigEndian.AppendUint64(nil, seq)
	return wal.Frame(append(append(p, kind), body...))
}

// mlInsert returns the body of an insert of commitments first, …,
// first+n-1 of membershiptest, with the count field set to count.
func mlInsert(count uint32, first uint64, n int) []byte {
	b := binary.BigEndian.AppendUint32(nil, count)
	for _, c := range membershiptest.Commitments(first, n) {
		v := c.Bytes()
		b = append(b, v[:]...)
	}
	return b
}

// mlRecordHeader returns a record header (length and its CRC) claiming n
// payload bytes: it passes its checksum, so only the length can stop a
// decoder.
func mlRecordHeader(n uint32) []byte { return wal.Header(n) }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// mlSnapshot returns a snapshot with the given header fields and body,
// followed by the SHA-256 of everything before it.
func mlSnapshot(version uint32, seq, size, epoch uint64, history uint32, body []byte) []byte {
	b := binary.BigEndian.AppendUint32([]byte("ZKVTSNAP"), version)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint64(b, size)
	b = binary.BigEndian.AppendUint64(b, epoch)
	b = binary.BigEndian.AppendUint32(b, history)
	b = append(b, body...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// mlOpen writes files into a fresh directory under base, opens the tree
// there, and closes it again.
func mlOpen(base string, files map[string][]byte) (uint64, error) {
	dir, err := os.MkdirTemp(base, "tree")
	if err != nil {
		return 0, err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return 0, err
		}
	}
	tr, err := membership.OpenTree(context.Background(), dir, nil)
	if err != nil {
		return 0, err
	}
	size := tr.Size()
	return size, tr.Close()
}

// TestOpenTreeBoundedLog: crafted tree logs, alone in a directory, are
// refused with ErrCorrupt; one whose last record claims more bytes than
// the file holds is a torn tail, dropped, and the tree holds exactly the
// records before it.
func TestOpenTreeBoundedLog(t *testing.T) {
	hdr := mlLogHeader(2)
	good := append(bytes.Clone(hdr), mlOp(1, 1, mlInsert(2, 0, 2)...)...)
	huge := ^uint64(0)
	corrupt := map[string][]byte{
		"empty":                          {},
		"header cut":                     hdr[:5],
		"bad magic":                      append([]byte("ZKVTLOG\x01"), hdr[8:]...),
		"version 1":                      mlLogHeader(1),
		"version 2^32-1":                 mlLogHeader(^uint32(0)),
		"insert count 2^32-1, no leaves": append(bytes.Clone(hdr), mlOp(1, 1, mlInsert(^uint32(0), 0, 0)...)...),
		"insert count 2^32-1, one leaf":  append(bytes.Clone(hdr), mlOp(1, 1, mlInsert(^uint32(0), 0, 1)...)...),
		"insert count 2^31, two leaves":  append(bytes.Clone(hdr), mlOp(1, 1, mlInsert(1<<31, 0, 2)...)...),
		"insert count 0":                 append(bytes.Clone(hdr), mlOp(1, 1, mlInsert(0, 0, 0)...)...),
		"insert of a leaf ≥ r":           append(bytes.Clone(hdr), mlOp(1, 1, append(binary.BigEndian.AppendUint32(nil, 1), bytes.Repeat([]byte{0xff}, 32)...)...)...),
		"insert of leaf 0":               append(bytes.Clone(hdr), mlOp(1, 1, append(binary.BigEndian.AppendUint32(nil, 1), make([]byte, 32)...)...)...),
		"insert of a duplicate":          append(bytes.Clone(good), mlOp(2, 1, mlInsert(1, 1, 1)...)...),
		"update index 2^64-1":            append(bytes.Clone(good), mlOp(2, 2, append(u64(huge), mlInsert(1, 9, 1)[4:]...)...)...),
		"remove index 2^64-1":            append(bytes.Clone(good), mlOp(2, 3, u64(huge)...)...),
		"remove index 2^32":              append(bytes.Clone(good), mlOp(2, 3, u64(1<<32)...)...),
		"first sequence 2^64-1":          append(bytes.Clone(hdr), mlOp(huge, 1, mlInsert(1, 0, 1)...)...),
		"sequence gap":                   append(bytes.Clone(good), mlOp(3, 3, u64(0)...)...),
		"sequence wraps":                 append(append(bytes.Clone(hdr), mlOp(huge, 3, u64(0)...)...), mlOp(0, 3, u64(0)...)...),
		"unknown operation":              append(bytes.Clone(good), mlOp(2, 255)...),
		"empty payload":                  append(bytes.Clone(good), wal.Frame(nil)...),
		"8-byte payload":                 append(bytes.Clone(good), wal.Frame(u64(2))...),
		// A record whose header claims 2^32-1 bytes, followed by another
		// record: its header checksum fails only if the length is not the
		// one it covers, so the length itself must not be trusted.
		"bad header, data after": append(append(bytes.Clone(good), 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4), mlOp(2, 3, u64(0)...)...),
	}
	// Records that claim more than the file holds, at its end: torn tails.
	torn := map[string][]byte{
		"record of 2^32-1 bytes":            append(append(bytes.Clone(good), mlRecordHeader(^uint32(0))...), bytes.Repeat([]byte{7}, 1000)...),
		"record of 2^31 bytes":              append(append(bytes.Clone(good), mlRecordHeader(1<<31)...), bytes.Repeat([]byte{7}, 1000)...),
		"record of 2^32-1 bytes, no body":   append(bytes.Clone(good), mlRecordHeader(^uint32(0))...),
		"record header cut":                 append(bytes.Clone(good), mlRecordHeader(^uint32(0))[:5]...),
		"record of 2^32-1 bytes, 64 KiB":    append(append(bytes.Clone(good), mlRecordHeader(^uint32(0))...), bytes.Repeat([]byte{7}, 64<<10)...),
		"good record of 2^20 bytes cut":     append(bytes.Clone(good), mlOp(2, 1, mlInsert(1<<15, 100, 1<<15)...)[:1<<19]...),
		"only the header, then a big claim": append(bytes.Clone(hdr), mlRecordHeader(^uint32(0))...),
	}
	base := t.TempDir()
	memlimit.Run(t, "corrupt", mlQuick, func() error {
		for name, log := range corrupt {
			if _, err := mlOpen(base, map[string][]byte{"tree.log": log}); !errors.Is(err, membership.ErrCorrupt) {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
		return nil
	})
	memlimit.Run(t, "torn", mlQuick, func() error {
		for name, log := range torn {
			want := uint64(2)
			if name == "only the header, then a big claim" {
				want = 0
			}
			size, err := mlOpen(base, map[string][]byte{"tree.log": log})
			if err != nil && !errors.Is(err, membership.ErrCorrupt) {
				return fmt.Errorf("%s: %v", name, err)
			}
			if err == nil && size != want {
				return fmt.Errorf("%s: opened with %d leaves, want %d", name, size, want)
			}
		}
		return nil
	})
	// Truncations of a log of a few records, every 13 bytes (each open
	// fsyncs, so not every byte): refused or a prefix.
	full := append(bytes.Clone(good), mlOp(2, 1, mlInsert(3, 10, 3)...)...)
	full = append(full, mlOp(3, 3, u64(0)...)...)
	full = append(full, mlOp(4, 2, append(u64(1), mlInsert(1, 20, 1)[4:]...)...)...)
	memlimit.Run(t, "truncated", 3*mlQuick, func() error {
		for n := 0; n < len(full); n += 13 {
			size, err := mlOpen(base, map[string][]byte{"tree.log": full[:n]})
			if err != nil && !errors.Is(err, membership.ErrCorrupt) {
				return fmt.Errorf("cut to %d: %v", n, err)
			}
			if err == nil && size > 5 {
				return fmt.Errorf("cut to %d: %d leaves", n, size)
			}
		}
		return nil
	})
}

// TestReadTreeSnapshotBounded: crafted snapshots (headers claiming 2^32
// leaves or 2^32 history entries over a few bytes, bad checksums, values
// ≥ r, roots that are not the leaves', truncations) are refused by
// ReadTreeSnapshot and by OpenTree with ErrCorrupt.
func TestReadTreeSnapshotBounded(t *testing.T) {
	tr := membership.NewTree(nil)
	if _, err := tr.InsertMany(context.Background(), membershiptest.Commitments(0, 5)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	if back, err := membership.ReadTreeSnapshot(good, nil); err != nil || back.Root() != tr.Root() {
		t.Fatalf("a good snapshot does not read back: %v", err)
	}
	one := membershiptest.Commitments(0, 1)[0].Bytes()
	entry := func(root []byte, size, epoch uint64) []byte {
		return append(append(bytes.Clone(root), u64(size)...), u64(epoch)...)
	}
	hist := entry(make([]byte, 32), 1, 0)
	cases := map[string][]byte{
		"empty":                      {},
		"magic only":                 []byte("ZKVTSNAP"),
		"header only, 2^32 leaves":   mlSnapshot(2, 1, 1<<32, 0, 1<<20, nil)[:40],
		"2^32 leaves, 2^20 entries":  mlSnapshot(2, 1, 1<<32, 0, 1<<20, nil),
		"2^32+1 leaves":              mlSnapshot(2, 1, 1<<32+1, 0, 1, hist),
		"2^64-1 leaves":              mlSnapshot(2, 1, ^uint64(0), 0, 1, hist),
		"2^58 leaves":                mlSnapshot(2, 1, 1<<58, 0, 1, hist), // 32·2^58 wraps to 0
		"2^32-1 entries":             mlSnapshot(2, 1, 1, 0, ^uint32(0), append(one[:], hist...)),
		"2^20+1 entries":             mlSnapshot(2, 1, 1, 0, 1<<20+1, append(one[:], hist...)),
		"2^27 leaves, 1 KiB":         mlSnapshot(2, 1, 1<<27, 0, 1, make([]byte, 1024)),
		"version 1":                  mlSnapshot(1, 1, 1, 0, 1, append(one[:], hist...)),
		"bad checksum":               append(mlSnapshot(2, 1, 1, 0, 1, append(one[:], hist...))[:40+32+48], make([]byte, 32)...),
		"leaf ≥ r":                   mlSnapshot(2, 1, 1, 0, 1, append(bytes.Repeat([]byte{0xff}, 32), hist...)),
		"root ≥ r":                   mlSnapshot(2, 1, 1, 0, 1, append(one[:], entry(bytes.Repeat([]byte{0xff}, 32), 1, 0)...)),
		"root not the leaves'":       mlSnapshot(2, 1, 1, 0, 1, append(one[:], hist...)),
		"no history":                 mlSnapshot(2, 1, 1, 0, 0, one[:]),
		"history beyond size":        mlSnapshot(2, 1, 1, 0, 1, append(one[:], entry(make([]byte, 32), 2, 0)...)),
		"history beyond epoch":       mlSnapshot(2, 1, 1, 0, 1, append(one[:], entry(make([]byte, 32), 1, 1)...)),
		"duplicate leaves":           mlSnapshot(2, 1, 2, 0, 1, append(append(one[:], one[:]...), entry(make([]byte, 32), 2, 0)...)),
		"trailing byte":              append(bytes.Clone(good), 0),
		"good, leaf count +1":        func() []byte { b := bytes.Clone(good); b[27]++; return b }(),
		"good, history count 2^32-1": func() []byte { b := bytes.Clone(good); copy(b[36:], []byte{0xff, 0xff, 0xff, 0xff}); return b }(),
		"good, last byte flipped":    func() []byte { b := bytes.Clone(good); b[len(b)-1] ^= 1; return b }(),
		"good, a leaf flipped":       func() []byte { b := bytes.Clone(good); b[40+31] ^= 1; return b }(),
	}
	for n := 0; n < len(good); n += 7 {
		cases[fmt.Sprintf("good cut to %d", n)] = good[:n]
	}
	memlimit.Run(t, "ReadTreeSnapshot", mlQuick, func() error {
		for name, b := range cases {
			if _, err := membership.ReadTreeSnapshot(b, nil); !errors.Is(err, membership.ErrCorrupt) {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
		return nil
	})
	base := t.TempDir()
	memlimit.Run(t, "OpenTree", 3*mlQuick, func() error {
		for name, b := range cases {
			files := map[string][]byte{"tree.snap": b, "tree.log": mlLogHeader(2)}
			if _, err := mlOpen(base, files); !errors.Is(err, membership.ErrCorrupt) {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
		return nil
	})
}
