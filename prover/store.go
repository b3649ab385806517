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

	"github.com/consensys/gnark-crypto/ecc"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"

	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/verifier"
)

// GnarkVersion is the gnark release the stored artefacts are made with. A
// file made with another gnark is stale: any gnark bump regenerates every
// key (SECURITY.md, item 1).
const GnarkVersion = "v0.16.3"

// Errors of stored keys.
var (
	// ErrCorruptKey: a key or circuit file failed its length or hash checks.
	ErrCorruptKey = errors.New("prover: corrupt key file")
	// ErrStaleKey: a key file is intact but was made for another circuit,
	// backend, verifying key or gnark version.
	ErrStaleKey = errors.New("prover: key file is for another circuit or gnark version")
)

// LoadMode says how much a proving-key file is trusted.
type LoadMode int

const (
	// Checked decodes every curve point with on-curve and subgroup checks
	// (about 110 ms for a depth-20 Groth16 key) and compiles the circuit
	// afresh. Use it for keys received from elsewhere (a ceremony).
	Checked LoadMode = iota
	// Trusted skips the point checks and reads the cached constraint
	// system (about 5 ms): only for files this machine wrote, whose SHA-256
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
// the vk ID binds a proving key to its verifying key.
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
		return h, nil, fmt.Errorf("%w: %s", ErrCorruptKey, what)
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
func (k *keys) WriteFiles(dir string) error {
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
	h := fileHeader{backend: k.Backend(), name: k.spec.name, gnark: GnarkVersion, digest: digest, vkID: k.vk.ID()}
	base := k.spec.fileBase(k.Backend())
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

// loadKeys reads spec's keys for backend b from dir. Every file's framing,
// hash, circuit, backend and gnark version are checked; a file for another
// circuit or gnark returns ErrStaleKey, a damaged one ErrCorruptKey, a
// missing one an error wrapping os.ErrNotExist.
func loadKeys(ctx context.Context, dir string, spec circuitSpec, b verifier.Backend, mode LoadMode) (*keys, error) {
	base := spec.fileBase(b)
	vkBytes, err := os.ReadFile(filepath.Join(dir, base+".vk"))
	if err != nil {
		return nil, fmt.Errorf("prover: %w", err)
	}
	vk, err := verifier.ParseVerifyingKey(vkBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptKey, err)
	}
	if vk.Circuit() != spec.name || vk.Backend() != b || vk.NbPublic() != spec.nbPublic {
		return nil, fmt.Errorf("%w: %s.vk holds %s/%v", ErrStaleKey, base, vk.Circuit(), vk.Backend())
	}
	pkFile, err := os.ReadFile(filepath.Join(dir, base+".pk"))
	if err != nil {
		return nil, fmt.Errorf("prover: %w", err)
	}
	ph, pkBody, err := decodeFile(pkFile)
	if err != nil {
		return nil, err
	}
	if ph.kind != kindPK || ph.backend != b || ph.name != spec.name || ph.gnark != GnarkVersion || ph.vkID != vk.ID() {
		return nil, fmt.Errorf("%w: %s.pk", ErrStaleKey, base)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ccs constraint.ConstraintSystem
	if mode == Trusted {
		ccs, err = readCircuit(filepath.Join(dir, base+".ccs"), ph, b)
	} else {
		ccs, err = spec.compile(ctx, b)
	}
	if err != nil {
		return nil, err
	}
	digest, _, err := circuitDigest(ccs)
	if err != nil {
		return nil, err
	}
	if digest != ph.digest {
		return nil, fmt.Errorf("%w: the proving key was made for another version of %s", ErrStaleKey, spec.name)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := bytes.NewReader(pkBody)
	k := &keys{spec: spec, ccs: ccs, vk: vk}
	switch b {
	case verifier.Groth16:
		k.pk = new(groth16bn254.ProvingKey)
		if mode == Trusted {
			_, err = k.pk.UnsafeReadFrom(r)
		} else {
			_, err = k.pk.ReadFrom(r)
		}
	case verifier.PLONK:
		k.ppk = new(plonkbn254.ProvingKey)
		if mode == Trusted {
			_, err = k.ppk.UnsafeReadFrom(r)
		} else {
			_, err = k.ppk.ReadFrom(r)
		}
	default:
		return nil, fmt.Errorf("prover: unknown backend %v", b)
	}
	if err != nil || r.Len() != 0 {
		return nil, fmt.Errorf("%w: proving key: %v", ErrCorruptKey, err)
	}
	return k, nil
}

// openInsecure loads spec's Groth16 development keys from cacheDir, or, when
// they are missing, corrupt or stale, runs the insecure setup and stores it.
func openInsecure(ctx context.Context, cacheDir string, spec circuitSpec) (*keys, error) {
	k, err := loadKeys(ctx, cacheDir, spec, verifier.Groth16, Trusted)
	if err == nil {
		return k, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, ErrCorruptKey) && !errors.Is(err, ErrStaleKey) {
		return nil, err
	}
	k, err = setupInsecure(ctx, spec)
	if err != nil {
		return nil, err
	}
	if err := k.WriteFiles(cacheDir); err != nil {
		return nil, err
	}
	return k, nil
}

// LoadMembershipKeys reads the depth-d membership keys for backend b from
// dir. Every file's framing, hash, circuit, backend and gnark version are
// checked; a file for another circuit or gnark returns ErrStaleKey, a damaged
// one ErrCorruptKey, a missing one an error wrapping os.ErrNotExist. mode
// says whether curve points are checked (see [LoadMode]).
//
// ctx is checked between files.
func LoadMembershipKeys(ctx context.Context, dir string, depth int, b verifier.Backend, mode LoadMode) (*MembershipKeys, error) {
	k, err := loadKeys(ctx, dir, membershipSpec(depth), b, mode)
	if err != nil {
		return nil, err
	}
	return &MembershipKeys{keys: *k, depth: depth}, nil
}

// OpenMembershipKeysInsecure returns Groth16 development keys for depth d
// from cacheDir, loading them as Trusted when they are present and intact,
// and otherwise (missing, corrupt or stale: another circuit version or gnark
// release) running [SetupMembershipInsecure] and storing the result. Like
// that function, it is for tests, demos and examples only.
func OpenMembershipKeysInsecure(ctx context.Context, cacheDir string, depth int) (*MembershipKeys, error) {
	k, err := openInsecure(ctx, cacheDir, membershipSpec(depth))
	if err != nil {
		return nil, err
	}
	return &MembershipKeys{keys: *k, depth: depth}, nil
}

// readCircuit reads a cached constraint system and checks it against the
// proving key's header.
func readCircuit(path string, ph fileHeader, b verifier.Backend) (constraint.ConstraintSystem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("prover: %w", err)
	}
	h, body, err := decodeFile(data)
	if err != nil {
		return nil, err
	}
	if h.kind != kindCCS || h.backend != b || h.name != ph.name || h.gnark != GnarkVersion || h.digest != ph.digest {
		return nil, fmt.Errorf("%w: %s", ErrStaleKey, filepath.Base(path))
	}
	if sha256.Sum256(body) != ph.digest {
		return nil, fmt.Errorf("%w: circuit digest", ErrCorruptKey)
	}
	var ccs interface {
		constraint.ConstraintSystem
		io.ReaderFrom
	}
	if b == verifier.Groth16 {
		ccs = new(csbn254.R1CS)
	} else {
		ccs = new(csbn254.SparseR1CS)
	}
	if _, err := ccs.ReadFrom(bytes.NewReader(body)); err != nil {
		return nil, fmt.Errorf("%w: circuit: %v", ErrCorruptKey, err)
	}
	if ccs.GetNbConstraints() == 0 || ccs.Field().Cmp(ecc.BN254.ScalarField()) != 0 {
		return nil, fmt.Errorf("%w: circuit", ErrCorruptKey)
	}
	return ccs, nil
}
