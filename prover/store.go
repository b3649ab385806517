package prover

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"

	gnarklayout "github.com/netstate/zkvote/internal/layout"
	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// GnarkVersion is the gnark release the stored artefacts are made with. A
// file made with another gnark is stale: any gnark bump regenerates every
// key (SECURITY.md, item 1).
const GnarkVersion = "v0.16.3"

// Errors of stored keys.
var (
	// ErrCorrupt: a key or circuit file failed its length or hash checks.
	ErrCorrupt = errors.New("prover: key file is corrupt")
	// ErrStaleKey: a key file is intact but was made for another circuit,
	// backend, verifying key or gnark version.
	ErrStaleKey = errors.New("prover: key file is for another circuit or gnark version")
)

// LoadMode says how much a proving-key file is trusted.
//
// In both modes the proving key's whole encoding is first walked against
// the compiled circuit (the domain, every vector length, the wire and
// commitment counts and flags, every point in the raw form WriteFiles
// writes, nothing trailing), so that a crafted file is refused with
// [ErrCorrupt] before gnark's decoder, which allocates from those
// lengths, reads it.
type LoadMode int

const (
	// Checked decodes every curve point with on-curve and subgroup checks
	// and compiles the circuit afresh (the README's benchmark table gives
	// the cost, LoadKeys/mode=checked). Use it for keys received from
	// elsewhere (a ceremony).
	Checked LoadMode = iota
	// Trusted skips the point checks and reads the cached constraint
	// system (LoadKeys/mode=trusted, many times faster): only for files
	// this machine wrote, whose SHA-256
	// is still checked against corruption, not against an attacker who can
	// write them.
	Trusted
)

// An artefact file (proving key or constraint system):
//
//	magic "ZKVOTEKF" | version 1 | kind | backend | name length | name
//	| gnark version length | gnark version | circuit digest (32) | vk ID (32)
//	| body length uint64 | body SHA-256 (32) | body
//
// The circuit digest is the SHA-256 of the serialised constraint system;
// the vk ID binds a proving key to its verifying key. A proving key's body
// is gnark's raw encoding (WriteRawTo: uncompressed points), the only one
// loading accepts (see walkProvingKey); a constraint system's is gnark's.
const (
	kfMagic   = "ZKVOTEKF"
	kfVersion = 1
	kindPK    = 1
	kindCCS   = 2
)

type fileHeader struct {
	kind    byte
	backend verifier.Backend
	name    string
	gnark   string
	digest  [32]byte
	vkID    [32]byte
}

func encodeFile(h fileHeader, body []byte) []byte {
	out := make([]byte, 0, 128+len(body))
	out = append(out, kfMagic...)
	out = append(out, kfVersion, h.kind, byte(h.backend), byte(len(h.name)))
	out = append(out, h.name...)
	out = append(out, byte(len(h.gnark)))
	out = append(out, h.gnark...)
	out = append(out, h.digest[:]...)
	out = append(out, h.vkID[:]...)
	out = binary.BigEndian.AppendUint64(out, uint64(len(body)))
	sum := sha256.Sum256(body)
	out = append(out, sum[:]...)
	return append(out, body...)
}

// decodeFile checks the framing and the body hash and returns the header and
// body. It never allocates beyond len(b).
func decodeFile(b []byte) (fileHeader, []byte, error) {
	var h fileHeader
	bad := func(what string) (fileHeader, []byte, error) {
		return h, nil, fmt.Errorf("%w: %s", ErrCorrupt, what)
	}
	if len(b) < 13 || string(b[:8]) != kfMagic || b[8] != kfVersion {
		return bad("bad magic or version")
	}
	h.kind, h.backend = b[9], verifier.Backend(b[10])
	off := 11
	nl := int(b[off])
	off++
	if len(b) < off+nl+1 {
		return bad("short header")
	}
	h.name = string(b[off : off+nl])
	off += nl
	gl := int(b[off])
	off++
	if len(b) < off+gl+32+32+8+32 {
		return bad("short header")
	}
	h.gnark = string(b[off : off+gl])
	off += gl
	copy(h.digest[:], b[off:])
	copy(h.vkID[:], b[off+32:])
	off += 64
	n := binary.BigEndian.Uint64(b[off:])
	off += 8
	var sum [32]byte
	copy(sum[:], b[off:])
	off += 32
	if uint64(len(b)-off) != n {
		return bad(fmt.Sprintf("body is %d bytes, header says %d", len(b)-off, n))
	}
	body := b[off:]
	if sha256.Sum256(body) != sum {
		return bad("body hash mismatch")
	}
	return h, body, nil
}

