//go:build !js

package web_test

// The browser voter reads the vote keys from bytes the box serves, with
// prover.ReadKeys: the same checks as prover.Load, which these tests hold
// it to, and no panic on any bytes.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/consensys/gnark/logger"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// keyFiles are the three files of development keys of a small vote
// statement, made once per test binary.
type keyFiles struct {
	s           statement.Statement
	dir         string
	pk, ccs, vk []byte
}

var smallKeyFiles = sync.OnceValues(func() (*keyFiles, error) {
	logger.Disable()
	s := statement.Vote(4, 3)
	k, err := prover.SetupInsecure(context.Background(), s)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "zkvote-web-keys-")
	if err != nil {
		return nil, err
	}
	keyDirs = append(keyDirs, dir)
	if err := k.WriteFiles(dir); err != nil {
		return nil, err
	}
	f := &keyFiles{s: s, dir: dir}
	pk, ccs, vk := prover.KeyFiles(s, verifier.Groth16)
	for _, x := range []struct {
		name string
		to   *[]byte
	}{{pk, &f.pk}, {ccs, &f.ccs}, {vk, &f.vk}} {
		if *x.to, err = os.ReadFile(filepath.Join(dir, x.name)); err != nil {
			return nil, err
		}
	}
	return f, nil
})

// keyDirs are removed by TestMain.
var keyDirs []string

func small(t testing.TB) *keyFiles {
	t.Helper()
	f, err := smallKeyFiles()
	require.NoError(t, err)
	return f
}

func TestReadKeys(t *testing.T) {
	ctx := context.Background()
	f := small(t)
	loaded, err := prover.Load(ctx, f.dir, f.s, verifier.Groth16, prover.Trusted)
	require.NoError(t, err)
	for _, mode := range []prover.LoadMode{prover.Trusted, prover.Checked} {
		k, err := prover.ReadKeys(ctx, f.s, verifier.Groth16, f.pk, f.ccs, f.vk, mode)
		require.NoError(t, err)
		require.Equal(t, loaded.VerifyingKey().ID(), k.VerifyingKey().ID())
		require.Equal(t, loaded.NbConstraints(), k.NbConstraints())
		require.Equal(t, f.s, k.Statement())
	}
	// Checked compiles the circuit: it needs no constraint-system file.
	_, err = prover.ReadKeys(ctx, f.s, verifier.Groth16, f.pk, nil, f.vk, prover.Checked)
	require.NoError(t, err)
	_, err = prover.ReadKeys(ctx, f.s, verifier.Groth16, f.pk, nil, f.vk, prover.Trusted)
	require.ErrorIs(t, err, prover.ErrCorrupt)

	// The files of another statement, or of another backend.
	_, err = prover.ReadKeys(ctx, statement.Vote(5, 3), verifier.Groth16, f.pk, f.ccs, f.vk, prover.Trusted)
	require.ErrorIs(t, err, prover.ErrStaleKey)
	_, err = prover.ReadKeys(ctx, f.s, verifier.PLONK, f.pk, f.ccs, f.vk, prover.Trusted)
	require.ErrorIs(t, err, prover.ErrStaleKey)
	// Swapped files.
	_, err = prover.ReadKeys(ctx, f.s, verifier.Groth16, f.ccs, f.pk, f.vk, prover.Trusted)
	require.ErrorIs(t, err, prover.ErrStaleKey)
	// Truncated or flipped: corrupt, in both modes.
	for _, mode := range []prover.LoadMode{prover.Trusted, prover.Checked} {
		_, err = prover.ReadKeys(ctx, f.s, verifier.Groth16, f.pk[:len(f.pk)-1], f.ccs, f.vk, mode)
		require.ErrorIs(t, err, prover.ErrCorrupt)
		pk := bytes.Clone(f.pk)
		pk[len(pk)-100] ^= 1
		_, err = prover.ReadKeys(ctx, f.s, verifier.Groth16, pk, f.ccs, f.vk, mode)
		require.ErrorIs(t, err, prover.ErrCorrupt)
	}
	ccs := bytes.Clone(f.ccs)
	ccs[len(ccs)-1] ^= 1
	_, err = prover.ReadKeys(ctx, f.s, verifier.Groth16, f.pk, ccs, f.vk, prover.Trusted)
	require.ErrorIs(t, err, prover.ErrCorrupt)
	// Another verifying key.
	other, err := prover.SetupInsecure(ctx, f.s)
	require.NoError(t, err)
	_, err = prover.ReadKeys(ctx, f.s, verifier.Groth16, f.pk, f.ccs, other.VerifyingKey().Bytes(), prover.Trusted)
	require.ErrorIs(t, err, prover.ErrStaleKey)
	// A cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = prover.ReadKeys(cctx, f.s, verifier.Groth16, f.pk, f.ccs, f.vk, prover.Trusted)
	require.ErrorIs(t, err, context.Canceled)
}

