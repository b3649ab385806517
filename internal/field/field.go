// Package field is zkvote's one strict encoding of BN254 scalar-field
// elements.
//
// Every field value that crosses a trust boundary (a commitment from a
// registrar, a root in a file, a public signal in a ballot) goes through this
// package. The binary form is exactly 32 bytes, big-endian, canonical (the
// value is below the field modulus r). The text form is "0x" followed by
// exactly 64 lower-case hex digits, or a decimal number without sign or
// leading zeros; both parse back to the same element and [Text] reproduces
// the hex form exactly.
//
// gnark-crypto's SetBytes, SetBigInt and SetString reduce silently modulo r,
// so a value x and x+r would decode to one element from two encodings
// (SECURITY.md, item 5). This package never reduces: a value ≥ r is an error.
package field

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Size is the length in bytes of the binary encoding of a field element.
const Size = fr.Bytes

// ErrNonCanonical is returned for an encoding whose value is not below the
// field modulus r, or that is not in the one accepted form.
var ErrNonCanonical = errors.New("field: value is not a canonical field element")

// ErrLength is returned when a binary encoding is not exactly [Size] bytes.
var ErrLength = errors.New("field: encoding is not exactly 32 bytes")

// Modulus returns a copy of the BN254 scalar-field modulus r.
func Modulus() *big.Int { return fr.Modulus() }

// FromBytes decodes exactly [Size] big-endian bytes holding a value < r.
func FromBytes(b []byte) (fr.Element, error) {
	var x fr.Element
	if len(b) != Size {
		return x, ErrLength
	}
	if err := x.SetBytesCanonical(b); err != nil {
		return x, ErrNonCanonical
	}
	return x, nil
}

// Bytes returns the canonical 32-byte big-endian encoding of x.
func Bytes(x *fr.Element) [Size]byte { return x.Bytes() }

// Text returns the canonical text form of x: "0x" and 64 lower-case hex digits.
// Every text that a user or another tool reads comes from here, never from
// fr.Element's String or Text(10) (or %v and %s), which print a value within
// 2^16 of r as a negative number ("-25617" for r − 25617).
func Text(x *fr.Element) string {
	b := x.Bytes()
	return "0x" + hex.EncodeToString(b[:])
}

// maxDecimalLen bounds decimal input before any big-number parsing: r has 77
// decimal digits.
const maxDecimalLen = 77

// ParseText parses the text forms described in the package comment. It
// rejects signs, white space, upper-case hex, short hex, leading zeros in
// decimal, and any value ≥ r.
func ParseText(s string) (fr.Element, error) {
	var x fr.Element
	if strings.HasPrefix(s, "0x") {
		h := s[2:]
		if len(h) != 2*Size {
			return x, fmt.Errorf("field: hex form needs exactly %d digits, got %d", 2*Size, len(h))
		}
		for i := 0; i < len(h); i++ {
			c := h[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return x, fmt.Errorf("field: invalid hex digit at position %d", i+2)
			}
		}
		var b [Size]byte
		if _, err := hex.Decode(b[:], []byte(h)); err != nil {
			return x, fmt.Errorf("field: invalid hex: %v", err)
		}
		return FromBytes(b[:])
	}
	if len(s) == 0 {
		return x, errors.New("field: empty text")
	}
	if len(s) > maxDecimalLen {
		return x, ErrNonCanonical
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return x, fmt.Errorf("field: invalid decimal digit at position %d", i)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return x, fmt.Errorf("field: decimal form has a leading zero: %w", ErrNonCanonical)
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return x, errors.New("field: invalid decimal")
	}
	if v.Cmp(fr.Modulus()) >= 0 {
		return x, ErrNonCanonical
	}
	x.SetBigInt(v)
	return x, nil
}

// modulusWords is r as little-endian 64-bit limbs, the order of
// fr.Element's (Montgomery-form) limbs.
var modulusWords = func() (w [4]uint64) {
	r := fr.Modulus()
	for i := range w {
		w[i] = r.Uint64()
		r.Rsh(r, 64)
	}
	return w
}()

// IsReduced reports whether x's limbs are below r, as every element built
// by gnark-crypto's arithmetic or by this package's decoders is. An
// fr.Element assembled limb by limb (or copied by a reflection-based
// decoder) may not be, and then compares unequal to the element it encodes.
func IsReduced(x *fr.Element) bool {
	for i := 3; i >= 0; i-- {
		if x[i] != modulusWords[i] {
			return x[i] < modulusWords[i]
		}
	}
	return false
}

// FromBigInt converts v with 0 ≤ v < r, and rejects anything else.
func FromBigInt(v *big.Int) (fr.Element, error) {
	var x fr.Element
	if v == nil || v.Sign() < 0 || v.Cmp(fr.Modulus()) >= 0 {
		return x, ErrNonCanonical
	}
	x.SetBigInt(v)
	return x, nil
}