// circuitDigest is the SHA-256 of the serialised constraint system.
func circuitDigest(ccs constraint.ConstraintSystem) ([32]byte, []byte, error) {
	var b bytes.Buffer
	if _, err := ccs.WriteTo(&b); err != nil {
		return [32]byte{}, nil, fmt.Errorf("prover: serialising circuit: %v", err)
	}
	return sha256.Sum256(b.Bytes()), b.Bytes(), nil
}

// WriteFiles stores the keys in dir as three files (proving key, verifying
// key, constraint system), each written atomically.
func (k *Keys) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("prover: %v", err)
	}
	digest, ccsBytes, err := circuitDigest(k.ccs)
	if err != nil {
		return err
	}
	var pkBody bytes.Buffer
	if k.pk != nil {
		_, err = k.pk.WriteRawTo(&pkBody)
	} else {
		_, err = k.ppk.WriteRawTo(&pkBody)
	}
	if err != nil {
		return fmt.Errorf("prover: serialising proving key: %v", err)
	}
	h := fileHeader{backend: k.Backend(), name: k.stmt.Name(), gnark: GnarkVersion, digest: digest, vkID: k.vk.ID()}
	base := fileBase(k.stmt, k.Backend())
	h.kind = kindPK
	if err := writeFileAtomic(dir, base+".pk", encodeFile(h, pkBody.Bytes())); err != nil {
		return err
	}
	h.kind = kindCCS
	if err := writeFileAtomic(dir, base+".ccs", encodeFile(h, ccsBytes)); err != nil {
		return err
	}
	return writeFileAtomic(dir, base+".vk", k.vk.Bytes())
}

func writeFileAtomic(dir, name string, data []byte) error {
	if err := wal.WriteFileAtomic(dir, name, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		return fmt.Errorf("prover: %v", err)
	}
	return nil
}

// Load reads the keys of statement s for backend b from dir, as
// [Keys.WriteFiles] stored them. Every file's framing, hash, circuit,
// backend and gnark version are checked, and the proving key's whole layout
// against the circuit; a file for another statement or gnark returns
// [ErrStaleKey], a damaged or crafted one [ErrCorrupt], a missing one an
// error wrapping os.ErrNotExist. mode says whether curve points are checked
// and the circuit compiled afresh (see [LoadMode]).
//
// ctx is checked between files.
func Load(ctx context.Context, dir string, s statement.Statement, b verifier.Backend, mode LoadMode) (*Keys, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("prover: %w", err)
	}
	pkName, ccsName, vkName := KeyFiles(s, b)
	read := func(name string) ([]byte, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("prover: %w", err)
		}
		return data, nil
	}
	vk, err := read(vkName)
	if err != nil {
		return nil, err
	}
	pk, err := read(pkName)
	if err != nil {
		return nil, err
	}
	var ccs []byte
	if mode == Trusted {
		if ccs, err = read(ccsName); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ReadKeys(ctx, s, b, pk, ccs, vk, mode)
}

// walkProvingKey walks a proving-key body, as [keys.WriteFiles] writes it
// (gnark's raw encoding), against what the compiled circuit ccs implies for
// backend b: every length, count and flag word, every point slot in raw
// form, and nothing trailing. It runs before any gnark decoder, which
// trusts those words and allocates from them.
func walkProvingKey(body []byte, ccs constraint.ConstraintSystem, b verifier.Backend) error {
	switch b {
	case verifier.Groth16:
		r1cs, ok := ccs.(*csbn254.R1CS)
		if !ok {
			return fmt.Errorf("circuit is a %T, not an R1CS", ccs)
		}
		return walkGroth16ProvingKey(body, r1cs)
	case verifier.PLONK:
		spr, ok := ccs.(*csbn254.SparseR1CS)
		if !ok {
			return fmt.Errorf("circuit is a %T, not a sparse R1CS", ccs)
		}
		return walkPLONKProvingKey(body, spr)
	}
	return fmt.Errorf("unknown backend %v", b)
}

