package depcheck

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	_ "github.com/consensys/gnark/backend/groth16" // linked, so build info lists it
	"github.com/stretchr/testify/require"
)

// minGnark is the first gnark release without GHSA-3mvx-pp85-pm65
// (critical soundness advisory); zkvote pins v0.16.3.
var minGnark = [3]int{0, 16, 2}

func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	v, ok := strings.CutPrefix(v, "v")
	if !ok {
		return out, false
	}
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

func atLeast(v, min [3]int) bool {
	for i := range v {
		if v[i] != min[i] {
			return v[i] > min[i]
		}
	}
	return true
}

func TestParseVersion(t *testing.T) {
	v, ok := parseVersion("v0.16.3")
	require.True(t, ok)
	require.True(t, atLeast(v, minGnark))
	v, _ = parseVersion("v0.16.1")
	require.False(t, atLeast(v, minGnark))
	v, _ = parseVersion("v0.15.9")
	require.False(t, atLeast(v, minGnark))
	v, _ = parseVersion("v1.0.0-rc1")
	require.True(t, atLeast(v, minGnark))
	_, ok = parseVersion("0.16.3")
	require.False(t, ok)
}

// TestGoModGnarkVersion reads go.mod as written.
func TestGoModGnarkVersion(t *testing.T) {
	f, err := os.Open("../../go.mod")
	require.NoError(t, err)
	defer f.Close()
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "require" {
			fields = fields[1:]
		}
		if len(fields) >= 2 && fields[0] == "github.com/consensys/gnark" {
			v, ok := parseVersion(fields[1])
			require.True(t, ok, "unparsable gnark version %q", fields[1])
			require.True(t, atLeast(v, minGnark), "go.mod names gnark %s, below v0.16.2 (GHSA-3mvx-pp85-pm65)", fields[1])
			found = true
		}
		if strings.Contains(sc.Text(), "=>") {
			require.NotContains(t, sc.Text(), "github.com/consensys/gnark", "go.mod replaces gnark or gnark-crypto")
		}
	}
	require.True(t, found, "go.mod does not require github.com/consensys/gnark")
}

// TestResolvedGnarkVersion asks the go command which gnark the build
// resolves, after any replace or workspace directive.
func TestResolvedGnarkVersion(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "github.com/consensys/gnark").CombinedOutput()
	require.NoError(t, err, string(out))
	fields := strings.Fields(string(out))
	require.GreaterOrEqual(t, len(fields), 2, string(out))
	ver := fields[len(fields)-1]
	v, ok := parseVersion(ver)
	require.True(t, ok, ver)
	require.True(t, atLeast(v, minGnark), "resolved gnark %s is below v0.16.2", ver)
}
