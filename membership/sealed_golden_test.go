package membership

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// goldenKDF are cheap argon2id parameters for the golden files.
var goldenKDF = KDFParams{Time: 1, Memory: 64, Threads: 1}

const goldenPassphrase = "golden passphrase"

// TestIdentityFileGolden: an identity file written by an earlier version
// (testdata/identity.golden, seed 0x01…0x20, goldenKDF, goldenPassphrase)
// still opens to the same identity, and one written now has the same
// layout (everything but the random salt, nonce and ciphertext equal).
// ZKVOTE_WRITE_GOLDEN=1 rewrites the file.
func TestIdentityFileGolden(t *testing.T) {
	seed := make([]byte, SeedSize)
	for i := range seed {
		seed[i] = byte(i + 1)
	}
	id, err := NewIdentityFromSeed(seed)
	require.NoError(t, err)
	path := filepath.Join("testdata", "identity.golden")
	if os.Getenv("ZKVOTE_WRITE_GOLDEN") == "1" {
		data, err := id.Encrypt([]byte(goldenPassphrase), &goldenKDF)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, data, 0o644))
	}
	golden, err := os.ReadFile(path)
	require.NoError(t, err)
	got, err := DecryptIdentity(golden, []byte(goldenPassphrase))
	require.NoError(t, err)
	require.Equal(t, id.Commitment(), got.Commitment())
	fresh, err := id.Encrypt([]byte(goldenPassphrase), &goldenKDF)
	require.NoError(t, err)
	require.Len(t, fresh, len(golden))
	require.True(t, bytes.Equal(fresh[:18], golden[:18]), "the header before the salt")
}
