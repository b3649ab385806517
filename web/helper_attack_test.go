//go:build !js

package web_test

// Adversarial review of the page's helper worker in headless Chromium:
// a browser without workers inside workers, a helper that dies in the
// middle of a proof, one that returns a wrong sum, and one that answers
// each call with another call's reply. In each case nothing wrong is
// sent, and the page votes (alone) on the next attempt.

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/consensys/gnark/logger"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/web/internal/webtest"
)

// overlay is an fs.FS with some files replaced.
type overlay struct {
	fs.FS
	files fstest.MapFS
}

func (o overlay) Open(name string) (fs.File, error) {
	if _, ok := o.files[name]; ok {
		return o.files.Open(name)
	}
	return o.FS.Open(name)
}

// patched serves the built voter with name's content changed by edit.
func patched(t *testing.T, dir string, edits map[string]func(string) string) fs.FS {
	t.Helper()
	files := fstest.MapFS{}
	for name, edit := range edits {
		data, err := os.ReadFile(dir + "/" + name)
		require.NoError(t, err)
		files[name] = &fstest.MapFile{Data: []byte(edit(string(data))), Mode: 0o644}
	}
	return overlay{os.DirFS(dir), files}
}

// helperVote votes twice on a page served from web: the first attempt
// must end with want (a receipt or an error code) and send nothing unless
// it is a receipt, the second must go through proving alone.
func helperVote(t *testing.T, web fs.FS, want string, check func(t *testing.T, tm timings)) {
	t.Helper()
	bctx := browser(t)
	keys, err := prover.SetupInsecure(context.Background(), statement.Vote(4, 3))
	require.NoError(t, err)
	e := webtest.New(t, webtest.Options{Keys: keys, Web: web})
	const pass = "correct horse battery staple"
	p := open(t, bctx, e.URL+"/#digest="+e.Digest)
	p.poll(`window.zkvoteTimings.keysLoaded`, 90*time.Second)
	p.fill(e.IdentityFile(t, 0, pass), e.ProofFile(t, 0), pass, 1)
	got := p.vote(60 * time.Second)
	tm := p.timings()
	t.Logf("first attempt: %s (%s); keys: %+v", got, p.text("#error"), tm.Keys)
	require.Equal(t, want, got, p.text("#error"))
	if check != nil {
		check(t, tm)
	}
	if got == "receipt" {
		require.Equal(t, uint64(1), e.Box.Results().Ballots)
		return
	}
	require.Zero(t, e.Box.Results().Ballots, "nothing was sent")
	p.fill(e.IdentityFile(t, 0, pass), e.ProofFile(t, 0), pass, 1)
	if got := p.vote(60 * time.Second); got != "receipt" {
		t.Fatalf("second attempt: %s: %s", got, p.text("#error"))
	}
	require.False(t, p.timings().ProveHelper, "the second attempt proves alone")
	require.Equal(t, uint64(1), e.Box.Results().Ballots)
}

// TestAttackBrowserNoNestedWorker: where a worker cannot start workers
// (Worker is undefined inside it), the page proves alone and says why.
func TestAttackBrowserNoNestedWorker(t *testing.T) {
	logger.Disable()
	dir := voterDir(t)
	web := patched(t, dir, map[string]func(string) string{
		"worker.js": func(s string) string { return "self.Worker = undefined;\n" + s },
	})
	helperVote(t, web, "receipt", func(t *testing.T, tm timings) {
		require.Empty(t, tm.Keys.Helper)
		require.Contains(t, tm.Keys.HelperError, "no worker inside a worker")
		require.False(t, tm.ProveHelper)
	})
}

// TestAttackBrowserHelperDies: a helper whose worker fails (an uncaught
// exception) when asked for a sum fails the proof with the helper's code
// at once, not after the helper's timeout.
func TestAttackBrowserHelperDies(t *testing.T) {
	logger.Disable()
	dir := voterDir(t)
	web := patched(t, dir, map[string]func(string) string{
		"helper.js": func(s string) string {
			return s + `
const realOnMessage = self.onmessage;
self.onmessage = (e) => {
  if (e.data && e.data.op === "msm") throw new Error("the helper died");
  return realOnMessage(e);
};
`
		},
	})
	start := time.Now()
	helperVote(t, web, "error:helper", nil)
	require.Less(t, time.Since(start), 100*time.Second)
}

