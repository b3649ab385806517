package circuits

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/statement"
)

// TestLimitsAgree: the largest statement each constructor admits has
// exactly the public inputs its count function says, and no more than a
// verifier accepts. Before the limits were one table, 56 to 64 options were
// admitted here and refused by every verifier.
func TestLimitsAgree(t *testing.T) {
	require.Equal(t, statement.MaxPublic, statement.Vote(1, statement.MaxOptions).NbPublic())
	c, err := shapeVote(2, statement.MaxOptions)
	require.NoError(t, err)
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	require.NoError(t, err)
	require.Equal(t, statement.Vote(1, statement.MaxOptions).NbPublic(), ccs.GetNbPublicVariables()-1)
	_, err = shapeVote(2, statement.MaxOptions+1)
	require.Error(t, err)
	_, err = shapeTally(2, statement.MaxOptions+1)
	require.Error(t, err)
	require.LessOrEqual(t, statement.Tally(1, 1).NbPublic(), statement.MaxPublic)
	_, err = shapeMembership(statement.MaxDepth + 1)
	require.Error(t, err)
	_, err = shapeMembership(statement.MaxDepth)
	require.NoError(t, err)
}
