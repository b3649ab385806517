package layout

import (
	"strings"
	"testing"
)

func TestWalker(t *testing.T) {
	compressed := append([]byte{0x80}, make([]byte, G1-1)...)
	infinity := append([]byte{0x40}, make([]byte, G1-1)...)
	raw := make([]byte, G1) // flag 00: gnark would read 64 bytes
	cases := []struct {
		name string
		b    []byte
		walk func(w *Walker)
		want string // "" for success, else a substring of the error
	}{
		{"ok", cat([]byte{0, 0, 0, 2}, compressed, infinity), func(w *Walker) { w.Len(2, "K"); w.Points(2, G1) }, ""},
		{"uncompressed", cat([]byte{0, 0, 0, 2}, compressed, raw), func(w *Walker) { w.Len(2, "K"); w.Points(2, G1) }, "point at byte 36 is not in compressed form"},
		{"length", cat([]byte{0xFF, 0xFF, 0xFF, 0xFF}, compressed), func(w *Walker) { w.Len(1, "K"); w.Points(1, G1) }, "K length at byte 0 is 4294967295, want 1"},
		{"truncated", cat([]byte{0, 0, 0, 2}, compressed), func(w *Walker) { w.Len(2, "K"); w.Points(2, G1) }, "truncated at byte 36"},
		{"trailing", cat(compressed, []byte{0}), func(w *Walker) { w.Points(1, G1) }, "1 trailing bytes"},
		{"want", []byte{0, 0, 0, 0, 0, 0, 0, 1}, func(w *Walker) { w.Want(8, 0, "marker") }, "marker at byte 0 is 1, want 0"},
		{"sticky", []byte{1, 2}, func(w *Walker) { w.Bytes(3); w.Bytes(1); w.Want(1, 9, "x") }, "truncated at byte 0"},
	}
	for _, c := range cases {
		w := New(c.b)
		c.walk(w)
		err := w.End()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
