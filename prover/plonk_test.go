package prover

import (
	"bytes"
	"context"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/test/unsafekzg"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// testPLONKKeys runs a PLONK setup from gnark's unsafe test SRS (its toxic
// value is known to this process: tests only).
func testPLONKKeys(t testing.TB, depth int) *Keys {
	ccs, err := compile(context.Background(), statement.Membership(depth), verifier.PLONK)
	require.NoError(t, err)
	srs, lag, err := unsafekzg.NewSRS(ccs)
	require.NoError(t, err)
	k, err := SetupPLONK(context.Background(), statement.Membership(depth), srs.(*kzg.SRS), lag.(*kzg.SRS))
	require.NoError(t, err)
	return k
}

func TestPLONKProveVerify(t *testing.T) {
	k := testPLONKKeys(t, testDepth)
	require.Equal(t, verifier.PLONK, k.Backend())
	tr := testTree(t, 9)
	p, err := tr.Proof(8)
	require.NoError(t, err)
	pr, err := proveMember(context.Background(), k, membershiptest.Identity(8), p, fe(3), fe(4))
	require.NoError(t, err)
	require.Len(t, pr.Data, verifier.PLONKProofSize)
	vk := k.VerifyingKey()
	require.NoError(t, verifier.Verify(vk, pr))

	// Round trips of proof and key.
	back, err := verifier.ParseProof(pr.Bytes())
	require.NoError(t, err)
	require.Equal(t, pr.Bytes(), back.Bytes())
	vk2, err := verifier.ParseVerifyingKey(vk.Bytes())
	require.NoError(t, err)
	require.Equal(t, vk.ID(), vk2.ID())
	require.NoError(t, verifier.Verify(vk2, back))

	// Tampering: each public signal, and a byte in every 32-byte word.
	for i := range pr.Public {
		q, _ := verifier.ParseProof(pr.Bytes())
		one := fe(1)
		q.Public[i].Add(&q.Public[i], &one)
		require.ErrorIs(t, verifier.Verify(vk, q), verifier.ErrInvalidProof, "signal %d", i)
	}
	enc := pr.Bytes()
	for i := 39 + 32*len(pr.Public); i < len(enc); i += 7 {
		b := bytes.Clone(enc)
		b[i] ^= 1
		q, err := verifier.ParseProof(b)
		if err != nil {
			continue
		}
		require.Error(t, verifier.Verify(vk, q), "byte %d", i)
	}

	// A Groth16 key refuses a PLONK proof and the other way round.
	require.ErrorIs(t, verifier.Verify(testKeys(t).VerifyingKey(), pr), verifier.ErrKeyMismatch)
	g := proveFor(t, tr, 1, 3, 4)
	require.ErrorIs(t, verifier.Verify(vk, g), verifier.ErrKeyMismatch)
}

func TestLagrangeSRS(t *testing.T) {
	ccs, err := compile(context.Background(), statement.Membership(testDepth), verifier.PLONK)
	require.NoError(t, err)
	srs, lag, err := unsafekzg.NewSRS(ccs)
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = srs.WriteTo(&buf)
	require.NoError(t, err)
	read, err := ReadSRS(&buf)
	require.NoError(t, err)
	mine, err := LagrangeSRS(context.Background(), statement.Membership(testDepth), read)
	require.NoError(t, err)
	require.Equal(t, lag.(*kzg.SRS).Pk.G1, mine.Pk.G1)
	_, err = ReadSRS(bytes.NewReader([]byte{1, 2, 3}))
	require.Error(t, err)
	_, err = LagrangeSRS(context.Background(), statement.Membership(testDepth), &kzg.SRS{})
	require.Error(t, err)
	_, err = LagrangeSRS(context.Background(), statement.Membership(0), read)
	require.Error(t, err)
}
