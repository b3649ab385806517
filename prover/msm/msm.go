// Package msm computes, on a helper, the multi-scalar multiplications of
// a Groth16 proof that a prover hands away ([prover.Keys.WithHelper]).
//
// A Groth16 proof spends most of its time in five multi-scalar
// multiplications (MSMs), four over G1 and one over G2. Where a prover has
// one thread, as Go compiled to WebAssembly has in a browser, running
// some of them on a helper (a second Web Worker, with its own thread)
// makes a proof about twice as fast. This package is what such a helper
// runs; it imports only gnark-crypto, so that a helper compiled to
// WebAssembly stays small.
//
// Everything crosses between prover and helper as bytes:
//
//   - the bases of a part (its points of the proving key): [EncodeG1Bases]
//     and [EncodeG2Bases] on the prover, [ParseBases] on the helper, once
//     per key;
//   - the scalars of one proof: [EncodeScalars] on the prover, read by
//     [Bases.Run] on the helper, which returns the sum;
//   - the sum: read by [ParseG1] or [ParseG2] on the prover, which check it
//     is a point of the group.
//
// The helper is trusted to compute, not to keep a secret: the scalars are
// the proof's whole witness (including the voter's secret), so a helper
// must run where the prover does (the same page, the same machine). A
// helper that computes a wrong sum only makes a proof that does not
// verify, which a prover that checks its proofs (as zkvote's voters do)
// refuses to send.
package msm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Part names one MSM of a Groth16 proof that can run on a helper. The
// fifth, over the quotient's coefficients ([Z(τ)]₁), needs the prover's
// FFTs and stays with it.
type Part uint8

const (
	// A is Σ wᵢ·[Aᵢ(τ)]₁ over the wires whose A point is not infinity (G1).
	A Part = 1
	// B1 is Σ wᵢ·[Bᵢ(τ)]₁ over the wires whose B point is not infinity (G1).
	B1 Part = 2
	// K is Σ wᵢ·[Kᵢ(τ)]₁ over the private wires (G1).
	K Part = 3
	// B2 is Σ wᵢ·[Bᵢ(τ)]₂, the same wires as B1, in G2: the costliest.
	B2 Part = 4
)

// Parts lists every part, in order.
var Parts = []Part{A, B1, K, B2}

func (p Part) String() string {
	switch p {
	case A:
		return "A"
	case B1:
		return "B1"
	case K:
		return "K"
	case B2:
		return "B2"
	}
	return fmt.Sprintf("Part(%d)", uint8(p))
}

// Valid reports whether p is one of [Parts].
func (p Part) Valid() bool { return p >= A && p <= B2 }

// G2 reports whether p's points are in G2.
func (p Part) G2() bool { return p == B2 }

// pointSize is the size of one of p's points, uncompressed.
func (p Part) pointSize() int {
	if p.G2() {
		return bn254.SizeOfG2AffineUncompressed
	}
	return bn254.SizeOfG1AffineUncompressed
}

// MaxPoints bounds the points of one part: 2^24, more than the wires of
// any circuit zkvote compiles (a depth-32 tally is below 2^21).
const MaxPoints = 1 << 24

// magic starts every encoding of bases.
var magic = [4]byte{'z', 'k', 'm', '1'}

// headerSize is magic, the part and the count.
const headerSize = len(magic) + 1 + 4

// EncodeG1Bases encodes the points of a G1 part (A, B1 or K) for
// [ParseBases]: a header (four bytes "zkm1", the part, the count as a
// big-endian uint32) and each point uncompressed (gnark-crypto's raw
// encoding).
func EncodeG1Bases(p Part, points []bn254.G1Affine) ([]byte, error) {
	if !p.Valid() || p.G2() {
		return nil, fmt.Errorf("msm: %v is not a G1 part", p)
	}
	if len(points) > MaxPoints {
		return nil, fmt.Errorf("msm: %d points, at most %d", len(points), MaxPoints)
	}
	out := header(p, len(points))
	for i := range points {
		b := points[i].RawBytes()
		out = append(out, b[:]...)
	}
	return out, nil
}

