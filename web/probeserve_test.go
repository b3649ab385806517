//go:build !js

package web_test

// TEMPORARY (H8): serves a box with the voter for manual probing.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/consensys/gnark/logger"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/web/internal/webtest"
)

func TestProbeServe(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("ZKVOTE_PROBE_SERVE"))
	if secs == 0 {
		t.Skip()
	}
	logger.Disable()
	dir := os.Getenv("ZKVOTE_PROBE_DIR")
	s := statement.Vote(statement.DefaultDepth, statement.DefaultOptions)
	if os.Getenv("ZKVOTE_PROBE_SECRET") == "1" {
		s = statement.SecretVote(statement.DefaultDepth, statement.DefaultOptions, statement.DefaultPack)
	}
	keys, keyDir := benchKeys(t, s)
	kdf := membership.DefaultKDFParams()
	e := webtest.New(t, webtest.Options{Keys: keys, KeyDir: keyDir, Web: os.DirFS(dir), Voters: 64, KDF: &kdf})
	const pass = "correct horse battery staple"
	type cit struct{ ID, Proof string }
	var cs []cit
	for i := range 64 {
		cs = append(cs, cit{e.IdentityFile(t, uint64(i), pass), e.ProofFile(t, uint64(i))})
	}
	out, _ := json.Marshal(map[string]any{"url": e.URL, "digest": e.Digest, "pass": pass, "citizens": cs})
	os.WriteFile(filepath.Join(os.Getenv("ZKVOTE_PROBE_OUT")), out, 0o644)
	fmt.Println("SERVING", e.URL)
	time.Sleep(time.Duration(secs) * time.Second)
}
