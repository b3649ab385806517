package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
BenchmarkProve/backend=groth16/depth=20-2   	      10	 115021172 ns/op	      5078 constraints	       164.0 proof-bytes	 2914386 B/op	    1108 allocs/op
BenchmarkProve/backend=groth16/depth=20-2   	      10	 116000645 ns/op	      5078 constraints	       164.0 proof-bytes	 2910686 B/op	    1098 allocs/op
BenchmarkProve/backend=groth16/depth=20-2   	      10	 125000000 ns/op	      5078 constraints	       164.0 proof-bytes	 2910686 B/op	    1098 allocs/op
BenchmarkProveVsStock/backend=groth16/depth=20-2 	       5	 230000000 ns/op	 1.004 ratio	 115000000 ours-ns	 114500000 stock-ns
PASS
`

func TestParseAndRender(t *testing.T) {
	results := map[string]*result{}
	var order []string
	parse([]byte(sample), results, &order)
	require.Equal(t, []string{"BenchmarkProve/backend=groth16/depth=20", "BenchmarkProveVsStock/backend=groth16/depth=20"}, order)
	r := results[order[0]]
	require.Len(t, r.Values["ns/op"], 3)
	s := summarize(r.Values["ns/op"])
	require.Equal(t, 116000645.0, s.Median)
	require.Equal(t, 115021172.0, s.Min)
	require.Equal(t, 125000000.0, s.Max)
	table := render(machineInfo{CPU: "cpu", Cores: 2, Go: "go1.26", Gnark: "v0.16.3", Date: "2026-11-24"}, results, order, 3)
	require.Contains(t, table, "| `Prove/backend=groth16/depth=20` | 116.0 ms (115.0 ms–125.0 ms) | 5078 constraints, 164 proof-bytes |")
	require.Contains(t, table, "ratio 1.004, ours 115.0 ms, stock gnark 114.5 ms")
	require.Contains(t, table, "cpu, 2 cores")
}

func TestReadmeMarkers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "README.md")
	require.NoError(t, os.WriteFile(p, []byte("a\n"+markStart+"\nold\n"+markEnd+"\nb\n"), 0o644))
	require.NoError(t, rewriteReadme(p, "new table\n"))
	got, _ := os.ReadFile(p)
	require.Equal(t, "a\n"+markStart+"\nnew table\n"+markEnd+"\nb\n", string(got))
	require.NoError(t, os.WriteFile(p, []byte("no markers"), 0o644))
	require.Error(t, rewriteReadme(p, "x"))
}

func TestGates(t *testing.T) {
	// A slow prover fails the ratio gate (run from the module root so the
	// constraint table is found).
	wd, _ := os.Getwd()
	require.NoError(t, os.Chdir("../../.."))
	defer os.Chdir(wd)
	slow := map[string]*result{"BenchmarkProveVsStock/backend=groth16/depth=20": {Values: map[string][]float64{"ratio": {1.25}}}}
	err := checkGates(slow)
	require.ErrorContains(t, err, "1.250× stock")
	require.ErrorContains(t, err, "did not run")
}

func TestRerender(t *testing.T) {
	results := map[string]*result{}
	var order []string
	parse([]byte(sample), results, &order)
	var list []*result
	for _, n := range order {
		list = append(list, results[n])
	}
	data, err := json.Marshal(saved{Machine: machineInfo{CPU: "cpu", Cores: 2}, Count: 3, Results: list})
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	require.NoError(t, rerender(p, ""))
	require.Error(t, rerender(filepath.Join(t.TempDir(), "missing.json"), ""))
}
