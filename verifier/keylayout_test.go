package verifier_test

// Verifying keys whose layout moves under gnark's decoder, keys with points
// at infinity or forged pairing lines, nil keys, and PLONK batches. The
// crafted keys run under an address-space limit in a child process
// (internal/memlimit): on a decoder that trusts them the child dies, which
// no in-process check can survive.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/memlimit"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// quick is how long a decoder may take to refuse a crafted input.
const quick = 500 * time.Millisecond

// keyFile wraps a gnark key body in a verifying-key file header.
func keyFile(b verifier.Backend, nbPublic int, body []byte) []byte {
	const name = "crafted"
	file := append([]byte("ZKVOTEVK"), 1, byte(b), byte(nbPublic), byte(len(name)))
	file = append(file, name...)
	return append(file, body...)
}

// rawG1WithPrefix returns the uncompressed encoding of a G1 point whose x
// coordinate starts with the four bytes of prefix: its first byte is 0, so
// gnark's decoder reads it as one uncompressed point (64 bytes), while a
// check at a fixed offset sees prefix there.
func rawG1WithPrefix(t testing.TB, prefix uint32) []byte {
	var x, y, rhs, three fp.Element
	three.SetUint64(3)
	for k := uint64(1); k < 1000; k++ {
		xb := make([]byte, 32)
		binary.BigEndian.PutUint32(xb, prefix)
		binary.BigEndian.PutUint64(xb[24:], k)
		require.NoError(t, x.SetBytesCanonical(xb))
		rhs.Square(&x).Mul(&rhs, &x).Add(&rhs, &three)
		if y.Sqrt(&rhs) == nil {
			continue
		}
		p := bn254.G1Affine{X: x, Y: y}
		require.True(t, p.IsOnCurve())
		b := p.RawBytes()
		require.Equal(t, prefix, binary.BigEndian.Uint32(b[:4]))
		return b[:]
	}
	t.Fatal("no point found")
	return nil
}

// craftedGroth16Key is a 472-byte key body for 4 public inputs that passes
// every check made at fixed offsets assuming compressed points (exact
// length; K length 5 at byte 288; zero counts at bytes 452 and 456), but
// that gnark's decoder reads along another layout: [α]₁, [β]₂ and [δ]₁ are
// uncompressed, so [δ]₁ starts at byte 288 (its x begins with 00 00 00 05)
// and the K length gnark trusts sits at byte 416: 0xFFFFFFFF, which asks
// for 2³² points (256 GiB) before reading any.
func craftedGroth16Key(t testing.TB) []byte {
	_, _, g1, g2 := bn254.Generators()
	g1c, g1r := g1.Bytes(), g1.RawBytes()
	g2c, g2r := g2.Bytes(), g2.RawBytes()
	var b []byte
	b = append(b, g1r[:]...)                // [α]₁ raw: 0..64
	b = append(b, g1c[:]...)                // [β]₁: 64..96
	b = append(b, g2r[:]...)                // [β]₂ raw: 96..224
	b = append(b, g2c[:]...)                // [γ]₂: 224..288
	b = append(b, rawG1WithPrefix(t, 5)...) // [δ]₁ raw: 288..352
	b = append(b, g2c[:]...)                // [δ]₂: 352..416
	b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF)
	b = append(b, make([]byte, 460-len(b))...)
	require.Len(t, b, 460) // the compressed size for 4 public inputs
	require.Equal(t, uint32(5), binary.BigEndian.Uint32(b[288:]))
	require.Zero(t, binary.BigEndian.Uint32(b[452:]))
	require.Zero(t, binary.BigEndian.Uint32(b[456:]))
	return b
}

// plonkKeySize is the size of a compressed PLONK key body without
// commitments.
func plonkKeySize(t testing.TB) int {
	var b bytes.Buffer
	_, err := new(plonkbn254.VerifyingKey).WriteTo(&b)
	require.NoError(t, err)
	return b.Len()
}

