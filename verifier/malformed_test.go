package verifier_test

// Adversarial tests for the verifier's decoders (SECURITY.md, "Bad inputs
// and faults to test"): every malformed proof, public signal and verifying
// key must give a clean error with the right sentinel, never a panic, never a
// big allocation, and never a nil from Verify.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// malOpenBugs lists bugs this suite found in verifier/*.go that are not fixed
// yet. While an entry is here, its check skips (with the description) instead
// of failing; delete the entry once the code is fixed, and the check then
// fails if the bug comes back.
var malOpenBugs = map[string]bool{}

// malBug reports a known bug: a skip while it is listed in malOpenBugs, a failure
// otherwise. It does nothing when present is false.
func malBug(t *testing.T, id string, present bool, format string, args ...any) {
	t.Helper()
	if !present {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if malOpenBugs[id] {
		t.Skipf("open bug %s: %s", id, msg)
	}
	t.Errorf("bug %s: %s", id, msg)
}

// malFixture holds real artefacts: a depth-4 membership key and two valid
// proofs for it.
type malFixture struct {
	vk     *verifier.VerifyingKey
	vkFile []byte
	proof  *verifier.Proof // valid for vk
	enc    []byte          // proof.Bytes()
	other  *verifier.Proof // another valid proof: other member, other message
	g16    *groth16bn254.Proof
}

// off is the offset of the Groth16 data in enc.
func (f *malFixture) off() int { return len(f.enc) - verifier.Groth16ProofSize }

// vkHdr is the length of the verifying-key file header (magic to name).
func (f *malFixture) vkHdr() int { return 12 + int(f.vkFile[11]) }

var (
	malFixOnce sync.Once
	malFix     *malFixture
	malFixErr  error
)

func malArtefacts(tb testing.TB) *malFixture {
	tb.Helper()
	malFixOnce.Do(func() { malFix, malFixErr = newMalFixture() })
	if malFixErr != nil {
		tb.Fatal(malFixErr)
	}
	return malFix
}

func malFe(v uint64) fr.Element {
	var x fr.Element
	x.SetUint64(v)
	return x
}

func newMalFixture() (*malFixture, error) {
	ctx := context.Background()
	keys, err := prover.SetupInsecure(ctx, statement.Membership(4))
	if err != nil {
		return nil, err
	}
	tr := membership.NewTree(nil)
	if _, err := tr.InsertMany(ctx, membershiptest.Commitments(0, 5)); err != nil {
		return nil, err
	}
	prove := func(who, msg uint64) (*verifier.Proof, error) {
		tp, err := tr.Proof(who)
		if err != nil {
			return nil, err
		}
		w, err := prover.NewMembershipWitness(membershiptest.Identity(who), tp, malFe(7), malFe(msg))
		if err != nil {
			return nil, err
		}
		return keys.Prove(ctx, w)
	}
	f := &malFixture{vk: keys.VerifyingKey()}
	f.vkFile = f.vk.Bytes()
	if f.proof, err = prove(1, 99); err != nil {
		return nil, err
	}
	if f.other, err = prove(3, 100); err != nil {
		return nil, err
	}
	f.enc = f.proof.Bytes()
	if len(f.proof.Data) != verifier.Groth16ProofSize {
		return nil, fmt.Errorf("proof data is %d bytes", len(f.proof.Data))
	}
	// Our own, valid, exactly sized bytes: safe to hand to gnark.
	f.g16 = new(groth16bn254.Proof)
	if _, err := f.g16.ReadFrom(bytes.NewReader(f.proof.Data)); err != nil {
		return nil, err
	}
	if err := verifier.Verify(f.vk, f.proof); err != nil {
		return nil, fmt.Errorf("fixture proof does not verify: %v", err)
	}
	if err := verifier.Verify(f.vk, f.other); err != nil {
		return nil, fmt.Errorf("fixture proof does not verify: %v", err)
	}
	return f, nil
}

// withData returns the fixture proof's header and public signals followed
// by data.
func (f *malFixture) withData(data []byte) []byte {
	return append(bytes.Clone(f.enc[:f.off()]), data...)
}

// proofWith returns a copy of the fixture proof carrying data.
func (f *malFixture) proofWith(data []byte) *verifier.Proof {
	return &verifier.Proof{
		Backend: f.proof.Backend,
		KeyID:   f.proof.KeyID,
		Public:  append([]fr.Element(nil), f.proof.Public...),
		Data:    bytes.Clone(data),
	}
}

// malPatch returns a copy of b with p written at offset at.
func malPatch(b []byte, at int, p []byte) []byte {
	out := bytes.Clone(b)
	copy(out[at:], p)
	return out
}

// malCrashData is the 132-byte Groth16 proof that makes gnark's Proof.ReadFrom
// try to allocate 2³² G1 points (256 GiB) and kill the process: a valid
// prefix Ar | Bs | Krs, then a commitment count of 0xFFFFFFFF.
func malCrashData(f *malFixture) []byte {
	out := bytes.Clone(f.proof.Data[:128])
	return binary.BigEndian.AppendUint32(out, 0xFFFFFFFF)
}

// malNoPanic runs fn and fails the test if it panics.
func malNoPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s panicked: %v", what, r)
		}
	}()
	fn()
}

// malRequireMalformedProof checks that b is rejected by ParseProof with
// ErrMalformedProof, and that data alone (if not nil) is rejected by Verify.
func malRequireMalformedProof(t *testing.T, f *malFixture, data []byte, msgAndArgs ...any) {
	t.Helper()
	_, err := verifier.ParseProof(f.withData(data))
	require.ErrorIs(t, err, verifier.ErrMalformedProof, msgAndArgs...)
	require.ErrorIs(t, err, verifier.ErrMalformed, msgAndArgs...)
	err = verifier.Verify(f.vk, f.proofWith(data))
	require.ErrorIs(t, err, verifier.ErrMalformedProof, msgAndArgs...)
}

// malAllocated returns the bytes allocated while fn runs.
func malAllocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// --- Proof bytes ------------------------------------------------------------

func TestParseProofValid(t *testing.T) {
	f := malArtefacts(t)
	p, err := verifier.ParseProof(f.enc)
	require.NoError(t, err)
	require.Equal(t, f.enc, p.Bytes())
	require.NoError(t, verifier.Verify(f.vk, p))
}

func TestParseProofEmpty(t *testing.T) {
	for _, b := range [][]byte{nil, {}} {
		_, err := verifier.ParseProof(b)
		require.ErrorIs(t, err, verifier.ErrMalformedProof)
		require.ErrorIs(t, err, verifier.ErrMalformed)
	}
	f := malArtefacts(t)
	for _, data := range [][]byte{nil, {}} {
		require.ErrorIs(t, verifier.Verify(f.vk, f.proofWith(data)), verifier.ErrMalformedProof)
	}
}

// TestParseProofTruncated: every proper prefix of a valid proof file, and
// every proper prefix of its Groth16 data, is malformed.
func TestParseProofTruncated(t *testing.T) {
	f := malArtefacts(t)
	for n := 0; n < len(f.enc); n++ {
		_, err := verifier.ParseProof(f.enc[:n])
		require.ErrorIs(t, err, verifier.ErrMalformed, "prefix of %d bytes", n)
		if !errors.Is(err, verifier.ErrMalformedProof) {
			// Cut inside the public signals.
			require.ErrorIs(t, err, verifier.ErrMalformedPublic, "prefix of %d bytes", n)
			require.Less(t, n, f.off(), "prefix of %d bytes", n)
		}
	}
	for n := 0; n < len(f.proof.Data); n++ {
		require.ErrorIs(t, verifier.Verify(f.vk, f.proofWith(f.proof.Data[:n])), verifier.ErrMalformedProof, "data prefix of %d bytes", n)
	}
}

