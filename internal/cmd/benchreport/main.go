// Command benchreport runs zkvote's standard benchmarks, prints the README's
// benchmark table (machine, Go and gnark versions, date, medians with
// spread), writes a JSON file for comparisons, and with -gate fails on a
// regression.
//
//	go run ./internal/cmd/benchreport                    # full set, 5 runs each, prints the table
//	go run ./internal/cmd/benchreport -readme README.md  # and rewrites the table in the README
//	go run ./internal/cmd/benchreport -gate              # quick pass for CI: every benchmark once, then the gates
//	go run ./internal/cmd/benchreport -n                 # print the go test commands without running them
//
// It works from any directory inside the module: it finds the module root
// with `go env GOMOD`, runs the benchmarks and reads the checked-in tables
// there, and resolves the -json, -readme and -from paths against the
// current directory.
//
// The gates survive noisy machines: a timed figure of ours is compared only
// with stock gnark measured in the same run on the same constraint system
// (our Prove / gnark's groth16.Prove ≤ 1.10), and sizes (constraints, proof
// bytes) are compared exactly with the checked-in tables.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/netstate/zkvote/internal/counts"
)

// spec is one `go test -bench` invocation of the standard set.
type spec struct {
	pkg, pattern string // pkg is relative to the module root
	benchtime    string // full run
	quick        string // -gate run
}

// args returns the arguments of s's `go test` command.
func (s spec) args(gate bool, count int) []string {
	bt := s.benchtime
	if gate {
		bt = s.quick
	}
	args := []string{"test", s.pkg, "-run", "^$", "-bench", s.pattern,
		"-benchtime", bt, "-count", strconv.Itoa(count), "-timeout", "60m"}
	if gate {
		// Benchmarks whose fixtures take minutes to prove on a fresh
		// machine (the secret ballot pools) use smaller sizes with -short.
		args = append(args, "-short")
	}
	return args
}

var standard = []spec{
	{"./internal/poseidon2", "^BenchmarkCompress$", "20000x", "1000x"},
	{"./membership", "^Benchmark(InsertMany|Memory|Reopen)$/leaves=1000000$", "1x", "1x"},
	{"./membership", "^Benchmark(Insert|Proof|VerifyProof)$/leaves=1000000$", "2000x", "100x"},
	{"./prover", "^BenchmarkProve$", "10x", "1x"},
	{"./prover", "^BenchmarkProveVsStock$", "10x", "7x"},
	{"./prover", "^BenchmarkLoadKeys$", "10x", "1x"},
	{"./verifier", "^BenchmarkVerify$", "300x", "10x"},
	{"./verifier", "^BenchmarkVerifyVsGnark$", "300x", "10x"},
	{"./verifier", "^BenchmarkVerifyBatch$/backend=groth16/depth=20/proofs=1000$", "3x", "1x"},
	{"./election", "^BenchmarkVoteProof$", "10x", "1x"},
	{"./prover", "^BenchmarkSecretVoteProof$", "5x", "1x"},
	{"./trustee", "^Benchmark(DKG|Decrypt)$", "10x", "1x"},
	{"./trustee", "^BenchmarkSum$", "3x", "1x"},
	{"./election", "^BenchmarkBallotVerify$/mode=(open|secret)/(proofs=1|op=hash)$", "300x", "10x"},
	{"./election", "^BenchmarkBallotVerify$/mode=(open|secret)/proofs=(100|1000)$", "3x", "1x"},
	{"./election", "^BenchmarkAuditSecret$", "3x", "1x"},
	{"./election", "^BenchmarkSubmit$", "3x", "1x"},
	{"./httpbox", "^BenchmarkServe$", "3x", "1x"},
	{"./election", "^BenchmarkAudit$", "3x", "1x"},
	{"./election", "^Benchmark(Reopen|ReadLog)$", "5x", "1x"},
	{"./election", "^BenchmarkTallyProof$", "1x", "1x"},
	{"./bench", "^Benchmark(Identity|IdentityFile|Registry)$", "3x", "1x"},
	{"./witness", "^Benchmark(Cosign|VerifyReceipt)$", "200x", "10x"},
}

// result gathers every value reported for one benchmark, per unit.
type result struct {
	Name   string               `json:"name"`
	Values map[string][]float64 `json:"values"`
}

type stat struct {
	Median, Min, Max float64
	N                int
}