// craftedPLONKLegacyKey is a PLONK key body of the exact versioned size
// whose first word is not gnark's version marker 0, so gnark reads it in
// its legacy layout, 16 bytes earlier than checks at versioned offsets
// assume: the domain size and public count those checks read (bytes 16 and
// 88) sit inside field elements, and the Qcp length gnark trusts is at byte
// 368: 0xFFFFFFFF.
func craftedPLONKLegacyKey(t testing.TB, nbPublic int) []byte {
	_, _, g1, _ := bn254.Generators()
	g1c := g1.Bytes()
	b := make([]byte, plonkKeySize(t))
	binary.BigEndian.PutUint64(b[0:], 4)                 // legacy Size
	binary.BigEndian.PutUint64(b[16:], 4)                // "Size" at the versioned offset, inside SizeInv
	binary.BigEndian.PutUint64(b[88:], uint64(nbPublic)) // "NbPublic", inside CosetShift
	for off := 112; off < 368; off += 32 {               // S₁..S₃, Ql..Qk
		copy(b[off:], g1c[:])
	}
	binary.BigEndian.PutUint32(b[368:], 0xFFFFFFFF)
	return b
}

// craftedPLONKRawKey is a versioned PLONK key body of the exact size in
// which Qk (byte 352) is the uncompressed generator (1, 2): the top bytes of
// its y, at byte 384, are 0 where a fixed-offset check expects the Qcp
// length 0, and the Qcp length gnark trusts, at byte 416, is 0xFFFFFFFF.
func craftedPLONKRawKey(t testing.TB, nbPublic int) []byte {
	_, _, g1, _ := bn254.Generators()
	g1c, g1r := g1.Bytes(), g1.RawBytes()
	b := make([]byte, plonkKeySize(t))
	binary.BigEndian.PutUint64(b[8:], 1)  // version
	binary.BigEndian.PutUint64(b[16:], 4) // Size
	binary.BigEndian.PutUint64(b[88:], uint64(nbPublic))
	for off := 128; off < 352; off += 32 { // S₁..S₃, Ql..Qo
		copy(b[off:], g1c[:])
	}
	copy(b[352:], g1r[:]) // Qk, uncompressed
	binary.BigEndian.PutUint32(b[416:], 0xFFFFFFFF)
	require.Zero(t, binary.BigEndian.Uint32(b[384:]))
	return b
}

// requireMalformedKey returns nil if ParseVerifyingKey refuses file with
// ErrMalformedKey.
func requireMalformedKey(file []byte) error {
	vk, err := verifier.ParseVerifyingKey(file)
	if !errors.Is(err, verifier.ErrMalformedKey) || vk != nil {
		return fmt.Errorf("ParseVerifyingKey answered %v, want ErrMalformedKey", err)
	}
	return nil
}

// TestParseVerifyingKeyLayoutBounded: crafted keys of under 1 KB (Groth16)
// and of the exact size (PLONK) whose uncompressed points or legacy layout
// move the length words gnark trusts are refused within milliseconds under
// a 1 GiB address-space budget.
func TestParseVerifyingKeyLayoutBounded(t *testing.T) {
	g16 := keyFile(verifier.Groth16, 4, craftedGroth16Key(t))
	require.Less(t, len(g16), 1024)
	legacy := keyFile(verifier.PLONK, 4, craftedPLONKLegacyKey(t, 4))
	raw := keyFile(verifier.PLONK, 4, craftedPLONKRawKey(t, 4))
	memlimit.Run(t, "groth16-uncompressed", quick, func() error { return requireMalformedKey(g16) })
	memlimit.Run(t, "plonk-legacy", quick, func() error { return requireMalformedKey(legacy) })
	memlimit.Run(t, "plonk-uncompressed", quick, func() error { return requireMalformedKey(raw) })
}

