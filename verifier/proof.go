package verifier

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"

	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/statement"
)

// Proof is a self-contained zkvote proof: the backend, the ID of the
// verifying key it was made for, its public signals in circuit order, and
// the proof bytes in their one canonical encoding.
type Proof struct {
	Backend Backend
	KeyID   [32]byte
	Public  []fr.Element
	// Data is the canonical proof encoding for Backend: gnark's compressed
	// form, [Groth16ProofSize] or [PLONKProofSize] bytes.
	Data []byte

	// decoded holds the points ParseProof decoded and checked (the subgroup
	// check of B is the costly part), with a copy of the bytes they came
	// from: Verify reuses them only while Data still equals those bytes.
	// It is never changed once set, so copies of a Proof may share it.
	decoded *decodedProof
}

// decodedProof caches Groth16 points only: our verifier and batch verifier
// only read them, whereas gnark's PLONK verifier is not promised not to
// touch its proof.
type decodedProof struct {
	data []byte
	g16  *groth16bn254.Proof
}

// groth16 returns p's Groth16 points, decoded now or by ParseProof.
func (p *Proof) groth16() (*groth16bn254.Proof, error) {
	if d := p.decoded; d != nil && d.g16 != nil && bytes.Equal(d.data, p.Data) {
		return d.g16, nil
	}
	return decodeGroth16(p.Data)
}

// A proof file:
//
//	magic "ZKVP" | version 1 | backend | key ID (32) | public count | public signals (32 each) | data
const (
	proofMagic   = "ZKVP"
	proofVersion = 1
	// Groth16ProofSize is the exact size of a canonical BN254 Groth16 proof.
	Groth16ProofSize = 32 + 64 + 32 + 4 + 32
)

// Bytes returns the proof's canonical encoding.
func (p *Proof) Bytes() []byte {
	out := make([]byte, 0, 39+32*len(p.Public)+len(p.Data))
	out = append(out, proofMagic...)
	out = append(out, proofVersion, byte(p.Backend))
	out = append(out, p.KeyID[:]...)
	out = append(out, byte(len(p.Public)))
	for i := range p.Public {
		b := p.Public[i].Bytes()
		out = append(out, b[:]...)
	}
	return append(out, p.Data...)
}

// ParseProof decodes and checks the encoding of b strictly: lengths, public
// signals below r, curve points valid and canonical, nothing trailing. It
// does not verify the proof.
func ParseProof(b []byte) (*Proof, error) {
	if len(b) < 39 || string(b[:4]) != proofMagic {
		return nil, fmt.Errorf("%w: not a zkvote proof", ErrMalformedProof)
	}
	if b[4] != proofVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrMalformedProof, b[4])
	}
	p := &Proof{Backend: Backend(b[5])}
	copy(p.KeyID[:], b[6:38])
	n := int(b[38])
	if n < 1 || n > statement.MaxPublic || len(b) < 39+32*n {
		return nil, fmt.Errorf("%w: %d public signals in %d bytes", ErrMalformedPublic, n, len(b))
	}
	p.Public = make([]fr.Element, n)
	for i := range p.Public {
		x, err := field.FromBytes(b[39+32*i : 71+32*i])
		if err != nil {
			return nil, fmt.Errorf("%w: signal %d: %v", ErrMalformedPublic, i, err)
		}
		p.Public[i] = x
	}
	p.Data = bytes.Clone(b[39+32*n:])
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

// check validates Data for the backend and keeps the decoded points for
// Verify.
func (p *Proof) check() error {
	d := &decodedProof{data: bytes.Clone(p.Data)}
	var err error
	switch p.Backend {
	case Groth16:
		d.g16, err = decodeGroth16(p.Data)
	case PLONK:
		_, err = decodePLONK(p.Data)
	default:
		return fmt.Errorf("%w: unknown backend %d", ErrMalformedProof, p.Backend)
	}
	if err != nil {
		return err
	}
	if d.g16 != nil {
		p.decoded = d
	}
	return nil
}

// infinityG1 is the compressed encoding of the G1 point at infinity.
var infinityG1 = func() [32]byte {
	var p bn254.G1Affine
	return p.Bytes()
}()

// decodeGroth16 parses a canonical compressed Groth16 proof without any
// commitment, without handing the bytes to gnark's length-trusting decoder.
func decodeGroth16(b []byte) (*groth16bn254.Proof, error) {
	if len(b) != Groth16ProofSize {
		return nil, fmt.Errorf("%w: groth16 proof is %d bytes, want %d", ErrMalformedProof, len(b), Groth16ProofSize)
	}
	var pr groth16bn254.Proof
	if err := setG1(&pr.Ar, b[0:32]); err != nil {
		return nil, err
	}
	if err := setG2(&pr.Bs, b[32:96]); err != nil {
		return nil, err
	}
	if err := setG1(&pr.Krs, b[96:128]); err != nil {
		return nil, err
	}
	if binary.BigEndian.Uint32(b[128:132]) != 0 {
		return nil, fmt.Errorf("%w: groth16 proof with commitments", ErrMalformedProof)
	}
	if !bytes.Equal(b[132:164], infinityG1[:]) {
		return nil, fmt.Errorf("%w: groth16 proof has a commitment proof of knowledge", ErrMalformedProof)
	}
	return &pr, nil
}

