package verifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
)

// Backend names a proof system.
type Backend uint8

// The proof systems zkvote verifies. All use the BN254 curve.
const (
	Groth16 Backend = 1 // the default: 164-byte proofs, per-circuit setup
	PLONK   Backend = 2 // universal KZG setup, larger proofs
)

// String returns the backend's name.
func (b Backend) String() string {
	switch b {
	case Groth16:
		return "groth16"
	case PLONK:
		return "plonk"
	}
	return fmt.Sprintf("backend(%d)", uint8(b))
}

// ParseBackend parses a name written by [Backend.String].
func ParseBackend(s string) (Backend, error) {
	switch s {
	case "groth16":
		return Groth16, nil
	case "plonk":
		return PLONK, nil
	}
	return 0, fmt.Errorf("verifier: unknown backend %q", s)
}

// MaxPublic bounds the number of public signals of any zkvote circuit.
const MaxPublic = 64

// maxNameLen bounds a circuit name.
const maxNameLen = 64

// A verifying-key file:
//
//	magic "ZKVOTEVK" | version 1 | backend | public count | name length | name | body
//
// The body is gnark's compressed encoding for the backend. The key's ID is
// the SHA-256 of the whole file; proofs name the key they were made for.
const (
	vkMagic   = "ZKVOTEVK"
	vkVersion = 1
)

// VerifyingKey is a parsed, checked verifying key for one circuit.
type VerifyingKey struct {
	backend  Backend
	circuit  string
	nbPublic int
	id       [32]byte
	encoded  []byte
	g16      *groth16bn254.VerifyingKey
	g16fixed *groth16Fixed // g16 prepared for single verification
	plk      *plonkbn254.VerifyingKey
}

// Backend returns the key's proof system.
func (vk *VerifyingKey) Backend() Backend { return vk.backend }

// Circuit returns the name of the circuit the key verifies, for example
// "membership/depth=20".
func (vk *VerifyingKey) Circuit() string { return vk.circuit }

// NbPublic returns the number of public signals a proof carries.
func (vk *VerifyingKey) NbPublic() int { return vk.nbPublic }

// ID returns the SHA-256 of the key file, which proofs carry.
func (vk *VerifyingKey) ID() [32]byte { return vk.id }

// Bytes returns the key file.
func (vk *VerifyingKey) Bytes() []byte { return bytes.Clone(vk.encoded) }

// Groth16Key returns a copy of gnark's key (nil for another backend), decoded
// afresh so that changing it cannot change what this key accepts.
func (vk *VerifyingKey) Groth16Key() *groth16bn254.VerifyingKey {
	if vk.g16 == nil {
		return nil
	}
	k := new(groth16bn254.VerifyingKey)
	if _, err := k.ReadFrom(bytes.NewReader(vk.encoded[12+len(vk.circuit):])); err != nil {
		return nil // unreachable: the encoding was checked when parsed
	}
	return k
}

// NewGroth16VerifyingKey wraps gnark's key for circuit name with nbPublic
// public inputs; the prover calls it after setup.
func NewGroth16VerifyingKey(name string, nbPublic int, key *groth16bn254.VerifyingKey) (*VerifyingKey, error) {
	if len(name) == 0 || len(name) > maxNameLen {
		return nil, fmt.Errorf("verifier: circuit name of %d bytes", len(name))
	}
	if nbPublic < 1 || nbPublic > MaxPublic || key.NbPublicWitness() != nbPublic {
		return nil, fmt.Errorf("verifier: key has %d public inputs, want %d", key.NbPublicWitness(), nbPublic)
	}
	if len(key.CommitmentKeys) != 0 || len(key.PublicAndCommitmentCommitted) != 0 {
		return nil, fmt.Errorf("verifier: keys with commitments are not supported")
	}
	return newVerifyingKey(Groth16, name, nbPublic, key)
}

// NewPLONKVerifyingKey wraps gnark's PLONK key for circuit name with
// nbPublic public inputs; the prover calls it after setup.
func NewPLONKVerifyingKey(name string, nbPublic int, key *plonkbn254.VerifyingKey) (*VerifyingKey, error) {
	if len(name) == 0 || len(name) > maxNameLen {
		return nil, fmt.Errorf("verifier: circuit name of %d bytes", len(name))
	}
	if nbPublic < 1 || nbPublic > MaxPublic || key.NbPublicVariables != uint64(nbPublic) {
		return nil, fmt.Errorf("verifier: key has %d public inputs, want %d", key.NbPublicVariables, nbPublic)
	}
	if len(key.Qcp) != 0 || len(key.CommitmentConstraintIndexes) != 0 {
		return nil, fmt.Errorf("verifier: keys with commitments are not supported")
	}
	return newVerifyingKey(PLONK, name, nbPublic, key)
}

func newVerifyingKey(b Backend, name string, nbPublic int, key io.WriterTo) (*VerifyingKey, error) {
	var body bytes.Buffer
	if _, err := key.WriteTo(&body); err != nil {
		return nil, fmt.Errorf("verifier: encoding key: %v", err)
	}
	file := make([]byte, 0, 12+len(name)+body.Len())
	file = append(file, vkMagic...)
	file = append(file, vkVersion, byte(b), byte(nbPublic), byte(len(name)))
	file = append(file, name...)
	file = append(file, body.Bytes()...)
	return ParseVerifyingKey(file)
}