func summarize(xs []float64) stat {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return stat{Median: s[len(s)/2], Min: s[0], Max: s[len(s)-1], N: len(s)}
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)

// parse reads `go test -bench` output.
func parse(out []byte, into map[string]*result, order *[]string) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := m[1]
		r, ok := into[name]
		if !ok {
			r = &result{Name: name, Values: map[string][]float64{}}
			into[name] = r
			*order = append(*order, name)
		}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			r.Values[f[i+1]] = append(r.Values[f[i+1]], v)
		}
	}
}

func main() {
	gate := flag.Bool("gate", false, "quick pass (every benchmark once) and fail on a regression")
	count := flag.Int("count", 5, "runs of each benchmark (full mode)")
	jsonOut := flag.String("json", "bench-results.json", "where to write the JSON results ('' for none)")
	readme := flag.String("readme", "", "rewrite the table between the bench markers of this README")
	from := flag.String("from", "", "render the table from a JSON file of an earlier run instead of running")
	dryRun := flag.Bool("n", false, "print the go test commands and where they run, without running them")
	flag.Parse()
	err := func() error {
		if *from != "" {
			return rerender(*from, *readme)
		}
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		if *dryRun {
			printCommands(root, *gate, *count)
			return nil
		}
		return run(root, *gate, *count, *jsonOut, *readme)
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// moduleRoot returns the directory of the go.mod that governs the current
// directory, and checks that it is this command's module.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module: run it from the zkvote checkout")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if want := ownModule(); want != "" && modulePath(data) != want {
		return "", fmt.Errorf("%s is module %q, not %s: run it from the zkvote checkout", gomod, modulePath(data), want)
	}
	return filepath.Dir(gomod), nil
}

// ownModule returns the path of the main module this command was built in,
// or "" if the binary does not record it.
func ownModule() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Path
	}
	return ""
}

// modulePath returns the module path declared in a go.mod file.
func modulePath(gomod []byte) string {
	for _, l := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// printCommands prints the go test commands of the standard set, as run
// would run them.
func printCommands(root string, gate bool, count int) {
	if gate {
		count = 1
	}
	fmt.Printf("cd %s\n", root)
	for _, s := range standard {
		args := s.args(gate, count)
		for i, a := range args {
			if strings.ContainsAny(a, "^$|()") {
				args[i] = "'" + a + "'"
			}
		}
		fmt.Println("go " + strings.Join(args, " "))
	}
}

// run runs the standard set in the module at root.
func run(root string, gate bool, count int, jsonOut, readme string) error {
	if gate {
		count = 1
	}
	results := map[string]*result{}
	var order []string
	start := time.Now()
	for i, s := range standard {
		fmt.Fprintf(os.Stderr, "[%d/%d] %s %s (%v so far)\n", i+1, len(standard), s.pkg, s.pattern, time.Since(start).Round(time.Second))
		cmd := exec.Command("go", s.args(gate, count)...)
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %v\n%s", s.pkg, s.pattern, err, tail(out.String(), 2000))
		}
		before := len(order)
		parse(out.Bytes(), results, &order)
		if len(order) == before {
			return fmt.Errorf("%s %s ran no benchmark", s.pkg, s.pattern)
		}
	}
	m := machine(root)
	table := render(m, results, order, count)
	fmt.Println(table)
	if jsonOut != "" {
		var list []*result
		for _, n := range order {
			list = append(list, results[n])
		}
		data, _ := json.MarshalIndent(saved{Machine: m, Count: count, Results: list}, "", "  ")
		if err := os.WriteFile(jsonOut, data, 0o644); err != nil {
			return err
		}
	}
	if readme != "" {
		if err := rewriteReadme(readme, table); err != nil {
			return err
		}
	}
	if gate {
		return checkGates(root, results)
	}
	return nil
}

// saved is the JSON file's shape.
type saved struct {
	Machine machineInfo `json:"machine"`
	Count   int         `json:"count"`
	Results []*result   `json:"results"`
}