// EncodeG2Bases encodes the points of part B2, as [EncodeG1Bases] does.
func EncodeG2Bases(points []bn254.G2Affine) ([]byte, error) {
	if len(points) > MaxPoints {
		return nil, fmt.Errorf("msm: %d points, at most %d", len(points), MaxPoints)
	}
	out := header(B2, len(points))
	for i := range points {
		b := points[i].RawBytes()
		out = append(out, b[:]...)
	}
	return out, nil
}

func header(p Part, n int) []byte {
	out := make([]byte, 0, headerSize+n*p.pointSize())
	out = append(out, magic[:]...)
	out = append(out, byte(p))
	return binary.BigEndian.AppendUint32(out, uint32(n))
}

// Bases are the points of one part, as a helper holds them.
type Bases struct {
	part Part
	g1   []bn254.G1Affine
	g2   []bn254.G2Affine
}

// Part returns the part the bases are for.
func (b *Bases) Part() Part { return b.part }

// Len returns the number of points, which is the number of scalars
// [Bases.Run] takes.
func (b *Bases) Len() int {
	if b.part.G2() {
		return len(b.g2)
	}
	return len(b.g1)
}

// ParseBases reads bases in the encoding of [EncodeG1Bases] and
// [EncodeG2Bases]: the header, then exactly its count of points, each with
// canonical coordinates and on the curve (or the point at infinity).
// Points of G2 are not checked to be in the subgroup, which would take
// seconds in a browser: bases come from the prover that will use the sum,
// and a point outside the group only makes a proof that does not verify.
// Any failure is an error, never a panic.
func ParseBases(data []byte) (*Bases, error) {
	if len(data) < headerSize || !bytes.Equal(data[:len(magic)], magic[:]) {
		return nil, errors.New("msm: not an encoding of bases")
	}
	p := Part(data[len(magic)])
	if !p.Valid() {
		return nil, fmt.Errorf("msm: unknown part %d", uint8(p))
	}
	n := binary.BigEndian.Uint32(data[len(magic)+1:])
	if n > MaxPoints {
		return nil, fmt.Errorf("msm: %d points, at most %d", n, MaxPoints)
	}
	body := data[headerSize:]
	if want := int(n) * p.pointSize(); len(body) != want {
		return nil, fmt.Errorf("msm: %d points of part %v need %d bytes, have %d", n, p, want, len(body))
	}
	b := &Bases{part: p}
	size := p.pointSize()
	if p.G2() {
		b.g2 = make([]bn254.G2Affine, n)
		for i := range b.g2 {
			if err := readG2(&b.g2[i], body[i*size:(i+1)*size], false); err != nil {
				return nil, fmt.Errorf("msm: point %d of part %v: %v", i, p, err)
			}
		}
		return b, nil
	}
	b.g1 = make([]bn254.G1Affine, n)
	for i := range b.g1 {
		if err := readG1(&b.g1[i], body[i*size:(i+1)*size]); err != nil {
			return nil, fmt.Errorf("msm: point %d of part %v: %v", i, p, err)
		}
	}
	return b, nil
}

// The top two bits of a point's first byte in gnark-crypto's encoding,
// zero for an uncompressed point. The point at infinity is all zeros.
const (
	flagMask         = 0b11 << 6
	flagUncompressed = 0b00 << 6
)

// readG1 reads an uncompressed G1 point: canonical coordinates on the
// curve, or the point at infinity (all zeros). BN254's G1 is the
// whole curve, so on the curve is in the group.
func readG1(p *bn254.G1Affine, buf []byte) error {
	if buf[0]&flagMask != flagUncompressed {
		return errors.New("not an uncompressed point")
	}
	dec := bn254.NewDecoder(bytes.NewReader(buf), bn254.NoSubgroupChecks())
	if err := dec.Decode(p); err != nil {
		return err
	}
	if !p.IsOnCurve() {
		return errors.New("not on the curve")
	}
	return nil
}