// TestParseProofBounded: the 132-byte Groth16 proof that kills gnark's own
// Proof.ReadFrom, and PLONK proof data with huge counts, are refused within
// milliseconds under the same budget, in every decoding path.
func TestParseProofBounded(t *testing.T) {
	crash := binary.BigEndian.AppendUint32(make([]byte, 128), 0xFFFFFFFF)
	_, _, g1, g2 := bn254.Generators()
	g1c, g2c := g1.Bytes(), g2.Bytes()
	copy(crash[0:], g1c[:])
	copy(crash[32:], g2c[:])
	copy(crash[96:], g1c[:])
	plonkHuge := make([]byte, 0, verifier.PLONKProofSize)
	for range 8 {
		plonkHuge = append(plonkHuge, g1c[:]...)
	}
	plonkHuge = binary.BigEndian.AppendUint32(plonkHuge, 0xFFFFFFFF)
	plonkHuge = append(plonkHuge, make([]byte, verifier.PLONKProofSize-len(plonkHuge))...)
	file := func(b verifier.Backend, data []byte) []byte {
		out := append([]byte("ZKVP"), 1, byte(b))
		out = append(out, make([]byte, 32)...)
		out = append(out, 1)
		out = append(out, make([]byte, 32)...)
		return append(out, data...)
	}
	check := func(b verifier.Backend, data []byte) func() error {
		return func() error {
			if _, err := verifier.ParseProof(file(b, data)); !errors.Is(err, verifier.ErrMalformedProof) {
				return fmt.Errorf("ParseProof answered %v", err)
			}
			js, err := json.Marshal(&verifier.Proof{Backend: b, Public: make([]fr.Element, 1), Data: data})
			if err != nil {
				return err
			}
			var q verifier.Proof
			if err := q.UnmarshalJSON(js); !errors.Is(err, verifier.ErrMalformedProof) {
				return fmt.Errorf("UnmarshalJSON answered %v", err)
			}
			return nil
		}
	}
	memlimit.Run(t, "groth16-commitment-count", quick, check(verifier.Groth16, crash))
	memlimit.Run(t, "plonk-claimed-count", quick, check(verifier.PLONK, plonkHuge))
}

// TestParseVerifyingKeyRealEncodings: gnark's other encodings of real keys
// (uncompressed points; PLONK's legacy layout) are refused: one key, one
// encoding.
func TestParseVerifyingKeyRealEncodings(t *testing.T) {
	f := malArtefacts(t)
	var raw bytes.Buffer
	_, err := f.vk.Groth16Key().WriteRawTo(&raw)
	require.NoError(t, err)
	require.NoError(t, requireMalformedKey(keyFile(verifier.Groth16, 4, raw.Bytes())))

	pf := plonkArtefacts(t)
	k := plonkGnarkKey(t, pf.vk)
	raw.Reset()
	_, err = k.WriteRawTo(&raw)
	require.NoError(t, err)
	require.NoError(t, requireMalformedKey(keyFile(verifier.PLONK, 4, raw.Bytes())))
	body := pf.vk.Bytes()[pf.hdr():]
	require.NoError(t, requireMalformedKey(keyFile(verifier.PLONK, 4, body[16:])), "legacy layout")
	for _, v := range []uint64{0, 2, 1 << 32} {
		b := bytes.Clone(body)
		binary.BigEndian.PutUint64(b[8:], v)
		require.NoError(t, requireMalformedKey(keyFile(verifier.PLONK, 4, b)), "version %d", v)
	}
	// Every point slot, uncompressed in place (its flag bits cleared): the
	// walk refuses it before gnark reads anything.
	for _, off := range []int{128, 160, 192, 224, 256, 288, 320, 352, plonkOffKzgG1, plonkOffKzgG2, plonkOffKzgG2 + 64} {
		b := bytes.Clone(body)
		b[off] &^= 0xC0
		err := requireMalformedKey(keyFile(verifier.PLONK, 4, b))
		require.NoError(t, err, "point at %d", off)
	}
}

