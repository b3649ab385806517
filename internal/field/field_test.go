package field

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"
)

func rMinus(d int64) *big.Int { return new(big.Int).Sub(fr.Modulus(), big.NewInt(d)) }

func be32(v *big.Int) []byte {
	out := make([]byte, 32)
	v.FillBytes(out)
	return out
}

func TestFromBytesStrict(t *testing.T) {
	ok := []*big.Int{big.NewInt(0), big.NewInt(1), rMinus(1)}
	for _, v := range ok {
		x, err := FromBytes(be32(v))
		require.NoError(t, err, v)
		b := Bytes(&x)
		require.Equal(t, be32(v), b[:])
	}
	two256m1 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for _, v := range []*big.Int{fr.Modulus(), new(big.Int).Add(fr.Modulus(), big.NewInt(1)), two256m1} {
		_, err := FromBytes(be32(v))
		require.ErrorIs(t, err, ErrNonCanonical, v)
	}
	for _, n := range []int{0, 1, 31, 33, 64} {
		_, err := FromBytes(make([]byte, n))
		require.ErrorIs(t, err, ErrLength, n)
	}
}

func TestTextRoundTrip(t *testing.T) {
	for _, v := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(255), rMinus(1)} {
		x, err := FromBigInt(v)
		require.NoError(t, err)
		s := Text(&x)
		require.Len(t, s, 66)
		y, err := ParseText(s)
		require.NoError(t, err)
		require.True(t, x.Equal(&y))
		require.Equal(t, s, Text(&y))
		z, err := ParseText(v.String())
		require.NoError(t, err)
		require.True(t, x.Equal(&z))
	}
}

func TestParseTextRejects(t *testing.T) {
	r := fr.Modulus()
	bad := []string{
		"", "0x", "0x1", "0X" + strings.Repeat("0", 64), "0x" + strings.Repeat("0", 63),
		"0x" + strings.Repeat("0", 65), "0x" + strings.Repeat("A", 64), "0x" + strings.Repeat("g", 64),
		" 1", "1 ", "+1", "-1", "01", "00", "1e3", "0x" + "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001",
		r.String(), new(big.Int).Add(r, big.NewInt(1)).String(), strings.Repeat("9", 78),
		"0x" + strings.Repeat("f", 64),
	}
	for _, s := range bad {
		_, err := ParseText(s)
		require.Error(t, err, "%q", s)
	}
}

func TestFromBigIntRejects(t *testing.T) {
	for _, v := range []*big.Int{nil, big.NewInt(-1), fr.Modulus()} {
		_, err := FromBigInt(v)
		require.ErrorIs(t, err, ErrNonCanonical)
	}
}

// parseTextSeeds are FuzzParseText's seeds. r − 25617 is the input that
// fuzzing found when the oracle was fr.Element.String(), which prints values
// within 2^16 of r as negative numbers ("-25617").
var parseTextSeeds = []string{
	"0", "1", "0x" + strings.Repeat("0", 64), fr.Modulus().String(), "-1", "0x" + strings.Repeat("f", 64),
	rMinus(1).String(), rMinus(25617).String(), rMinus(65535).String(), rMinus(65536).String(),
	"0x" + hex.EncodeToString(be32(rMinus(25617))),
}

func FuzzParseText(f *testing.F) {
	for _, s := range parseTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := ParseText(s)
		if err != nil {
			return
		}
		// Accepted text is one of exactly two canonical forms, both of the
		// value itself (never fr.Element.String(), which may print "-n").
		hexForm := Text(&x)
		if strings.HasPrefix(s, "0x") {
			if s != hexForm {
				t.Fatalf("hex %q re-encodes as %q", s, hexForm)
			}
		} else if dec := x.BigInt(new(big.Int)).String(); s != dec {
			t.Fatalf("decimal %q re-encodes as %q", s, dec)
		}
		if y, err := ParseText(hexForm); err != nil || !x.Equal(&y) {
			t.Fatalf("Text(%q) = %q does not parse back: %v", s, hexForm, err)
		}
	})
}

// TestTextNearModulus: values within 2^16 of r, which fr.Element.String()
// and Text(10) print as negative numbers, have a positive canonical text
// that parses back from both forms.
func TestTextNearModulus(t *testing.T) {
	for _, d := range []int64{1, 25617, 65535, 65536} {
		v := rMinus(d)
		x, err := ParseText(v.String())
		require.NoError(t, err, "r-%d", d)
		require.Equal(t, "0x"+hex.EncodeToString(be32(v)), Text(&x))
		y, err := ParseText(Text(&x))
		require.NoError(t, err)
		require.True(t, x.Equal(&y))
	}
}

func FuzzFromBytes(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Add(be32(rMinus(1)))
	f.Add(be32(fr.Modulus()))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := FromBytes(b)
		if err != nil {
			return
		}
		out := Bytes(&x)
		if !bytes.Equal(out[:], b) {
			t.Fatalf("decode→encode changed %x to %x", b, out)
		}
	})
}

func TestIsReduced(t *testing.T) {
	var one fr.Element
	one.SetOne()
	require.True(t, IsReduced(&one))
	var zero fr.Element
	require.True(t, IsReduced(&zero))
	rm1 := one
	rm1.Neg(&rm1)
	require.True(t, IsReduced(&rm1))
	r := fr.Element(modulusWords)
	require.False(t, IsReduced(&r))
	above := r
	above[0]++
	require.False(t, IsReduced(&above))
	max := fr.Element{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	require.False(t, IsReduced(&max))
	below := r
	below[0]--
	require.True(t, IsReduced(&below))
}
