package prover_test

// Ceremony states are untrusted bytes on both sides: the coordinator
// decodes what contributors return ((*Ceremony).VerifyContribution), and a
// contributor decodes what the coordinator hands out (Contribute). Each
// crafted state below (huge domain sizes and vector lengths, uncompressed
// points that move every later field, truncations, headers naming another
// or a huge circuit) runs under an address-space limit in a child process
// (internal/memlimit): it must be refused with an error, quickly, never by
// a crash. The crafted bytes are built from the format as documented in
// prover/ceremony.go, independently of its decoder.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"

	"github.com/netstate/zkvote/internal/memlimit"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
)

const (
	// crHeaderLen is the ceremony state header: "ZKVOTECR", version,
	// phase, circuit kind, two uint16 sizes.
	crHeaderLen = 8 + 1 + 1 + 1 + 2 + 2
	// crDepth keeps the ceremony small (as ceremony_test.go does).
	crDepth = 2
	// crQuick bounds the refusal of a few crafted states by the
	// coordinator, which decodes nothing before checking the layout.
	crQuick = 500 * time.Millisecond
	// crMany bounds the refusal of some hundreds of crafted states.
	crMany = 3 * time.Second
	// crCompile bounds a contributor's refusal: Contribute compiles the
	// circuit the header names (depth 2 here) before it decodes the body.
	crCompile = 5 * time.Second
	// crPhase1N is where a phase-1 body holds its domain size N: after
	// three update proofs of a compressed G1 and G2 point each.
	crPhase1N = 3 * (32 + 64)
)

// crHeader returns a ceremony state header.
func crHeader(phase, kind byte, a, b uint16) []byte {
	h := append([]byte("ZKVOTECR"), 2, phase, kind)
	h = binary.BigEndian.AppendUint16(h, a)
	return binary.BigEndian.AppendUint16(h, b)
}

// crChallengeLen returns the offset of the challenge's length byte in a
// valid state: its challenge is empty or 32 bytes long.
func crChallengeLen(t *testing.T, state []byte) int {
	t.Helper()
	switch {
	case state[len(state)-33] == 32:
		return len(state) - 33
	case state[len(state)-1] == 0:
		return len(state) - 1
	}
	t.Fatal("state does not end in a challenge")
	return 0
}

// crSet returns a copy of b with v written at off.
func crSet(b []byte, off int, v ...byte) []byte {
	x := bytes.Clone(b)
	copy(x[off:], v)
	return x
}

// crRefused returns nil if err is a refusal wrapping ErrMalformedContribution
// (or, when invalidOK, ErrInvalidContribution).
func crRefused(err error, invalidOK bool) error {
	switch {
	case err == nil:
		return errors.New("accepted")
	case errors.Is(err, prover.ErrMalformedContribution):
		return nil
	case invalidOK && errors.Is(err, prover.ErrInvalidContribution):
		return nil
	}
	return fmt.Errorf("unexpected error: %v", err)
}