// PLONK proofs without commitments carry six claimed values in the batched
// opening (the linearised polynomial, l, r, o, s1, s2).
const plonkClaimed = 6

// PLONKProofSize is the exact size of a canonical BN254 PLONK proof of a
// circuit without commitments: L, R, O, Z, H1..H3, the batched opening's H,
// a count and six claimed values, the shifted opening's H and value, and an
// empty commitment list.
const PLONKProofSize = 8*32 + 4 + plonkClaimed*32 + 32 + 32 + 4

// decodePLONK parses a canonical compressed PLONK proof without handing the
// bytes to gnark's length-trusting decoder.
func decodePLONK(b []byte) (*plonkbn254.Proof, error) {
	if len(b) != PLONKProofSize {
		return nil, fmt.Errorf("%w: plonk proof is %d bytes, want %d", ErrMalformedProof, len(b), PLONKProofSize)
	}
	var pr plonkbn254.Proof
	points := []*bn254.G1Affine{&pr.LRO[0], &pr.LRO[1], &pr.LRO[2], &pr.Z, &pr.H[0], &pr.H[1], &pr.H[2], &pr.BatchedProof.H}
	off := 0
	for _, pt := range points {
		if err := setG1(pt, b[off:off+32]); err != nil {
			return nil, err
		}
		off += 32
	}
	if binary.BigEndian.Uint32(b[off:]) != plonkClaimed {
		return nil, fmt.Errorf("%w: plonk proof claims %d values", ErrMalformedProof, binary.BigEndian.Uint32(b[off:]))
	}
	off += 4
	pr.BatchedProof.ClaimedValues = make([]fr.Element, plonkClaimed)
	for i := range pr.BatchedProof.ClaimedValues {
		x, err := field.FromBytes(b[off : off+32])
		if err != nil {
			return nil, fmt.Errorf("%w: claimed value: %v", ErrMalformedProof, err)
		}
		pr.BatchedProof.ClaimedValues[i] = x
		off += 32
	}
	if err := setG1(&pr.ZShiftedOpening.H, b[off:off+32]); err != nil {
		return nil, err
	}
	off += 32
	x, err := field.FromBytes(b[off : off+32])
	if err != nil {
		return nil, fmt.Errorf("%w: claimed value: %v", ErrMalformedProof, err)
	}
	pr.ZShiftedOpening.ClaimedValue = x
	off += 32
	if binary.BigEndian.Uint32(b[off:]) != 0 {
		return nil, fmt.Errorf("%w: plonk proof with commitments", ErrMalformedProof)
	}
	return &pr, nil
}

// setG1 decodes one compressed G1 point and requires its canonical form.
// gnark-crypto checks that it is on the curve (G1 has cofactor 1).
func setG1(p *bn254.G1Affine, b []byte) error {
	if _, err := p.SetBytes(b); err != nil {
		return fmt.Errorf("%w: G1 point: %v", ErrMalformedProof, err)
	}
	if again := p.Bytes(); !bytes.Equal(again[:], b) {
		return fmt.Errorf("%w: non-canonical G1 point", ErrMalformedProof)
	}
	return nil
}

// setG2 decodes one compressed G2 point (on the curve and in the prime-order
// subgroup, as gnark-crypto checks) and requires its canonical form.
func setG2(p *bn254.G2Affine, b []byte) error {
	if _, err := p.SetBytes(b); err != nil {
		return fmt.Errorf("%w: G2 point: %v", ErrMalformedProof, err)
	}
	if again := p.Bytes(); !bytes.Equal(again[:], b) {
		return fmt.Errorf("%w: non-canonical G2 point", ErrMalformedProof)
	}
	return nil
}

// checkHeader applies the checks of Verify and VerifyBatch that need no
// decoding: key and backend, number of public signals, and every signal
// reduced below r. Unreduced limbs would verify as their reduction while
// comparing unequal to it: one nullifier with two values.
func checkHeader(vk *VerifyingKey, p *Proof) error {
	if p == nil {
		return fmt.Errorf("%w: nil proof", ErrMalformed)
	}
	if p.Backend != vk.backend || p.KeyID != vk.id {
		return ErrKeyMismatch
	}
	if len(p.Public) != vk.nbPublic {
		return fmt.Errorf("%w: %d public signals, the key takes %d", ErrMalformedPublic, len(p.Public), vk.nbPublic)
	}
	for i := range p.Public {
		if !field.IsReduced(&p.Public[i]) {
			return fmt.Errorf("%w: signal %d is not reduced below r", ErrMalformedPublic, i)
		}
	}
	return nil
}