func TestParseProofTrailing(t *testing.T) {
	f := malArtefacts(t)
	for _, tail := range [][]byte{{0}, {0xff}, make([]byte, 32), f.proof.Data, f.enc} {
		_, err := verifier.ParseProof(append(bytes.Clone(f.enc), tail...))
		require.ErrorIs(t, err, verifier.ErrMalformedProof, "%d trailing bytes", len(tail))
		data := append(bytes.Clone(f.proof.Data), tail...)
		require.ErrorIs(t, verifier.Verify(f.vk, f.proofWith(data)), verifier.ErrMalformedProof, "%d trailing bytes", len(tail))
	}
}

// TestProofHugeLengthHeader feeds the 132-byte input that makes gnark's
// Proof.ReadFrom attempt a 256 GiB allocation (SECURITY.md, fact 3). It must
// be a clean error, with no big allocation, whether it comes wrapped in our
// header, as a Proof's Data, in JSON, or padded to the exact proof size.
func TestProofHugeLengthHeader(t *testing.T) {
	f := malArtefacts(t)
	crash := malCrashData(f)
	require.Len(t, crash, 132)
	require.Equal(t, uint32(0xFFFFFFFF), binary.BigEndian.Uint32(crash[128:]))
	// The prefix is valid-looking: gnark gets past Ar, Bs and Krs, so it
	// reaches the commitment count and trusts it.
	var g1 bn254.G1Affine
	var g2 bn254.G2Affine
	_, err := g1.SetBytes(crash[0:32])
	require.NoError(t, err)
	_, err = g2.SetBytes(crash[32:96])
	require.NoError(t, err)
	_, err = g1.SetBytes(crash[96:128])
	require.NoError(t, err)

	// Padded with an infinity PoK to the exact canonical size, so the
	// length check alone does not catch it.
	var inf bn254.G1Affine
	infb := inf.Bytes()
	padded := append(bytes.Clone(crash), infb[:]...)
	require.Len(t, padded, verifier.Groth16ProofSize)

	js := func(data []byte) []byte {
		p := f.proofWith(f.proof.Data)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		return bytes.Replace(b, []byte(hex.EncodeToString(f.proof.Data)), []byte(hex.EncodeToString(data)), 1)
	}

	for _, data := range [][]byte{crash, padded} {
		var errs [3]error
		n := malAllocated(func() {
			_, errs[0] = verifier.ParseProof(f.withData(data))
			errs[1] = verifier.Verify(f.vk, f.proofWith(data))
			var p verifier.Proof
			errs[2] = p.UnmarshalJSON(js(data))
		})
		for i, err := range errs {
			require.ErrorIs(t, err, verifier.ErrMalformedProof, "path %d, %d bytes", i, len(data))
		}
		require.Less(t, n, uint64(1<<20), "allocated %d bytes on a crafted length header", n)
	}
}

// TestProofRawEncoding: gnark's uncompressed encoding of the same, valid
// proof verifies in gnark but is not our canonical encoding.
func TestProofRawEncoding(t *testing.T) {
	f := malArtefacts(t)
	var raw bytes.Buffer
	_, err := f.g16.WriteRawTo(&raw)
	require.NoError(t, err)
	require.NotEqual(t, len(f.proof.Data), raw.Len())
	malRequireMalformedProof(t, f, raw.Bytes())
	// The raw encoding cut or padded to the canonical size: uncompressed
	// points do not fit 32- and 64-byte slots.
	malRequireMalformedProof(t, f, raw.Bytes()[:verifier.Groth16ProofSize])
	// Each point of the canonical proof replaced by its raw form, and the
	// whole re-cut to the canonical size.
	arRaw := f.g16.Ar.RawBytes()
	malRequireMalformedProof(t, f, malPatch(f.proof.Data, 0, arRaw[:32]), "raw Ar")
	krsRaw := f.g16.Krs.RawBytes()
	malRequireMalformedProof(t, f, malPatch(f.proof.Data, 96, krsRaw[:32]), "raw Krs")
	bsRaw := f.g16.Bs.RawBytes()
	malRequireMalformedProof(t, f, malPatch(f.proof.Data, 32, bsRaw[:64]), "raw Bs")
}

// malG1Offsets and malG2Offsets are where the proof's points start in its data.
var (
	malG1Offsets = map[string]int{"Ar": 0, "Krs": 96}
	malG2Offsets = map[string]int{"Bs": 32}
)

// malTwistB returns b' = 3/(9+u), the constant of the BN254 twist
// y² = x³ + b', computed here independently of gnark-crypto's table.
func malTwistB(t *testing.T) bn254.E2 {
	var xi, three, b bn254.E2
	xi.A0.SetUint64(9)
	xi.A1.SetOne()
	three.A0.SetUint64(3)
	b.Inverse(&xi).Mul(&b, &three)
	_, _, _, g2 := bn254.Generators()
	var lhs, rhs bn254.E2
	lhs.Square(&g2.Y)
	rhs.Square(&g2.X).Mul(&rhs, &g2.X).Add(&rhs, &b)
	require.True(t, lhs.Equal(&rhs), "twist constant")
	return b
}

// TestProofPointNotOnCurve: a compressed x with no y on the curve, in every
// point of the proof, under both sign flags.
func TestProofPointNotOnCurve(t *testing.T) {
	f := malArtefacts(t)
	var three fp.Element
	three.SetUint64(3)
	var x fp.Element
	for i := uint64(1); ; i++ {
		x.SetUint64(i)
		var y2 fp.Element
		y2.Square(&x).Mul(&y2, &x).Add(&y2, &three)
		if y2.Legendre() == -1 {
			break
		}
	}
	xb := x.Bytes()
	b := malTwistB(t)
	var x2 bn254.E2
	for i := uint64(1); ; i++ {
		x2.A0.SetUint64(i)
		x2.A1.SetUint64(1)
		var y2 bn254.E2
		y2.Square(&x2).Mul(&y2, &x2).Add(&y2, &b)
		if y2.Legendre() == -1 {
			break
		}
	}
	var x2b [64]byte
	a1, a0 := x2.A1.Bytes(), x2.A0.Bytes()
	copy(x2b[:32], a1[:])
	copy(x2b[32:], a0[:])
	for _, flag := range []byte{0x80, 0xC0} {
		p1 := bytes.Clone(xb[:])
		p1[0] |= flag
		for name, at := range malG1Offsets {
			malRequireMalformedProof(t, f, malPatch(f.proof.Data, at, p1), "%s off the curve, flag %#x", name, flag)
		}
		p2 := bytes.Clone(x2b[:])
		p2[0] |= flag
		for name, at := range malG2Offsets {
			malRequireMalformedProof(t, f, malPatch(f.proof.Data, at, p2), "%s off the curve, flag %#x", name, flag)
		}
	}
}

