package verifier_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

var (
	solOnce  sync.Once
	solKeys  *prover.Keys
	solProof *verifier.Proof
)

func solidityFixture(t *testing.T) (*prover.Keys, *verifier.Proof) {
	solOnce.Do(func() {
		ctx := context.Background()
		k, err := prover.SetupInsecure(ctx, statement.Membership(4))
		require.NoError(t, err)
		tr := membership.NewTree(nil)
		_, err = tr.InsertMany(ctx, membershiptest.Commitments(0, 3))
		require.NoError(t, err)
		p, err := tr.Proof(1)
		require.NoError(t, err)
		var s, m fr.Element
		s.SetUint64(1)
		m.SetUint64(2)
		w, err := prover.NewMembershipWitness(membershiptest.Identity(1), p, s, m)
		require.NoError(t, err)
		pr, err := k.Prove(ctx, w)
		require.NoError(t, err)
		solKeys, solProof = k, pr
	})
	require.NotNil(t, solKeys)
	return solKeys, solProof
}

func TestExportSolidity(t *testing.T) {
	k, _ := solidityFixture(t)
	var b bytes.Buffer
	require.NoError(t, verifier.ExportSolidity(k.VerifyingKey(), &b))
	src := b.String()
	require.Contains(t, src, "function verifyProof(")
	require.Contains(t, src, "uint256[4] calldata input")
	// The key's α is in the contract as a decimal constant.
	alpha := k.VerifyingKey().Groth16Key().G1.Alpha
	require.True(t, strings.Contains(src, alpha.X.String()), "alpha.x missing from the contract")
	require.Error(t, verifier.ExportSolidity(nil, &b))
}

func TestSolidityCalldata(t *testing.T) {
	_, pr := solidityFixture(t)
	proof, input, err := verifier.SolidityCalldata(pr)
	require.NoError(t, err)
	require.Len(t, proof, 256)
	require.Len(t, input, 4)
	for i := range input {
		require.Equal(t, pr.Public[i].Bytes(), input[i])
	}
	// EIP-197 order, rebuilt from the compressed points with gnark-crypto's
	// uncompressed encodings: A = x | y, B = x.imaginary | x.real |
	// y.imaginary | y.real, C = x | y.
	var want []byte
	want = append(want, g1Raw(t, pr.Data[0:32])...)
	want = append(want, g2Raw(t, pr.Data[32:96])...)
	want = append(want, g1Raw(t, pr.Data[96:128])...)
	require.Equal(t, want, proof)
	_, _, err = verifier.SolidityCalldata(&verifier.Proof{Backend: verifier.PLONK})
	require.Error(t, err)
}
