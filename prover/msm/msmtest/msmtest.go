// Package msmtest is a proof helper (a prover.Helper) in this process, for
// tests: what a browser's helper Worker does, on a goroutine per part,
// with hooks to make it fail.
package msmtest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254"

	"github.com/netstate/zkvote/prover/msm"
)

// Helper computes parts with msm.ParseBases and msm.Bases.Run, and
// records what it was asked. Its methods are safe for concurrent use; set
// its fields before handing it out.
type Helper struct {
	// LoadErr, if not nil, fails every Load.
	LoadErr error
	// Mangle, if not nil, replaces each sum (or fails it).
	Mangle func(p msm.Part, sum []byte) ([]byte, error)

	mu     sync.Mutex
	bases  map[msm.Part]*msm.Bases
	loads  []msm.Part
	starts []msm.Part
	waits  int
}

// Load implements prover.Helper.
func (h *Helper) Load(_ context.Context, p msm.Part, data []byte) error {
	if h.LoadErr != nil {
		return h.LoadErr
	}
	b, err := msm.ParseBases(data)
	if err != nil {
		return err
	}
	if b.Part() != p {
		return fmt.Errorf("msmtest: bases of part %v loaded as %v", b.Part(), p)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.bases == nil {
		h.bases = map[msm.Part]*msm.Bases{}
	}
	h.bases[p] = b
	h.loads = append(h.loads, p)
	return nil
}

// Start implements prover.Helper.
func (h *Helper) Start(p msm.Part, scalars []byte) func() ([]byte, error) {
	h.mu.Lock()
	h.starts = append(h.starts, p)
	b := h.bases[p]
	h.mu.Unlock()
	type result struct {
		sum []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		if b == nil {
			done <- result{err: fmt.Errorf("msmtest: no bases for part %v", p)}
			return
		}
		sum, err := b.Run(scalars, 2)
		if err == nil && h.Mangle != nil {
			sum, err = h.Mangle(p, sum)
		}
		done <- result{sum, err}
	}()
	return func() ([]byte, error) {
		h.mu.Lock()
		h.waits++
		h.mu.Unlock()
		r := <-done
		return r.sum, r.err
	}
}

// Holds reports whether the helper holds bases for p.
func (h *Helper) Holds(p msm.Part) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bases[p] != nil
}

// Loads returns the parts loaded, in order.
func (h *Helper) Loads() []msm.Part {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.loads)
}

// Starts returns the parts started, in order.
func (h *Helper) Starts() []msm.Part {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.starts)
}

// Waits returns how many waits were called.
func (h *Helper) Waits() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.waits
}

// PlusGenerator is a Mangle that adds the group's generator to every sum:
// a point of the group that is not the sum.
func PlusGenerator(p msm.Part, sum []byte) ([]byte, error) {
	_, _, g1, g2 := bn254.Generators()
	if p.G2() {
		s, err := msm.ParseG2(sum)
		if err != nil {
			return nil, err
		}
		s.Add(&s, &g2)
		b := s.RawBytes()
		return b[:], nil
	}
	s, err := msm.ParseG1(sum)
	if err != nil {
		return nil, err
	}
	s.Add(&s, &g1)
	b := s.RawBytes()
	return b[:], nil
}

// Only applies mangle to part p's sums and leaves the others true.
func Only(p msm.Part, mangle func(msm.Part, []byte) ([]byte, error)) func(msm.Part, []byte) ([]byte, error) {
	return func(q msm.Part, sum []byte) ([]byte, error) {
		if q != p {
			return sum, nil
		}
		return mangle(q, sum)
	}
}