// TestProofCoordinateNotCanonical: x + p in place of x, for points whose x
// + p still fits the encoding. Without the check these bytes would decode to
// the very same point (gnark-crypto's SetBytes reduces nothing, but any
// decoder that reduces would) and the proof would verify.
func TestProofCoordinateNotCanonical(t *testing.T) {
	f := malArtefacts(t)
	p := fp.Modulus()
	limit254 := new(big.Int).Lsh(big.NewInt(1), 254)
	limit256 := new(big.Int).Lsh(big.NewInt(1), 256)
	tried := 0
	// G1: x sits in 254 bits under two flag bits.
	g1Gen := func() bn254.G1Affine { _, _, g, _ := bn254.Generators(); return g }()
	for name, pt := range map[string]bn254.G1Affine{"Ar": f.g16.Ar, "Krs": f.g16.Krs, "generator": g1Gen} {
		enc := pt.Bytes()
		flags := enc[0] & 0xC0
		x := new(big.Int).SetBytes(append([]byte{enc[0] &^ 0xC0}, enc[1:]...))
		for _, bad := range []*big.Int{new(big.Int).Add(x, p), new(big.Int).Set(p), new(big.Int).Sub(limit254, big.NewInt(1))} {
			if bad.Cmp(limit254) >= 0 {
				continue
			}
			var nb [32]byte
			bad.FillBytes(nb[:])
			nb[0] |= flags
			for slot, at := range malG1Offsets {
				tried++
				malRequireMalformedProof(t, f, malPatch(f.proof.Data, at, nb[:]), "%s as %s with x=%v", name, slot, bad)
			}
		}
	}
	// G2: X = A1·u + A0; A0 fills the second 32 bytes, without flags.
	enc := f.g16.Bs.Bytes()
	a0 := new(big.Int).SetBytes(enc[32:])
	for _, bad := range []*big.Int{new(big.Int).Add(a0, p), new(big.Int).Set(p), new(big.Int).Sub(limit256, big.NewInt(1))} {
		if bad.Cmp(limit256) >= 0 {
			continue
		}
		nb := bytes.Clone(enc[:])
		bad.FillBytes(nb[32:])
		tried++
		malRequireMalformedProof(t, f, malPatch(f.proof.Data, 32, nb), "Bs with X.A0=%v", bad)
	}
	// G2: A1 + p, where it fits 254 bits.
	a1 := new(big.Int).SetBytes(append([]byte{enc[0] &^ 0xC0}, enc[1:32]...))
	if bad := new(big.Int).Add(a1, p); bad.Cmp(limit254) < 0 {
		nb := bytes.Clone(enc[:])
		var hi [32]byte
		bad.FillBytes(hi[:])
		hi[0] |= enc[0] & 0xC0
		copy(nb, hi[:])
		tried++
		malRequireMalformedProof(t, f, malPatch(f.proof.Data, 32, nb), "Bs with X.A1+p")
	}
	require.Greater(t, tried, 6)
}

// TestProofInfinity: the point at infinity as Ar, Bs or Krs (all three
// encode canonically) must be rejected, at parse or at Verify. Non-canonical
// encodings of infinity are malformed.
func TestProofInfinity(t *testing.T) {
	f := malArtefacts(t)
	var inf1 bn254.G1Affine
	var inf2 bn254.G2Affine
	i1, i2 := inf1.Bytes(), inf2.Bytes()
	cases := map[string][]byte{
		"Ar":  malPatch(f.proof.Data, 0, i1[:]),
		"Bs":  malPatch(f.proof.Data, 32, i2[:]),
		"Krs": malPatch(f.proof.Data, 96, i1[:]),
		"all": malPatch(malPatch(malPatch(f.proof.Data, 0, i1[:]), 32, i2[:]), 96, i1[:]),
	}
	for name, data := range cases {
		p, err := verifier.ParseProof(f.withData(data))
		if err != nil {
			require.ErrorIs(t, err, verifier.ErrMalformedProof, name)
			continue
		}
		require.ErrorIs(t, verifier.Verify(f.vk, p), verifier.ErrInvalidProof, "%s at infinity", name)
		t.Logf("%s at infinity parses and is rejected by Verify", name)
	}
	// Infinity flag with stray bits set, and the uncompressed flag in a
	// compressed slot.
	for name, at := range malG1Offsets {
		for _, first := range []byte{0x41, 0x60, 0x7F, 0x00} {
			nb := bytes.Clone(i1[:])
			nb[0] = first
			malRequireMalformedProof(t, f, malPatch(f.proof.Data, at, nb), "%s first byte %#x", name, first)
		}
		nb := bytes.Clone(i1[:])
		nb[31] = 1
		malRequireMalformedProof(t, f, malPatch(f.proof.Data, at, nb), "%s infinity with a set low bit", name)
	}
	nb := bytes.Clone(i2[:])
	nb[63] = 1
	malRequireMalformedProof(t, f, malPatch(f.proof.Data, 32, nb), "Bs infinity with a set low bit")
	// x = 0 under either sign flag: whether or not (0, ±√3) is a point, it
	// must not give a valid proof.
	for name, at := range malG1Offsets {
		for _, first := range []byte{0x80, 0xC0} {
			nb := make([]byte, 32)
			nb[0] = first
			p, err := verifier.ParseProof(f.withData(malPatch(f.proof.Data, at, nb)))
			if err != nil {
				require.ErrorIs(t, err, verifier.ErrMalformedProof)
				continue
			}
			require.ErrorIs(t, verifier.Verify(f.vk, p), verifier.ErrInvalidProof, "%s with x = 0, flag %#x", name, first)
		}
	}
}

// TestProofG2NotInSubgroup: a point on the twist curve but outside the
// prime-order subgroup (SvdW map without cofactor clearing), as Bs. G1 has
// cofactor 1: every G1 point on the curve is in the subgroup, so the G1
// counterpart is the off-curve test above.
func TestProofG2NotInSubgroup(t *testing.T) {
	f := malArtefacts(t)
	found := 0
	for i := uint64(1); found < 4 && i < 64; i++ {
		var u bn254.E2
		u.A0.SetUint64(i)
		u.A1.SetUint64(i * 7)
		q := bn254.MapToCurve2(&u)
		if !q.IsOnCurve() || q.IsInSubGroup() {
			continue
		}
		found++
		enc := q.Bytes()
		malRequireMalformedProof(t, f, malPatch(f.proof.Data, 32, enc[:]), "Bs outside G2, u=%d", i)
		// Its negation too (the other sign flag).
		var nq bn254.G2Affine
		nq.Neg(&q)
		enc = nq.Bytes()
		malRequireMalformedProof(t, f, malPatch(f.proof.Data, 32, enc[:]), "-Bs outside G2, u=%d", i)
	}
	require.Equal(t, 4, found, "no point outside G2 found")
	// gnark-crypto's own helper.
	var u bn254.E2
	u.A0.SetUint64(12345)
	j := bn254.GeneratePointNotInG2(u)
	var q bn254.G2Affine
	q.FromJacobian(&j)
	require.True(t, q.IsOnCurve())
	require.False(t, q.IsInSubGroup())
	enc := q.Bytes()
	malRequireMalformedProof(t, f, malPatch(f.proof.Data, 32, enc[:]), "GeneratePointNotInG2")
}

// TestProofCommitments: our keys have no commitments, so the count must be 0
// and the proof of knowledge the point at infinity.
func TestProofCommitments(t *testing.T) {
	f := malArtefacts(t)
	for _, n := range []uint32{1, 2, 0x80000000, 0xFFFFFFFF} {
		var c [4]byte
		binary.BigEndian.PutUint32(c[:], n)
		malRequireMalformedProof(t, f, malPatch(f.proof.Data, 128, c[:]), "commitment count %d", n)
	}
	_, _, g1, _ := bn254.Generators()
	for name, pt := range map[string]bn254.G1Affine{"generator": g1, "Ar": f.g16.Ar, "Krs": f.g16.Krs} {
		enc := pt.Bytes()
		malRequireMalformedProof(t, f, malPatch(f.proof.Data, 132, enc[:]), "PoK = %s", name)
	}
	malRequireMalformedProof(t, f, malPatch(f.proof.Data, 132, make([]byte, 32)), "PoK all zero")
	// A real commitment count of 1 with one commitment and a PoK: the gnark
	// layout of a proof with commitments, 32 bytes longer.
	withC := bytes.Clone(f.proof.Data[:128])
	withC = binary.BigEndian.AppendUint32(withC, 1)
	gb := g1.Bytes()
	withC = append(withC, gb[:]...)
	withC = append(withC, gb[:]...)
	malRequireMalformedProof(t, f, withC, "one commitment")
}

