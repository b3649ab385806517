package verifier_test

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/stretchr/testify/require"
)

// g1Raw decodes a compressed G1 point and returns its uncompressed encoding.
func g1Raw(t *testing.T, compressed []byte) []byte {
	var p bn254.G1Affine
	_, err := p.SetBytes(compressed)
	require.NoError(t, err)
	raw := p.RawBytes()
	return raw[:]
}

// g2Raw decodes a compressed G2 point and returns its uncompressed encoding,
// whose coordinate order (imaginary part first) is EIP-197's.
func g2Raw(t *testing.T, compressed []byte) []byte {
	var p bn254.G2Affine
	_, err := p.SetBytes(compressed)
	require.NoError(t, err)
	raw := p.RawBytes()
	return raw[:]
}
