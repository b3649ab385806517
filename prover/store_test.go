package prover

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// checkKeysWork proves with k and verifies with want's verifying key.
func checkKeysWork(t *testing.T, k *Keys, want *verifier.VerifyingKey) {
	t.Helper()
	tr := testTree(t, 6)
	p, err := tr.Proof(4)
	require.NoError(t, err)
	pr, err := proveMember(context.Background(), k, membershiptest.Identity(4), p, fe(1), fe(2))
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(want, pr))
}

func TestWriteLoadKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys func(t *testing.T) *Keys
	}{
		{"groth16", func(t *testing.T) *Keys { return testKeys(t) }},
		{"plonk", func(t *testing.T) *Keys { return testPLONKKeys(t, testDepth) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.keys(t)
			dir := t.TempDir()
			require.NoError(t, k.WriteFiles(dir))
			for _, mode := range []LoadMode{Checked, Trusted} {
				got, err := Load(context.Background(), dir, statement.Membership(testDepth), k.Backend(), mode)
				require.NoError(t, err)
				require.Equal(t, statement.Membership(testDepth), got.Statement())
				require.Equal(t, k.VerifyingKey().ID(), got.VerifyingKey().ID())
				require.Equal(t, k.NbConstraints(), got.NbConstraints())
				checkKeysWork(t, got, k.VerifyingKey())
			}
			_, err := Load(context.Background(), dir, statement.Membership(testDepth+1), k.Backend(), Checked)
			require.ErrorIs(t, err, os.ErrNotExist)
		})
	}
}

func TestLoadKeysRejectsDamage(t *testing.T) {
	k := testKeys(t)
	base := t.TempDir()
	require.NoError(t, k.WriteFiles(base))
	pkName, vkName, ccsName := testKeyFiles(verifier.Groth16)
	for _, name := range []string{pkName, vkName, ccsName} {
		orig, err := os.ReadFile(filepath.Join(base, name))
		require.NoError(t, err)
		damages := map[string][]byte{
			"empty":     {},
			"truncated": orig[:len(orig)-1],
			"trailing":  append(bytes.Clone(orig), 0),
		}
		for _, at := range []int{0, 9, 20, len(orig) / 2, len(orig) - 1} {
			b := bytes.Clone(orig)
			b[at] ^= 0x04
			damages["flip"+string(rune('0'+at%10))] = b
		}
		for what, data := range damages {
			dir := t.TempDir()
			for _, n := range []string{pkName, vkName, ccsName} {
				src, _ := os.ReadFile(filepath.Join(base, n))
				require.NoError(t, os.WriteFile(filepath.Join(dir, n), src, 0o600))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
			_, err := Load(context.Background(), dir, statement.Membership(testDepth), verifier.Groth16, Trusted)
			require.Error(t, err, "%s %s", name, what)
			require.True(t, errors.Is(err, ErrCorrupt) || errors.Is(err, ErrStaleKey), "%s %s: %v", name, what, err)
		}
	}
}

func TestLoadKeysStale(t *testing.T) {
	// Keys of another setup (another vk) with this proving key: stale pair.
	a := testKeys(t)
	b, err := SetupInsecure(context.Background(), statement.Membership(testDepth))
	require.NoError(t, err)
	dirA, dirB := t.TempDir(), t.TempDir()
	require.NoError(t, a.WriteFiles(dirA))
	require.NoError(t, b.WriteFiles(dirB))
	_, vkName, _ := testKeyFiles(verifier.Groth16)
	vkB, err := os.ReadFile(filepath.Join(dirB, vkName))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dirA, vkName), vkB, 0o600))
	_, err = Load(context.Background(), dirA, statement.Membership(testDepth), verifier.Groth16, Checked)
	require.ErrorIs(t, err, ErrStaleKey)

	// A proving key recorded for another gnark release.
	dir := t.TempDir()
	require.NoError(t, a.WriteFiles(dir))
	pkName, _, _ := testKeyFiles(verifier.Groth16)
	data, err := os.ReadFile(filepath.Join(dir, pkName))
	require.NoError(t, err)
	data = bytes.Replace(data, []byte(GnarkVersion), []byte("v0.16.1"), 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, pkName), data, 0o600))
	_, err = Load(context.Background(), dir, statement.Membership(testDepth), verifier.Groth16, Trusted)
	require.ErrorIs(t, err, ErrStaleKey)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Load(ctx, dirB, statement.Membership(testDepth), verifier.Groth16, Checked)
	require.ErrorIs(t, err, context.Canceled)
}