// TestProofHeader: magic, version and backend.
func TestProofHeader(t *testing.T) {
	f := malArtefacts(t)
	for i := 0; i < 4; i++ {
		b := bytes.Clone(f.enc)
		b[i] ^= 0x20
		_, err := verifier.ParseProof(b)
		require.ErrorIs(t, err, verifier.ErrMalformedProof, "magic byte %d", i)
	}
	for _, v := range []byte{0, 2, 0xFF} {
		_, err := verifier.ParseProof(malPatch(f.enc, 4, []byte{v}))
		require.ErrorIs(t, err, verifier.ErrMalformedProof, "version %d", v)
	}
	for _, be := range []byte{0, 2, 3, 0xFF} {
		_, err := verifier.ParseProof(malPatch(f.enc, 5, []byte{be}))
		require.ErrorIs(t, err, verifier.ErrMalformedProof, "backend %d", be)
		q := f.proofWith(f.proof.Data)
		q.Backend = verifier.Backend(be)
		require.ErrorIs(t, verifier.Verify(f.vk, q), verifier.ErrKeyMismatch, "backend %d", be)
		var fromJSON verifier.Proof
		js, err := json.Marshal(q)
		require.NoError(t, err)
		require.ErrorIs(t, fromJSON.UnmarshalJSON(js), verifier.ErrMalformedProof, "backend %d in JSON", be)
	}
	// Only the header's 39 bytes, and fewer.
	for _, n := range []int{4, 38, 39} {
		_, err := verifier.ParseProof(f.enc[:n])
		require.ErrorIs(t, err, verifier.ErrMalformed, "%d bytes", n)
	}
}

// TestProofKeyMismatch: a proof naming another key ID is refused before any
// pairing, and so is a proof for another key given the right ID.
func TestProofKeyMismatch(t *testing.T) {
	f := malArtefacts(t)
	for i := 0; i < 32; i++ {
		q := f.proofWith(f.proof.Data)
		q.KeyID[i] ^= 1
		require.ErrorIs(t, verifier.Verify(f.vk, q), verifier.ErrKeyMismatch, "key ID byte %d", i)
		p, err := verifier.ParseProof(malPatch(f.enc, 6+i, []byte{f.enc[6+i] ^ 1}))
		require.NoError(t, err)
		require.ErrorIs(t, verifier.Verify(f.vk, p), verifier.ErrKeyMismatch)
	}
}

// TestProofNegation: (−A, −B, C) is another valid encoding of the same
// statement (SECURITY.md, fact 4: proof bytes are not unique). Whatever
// Verify answers, the statement, and so the nullifier, cannot change.
func TestProofNegation(t *testing.T) {
	f := malArtefacts(t)
	neg := malNegated(t, f.proof.Data)
	p, err := verifier.ParseProof(f.withData(neg))
	require.NoError(t, err)
	require.NotEqual(t, f.enc, p.Bytes())
	err = verifier.Verify(f.vk, p)
	if err == nil {
		require.Equal(t, f.proof.Public, p.Public)
		require.Equal(t, f.proof.KeyID, p.KeyID)
		t.Log("(−A, −B, C) verifies: dedupe ballots by nullifier, never by proof bytes")
	} else {
		require.ErrorIs(t, err, verifier.ErrInvalidProof)
	}
}

// malNegated returns the Groth16 data with Ar and Bs negated.
func malNegated(t testing.TB, data []byte) []byte {
	var a bn254.G1Affine
	var b bn254.G2Affine
	if _, err := a.SetBytes(data[0:32]); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetBytes(data[32:96]); err != nil {
		t.Fatal(err)
	}
	a.Neg(&a)
	b.Neg(&b)
	ab, bb := a.Bytes(), b.Bytes()
	return malPatch(malPatch(data, 0, ab[:]), 32, bb[:])
}

// --- Public signals ---------------------------------------------------------

// malEncodeWithPublic encodes the fixture proof with the given raw 32-byte
// public signals and count byte.
func malEncodeWithPublic(f *malFixture, count byte, signals [][]byte) []byte {
	out := bytes.Clone(f.enc[:38])
	out = append(out, count)
	for _, s := range signals {
		out = append(out, s...)
	}
	return append(out, f.proof.Data...)
}

func malSignalBytes(f *malFixture) [][]byte {
	out := make([][]byte, len(f.proof.Public))
	for i := range out {
		b := f.proof.Public[i].Bytes()
		out[i] = b[:]
	}
	return out
}

func TestPublicCount(t *testing.T) {
	f := malArtefacts(t)
	sig := malSignalBytes(f)
	require.Len(t, sig, 4)
	zero := make([]byte, 32)
	many := func(n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = sig[i%len(sig)]
		}
		return out
	}
	// Counts the format itself refuses.
	for _, n := range []int{0, 65, 255} {
		_, err := verifier.ParseProof(malEncodeWithPublic(f, byte(n), many(n)))
		require.ErrorIs(t, err, verifier.ErrMalformedPublic, "count %d", n)
	}
	// Counts the format allows but the key does not: parse, then Verify
	// says the signals are malformed for this key.
	for _, n := range []int{1, 3, 5, 64} {
		p, err := verifier.ParseProof(malEncodeWithPublic(f, byte(n), many(n)))
		require.NoError(t, err, "count %d", n)
		require.ErrorIs(t, verifier.Verify(f.vk, p), verifier.ErrMalformedPublic, "count %d", n)
	}
	// The count byte disagreeing with the signals present.
	for _, n := range []byte{3, 5, 64} {
		_, err := verifier.ParseProof(malEncodeWithPublic(f, n, sig))
		require.ErrorIs(t, err, verifier.ErrMalformed, "count byte %d over 4 signals", n)
	}
	// Four signals and a zero fifth, the count byte saying 5: the fifth
	// signal eats the first 32 bytes of the proof data.
	_, err := verifier.ParseProof(malEncodeWithPublic(f, 5, append(append([][]byte(nil), sig...), zero)[:4]))
	require.ErrorIs(t, err, verifier.ErrMalformed)
	// Verify on Proof values built in memory.
	for _, n := range []int{0, 3, 5, 65} {
		q := f.proofWith(f.proof.Data)
		q.Public = make([]fr.Element, n)
		copy(q.Public, f.proof.Public)
		require.ErrorIs(t, verifier.Verify(f.vk, q), verifier.ErrMalformedPublic, "%d signals", n)
		js, err := json.Marshal(q)
		require.NoError(t, err)
		var p verifier.Proof
		err = p.UnmarshalJSON(js)
		if n == 0 || n > statement.MaxPublic {
			require.ErrorIs(t, err, verifier.ErrMalformedPublic, "%d signals in JSON", n)
		} else {
			require.NoError(t, err)
			require.ErrorIs(t, verifier.Verify(f.vk, &p), verifier.ErrMalformedPublic, "%d signals from JSON", n)
		}
	}
}

// malNonCanonical are 32-byte values that are not field elements.
func malNonCanonical() map[string]*big.Int {
	r := fr.Modulus()
	return map[string]*big.Int{
		"r":       new(big.Int).Set(r),
		"r+1":     new(big.Int).Add(r, big.NewInt(1)),
		"r+7":     new(big.Int).Add(r, big.NewInt(7)), // 7 + r: the scope plus r
		"2r":      new(big.Int).Lsh(r, 1),
		"2^256-1": new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)),
	}
}

