package prover_test

// Proving-key files loaded as Checked come from elsewhere (a ceremony's
// coordinator, a download), and their SHA-256 and header are no defence:
// whoever crafts the body recomputes the hash and copies the public circuit
// digest and vk ID. gnark's ProvingKey.ReadFrom trusts every length word of
// the body (the domain size, with its "precomputed" byte; vector lengths;
// the wire count; commitment counts) and allocates from it, and its point
// decoder takes a compressed point where the raw one belongs, which moves
// every later field. Each crafted body below must be refused with an error,
// quickly, under an address-space limit in a child process
// (internal/memlimit), never by a crash, and the canonical encoding is the
// only one accepted.
//
// The crafted bodies are built from gnark v0.16.3's layout (groth16/bn254
// and plonk/bn254 ProvingKey.WriteRawTo: raw points, G1 64 bytes, G2 128),
// read here field by field, independently of the prover's own walk.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"

	"github.com/netstate/zkvote/internal/memlimit"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

const (
	// pkDepth keeps the keys small.
	pkDepth = 2
	// pkWithin bounds a refusal: a Checked load compiles the depth-2
	// circuit before it looks at the body.
	pkWithin = 3 * time.Second
	// pkDomain is the size of gnark's encoded fft.Domain: uint64
	// cardinality, five field elements, a "precomputed" byte.
	pkDomain = 8 + 5*32 + 1
	// Raw point sizes.
	pkG1, pkG2 = 64, 128
)

// pkFiles is a set of key files in memory and the position of the proving
// key's body in its file.
type pkFiles struct {
	files   map[string][]byte
	pkName  string
	bodyOff int
}

// writePKFiles writes k's files and reads them back.
func writePKFiles(t *testing.T, k interface{ WriteFiles(string) error }) *pkFiles {
	t.Helper()
	dir := t.TempDir()
	if err := k.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &pkFiles{files: map[string][]byte{}}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		f.files[e.Name()] = b
		if filepath.Ext(e.Name()) == ".pk" {
			f.pkName = e.Name()
		}
	}
	pk := f.files[f.pkName]
	// magic 8 | version | kind | backend | name length | name
	// | gnark length | gnark | digest 32 | vk ID 32 | body length 8 | SHA-256 32
	off := 12 + int(pk[11])
	off += 1 + int(pk[off]) + 64
	f.bodyOff = off + 40
	return f
}

// body returns the proving key's body.
func (f *pkFiles) body() []byte { return bytes.Clone(f.files[f.pkName][f.bodyOff:]) }

// with returns the proving-key file with body b, its length and hash
// recomputed.
func (f *pkFiles) with(b []byte) []byte {
	out := bytes.Clone(f.files[f.pkName][:f.bodyOff])
	binary.BigEndian.PutUint64(out[f.bodyOff-40:], uint64(len(b)))
	s := sha256.Sum256(b)
	copy(out[f.bodyOff-32:], s[:])
	return append(out, b...)
}

