//go:build !js

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark/logger"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/web"
	"github.com/netstate/zkvote/web/internal/webtest"
)

// benchKeys opens development keys of s cached under the user cache
// directory (zkvote-bench-keys), as the other benchmarks do, and returns
// them with the directory.
func benchKeys(b testing.TB, s statement.Statement) (*prover.Keys, string) {
	b.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(cache, "zkvote-bench-keys")
	k, err := prover.OpenInsecure(context.Background(), dir, s)
	if err != nil {
		b.Fatal(err)
	}
	return k, dir
}

// timings is window.zkvoteTimings: milliseconds since the page started
// loading (wasm, ready, keysLoaded) or spent (the rest).
type timings struct {
	WasmReady  float64 `json:"wasmReady"`
	Ready      float64 `json:"ready"`
	KeysLoaded float64 `json:"keysLoaded"`
	Keys       struct {
		Bytes       int      `json:"bytes"`
		FetchMS     float64  `json:"fetchMs"`
		ReadMS      float64  `json:"readMs"`
		Helper      []string `json:"helper"`
		HelperMS    float64  `json:"helperMs"`
		HelperError string   `json:"helperError"`
	} `json:"keys"`
	Unlock      float64 `json:"unlock"`
	Prove       float64 `json:"prove"`
	ProveHelper bool    `json:"proveHelper"`
	Vote        float64 `json:"vote"`
}

func (p *page) timings() timings {
	p.t.Helper()
	var t timings
	if err := json.Unmarshal([]byte(p.eval(`JSON.stringify(window.zkvoteTimings)`).(string)), &t); err != nil {
		p.t.Fatal(err)
	}
	return t
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// benchBallot is a ballot the browser benchmarks cast.
type benchBallot struct {
	name string
	s    statement.Statement
}

// benchBallots are the ballots of BenchmarkBrowser and BenchmarkNode.
func benchBallots() []benchBallot {
	return []benchBallot{
		{"ballot=open/depth=20/options=8", statement.Vote(statement.DefaultDepth, statement.DefaultOptions)},
		{"ballot=secret/depth=20/options=8/pack=2", statement.SecretVote(statement.DefaultDepth, statement.DefaultOptions, statement.DefaultPack)},
	}
}

// BenchmarkBrowser measures the browser voter in headless Chromium against
// a box on loopback, with development keys at depth 20, one fresh page per
// iteration:
//
//	go test ./web -run '^$' -bench Browser -benchtime 3x -count 2 -timeout 40m
//
// The ballot benchmarks vote (identity files sealed with the default
// argon2id parameters) and report the median over the iterations of the
// proof in the browser (prove-ms), the page's load until the form is
// ready (ready-ms), the keys' fetch and read, with the helper's load
// (keys-ms, from the page's start), the identity file's decryption
// (unlock-ms), and the whole vote after the click (vote-ms: proof, local
// check, submit, receipt); each runs with the helper worker (helper=on,
// the page's default) and without (helper=off), so that
// "benchstat -col /helper" compares them. The keys benchmarks report
// loading the vote key in each mode (keys-ms, read-ms). Voter is the size
// of what the page downloads: the voter's and the helper's WebAssembly.
func BenchmarkBrowser(b *testing.B) {
	logger.Disable()
	bctx := browser(b)
	dir := voterDir(b)
	b.Run("voter", func(b *testing.B) {
		for range b.N {
		}
		for f, unit := range map[string]string{
			web.WasmFile: "wasm-bytes", web.WasmGzipFile: "wasm-gzip-bytes",
			web.HelperWasmFile: "helper-wasm-bytes", web.HelperWasmGzipFile: "helper-wasm-gzip-bytes",
		} {
			st, err := os.Stat(filepath.Join(dir, f))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Size()), unit)
		}
	})
	ballots := benchBallots()
	for _, bb := range ballots {
		for _, helper := range []bool{true, false} {
			name, hash := bb.name+"/helper=on", ""
			if !helper {
				name, hash = bb.name+"/helper=off", "&helper=off"
			}
			b.Run(name, func(b *testing.B) { voteBench(b, bctx, dir, bb.s, hash, helper) })
		}
	}
	for _, mode := range []string{"trusted", "checked"} {
		b.Run("keys="+mode+"/depth=20/options=8", func(b *testing.B) {
			keys, keyDir := benchKeys(b, ballots[0].s)
			e := webtest.New(b, webtest.Options{Keys: keys, KeyDir: keyDir, Web: os.DirFS(dir)})
			var total, read []float64
			for range b.N {
				p := open(b, bctx, e.URL+"/#keys="+mode)
				p.poll(`window.zkvoteTimings.keysLoaded`, 5*time.Minute)
				t := p.timings()
				total, read = append(total, t.KeysLoaded-t.Ready), append(read, t.Keys.ReadMS)
				b.Logf("%s: %+v", mode, t)
			}
			b.ReportMetric(median(total), "keys-ms")
			b.ReportMetric(median(read), "read-ms")
		})
	}
}