// TestParseVerifyingKeyInfinity: a Groth16 key with the point at infinity
// in any slot, K included, is refused with ErrMalformedKey saying so; a
// real setup of a circuit with a public input no constraint uses gives such
// a K point, and NewGroth16VerifyingKey refuses it.
func TestParseVerifyingKeyInfinity(t *testing.T) {
	f := malArtefacts(t)
	hdr := f.vkHdr()
	var inf1 bn254.G1Affine
	var inf2 bn254.G2Affine
	i1, i2 := inf1.Bytes(), inf2.Bytes()
	for _, pt := range malVKPoints(f.vk.NbPublic()) {
		enc := i1[:]
		if pt.len == 64 {
			enc = i2[:]
		}
		vk, err := verifier.ParseVerifyingKey(malPatch(f.vkFile, hdr+pt.off, enc))
		require.ErrorIs(t, err, verifier.ErrMalformedKey, "%s at infinity", pt.name)
		require.Contains(t, err.Error(), "infinity", pt.name)
		require.Nil(t, vk)
	}

	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &unusedInput{})
	require.NoError(t, err)
	_, gk, err := groth16.Setup(ccs)
	require.NoError(t, err)
	k := gk.(*groth16bn254.VerifyingKey)
	require.True(t, k.G1.K[2].IsInfinity(), "gnark gives the unused input a K point at infinity")
	_, err = verifier.NewGroth16VerifyingKey("unused", 2, k)
	require.ErrorIs(t, err, verifier.ErrMalformedKey)
	require.Contains(t, err.Error(), "K[2]")
}

// unusedInput has a public input Z that no constraint uses: under Groth16 a
// proof for one Z verifies for every Z.
type unusedInput struct {
	X frontend.Variable
	Y frontend.Variable `gnark:",public"`
	Z frontend.Variable `gnark:",public"`
}

func (c *unusedInput) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.X, c.X), c.Y)
	return nil
}

// plonkFixture is a depth-4 PLONK membership key from a KZG SRS of known
// toxic value (tests only), with valid proofs.
type plonkFixture struct {
	vk     *verifier.VerifyingKey
	proofs []*verifier.Proof
}

// hdr is the length of the key file's header.
func (f *plonkFixture) hdr() int { return 12 + len(f.vk.Circuit()) }

var (
	plonkOnce sync.Once
	plonkFix  plonkFixture
	plonkErr  error
)

func plonkArtefacts(t testing.TB) *plonkFixture {
	t.Helper()
	plonkOnce.Do(func() {
		ctx := context.Background()
		srs, err := kzg.NewSRS(1<<13+3, big.NewInt(4242))
		if err != nil {
			plonkErr = err
			return
		}
		lag, err := prover.LagrangeSRS(ctx, statement.Membership(batchTestDepth), srs)
		if err != nil {
			plonkErr = err
			return
		}
		keys, err := prover.SetupPLONK(ctx, statement.Membership(batchTestDepth), srs, lag)
		if err != nil {
			plonkErr = err
			return
		}
		plonkFix.vk = keys.VerifyingKey()
		plonkFix.proofs, plonkErr = makeProofs(ctx, keys, 5)
	})
	require.NoError(t, plonkErr)
	return &plonkFix
}

// syntheticPLONKKey is a PLONK key for no real circuit that passes every
// check of ParseVerifyingKey: a domain of 4, generator points for every
// commitment, and the verifying part of a 4-point KZG SRS. It is cheap to
// make, for seeds.
func syntheticPLONKKey(t testing.TB) *verifier.VerifyingKey {
	srs, err := kzg.NewSRS(4, big.NewInt(5))
	require.NoError(t, err)
	d := fft.NewDomain(4)
	_, _, g1, _ := bn254.Generators()
	k := &plonkbn254.VerifyingKey{
		Size: 4, SizeInv: d.CardinalityInv, Generator: d.Generator, NbPublicVariables: 4,
		Kzg: srs.Vk, CosetShift: d.FrMultiplicativeGen,
		S: [3]kzg.Digest{g1, g1, g1}, Ql: g1, Qr: g1, Qm: g1, Qo: g1, Qk: g1,
		Qcp: []kzg.Digest{},
	}
	vk, err := verifier.NewPLONKVerifyingKey("synthetic", 4, k)
	require.NoError(t, err)
	return vk
}

