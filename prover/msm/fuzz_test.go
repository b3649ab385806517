package msm

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// FuzzParseBases: any bytes are either refused or read into bases that
// encode back to the same bytes and sum without failing.
func FuzzParseBases(f *testing.F) {
	g1, g2 := points(3)
	d1, _ := EncodeG1Bases(B1, g1)
	d2, _ := EncodeG2Bases(g2)
	f.Add(d1)
	f.Add(d2)
	f.Add(d1[:headerSize])
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBases(data)
		if err != nil {
			return
		}
		var again []byte
		if b.Part().G2() {
			again, err = EncodeG2Bases(b.g2)
		} else {
			again, err = EncodeG1Bases(b.Part(), b.g1)
		}
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("bases read from %x encode to %x (%v)", data, again, err)
		}
		if _, err := b.Run(EncodeScalars(scalars(b.Len())), 1); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzRun: any scalar bytes are refused or summed, and the sum reads back.
func FuzzRun(f *testing.F) {
	g1, g2 := points(2)
	d1, _ := EncodeG1Bases(A, g1)
	d2, _ := EncodeG2Bases(g2)
	b1, err := ParseBases(d1)
	if err != nil {
		f.Fatal(err)
	}
	b2, err := ParseBases(d2)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(EncodeScalars(scalars(2)), false)
	f.Add(EncodeScalars(scalars(2)), true)
	f.Add([]byte{1, 2, 3}, false)
	f.Fuzz(func(t *testing.T, s []byte, g2 bool) {
		b := b1
		if g2 {
			b = b2
		}
		out, err := b.Run(s, 1)
		if err != nil {
			return
		}
		if g2 {
			_, err = ParseG2(out)
		} else {
			_, err = ParseG1(out)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseSum: any bytes are refused or read as a point of the group
// whose encoding they are.
func FuzzParseSum(f *testing.F) {
	_, _, g1, g2 := bn254.Generators()
	a, b := g1.RawBytes(), g2.RawBytes()
	f.Add(a[:])
	f.Add(b[:])
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := ParseG1(data); err == nil {
			if raw := p.RawBytes(); !p.IsInSubGroup() || !bytes.Equal(raw[:], data) {
				t.Fatalf("G1 %x read as %x", data, raw)
			}
		}
		if p, err := ParseG2(data); err == nil {
			if raw := p.RawBytes(); !p.IsInSubGroup() || !bytes.Equal(raw[:], data) {
				t.Fatalf("G2 %x read as %x", data, raw)
			}
		}
	})
}
