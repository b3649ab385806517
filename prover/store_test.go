package prover

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/verifier"
)

// checkKeysWork proves with k and verifies with want's verifying key.
func checkKeysWork(t *testing.T, k *MembershipKeys, want *verifier.VerifyingKey) {
	t.Helper()
	tr := testTree(t, 6)
	p, err := tr.Proof(4)
	require.NoError(t, err)
	pr, err := k.Prove(context.Background(), membershiptest.Identity(4), p, fe(1), fe(2))
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(want, pr))
}

func TestWriteLoadKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys func(t *testing.T) *MembershipKeys
	}{
		{"groth16", func(t *testing.T) *MembershipKeys { return testKeys(t) }},
		{"plonk", func(t *testing.T) *MembershipKeys { return testPLONKKeys(t, testDepth) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.keys(t)
			dir := t.TempDir()
			require.NoError(t, k.WriteFiles(dir))
			for _, mode := range []LoadMode{Checked, Trusted} {
				got, err := LoadMembershipKeys(context.Background(), dir, testDepth, k.Backend(), mode)
				require.NoError(t, err)
				require.Equal(t, k.VerifyingKey().ID(), got.VerifyingKey().ID())
				require.Equal(t, k.NbConstraints(), got.NbConstraints())
				checkKeysWork(t, got, k.VerifyingKey())
			}
			_, err := LoadMembershipKeys(context.Background(), dir, testDepth+1, k.Backend(), Checked)
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
			_, err := LoadMembershipKeys(context.Background(), dir, testDepth, verifier.Groth16, Trusted)
			require.Error(t, err, "%s %s", name, what)
			require.True(t, errors.Is(err, ErrCorruptKey) || errors.Is(err, ErrStaleKey), "%s %s: %v", name, what, err)
		}
	}
}

func TestLoadKeysStale(t *testing.T) {
	// Keys of another setup (another vk) with this proving key: stale pair.
	a := testKeys(t)
	b, err := SetupMembershipInsecure(context.Background(), testDepth)
	require.NoError(t, err)
	dirA, dirB := t.TempDir(), t.TempDir()
	require.NoError(t, a.WriteFiles(dirA))
	require.NoError(t, b.WriteFiles(dirB))
	_, vkName, _ := testKeyFiles(verifier.Groth16)
	vkB, err := os.ReadFile(filepath.Join(dirB, vkName))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dirA, vkName), vkB, 0o600))
	_, err = LoadMembershipKeys(context.Background(), dirA, testDepth, verifier.Groth16, Checked)
	require.ErrorIs(t, err, ErrStaleKey)

	// A proving key recorded for another gnark release.
	dir := t.TempDir()
	require.NoError(t, a.WriteFiles(dir))
	pkName, _, _ := testKeyFiles(verifier.Groth16)
	data, err := os.ReadFile(filepath.Join(dir, pkName))
	require.NoError(t, err)
	data = bytes.Replace(data, []byte(GnarkVersion), []byte("v0.16.1"), 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, pkName), data, 0o600))
	_, err = LoadMembershipKeys(context.Background(), dir, testDepth, verifier.Groth16, Trusted)
	require.ErrorIs(t, err, ErrStaleKey)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = LoadMembershipKeys(ctx, dirB, testDepth, verifier.Groth16, Checked)
	require.ErrorIs(t, err, context.Canceled)
}

func TestOpenKeysCache(t *testing.T) {
	dir := t.TempDir()
	k1, err := OpenMembershipKeysInsecure(context.Background(), dir, testDepth)
	require.NoError(t, err)
	k2, err := OpenMembershipKeysInsecure(context.Background(), dir, testDepth)
	require.NoError(t, err)
	require.Equal(t, k1.VerifyingKey().ID(), k2.VerifyingKey().ID(), "second open reuses the cache")
	checkKeysWork(t, k2, k1.VerifyingKey())
	// A damaged cache is rebuilt, never trusted.
	pkName, _, _ := testKeyFiles(verifier.Groth16)
	require.NoError(t, os.WriteFile(filepath.Join(dir, pkName), []byte("garbage"), 0o600))
	k3, err := OpenMembershipKeysInsecure(context.Background(), dir, testDepth)
	require.NoError(t, err)
	require.NotEqual(t, k1.VerifyingKey().ID(), k3.VerifyingKey().ID())
	checkKeysWork(t, k3, k3.VerifyingKey())
}

// testKeyFiles names the depth-testDepth membership key files.
func testKeyFiles(b verifier.Backend) (pk, vk, ccs string) {
	base := membershipSpec(testDepth).fileBase(b)
	return base + ".pk", base + ".vk", base + ".ccs"
}

// FuzzDecodeFile: the key-file framing never panics or over-allocates, and
// what it accepts re-encodes exactly.
func FuzzDecodeFile(f *testing.F) {
	h := fileHeader{kind: kindPK, backend: verifier.Groth16, name: MembershipCircuitName(4), gnark: GnarkVersion}
	f.Add(encodeFile(h, []byte("body")))
	f.Add(encodeFile(h, nil))
	f.Add([]byte(kfMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		hh, body, err := decodeFile(data)
		if err != nil {
			require.ErrorIs(t, err, ErrCorruptKey)
			return
		}
		require.Equal(t, data, encodeFile(hh, body))
	})
}
