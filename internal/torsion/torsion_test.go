package torsion

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/stretchr/testify/require"
)

// TestPoints: each point is on the curve and of exactly its order, and a
// point of the prime-order subgroup is outside the 8-torsion.
func TestPoints(t *testing.T) {
	for _, o := range []int{1, 2, 4, 8} {
		p := Point(o)
		require.True(t, p.IsOnCurve(), "order %d", o)
		require.Equal(t, o, Order(p), "order %d", o)
	}
	require.Equal(t, 0, Order(twistededwards.GetEdwardsCurve().Base))
	require.Panics(t, func() { Point(3) })
}
