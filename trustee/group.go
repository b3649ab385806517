package trustee

import (
	"crypto/rand"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
)

// PointSize is the size of an encoded point: the compressed form of RFC 8032
// §3.1 (y little-endian, the sign of x in the top bit), as gnark-crypto
// writes it.
const PointSize = 32

// ScalarSize is the size of an encoded scalar: big-endian, below the
// subgroup order.
const ScalarSize = 32

// ErrMalformed is wrapped by every error about bytes that do not decode:
// points off the curve, outside the prime-order subgroup or not in their
// canonical encoding, scalars not below the order, wrong lengths.
var ErrMalformed = errors.New("trustee: malformed input")

// Point is a point of BabyJubjub's prime-order subgroup (gnark-crypto's
// ecc/bn254/twistededwards, the curve a BN254 circuit computes on). The zero
// Point is the identity. Points from every decoder of this package but
// [ParseCiphertextXYOnCurve] are in the subgroup, and arithmetic keeps
// them there.
type Point struct{ p twistededwards.PointAffine }

// Scalar is an integer modulo the subgroup order l.
type Scalar struct{ v big.Int }

// curve returns BabyJubjub's parameters (a copy).
func curve() twistededwards.CurveParams { return twistededwards.GetEdwardsCurve() }

// order returns the prime order l of the subgroup.
func order() *big.Int {
	c := curve()
	return new(big.Int).Set(&c.Order)
}

// Generator returns the subgroup's standard generator G.
func Generator() Point {
	c := curve()
	return Point{c.Base}
}

// Identity returns the neutral element.
func Identity() Point {
	var p Point
	p.p.Y.SetOne()
	return p
}

func (p Point) norm() twistededwards.PointAffine {
	if p.p.X.IsZero() && p.p.Y.IsZero() { // the zero Point value
		return Identity().p
	}
	return p.p
}

// IsIdentity reports whether p is the neutral element.
func (p Point) IsIdentity() bool { q := p.norm(); return q.X.IsZero() && q.Y.IsOne() }

// Equal reports whether p and q are the same point.
func (p Point) Equal(q Point) bool { a, b := p.norm(), q.norm(); return a.Equal(&b) }

// Add returns p + q.
func (p Point) Add(q Point) Point {
	a, b := p.norm(), q.norm()
	var r Point
	r.p.Add(&a, &b)
	return r
}

// Sub returns p − q.
func (p Point) Sub(q Point) Point {
	b := q.norm()
	var n Point
	n.p.Neg(&b)
	return p.Add(n)
}

// Mul returns k·p.
func (p Point) Mul(k Scalar) Point {
	a := p.norm()
	var r Point
	r.p.ScalarMultiplication(&a, &k.v)
	return r
}

// BaseMul returns k·G.
func BaseMul(k Scalar) Point { return Generator().Mul(k) }

// Bytes returns p's canonical encoding.
func (p Point) Bytes() [PointSize]byte { a := p.norm(); return a.Bytes() }

// ParsePoint decodes a point strictly: exactly PointSize bytes in canonical
// form (y below the field modulus, no sign bit on x = 0), on the curve and
// in the prime-order subgroup. A point of small order, or one with a
// small-order component, is refused: it would let its sender learn a
// secret's residue or make two encodings mean one value.
func ParsePoint(b []byte) (Point, error) {
	if len(b) != PointSize {
		return Point{}, fmt.Errorf("%w: point of %d bytes, want %d", ErrMalformed, len(b), PointSize)
	}
	var p Point
	if _, err := p.p.SetBytes(b); err != nil {
		return Point{}, fmt.Errorf("%w: point: %v", ErrMalformed, err)
	}
	if !p.p.IsOnCurve() {
		return Point{}, fmt.Errorf("%w: point not on the curve", ErrMalformed)
	}
	if enc := p.p.Bytes(); string(enc[:]) != string(b) {
		return Point{}, fmt.Errorf("%w: point not in canonical form", ErrMalformed)
	}
	if !inSubgroup(&p.p) {
		return Point{}, fmt.Errorf("%w: point outside the prime-order subgroup", ErrMalformed)
	}
	return p, nil
}

// NewScalar returns v mod l.
func NewScalar(v uint64) Scalar {
	var s Scalar
	s.v.SetUint64(v)
	s.v.Mod(&s.v, order())
	return s
}

// RandomScalar draws a uniform nonzero scalar from r (crypto/rand if nil),
// reducing 64 bytes so the bias is below 2^-260.
func RandomScalar(r io.Reader) (Scalar, error) {
	if r == nil {
		r = rand.Reader
	}
	var buf [64]byte
	for range 64 { // a uniform draw is 0 with probability 2^-251
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return Scalar{}, fmt.Errorf("trustee: randomness: %v", err)
		}
		var s Scalar
		s.v.SetBytes(buf[:])
		s.v.Mod(&s.v, order())
		if s.v.Sign() != 0 {
			return s, nil
		}
	}
	return Scalar{}, errors.New("trustee: randomness: the source keeps returning multiples of the group order")
}

// Add returns a + b mod l.
func (a Scalar) Add(b Scalar) Scalar {
	var s Scalar
	s.v.Add(&a.v, &b.v)
	s.v.Mod(&s.v, order())
	return s
}

// Sub returns a − b mod l.
func (a Scalar) Sub(b Scalar) Scalar {
	var s Scalar
	s.v.Sub(&a.v, &b.v)
	s.v.Mod(&s.v, order())
	return s
}

// Mul returns a·b mod l.
func (a Scalar) Mul(b Scalar) Scalar {
	var s Scalar
	s.v.Mul(&a.v, &b.v)
	s.v.Mod(&s.v, order())
	return s
}

// Inverse returns a⁻¹ mod l, or an error for 0.
func (a Scalar) Inverse() (Scalar, error) {
	if a.v.Sign() == 0 {
		return Scalar{}, errors.New("trustee: inverse of zero")
	}
	var s Scalar
	s.v.ModInverse(&a.v, order())
	return s, nil
}

// IsZero reports whether a is 0.
func (a Scalar) IsZero() bool { return a.v.Sign() == 0 }

// Equal reports whether a and b are equal.
func (a Scalar) Equal(b Scalar) bool { return a.v.Cmp(&b.v) == 0 }

// Bytes returns a's canonical encoding.
func (a Scalar) Bytes() [ScalarSize]byte {
	var out [ScalarSize]byte
	a.v.FillBytes(out[:])
	return out
}

// ParseScalar decodes a scalar strictly: ScalarSize bytes, below l.
func ParseScalar(b []byte) (Scalar, error) {
	if len(b) != ScalarSize {
		return Scalar{}, fmt.Errorf("%w: scalar of %d bytes, want %d", ErrMalformed, len(b), ScalarSize)
	}
	var s Scalar
	s.v.SetBytes(b)
	if s.v.Cmp(order()) >= 0 {
		return Scalar{}, fmt.Errorf("%w: scalar not below the group order", ErrMalformed)
	}
	return s, nil
}

// challenge hashes a domain tag and a sequence of byte strings, each
// length-prefixed, to a scalar: SHA-512 reduced mod l (bias below 2^-260).
func challenge(tag string, parts ...[]byte) Scalar {
	h := sha512.New()
	var n [8]byte
	for _, p := range append([][]byte{[]byte(tag)}, parts...) {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	var s Scalar
	s.v.SetBytes(h.Sum(nil))
	s.v.Mod(&s.v, order())
	return s
}

// Coordinates returns p's affine coordinates (x, y), as a circuit takes
// them.
func (p Point) Coordinates() (x, y fr.Element) {
	q := p.norm()
	return q.X, q.Y
}