// crPhase1Cases are crafted phase-1 states derived from the valid initial
// state of a depth-2 membership ceremony.
func crPhase1Cases(t *testing.T, initial []byte) map[string][]byte {
	h := crHeaderLen
	_, _, g1, _ := bn254.Generators()
	raw := g1.RawBytes() // uncompressed: its first byte has the flag bits 00
	// The first point written uncompressed (64 bytes instead of 32) moves
	// N 32 bytes later, where this state puts 2^32; the total length is
	// kept.
	moved := append(append(bytes.Clone(initial[:h]), raw[:]...), initial[h+32:len(initial)-32]...)
	binary.BigEndian.PutUint64(moved[h+crPhase1N+32:], 1<<32)
	if len(moved) != len(initial) {
		t.Fatalf("moved state is %d bytes, want %d", len(moved), len(initial))
	}
	return map[string][]byte{
		"header only":           initial[:h],
		"N=2^32":                crSet(initial, h+crPhase1N, 0, 0, 0, 1, 0, 0, 0, 0),
		"N=2^64-1":              crSet(initial, h+crPhase1N, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		"N=2^32 cut after N":    crSet(initial[:h+crPhase1N+8], h+crPhase1N, 0, 0, 0, 1, 0, 0, 0, 0),
		"uncompressed moving N": moved,
		"uncompressed first":    append(append(bytes.Clone(initial[:h]), raw[:]...), initial[h+32:]...),
		"challenge of 255":      crSet(initial, crChallengeLen(t, initial), 255),
		"challenge of 31":       crSet(initial, crChallengeLen(t, initial), 31),
		"trailing 1 MiB":        append(bytes.Clone(initial), make([]byte, 1<<20)...),
		"zero body":             append(bytes.Clone(initial[:h]), make([]byte, len(initial)-h)...),
		"0xff body":             append(bytes.Clone(initial[:h]), bytes.Repeat([]byte{0xff}, len(initial)-h)...),
	}
}

// TestCeremonyStateBoundedPhase1: crafted phase-1 states are refused by the
// coordinator and by a contributor within milliseconds and bounded memory.
func TestCeremonyStateBoundedPhase1(t *testing.T) {
	ctx := context.Background()
	c, err := prover.NewCeremony(ctx, statement.Membership(crDepth))
	if err != nil {
		t.Fatal(err)
	}
	initial := c.State()
	cases := crPhase1Cases(t, initial)

	memlimit.Run(t, "coordinator", crMany, func() error {
		for name, x := range cases {
			if err := crRefused(c.VerifyContribution(ctx, x), false); err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
		// Every truncation of the first kilobyte, and a sample beyond.
		for k := 0; k < len(initial); k += max(1, min(k/16, 1021)) {
			if err := crRefused(c.VerifyContribution(ctx, initial[:k]), false); err != nil {
				return fmt.Errorf("truncated to %d: %v", k, err)
			}
		}
		if c.Contributions() != 0 || !bytes.Equal(c.State(), initial) {
			return errors.New("a refused state changed the ceremony")
		}
		return nil
	})
	memlimit.Run(t, "contributor", crCompile, func() error {
		for name, x := range cases {
			if _, err := prover.Contribute(ctx, statement.Membership(crDepth), x); crRefused(err, false) != nil {
				return fmt.Errorf("%s: %v", name, crRefused(err, false))
			}
		}
		for _, k := range []int{crHeaderLen + 1, crHeaderLen + crPhase1N + 4, len(initial) / 2, len(initial) - 1} {
			if _, err := prover.Contribute(ctx, statement.Membership(crDepth), initial[:k]); crRefused(err, false) != nil {
				return fmt.Errorf("truncated to %d: %v", k, crRefused(err, false))
			}
		}
		return nil
	})
}

// TestCeremonyStateBoundedHeader: headers that name no circuit, a circuit
// out of range, or another circuit than the coordinator's are refused by
// both sides before any body is decoded.
func TestCeremonyStateBoundedHeader(t *testing.T) {
	ctx := context.Background()
	c, err := prover.NewCeremony(ctx, statement.Membership(crDepth))
	if err != nil {
		t.Fatal(err)
	}
	body := c.State()[crHeaderLen:]
	cases := map[string][]byte{
		"empty":              {},
		"magic only":         []byte("ZKVOTECR"),
		"version 0":          crSet(crHeader(1, 1, crDepth, 0), 8, 0),
		"version 255":        crSet(crHeader(1, 1, crDepth, 0), 8, 255),
		"phase 0":            crHeader(0, 1, crDepth, 0),
		"phase 255":          crHeader(255, 1, crDepth, 0),
		"kind 0":             crHeader(1, 0, crDepth, 0),
		"kind 255":           crHeader(1, 255, crDepth, 0),
		"depth 0":            crHeader(1, 1, 0, 0),
		"depth 65535":        crHeader(1, 1, 0xffff, 0),
		"vote 65535 options": crHeader(1, 2, crDepth, 0xffff),
		"tally batch 65535":  crHeader(1, 3, 0xffff, 2),
		"tally 0 options":    crHeader(1, 3, 2, 0),
	}
	for name, x := range cases {
		cases[name+" with body"] = append(bytes.Clone(x), body...)
	}
	memlimit.Run(t, "refused", crQuick, func() error {
		for name, x := range cases {
			if err := crRefused(c.VerifyContribution(ctx, x), true); err != nil {
				return fmt.Errorf("coordinator, %s: %v", name, err)
			}
			if _, err := prover.Contribute(ctx, statement.Membership(crDepth), x); crRefused(err, false) != nil {
				return fmt.Errorf("contributor, %s: %v", name, crRefused(err, false))
			}
		}
		return nil
	})
	// The coordinator, and a contributor who agreed to the small circuit,
	// refuse a state for another circuit from its header alone, however
	// large that circuit.
	huge := map[string][]byte{
		"vote at the limits":  append(crHeader(1, 2, statement.MaxDepth, statement.MaxOptions), body...),
		"tally at the limits": append(crHeader(1, 3, statement.MaxBatch, statement.MaxOptions), body...),
		"tally phase 2":       append(crHeader(2, 3, statement.MaxBatch, statement.MaxOptions), body...),
		"membership depth 3":  append(crHeader(1, 1, crDepth+1, 0), body...),
	}
	memlimit.Run(t, "other circuit", crQuick, func() error {
		for name, x := range huge {
			err := c.VerifyContribution(ctx, x)
			if !errors.Is(err, prover.ErrInvalidContribution) {
				return fmt.Errorf("coordinator, %s: %v", name, err)
			}
			if _, err := prover.Contribute(ctx, statement.Membership(crDepth), x); crRefused(err, false) != nil {
				return fmt.Errorf("contributor, %s: %v", name, crRefused(err, false))
			}
		}
		return nil
	})
}

// TestContributeBoundedHugeCircuit: a state of a few dozen bytes whose
// header names the largest tally circuit the limits admit (batch
// statement.MaxBatch, statement.MaxOptions options), handed to a contributor who
// agreed to a small circuit. Contribute must refuse it from the header,
// before compiling the named circuit, which takes minutes and gigabytes
// (before Contribute took the agreed circuit, the child died of "out of
// memory" here).
func TestContributeBoundedHugeCircuit(t *testing.T) {
	ctx := context.Background()
	for name, x := range map[string][]byte{
		"tally phase 1": append(crHeader(1, 3, statement.MaxBatch, statement.MaxOptions), 0),
		"tally phase 2": append(crHeader(2, 3, statement.MaxBatch, statement.MaxOptions), 0),
	} {
		memlimit.Run(t, name, crQuick, func() error {
			_, err := prover.Contribute(ctx, statement.Membership(crDepth), x)
			return crRefused(err, false)
		})
	}
}

// TestCeremonyStateBoundedPhase2: crafted phase-2 states (a huge
// commitment count, huge vector lengths, an uncompressed point,
// truncations) are refused by the coordinator and by a contributor.
func TestCeremonyStateBoundedPhase2(t *testing.T) {
	ctx := context.Background()
	c, err := prover.NewCeremony(ctx, statement.Membership(crDepth))
	if err != nil {
		t.Fatal(err)
	}
	out, err := prover.Contribute(ctx, statement.Membership(crDepth), c.State())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.VerifyContribution(ctx, out); err != nil {
		t.Fatal(err)
	}
	beacon := sha256.Sum256([]byte("ceremony memlimit beacon"))
	if err := c.SealPhase1(ctx, beacon[:]); err != nil {
		t.Fatal(err)
	}
	initial := c.State()
	h := crHeaderLen
	// Phase 2: commitment count uint16 | [δ]₁ | uint32 length | private
	// vector | uint32 length | quotient vector | …
	nbPriv := int(binary.BigEndian.Uint32(initial[h+34:]))
	quot := h + 38 + 32*nbPriv
	ones := []byte{0xff, 0xff, 0xff, 0xff}
	cases := map[string][]byte{
		"header only":            initial[:h],
		"commitments 65535":      crSet(initial, h, 0xff, 0xff),
		"commitments 1":          crSet(initial, h, 0, 1),
		"private 2^32-1":         crSet(initial, h+34, ones...),
		"private 2^32-1, cut":    crSet(initial[:h+38], h+34, ones...),
		"quotient 2^32-1":        crSet(initial, quot, ones...),
		"quotient 2^32-1, cut":   crSet(initial[:quot+4], quot, ones...),
		"private 0":              crSet(initial, h+34, 0, 0, 0, 0),
		"uncompressed [δ]₁":      crSet(initial, h+2, initial[h+2]&0x3f),
		"challenge of 255":       crSet(initial, crChallengeLen(t, initial), 255),
		"trailing 1 MiB":         append(bytes.Clone(initial), make([]byte, 1<<20)...),
		"phase-1 body, phase 2":  append(crHeader(2, 1, crDepth, 0), out[h:]...),
		"phase-2 body, phase 1":  append(crHeader(1, 1, crDepth, 0), initial[h:]...),
		"zero body":              append(bytes.Clone(initial[:h]), make([]byte, len(initial)-h)...),
		"0xff body":              append(bytes.Clone(initial[:h]), bytes.Repeat([]byte{0xff}, len(initial)-h)...),
		"private+quotient moved": crSet(crSet(initial, h+34, 0, 0, 0, 0), h+38, ones...),
	}
	// One child for both sides: building phase 2 takes seconds.
	memlimit.Run(t, "refused", crMany+crCompile, func() error {
		for name, x := range cases {
			if err := crRefused(c.VerifyContribution(ctx, x), true); err != nil {
				return fmt.Errorf("coordinator, %s: %v", name, err)
			}
		}
		for k := 0; k < len(initial); k += max(1, min(k/16, 1021)) {
			if err := crRefused(c.VerifyContribution(ctx, initial[:k]), false); err != nil {
				return fmt.Errorf("truncated to %d: %v", k, err)
			}
		}
		if c.Phase() != 2 || c.Contributions() != 0 || !bytes.Equal(c.State(), initial) {
			return errors.New("a refused state changed the ceremony")
		}
		for name, x := range cases {
			if _, err := prover.Contribute(ctx, statement.Membership(crDepth), x); crRefused(err, false) != nil {
				return fmt.Errorf("contributor, %s: %v", name, crRefused(err, false))
			}
		}
		return nil
	})
}