// readG2 reads an uncompressed G2 point like readG1, checking it is in the
// subgroup only if subgroup is set.
func readG2(p *bn254.G2Affine, buf []byte, subgroup bool) error {
	if buf[0]&flagMask != flagUncompressed {
		return errors.New("not an uncompressed point")
	}
	// Read the coordinates with a decoder that skips the subgroup check
	// (SetBytes would always make it), then check the curve equation.
	dec := bn254.NewDecoder(bytes.NewReader(buf), bn254.NoSubgroupChecks())
	if err := dec.Decode(p); err != nil {
		return err
	}
	if !p.IsOnCurve() {
		return errors.New("not on the curve")
	}
	if subgroup && !p.IsInSubGroup() {
		return errors.New("not in the subgroup")
	}
	return nil
}

// EncodeScalars encodes the scalars of one part for [Bases.Run]: each 32
// bytes, big-endian, canonical.
func EncodeScalars(s []fr.Element) []byte {
	out := make([]byte, 0, len(s)*fr.Bytes)
	for i := range s {
		b := s[i].Bytes()
		out = append(out, b[:]...)
	}
	return out
}

// Run returns the encoding of Σ scalars[i]·bases[i]: uncompressed, 64
// bytes in G1, 128 in G2. scalars must hold exactly [Bases.Len] scalars
// in the encoding of [EncodeScalars], each below the group order. tasks
// bounds the goroutines the sum uses (at least 1; a helper in a browser
// has one thread).
func (b *Bases) Run(scalars []byte, tasks int) ([]byte, error) {
	n := b.Len()
	if len(scalars) != n*fr.Bytes {
		return nil, fmt.Errorf("msm: part %v takes %d scalars (%d bytes), have %d bytes", b.part, n, n*fr.Bytes, len(scalars))
	}
	s := make([]fr.Element, n)
	for i := range s {
		if err := s[i].SetBytesCanonical(scalars[i*fr.Bytes : (i+1)*fr.Bytes]); err != nil {
			return nil, fmt.Errorf("msm: scalar %d of part %v: %v", i, b.part, err)
		}
	}
	cfg := ecc.MultiExpConfig{NbTasks: max(tasks, 1)}
	if b.part.G2() {
		var sum bn254.G2Affine
		if n > 0 {
			if _, err := sum.MultiExp(b.g2, s, cfg); err != nil {
				return nil, fmt.Errorf("msm: part %v: %v", b.part, err)
			}
		}
		out := sum.RawBytes()
		return out[:], nil
	}
	var sum bn254.G1Affine
	if n > 0 {
		if _, err := sum.MultiExp(b.g1, s, cfg); err != nil {
			return nil, fmt.Errorf("msm: part %v: %v", b.part, err)
		}
	}
	out := sum.RawBytes()
	return out[:], nil
}

// ParseG1 reads the sum of a G1 part as [Bases.Run] encodes it: a point of
// the group, or infinity.
func ParseG1(data []byte) (bn254.G1Affine, error) {
	var p bn254.G1Affine
	if len(data) != bn254.SizeOfG1AffineUncompressed {
		return p, fmt.Errorf("msm: a G1 sum of %d bytes, want %d", len(data), bn254.SizeOfG1AffineUncompressed)
	}
	if err := readG1(&p, data); err != nil {
		return p, fmt.Errorf("msm: G1 sum: %v", err)
	}
	return p, nil
}

// ParseG2 reads the sum of part B2 as [Bases.Run] encodes it: a point of
// the group (checked), or infinity.
func ParseG2(data []byte) (bn254.G2Affine, error) {
	var p bn254.G2Affine
	if len(data) != bn254.SizeOfG2AffineUncompressed {
		return p, fmt.Errorf("msm: a G2 sum of %d bytes, want %d", len(data), bn254.SizeOfG2AffineUncompressed)
	}
	if err := readG2(&p, data, true); err != nil {
		return p, fmt.Errorf("msm: G2 sum: %v", err)
	}
	return p, nil
}
