// Package bounded reads a stream into memory up to a limit, growing its
// buffer only as bytes arrive: a peer that announces a huge size, or
// sends forever, costs at most the limit.
package bounded

import "io"

// Read reads r to its end, or until it has read limit+1 bytes, whichever
// comes first, and returns what it read: longer than limit exactly when r
// held more. The error is the first read error other than io.EOF, with
// what was read before it.
//
// sizeHint, if not negative and within limit, is the expected size: with
// the right hint the data lands in one buffer of that size plus one byte.
// Otherwise the buffer starts at chunk bytes (at most limit) and grows as
// bytes arrive.
func Read(r io.Reader, sizeHint, limit, chunk int64) ([]byte, error) {
	n := min(limit, max(chunk, 0))
	if sizeHint >= 0 && sizeHint <= limit {
		n = sizeHint
	}
	buf := make([]byte, 0, n+1)
	r = io.LimitReader(r, limit+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
