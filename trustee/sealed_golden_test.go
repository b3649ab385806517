package trustee

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/sealed"
	"github.com/netstate/zkvote/membership"
)

// TestSealedFilesGolden: a long-term key and a key share sealed by an
// earlier version (testdata/*.golden: secrets 7 and 11, share index 3,
// cheap argon2id parameters, passphrase "golden passphrase") still open
// to the same secrets, and files sealed now have the same layout
// (everything but the random salt, nonce and ciphertext equal).
// ZKVOTE_WRITE_GOLDEN=1 rewrites the files.
func TestSealedFilesGolden(t *testing.T) {
	kdf := membership.KDFParams{Time: 1, Memory: 64, Threads: 1}
	pass := []byte("golden passphrase")
	lt := &LongTermKey{Secret: NewScalar(7)}
	ks := &KeyShare{Index: 3, Secret: NewScalar(11)}
	for _, f := range []struct {
		name string
		seal func() ([]byte, error)
		open func([]byte) error
	}{
		{"long-term-key.golden", func() ([]byte, error) { return lt.Encrypt(pass, &kdf) }, func(b []byte) error {
			got, err := DecryptLongTermKey(b, pass)
			if err == nil {
				require.Equal(t, lt.Public(), got.Public())
			}
			return err
		}},
		{"key-share.golden", func() ([]byte, error) { return ks.Encrypt(pass, &kdf) }, func(b []byte) error {
			got, err := DecryptKeyShare(b, pass)
			if err == nil {
				require.Equal(t, ks.Index, got.Index)
				require.Equal(t, ks.VerificationShare(), got.VerificationShare())
			}
			return err
		}},
	} {
		path := filepath.Join("testdata", f.name)
		if os.Getenv("ZKVOTE_WRITE_GOLDEN") == "1" {
			data, err := f.seal()
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, data, 0o644))
		}
		golden, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, f.open(golden), f.name)
		fresh, err := f.seal()
		require.NoError(t, err)
		require.Len(t, fresh, len(golden), f.name)
		require.True(t, bytes.Equal(fresh[:18], golden[:18]), "%s: the header before the salt", f.name)
	}
}

// FuzzDecryptSecrets: any bytes are refused or open to a key; never a
// panic. Inputs asking argon2id for more than a little work are skipped
// (the limits themselves are tested elsewhere).
func FuzzDecryptSecrets(f *testing.F) {
	for _, name := range []string{"long-term-key.golden", "key-share.golden"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "golden passphrase")
	}
	f.Fuzz(func(t *testing.T, data []byte, pass string) {
		if len(data) >= sealed.HeaderSize {
			if _, _, kdf, _ := sealed.Header(data); kdf.Memory > 1024 || kdf.Time > 2 || kdf.Threads > 2 {
				return
			}
		}
		if k, err := DecryptLongTermKey(data, []byte(pass)); err == nil && k == nil {
			t.Fatal("no key and no error")
		}
		if k, err := DecryptKeyShare(data, []byte(pass)); err == nil && (k == nil || k.Index < 1) {
			t.Fatalf("key share %+v", k)
		}
	})
}
