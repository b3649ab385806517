//go:build !js

package web_test

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark/logger"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/web"
	"github.com/netstate/zkvote/web/internal/webtest"
)

// TestBrowserVote drives the voting page in headless Chromium against a
// real box: a citizen votes, the proof made with the helper worker, and
// downloads a receipt that checks; another votes with the helper off;
// then the page's refusals (another election's digest, a wrong passphrase, a census
// proof of another census and one of another citizen, a second vote, a
// closed election) each show their message.
func TestBrowserVote(t *testing.T) {
	logger.Disable()
	bctx := browser(t)
	dir := voterDir(t)
	t.Logf("voter built in %v", buildTime)
	keys, err := prover.SetupInsecure(context.Background(), statement.Vote(4, 3))
	require.NoError(t, err)
	e := webtest.New(t, webtest.Options{Keys: keys, Web: os.DirFS(dir)})
	art := artifactDir(t)
	const pass = "correct horse battery staple"

	// A citizen votes "no", in the election their link names.
	p := open(t, bctx, e.URL+"/#digest="+e.Digest)
	require.Equal(t, e.Params.Question, p.text("#question"))
	require.Equal(t, e.Digest, p.text("#digest"))
	require.Contains(t, p.text("#digest-note"), "matches")
	p.fill(e.IdentityFile(t, 0, pass), e.ProofFile(t, 0), pass, 1)
	if got := p.vote(60 * time.Second); got != "receipt" {
		t.Fatalf("vote: %s: %s", got, p.text("#error"))
	}
	p.screenshot(art, "receipt")
	require.Contains(t, p.text("#receipt-text"), "number 1")
	require.Empty(t, p.eval(`document.getElementById("passphrase").value`), "the passphrase field is cleared")
	res := e.Box.Results()
	require.Equal(t, uint64(1), res.Ballots)
	require.Equal(t, []uint64{0, 1, 0}, res.Totals)
	// The receipt offered for download is the box's, with its log proof.
	data := p.download("receipt-link", ".receipt")
	r, err := election.ParseReceipt(data)
	require.NoError(t, err)
	require.NotNil(t, r.Checkpoint)
	require.Equal(t, membershiptest.Identity(0).VoteNullifier(e.Params.Scope()), r.Nullifier)
	require.Equal(t, []uint64{0, 1, 0}, r.Votes)
	timings := p.eval(`JSON.stringify(window.zkvoteTimings)`)
	t.Logf("timings (ms since the page started loading): %s", timings)
	// The proof used the helper worker, which computed at least G2's part.
	tm := p.timings()
	require.Empty(t, tm.Keys.HelperError)
	require.Contains(t, tm.Keys.Helper, "B2")
	require.True(t, tm.ProveHelper, "the proof was made with the helper")

	// With helper=off in the address, the page proves alone.
	p = open(t, bctx, e.URL+"/#helper=off&digest="+e.Digest)
	p.poll(`window.zkvoteTimings.keysLoaded`, 60*time.Second)
	p.fill(e.IdentityFile(t, 4, pass), e.ProofFile(t, 4), pass, 0)
	if got := p.vote(60 * time.Second); got != "receipt" {
		t.Fatalf("vote with helper=off: %s: %s", got, p.text("#error"))
	}
	tm = p.timings()
	require.Empty(t, tm.Keys.Helper)
	require.Empty(t, tm.Keys.HelperError)
	require.False(t, tm.ProveHelper)
	require.Equal(t, uint64(2), e.Box.Results().Ballots)

	refused := func(name, want string, p *page) {
		t.Helper()
		got := p.outcome(30 * time.Second)
		p.screenshot(art, name)
		if got != "error:"+want {
			t.Errorf("%s: the page shows %s (%q), want error:%s", name, got, p.text("#error"), want)
		}
	}

	// Another election's digest in the link: nothing can be done.
	p = open(t, bctx, e.URL+"/#digest="+strings.Repeat("0", 64))
	refused("digest", "digest", p)
	require.Contains(t, p.text("#error"), "Do not vote here")
	require.Equal(t, true, p.eval(`document.getElementById("vote").disabled`))

	// On one page, one attempt after another: a wrong passphrase; a
	// citizen not in the census, with a proof of another census, then
	// with another citizen's proof; the citizen who voted, again.
	p = open(t, bctx, e.URL+"/")
	p.fill(e.IdentityFile(t, 1, pass), e.ProofFile(t, 1), "not the passphrase", 0)
	p.vote(30 * time.Second)
	refused("passphrase", "passphrase", p)
	require.Contains(t, p.text("#error"), "passphrase does not open")
	p.fill(e.IdentityFile(t, 100, pass), e.OutsiderProofFile(t, 100), pass, 0)
	p.vote(30 * time.Second)
	refused("census-root", "census-root", p)
	require.Contains(t, p.text("#error"), "not for this election")
	p.fill(e.IdentityFile(t, 100, pass), e.ProofFile(t, 2), pass, 0)
	p.vote(30 * time.Second)
	refused("census-leaf", "census-leaf", p)
	require.Contains(t, p.text("#error"), "another identity")
	p.fill(e.IdentityFile(t, 0, pass), e.ProofFile(t, 0), pass, 0)
	p.vote(60 * time.Second)
	refused("duplicate", "duplicate", p)
	require.Contains(t, p.text("#error"), "already voted")

	// The election ends while a citizen fills in the page, then for a
	// citizen who opens it afterwards.
	p.fill(e.IdentityFile(t, 3, pass), e.ProofFile(t, 3), pass, 2)
	require.NoError(t, e.Box.End())
	p.vote(60 * time.Second)
	refused("closed", "closed", p)
	require.Contains(t, p.text("#error"), "closed")
	p = open(t, bctx, e.URL+"/")
	refused("closed-on-load", "closed", p)
	require.Equal(t, true, p.eval(`document.getElementById("vote").disabled`))
	require.Equal(t, uint64(2), e.Box.Results().Ballots)
}

// TestBrowserNoHelper: where the helper cannot start (here helper.wasm is
// missing), the page still votes, proving alone, and says why.
func TestBrowserNoHelper(t *testing.T) {
	logger.Disable()
	bctx := browser(t)
	dir := voterDir(t)
	keys, err := prover.SetupInsecure(context.Background(), statement.Vote(4, 3))
	require.NoError(t, err)
	files := without{os.DirFS(dir), map[string]bool{web.HelperWasmFile: true, web.HelperWasmGzipFile: true}}
	e := webtest.New(t, webtest.Options{Keys: keys, Web: files})
	const pass = "correct horse battery staple"
	p := open(t, bctx, e.URL+"/#digest="+e.Digest)
	p.poll(`window.zkvoteTimings.keysLoaded`, 90*time.Second)
	p.fill(e.IdentityFile(t, 0, pass), e.ProofFile(t, 0), pass, 1)
	if got := p.vote(60 * time.Second); got != "receipt" {
		t.Fatalf("vote: %s: %s", got, p.text("#error"))
	}
	tm := p.timings()
	t.Logf("keys: %+v", tm.Keys)
	require.Empty(t, tm.Keys.Helper)
	require.Contains(t, tm.Keys.HelperError, "helper.wasm")
	require.False(t, tm.ProveHelper)
	require.Equal(t, uint64(1), e.Box.Results().Ballots)
}

// without is an fs.FS less some files.
type without struct {
	fs.FS
	drop map[string]bool
}

func (w without) Open(name string) (fs.File, error) {
	if w.drop[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return w.FS.Open(name)
}
