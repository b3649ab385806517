package election_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
)

func TestAddTotals(t *testing.T) {
	const max32 = 1<<32 - 1
	tests := []struct {
		name      string
		dst       []uint64
		votes     []uint64
		want      []uint64 // nil: an error, dst unchanged
		overflows bool
	}{
		{name: "zero", dst: []uint64{0, 0}, votes: []uint64{0, 0}, want: []uint64{0, 0}},
		{name: "simple", dst: []uint64{1, 2}, votes: []uint64{3, 4}, want: []uint64{4, 6}},
		{name: "exact max", dst: []uint64{math.MaxUint64 - max32, 7}, votes: []uint64{max32, 0}, want: []uint64{math.MaxUint64, 7}},
		{name: "max plus zero", dst: []uint64{math.MaxUint64}, votes: []uint64{0}, want: []uint64{math.MaxUint64}},
		{name: "max plus one wraps", dst: []uint64{math.MaxUint64}, votes: []uint64{1}, overflows: true},
		// The last option overflows: the first must not have been added.
		{name: "all or nothing", dst: []uint64{5, math.MaxUint64 - 1}, votes: []uint64{1, max32}, overflows: true},
		// 2^32+1 ballots of 2^32−1 votes fill a total exactly; one more wraps.
		{name: "2^32+1 ballots of 2^32-1", dst: []uint64{max32 * (1 << 32)}, votes: []uint64{max32}, want: []uint64{math.MaxUint64}},
		{name: "2^32+2 ballots of 2^32-1", dst: []uint64{max32 * (1<<32 + 1)}, votes: []uint64{max32}, overflows: true},
		{name: "compiled options beyond, zero", dst: []uint64{1}, votes: []uint64{2, 0, 0}, want: []uint64{3}},
		{name: "compiled options beyond, non-zero", dst: []uint64{1}, votes: []uint64{2, 0, 1}},
		{name: "too few votes", dst: []uint64{1, 2}, votes: []uint64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := slices.Clone(tt.dst)
			err := AddTotals(dst, tt.votes)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("addTotals(%v, %v): %v", tt.dst, tt.votes, err)
				}
				if !slices.Equal(dst, tt.want) {
					t.Fatalf("addTotals(%v, %v) = %v, want %v", tt.dst, tt.votes, dst, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("addTotals(%v, %v) = %v, want an error", tt.dst, tt.votes, dst)
			}
			if got := errors.Is(err, ErrTotalOverflow); got != tt.overflows {
				t.Fatalf("addTotals(%v, %v): errors.Is(%v, ErrTotalOverflow) = %v", tt.dst, tt.votes, err, got)
			}
			if !slices.Equal(dst, tt.dst) {
				t.Fatalf("addTotals(%v, %v) failed but changed dst to %v", tt.dst, tt.votes, dst)
			}
		})
	}
}

// TestBoxRefusesTotalOverflow: a ballot that would wrap an option's total
// is refused before it is logged, and the box keeps working.
func TestBoxRefusesTotalOverflow(t *testing.T) {
	w := testWorld(t)
	box := openTestBox(t, w, t.TempDir())
	defer box.Close()
	b := ballotOf(t, w, 0) // votes for option 0
	box.SetTotal(0, math.MaxUint64)
	_, err := box.Submit(context.Background(), b.Bytes())
	require.ErrorIs(t, err, ErrTotalOverflow)
	require.Zero(t, box.Results().Ballots)
	_, err = box.Submit(context.Background(), ballotOf(t, w, 1).Bytes()) // option 1
	require.NoError(t, err)
}