func TestPublicNotCanonical(t *testing.T) {
	f := malArtefacts(t)
	sig := malSignalBytes(f)
	for i := range sig {
		for name, v := range malNonCanonical() {
			b := make([]byte, 32)
			v.FillBytes(b)
			s := append([][]byte(nil), sig...)
			s[i] = b
			_, err := verifier.ParseProof(malEncodeWithPublic(f, 4, s))
			require.ErrorIs(t, err, verifier.ErrMalformedPublic, "signal %d = %s", i, name)

			js, err := json.Marshal(f.proof)
			require.NoError(t, err)
			old := []byte(`"` + "0x" + hex.EncodeToString(sig[i]) + `"`)
			bad := bytes.Replace(js, old, []byte(`"0x`+hex.EncodeToString(b)+`"`), 1)
			require.NotEqual(t, js, bad)
			var p verifier.Proof
			require.ErrorIs(t, p.UnmarshalJSON(bad), verifier.ErrMalformedPublic, "JSON signal %d = %s", i, name)
			bad = bytes.Replace(js, old, []byte(`"`+v.String()+`"`), 1)
			require.ErrorIs(t, p.UnmarshalJSON(bad), verifier.ErrMalformedPublic, "JSON decimal signal %d = %s", i, name)
		}
		// r−1 is a field element: it parses, and the proof fails.
		b := make([]byte, 32)
		new(big.Int).Sub(fr.Modulus(), big.NewInt(1)).FillBytes(b)
		s := append([][]byte(nil), sig...)
		s[i] = b
		p, err := verifier.ParseProof(malEncodeWithPublic(f, 4, s))
		require.NoError(t, err)
		require.ErrorIs(t, verifier.Verify(f.vk, p), verifier.ErrInvalidProof, "signal %d = r-1", i)
	}
}

// TestVerifyUnreducedPublic: a Proof built in memory (by a decoder other than
// ours: here encoding/gob, which fills fr.Element's limbs as they come) whose
// signal holds the limbs x + r. It is not a canonical field element; Verify
// must not accept it, or one nullifier would have two in-memory values that
// compare unequal and both verify.
func TestVerifyUnreducedPublic(t *testing.T) {
	f := malArtefacts(t)
	// fr's limbs hold the Montgomery form; adding r to them keeps the value
	// mod r, so only a reduction check tells them apart.
	mod := fr.Modulus()
	for i := range f.proof.Public {
		q := f.proofWith(f.proof.Data)
		limbs := q.Public[i]
		v := new(big.Int)
		for j := 3; j >= 0; j-- {
			v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(limbs[j]))
		}
		v.Add(v, mod)
		if v.BitLen() > 256 {
			continue
		}
		words := v.Bits()
		var nl fr.Element
		for j := range words {
			nl[j] = uint64(words[j])
		}
		q.Public[i] = nl
		// encoding/gob carries the limbs as they are (fr.Element has no
		// GobDecode or UnmarshalBinary): this is what a service that passes
		// Proof values between processes with gob would hand to Verify.
		var buf bytes.Buffer
		require.NoError(t, gob.NewEncoder(&buf).Encode(q))
		var g verifier.Proof
		require.NoError(t, gob.NewDecoder(&buf).Decode(&g))
		require.Equal(t, nl, g.Public[i])
		require.False(t, g.Public[i].Equal(&f.proof.Public[i]), "two in-memory values")
		require.Equal(t, f.proof.Public[i].Bytes(), g.Public[i].Bytes(), "one encoded value")
		var err error
		malNoPanic(t, "Verify", func() { err = verifier.Verify(f.vk, &g) })
		malBug(t, "verify-unreduced-limb", err == nil,
			"verifier/proof.go Verify: signal %d with fr.Element limbs x+r (not reduced) verifies; it must be ErrMalformedPublic", i)
		require.ErrorIs(t, err, verifier.ErrMalformedPublic, "signal %d unreduced", i)
	}
}

// --- Proof JSON -------------------------------------------------------------

// malJSONProof returns the JSON form of the fixture proof as a generic map, to
// edit.
func malJSONProof(t *testing.T, f *malFixture) map[string]any {
	js, err := json.Marshal(f.proof)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(js, &m))
	return m
}