// plonkGnarkKey decodes the gnark key of a parsed PLONK key (our own bytes).
func plonkGnarkKey(t testing.TB, vk *verifier.VerifyingKey) *plonkbn254.VerifyingKey {
	k := new(plonkbn254.VerifyingKey)
	_, err := k.ReadFrom(bytes.NewReader(vk.Bytes()[12+len(vk.Circuit()):]))
	require.NoError(t, err)
	return k
}

// Offsets in a PLONK key body (versioned, compressed, no commitments).
const (
	plonkOffSizeInv   = 24
	plonkOffGenerator = 56
	plonkOffKzgG1     = 388
	plonkOffKzgG2     = 420
	plonkOffLines     = 548
)

// TestParseVerifyingKeyPLONKDerived: a PLONK key whose pairing lines (raw
// limbs gnark never checks) or domain values disagree with what they derive
// from, or whose KZG points are not the generators, is refused.
func TestParseVerifyingKeyPLONKDerived(t *testing.T) {
	pf := plonkArtefacts(t)
	file := pf.vk.Bytes()
	body := file[pf.hdr():]
	k := plonkGnarkKey(t, pf.vk)
	var lines bytes.Buffer
	require.NoError(t, binary.Write(&lines, binary.BigEndian, &k.Kzg.Lines))
	require.Equal(t, lines.Bytes(), body[plonkOffLines:plonkOffLines+lines.Len()], "lines offset")
	g1 := k.Kzg.G1.Bytes()
	require.Equal(t, g1[:], body[plonkOffKzgG1:plonkOffKzgG1+32], "KZG G1 offset")

	at := func(off int, b []byte) []byte { return malPatch(file, pf.hdr()+off, b) }
	cases := map[string][]byte{}
	for _, off := range []int{0, 31, 64, 8447, 8448 + 100, lines.Len() - 1} {
		cases[fmt.Sprintf("line byte %d flipped", off)] = at(plonkOffLines+off, []byte{body[plonkOffLines+off] ^ 1})
	}
	half := lines.Len() / 2
	cases["lines of the two points swapped"] = at(plonkOffLines, append(bytes.Clone(body[plonkOffLines+half:plonkOffLines+2*half]), body[plonkOffLines:plonkOffLines+half]...))
	// A coordinate plus the modulus: the same line in a form gnark keeps as
	// is. gnark writes an fp.Element's four limbs, least significant first,
	// each big-endian.
	limbs := bytes.Clone(body[plonkOffLines : plonkOffLines+32])
	v := new(big.Int)
	for i := 3; i >= 0; i-- {
		v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(binary.BigEndian.Uint64(limbs[8*i:])))
	}
	v.Add(v, fp.Modulus())
	require.Less(t, v.BitLen(), 257)
	mask := new(big.Int).SetUint64(^uint64(0))
	for i := range 4 {
		limb := new(big.Int).Rsh(v, uint(64*i))
		binary.BigEndian.PutUint64(limbs[8*i:], limb.And(limb, mask).Uint64())
	}
	cases["line limbs not reduced"] = at(plonkOffLines, limbs)
	var one [32]byte
	one[31] = 1
	cases["SizeInv = 1"] = at(plonkOffSizeInv, one[:])
	cases["Generator = 1"] = at(plonkOffGenerator, one[:])
	_, _, g1gen, _ := bn254.Generators()
	var g1two bn254.G1Affine
	g1two.Double(&g1gen)
	two := g1two.Bytes()
	cases["KZG [1]₁ = 2·G"] = at(plonkOffKzgG1, two[:])
	var inf2 bn254.G2Affine
	i2 := inf2.Bytes()
	cases["KZG [α]₂ at infinity"] = at(plonkOffKzgG2+64, i2[:])
	for name, b := range cases {
		require.NoError(t, requireMalformedKey(b), name)
	}
	// The unchanged file still parses.
	vk, err := verifier.ParseVerifyingKey(file)
	require.NoError(t, err)
	require.Equal(t, pf.vk.ID(), vk.ID())
	require.NoError(t, verifier.Verify(vk, pf.proofs[0]))
}

