package trustee

import (
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/poseidon2"
)

// Ciphertext is an exponential ElGamal ciphertext of a small integer v under
// a public key PK: C1 = k·G, C2 = v·G + k·PK for a fresh random k. Sums of
// ciphertexts under one key are ciphertexts of the sum of their values.
type Ciphertext struct {
	C1, C2 Point
}

// CiphertextSize is the size of a ciphertext's compressed encoding
// ([Ciphertext.Bytes]): C1 then C2.
const CiphertextSize = 2 * PointSize

// Encrypt encrypts v under pk with randomness from r (crypto/rand if nil),
// and returns the ciphertext and its randomness k, which the encrypting
// party needs to prove what it encrypted and must not reuse: two
// ciphertexts with one k reveal the difference of their values to anyone.
func Encrypt(pk Point, v uint64, r io.Reader) (Ciphertext, Scalar, error) {
	if pk.IsIdentity() {
		return Ciphertext{}, Scalar{}, errors.New("trustee: the public key is the identity")
	}
	k, err := RandomScalar(r)
	if err != nil {
		return Ciphertext{}, Scalar{}, err
	}
	return EncryptWith(pk, v, k), k, nil
}

// EncryptWith encrypts v under pk with the given randomness k: the native
// counterpart of a circuit that proves an encryption.
func EncryptWith(pk Point, v uint64, k Scalar) Ciphertext {
	return Ciphertext{C1: BaseMul(k), C2: BaseMul(NewScalar(v)).Add(pk.Mul(k))}
}

// Add returns the ciphertext of the sum of the two values.
func (c Ciphertext) Add(d Ciphertext) Ciphertext {
	return Ciphertext{C1: c.C1.Add(d.C1), C2: c.C2.Add(d.C2)}
}

// Sub returns the ciphertext of the difference of the two values (what
// replacing one ballot by a newer one does to a running sum).
func (c Ciphertext) Sub(d Ciphertext) Ciphertext {
	return Ciphertext{C1: c.C1.Sub(d.C1), C2: c.C2.Sub(d.C2)}
}

// Zero returns the ciphertext of 0 with no randomness: the identity pair,
// the starting point of a sum.
func Zero() Ciphertext { return Ciphertext{C1: Identity(), C2: Identity()} }

// Bytes returns the canonical compressed encoding: C1 then C2, each as
// [Point.Bytes]. [Ciphertext.XY] is the uncompressed one.
func (c Ciphertext) Bytes() [CiphertextSize]byte {
	var out [CiphertextSize]byte
	a, b := c.C1.Bytes(), c.C2.Bytes()
	copy(out[:PointSize], a[:])
	copy(out[PointSize:], b[:])
	return out
}

// ParseCiphertext decodes a compressed ciphertext ([Ciphertext.Bytes])
// strictly (see [ParsePoint]).
func ParseCiphertext(b []byte) (Ciphertext, error) {
	if len(b) != CiphertextSize {
		return Ciphertext{}, fmt.Errorf("%w: ciphertext of %d bytes, want %d", ErrMalformed, len(b), CiphertextSize)
	}
	c1, err := ParsePoint(b[:PointSize])
	if err != nil {
		return Ciphertext{}, err
	}
	c2, err := ParsePoint(b[PointSize:])
	if err != nil {
		return Ciphertext{}, err
	}
	return Ciphertext{C1: c1, C2: c2}, nil
}

// CiphertextXYSize is the size of a ciphertext's uncompressed encoding
// ([Ciphertext.XY]): the affine coordinates C1.x, C1.y, C2.x, C2.y, each
// 32 bytes big-endian.
const CiphertextXYSize = 4 * fr.Bytes

