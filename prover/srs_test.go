package prover

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/memlimit"
)

// testSRS is a small SRS of known toxic value (tests only) and its encoding.
func testSRS(t testing.TB) (*kzg.SRS, []byte) {
	srs, err := kzg.NewSRS(16, big.NewInt(77))
	require.NoError(t, err)
	var b bytes.Buffer
	_, err = srs.WriteTo(&b)
	require.NoError(t, err)
	return srs, b.Bytes()
}

// readSRSFails returns nil if ReadSRS refuses b with an error.
func readSRSFails(b []byte) error {
	srs, err := ReadSRS(bytes.NewReader(b))
	if err == nil || srs != nil {
		return fmt.Errorf("ReadSRS accepted %d bytes", len(b))
	}
	return nil
}

// TestReadSRSRoundTrip: gnark's encoding of an SRS reads back as the same
// SRS.
func TestReadSRSRoundTrip(t *testing.T) {
	srs, b := testSRS(t)
	got, err := ReadSRS(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, srs.Pk.G1, got.Pk.G1)
	require.Equal(t, srs.Vk, got.Vk)
}

// TestReadSRSBounded: inputs of 0 to 64 bytes, among them the 4-byte count
// 0xFFFFFFFF that makes gnark's decoder ask for 256 GiB, and huge counts
// followed by a short body, each give an error within milliseconds under a
// 1 GiB address-space budget.
func TestReadSRSBounded(t *testing.T) {
	memlimit.Run(t, "short", 2*time.Second, func() error {
		for n := 0; n <= 64; n++ {
			for _, fill := range []byte{0x00, 0x01, 0x80, 0xC0, 0xFF} {
				if err := readSRSFails(bytes.Repeat([]byte{fill}, n)); err != nil {
					return fmt.Errorf("%d bytes of %#x: %v", n, fill, err)
				}
			}
		}
		return nil
	})
	_, _, g1, _ := bn254.Generators()
	g1c := g1.Bytes()
	for _, count := range []uint32{0xFFFFFFFF, maxSRSPoints + 1, maxSRSPoints, 1 << 20} {
		b := binary.BigEndian.AppendUint32(nil, count)
		for range 8 {
			b = append(b, g1c[:]...)
		}
		memlimit.Run(t, fmt.Sprintf("count=%#x", count), 100*time.Millisecond, func() error {
			if err := readSRSFails(b[:4]); err != nil {
				return err
			}
			return readSRSFails(b)
		})
	}
}

// TestReadSRSMalformed: every truncation, trailing bytes, a wrong count, an
// uncompressed point, forged pairing lines and other base points are
// refused.
func TestReadSRSMalformed(t *testing.T) {
	srs, b := testSRS(t)
	for n := 0; n < len(b); n++ {
		require.NoError(t, readSRSFails(b[:n]), "truncated to %d", n)
	}
	for _, tail := range [][]byte{{0}, {0xFF}, b} {
		require.NoError(t, readSRSFails(append(bytes.Clone(b), tail...)), "%d trailing bytes", len(tail))
	}
	patch := func(at int, p []byte) []byte {
		out := bytes.Clone(b)
		copy(out[at:], p)
		return out
	}
	n := len(srs.Pk.G1)
	vk := 4 + 32*n // offset of the verifying part
	for _, c := range []uint32{0, 1, uint32(n - 1), uint32(n + 1)} {
		require.NoError(t, readSRSFails(patch(0, binary.BigEndian.AppendUint32(nil, c))), "count %d", c)
	}
	// A point in uncompressed form, in place: gnark's decoder would read
	// 32 more bytes and shift everything after it.
	for _, at := range []int{4, 4 + 32*5, vk, vk + 64, vk + 128} {
		require.NoError(t, readSRSFails(patch(at, []byte{b[at] &^ 0xC0})), "uncompressed point at %d", at)
	}
	// The same SRS written uncompressed.
	var raw bytes.Buffer
	_, err := srs.WriteRawTo(&raw)
	require.NoError(t, err)
	require.NoError(t, readSRSFails(raw.Bytes()), "raw encoding")
	// Pairing lines: raw limbs gnark does not check.
	lines := vk + 160
	for _, off := range []int{0, 100, 33791} {
		require.NoError(t, readSRSFails(patch(lines+off, []byte{b[lines+off] ^ 1})), "line byte %d", off)
	}
	// Base points other than the generators.
	var two bn254.G1Affine
	_, _, g1, _ := bn254.Generators()
	two.Double(&g1)
	tb := two.Bytes()
	require.NoError(t, readSRSFails(patch(4, tb[:])), "first power 2·G")
	require.NoError(t, readSRSFails(patch(vk+128, tb[:])), "[1]₁ = 2·G")
	// A reader error is an error.
	_, err = ReadSRS(io.MultiReader(bytes.NewReader(b[:100]), errReader{}))
	require.Error(t, err)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }
