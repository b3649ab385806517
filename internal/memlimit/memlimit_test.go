package memlimit

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// sink keeps allocations alive.
var sink []byte

// TestRunWithinBudget: f that allocates and touches 64 MiB passes.
func TestRunWithinBudget(t *testing.T) {
	Run(t, "small", 10*time.Second, func() error {
		sink = make([]byte, 64<<20)
		for i := range sink {
			sink[i] = 1
		}
		return nil
	})
}

// selfEnv makes the helper tests below run; TestRunFailures sets it when it
// runs them as a subprocess, because their subtests must fail.
const selfEnv = "ZKVOTE_MEMLIMIT_SELFTEST"

func TestHelperHuge(t *testing.T) {
	if os.Getenv(selfEnv) == "" {
		t.Skip("subprocess of TestRunFailures")
	}
	Run(t, "huge", 10*time.Second, func() error {
		sink = make([]byte, 256<<30) // what a trusted length header asks for
		return nil
	})
}

func TestHelperError(t *testing.T) {
	if os.Getenv(selfEnv) == "" {
		t.Skip("subprocess of TestRunFailures")
	}
	Run(t, "error", 10*time.Second, func() error { return errors.New("the decoder said yes") })
}

func TestHelperSlow(t *testing.T) {
	if os.Getenv(selfEnv) == "" {
		t.Skip("subprocess of TestRunFailures")
	}
	Run(t, "slow", time.Millisecond, func() error {
		time.Sleep(50 * time.Millisecond)
		return nil
	})
}

// TestRunFailures: an allocation over the budget (the child dies), an error
// from f, and a slow f each fail the subtest with a message saying so.
func TestRunFailures(t *testing.T) {
	if raceEnabled || supported() != nil {
		t.Skip("no address-space limit here")
	}
	for helper, want := range map[string]string{
		"TestHelperHuge":  "the child died before f returned",
		"TestHelperError": "the decoder said yes",
		"TestHelperSlow":  "more than 1ms",
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), selfEnv+"=1")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s passed:\n%s", helper, out)
			continue
		}
		if !strings.Contains(string(out), want) {
			t.Errorf("%s: output lacks %q:\n%s", helper, want, out)
		}
		t.Logf("%s failed as it should in %v", helper, time.Since(start))
	}
}