// XY returns the ciphertext's uncompressed encoding: the affine
// coordinates C1.x, C1.y, C2.x, C2.y (the values [HashCiphertexts]
// hashes), each in its canonical 32-byte big-endian form
// (fr.Element.Bytes). It is twice the size of [Ciphertext.Bytes], and
// decoding it takes no square root.
func (c Ciphertext) XY() [CiphertextXYSize]byte {
	var out [CiphertextXYSize]byte
	for i, p := range []Point{c.C1, c.C2} {
		x, y := p.Coordinates()
		xb, yb := x.Bytes(), y.Bytes()
		copy(out[2*i*fr.Bytes:], xb[:])
		copy(out[(2*i+1)*fr.Bytes:], yb[:])
	}
	return out
}

// ParseCiphertextXY decodes an uncompressed ciphertext ([Ciphertext.XY])
// strictly: exactly CiphertextXYSize bytes, every coordinate canonical
// (below the field modulus), and both points on the curve and in the
// prime-order subgroup, as [ParsePoint] requires of a compressed point.
func ParseCiphertextXY(b []byte) (Ciphertext, error) { return parseCiphertextXY(b, true) }

// ParseCiphertextXYOnCurve is [ParseCiphertextXY] without the prime-order
// subgroup test, most of its cost: it accepts points with a small-order
// component, outside the subgroup every other decoder of this package
// keeps to.
//
// Use it only for ciphertexts that a proof binds to points computed in
// the subgroup, and use them only after that proof verifies. A secret
// ballot's proof computes C1 = k·G and C2 = m·G + k·PK in its circuit and
// commits to [HashCiphertexts] of PK and every coordinate of those points,
// so a ballot whose submitted coordinates hash to its proof's public input
// and whose proof verifies carries exactly the circuit's points, which lie
// in the subgroup when PK does; any other point makes the hash or the
// proof fail. A point with a small-order component must never reach a sum
// that a trustee decrypts: a partial decryption s·C1 would reveal the
// trustee's share s modulo 8.
func ParseCiphertextXYOnCurve(b []byte) (Ciphertext, error) { return parseCiphertextXY(b, false) }

func parseCiphertextXY(b []byte, checkSubgroup bool) (Ciphertext, error) {
	if len(b) != CiphertextXYSize {
		return Ciphertext{}, fmt.Errorf("%w: uncompressed ciphertext of %d bytes, want %d", ErrMalformed, len(b), CiphertextXYSize)
	}
	var c Ciphertext
	for i, p := range []*Point{&c.C1, &c.C2} {
		name := [2]string{"C1", "C2"}[i]
		if err := p.p.X.SetBytesCanonical(b[2*i*fr.Bytes : (2*i+1)*fr.Bytes]); err != nil {
			return Ciphertext{}, fmt.Errorf("%w: ciphertext %s: x not below the field modulus", ErrMalformed, name)
		}
		if err := p.p.Y.SetBytesCanonical(b[(2*i+1)*fr.Bytes : (2*i+2)*fr.Bytes]); err != nil {
			return Ciphertext{}, fmt.Errorf("%w: ciphertext %s: y not below the field modulus", ErrMalformed, name)
		}
		if !p.p.IsOnCurve() {
			return Ciphertext{}, fmt.Errorf("%w: ciphertext %s not on the curve", ErrMalformed, name)
		}
		if checkSubgroup && !inSubgroup(&p.p) {
			return Ciphertext{}, fmt.Errorf("%w: ciphertext %s outside the prime-order subgroup", ErrMalformed, name)
		}
	}
	return c, nil
}

// HashCiphertexts returns the wide Poseidon2 hash (width 12) of
// TagCiphertexts, PK.x, PK.y, then C1.x, C1.y, C2.x, C2.y of each
// ciphertext in order: the one public input by
// which a secret ballot's proof commits to its ciphertexts and to the key
// they are under. A ballot box recomputes it from the submitted points.
func HashCiphertexts(pk Point, cs []Ciphertext) fr.Element {
	x, y := pk.Coordinates()
	in := []fr.Element{x, y}
	for _, c := range cs {
		for _, p := range []Point{c.C1, c.C2} {
			x, y := p.Coordinates()
			in = append(in, x, y)
		}
	}
	return poseidon2.HashWide(poseidon2.TagCiphertexts, in...)
}
