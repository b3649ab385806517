package trustee

import (
	"errors"
	"fmt"
	"io"
)

// DLEQProof is a Chaum–Pedersen proof that two points have the same
// discrete logarithm with respect to two bases: X = s·G and Y = s·H for one
// secret s. It is the Fiat–Shamir transform of the sigma protocol with
// commitments A = r·G and B = r·H: the challenge c hashes the domain tag,
// the caller's context and every public value (G, H, X, Y, A, B), so a
// proof cannot be moved to another statement ("Frozen Heart"). The proof is
// (c, z) with z = r + c·s; a verifier recomputes A = z·G − c·X and
// B = z·H − c·Y and checks c.
type DLEQProof struct {
	C, Z Scalar
}

// DLEQProofSize is the size of an encoded proof: c then z.
const DLEQProofSize = 2 * ScalarSize

// ErrInvalidProof is returned when a proof does not verify.
var ErrInvalidProof = errors.New("trustee: invalid proof")

const dleqTag = "zkvote/trustee/dleq/v1"

// ProveDLEQ proves that X = s·G and Y = s·H, with randomness from r
// (crypto/rand if nil). context binds the proof to where it is used (an
// election, a ciphertext index); the verifier must pass the same bytes.
func ProveDLEQ(s Scalar, h Point, context []byte, r io.Reader) (DLEQProof, error) {
	nonce, err := RandomScalar(r)
	if err != nil {
		return DLEQProof{}, err
	}
	g := Generator()
	x, y := g.Mul(s), h.Mul(s)
	c := dleqChallenge(context, g, h, x, y, g.Mul(nonce), h.Mul(nonce))
	return DLEQProof{C: c, Z: nonce.Add(c.Mul(s))}, nil
}

// VerifyDLEQ checks a proof that X = s·G and Y = s·H for one s. It returns
// nil or ErrInvalidProof.
func VerifyDLEQ(p DLEQProof, h, x, y Point, context []byte) error {
	g := Generator()
	a := g.Mul(p.Z).Sub(x.Mul(p.C))
	b := h.Mul(p.Z).Sub(y.Mul(p.C))
	if !dleqChallenge(context, g, h, x, y, a, b).Equal(p.C) {
		return ErrInvalidProof
	}
	return nil
}

func dleqChallenge(context []byte, pts ...Point) Scalar {
	parts := [][]byte{context}
	for _, p := range pts {
		b := p.Bytes()
		parts = append(parts, b[:])
	}
	return challenge(dleqTag, parts...)
}

// Bytes returns the canonical encoding.
func (p DLEQProof) Bytes() [DLEQProofSize]byte {
	var out [DLEQProofSize]byte
	c, z := p.C.Bytes(), p.Z.Bytes()
	copy(out[:ScalarSize], c[:])
	copy(out[ScalarSize:], z[:])
	return out
}

// ParseDLEQProof decodes a proof strictly (both scalars below l).
func ParseDLEQProof(b []byte) (DLEQProof, error) {
	if len(b) != DLEQProofSize {
		return DLEQProof{}, fmt.Errorf("%w: proof of %d bytes, want %d", ErrMalformed, len(b), DLEQProofSize)
	}
	c, err := ParseScalar(b[:ScalarSize])
	if err != nil {
		return DLEQProof{}, err
	}
	z, err := ParseScalar(b[ScalarSize:])
	if err != nil {
		return DLEQProof{}, err
	}
	return DLEQProof{C: c, Z: z}, nil
}