func malMarshalMap(t *testing.T, m map[string]any) []byte {
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func TestProofJSONRoundTrip(t *testing.T) {
	f := malArtefacts(t)
	js, err := json.Marshal(f.proof)
	require.NoError(t, err)
	var p verifier.Proof
	require.NoError(t, json.Unmarshal(js, &p))
	require.Equal(t, f.enc, p.Bytes())
	js2, err := json.Marshal(&p)
	require.NoError(t, err)
	require.Equal(t, js, js2)
	require.NoError(t, verifier.Verify(f.vk, &p))
}

func TestProofJSONStrict(t *testing.T) {
	f := malArtefacts(t)
	pub := func(m map[string]any) []any { return m["public"].([]any) }
	set := func(edit func(m map[string]any)) []byte {
		m := malJSONProof(t, f)
		edit(m)
		return malMarshalMap(t, m)
	}
	good, err := json.Marshal(f.proof)
	require.NoError(t, err)
	goodStr := string(good)
	sig := pub(malJSONProof(t, f))[2].(string) // scope 7
	dec := new(big.Int)
	dec.SetString(sig[2:], 16)

	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"public uppercase hex", set(func(m map[string]any) { pub(m)[0] = "0x" + strings.ToUpper(pub(m)[0].(string)[2:]) }), verifier.ErrMalformedPublic},
		{"public 0X prefix", set(func(m map[string]any) { pub(m)[0] = "0X" + pub(m)[0].(string)[2:] }), verifier.ErrMalformedPublic},
		{"public missing 0x", set(func(m map[string]any) { pub(m)[2] = sig[2:] }), verifier.ErrMalformedPublic},
		{"public decimal", set(func(m map[string]any) { pub(m)[2] = dec.String() }), verifier.ErrMalformedPublic},
		{"public short hex", set(func(m map[string]any) { pub(m)[2] = "0x7" }), verifier.ErrMalformedPublic},
		{"public long hex", set(func(m map[string]any) { pub(m)[2] = "0x00" + sig[2:] }), verifier.ErrMalformedPublic},
		{"public -1", set(func(m map[string]any) { pub(m)[2] = "-1" }), verifier.ErrMalformedPublic},
		{"public -0x1", set(func(m map[string]any) { pub(m)[2] = "-0x" + sig[3:] }), verifier.ErrMalformedPublic},
		{"public with space", set(func(m map[string]any) { pub(m)[2] = " " + sig }), verifier.ErrMalformedPublic},
		{"public empty", set(func(m map[string]any) { pub(m)[2] = "" }), verifier.ErrMalformedPublic},
		{"public number", set(func(m map[string]any) { pub(m)[2] = 7 }), verifier.ErrMalformedProof},
		{"public none", set(func(m map[string]any) { m["public"] = []any{} }), verifier.ErrMalformedPublic},
		{"public null", set(func(m map[string]any) { m["public"] = nil }), verifier.ErrMalformedPublic},
		{"public missing", set(func(m map[string]any) { delete(m, "public") }), verifier.ErrMalformedPublic},
		{"public 65", set(func(m map[string]any) {
			s := make([]any, 65)
			for i := range s {
				s[i] = sig
			}
			m["public"] = s
		}), verifier.ErrMalformedPublic},
		{"key uppercase", set(func(m map[string]any) { m["key"] = strings.ToUpper(m["key"].(string)) }), verifier.ErrMalformedProof},
		{"key 0x prefix", set(func(m map[string]any) { m["key"] = "0x" + m["key"].(string) }), verifier.ErrMalformedProof},
		{"key 31 bytes", set(func(m map[string]any) { m["key"] = m["key"].(string)[2:] }), verifier.ErrMalformedProof},
		{"key 33 bytes", set(func(m map[string]any) { m["key"] = m["key"].(string) + "00" }), verifier.ErrMalformedProof},
		{"key odd", set(func(m map[string]any) { m["key"] = m["key"].(string)[1:] }), verifier.ErrMalformedProof},
		{"key missing", set(func(m map[string]any) { delete(m, "key") }), verifier.ErrMalformedProof},
		{"proof uppercase", set(func(m map[string]any) { m["proof"] = strings.ToUpper(m["proof"].(string)) }), verifier.ErrMalformedProof},
		{"proof base64", set(func(m map[string]any) { m["proof"] = []byte(f.proof.Data) }), verifier.ErrMalformedProof},
		{"proof empty", set(func(m map[string]any) { m["proof"] = "" }), verifier.ErrMalformedProof},
		{"proof trailing", set(func(m map[string]any) { m["proof"] = m["proof"].(string) + "00" }), verifier.ErrMalformedProof},
		{"proof crash", set(func(m map[string]any) { m["proof"] = hex.EncodeToString(malCrashData(f)) }), verifier.ErrMalformedProof},
		{"backend Groth16", set(func(m map[string]any) { m["backend"] = "Groth16" }), verifier.ErrMalformedProof},
		{"backend plonk", set(func(m map[string]any) { m["backend"] = "plonk" }), verifier.ErrMalformedProof},
		{"backend number", set(func(m map[string]any) { m["backend"] = 1 }), verifier.ErrMalformedProof},
		{"backend missing", set(func(m map[string]any) { delete(m, "backend") }), verifier.ErrMalformedProof},
		{"unknown field", set(func(m map[string]any) { m["extra"] = 1 }), verifier.ErrMalformedProof},
		{"unknown field null", set(func(m map[string]any) { m["version"] = nil }), verifier.ErrMalformedProof},
		{"trailing object", []byte(goodStr + ` {}`), verifier.ErrMalformedProof},
		{"trailing garbage", []byte(goodStr + `x`), verifier.ErrMalformedProof},
		{"trailing value", []byte(goodStr + goodStr), verifier.ErrMalformedProof},
		{"trailing number", []byte(goodStr + ` 1`), verifier.ErrMalformedProof},
		{"truncated", []byte(goodStr[:len(goodStr)-1]), verifier.ErrMalformedProof},
		{"empty", []byte{}, verifier.ErrMalformedProof},
		{"null", []byte(`null`), verifier.ErrMalformedProof},
		{"array", []byte(`[]`), verifier.ErrMalformedProof},
		{"string", []byte(`"x"`), verifier.ErrMalformedProof},
		{"oversized", append(append([]byte("{"), bytes.Repeat([]byte(" "), 64<<10)...), good[1:]...), verifier.ErrMalformedProof},
		{"huge array", []byte(`{"public":[` + strings.Repeat(`"0x0",`, 20000) + `"0x0"]}`), verifier.ErrMalformedProof},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A failed UnmarshalJSON leaves the target as it was.
			p, err := verifier.ParseProof(f.enc)
			require.NoError(t, err)
			malNoPanic(t, "UnmarshalJSON", func() { err = p.UnmarshalJSON(c.in) })
			require.ErrorIs(t, err, c.want)
			require.ErrorIs(t, err, verifier.ErrMalformed)
			require.Equal(t, f.enc, p.Bytes(), "target changed by a failed UnmarshalJSON")
			// Through encoding/json as well: rejected (encoding/json itself
			// refuses trailing data and truncation, with its own error).
			var q verifier.Proof
			require.Error(t, json.Unmarshal(c.in, &q))
		})
	}
	require.NotEqual(t, goodStr, "")
}

// TestProofJSONOneForm: each proof has one JSON form. encoding/json's
// decoder matches keys case-insensitively and keeps the last duplicate, and
// a Decoder's More does not see a trailing '}' or ']'.
func TestProofJSONOneForm(t *testing.T) {
	f := malArtefacts(t)
	good, err := json.Marshal(f.proof)
	require.NoError(t, err)
	try := func(in []byte) error {
		var p verifier.Proof
		return p.UnmarshalJSON(in)
	}
	t.Run("trailing close", func(t *testing.T) {
		for _, tail := range []string{"}", "]", " }", "]]"} {
			err := try(append(bytes.Clone(good), tail...))
			malBug(t, "json-trailing-close", err == nil,
				"verifier/proof.go UnmarshalJSON: input = valid JSON + %q is accepted: dec.More() is false before '}' and ']', so the trailing-data check misses them", tail)
			require.ErrorIs(t, err, verifier.ErrMalformedProof, "tail %q", tail)
		}
	})
	t.Run("key case", func(t *testing.T) {
		for _, k := range []string{"backend", "key", "public", "proof"} {
			in := bytes.Replace(good, []byte(`"`+k+`":`), []byte(`"`+strings.ToUpper(k)+`":`), 1)
			err := try(in)
			malBug(t, "json-key-case", err == nil,
				"verifier/proof.go UnmarshalJSON: key %q accepted (encoding/json matches field names case-insensitively), a second JSON form of one proof", strings.ToUpper(k))
			require.ErrorIs(t, err, verifier.ErrMalformedProof)
		}
	})
	t.Run("duplicate key", func(t *testing.T) {
		in := bytes.Replace(good, []byte(`{"backend":`), []byte(`{"backend":"plonk","backend":`), 1)
		err := try(in)
		malBug(t, "json-duplicate-key", err == nil,
			"verifier/proof.go UnmarshalJSON: duplicate key \"backend\" accepted (last one wins)")
		require.ErrorIs(t, err, verifier.ErrMalformedProof)
	})
}

// --- Verifying key ----------------------------------------------------------

func TestParseVerifyingKeyValid(t *testing.T) {
	f := malArtefacts(t)
	vk, err := verifier.ParseVerifyingKey(f.vkFile)
	require.NoError(t, err)
	require.Equal(t, f.vkFile, vk.Bytes())
	require.Equal(t, sha256.Sum256(f.vkFile), vk.ID())
	require.Equal(t, f.vk.ID(), vk.ID())
	require.Equal(t, 4, vk.NbPublic())
	require.Equal(t, verifier.Groth16, vk.Backend())
	require.Equal(t, "membership/v3/depth=4", vk.Circuit())
	require.NoError(t, verifier.Verify(vk, f.proof))
	// Bytes returns a copy.
	b := vk.Bytes()
	b[0] ^= 0xFF
	require.Equal(t, f.vkFile, vk.Bytes())
}

func TestParseVerifyingKeyTruncated(t *testing.T) {
	f := malArtefacts(t)
	for n := 0; n < len(f.vkFile); n++ {
		var err error
		malNoPanic(t, "ParseVerifyingKey", func() { _, err = verifier.ParseVerifyingKey(f.vkFile[:n]) })
		require.ErrorIs(t, err, verifier.ErrMalformedKey, "prefix of %d bytes", n)
		require.ErrorIs(t, err, verifier.ErrMalformed, "prefix of %d bytes", n)
	}
}

func TestParseVerifyingKeyTrailing(t *testing.T) {
	f := malArtefacts(t)
	var inf bn254.G1Affine
	ib := inf.Bytes()
	for _, tail := range [][]byte{{0}, {0xFF}, ib[:], make([]byte, 4), f.vkFile} {
		_, err := verifier.ParseVerifyingKey(append(bytes.Clone(f.vkFile), tail...))
		require.ErrorIs(t, err, verifier.ErrMalformedKey, "%d trailing bytes", len(tail))
	}
}