// load writes the files, the proving key replaced by pk, and loads them.
func (f *pkFiles) load(dir string, pk []byte, load func(string) error) error {
	for name, b := range f.files {
		if name == f.pkName {
			b = pk
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return load(dir)
}

// put returns a copy of b[:end] (all of b for end < 0) with v written at off.
func put(b []byte, end, off int, v []byte) []byte {
	if end < 0 {
		end = len(b)
	}
	x := bytes.Clone(b[:end])
	copy(x[off:], v)
	return x
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// runPKCases loads every crafted body, in both modes, and requires
// ErrCorrupt; the unchanged body must load. For each mode one child
// process under the memory cap loads all the bodies in turn (a child per
// body would repeat the setup each time), printing each case's name first
// so that a crash names it.
func runPKCases(t *testing.T, f *pkFiles, cases map[string][]byte, load func(dir string, mode prover.LoadMode) error) {
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, mode := range []struct {
		name string
		mode prover.LoadMode
	}{{"checked", prover.Checked}, {"trusted", prover.Trusted}} {
		load := func(dir string) error { return load(dir, mode.mode) }
		if err := f.load(t.TempDir(), f.files[f.pkName], load); err != nil {
			t.Fatalf("%s: the honest key does not load: %v", mode.name, err)
		}
		memlimit.Run(t, mode.name, time.Duration(len(cases))*pkWithin, func() error {
			var failed []string
			for _, name := range names {
				fmt.Printf("case %q\n", name)
				start := time.Now()
				err := f.load(t.TempDir(), f.with(cases[name]), load)
				if d := time.Since(start); d > pkWithin {
					failed = append(failed, fmt.Sprintf("%s: refused in %v", name, d))
				}
				if !errors.Is(err, prover.ErrCorrupt) {
					failed = append(failed, fmt.Sprintf("%s: got %v, want ErrCorrupt", name, err))
				}
			}
			if len(failed) > 0 {
				return errors.New(strings.Join(failed, "; "))
			}
			return nil
		})
	}
}

// TestLoadKeysCheckedBounded: Groth16 proving keys with crafted lengths,
// flags and point encodings are refused by Load quickly and
// within bounded memory.
func TestLoadKeysCheckedBounded(t *testing.T) {
	ctx := context.Background()
	k, err := prover.SetupInsecure(ctx, statement.Membership(pkDepth))
	if err != nil {
		t.Fatal(err)
	}
	f := writePKFiles(t, k)
	body := f.body()

	// Read the layout: domain, [α]₁ [β]₁ [δ]₁, then four G1 vectors
	// (A, B, Z, K), [β]₂ [δ]₂, a G2 vector (B), three uint64 (wires,
	// A's and B's points at infinity), two []bool of one byte per wire,
	// uint32 commitment count.
	off := pkDomain + 3*pkG1
	var vec [5]int // offsets of the length words of A, B, Z, K, B₂
	for i := range vec {
		if i == 4 {
			off += 2 * pkG2
		}
		vec[i] = off
		size := pkG1
		if i == 4 {
			size = pkG2
		}
		off += 4 + size*int(binary.BigEndian.Uint32(body[off:]))
	}
	wiresOff := off
	nbWires := int(binary.BigEndian.Uint64(body[off:]))
	infOff := off + 24
	commitOff := infOff + 2*nbWires
	if commitOff+4 != len(body) || !bytes.Equal(body[commitOff:], u32(0)) {
		t.Fatalf("layout: body of %d bytes, commitment count at %d", len(body), commitOff)
	}
	compressed := func(at int) []byte { // a compressed flag in the point at at
		b := bytes.Clone(body)
		b[at] |= 0x80
		return b
	}
	cases := map[string][]byte{
		// The reported crash: a domain of 2^40 with precomputed twiddles.
		"domain 2^40":        put(put(body, pkDomain, 0, u64(1<<40)), -1, pkDomain-1, []byte{1}),
		"domain 2^40 whole":  put(put(body, -1, 0, u64(1<<40)), -1, pkDomain-1, []byte{1}),
		"domain 2^20":        put(body, -1, 0, u64(1<<20)),
		"domain not precomp": put(body, -1, pkDomain-1, []byte{0}),
		"domain flag 2":      put(body, -1, pkDomain-1, []byte{2}),
		"A 2^32-1":           put(body, vec[0]+4, vec[0], u32(0xffffffff)),
		"A 2^32-1 whole":     put(body, -1, vec[0], u32(0xffffffff)),
		"B 2^32-1":           put(body, vec[1]+4, vec[1], u32(0xffffffff)),
		"Z 2^32-1":           put(body, vec[2]+4, vec[2], u32(0xffffffff)),
		"K 2^32-1":           put(body, vec[3]+4, vec[3], u32(0xffffffff)),
		"B2 2^32-1":          put(body, vec[4]+4, vec[4], u32(0xffffffff)),
		// The other reported crash: 2^40 wires, two []bool of 1 TiB each.
		"wires 2^40":        put(body, wiresOff+24, wiresOff, u64(1<<40)),
		"wires 2^40 whole":  put(body, -1, wiresOff, u64(1<<40)),
		"wires+1":           put(body, -1, wiresOff, u64(uint64(nbWires)+1)),
		"infinity count":    put(body, -1, wiresOff+8, u64(uint64(nbWires))),
		"infinity flag 2":   put(body, -1, infOff, []byte{2}),
		"infinity flipped":  put(body, -1, infOff, []byte{body[infOff] ^ 1}),
		"commitments 2^32":  put(body, -1, commitOff, u32(0xffffffff)),
		"commitment basis":  append(put(body, -1, commitOff, u32(1)), u32(0xffffffff)...),
		"compressed alpha":  compressed(pkDomain),
		"compressed A[0]":   compressed(vec[0] + 4),
		"compressed beta2":  compressed(vec[3] + 4 + pkG1*int(binary.BigEndian.Uint32(body[vec[3]:]))),
		"trailing byte":     append(bytes.Clone(body), 0),
		"truncated":         body[:len(body)-1],
		"truncated in A":    body[:vec[0]+4+pkG1/2],
		"empty":             {},
		"domain only":       body[:pkDomain],
		"shifted by a byte": append([]byte{0}, body[:len(body)-1]...),
	}
	runPKCases(t, f, cases, func(dir string, mode prover.LoadMode) error {
		_, err := prover.Load(ctx, dir, statement.Membership(pkDepth), verifier.Groth16, mode)
		return err
	})
}

// TestLoadKeysCheckedBoundedPLONK: the same for PLONK proving keys, whose
// body is gnark's PLONK verifying key (with its Qcp and commitment-index
// vectors), the KZG key (N+3 points) and its Lagrange form (N points).
func TestLoadKeysCheckedBoundedPLONK(t *testing.T) {
	ctx := context.Background()
	srs, err := kzg.NewSRS(1<<12+3, big.NewInt(77)) // toxic value known: tests only
	if err != nil {
		t.Fatal(err)
	}
	k, err := prover.SetupPLONK(ctx, statement.Membership(pkDepth), srs, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := writePKFiles(t, k)
	body := f.body()

	// Verifying key: uint64 marker 0, version 1, size N; 1/N, ω (fr);
	// uint64 public count; coset shift (fr); 8 G1; uint32 len(Qcp), Qcp;
	// [1]₁, [1]₂, [α]₂; pairing lines; uint32 len(indexes), uint64 each.
	// Then uint32 N+3 and the KZG points, uint32 N and the Lagrange ones.
	n := int(binary.BigEndian.Uint64(body[16:]))
	const sizeOff, publicOff = 16, 24 + 2*32
	qcpOff := publicOff + 8 + 32 + 8*pkG1
	linesOff := qcpOff + 4 + pkG1 + 2*pkG2
	lagOff := len(body) - 4 - n*pkG1
	kzgOff := lagOff - 4 - (n+3)*pkG1
	idxOff := kzgOff - 4
	if !bytes.Equal(body[qcpOff:qcpOff+4], u32(0)) || !bytes.Equal(body[idxOff:kzgOff], u32(0)) ||
		!bytes.Equal(body[kzgOff:kzgOff+4], u32(uint32(n+3))) || !bytes.Equal(body[lagOff:lagOff+4], u32(uint32(n))) ||
		idxOff <= linesOff {
		t.Fatalf("layout: N %d, body of %d bytes", n, len(body))
	}
	compressed := func(at int) []byte {
		b := bytes.Clone(body)
		b[at] |= 0x80
		return b
	}
	cases := map[string][]byte{
		"Qcp 2^32-1":            put(body, qcpOff+4, qcpOff, u32(0xffffffff)),
		"Qcp 2^32-1 whole":      put(body, -1, qcpOff, u32(0xffffffff)),
		"indexes 2^32-1":        put(body, idxOff+4, idxOff, u32(0xffffffff)),
		"indexes 2^32-1 whole":  put(body, -1, idxOff, u32(0xffffffff)),
		"KZG 2^32-1":            put(body, kzgOff+4, kzgOff, u32(0xffffffff)),
		"KZG 2^32-1 whole":      put(body, -1, kzgOff, u32(0xffffffff)),
		"Lagrange 2^32-1":       put(body, lagOff+4, lagOff, u32(0xffffffff)),
		"Lagrange 2^32-1 whole": put(body, -1, lagOff, u32(0xffffffff)),
		"KZG N+4":               put(body, -1, kzgOff, u32(uint32(n+4))),
		"size 2^40":             put(body, -1, sizeOff, u64(1<<40)),
		"size 2N":               put(body, -1, sizeOff, u64(uint64(2*n))),
		"public count":          put(body, -1, publicOff, u64(9)),
		"legacy marker":         put(body, -1, 0, u64(uint64(n))),
		"version 2":             put(body, -1, 8, u64(2)),
		"generator":             put(body, -1, publicOff-1, []byte{body[publicOff-1] ^ 1}),
		"compressed S1":         compressed(publicOff + 8 + 32),
		"compressed KZG[0]":     compressed(kzgOff + 4),
		"compressed last":       compressed(lagOff + 4 + (n-1)*pkG1),
		"trailing byte":         append(bytes.Clone(body), 0),
		"truncated":             body[:len(body)-1],
		"empty":                 {},
	}
	runPKCases(t, f, cases, func(dir string, mode prover.LoadMode) error {
		_, err := prover.Load(ctx, dir, statement.Membership(pkDepth), verifier.PLONK, mode)
		return err
	})
}