// plonkVKSize is the exact size of gnark's compressed BN254 PLONK verifying
// key without commitments: every field is fixed-size then, so it is the size
// of the zero key.
var plonkVKSize = func() int {
	var b bytes.Buffer
	if _, err := new(plonkbn254.VerifyingKey).WriteTo(&b); err != nil {
		panic(err)
	}
	return b.Len()
}()

// Offsets in a PLONK key body: version marker and version (16), Size (8),
// SizeInv and Generator (64), then NbPublicVariables; Qcp's length follows
// CosetShift (32), S (96) and Ql…Qk (160).
const (
	plonkOffSize     = 16
	plonkOffNbPublic = 16 + 8 + 64
	plonkOffQcp      = plonkOffNbPublic + 8 + 32 + 96 + 160
	// maxPlonkSize bounds the domain of a PLONK key this package accepts.
	maxPlonkSize = 1 << 26
)

// groth16VKSize is the exact size of gnark's compressed BN254 Groth16
// verifying key without commitments and with n public inputs:
// α₁ β₁ (G1) β₂ γ₂ (G2) δ₁ (G1) δ₂ (G2), len(K) and n+1 points K, an empty
// list of committed inputs, and a zero commitment count.
func groth16VKSize(n int) int { return 32 + 32 + 64 + 64 + 32 + 64 + 4 + 32*(n+1) + 4 + 4 }

// ParseVerifyingKey parses and checks a verifying-key file: exact lengths
// before any gnark decoder runs, curve points checked, canonical encoding.
func ParseVerifyingKey(file []byte) (*VerifyingKey, error) {
	if len(file) < 12 || string(file[:8]) != vkMagic {
		return nil, fmt.Errorf("%w: not a zkvote verifying key", ErrMalformedKey)
	}
	if file[8] != vkVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrMalformedKey, file[8])
	}
	backend, nbPublic, nameLen := Backend(file[9]), int(file[10]), int(file[11])
	if nbPublic < 1 || nbPublic > MaxPublic || nameLen < 1 || nameLen > maxNameLen || len(file) < 12+nameLen {
		return nil, fmt.Errorf("%w: bad header", ErrMalformedKey)
	}
	vk := &VerifyingKey{
		backend:  backend,
		circuit:  string(file[12 : 12+nameLen]),
		nbPublic: nbPublic,
		id:       sha256.Sum256(file),
		encoded:  bytes.Clone(file),
	}
	body := file[12+nameLen:]
	switch backend {
	case Groth16:
		if len(body) != groth16VKSize(nbPublic) {
			return nil, fmt.Errorf("%w: groth16 key body is %d bytes, want %d", ErrMalformedKey, len(body), groth16VKSize(nbPublic))
		}
		off := 288
		if binary.BigEndian.Uint32(body[off:]) != uint32(nbPublic+1) ||
			binary.BigEndian.Uint32(body[off+4+32*(nbPublic+1):]) != 0 ||
			binary.BigEndian.Uint32(body[off+8+32*(nbPublic+1):]) != 0 {
			return nil, fmt.Errorf("%w: groth16 key lengths do not match its header", ErrMalformedKey)
		}
		k := new(groth16bn254.VerifyingKey)
		if err := decodeCanonical(k, body); err != nil {
			return nil, err
		}
		fixed, err := newGroth16Fixed(k)
		if err != nil {
			return nil, err
		}
		vk.g16, vk.g16fixed = k, fixed
	case PLONK:
		if len(body) != plonkVKSize {
			return nil, fmt.Errorf("%w: plonk key body is %d bytes, want %d", ErrMalformedKey, len(body), plonkVKSize)
		}
		size := binary.BigEndian.Uint64(body[plonkOffSize:])
		if binary.BigEndian.Uint64(body[plonkOffNbPublic:]) != uint64(nbPublic) ||
			binary.BigEndian.Uint32(body[plonkOffQcp:]) != 0 ||
			binary.BigEndian.Uint32(body[len(body)-4:]) != 0 ||
			size == 0 || size > maxPlonkSize || size&(size-1) != 0 {
			return nil, fmt.Errorf("%w: plonk key fields do not match its header", ErrMalformedKey)
		}
		k := new(plonkbn254.VerifyingKey)
		if err := decodeCanonical(k, body); err != nil {
			return nil, err
		}
		vk.plk = k
	default:
		return nil, fmt.Errorf("%w: unknown backend %d", ErrMalformedKey, backend)
	}
	return vk, nil
}

// decodeCanonical decodes a length-checked key body with gnark's decoder
// (which checks every point) and requires that it consumed every byte and
// re-encodes to exactly the same bytes.
func decodeCanonical(k interface {
	io.ReaderFrom
	io.WriterTo
}, body []byte) error {
	n, err := k.ReadFrom(bytes.NewReader(body))
	if err != nil || n != int64(len(body)) {
		return fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	var again bytes.Buffer
	if _, err := k.WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), body) {
		return fmt.Errorf("%w: non-canonical encoding", ErrMalformedKey)
	}
	return nil
}
