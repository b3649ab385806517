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

// FuzzParseKey: any string is a witness key that round-trips to the same
// cosignature key, or an error; never a panic.
func FuzzParseKey(f *testing.F) {
	skey, _, err := GenerateKey("witness.example.net")
	require.NoError(f, err)
	f.Add(skey)
	f.Add("PRIVATE+KEY+a+00000000+AQ==")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		name, key, err := ParseKey(s)
		if err != nil {
			return
		}
		require.Len(t, key, 64)
		require.NotEmpty(t, name)
		vkey, err := CosignatureKey(s)
		require.NoError(t, err)
		_, err = ParseWitnessKey(vkey)
		require.NoError(t, err)
	})
}
