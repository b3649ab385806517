// Package memlimit runs a function in a child process whose address space is
// capped, so a test can show that a decoder given crafted bytes fails with an
// error, quickly and within bounded memory, rather than killing the process.
//
// debug.SetMemoryLimit cannot show this: it steers the garbage collector, and
// a decoder that trusts a length header asks for hundreds of gigabytes in one
// allocation. Under an address-space limit (RLIMIT_AS) such an allocation
// fails and the Go runtime aborts the child; the parent test sees the crash
// and fails with the child's output.
//
// Use it in a test as
//
//	memlimit.Run(t, "huge-count", time.Second, func() error {
//		_, err := Parse(crafted)
//		if !errors.Is(err, ErrMalformed) {
//			return fmt.Errorf("got %v", err)
//		}
//		return nil
//	})
//
// The test binary is run again for the subtest alone: code of the test
// outside f runs in the child too, so keep it cheap, and keep f free of
// effects the parent relies on.
package memlimit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Budget is the address space a child may add, while f runs, to what it
// had mapped when f started: 1 GiB.
const Budget = 1 << 30

// childEnv marks the child process; its value is the subtest's full name.
const childEnv = "ZKVOTE_MEMLIMIT_CHILD"

// resultPrefix starts the one line a child prints about f.
const resultPrefix = "memlimit-result: "

// wallClock bounds a child's whole run, start-up included.
const wallClock = 2 * time.Minute

// Run runs f in a subtest named name. The subtest starts the test binary
// again for itself alone; that child caps its address space at what it has
// mapped plus [Budget], runs f, and reports. The subtest fails if f returns
// an error, runs longer than within, or the child dies (for example the Go
// runtime's "out of memory" abort when an allocation hits the cap). On
// systems without RLIMIT_AS, and under the race detector (whose shadow
// memory counts against the cap), the subtest is skipped.
func Run(t *testing.T, name string, within time.Duration, f func() error) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		if os.Getenv(childEnv) == t.Name() {
			child(t, f)
			return
		}
		if raceEnabled {
			t.Skip("memlimit: the race detector's shadow memory counts against the cap")
		}
		if err := supported(); err != nil {
			t.Skipf("memlimit: %v", err)
		}
		parent(t, within)
	})
}

// child runs f under the cap and prints one result line.
func child(t *testing.T, f func() error) {
	if err := limitAddressSpace(Budget); err != nil {
		fmt.Printf("%serror 0 setting the limit: %v\n", resultPrefix, err)
		return
	}
	start := time.Now()
	err := f()
	d := time.Since(start)
	if err != nil {
		fmt.Printf("%serror %d %s\n", resultPrefix, d.Nanoseconds(), strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	fmt.Printf("%sok %d\n", resultPrefix, d.Nanoseconds())
}

// parent starts the child for t's subtest and checks its report.
func parent(t *testing.T, within time.Duration) {
	var pattern []string
	for _, part := range strings.Split(t.Name(), "/") {
		pattern = append(pattern, "^"+regexp.QuoteMeta(part)+"$")
	}
	ctx, cancel := context.WithTimeout(context.Background(), wallClock)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+strings.Join(pattern, "/"), "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, runErr := cmd.CombinedOutput()
	var verdict string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), resultPrefix); ok {
			verdict = v
		}
	}
	if verdict == "" {
		t.Fatalf("memlimit: the child died before f returned (%v); its output:\n%s", runErr, tail(out))
	}
	kind, rest, _ := strings.Cut(verdict, " ")
	ns, msg, _ := strings.Cut(rest, " ")
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		t.Fatalf("memlimit: bad report %q", verdict)
	}
	took := time.Duration(n)
	switch {
	case kind != "ok":
		t.Fatalf("memlimit: f failed after %v: %s", took, msg)
	case runErr != nil:
		t.Fatalf("memlimit: the child failed after f returned (%v); its output:\n%s", runErr, tail(out))
	case took > within:
		t.Fatalf("memlimit: f took %v, more than %v", took, within)
	}
	t.Logf("f returned in %v under a cap of %d MiB more address space", took, Budget>>20)
}

// tail returns the end of a child's output, or where it crashed: the Go
// runtime's "fatal error" or "panic" line and what follows, cut short.
func tail(out []byte) string {
	const n = 3000
	s := string(out)
	for _, mark := range []string{"fatal error:", "panic:"} {
		if i := strings.Index(s, mark); i >= 0 {
			s = s[i:]
			if len(s) > n {
				s = s[:n]
			}
			return s
		}
	}
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