// voteBench is one ballot benchmark of BenchmarkBrowser: votes of s on
// pages whose address ends in hash, with the helper worker or without.
func voteBench(b *testing.B, bctx context.Context, dir string, s statement.Statement, hash string, helper bool) {
	keys, keyDir := benchKeys(b, s)
	kdf := membership.DefaultKDFParams()
	e := webtest.New(b, webtest.Options{Keys: keys, KeyDir: keyDir, Web: os.DirFS(dir), Voters: 64, KDF: &kdf})
	const pass = "correct horse battery staple"
	var prove, ready, keysMS, unlock, vote []float64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		id, proof := e.IdentityFile(b, uint64(i), pass), e.ProofFile(b, uint64(i))
		b.StartTimer()
		p := open(b, bctx, e.URL+"/#digest="+e.Digest+hash)
		// Vote once the keys are in, so that the proof is timed alone.
		p.poll(`window.zkvoteTimings.keysLoaded`, 5*time.Minute)
		p.fill(id, proof, pass, i%3)
		if got := p.vote(5 * time.Minute); got != "receipt" {
			b.Fatalf("vote %d: %s: %s", i, got, p.text("#error"))
		}
		t := p.timings()
		if t.ProveHelper != helper {
			b.Fatalf("vote %d: the proof used the helper: %v, want %v (keys: %+v)", i, t.ProveHelper, helper, t.Keys)
		}
		prove, ready, keysMS, unlock, vote = append(prove, t.Prove), append(ready, t.Ready), append(keysMS, t.KeysLoaded), append(unlock, t.Unlock), append(vote, t.Vote)
		b.Logf("iteration %d: %+v", i, t)
	}
	b.ReportMetric(median(prove), "prove-ms")
	b.ReportMetric(median(ready), "ready-ms")
	b.ReportMetric(median(keysMS), "keys-ms")
	b.ReportMetric(median(unlock), "unlock-ms")
	b.ReportMetric(median(vote), "vote-ms")
}

// BenchmarkNode casts the ballots of BenchmarkBrowser with the same
// voter.wasm under Node.js (testdata/node-voter.js, one fresh process per
// iteration), against the same box, and reports the same medians (ready-ms
// and keys-ms counted from the voter's start, not a page's): a reference
// for the browser's numbers with helper=off, since Go's WebAssembly runs
// on one thread in both and node-voter.js offers no helper. It skips without node on PATH (or ZKVOTE_NODE).
//
//	go test ./web -run '^$' -bench 'Browser|Node' -benchtime 3x -timeout 30m
func BenchmarkNode(b *testing.B) {
	logger.Disable()
	node := findNode(b)
	dir := voterDir(b)
	script, err := filepath.Abs(filepath.Join("testdata", "node-voter.js"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range benchBallots() {
		b.Run(bb.name, func(b *testing.B) {
			keys, keyDir := benchKeys(b, bb.s)
			kdf := membership.DefaultKDFParams()
			e := webtest.New(b, webtest.Options{Keys: keys, KeyDir: keyDir, Web: os.DirFS(dir), Voters: 64, KDF: &kdf})
			const pass = "correct horse battery staple"
			var prove, ready, keysMS, unlock, vote []float64
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				votes := make([]int, len(e.Params.Options))
				votes[i%len(votes)] = 1
				cfg, err := json.Marshal(map[string]any{
					"base": e.URL + "/", "digest": e.Digest, "passphrase": pass, "votes": votes,
					"identity": e.IdentityFile(b, uint64(i), pass), "proof": e.ProofFile(b, uint64(i)),
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t := runNodeVoter(b, node, script, dir, cfg)
				prove, ready, keysMS, unlock, vote = append(prove, t.Prove), append(ready, t.Ready), append(keysMS, t.KeysLoaded), append(unlock, t.Unlock), append(vote, t.Vote)
				b.Logf("iteration %d: %+v", i, t)
			}
			b.ReportMetric(median(prove), "prove-ms")
			b.ReportMetric(median(ready), "ready-ms")
			b.ReportMetric(median(keysMS), "keys-ms")
			b.ReportMetric(median(unlock), "unlock-ms")
			b.ReportMetric(median(vote), "vote-ms")
		})
	}
}

// runNodeVoter runs testdata/node-voter.js once and returns its timings.
func runNodeVoter(b *testing.B, node, script, dir string, cfg []byte) timings {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, dir, string(cfg))
	cmd.Args[0] = "zkvote-voter" // see node-voter.js: not "node…"
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	// The voter's own output (gnark's log) comes first; the timings last.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var t timings
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &t); err != nil {
		b.Fatalf("%s printed %q: %v", script, out, err)
	}
	return t
}
