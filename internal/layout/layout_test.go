package layout

import (
	"strings"
	"testing"
)

func TestWalker(t *testing.T) {
	compressed := append([]byte{0x80}, make([]byte, G1-1)...)
	infinity := append([]byte{0x40}, make([]byte, G1-1)...)
	raw := make([]byte, G1) // flag 00: gnark would read 64 bytes
	rawG1 := append([]byte{0x3F}, make([]byte, G1Raw-1)...)
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
		// Raw points (proving keys): flag 00, 64 or 128 bytes.
		{"raw ok", cat(make([]byte, G1Raw), rawG1, make([]byte, G2Raw)), func(w *Walker) { w.RawPoints(2, G1Raw); w.RawPoints(1, G2Raw) }, ""},
		{"raw compressed", cat(rawG1, compressed, compressed), func(w *Walker) { w.RawPoints(2, G1Raw) }, "point at byte 64 is not in raw form"},
		{"raw infinity flag", cat(infinity, infinity), func(w *Walker) { w.RawPoints(1, G1Raw) }, "point at byte 0 is not in raw form"},
		{"raw truncated", rawG1[:G1Raw-1], func(w *Walker) { w.RawPoints(1, G1Raw) }, "truncated at byte 0"},
		{"expect", []byte{1, 2, 3}, func(w *Walker) { w.Expect([]byte{1, 2}, "domain"); w.Bytes(1) }, ""},
		{"expect differs", []byte{0, 1, 3}, func(w *Walker) { w.Bytes(1); w.Expect([]byte{1, 2}, "domain") }, "domain at byte 1 differs"},
		{"bools", []byte{0, 1, 1, 0}, func(w *Walker) {
			if n := w.Bools(4, "flags"); n != 2 {
				w.fail("counted %d", n)
			}
		}, ""},
		{"bools 2", []byte{0, 1, 2, 0}, func(w *Walker) { w.Bools(4, "flags") }, "flags at byte 2 is 2, want 0 or 1"},
		{"len at most", cat([]byte{0, 0, 0, 2}, compressed, compressed), func(w *Walker) {
			if n := w.LenAtMost(3, "A"); n != 2 {
				w.fail("length %d", n)
			}
			w.Points(2, G1)
		}, ""},
		{"len over", []byte{0, 0, 0, 4}, func(w *Walker) { w.LenAtMost(3, "A") }, "A length at byte 0 is 4, want at most 3"},
		{"len huge", []byte{0xFF, 0xFF, 0xFF, 0xFF}, func(w *Walker) { w.LenAtMost(3, "A") }, "is 4294967295, want at most 3"},
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
