package election

// Hooks for the package's tests, which are external (package election_test)
// because they need package prover, and prover imports election. Each hook
// exposes one unexported name of the package, as an alias or in a wrapper of
// a few lines; this file is compiled only into the test binary.

import (
	"context"

	"github.com/netstate/zkvote/verifier"
)

// The ballot log's layout (box.go) and the parameters' magic (params.go),
// which tests use to build and damage logs and encodings by hand.
const (
	LogFile       = logFile
	BoxMagic      = boxMagic
	RecBallot     = recBallot
	RecClosed     = recClosed
	MaxBallotSize = maxBallotSize
	ParamsMagic   = paramsMagic
)

// LogHeader is logHeader: the ballot log's header for parameters encoded as
// enc.
var LogHeader = logHeader

// AddTotals is addTotals, and ErrTotalOverflow the cause of its (and
// Submit's) error for a total that would pass 2^64 − 1.
var (
	AddTotals        = addTotals
	ErrTotalOverflow = errTotalOverflow
)

// ParamsEqual is p.equal(q): both are valid and encode identically.
func ParamsEqual(p, q *Params) bool { return p.equal(q) }

// LogWriter is the box's seam on its log file (logWriter).
type LogWriter = logWriter

// OpenBoxWrapped opens the box for params in dir as openBox does, with
// vk and without OpenBox's key checks, and with the log file wrapped by
// wrap (to inject write and fsync failures).
func OpenBoxWrapped(dir string, params *Params, vk *verifier.VerifyingKey, wrap func(LogWriter) LogWriter) (*Box, error) {
	enc, err := params.Encode()
	if err != nil {
		return nil, err
	}
	digest, err := params.Digest()
	if err != nil {
		return nil, err
	}
	return openBox(context.Background(), dir, params, vk, enc, digest, wrap)
}

// SetTotal sets the box's running total of option i (pending ballots
// included), as if ballots summing to v had been counted.
func (b *Box) SetTotal(i int, v uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.totals[i] = v
}
