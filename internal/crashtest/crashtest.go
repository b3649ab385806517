// Package crashtest runs a helper test of the current test binary in a
// subprocess, kills it with SIGKILL after a delay, and returns what it
// acknowledged: the tool of zkvote's "nothing acknowledged is lost" tests.
//
// The helper prints one line "ack N" per acknowledged operation and nothing
// else on standard output.
package crashtest

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Acks runs the test named helper (an exact name) with env added to the
// environment, kills it after d, and returns the N of every "ack N" line it
// printed, in order. Any other line fails t.
func Acks(t testing.TB, helper string, env []string, d time.Duration) []uint64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1<<16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	time.Sleep(d)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	var acks []uint64
	for l := range lines {
		v, ok := strings.CutPrefix(l, "ack ")
		n, err := strconv.ParseUint(v, 10, 64)
		if !ok || err != nil {
			t.Fatalf("crashtest: %s printed %q", helper, l)
		}
		acks = append(acks, n)
	}
	return acks
}
