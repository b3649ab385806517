package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/limits"
)

// TestLimitsAgree: the largest statement each constructor admits has
// exactly the public inputs its count function says, and no more than a
// verifier accepts. Before the limits were one table, 56 to 64 options were
// admitted here and refused by every verifier.
func TestLimitsAgree(t *testing.T) {
	require.Equal(t, limits.MaxPublic, VotePublicCount(MaxOptionsLimit))
	c, err := NewVote(2, MaxOptionsLimit)
	require.NoError(t, err)
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	require.NoError(t, err)
	require.Equal(t, VotePublicCount(MaxOptionsLimit), ccs.GetNbPublicVariables()-1)
	_, err = NewVote(2, MaxOptionsLimit+1)
	require.Error(t, err)
	_, err = NewTally(2, MaxOptionsLimit+1)
	require.Error(t, err)
	require.LessOrEqual(t, TallyPublicCount, limits.MaxPublic)
	_, err = NewMembership(MaxSupportedDepth + 1)
	require.Error(t, err)
	_, err = NewMembership(MaxSupportedDepth)
	require.NoError(t, err)
}