// rerender prints (and optionally writes into the README) the table of an
// earlier run.
func rerender(path, readme string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var sv saved
	if err := json.Unmarshal(data, &sv); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	results := map[string]*result{}
	var order []string
	for _, r := range sv.Results {
		results[r.Name] = r
		order = append(order, r.Name)
	}
	count := sv.Count
	if count == 0 && len(sv.Results) > 0 {
		count = len(sv.Results[0].Values["ns/op"])
	}
	table := render(sv.Machine, results, order, count)
	fmt.Println(table)
	if readme != "" {
		return rewriteReadme(readme, table)
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// machineInfo names what the numbers were measured on.
type machineInfo struct {
	CPU, Go, Gnark, Date string
	Cores                int
}

// machine describes this machine and the gnark version of the module at
// root.
func machine(root string) machineInfo {
	m := machineInfo{CPU: "unknown", Go: runtime.Version(), Cores: runtime.NumCPU(), Date: time.Now().UTC().Format("2006-01-02")}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	cmd := exec.Command("go", "list", "-m", "github.com/consensys/gnark")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		if f := strings.Fields(string(out)); len(f) == 2 {
			m.Gnark = f[1]
		}
	}
	return m
}

// label renders one metric for the table: durations scaled and named by
// what they measure, other values with their unit.
func label(v float64, unit string) string {
	switch unit {
	case "ns/proof":
		return format(v, unit) + " per proof"
	case "ns/ballot":
		return format(v, unit) + " per ballot"
	case "ns/entry":
		return format(v, unit) + " per entry"
	case "p50-ms", "p99-ms":
		return fmt.Sprintf("%s %.1f ms", strings.TrimSuffix(unit, "-ms"), v)
	case "ours-ns":
		return "ours " + format(v, unit)
	case "stock-ns":
		return "stock gnark " + format(v, unit)
	case "ratio":
		return fmt.Sprintf("ratio %.3f", v)
	case "vote-proofs":
		return fmt.Sprintf("%.2f× the open vote proof", v)
	case "heap-MiB", "rss-MiB":
		return fmt.Sprintf("%.1f %s", v, unit)
	case "prove-ms", "ready-ms", "keys-ms", "read-ms", "unlock-ms", "vote-ms":
		what := map[string]string{"prove-ms": "proof", "ready-ms": "page ready", "keys-ms": "keys loaded",
			"read-ms": "keys read", "unlock-ms": "identity unlocked", "vote-ms": "whole vote"}[unit]
		return fmt.Sprintf("%s %.2f s", what, v/1000)
	case "wasm-bytes", "wasm-gzip-bytes":
		what := map[string]string{"wasm-bytes": "wasm", "wasm-gzip-bytes": "gzipped"}[unit]
		return fmt.Sprintf("%s %.1f MB", what, v/1e6)
	}
	return format(v, unit) + " " + unit
}

// format renders a value in its unit with a readable scale.
func format(v float64, unit string) string {
	if unit == "ns/op" || strings.HasSuffix(unit, "-ns") || unit == "ns/ballot" || unit == "ns/proof" || unit == "ns/entry" {
		d := time.Duration(v)
		switch {
		case d >= time.Second:
			return fmt.Sprintf("%.2f s", d.Seconds())
		case d >= time.Millisecond:
			return fmt.Sprintf("%.1f ms", float64(d)/1e6)
		case d >= time.Microsecond:
			return fmt.Sprintf("%.1f µs", float64(d)/1e3)
		}
		return fmt.Sprintf("%.0f ns", v)
	}
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// shown lists the units the table prints, in order; allocation counts are
// in the JSON only.
var shown = []string{"ns/op", "ratio", "vote-proofs", "ours-ns", "stock-ns", "ns/proof", "ns/ballot", "ns/entry", "ballots/s", "p50-ms", "p99-ms", "entries/s", "constraints", "proof-bytes", "heap-MiB", "rss-MiB", "prove-ms", "ready-ms", "keys-ms", "read-ms", "unlock-ms", "vote-ms", "wasm-bytes", "wasm-gzip-bytes"}

func render(m machineInfo, results map[string]*result, order []string, count int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s, %d cores; %s; gnark %s; %s. Medians of %d runs, spread min–max.\n\n", m.CPU, m.Cores, m.Go, m.Gnark, m.Date, count)
	b.WriteString("| benchmark | time/op (spread) | other metrics |\n|---|---|---|\n")
	for _, n := range order {
		r := results[n]
		t := summarize(r.Values["ns/op"])
		cell := format(t.Median, "ns/op")
		if t.N > 1 {
			cell += fmt.Sprintf(" (%s–%s)", format(t.Min, "ns/op"), format(t.Max, "ns/op"))
		}
		var extra []string
		for _, u := range shown[1:] {
			if vs, ok := r.Values[u]; ok {
				extra = append(extra, label(summarize(vs).Median, u))
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", strings.TrimPrefix(n, "Benchmark"), cell, strings.Join(extra, ", "))
	}
	return b.String()
}

// The README's table lies between a start marker, an HTML comment that
// begins with markPrefix, and markEnd. Rewriting the table also rewrites the
// start marker to markStart, so a marker naming an older command is updated.
const (
	markPrefix = "<!-- bench:start"
	markStart  = markPrefix + " (generated by go run ./internal/cmd/benchreport -readme README.md) -->"
	markEnd    = "<!-- bench:end -->"
)

func rewriteReadme(path, table string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(data)
	i := strings.Index(s, markPrefix)
	if i < 0 {
		return fmt.Errorf("%s has no bench markers", path)
	}
	k := strings.Index(s[i:], "-->")
	j := strings.Index(s, markEnd)
	if k < 0 || j < i+k+len("-->") {
		return fmt.Errorf("%s has no bench markers", path)
	}
	s = s[:i] + markStart + "\n" + table + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}

// Gates.
const maxProveRatio = 1.10

// checkGates fails on a regression: the prove ratio against stock gnark,
// and sizes against the checked-in tables of the module at root.
func checkGates(root string, results map[string]*result) error {
	var failures []string
	r, ok := results["BenchmarkProveVsStock/backend=groth16/depth=20"]
	if !ok || len(r.Values["ratio"]) == 0 {
		failures = append(failures, "no prove ratio was measured")
	} else if ratio := summarize(r.Values["ratio"]).Median; ratio > maxProveRatio {
		failures = append(failures, fmt.Sprintf("our Prove is %.3f× stock groth16.Prove (limit %.2f)", ratio, maxProveRatio))
	} else {
		fmt.Fprintf(os.Stderr, "gate: prove ratio %.3f ≤ %.2f\n", ratio, maxProveRatio)
	}
	table, err := counts.Read(filepath.Join(root, filepath.FromSlash(counts.Path)))
	if err != nil {
		return err
	}
	sizeRules := []struct {
		bench, key string
		proofBytes float64
	}{
		{"BenchmarkProve/backend=groth16/depth=10", "membership depth=10 backend=groth16", 164},
		{"BenchmarkProve/backend=groth16/depth=16", "membership depth=16 backend=groth16", 164},
		{"BenchmarkProve/backend=groth16/depth=20", "membership depth=20 backend=groth16", 164},
		{"BenchmarkProve/backend=groth16/depth=32", "membership depth=32 backend=groth16", 164},
		{"BenchmarkProve/backend=plonk/depth=20", "membership depth=20 backend=plonk", 520},
		{"BenchmarkVoteProof/backend=groth16/depth=20/options=8", "vote depth=20 options=8 backend=groth16", 164},
		{"BenchmarkSecretVoteProof/backend=groth16/depth=20/options=8/pack=2", "secret-vote depth=20 options=8 pack=2 backend=groth16", 164},
		{"BenchmarkSecretVoteProof/backend=groth16/depth=20/options=8/pack=1", "secret-vote depth=20 options=8 pack=1 backend=groth16", 164},
		{"BenchmarkTallyProof/backend=groth16/batch=64/options=8", "tally batch=64 options=8 backend=groth16", 0},
		{"BenchmarkTallyProof/backend=groth16/batch=256/options=8", "tally batch=256 options=8 backend=groth16", 0},
	}
	for _, rule := range sizeRules {
		r, ok := results[rule.bench]
		if !ok {
			failures = append(failures, rule.bench+" did not run")
			continue
		}
		if got, want := r.Values["constraints"], table[rule.key]; len(got) == 0 || int(got[0]) != want {
			failures = append(failures, fmt.Sprintf("%s: %v constraints, table says %d", rule.bench, got, want))
		}
		if rule.proofBytes > 0 {
			if got := r.Values["proof-bytes"]; len(got) == 0 || got[0] != rule.proofBytes {
				failures = append(failures, fmt.Sprintf("%s: proof of %v bytes, want %v", rule.bench, got, rule.proofBytes))
			}
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("benchmark gate failed:\n  %s", strings.Join(failures, "\n  "))
	}
	fmt.Fprintln(os.Stderr, "gate: sizes match the checked-in tables")
	return nil
}
