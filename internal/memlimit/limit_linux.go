package memlimit

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

func supported() error { return nil }

// limitAddressSpace sets this process's soft RLIMIT_AS to its current
// virtual size plus extra bytes.
func limitAddressSpace(extra uint64) error {
	size, err := virtualSize()
	if err != nil {
		return err
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &lim); err != nil {
		return err
	}
	want := size + extra
	if want > lim.Max {
		return fmt.Errorf("hard limit %d is below %d", lim.Max, want)
	}
	lim.Cur = want
	return syscall.Setrlimit(syscall.RLIMIT_AS, &lim)
}

// virtualSize reads VmSize from /proc/self/status, in bytes.
func virtualSize() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "VmSize:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmSize %q: %v", v, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no VmSize in /proc/self/status")
}
