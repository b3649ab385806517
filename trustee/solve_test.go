package trustee

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/statement"
)

// packed returns Σ_j a_j·2^(SlotBits·j)·G, computed with big integers so
// that slot values past 2^SlotBits carry as they would in a sum of
// ballots.
func packed(a ...uint64) Point {
	v := new(big.Int)
	for j := len(a) - 1; j >= 0; j-- {
		v.Lsh(v, statement.SlotBits)
		v.Add(v, new(big.Int).SetUint64(a[j]))
	}
	var s Scalar
	s.v.Mod(v, order())
	return BaseMul(s)
}

// solverCases are the solvers the tests build, small and large. The large
// ones take a good part of a second each.
var solverCases = []struct {
	slots int
	max   uint64
	large bool
}{
	{1, 0, false}, {1, 1, false}, {1, 2, false}, {1, 1000, false}, {1, 1<<20 + 7, false}, {1, 1<<32 - 1, false},
	{2, 0, false}, {2, 1, false}, {2, 5, false}, {2, 1000, false}, {2, 1<<16 + 3, false}, {2, 1<<20 - 1, true},
}

// TestSolver: over random values and the boundaries 0 and max in every
// slot, a Solver recovers every value of the box, and refuses a value
// past max in any slot, whether or not its search covers it.
func TestSolver(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range solverCases {
		t.Run(fmt.Sprintf("slots=%d/max=%d", c.slots, c.max), func(t *testing.T) {
			if c.large && testing.Short() {
				t.Skip("large table")
			}
			s, err := NewSolver(c.slots, c.max)
			require.NoError(t, err)
			// A large box takes a good part of a second per value not in
			// it: fewer of those.
			draws, overs := 12, []uint64{c.max + 1, c.max + 2, c.max + 1 + rng.Uint64N(c.max+1), 1<<statement.SlotBits - 1}
			if c.large {
				draws, overs = 2, []uint64{c.max + 1}
			}
			var in [][]uint64
			edges := []uint64{0, c.max}
			for _, a := range edges {
				for _, b := range edges {
					in = append(in, []uint64{a, b}[:c.slots])
				}
			}
			for range draws {
				v := make([]uint64, c.slots)
				for j := range v {
					v[j] = rng.Uint64N(c.max + 1)
				}
				in = append(in, v)
			}
			for _, v := range in {
				got, err := s.Solve(packed(v...))
				require.NoError(t, err, "%v", v)
				require.Equal(t, v, got)
			}

			// Out of range: one slot past max, the others anything.
			var out [][]uint64
			for j := range c.slots {
				for _, over := range overs {
					if over <= c.max {
						continue
					}
					v := make([]uint64, c.slots)
					for i := range v {
						v[i] = rng.Uint64N(c.max + 1)
					}
					v[j] = over
					out = append(out, v)
				}
			}
			for _, v := range out {
				_, err := s.Solve(packed(v...))
				require.ErrorIs(t, err, ErrNoSolution, "%v", v)
			}
			got, err := s.Solve(Point{})
			require.NoError(t, err, "the zero Point is the identity")
			require.Equal(t, make([]uint64, c.slots), got)
			if c.large {
				return
			}
			// Past the last slot, the negatives of small values, and a
			// random point.
			_, err = s.Solve(packed(append(make([]uint64, c.slots), 1)...))
			require.ErrorIs(t, err, ErrNoSolution)
			for _, v := range []uint64{1, 2, c.max} {
				if v == 0 {
					continue
				}
				_, err := s.Solve(Identity().Sub(packed(v)))
				require.ErrorIs(t, err, ErrNoSolution, "−%d", v)
			}
			_, err = s.Solve(randomPoint(t))
			require.ErrorIs(t, err, ErrNoSolution)
		})
	}
}

