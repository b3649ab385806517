//go:build !js

package httpbox_test

import (
	"io"
	"os"
	"testing"

	"k8s.io/klog/v2"
)

// TestMain silences klog, through which Tessera, which keeps the box's log,
// reports its start-up: its lines would break the benchmarks' output lines.
func TestMain(m *testing.M) {
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
	os.Exit(m.Run())
}