func TestParseVerifyingKeyHeader(t *testing.T) {
	f := malArtefacts(t)
	bad := func(b []byte, msg string, args ...any) {
		t.Helper()
		_, err := verifier.ParseVerifyingKey(b)
		require.ErrorIs(t, err, verifier.ErrMalformedKey, append([]any{msg}, args...)...)
	}
	for i := 0; i < 8; i++ {
		bad(malPatch(f.vkFile, i, []byte{f.vkFile[i] ^ 0x20}), "magic byte %d", i)
	}
	for _, v := range []byte{0, 2, 0xFF} {
		bad(malPatch(f.vkFile, 8, []byte{v}), "version %d", v)
	}
	for _, be := range []byte{0, 2, 0xFF} {
		bad(malPatch(f.vkFile, 9, []byte{be}), "backend %d", be)
	}
	for _, n := range []byte{0, 65, 0xFF} {
		bad(malPatch(f.vkFile, 10, []byte{n}), "nbPublic %d", n)
	}
	// Name length 0, 65, and longer than the file; and a name cut short.
	bad(malPatch(f.vkFile, 11, []byte{0}), "name length 0")
	bad(malPatch(f.vkFile, 11, []byte{65}), "name length 65")
	bad(malPatch(f.vkFile, 11, []byte{0xFF}), "name length 255")
	nameLen := f.vkFile[11]
	for _, l := range []byte{1, nameLen - 1, nameLen + 1, 64} {
		bad(malPatch(f.vkFile, 11, []byte{l}), "name length %d read as %d", nameLen, l)
	}
	bad(f.vkFile[:12], "header only")
}

// malVKFile returns a key file with the fixture key's header (nbPublic
// replaced) and body.
func malVKFile(f *malFixture, nbPublic byte, body []byte) []byte {
	file := bytes.Clone(f.vkFile[:f.vkHdr()])
	file[10] = nbPublic
	return append(file, body...)
}

// TestParseVerifyingKeyCounts: the header's public count against the body's
// K length, and the body's own length fields.
func TestParseVerifyingKeyCounts(t *testing.T) {
	f := malArtefacts(t)
	body := bytes.Clone(f.vkFile[f.vkHdr():])
	const kOff = 288
	kLen := int(binary.BigEndian.Uint32(body[kOff:]))
	require.Equal(t, 5, kLen)
	kEnd := kOff + 4 + 32*kLen
	require.Len(t, body, kEnd+8)
	bad := func(b []byte, msg string, args ...any) {
		t.Helper()
		var err error
		malNoPanic(t, "ParseVerifyingKey", func() { _, err = verifier.ParseVerifyingKey(b) })
		require.ErrorIs(t, err, verifier.ErrMalformedKey, append([]any{msg}, args...)...)
	}
	// Header count disagreeing with the body.
	for _, n := range []byte{1, 3, 5, 64} {
		bad(malVKFile(f, n, body), "header nbPublic %d, body K of %d", n, kLen)
	}
	// A body one K point longer, with the K length unchanged: the header
	// says 5 public inputs and the length matches, but K still says 5.
	_, _, g1, _ := bn254.Generators()
	gb := g1.Bytes()
	longer := append(append(bytes.Clone(body[:kEnd]), gb[:]...), body[kEnd:]...)
	bad(malVKFile(f, 5, longer), "K length 5 in a 5-input body")
	// The same with the K length fixed: a consistent key for 5 inputs, so
	// another key: it parses with another ID, and the proof is refused.
	binary.BigEndian.PutUint32(longer[kOff:], uint32(kLen+1))
	vk5, err := verifier.ParseVerifyingKey(malVKFile(f, 5, longer))
	require.NoError(t, err)
	require.Equal(t, 5, vk5.NbPublic())
	require.NotEqual(t, f.vk.ID(), vk5.ID())
	require.ErrorIs(t, verifier.Verify(vk5, f.proof), verifier.ErrKeyMismatch)
	// Huge and wrong length fields at the exact file size: they never reach
	// gnark's decoder.
	u32 := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	for _, n := range []uint32{0, 4, 6, 0xFFFF, 0xFFFFFFFF} {
		var err error
		alloc := malAllocated(func() { _, err = verifier.ParseVerifyingKey(malVKFile(f, 4, malPatch(body, kOff, u32(n)))) })
		require.ErrorIs(t, err, verifier.ErrMalformedKey, "K length %d", n)
		require.Less(t, alloc, uint64(1<<20), "K length %d", n)
	}
	for _, n := range []uint32{1, 0xFFFF, 0xFFFFFFFF} {
		var err error
		alloc := malAllocated(func() {
			_, err = verifier.ParseVerifyingKey(malVKFile(f, 4, malPatch(body, kEnd, u32(n))))
		})
		require.ErrorIs(t, err, verifier.ErrMalformedKey, "committed-inputs length %d", n)
		require.Less(t, alloc, uint64(1<<20), "committed-inputs length %d", n)
		alloc = malAllocated(func() {
			_, err = verifier.ParseVerifyingKey(malVKFile(f, 4, malPatch(body, kEnd+4, u32(n))))
		})
		require.ErrorIs(t, err, verifier.ErrMalformedKey, "commitment count %d", n)
		require.Less(t, alloc, uint64(1<<20), "commitment count %d", n)
	}
}

// malVKPoint is one curve point of a verifying key body.
type malVKPoint struct {
	name     string
	off, len int
	used     bool // by Groth16 verification
}

func malVKPoints(nbPublic int) []malVKPoint {
	pts := []malVKPoint{
		{"alpha1", 0, 32, true}, {"beta1", 32, 32, false}, {"beta2", 64, 64, true},
		{"gamma2", 128, 64, true}, {"delta1", 192, 32, false}, {"delta2", 224, 64, true},
	}
	for i := 0; i <= nbPublic; i++ {
		pts = append(pts, malVKPoint{fmt.Sprintf("K[%d]", i), 292 + 32*i, 32, true})
	}
	return pts
}

// TestParseVerifyingKeyFlippedPoint flips bits in every byte of every point
// of the key: each change is rejected, or gives another key ID (so the proof
// is refused as made for another key) and, where the point takes part in
// verification, a key under which the proof does not verify.
func TestParseVerifyingKeyFlippedPoint(t *testing.T) {
	f := malArtefacts(t)
	hdr := f.vkHdr()
	parsed, rejected := 0, 0
	for _, pt := range malVKPoints(f.vk.NbPublic()) {
		for i := 0; i < pt.len; i++ {
			flips := []byte{0x01}
			if i == 0 {
				flips = append(flips, 0x40, 0x80)
			}
			for _, flip := range flips {
				at := hdr + pt.off + i
				file := malPatch(f.vkFile, at, []byte{f.vkFile[at] ^ flip})
				var vk *verifier.VerifyingKey
				var err error
				malNoPanic(t, "ParseVerifyingKey", func() { vk, err = verifier.ParseVerifyingKey(file) })
				if err != nil {
					rejected++
					require.ErrorIs(t, err, verifier.ErrMalformedKey, "%s byte %d ^ %#x", pt.name, i, flip)
					continue
				}
				parsed++
				require.NotEqual(t, f.vk.ID(), vk.ID(), "%s byte %d ^ %#x", pt.name, i, flip)
				require.ErrorIs(t, verifier.Verify(vk, f.proof), verifier.ErrKeyMismatch, "%s byte %d ^ %#x", pt.name, i, flip)
				if pt.used {
					q := f.proofWith(f.proof.Data)
					q.KeyID = vk.ID()
					require.ErrorIs(t, verifier.Verify(vk, q), verifier.ErrInvalidProof, "%s byte %d ^ %#x: proof re-keyed", pt.name, i, flip)
				}
			}
		}
	}
	t.Logf("flipped key points: %d rejected, %d parsed as other keys", rejected, parsed)
	require.Positive(t, rejected)
}

