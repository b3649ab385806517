package sealed

import (
	"testing"

	"github.com/stretchr/testify/require"
)

var cheap = KDF{Time: 1, Memory: 64, Threads: 1}

// TestSealOpen: a payload sealed opens under its passphrase only, every
// altered byte (header included) is ErrOpen, and the header reads back.
func TestSealOpen(t *testing.T) {
	pass, payload := []byte("pass"), []byte("the payload")
	data, err := Seal("ZKVTTEST", 3, cheap, pass, payload)
	require.NoError(t, err)
	require.Len(t, data, HeaderSize+len(payload)+Overhead)
	magic, version, kdf, err := Header(data)
	require.NoError(t, err)
	require.Equal(t, "ZKVTTEST", magic)
	require.Equal(t, byte(3), version)
	require.Equal(t, cheap, kdf)
	got, err := Open(data, pass)
	require.NoError(t, err)
	require.Equal(t, payload, got)
	_, err = Open(data, []byte("other"))
	require.ErrorIs(t, err, ErrOpen)
	for i := range data {
		if i >= 9 && i < 18 {
			continue // the KDF parameters: another key, or refused below
		}
		bad := append([]byte(nil), data...)
		bad[i] ^= 1
		_, err := Open(bad, pass)
		require.ErrorIs(t, err, ErrOpen, "byte %d", i)
	}
	again, err := Seal("ZKVTTEST", 3, cheap, pass, payload)
	require.NoError(t, err)
	require.NotEqual(t, data[18:], again[18:], "a fresh salt and nonce")
}

// TestRefuses: a short file, a wrong-sized magic and parameters argon2
// would panic on are errors.
func TestRefuses(t *testing.T) {
	_, _, _, err := Header(make([]byte, HeaderSize-1))
	require.Error(t, err)
	_, err = Open(make([]byte, 10), []byte("p"))
	require.Error(t, err)
	_, err = Seal("SHORT", 1, cheap, []byte("p"), nil)
	require.Error(t, err)
	_, err = Seal("ZKVTTEST", 1, KDF{Time: 1, Memory: 64}, []byte("p"), nil)
	require.Error(t, err)
	data, err := Seal("ZKVTTEST", 1, cheap, []byte("p"), nil)
	require.NoError(t, err)
	data[17] = 0 // threads
	_, err = Open(data, []byte("p"))
	require.ErrorContains(t, err, "threads 0")
	data[17], data[12] = 1, 0 // time 0
	_, err = Open(data, []byte("p"))
	require.ErrorContains(t, err, "time 0")
}
