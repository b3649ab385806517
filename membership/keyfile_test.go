package membership

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/memlimit"
)

// identityFileWith returns a well-formed 106-byte identity file whose header
// asks for p; its sealed part is garbage, as an attacker's would be.
func identityFileWith(p KDFParams) []byte {
	b := make([]byte, IdentityFileSize)
	copy(b, idMagic)
	b[8] = idVersion
	binary.BigEndian.PutUint32(b[9:], p.Time)
	binary.BigEndian.PutUint32(b[13:], p.Memory)
	b[17] = p.Threads
	for i := 18; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

// TestDecryptIdentityKDFLimitBounded: a 106-byte file whose header asks for
// the format's maximum (64 passes over 4 GiB) is refused with ErrKDFLimit
// within milliseconds, under a 1 GiB address-space budget.
func TestDecryptIdentityKDFLimitBounded(t *testing.T) {
	huge := identityFileWith(KDFParams{Time: maxKDFTime, Memory: maxKDFMemory, Threads: 255})
	require.Len(t, huge, 106)
	_, err := ParseIdentityFileHeader(huge)
	require.NoError(t, err, "the header is well-formed")
	memlimit.Run(t, "max-params", 50*time.Millisecond, func() error {
		_, err := DecryptIdentity(huge, []byte("pass"))
		if !errors.Is(err, ErrKDFLimit) || errors.Is(err, ErrMalformedIdentityFile) || errors.Is(err, ErrDecrypt) {
			return fmt.Errorf("DecryptIdentity answered %v, want ErrKDFLimit alone", err)
		}
		return nil
	})
}

// TestDecryptIdentityKDFLimit: each parameter just above the default limit
// is refused before any work; a caller's limit applies instead when given;
// files within the limit open.
func TestDecryptIdentityKDFLimit(t *testing.T) {
	lim := DefaultKDFLimit()
	d := DefaultKDFParams()
	require.Equal(t, KDFParams{Time: 4 * d.Time, Memory: 4 * d.Memory, Threads: 4 * d.Threads}, lim)
	for _, p := range []KDFParams{
		{Time: lim.Time + 1, Memory: d.Memory, Threads: d.Threads},
		{Time: d.Time, Memory: lim.Memory + 1, Threads: d.Threads},
		{Time: d.Time, Memory: d.Memory, Threads: lim.Threads + 1},
	} {
		start := time.Now()
		_, err := DecryptIdentity(identityFileWith(p), []byte("pass"))
		require.ErrorIs(t, err, ErrKDFLimit, "%+v", p)
		require.NotErrorIs(t, err, ErrMalformedIdentityFile)
		require.Less(t, time.Since(start), 50*time.Millisecond, "%+v", p)
	}

	id, _ := NewIdentityFromSeed(seedOf(9))
	pass := []byte("pass")
	slow := &KDFParams{Time: 2, Memory: 64, Threads: 2}
	data, err := id.Encrypt(pass, slow)
	require.NoError(t, err)
	// Within the default limit.
	got, err := DecryptIdentity(data, pass)
	require.NoError(t, err)
	require.Equal(t, id.Seed(), got.Seed())
	got, err = DecryptIdentityWithLimit(data, pass, nil)
	require.NoError(t, err)
	require.Equal(t, id.Seed(), got.Seed())
	// A caller's tighter limit, one parameter at a time.
	for _, l := range []KDFParams{
		{Time: 1, Memory: 64, Threads: 2},
		{Time: 2, Memory: 63, Threads: 2},
		{Time: 2, Memory: 64, Threads: 1},
	} {
		_, err := DecryptIdentityWithLimit(data, pass, &l)
		require.ErrorIs(t, err, ErrKDFLimit, "limit %+v", l)
	}
	got, err = DecryptIdentityWithLimit(data, pass, slow)
	require.NoError(t, err, "a limit equal to the file's parameters")
	require.Equal(t, id.Seed(), got.Seed())
	// A looser limit still bounds nothing beyond the format's own bounds,
	// and a wrong passphrase is still ErrDecrypt.
	_, err = DecryptIdentityWithLimit(data, []byte("wrong"), &KDFParams{Time: 64, Memory: 1 << 22, Threads: 255})
	require.ErrorIs(t, err, ErrDecrypt)
	require.Contains(t, fmt.Sprint(ErrKDFLimit), "membership: ")
}
