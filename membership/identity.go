package membership

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/internal/poseidon2"
)

// SeedSize is the length of an identity seed in bytes.
const SeedSize = 32

// secretInfo labels the HKDF expansion of a seed into the identity secret.
const secretInfo = "zkvote/v1/identity-secret"

// Identity is a citizen's secret identity: a 32-byte seed and the field
// element derived from it. Keep it private: whoever holds it can vote in the
// citizen's name. The zero value is not usable; create one with
// [GenerateIdentity] or [NewIdentityFromSeed].
type Identity struct {
	seed   [SeedSize]byte
	secret fr.Element
}

// GenerateIdentity returns a new identity from crypto/rand.
func GenerateIdentity() (*Identity, error) {
	var seed [SeedSize]byte
	if _, err := io.ReadFull(rand.Reader, seed[:]); err != nil {
		return nil, fmt.Errorf("membership: reading randomness: %v", err)
	}
	return NewIdentityFromSeed(seed[:])
}

// NewIdentityFromSeed derives an identity deterministically from a 32-byte
// seed, for recovery and tests. The secret is HKDF-SHA256(seed) expanded to
// 48 bytes and reduced modulo r, so its bias from uniform is below 2^-128.
func NewIdentityFromSeed(seed []byte) (*Identity, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("membership: identity seed must be %d bytes, got %d", SeedSize, len(seed))
	}
	okm, err := hkdf.Key(sha256.New, seed, nil, secretInfo, 48)
	if err != nil {
		return nil, fmt.Errorf("membership: deriving secret: %v", err)
	}
	v := new(big.Int).SetBytes(okm)
	v.Mod(v, fr.Modulus())
	id := &Identity{}
	copy(id.seed[:], seed)
	id.secret.SetBigInt(v)
	if id.secret.IsZero() {
		// Probability 2^-254; refuse rather than publish commitment H(tag, 0).
		return nil, errors.New("membership: seed derives the zero secret")
	}
	return id, nil
}

// Seed returns a copy of the identity's seed. Anyone holding it holds the
// identity.
func (id *Identity) Seed() [SeedSize]byte { return id.seed }

// Secret returns the identity secret, the private input of membership
// proofs.
func (id *Identity) Secret() fr.Element { return id.secret }

// Commitment returns the public identity commitment Hash(TagIdentity, secret)
// that a registrar inserts into a citizen tree.
func (id *Identity) Commitment() Commitment {
	return Commitment(poseidon2.Hash(poseidon2.TagIdentity, id.secret))
}

// Nullifier returns the nullifier of this identity's membership proofs in
// scope, Hash(TagNullifier, secret, scope): the same value every time this
// identity proves membership in scope, and unlinkable across scopes. It
// depends on nothing but the secret and the scope, and it is never a ballot
// nullifier (see [Identity.VoteNullifier]).
func (id *Identity) Nullifier(scope fr.Element) fr.Element {
	return poseidon2.Hash(poseidon2.TagNullifier, id.secret, scope)
}

// VoteNullifier returns the nullifier of this identity's ballot in an
// election of the given scope, Hash(TagVoteNullifier, secret, scope). Its
// tag differs from [Identity.Nullifier]'s, so a membership proof requested
// with an election's scope reveals nothing about the ballot.
func (id *Identity) VoteNullifier(scope fr.Element) fr.Element {
	return poseidon2.Hash(poseidon2.TagVoteNullifier, id.secret, scope)
}

// Commitment is an identity commitment: the public value a citizen hands to
// a registrar, and a leaf of a citizen tree. Its text form is "0x" and 64
// lower-case hex digits.
type Commitment fr.Element

// ParseCommitment parses the text form of a commitment strictly: exactly the
// form [Commitment.String] writes (or canonical decimal), a value below r,
// and never zero.
func ParseCommitment(s string) (Commitment, error) {
	x, err := field.ParseText(s)
	if err != nil {
		return Commitment{}, fmt.Errorf("membership: invalid commitment: %w", err)
	}
	if x.IsZero() {
		return Commitment{}, ErrZeroCommitment
	}
	return Commitment(x), nil
}

// CommitmentFromBytes decodes exactly 32 canonical big-endian bytes.
func CommitmentFromBytes(b []byte) (Commitment, error) {
	x, err := field.FromBytes(b)
	if err != nil {
		return Commitment{}, fmt.Errorf("membership: invalid commitment: %w", err)
	}
	if x.IsZero() {
		return Commitment{}, ErrZeroCommitment
	}
	return Commitment(x), nil
}

// String returns the canonical text form.
func (c Commitment) String() string { e := fr.Element(c); return field.Text(&e) }

// Bytes returns the canonical 32-byte big-endian encoding.
func (c Commitment) Bytes() [32]byte { e := fr.Element(c); return e.Bytes() }

// Element returns the commitment as a field element.
func (c Commitment) Element() fr.Element { return fr.Element(c) }

// MarshalText implements encoding.TextMarshaler.
func (c Commitment) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with [ParseCommitment]'s
// rules.
func (c *Commitment) UnmarshalText(b []byte) error {
	v, err := ParseCommitment(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
