package circuits

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/stretchr/testify/require"
)

var updateCounts = flag.Bool("update-constraints", false, "rewrite testdata/constraints.txt with the current counts")

const countsFile = "testdata/constraints.txt"

// countedCircuits lists every circuit whose size is snapshotted.
func countedCircuits() map[string]frontend.Circuit {
	out := map[string]frontend.Circuit{}
	for _, d := range []int{10, 16, 20, 32} {
		c, err := NewMembership(d)
		if err != nil {
			panic(err)
		}
		out[fmt.Sprintf("membership depth=%d", d)] = c
	}
	for _, d := range []int{20, 32} {
		v, err := NewVote(d, DefaultMaxOptions)
		if err != nil {
			panic(err)
		}
		out[fmt.Sprintf("vote depth=%d options=%d", d, DefaultMaxOptions)] = v
	}
	for _, b := range []int{64, 256} {
		c, err := NewTally(b, DefaultMaxOptions)
		if err != nil {
			panic(err)
		}
		out[fmt.Sprintf("tally batch=%d options=%d", b, DefaultMaxOptions)] = c
	}
	return out
}

func readCounts(t *testing.T) map[string]int {
	f, err := os.Open(countsFile)
	if os.IsNotExist(err) {
		return map[string]int{}
	}
	require.NoError(t, err)
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		var n int
		_, err := fmt.Sscan(line[i+1:], &n)
		require.NoError(t, err, line)
		out[line[:i]] = n
	}
	return out
}

// TestConstraintCounts compiles every circuit for both backends and compares
// the sizes with the checked-in table: a change in circuit size must be a
// deliberate one (go test ./circuits -run ConstraintCounts -update-constraints).
func TestConstraintCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every circuit")
	}
	got := map[string]int{}
	for name, c := range countedCircuits() {
		r, err := frontend.Compile(field, r1cs.NewBuilder, c)
		require.NoError(t, err)
		got[name+" backend=groth16"] = r.GetNbConstraints()
		p, err := frontend.Compile(field, scs.NewBuilder, c)
		require.NoError(t, err)
		got[name+" backend=plonk"] = p.GetNbConstraints()
	}
	if *updateCounts {
		keys := make([]string, 0, len(got))
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("# Constraint counts per circuit, parameter and backend (gnark v0.16.3, BN254).\n")
		b.WriteString("# Regenerate deliberately: go test ./circuits -run ConstraintCounts -update-constraints\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "%s %d\n", k, got[k])
		}
		require.NoError(t, os.WriteFile(countsFile, []byte(b.String()), 0o644))
		return
	}
	require.Equal(t, readCounts(t), got, "constraint counts drifted from %s", countsFile)
}
