package election

import (
	"errors"
	"fmt"
	"math/bits"
)

// errTotalOverflow is the cause of every error addTotals returns: a
// per-option total would pass 2^64 − 1. Each vote is below 2^32, so this
// needs more than 2^32 ballots; it is refused rather than wrapped.
var errTotalOverflow = errors.New("election: an option's total overflows 64 bits")

// addTotals adds votes to the per-option totals in dst: dst[i] += votes[i]
// for every i < len(dst). votes may be longer than dst (the compiled number
// of options against the election's); the values beyond len(dst) must be 0.
//
// It is all or nothing: if any sum would pass 2^64 − 1, or votes is too
// short, or a vote falls beyond the election's options, it returns an error
// and dst is unchanged.
func addTotals(dst, votes []uint64) error {
	if len(votes) < len(dst) {
		return fmt.Errorf("election: %d votes for %d options", len(votes), len(dst))
	}
	for i, v := range votes[len(dst):] {
		if v != 0 {
			return fmt.Errorf("election: %d votes for option %d, beyond the election's %d", v, len(dst)+i, len(dst))
		}
	}
	for i, t := range dst {
		if _, carry := bits.Add64(t, votes[i], 0); carry != 0 {
			return fmt.Errorf("%w (option %d)", errTotalOverflow, i)
		}
	}
	for i := range dst {
		dst[i] += votes[i]
	}
	return nil
}