// TestSolverCoverPastMax: a hit in the part of the last cells past max is
// refused, in every slot (the cover is a superset of the box).
func TestSolverCoverPastMax(t *testing.T) {
	for _, c := range []struct {
		slots int
		max   uint64
	}{{1, 1000}, {1, 1<<32 - 1}, {2, 1000}, {2, 1<<16 + 3}} {
		s, err := NewSolver(c.slots, c.max)
		require.NoError(t, err)
		b := s.bs
		require.True(t, b.q0*b.w0 > c.max+1 || b.q1*b.w1 > b.n1, "the test needs a cover past max")
		if c.slots == 1 {
			v := b.q0*b.w0 - 1
			got, ok := b.search(packed(v))
			require.True(t, ok, "the search finds %d", v)
			require.Equal(t, v, got)
			_, err := s.Solve(packed(v))
			require.ErrorIs(t, err, ErrNoSolution)
			continue
		}
		tried := 0
		for _, v := range [][]uint64{{b.q0*b.w0 - 1, 0}, {0, b.q1*b.w1 - 1}, {b.q0*b.w0 - 1, b.q1*b.w1 - 1}} {
			if v[1] <= c.max && v[0] <= c.max {
				continue
			}
			tried++
			_, ok := b.search(packed(v...))
			require.True(t, ok, "the search finds %v", v)
			_, err := s.Solve(packed(v...))
			require.ErrorIs(t, err, ErrNoSolution, "%v", v)
		}
		require.NotZero(t, tried)
	}
}

func TestNewSolverRefuses(t *testing.T) {
	for _, c := range []struct {
		slots int
		max   uint64
	}{
		{0, 10}, {-1, 10}, {statement.MaxPack + 1, 10},
		{1, 1 << statement.SlotBits}, {1, 1<<64 - 1},
		{2, 1<<21 - 1}, {2, 1<<32 - 1}, {2, 1 << 32}, {2, 1<<64 - 1},
	} {
		_, err := NewSolver(c.slots, c.max)
		require.Error(t, err, "%d slots of [0, %d]", c.slots, c.max)
		require.False(t, errors.Is(err, ErrNoSolution))
	}
	_, err := NewSolver(2, 1<<21-1)
	require.ErrorContains(t, err, "MaxSearch")
}

// TestSolverTableSize pins the cost that MaxSearch's doc states: the
// largest table, (max+1)² ≤ MaxSearch with two slots, fits in 32 MiB and
// its entries and giant steps are balanced.
func TestSolverTableSize(t *testing.T) {
	max := uint64(1482909) // ⌊√MaxSearch⌋ − 1
	require.LessOrEqual(t, (max+1)*(max+1), uint64(MaxSearch))
	w0, w1 := shape(max+1, max+1)
	entries := (w0/2 + 1) + (w1/2)*w0
	giant := ceilDiv(max+1, w0) * ceilDiv(max+1, w1)
	slots := uint64(1) << bits.Len64(2*entries-1)
	require.LessOrEqual(t, slots*8, uint64(32<<20))
	require.InDelta(t, 1, float64(entries)/float64(giant), 0.1)
}

// TestShape: cells are odd, tile the box and balance table and steps.
func TestShape(t *testing.T) {
	for _, n := range [][2]uint64{{1, 1}, {2, 1}, {3, 1}, {1000, 1}, {1 << 32, 1}, {MaxBound + 1, 1}, {1, 2}, {2, 2}, {1001, 1001}, {1 << 20, 1 << 20}, {1 << 10, 1 << 30}} {
		w0, w1 := shape(n[0], n[1])
		require.Equal(t, uint64(1), w0%2, "%v", n)
		require.Equal(t, uint64(1), w1%2, "%v", n)
		require.GreaterOrEqual(t, ceilDiv(n[0], w0)*w0, n[0])
		require.GreaterOrEqual(t, ceilDiv(n[1], w1)*w1, n[1])
		entries := float64((w0*w1 + 1) / 2)
		giant := float64(ceilDiv(n[0], w0) * ceilDiv(n[1], w1))
		if n[0]*n[1] >= 1<<20 {
			require.InDelta(t, 1, entries/giant, 0.25, "%v: %v entries, %v giant steps", n, entries, giant)
		}
	}
}

// TestSolverKeyCollision: the table is keyed by 64 − idxBits bits of y,
// so keys may collide. Entries planted with the keys of the first giant
// steps and a wrong index are confirmed away: the right value is still
// found, and a point outside the box still finds nothing.
func TestSolverKeyCollision(t *testing.T) {
	s, err := NewSolver(2, 300)
	require.NoError(t, err)
	for _, m := range []Point{packed(123, 2), randomPoint(t)} {
		b := *s.bs
		b.table = append([]uint64(nil), b.table...)
		free := uint64(len(b.table)) - b.entries()
		row := m.ext()
		row.addCached(&b.start)
		cur := row
		planted := 0
		for j := range min(b.q0*b.q1, free/2) {
			switch {
			case j == 0:
			case j%b.q0 != 0:
				cur.addCached(&b.step0)
			default:
				row.addCached(&b.step1)
				cur = row
			}
			y := affine(&cur)[0].p.Y
			b.insert(y[0], 7) // entry 7 is not this point's
			planted++
		}
		require.Greater(t, planted, int(b.q0), "planted past the answer's giant step")
		v, ok := b.search(m)
		if m.Equal(packed(123, 2)) {
			require.True(t, ok)
			require.Equal(t, uint64(123+2<<statement.SlotBits), v)
		} else {
			require.False(t, ok)
		}
	}
}

