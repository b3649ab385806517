package witness

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKeys: a generated key reads back into a witness whose published key
// is the one GenerateKey returned, and which ParseWitnessKey accepts;
// anything that is not an Ed25519 note signer key is refused.
func TestKeys(t *testing.T) {
	skey, vkey, err := GenerateKey("witness.example.net")
	require.NoError(t, err)
	name, key, err := ParseKey(skey)
	require.NoError(t, err)
	require.Equal(t, "witness.example.net", name)
	w, err := Open(Config{Dir: t.TempDir(), Name: name, Key: key})
	require.NoError(t, err)
	defer w.Close()
	require.Equal(t, vkey, w.VerifierKey())
	_, err = ParseWitnessKey(vkey)
	require.NoError(t, err)

	_, _, err = GenerateKey("bad name")
	require.Error(t, err)
	for _, s := range []string{"", vkey, skey + "x", skey[:len(skey)-4], "PRIVATE+KEY+a+00000000+AA=="} {
		_, _, err := ParseKey(s)
		require.Error(t, err, s)
	}
}