// TestParseVerifyingKeyNonCanonical: a key point with x + p, and a G2 point
// outside the subgroup.
func TestParseVerifyingKeyNonCanonical(t *testing.T) {
	f := malArtefacts(t)
	hdr := f.vkHdr()
	p := fp.Modulus()
	body := f.vkFile[hdr:]
	tried := 0
	for _, pt := range malVKPoints(f.vk.NbPublic()) {
		enc := body[pt.off : pt.off+pt.len]
		var bad []byte
		if pt.len == 32 {
			x := new(big.Int).SetBytes(append([]byte{enc[0] &^ 0xC0}, enc[1:]...))
			x.Add(x, p)
			if x.BitLen() > 254 {
				// x + p does not fit beside the flag bits (about two
				// points in three): put the generator, x = 1, in the
				// slot instead, so every G1 slot is tried.
				_, _, g1, _ := bn254.Generators()
				gb := g1.Bytes()
				enc = gb[:]
				x.SetBytes(append([]byte{enc[0] &^ 0xC0}, enc[1:]...))
				x.Add(x, p)
			}
			bad = make([]byte, 32)
			x.FillBytes(bad)
			bad[0] |= enc[0] & 0xC0
		} else {
			a0 := new(big.Int).SetBytes(enc[32:])
			a0.Add(a0, p)
			bad = bytes.Clone(enc)
			a0.FillBytes(bad[32:])
		}
		tried++
		_, err := verifier.ParseVerifyingKey(malPatch(f.vkFile, hdr+pt.off, bad))
		require.ErrorIs(t, err, verifier.ErrMalformedKey, "%s with a coordinate + p", pt.name)
	}
	require.Greater(t, tried, 3)
	var u bn254.E2
	u.A0.SetUint64(3)
	u.A1.SetUint64(5)
	q := bn254.MapToCurve2(&u)
	require.True(t, q.IsOnCurve())
	require.False(t, q.IsInSubGroup())
	qb := q.Bytes()
	for _, pt := range malVKPoints(f.vk.NbPublic()) {
		if pt.len == 64 {
			_, err := verifier.ParseVerifyingKey(malPatch(f.vkFile, hdr+pt.off, qb[:]))
			require.ErrorIs(t, err, verifier.ErrMalformedKey, "%s outside G2", pt.name)
		}
	}
	// Raw (uncompressed) gnark encoding of the same key.
	var raw bytes.Buffer
	_, err := f.vk.Groth16Key().WriteRawTo(&raw)
	require.NoError(t, err)
	_, err = verifier.ParseVerifyingKey(malVKFile(f, 4, raw.Bytes()))
	require.ErrorIs(t, err, verifier.ErrMalformedKey)
}

func TestNewGroth16VerifyingKey(t *testing.T) {
	f := malArtefacts(t)
	gk := f.vk.Groth16Key()
	// The same inputs give the same file.
	again, err := verifier.NewGroth16VerifyingKey(f.vk.Circuit(), 4, gk)
	require.NoError(t, err)
	require.Equal(t, f.vkFile, again.Bytes())
	for _, n := range []int{-1, 0, 1, 3, 5, 64, 65, 256} {
		var vk *verifier.VerifyingKey
		malNoPanic(t, "NewGroth16VerifyingKey", func() { vk, err = verifier.NewGroth16VerifyingKey("c", n, gk) })
		require.Error(t, err, "nbPublic %d", n)
		require.Nil(t, vk)
	}
	for _, name := range []string{"", strings.Repeat("n", 65), strings.Repeat("n", 256)} {
		_, err := verifier.NewGroth16VerifyingKey(name, 4, gk)
		require.Error(t, err, "name of %d bytes", len(name))
	}
	long := strings.Repeat("n", 64)
	vk, err := verifier.NewGroth16VerifyingKey(long, 4, gk)
	require.NoError(t, err)
	require.Equal(t, long, vk.Circuit())
	require.NotEqual(t, f.vk.ID(), vk.ID(), "the circuit name is part of the key ID")
	require.ErrorIs(t, verifier.Verify(vk, f.proof), verifier.ErrKeyMismatch)
	// Keys with commitments are refused.
	withC := *gk
	withC.PublicAndCommitmentCommitted = [][]int{{1}}
	_, err = verifier.NewGroth16VerifyingKey("c", 4, &withC)
	require.Error(t, err)
	// An empty gnark key.
	malNoPanic(t, "NewGroth16VerifyingKey", func() {
		_, err = verifier.NewGroth16VerifyingKey("c", 4, new(groth16bn254.VerifyingKey))
	})
	require.Error(t, err)
}

// --- Verify on odd values ---------------------------------------------------

func TestVerifyNil(t *testing.T) {
	f := malArtefacts(t)
	cases := []struct {
		name string
		vk   *verifier.VerifyingKey
		p    *verifier.Proof
	}{
		{"nil key", nil, f.proof},
		{"nil proof", f.vk, nil},
		{"both nil", nil, nil},
		{"zero key", &verifier.VerifyingKey{}, f.proof},
		{"zero key, zero proof", &verifier.VerifyingKey{}, &verifier.Proof{}},
		{"zero proof", f.vk, &verifier.Proof{}},
		{"no public", f.vk, &verifier.Proof{Backend: verifier.Groth16, KeyID: f.vk.ID(), Data: f.proof.Data}},
		{"no data", f.vk, f.proofWith(nil)},
	}
	for _, c := range cases {
		var err error
		malNoPanic(t, c.name, func() { err = verifier.Verify(c.vk, c.p) })
		require.Error(t, err, c.name)
		require.NotErrorIs(t, err, verifier.ErrInvalidProof, c.name)
	}
	require.ErrorIs(t, verifier.Verify(nil, f.proof), verifier.ErrMalformed)
	require.ErrorIs(t, verifier.Verify(f.vk, nil), verifier.ErrMalformed)
	require.ErrorIs(t, verifier.Verify(f.vk, &verifier.Proof{}), verifier.ErrKeyMismatch)
	// A zero Proof's methods do not panic either.
	var zero verifier.Proof
	malNoPanic(t, "zero Proof", func() {
		_ = zero.Bytes()
		_, _ = json.Marshal(&zero)
	})
	_, err := verifier.ParseProof(zero.Bytes())
	require.ErrorIs(t, err, verifier.ErrMalformed)
}

// TestVerifyTamperedData flips every bit of the Groth16 data: each change is
// malformed or invalid, never valid, except the sign flags of Ar and Bs
// together (TestProofNegation), which a single flip cannot reach.
func TestVerifyTamperedData(t *testing.T) {
	if testing.Short() {
		t.Skip("1312 verifications")
	}
	f := malArtefacts(t)
	for i := range f.proof.Data {
		for bit := 0; bit < 8; bit++ {
			data := bytes.Clone(f.proof.Data)
			data[i] ^= 1 << bit
			err := verifier.Verify(f.vk, f.proofWith(data))
			require.Error(t, err, "byte %d bit %d", i, bit)
			if !errors.Is(err, verifier.ErrMalformedProof) {
				require.ErrorIs(t, err, verifier.ErrInvalidProof, "byte %d bit %d", i, bit)
			}
		}
	}
}
