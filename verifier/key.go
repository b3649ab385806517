package verifier

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"

	"github.com/netstate/zkvote/internal/layout"
	"github.com/netstate/zkvote/statement"
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

// The methods below answer a nil *VerifyingKey with zero values; [Verify],
// [VerifyBatch] and [ExportSolidity] answer it with an error.

// Backend returns the key's proof system (0 for a nil key).
func (vk *VerifyingKey) Backend() Backend {
	if vk == nil {
		return 0
	}
	return vk.backend
}

// Circuit returns the name of the circuit the key verifies, for example
// "membership/v3/depth=20".
func (vk *VerifyingKey) Circuit() string {
	if vk == nil {
		return ""
	}
	return vk.circuit
}

// NbPublic returns the number of public signals a proof carries.
func (vk *VerifyingKey) NbPublic() int {
	if vk == nil {
		return 0
	}
	return vk.nbPublic
}

// ID returns the SHA-256 of the key file, which proofs carry (all zero for
// a nil key).
func (vk *VerifyingKey) ID() [32]byte {
	if vk == nil {
		return [32]byte{}
	}
	return vk.id
}

// Bytes returns the key file (nil for a nil key).
func (vk *VerifyingKey) Bytes() []byte {
	if vk == nil {
		return nil
	}
	return bytes.Clone(vk.encoded)
}

