package membership

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/statement"
)

// The census proof file, the encoding of a [Proof] that a registrar hands a
// citizen:
//
//	magic    "ZKVOTECP" (8)
//	version  1          (1)
//	root     (32, canonical, never zero)
//	leaf     (32, the commitment: canonical, never zero)
//	index    uint64 BE  (8, below MaxLeaves)
//	length n uint8      (1, at most statement.MaxDepth)
//	path bits uint32 BE (4, bit j is PathBits[j]; bits n and above zero)
//	siblings            (n × 32, canonical)
//
// Every value has exactly one encoding: field elements are canonical, unused
// path bits are zero, and nothing may follow the last sibling.
const (
	proofMagic   = "ZKVOTECP"
	proofVersion = 1
	proofHeader  = len(proofMagic) + 1 + 2*field.Size + 8 + 1 + 4
)

// MaxProofSize is the length of the longest census proof file (a proof of
// statement.MaxDepth levels), the bound for a reader of untrusted files.
const MaxProofSize = proofHeader + statement.MaxDepth*field.Size

// ErrMalformedProof is wrapped by every decoding error of a census proof
// file.
var ErrMalformedProof = errors.New("membership: malformed census proof")

// Bytes returns the census proof file of p, which [ParseProof] reads back.
// A proof that [Proof.ComputeRoot] refuses (as many path bits as siblings,
// at most statement.MaxDepth of them), or whose index is not below
// [MaxLeaves], encodes to bytes that ParseProof refuses.
func (p *Proof) Bytes() []byte {
	n := len(p.Siblings)
	out := make([]byte, 0, proofHeader+n*field.Size)
	out = append(out, proofMagic...)
	out = append(out, proofVersion)
	root, leaf := field.Bytes(&p.Root), p.Leaf.Bytes()
	out = append(out, root[:]...)
	out = append(out, leaf[:]...)
	out = binary.BigEndian.AppendUint64(out, p.Index)
	if n != len(p.PathBits) || n > statement.MaxDepth {
		// Not a proof ComputeRoot accepts: a length no reader takes.
		return append(out, 0xff)
	}
	out = append(out, byte(n))
	var bits uint32
	for j, b := range p.PathBits {
		if b {
			bits |= 1 << j
		}
	}
	out = binary.BigEndian.AppendUint32(out, bits)
	for j := range p.Siblings {
		s := field.Bytes(&p.Siblings[j])
		out = append(out, s[:]...)
	}
	return out
}

// ParseProof decodes a census proof file strictly: the magic and version,
// canonical non-zero root and leaf, an index below [MaxLeaves], at most
// statement.MaxDepth siblings, each canonical, no path bit beyond them,
// nothing trailing, and an index that agrees with the path bits (each 1 bit
// of the index is a right turn at a hashed level, each hashed level's turn
// is the index's bit there). Every error wraps [ErrMalformedProof]. It
// allocates at most what the length byte justifies, and a parsed proof
// re-encodes to the same bytes.
//
// It does not verify the proof: [Proof.Verify] does, against a root the
// verifier accepts (an election's census head), never against the proof's
// own Root.
func ParseProof(b []byte) (*Proof, error) {
	bad := func(format string, a ...any) (*Proof, error) {
		return nil, fmt.Errorf("%w: %s", ErrMalformedProof, fmt.Sprintf(format, a...))
	}
	if len(b) < len(proofMagic)+1 || string(b[:len(proofMagic)]) != proofMagic || b[len(proofMagic)] != proofVersion {
		return bad("not a version %d census proof file", proofVersion)
	}
	if len(b) < proofHeader {
		return bad("truncated header (%d bytes)", len(b))
	}
	rest := b[len(proofMagic)+1:]
	p := new(Proof)
	var err error
	if p.Root, err = field.FromBytes(rest[:field.Size]); err != nil {
		return bad("root: %v", err)
	}
	if p.Root.IsZero() {
		return bad("root is zero")
	}
	rest = rest[field.Size:]
	if p.Leaf, err = CommitmentFromBytes(rest[:field.Size]); err != nil {
		return bad("leaf: %v", err)
	}
	rest = rest[field.Size:]
	p.Index = binary.BigEndian.Uint64(rest)
	if p.Index >= MaxLeaves {
		return bad("index %d is not below %d", p.Index, uint64(MaxLeaves))
	}
	n := int(rest[8])
	if n > statement.MaxDepth {
		return bad("length %d exceeds %d", n, statement.MaxDepth)
	}
	bits := binary.BigEndian.Uint32(rest[9:])
	if bits>>n != 0 {
		return bad("path bits beyond length %d", n)
	}
	rest = rest[13:]
	if len(rest) != n*field.Size {
		return bad("%d bytes of siblings, want %d", len(rest), n*field.Size)
	}
	p.Siblings = make([]fr.Element, n)
	p.PathBits = make([]bool, n)
	for j := range n {
		if p.Siblings[j], err = field.FromBytes(rest[j*field.Size : (j+1)*field.Size]); err != nil {
			return bad("sibling %d: %v", j, err)
		}
		p.PathBits[j] = bits>>j&1 == 1
	}
	if !pathFitsIndex(p.Index, p.PathBits) {
		return bad("index %d does not match the path bits", p.Index)
	}
	return p, nil
}

// pathFitsIndex reports whether bits can be the path bits of the leaf at
// index in some LeanIMT of depth at most statement.MaxDepth. At level k
// the path node is index>>k; when its low bit is 1 it is a right child and
// its sibling always exists, so the level is hashed with bit true; when it
// is 0 the level is hashed with bit false, or skipped if the node has no
// right sibling (a promoted left child). So bits must be the index's bits
// below the tree's depth with some 0 bits left out.
func pathFitsIndex(index uint64, bits []bool) bool {
	j := 0
	for k := range statement.MaxDepth {
		switch {
		case index>>k&1 == 1:
			if j >= len(bits) || !bits[j] {
				return false
			}
			j++
		case j < len(bits) && !bits[j]:
			j++ // a hashed left child; greedily matching falses is optimal
		}
	}
	return j == len(bits) && index>>statement.MaxDepth == 0
}
