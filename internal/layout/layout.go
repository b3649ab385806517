// Package layout walks a byte string in the order gnark and gnark-crypto
// encode BN254 objects and checks, before any gnark decoder runs, every field
// such a decoder would trust.
//
// gnark-crypto's Decoder reads a point's first byte and, if the two top bits
// are 00 (its "uncompressed" flag), reads twice as many bytes; it reads
// 32-bit lengths and allocates from them before reading what they count. So
// a length checked at an offset that assumes compressed points means
// nothing once an earlier point is uncompressed: every later field moves,
// and a crafted sub-kilobyte input asks for hundreds of gigabytes. A
// [Walker] follows the encoding slot by slot from the start; it accepts
// only compressed points (flags 10, 11 and 01, the last for the point at
// infinity) or, in encodings gnark writes in raw form such as proving keys,
// only raw points (flag 00, twice the size); it requires every length and
// version word to hold its expected value, and the input to end exactly
// where the walk does. What it accepts decodes along the same slots, so gnark
// then allocates only what the walk counted.
package layout

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// Sizes of compressed BN254 points and of field elements.
const (
	G1 = bn254.SizeOfG1AffineCompressed // 32
	G2 = bn254.SizeOfG2AffineCompressed // 64
	Fr = 32
)

// Sizes of BN254 points in gnark-crypto's raw (uncompressed) encoding, which
// gnark's WriteRawTo writes: both coordinates, the top two bits of the first
// byte 00, and the point at infinity as all zeros.
const (
	G1Raw = bn254.SizeOfG1AffineUncompressed // 64
	G2Raw = bn254.SizeOfG2AffineUncompressed // 128
)

// KZGLines is the size of the pairing lines of a KZG verifying key's two G2
// points, which gnark-crypto writes as raw Montgomery limbs and reads
// without any check (so whoever decodes them must compare them with lines
// recomputed from the points): 2 points × 2 line halves × one line per step
// of the Miller loop × 2 coefficients in E2 of 64 bytes each.
const KZGLines = 2 * 2 * len(bn254.LoopCounter) * 2 * 64

// Walker walks b from its start. The first failure sticks: later calls do
// nothing and [Walker.End] returns it.
type Walker struct {
	b   []byte
	off int
	err error
}

// New returns a Walker at the start of b.
func New(b []byte) *Walker { return &Walker{b: b} }

// Offset returns the number of bytes walked so far.
func (w *Walker) Offset() int { return w.off }

// Err returns the first failure, or nil.
func (w *Walker) Err() error { return w.err }

func (w *Walker) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

// Bytes takes the next n bytes, whatever they hold; nil after a failure.
func (w *Walker) Bytes(n int) []byte {
	if w.err != nil {
		return nil
	}
	if n < 0 || len(w.b)-w.off < n {
		w.fail("truncated at byte %d of %d (%d more wanted)", w.off, len(w.b), n)
		return nil
	}
	s := w.b[w.off : w.off+n]
	w.off += n
	return s
}

// Points takes count slots of size bytes ([G1] or [G2]), each holding a
// compressed point: the two top bits of its first byte are not 00.
func (w *Walker) Points(count, size int) {
	for range count {
		p := w.Bytes(size)
		if p == nil {
			return
		}
		if p[0]>>6 == 0 {
			w.fail("point at byte %d is not in compressed form", w.off-size)
			return
		}
	}
}

// RawPoints takes count slots of size bytes ([G1Raw] or [G2Raw]), each
// holding a point in raw form: the two top bits of its first byte are 00.
// A compressed point there would be read as a shorter slot and move every
// later field, exactly as an uncompressed one does among compressed points.
func (w *Walker) RawPoints(count, size int) {
	for range count {
		p := w.Bytes(size)
		if p == nil {
			return
		}
		if p[0]>>6 != 0 {
			w.fail("point at byte %d is not in raw form", w.off-size)
			return
		}
	}
}

// Expect takes len(want) bytes that must equal want; what names them in the
// error.
func (w *Walker) Expect(want []byte, what string) {
	at := w.off
	if p := w.Bytes(len(want)); p != nil && string(p) != string(want) {
		w.fail("%s at byte %d differs from the expected %d bytes", what, at, len(want))
	}
}

// Bools takes count bytes, each 0 or 1 (Go's encoding/binary of a []bool),
// and returns how many are 1.
func (w *Walker) Bools(count int, what string) int {
	at := w.off
	p := w.Bytes(count)
	ones := 0
	for i, c := range p {
		if c > 1 {
			w.fail("%s at byte %d is %d, want 0 or 1", what, at+i, c)
			return 0
		}
		ones += int(c)
	}
	return ones
}

// Uint takes a big-endian unsigned integer of width bytes (1 to 8) and
// returns it.
func (w *Walker) Uint(width int) uint64 {
	p := w.Bytes(width)
	var v uint64
	for _, c := range p {
		v = v<<8 | uint64(c)
	}
	return v
}

// Want takes a big-endian unsigned integer of width bytes that must equal
// want; what names it in the error.
func (w *Walker) Want(width int, want uint64, what string) {
	at := w.off
	if v := w.Uint(width); w.err == nil && v != want {
		w.fail("%s at byte %d is %d, want %d", what, at, v, want)
	}
}

// Len takes a 32-bit length word, as gnark-crypto writes before a slice,
// that must equal want.
func (w *Walker) Len(want int, what string) { w.Want(4, uint64(want), what+" length") }

// LenAtMost takes a 32-bit length word that must be at most max, and
// returns it (0 after a failure).
func (w *Walker) LenAtMost(max int, what string) int {
	at := w.off
	v := w.Uint(4)
	if w.err != nil {
		return 0
	}
	if max < 0 || v > uint64(max) {
		w.fail("%s length at byte %d is %d, want at most %d", what, at, v, max)
		return 0
	}
	return int(v)
}

// End returns the first failure, or an error if bytes remain after the walk.
func (w *Walker) End() error {
	if w.err == nil && w.off != len(w.b) {
		w.fail("%d trailing bytes after byte %d", len(w.b)-w.off, w.off)
	}
	return w.err
}