// TestAttackBrowserHelperWrongSum: a helper that answers every sum with
// the point at infinity (a point of the group, not the sum) makes a proof
// that fails the page's check: nothing is sent.
func TestAttackBrowserHelperWrongSum(t *testing.T) {
	logger.Disable()
	dir := voterDir(t)
	web := patched(t, dir, map[string]func(string) string{
		"helper.js": func(s string) string {
			return strings.Replace(s, "const result = await self.zkvoteHelper.call(op, args || {});",
				`let result = await self.zkvoteHelper.call(op, args || {});
      if (op === "msm") result = new Uint8Array(result.length);`, 1)
		},
	})
	helperVote(t, web, "error:helper", nil)
}

// TestAttackBrowserHelperCrossedIDs: a helper that answers each sum with
// the id of the other (the voter's two calls crossed) fails the proof,
// nothing is sent. It needs keys whose helper parts are two or more.
func TestAttackBrowserHelperCrossedIDs(t *testing.T) {
	logger.Disable()
	keys, err := prover.SetupInsecure(context.Background(), statement.Vote(4, 3))
	require.NoError(t, err)
	if n := len(keys.HelperParts()); n < 2 {
		t.Skipf("the helper computes %d part", n)
	}
	dir := voterDir(t)
	web := patched(t, dir, map[string]func(string) string{
		"helper.js": func(s string) string {
			return s + `
const realPost = self.postMessage.bind(self);
let held = null, swapped = false;
self.postMessage = (m, transfer) => {
  if (!swapped && m && "id" in m && m.result instanceof Uint8Array) {
    if (!held) { held = m; return; }
    const a = held;
    held = null;
    swapped = true;
    realPost({ id: m.id, result: a.result });
    realPost({ id: a.id, result: m.result });
    return;
  }
  realPost(m, transfer);
};
`
		},
	})
	helperVote(t, web, "error:helper", nil)
}

// TestAttackBrowserHelperSilent: a helper worker that stops without a
// word (it closes itself, as a worker whose Go program exits leaves its
// calls unanswered; worker.js cannot tell) fails the proof within a
// part's sum timeout, counted from when the parts were sent together:
// ten times what loading the part took, here the 10-second floor. (It
// once took the 2-minute timeout once per part, one after another: 4
// minutes.) Nothing is sent, and the next attempt proves alone.
func TestAttackBrowserHelperSilent(t *testing.T) {
	logger.Disable()
	dir := voterDir(t)
	web := patched(t, dir, map[string]func(string) string{
		"helper.js": func(s string) string {
			return s + `
const realOnMessage = self.onmessage;
self.onmessage = (e) => {
  if (e.data && e.data.op === "msm") { self.close(); return; }
  return realOnMessage(e);
};
`
		},
	})
	bctx := browser(t)
	keys, err := prover.SetupInsecure(context.Background(), statement.Vote(4, 3))
	require.NoError(t, err)
	e := webtest.New(t, webtest.Options{Keys: keys, Web: web})
	const pass = "correct horse battery staple"
	p := open(t, bctx, e.URL+"/#digest="+e.Digest)
	p.poll(`window.zkvoteTimings.keysLoaded`, 90*time.Second)
	tm := p.timings()
	require.GreaterOrEqual(t, len(tm.Keys.Helper), 2, "the helper computes %v", tm.Keys.Helper)
	p.fill(e.IdentityFile(t, 0, pass), e.ProofFile(t, 0), pass, 1)
	start := time.Now()
	got := p.vote(5 * time.Minute)
	took := time.Since(start)
	t.Logf("the page answered %s after %v: %s", got, took, p.text("#error"))
	require.Equal(t, "error:helper", got)
	require.Zero(t, e.Box.Results().Ballots)
	require.Less(t, took, 30*time.Second, "a silent helper holds the vote past its parts' sum timeout")
	p.fill(e.IdentityFile(t, 0, pass), e.ProofFile(t, 0), pass, 1)
	if got := p.vote(60 * time.Second); got != "receipt" {
		t.Fatalf("second attempt: %s: %s", got, p.text("#error"))
	}
	require.False(t, p.timings().ProveHelper, "the second attempt proves alone")
	require.Equal(t, uint64(1), e.Box.Results().Ballots)
}
