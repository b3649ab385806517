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

// CiphertextSize is the size of an encoded ciphertext: C1 then C2.
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

// Bytes returns the canonical encoding.
func (c Ciphertext) Bytes() [CiphertextSize]byte {
	var out [CiphertextSize]byte
	a, b := c.C1.Bytes(), c.C2.Bytes()
	copy(out[:PointSize], a[:])
	copy(out[PointSize:], b[:])
	return out
}

// ParseCiphertext decodes a ciphertext strictly (see [ParsePoint]).
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

// HashCiphertexts returns Poseidon2(TagCiphertexts, PK.x, PK.y, then C1.x,
// C1.y, C2.x, C2.y of each ciphertext in order): the one public input by
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
	return poseidon2.Hash(poseidon2.TagCiphertexts, in...)
}
