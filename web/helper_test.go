//go:build !js

package web_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/prover/msm"
)

// findNode returns Node.js (ZKVOTE_NODE, else node on PATH), skipping t
// without it.
func findNode(t testing.TB) string {
	t.Helper()
	if node := os.Getenv("ZKVOTE_NODE"); node != "" {
		return node
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH: set ZKVOTE_NODE")
	}
	return node
}

// TestHelperWasm runs the helper, as Build compiles it, under Node.js
// (testdata/node-helper.js): its sums of a G1 and a G2 part are the ones
// package msm computes natively, and calls it cannot serve are refused
// with their codes. The page's own use of it is TestBrowserVote's.
func TestHelperWasm(t *testing.T) {
	node := findNode(t)
	dir := voterDir(t)
	const n = 40
	g1 := make([]bn254.G1Affine, n)
	g2 := make([]bn254.G2Affine, n)
	scalars := make([]fr.Element, n)
	for i := range n {
		g1[i].ScalarMultiplicationBase(big.NewInt(int64(i + 1)))
		g2[i].ScalarMultiplicationBase(big.NewInt(int64(2*i + 1)))
		_, err := scalars[i].SetRandom()
		require.NoError(t, err)
	}
	g1Bases, err := msm.EncodeG1Bases(msm.K, g1)
	require.NoError(t, err)
	g2Bases, err := msm.EncodeG2Bases(g2)
	require.NoError(t, err)
	enc := msm.EncodeScalars(scalars)
	want := func(bases []byte) string {
		b, err := msm.ParseBases(bases)
		require.NoError(t, err)
		sum, err := b.Run(enc, 1)
		require.NoError(t, err)
		return hex.EncodeToString(sum)
	}
	type call struct {
		Op   string         `json:"op"`
		Args map[string]any `json:"args"`
	}
	h := hex.EncodeToString
	calls := []call{
		{"msm", map[string]any{"part": msm.K, "scalars": h(enc)}},
		{"load", map[string]any{"part": msm.K, "bases": h(g1Bases)}},
		{"load", map[string]any{"part": msm.A, "bases": h(g1Bases)}},
		{"load", map[string]any{"part": msm.B2, "bases": h(g2Bases)}},
		{"msm", map[string]any{"part": msm.K, "scalars": h(enc)}},
		{"msm", map[string]any{"part": msm.B2, "scalars": h(enc)}},
		{"msm", map[string]any{"part": msm.B2, "scalars": h(enc[32:])}},
		{"msm", map[string]any{"part": 9, "scalars": h(enc)}},
		{"load", map[string]any{"part": msm.K, "bases": h(g1Bases[:len(g1Bases)-1])}},
		{"tally", map[string]any{}},
	}
	in, err := json.Marshal(calls)
	require.NoError(t, err)
	script, err := filepath.Abs(filepath.Join("testdata", "node-helper.js"))
	require.NoError(t, err)
	cmd := exec.Command(node, script, dir)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	var got []struct {
		Result any `json:"result"`
		Error  *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	require.Len(t, got, len(calls))
	refused := func(i int, code, message string) {
		t.Helper()
		require.NotNil(t, got[i].Error, "call %d: %+v", i, calls[i])
		require.Equal(t, code, got[i].Error.Code, "call %d: %s", i, got[i].Error.Message)
		require.Contains(t, got[i].Error.Message, message, "call %d", i)
	}
	refused(0, "state", "not loaded")
	require.Equal(t, map[string]any{"points": float64(n)}, got[1].Result)
	refused(2, "input", "bases are of part K, not A")
	require.Equal(t, map[string]any{"points": float64(n)}, got[3].Result)
	require.Equal(t, want(g1Bases), got[4].Result, "the G1 sum")
	require.Equal(t, want(g2Bases), got[5].Result, "the G2 sum")
	refused(6, "input", "takes 40 scalars")
	refused(7, "input", "part 9")
	refused(8, "input", "need")
	refused(9, "state", "unknown op")
}

// TestHelperImports: the helper links, of zkvote, only prover/msm, and no
// gnark but gnark-crypto, so that its WebAssembly stays small.
func TestHelperImports(t *testing.T) {
	const mod = "github.com/netstate/zkvote/"
	cmd := exec.Command("go", "list", "-deps", mod+"web/helper")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	for _, d := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(d, mod):
			require.Contains(t, []string{mod + "web/helper", mod + "prover/msm"}, d, "the helper links %s", d)
		case strings.HasPrefix(d, "github.com/consensys/gnark/"):
			t.Errorf("the helper links %s", d)
		}
	}
}