func TestOpenKeysCache(t *testing.T) {
	dir := t.TempDir()
	k1, err := OpenInsecure(context.Background(), dir, statement.Membership(testDepth))
	require.NoError(t, err)
	k2, err := OpenInsecure(context.Background(), dir, statement.Membership(testDepth))
	require.NoError(t, err)
	require.Equal(t, k1.VerifyingKey().ID(), k2.VerifyingKey().ID(), "second open reuses the cache")
	checkKeysWork(t, k2, k1.VerifyingKey())
	// A damaged cache is rebuilt, never trusted.
	pkName, _, _ := testKeyFiles(verifier.Groth16)
	require.NoError(t, os.WriteFile(filepath.Join(dir, pkName), []byte("garbage"), 0o600))
	k3, err := OpenInsecure(context.Background(), dir, statement.Membership(testDepth))
	require.NoError(t, err)
	require.NotEqual(t, k1.VerifyingKey().ID(), k3.VerifyingKey().ID())
	checkKeysWork(t, k3, k3.VerifyingKey())
}

// TestLoadRefusesStatement: Load and OpenInsecure refuse a statement out of
// range (or none) with an error before touching files: files named after it
// are not read, a missing directory is not reported missing, and
// OpenInsecure neither runs a setup nor writes anything.
func TestLoadRefusesStatement(t *testing.T) {
	ctx := context.Background()
	bad := []statement.Statement{
		statement.Membership(0), statement.Membership(statement.MaxDepth + 1), statement.Membership(-1),
		statement.Vote(20, 56), statement.Vote(0, 8), statement.Vote(statement.MaxDepth+1, 8),
		statement.Tally(0, 8), statement.Tally(statement.MaxBatch+1, 8), statement.Tally(64, statement.MaxOptions+1),
		{},
	}
	for _, s := range bad {
		require.Error(t, s.Check(), "%s", s)
		// A directory holding garbage under every name the statement's
		// files could have.
		dir := t.TempDir()
		for _, b := range []verifier.Backend{verifier.Groth16, verifier.PLONK} {
			for _, ext := range []string{".pk", ".vk", ".ccs"} {
				require.NoError(t, os.WriteFile(filepath.Join(dir, fileBase(s, b)+ext), []byte("garbage"), 0o600))
			}
		}
		missing := filepath.Join(t.TempDir(), "missing")
		for _, d := range []string{dir, missing} {
			for _, b := range []verifier.Backend{verifier.Groth16, verifier.PLONK} {
				for _, mode := range []LoadMode{Checked, Trusted} {
					k, err := Load(ctx, d, s, b, mode)
					require.Error(t, err, "%s %v", s, b)
					require.Nil(t, k)
					require.False(t, errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrStaleKey),
						"%s %v: %v", s, b, err)
				}
			}
			start := time.Now()
			k, err := OpenInsecure(ctx, d, s)
			require.Error(t, err, "%s", s)
			require.Nil(t, k)
			require.False(t, errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrStaleKey),
				"%s: %v", s, err)
			require.Less(t, time.Since(start), time.Second, "%s", s)
		}
		_, err := os.Stat(missing)
		require.ErrorIs(t, err, os.ErrNotExist, "OpenInsecure created the directory for %s", s)
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, ents, 6, "OpenInsecure wrote files for %s", s)
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			require.Equal(t, "garbage", string(b), "OpenInsecure changed %s for %s", e.Name(), s)
		}
	}
}

// testKeyFiles names the depth-testDepth membership key files.
func testKeyFiles(b verifier.Backend) (pk, vk, ccs string) {
	base := fileBase(statement.Membership(testDepth), b)
	return base + ".pk", base + ".vk", base + ".ccs"
}

// FuzzDecodeFile: the key-file framing never panics or over-allocates, and
// what it accepts re-encodes exactly.
func FuzzDecodeFile(f *testing.F) {
	h := fileHeader{kind: kindPK, backend: verifier.Groth16, name: statement.Membership(4).Name(), gnark: GnarkVersion}
	f.Add(encodeFile(h, []byte("body")))
	f.Add(encodeFile(h, nil))
	f.Add([]byte(kfMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		hh, body, err := decodeFile(data)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		require.Equal(t, data, encodeFile(hh, body))
	})
}
