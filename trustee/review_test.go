package trustee

// Checks from an independent review: the subgroup test against its
// definition on every coset, and the Solver exhaustively on small boxes.

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/statement"
)

// TestSubgroupRandomCosets: inSubgroup and ParsePoint agree with
// l·P = O on random curve points (random 254-bit y, both signs of x), on
// their multiples by 2, 4 and 8, and on 8·P plus every point of the
// 8-torsion (built from orderEight, the constant the check itself uses,
// and from an independently found generator).
func TestSubgroupRandomCosets(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 749))
	t8 := orderEight()
	alt := eightTorsion(t)
	var tors [16]twistededwards.PointAffine
	tors[0].Y.SetOne()
	tors[8].Y.SetOne()
	for k := 1; k < 8; k++ {
		tors[k].Add(&tors[k-1], &t8)
		tors[8+k].Add(&tors[8+k-1], &alt)
	}
	check := func(p twistededwards.PointAffine, what string) bool {
		require.True(t, p.IsOnCurve(), what)
		lp := lMul(p)
		want := lp.IsZero()
		require.Equal(t, want, inSubgroup(&p), what)
		b := p.Bytes()
		q, err := ParsePoint(b[:])
		require.Equal(t, want, err == nil, what)
		if err == nil {
			require.True(t, q.p.Equal(&p), what)
		}
		return want
	}
	classes := map[int]int{} // which residues mod 8E we hit: order of l·P
	found, in := 0, 0
	for found < 250 {
		var y fr.Element
		y.SetUint64(rng.Uint64())
		var hi fr.Element
		hi.SetUint64(rng.Uint64())
		y.Mul(&y, &hi).Square(&y) // spread over the field
		yb := y.Bytes()
		enc := reverse(yb[:])
		if rng.IntN(2) == 1 {
			enc[31] |= 0x80
		}
		var p twistededwards.PointAffine
		if _, err := p.SetBytes(enc); err != nil || !p.IsOnCurve() {
			continue
		}
		found++
		if check(p, "random") {
			in++
		}
		tp := lMul(p)
		ord := 1
		for q := tp; !q.IsZero(); ord++ {
			q.Add(&q, &tp)
		}
		classes[ord]++
		for _, m := range []int64{2, 4, 8} {
			var q twistededwards.PointAffine
			q.ScalarMultiplication(&p, big.NewInt(m))
			check(q, "multiple")
		}
		var s twistededwards.PointAffine
		s.ScalarMultiplication(&p, big.NewInt(8))
		require.True(t, check(s, "8·P"))
		for k := 1; k < 16; k++ {
			if k == 8 {
				continue
			}
			var m twistededwards.PointAffine
			m.Add(&s, &tors[k])
			require.False(t, check(m, "8·P + torsion"))
		}
	}
	for _, p := range tors {
		check(p, "torsion")
	}
	// Random points fall in every class: orders 1, 2, 4, 8 of l·P.
	for _, o := range []int{1, 2, 4, 8} {
		require.NotZero(t, classes[o], "no random point whose torsion part has order %d", o)
	}
	t.Logf("%d random points, %d in the subgroup, torsion orders %v", found, in, classes)
}

// TestSolverSmallBoxes: exhaustively over tiny boxes, Solve returns
// exactly the base-2^SlotBits digits of v when every digit is within max,
// and ErrNoSolution otherwise, including values just past 2^SlotBits in
// slot 0 (a carry), negatives and values past the last slot.
func TestSolverSmallBoxes(t *testing.T) {
	const slot = uint64(1) << statement.SlotBits
	for _, slots := range []int{1, 2} {
		for _, max := range []uint64{0, 1, 2, 3, 4, 7} {
			s, err := NewSolver(slots, max)
			require.NoError(t, err)
			var lows []uint64
			for a := uint64(0); a <= max+3; a++ {
				lows = append(lows, a)
			}
			lows = append(lows, slot-1, slot, slot+1, slot+max)
			his := []uint64{0}
			if slots == 2 {
				his = nil
				for a := uint64(0); a <= max+3; a++ {
					his = append(his, a)
				}
				his = append(his, slot-1)
			}
			for _, a0 := range lows {
				for _, a1 := range his {
					v := new(big.Int).SetUint64(a1)
					v.Lsh(v, statement.SlotBits).Add(v, new(big.Int).SetUint64(a0))
					var sc Scalar
					sc.v.Mod(v, order())
					got, err := s.Solve(BaseMul(sc))
					// The expected digits of the integer v.
					d0 := new(big.Int).And(v, new(big.Int).SetUint64(slot-1)).Uint64()
					d1 := new(big.Int).Rsh(v, statement.SlotBits)
					ok := d0 <= max && d1.IsUint64() && (slots == 2 && d1.Uint64() <= max || slots == 1 && d1.Sign() == 0)
					if !ok {
						require.ErrorIs(t, err, ErrNoSolution, "slots %d max %d: %d + %d·2^32", slots, max, a0, a1)
						continue
					}
					require.NoError(t, err, "slots %d max %d: %d + %d·2^32", slots, max, a0, a1)
					want := []uint64{d0, d1.Uint64()}[:slots]
					require.Equal(t, want, got)
				}
				// −v: never in the box unless v = 0.
				if a0 != 0 {
					_, err := s.Solve(Identity().Sub(BaseMul(NewScalar(a0))))
					require.ErrorIs(t, err, ErrNoSolution)
				}
			}
		}
	}
}