// TestSolverConcurrent: one Solver serves many goroutines (run with
// -race).
func TestSolverConcurrent(t *testing.T) {
	s, err := NewSolver(2, 5000)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for g := range errs {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for range 20 {
				a, b := rng.Uint64N(5001), rng.Uint64N(5001)
				got, err := s.Solve(packed(a, b))
				if err == nil && (got[0] != a || got[1] != b) {
					err = fmt.Errorf("solved (%d, %d) as %v", a, b, got)
				}
				if err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

// TestCombinePoint: CombinePoint returns v·G, a Solver takes it from
// there, and Combine is CombinePoint followed by Solve.
func TestCombinePoint(t *testing.T) {
	secret, shares, vks := deal(t, 5, 3)
	s, err := NewSolver(2, 1000)
	require.NoError(t, err)
	c := EncryptWith(BaseMul(secret), 17+998<<statement.SlotBits, NewScalar(99))
	var partials []PartialDecryption
	for _, sh := range shares[1:4] {
		p, err := sh.PartialDecrypt(c, []byte("ctx"), nil)
		require.NoError(t, err)
		partials = append(partials, p)
	}
	res, m, err := CombinePoint(3, vks, c, partials, []byte("ctx"))
	require.NoError(t, err)
	require.Equal(t, []int{2, 3, 4}, res.Used)
	require.Zero(t, res.Value)
	require.True(t, m.Equal(packed(17, 998)))
	got, err := s.Solve(m)
	require.NoError(t, err)
	require.Equal(t, []uint64{17, 998}, got)
	_, err = Combine(3, vks, c, partials, []byte("ctx"), MaxBound)
	require.ErrorIs(t, err, ErrNoSolution, "a packed value is far beyond MaxBound")
	res, _, err = CombinePoint(3, vks, c, partials[:2], []byte("ctx"))
	require.ErrorIs(t, err, ErrTooFewShares)
	require.Empty(t, res.Bad)
	_, _, err = CombinePoint(0, vks, c, partials, []byte("ctx"))
	require.Error(t, err)
}

// FuzzSolver: on small boxes, a Solver returns exactly the slots of the
// discrete logarithm when it is below 2^(SlotBits·slots) with every slot
// at most max, and ErrNoSolution otherwise, whatever the slot values
// (carries and wraps modulo l included).
func FuzzSolver(f *testing.F) {
	f.Add(uint8(1), uint16(10), uint64(3), uint64(0))
	f.Add(uint8(2), uint16(300), uint64(300), uint64(299))
	f.Add(uint8(2), uint16(300), uint64(301), uint64(0))
	f.Add(uint8(2), uint16(0), uint64(1<<32), uint64(1<<32-1))
	f.Add(uint8(1), uint16(2000), uint64(1<<64-1), uint64(7))
	f.Fuzz(func(t *testing.T, slots uint8, max uint16, a0, a1 uint64) {
		n := int(slots%2) + 1
		s, err := NewSolver(n, uint64(max))
		require.NoError(t, err)
		a := []uint64{a0, a1}[:n]
		v := new(big.Int)
		for j := n - 1; j >= 0; j-- {
			v.Lsh(v, statement.SlotBits).Add(v, new(big.Int).SetUint64(a[j]))
		}
		v.Mod(v, order())
		var want []uint64
		if v.BitLen() <= statement.SlotBits*n {
			for range n {
				w := new(big.Int).And(v, big.NewInt(1<<statement.SlotBits-1)).Uint64()
				if w > uint64(max) {
					want = nil
					break
				}
				want = append(want, w)
				v.Rsh(v, statement.SlotBits)
			}
		}
		got, err := s.Solve(packed(a...))
		if want == nil {
			require.ErrorIs(t, err, ErrNoSolution)
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
}