// walkGroth16ProvingKey walks gnark's raw BN254 Groth16 proving key
// (groth16/bn254 ProvingKey.WriteRawTo) for r1cs, whose nbWires wires are
// nbPublic public, nbSecret secret and nbInternal internal, of which nbPriv
// are neither public, nor committed, nor commitments:
//
//	domain: uint64 N, 1/N, ω, 1/ω, g, 1/g (fr), byte 1 (precomputed):
//	  exactly fft.NewDomain(number of constraints)
//	[α]₁ [β]₁ [δ]₁ (G1)
//	uint32 nbWires − NbInfinityA, A (G1 each)
//	uint32 nbWires − NbInfinityB, B (G1 each)
//	uint32 N − 1, Z (G1 each)
//	uint32 nbPriv, K (G1 each)
//	[β]₂ [δ]₂ (G2), uint32 nbWires − NbInfinityB, B (G2 each)
//	uint64 nbWires, uint64 NbInfinityA, uint64 NbInfinityB
//	InfinityA, InfinityB: nbWires bytes each, 0 or 1, with NbInfinityA
//	  and NbInfinityB ones
//	uint32 number of commitments, each a Pedersen key: uint32 n, basis
//	  (G1 each), uint32 n, basis·σ (G1 each), n the private wires it commits
//
// G1 points are 64 raw bytes, G2 points 128.
func walkGroth16ProvingKey(body []byte, r1cs *csbn254.R1CS) error {
	commitments, ok := r1cs.CommitmentInfo.(constraint.Groth16Commitments)
	if !ok {
		return fmt.Errorf("circuit's commitments are a %T", r1cs.CommitmentInfo)
	}
	committed := commitments.GetPrivateCommitted()
	nbCommitted := 0
	for _, c := range committed {
		nbCommitted += len(c)
	}
	nbInternal, nbSecret, nbPublic := r1cs.GetNbVariables()
	nbWires := nbInternal + nbSecret + nbPublic
	nbPriv := nbSecret + nbInternal - nbCommitted - len(commitments)
	domain, err := circuitDomain(r1cs.GetNbConstraints())
	if err != nil {
		return err
	}
	var d bytes.Buffer
	if _, err := domain.WriteTo(&d); err != nil {
		return err
	}
	wantDomain := d.Bytes()
	wantDomain[len(wantDomain)-1] = 1 // gnark's setups precompute the twiddles

	w := gnarklayout.New(body)
	w.Expect(wantDomain, "domain")
	w.RawPoints(3, gnarklayout.G1Raw)
	nbA := w.LenAtMost(nbWires, "A")
	w.RawPoints(nbA, gnarklayout.G1Raw)
	nbB := w.LenAtMost(nbWires, "B")
	w.RawPoints(nbB, gnarklayout.G1Raw)
	w.Len(int(domain.Cardinality)-1, "Z")
	w.RawPoints(int(domain.Cardinality)-1, gnarklayout.G1Raw)
	w.Len(nbPriv, "K")
	w.RawPoints(nbPriv, gnarklayout.G1Raw)
	w.RawPoints(2, gnarklayout.G2Raw)
	w.Len(nbB, "B in G2")
	w.RawPoints(nbB, gnarklayout.G2Raw)
	w.Want(8, uint64(nbWires), "wire count")
	w.Want(8, uint64(nbWires-nbA), "A's count of points at infinity")
	w.Want(8, uint64(nbWires-nbB), "B's count of points at infinity")
	at := w.Offset()
	if n := w.Bools(nbWires, "InfinityA"); w.Err() == nil && n != nbWires-nbA {
		return fmt.Errorf("InfinityA at byte %d marks %d wires, want %d", at, n, nbWires-nbA)
	}
	at = w.Offset()
	if n := w.Bools(nbWires, "InfinityB"); w.Err() == nil && n != nbWires-nbB {
		return fmt.Errorf("InfinityB at byte %d marks %d wires, want %d", at, n, nbWires-nbB)
	}
	w.Len(len(commitments), "commitment keys")
	for _, c := range committed {
		w.Len(len(c), "commitment basis")
		w.RawPoints(len(c), gnarklayout.G1Raw)
		w.Len(len(c), "commitment basis·σ")
		w.RawPoints(len(c), gnarklayout.G1Raw)
	}
	return w.End()
}