// Verify checks p against vk. It returns nil for a valid proof,
// ErrInvalidProof for a well-formed proof that does not verify,
// ErrKeyMismatch for a proof made for another key, and an error wrapping
// ErrMalformed for a proof that does not decode. It never panics on input.
func Verify(vk *VerifyingKey, p *Proof) (err error) {
	if vk == nil {
		return fmt.Errorf("%w: nil key", ErrMalformed)
	}
	if err := checkHeader(vk, p); err != nil {
		return err
	}
	defer func() {
		if recover() != nil {
			err = ErrInvalidProof
		}
	}()
	switch vk.backend {
	case Groth16:
		pr, err := p.groth16()
		if err != nil {
			return err
		}
		if !vk.g16fixed.verify(pr, p.Public) {
			return ErrInvalidProof
		}
		return nil
	case PLONK:
		pr, err := decodePLONK(p.Data)
		if err != nil {
			return err
		}
		if !verifyPLONK(vk, pr, p.Public) {
			return ErrInvalidProof
		}
		return nil
	}
	return ErrKeyMismatch
}

// verifyPLONK reports whether pr, decoded by decodePLONK, proves public
// under vk, a PLONK key. A panic in gnark counts as a failed verification.
func verifyPLONK(vk *VerifyingKey, pr *plonkbn254.Proof, public []fr.Element) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return plonkbn254.Verify(pr, vk.plk, fr.Vector(public)) == nil
}

// proofJSON is the JSON form of a proof.
type proofJSON struct {
	Backend string   `json:"backend"`
	Key     string   `json:"key"`
	Public  []string `json:"public"`
	Proof   string   `json:"proof"`
}

// MarshalJSON writes {"backend", "key" (hex), "public" (0x-hex field
// elements), "proof" (hex)}.
func (p *Proof) MarshalJSON() ([]byte, error) {
	j := proofJSON{Backend: p.Backend.String(), Key: hex.EncodeToString(p.KeyID[:]), Proof: hex.EncodeToString(p.Data)}
	j.Public = make([]string, len(p.Public))
	for i := range p.Public {
		j.Public[i] = field.Text(&p.Public[i])
	}
	return json.Marshal(j)
}

// maxProofJSON bounds the JSON form before decoding.
const maxProofJSON = 64 << 10

// UnmarshalJSON parses the JSON form strictly and applies [ParseProof]'s
// checks. Only the exact form MarshalJSON writes is accepted (white space
// around it aside): lower-case keys in order, no duplicates or unknown
// fields, lower-case hex, canonical field elements, no escapes. One proof
// has one JSON form.
func (p *Proof) UnmarshalJSON(b []byte) error {
	if len(b) > maxProofJSON {
		return fmt.Errorf("%w: JSON proof of %d bytes", ErrMalformedProof, len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j proofJSON
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedProof, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing JSON", ErrMalformedProof)
	}
	backend, err := ParseBackend(j.Backend)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedProof, err)
	}
	key, err := strictHex(j.Key)
	if err != nil || len(key) != 32 {
		return fmt.Errorf("%w: key ID", ErrMalformedProof)
	}
	data, err := strictHex(j.Proof)
	if err != nil {
		return fmt.Errorf("%w: proof data", ErrMalformedProof)
	}
	if len(j.Public) < 1 || len(j.Public) > statement.MaxPublic {
		return fmt.Errorf("%w: %d public signals", ErrMalformedPublic, len(j.Public))
	}
	q := Proof{Backend: backend, Data: data, Public: make([]fr.Element, len(j.Public))}
	copy(q.KeyID[:], key)
	for i, s := range j.Public {
		if !strings.HasPrefix(s, "0x") {
			return fmt.Errorf("%w: signal %d is not 0x-hex", ErrMalformedPublic, i)
		}
		x, err := field.ParseText(s)
		if err != nil {
			return fmt.Errorf("%w: signal %d: %v", ErrMalformedPublic, i, err)
		}
		q.Public[i] = x
	}
	if err := q.check(); err != nil {
		return err
	}
	canonical, err := q.MarshalJSON()
	if err != nil || !bytes.Equal(canonical, bytes.TrimSpace(b)) {
		return fmt.Errorf("%w: not the canonical JSON form", ErrMalformedProof)
	}
	*p = q
	return nil
}

// strictHex decodes lower-case hex only, so each value has one JSON form.
func strictHex(s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return nil, fmt.Errorf("invalid hex")
		}
	}
	return hex.DecodeString(s)
}