// FuzzReadKeys feeds ReadKeys (Trusted, the browser's mode) mutated key
// files: an error, never a panic, and keys only of the verifying key
// given. (Each fuzzing process makes its own keys: the seeds need not be
// its files.)
func FuzzReadKeys(f *testing.F) {
	k := small(f)
	f.Add(k.pk, k.ccs, k.vk)
	f.Add(k.pk[:200], k.ccs[:200], k.vk)
	f.Add(k.ccs, k.pk, k.vk)
	f.Add([]byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, pk, ccs, vk []byte) {
		got, err := prover.ReadKeys(context.Background(), k.s, verifier.Groth16, pk, ccs, vk, prover.Trusted)
		if err != nil {
			if !errors.Is(err, prover.ErrCorrupt) && !errors.Is(err, prover.ErrStaleKey) {
				t.Fatalf("an error that is neither corrupt nor stale: %v", err)
			}
			return
		}
		if got.VerifyingKey().ID() != sha256.Sum256(vk) || got.Statement() != k.s {
			t.Fatalf("keys of %s with vk ID %x read from a vk file of hash %x", got.Statement(), got.VerifyingKey().ID(), sha256.Sum256(vk))
		}
	})
}

// FuzzReadKeysCircuit feeds gnark's constraint-system decoder, which
// Trusted mode uses, a mutated circuit with its hashes made to match (as
// whoever serves the files can): an error, never a panic.
func FuzzReadKeysCircuit(f *testing.F) {
	k := small(f)
	_, body := splitKeyFile(f, k.ccs)
	f.Add(body)
	f.Add(body[:len(body)/2])
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha256.Sum256(body)
		ccs := rehash(t, k.ccs, body, sum)
		pk := rehash(t, k.pk, nil, sum)
		_, err := prover.ReadKeys(context.Background(), k.s, verifier.Groth16, pk, ccs, k.vk, prover.Trusted)
		if err != nil && !errors.Is(err, prover.ErrCorrupt) && !errors.Is(err, prover.ErrStaleKey) {
			t.Fatalf("an error that is neither corrupt nor stale: %v", err)
		}
	})
}

// splitKeyFile splits a key file (prover's "ZKVOTEKF" format) into its
// header and body.
func splitKeyFile(t testing.TB, file []byte) (header, body []byte) {
	t.Helper()
	nl := int(file[11])
	gl := int(file[12+nl])
	end := 13 + nl + gl + 32 + 32 + 8 + 32
	return file[:end], file[end:]
}

// rehash returns file with its circuit digest set to digest and, if body
// is not nil, its body replaced and the body's length and hash fixed.
func rehash(t testing.TB, file, body []byte, digest [32]byte) []byte {
	t.Helper()
	header, old := splitKeyFile(t, file)
	if body == nil {
		body = old
	}
	h := bytes.Clone(header)
	nl := int(h[11])
	gl := int(h[12+nl])
	off := 13 + nl + gl
	copy(h[off:], digest[:])
	off += 64
	n := uint64(len(body))
	for i := range 8 {
		h[off+i] = byte(n >> (56 - 8*i))
	}
	sum := sha256.Sum256(body)
	copy(h[off+8:], sum[:])
	return append(h, body...)
}