// circuitDomain returns the FFT domain of size m rounded up to a power of
// two, without its precomputed twiddles, or an error where BN254's scalar
// field has no such domain (fft.NewDomain would panic).
func circuitDomain(m int) (*fft.Domain, error) {
	if _, err := fft.Generator(uint64(m)); m < 1 || err != nil {
		return nil, fmt.Errorf("no FFT domain of size %d", m)
	}
	return fft.NewDomain(uint64(m), fft.WithoutPrecompute()), nil
}

// walkPLONKProvingKey walks gnark's raw BN254 PLONK proving key
// (plonk/bn254 ProvingKey.WriteRawTo) for spr, with N the size of its
// domain (fft.NewDomain(constraints + public inputs)) and c its number of
// commitments:
//
//	verifying key: uint64 0 (marker), uint64 1 (version), uint64 N,
//	  1/N, ω (fr), uint64 number of public inputs, coset shift g (fr),
//	  N, 1/N, ω and g exactly those of the domain;
//	  S₁ S₂ S₃ Ql Qr Qm Qo Qk (G1), uint32 c, Qcp (G1 each),
//	  KZG [1]₁ (G1), [1]₂ [α]₂ (G2), their pairing lines (raw limbs),
//	  uint32 c, the circuit's commitment constraint indexes (uint64 each)
//	KZG key: uint32 N + 3, powers of τ (G1 each)
//	Lagrange KZG key: uint32 N, (G1 each)
//
// G1 points are 64 raw bytes, G2 points 128.
func walkPLONKProvingKey(body []byte, spr *csbn254.SparseR1CS) error {
	var indexes []int
	if spr.CommitmentInfo != nil {
		c, ok := spr.CommitmentInfo.(constraint.PlonkCommitments)
		if !ok {
			return fmt.Errorf("circuit's commitments are a %T", spr.CommitmentInfo)
		}
		indexes = c.CommitmentIndexes()
	}
	domain, err := circuitDomain(spr.GetNbConstraints() + spr.GetNbPublicVariables())
	if err != nil {
		return err
	}
	n := int(domain.Cardinality)
	sizeInv, gen, shift := domain.CardinalityInv.Bytes(), domain.Generator.Bytes(), domain.FrMultiplicativeGen.Bytes()

	w := gnarklayout.New(body)
	w.Want(8, 0, "version marker")
	// The versioned layout, which WriteRawTo writes; gnark also reads a
	// legacy one without marker and version, every later field 16 bytes
	// earlier.
	w.Want(8, uint64(plonkbn254.KeyVersion1), "version")
	w.Want(8, uint64(n), "domain size")
	w.Expect(sizeInv[:], "1/N")
	w.Expect(gen[:], "domain generator")
	w.Want(8, uint64(spr.GetNbPublicVariables()), "public count")
	w.Expect(shift[:], "coset shift")
	w.RawPoints(3+5, gnarklayout.G1Raw)
	w.Len(len(indexes), "Qcp")
	w.RawPoints(len(indexes), gnarklayout.G1Raw)
	w.RawPoints(1, gnarklayout.G1Raw)
	w.RawPoints(2, gnarklayout.G2Raw)
	w.Bytes(gnarklayout.KZGLines)
	w.Len(len(indexes), "commitment constraint indexes")
	for _, i := range indexes {
		w.Want(8, uint64(i), "commitment constraint index")
	}
	w.Len(n+3, "KZG key")
	w.RawPoints(n+3, gnarklayout.G1Raw)
	w.Len(n, "Lagrange KZG key")
	w.RawPoints(n, gnarklayout.G1Raw)
	return w.End()
}

// OpenInsecure returns Groth16 development keys for s from cacheDir,
// loading them as Trusted when they are present and intact, and otherwise
// (missing, corrupt or stale: another statement version or gnark release)
// running [SetupInsecure] and storing the result. Like that function, it is
// for tests, demos and examples only.
//
// ctx is checked between stages; see [Load] and [SetupInsecure].
func OpenInsecure(ctx context.Context, cacheDir string, s statement.Statement) (*Keys, error) {
	k, err := Load(ctx, cacheDir, s, verifier.Groth16, Trusted)
	if err == nil {
		return k, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrStaleKey) {
		return nil, err
	}
	k, err = SetupInsecure(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := k.WriteFiles(cacheDir); err != nil {
		return nil, err
	}
	return k, nil
}