// Groth16Key returns a copy of gnark's key (nil for another backend), decoded
// afresh so that changing it cannot change what this key accepts.
func (vk *VerifyingKey) Groth16Key() *groth16bn254.VerifyingKey {
	if vk == nil || vk.g16 == nil {
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
	if key == nil {
		return nil, fmt.Errorf("verifier: nil groth16 key")
	}
	if nbPublic < 1 || nbPublic > statement.MaxPublic || key.NbPublicWitness() != nbPublic {
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
	if key == nil {
		return nil, fmt.Errorf("verifier: nil plonk key")
	}
	if nbPublic < 1 || nbPublic > statement.MaxPublic || key.NbPublicVariables != uint64(nbPublic) {
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

// maxPlonkSize bounds the domain of a PLONK key this package accepts.
const maxPlonkSize = 1 << 26

// plonkKeyVersion is the version word of gnark's versioned PLONK key
// encoding, the only one accepted: gnark also reads a legacy layout without
// marker and version, in which every later field sits 16 bytes earlier.
const plonkKeyVersion = 1

// walkGroth16 walks gnark's compressed BN254 Groth16 verifying key without
// commitments, for nbPublic public inputs:
//
//	[α]₁ [β]₁ (G1) [β]₂ [γ]₂ (G2) [δ]₁ (G1) [δ]₂ (G2)
//	uint32 len(K) = nbPublic+1, K (G1 each)
//	uint32 0 (committed public inputs: none), uint32 0 (commitment keys: none)
func walkGroth16(body []byte, nbPublic int) error {
	w := layout.New(body)
	w.Points(2, layout.G1)
	w.Points(2, layout.G2)
	w.Points(1, layout.G1)
	w.Points(1, layout.G2)
	w.Len(nbPublic+1, "K")
	w.Points(nbPublic+1, layout.G1)
	w.Len(0, "committed public inputs")
	w.Want(4, 0, "commitment count")
	return w.End()
}

// walkPLONK walks gnark's versioned, compressed BN254 PLONK verifying key
// without commitments, for nbPublic public inputs:
//
//	uint64 0 (marker), uint64 1 (version), uint64 Size (a power of two)
//	SizeInv, Generator (fr), uint64 NbPublicVariables = nbPublic, CosetShift (fr)
//	S₁ S₂ S₃ Ql Qr Qm Qo Qk (G1), uint32 0 (Qcp: none)
//	KZG: [1]₁ (G1), [1]₂ [α]₂ (G2), their pairing lines (raw)
//	uint32 0 (commitment constraint indexes: none)
func walkPLONK(body []byte, nbPublic int) error {
	w := layout.New(body)
	w.Want(8, 0, "version marker")
	w.Want(8, plonkKeyVersion, "version")
	at := w.Offset()
	if size := w.Uint(8); w.Err() == nil && (size < 2 || size > maxPlonkSize || size&(size-1) != 0) {
		return fmt.Errorf("domain size at byte %d is %d, want a power of two in [2, %d]", at, size, maxPlonkSize)
	}
	w.Bytes(2 * layout.Fr)
	w.Want(8, uint64(nbPublic), "public count")
	w.Bytes(layout.Fr)
	w.Points(3+5, layout.G1)
	w.Len(0, "Qcp")
	w.Points(1, layout.G1)
	w.Points(2, layout.G2)
	w.Bytes(layout.KZGLines)
	w.Len(0, "commitment constraint indexes")
	return w.End()
}

// ParseVerifyingKey parses and checks a verifying-key file. The whole layout
// of the body is walked before any gnark decoder runs: every point slot holds
// a compressed point (gnark's decoder would also take an uncompressed one,
// which moves every later field), every length and version word holds its
// one allowed value, and nothing trails. Then gnark decodes it, checking
// that every point is on the curve and in its subgroup, and the body must
// re-encode to exactly the same bytes. Last, the key itself is checked: no
// point of a Groth16 key is the point at infinity (a K point at infinity is
// a public input that no constraint uses), and a PLONK key's domain values
// and precomputed pairing lines agree with what they are derived from.
func ParseVerifyingKey(file []byte) (*VerifyingKey, error) {
	if len(file) < 12 || string(file[:8]) != vkMagic {
		return nil, fmt.Errorf("%w: not a zkvote verifying key", ErrMalformedKey)
	}
	if file[8] != vkVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrMalformedKey, file[8])
	}
	backend, nbPublic, nameLen := Backend(file[9]), int(file[10]), int(file[11])
	if nbPublic < 1 || nbPublic > statement.MaxPublic || nameLen < 1 || nameLen > maxNameLen || len(file) < 12+nameLen {
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
		if err := walkGroth16(body, nbPublic); err != nil {
			return nil, fmt.Errorf("%w: groth16 key: %v", ErrMalformedKey, err)
		}
		k := new(groth16bn254.VerifyingKey)
		if err := decodeCanonical(k, body); err != nil {
			return nil, err
		}
		if err := checkGroth16Key(k); err != nil {
			return nil, err
		}
		fixed, err := newGroth16Fixed(k)
		if err != nil {
			return nil, err
		}
		vk.g16, vk.g16fixed = k, fixed
	case PLONK:
		if err := walkPLONK(body, nbPublic); err != nil {
			return nil, fmt.Errorf("%w: plonk key: %v", ErrMalformedKey, err)
		}
		k := new(plonkbn254.VerifyingKey)
		if err := decodeCanonical(k, body); err != nil {
			return nil, err
		}
		if err := checkPLONKKey(k); err != nil {
			return nil, err
		}
		vk.plk = k
	default:
		return nil, fmt.Errorf("%w: unknown backend %d", ErrMalformedKey, backend)
	}
	return vk, nil
}

// checkGroth16Key refuses a decoded Groth16 key with a point at infinity.
// None occurs in a key from an honest setup, except a K point for a public
// input that no constraint uses, and such an input can be changed freely
// after proving.
func checkGroth16Key(k *groth16bn254.VerifyingKey) error {
	for i := range k.G1.K {
		if k.G1.K[i].IsInfinity() {
			return fmt.Errorf("%w: K[%d] is the point at infinity (a public input no constraint uses)", ErrMalformedKey, i)
		}
	}
	g1 := []struct {
		name string
		p    *bn254.G1Affine
	}{{"[α]₁", &k.G1.Alpha}, {"[β]₁", &k.G1.Beta}, {"[δ]₁", &k.G1.Delta}}
	for _, q := range g1 {
		if q.p.IsInfinity() {
			return fmt.Errorf("%w: %s is the point at infinity", ErrMalformedKey, q.name)
		}
	}
	g2 := []struct {
		name string
		p    *bn254.G2Affine
	}{{"[β]₂", &k.G2.Beta}, {"[γ]₂", &k.G2.Gamma}, {"[δ]₂", &k.G2.Delta}}
	for _, q := range g2 {
		if q.p.IsInfinity() {
			return fmt.Errorf("%w: %s is the point at infinity", ErrMalformedKey, q.name)
		}
	}
	return nil
}

// checkPLONKKey checks what a decoded PLONK key derives from other fields
// or fixes by convention: SizeInv is 1/Size, Generator a primitive Size-th
// root of unity, the KZG points [1]₁ and [1]₂ the curve's generators and
// [α]₂ not the point at infinity, and the pairing lines, which gnark stores
// as unchecked raw limbs and uses in every verification, exactly those of
// the two G2 points.
func checkPLONKKey(k *plonkbn254.VerifyingKey) error {
	var size, t fr.Element
	size.SetUint64(k.Size)
	if t.Mul(&size, &k.SizeInv); !t.IsOne() {
		return fmt.Errorf("%w: plonk key's SizeInv is not 1/Size", ErrMalformedKey)
	}
	var minusOne fr.Element
	minusOne.SetOne().Neg(&minusOne)
	if t.Exp(k.Generator, new(big.Int).SetUint64(k.Size/2)); !t.Equal(&minusOne) {
		return fmt.Errorf("%w: plonk key's generator is not a primitive root of unity of order %d", ErrMalformedKey, k.Size)
	}
	_, _, g1, g2 := bn254.Generators()
	if !k.Kzg.G1.Equal(&g1) || !k.Kzg.G2[0].Equal(&g2) {
		return fmt.Errorf("%w: plonk key's KZG base points are not the generators", ErrMalformedKey)
	}
	if k.Kzg.G2[1].IsInfinity() {
		return fmt.Errorf("%w: plonk key's KZG [α]₂ is the point at infinity", ErrMalformedKey)
	}
	for i := range k.Kzg.G2 {
		if bn254.PrecomputeLines(k.Kzg.G2[i]) != k.Kzg.Lines[i] {
			return fmt.Errorf("%w: plonk key's pairing lines for KZG G2 point %d do not match the point", ErrMalformedKey, i)
		}
	}
	return nil
}

// decodeCanonical decodes a length-checked key body with gnark's decoder
// (which checks every point) and requires that it consumed every byte and
// re-encodes to exactly the same bytes.
func decodeCanonical(k interface {
	io.ReaderFrom
	io.WriterTo
}, body []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: decoding: %v", ErrMalformedKey, r)
		}
	}()
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
