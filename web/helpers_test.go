//go:build !js

package web_test

// Fixtures of the browser tests: the voter built once per test binary,
// headless Chromium (ZKVOTE_CHROMIUM, else what .ci/chromium installs),
// and page helpers.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"k8s.io/klog/v2"

	"github.com/netstate/zkvote/web"
)

// builtDir is where the voter was built, removed by TestMain.
var builtDir string

var buildVoter = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "zkvote-web-test-")
	if err != nil {
		return "", err
	}
	builtDir = dir
	start := time.Now()
	if err := web.Build(context.Background(), dir); err != nil {
		return "", err
	}
	buildTime = time.Since(start)
	return dir, nil
})

var buildTime time.Duration

// TestMain silences klog, through which Tessera (the test boxes' log)
// reports its start-up: its lines would break the benchmarks' output
// lines, which benchstat reads.
func TestMain(m *testing.M) {
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	for _, d := range keyDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// voterDir returns the directory the voter was built into.
func voterDir(t testing.TB) string {
	t.Helper()
	dir, err := buildVoter()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

var findChromium = sync.OnceValues(func() (string, error) {
	if p := os.Getenv("ZKVOTE_CHROMIUM"); p != "" {
		return p, nil
	}
	cmd := exec.Command("../.ci/chromium")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%v\n%s", err, stderr.String())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "ZKVOTE_CHROMIUM="); ok && p != "" {
			return p, nil
		}
	}
	return "", fmt.Errorf(".ci/chromium printed %q, no ZKVOTE_CHROMIUM= line", out)
})

// browser starts headless Chromium for t (or b) and returns its context;
// each chromedp.NewContext of it is a tab. It skips only when
// ZKVOTE_SKIP_BROWSER=1.
func browser(t testing.TB) context.Context {
	t.Helper()
	if os.Getenv("ZKVOTE_SKIP_BROWSER") == "1" {
		t.Skip("ZKVOTE_SKIP_BROWSER=1: the browser voter is NOT tested")
	}
	path, err := findChromium()
	if err != nil {
		t.Fatalf("no Chromium: set ZKVOTE_CHROMIUM, or let .ci/chromium install it (it failed: %v), or set ZKVOTE_SKIP_BROWSER=1 to skip", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(900, 1300),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelB()
		cancelA()
	})
	if err := chromedp.Do(bctx); err != nil { // start the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	return bctx
}

// page is one tab on the voting page.
type page struct {
	t   testing.TB
	ctx context.Context
}

// open opens url in a new tab of bctx, logging the page's console and
// exceptions to t, and waits until the page is ready to vote or shows an
// error.
func open(t testing.TB, bctx context.Context, url string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value))
			}
			t.Logf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			t.Logf("page exception: %s at %s:%d", d.Text, d.URL, d.LineNumber+1)
		}
	}))
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx}
	// The tab lives as long as the context of its first action: give it
	// one without a deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Navigate(url))
	p.poll(`!document.getElementById("vote").disabled || !document.getElementById("error").hidden`, 60*time.Second)
	return p
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

// poll waits until expression is truthy and returns its value as a string.
func (p *page) poll(expression string, timeout time.Duration) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Poll[any](expression, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(20*time.Millisecond)))
	if err != nil {
		p.t.Fatalf("waiting for %s: %v (the page says %q)", expression, err, p.text("#status")+" / "+p.text("#error"))
	}
	return fmt.Sprint(v)
}

func (p *page) text(sel string) string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).textContent`, sel)))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

func (p *page) eval(expression string) any {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[any](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: %v", expression, err)
	}
	return v
}

// fill chooses the files, types the passphrase and picks option i.
func (p *page) fill(identity, proof, passphrase string, option int) {
	p.t.Helper()
	p.eval(`(document.getElementById("passphrase").value = "", true)`)
	p.do(
		chromedp.SetUploadFiles(chromedp.ID("identity"), []string{identity}),
		chromedp.SetUploadFiles(chromedp.ID("census"), []string{proof}),
		chromedp.SendKeys(chromedp.ID("passphrase"), passphrase),
		chromedp.Click(chromedp.ID(fmt.Sprintf("option-%d", option))),
	)
}

// vote clicks Vote and waits for the outcome: "receipt" or "error:CODE".
// The click is dispatched from a script, which runs the page's handler up
// to its first wait before it returns, so that the outcome of an earlier
// attempt is gone when the wait starts.
func (p *page) vote(timeout time.Duration) string {
	p.t.Helper()
	p.eval(`(document.getElementById("vote").click(), true)`)
	return p.outcome(timeout)
}

func (p *page) outcome(timeout time.Duration) string {
	p.t.Helper()
	return p.poll(`(() => {
		const e = document.getElementById("error");
		if (!e.hidden) return "error:" + e.dataset.code;
		if (!document.getElementById("receipt").hidden) return "receipt";
		return false;
	})()`, timeout)
}

// download clicks the link with id and returns the file it downloads,
// whose name must end in suffix.
func (p *page) download(id, suffix string) []byte {
	p.t.Helper()
	dir := p.t.TempDir()
	p.do(
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
			})
			return err
		}),
		chromedp.Click(chromedp.ID(id)),
	)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		names, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
		if len(names) == 1 {
			data, err := os.ReadFile(names[0])
			if err != nil {
				p.t.Fatal(err)
			}
			p.t.Logf("downloaded %s (%d bytes)", filepath.Base(names[0]), len(data))
			return data
		}
	}
	p.t.Fatalf("no *%s file was downloaded", suffix)
	return nil
}

// screenshot saves a PNG of the page as a test artifact.
func (p *page) screenshot(dir, name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Errorf("screenshot: %v", err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Error(err)
		return
	}
	p.t.Logf("screenshot: %s", path)
}

// artifactDir is where a test's screenshots go: T.ArtifactDir (kept with
// go test -artifacts), else $ZKVOTE_ARTIFACTS.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("ZKVOTE_ARTIFACTS"); d != "" {
		d = filepath.Join(d, t.Name())
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}