// TestVerifyingKeyNil: every method of a nil *VerifyingKey answers without
// panicking, and the functions that take one return an error.
func TestVerifyingKeyNil(t *testing.T) {
	f := malArtefacts(t)
	var vk *verifier.VerifyingKey
	malNoPanic(t, "nil key methods", func() {
		require.Zero(t, vk.Backend())
		require.Empty(t, vk.Circuit())
		require.Zero(t, vk.NbPublic())
		require.Zero(t, vk.ID())
		require.Nil(t, vk.Bytes())
		require.Nil(t, vk.Groth16Key())
	})
	var err error
	malNoPanic(t, "Verify", func() { err = verifier.Verify(vk, f.proof) })
	require.ErrorIs(t, err, verifier.ErrMalformed)
	malNoPanic(t, "VerifyBatch", func() { err = verifier.VerifyBatch(context.Background(), vk, []*verifier.Proof{f.proof, f.other}) })
	require.ErrorIs(t, err, verifier.ErrMalformed)
	malNoPanic(t, "ExportSolidity", func() { err = verifier.ExportSolidity(vk, io.Discard) })
	require.Error(t, err)
	malNoPanic(t, "NewGroth16VerifyingKey", func() { _, err = verifier.NewGroth16VerifyingKey("c", 4, nil) })
	require.Error(t, err)
	malNoPanic(t, "NewPLONKVerifyingKey", func() { _, err = verifier.NewPLONKVerifyingKey("c", 4, nil) })
	require.Error(t, err)
}

// TestVerifyBatchPLONK: VerifyBatch verifies PLONK proofs, names the
// invalid ones as Verify would, and reports decoding and key errors by index.
func TestVerifyBatchPLONK(t *testing.T) {
	pf := plonkArtefacts(t)
	vk := pf.vk
	require.NoError(t, verifier.VerifyBatch(context.Background(), vk, pf.proofs))
	require.NoError(t, verifier.VerifyBatch(context.Background(), vk, pf.proofs[:1]))
	require.NoError(t, verifier.VerifyBatch(context.Background(), vk, nil))

	batch := cloneAll(t, pf.proofs, 7)
	add(&batch[1].Public[0], 1)
	add(&batch[6].Public[3], -1)
	requireInvalid(t, vk, batch, verifier.VerifyBatch(context.Background(), vk, batch), 1, 6)
	require.Contains(t, verifier.VerifyBatch(context.Background(), vk, batch).Error(), "index 1, 6")

	batch = cloneAll(t, pf.proofs, 4)
	batch[2].Data = batch[2].Data[:len(batch[2].Data)-1]
	add(&batch[0].Public[0], 1)
	err := verifier.VerifyBatch(context.Background(), vk, batch)
	require.ErrorIs(t, err, verifier.ErrMalformedProof)
	require.NotErrorIs(t, err, verifier.ErrInvalidProof)
	require.True(t, strings.HasPrefix(err.Error(), "verifier: proof 2: "), err.Error())

	_, g16 := testFixture(t)
	batch = append(cloneAll(t, pf.proofs, 3), g16[0])
	err = verifier.VerifyBatch(context.Background(), vk, batch)
	require.ErrorIs(t, err, verifier.ErrKeyMismatch)
	require.Contains(t, err.Error(), "proof 3")
	g16vk, _ := testFixture(t)
	require.ErrorIs(t, verifier.VerifyBatch(context.Background(), g16vk, pf.proofs), verifier.ErrKeyMismatch)
}
