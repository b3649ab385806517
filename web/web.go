// Package web is zkvote's browser voter: a small, plain web page (no
// framework, nothing loaded from elsewhere) and the voter's Go code
// compiled to WebAssembly, which a box serves at / (the box's --web
// directory; httpbox.Options.Web).
//
// A citizen opens the page, chooses their identity file and census proof
// file, types their passphrase and votes. Everything a ballot needs is
// done in the browser, in a Web Worker: the page fetches the election's
// parameters from the box (/v1/params) and shows their digest, refusing to
// go on when the page's address names another (#digest=HEX); it fetches
// the vote keys (/keys/), whose verifying key must be the one the
// parameters pin; it opens the identity file (argon2id), checks the census
// proof, proves the ballot, checks the proof it made, submits the ballot,
// asks for the log's proof and checks the receipt with
// election.VerifyReceipt, then offers the receipt file for download. The
// identity's secret never leaves the browser.
//
// The voter's worker (worker.js, running voter.wasm from web/voter)
// starts a second worker (helper.js, running helper.wasm from web/helper)
// and hands it parts of each proof (prover.Keys.WithHelper), so that a
// proof uses two threads where Go compiled to WebAssembly has one. Where
// that worker cannot start, the voter proves alone, more slowly; the
// page's address can also ask for that (#helper=off).
//
// Most users want [Build] (or "zkvote web build --out DIR") and then
// "zkvote box serve --web DIR".
//
// # Security
//
// The page is only as trustworthy as whoever serves it: a box that serves
// the page could serve one that sends the identity away. Voters who do not
// trust the box's operator load the page from an origin they trust, naming
// the box after "#" (box=URL; the box must then allow cross-origin
// requests), or vote with the command line (SECURITY.md). For the same
// reason the page reads the proving key without curve checks
// (prover.Trusted) when the keys come from the server that served the page:
// checking them there would check the server against itself. Keys from
// another box are read Checked (the circuit compiled in the browser, every
// point checked). In both cases the verifying key must be the one the
// parameters pin, and the ballot the page proved must verify under it and
// carry this voter's public inputs before it is sent. The helper sees each
// proof's whole witness, the identity's secret included: it is a worker of
// the same page, from the same origin, trusted as the page is. A helper
// that computes wrong sums only makes a proof that fails that check:
// nothing is sent, and the page proves alone from then on.
package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed static
var static embed.FS

// Static returns the page's own files (index.html, app.js, worker.js,
// helper.js, load.js, style.css), without the compiled voter and helper
// and Go's wasm_exec.js, which [Build] adds.
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree has a static directory
	}
	return sub
}

// The files Build writes besides the static ones.
const (
	// WasmFile is the compiled voter.
	WasmFile = "voter.wasm"
	// WasmGzipFile is WasmFile gzipped, which the page fetches first and
	// decompresses itself (DecompressionStream): about a quarter of the
	// bytes, whatever the server's compression.
	WasmGzipFile = WasmFile + ".gz"
	// HelperWasmFile is the compiled helper, which computes parts of
	// each proof in a second Web Worker.
	HelperWasmFile = "helper.wasm"
	// HelperWasmGzipFile is HelperWasmFile gzipped, fetched first as
	// WasmGzipFile is.
	HelperWasmGzipFile = HelperWasmFile + ".gz"
	// WasmExecFile is the Go toolchain's JavaScript support for
	// GOOS=js, copied from $(go env GOROOT)/lib/wasm.
	WasmExecFile = "wasm_exec.js"
)

// The import paths of the main packages Build compiles.
const (
	voterPackage  = "github.com/netstate/zkvote/web/voter"
	helperPackage = "github.com/netstate/zkvote/web/helper"
)

// Build writes the browser voter into outDir, creating it if needed: the
// page's files ([Static]), wasm_exec.js from the Go toolchain, voter.wasm
// and helper.wasm compiled from web/voter and web/helper with the go
// command on PATH (GOOS=js GOARCH=wasm, -trimpath, -ldflags=-s -w), and
// each gzipped (voter.wasm.gz, helper.wasm.gz). The go command runs in
// the current directory, which must be inside the zkvote module or a
// module that requires it. Files Build writes replace earlier ones of the
// same name; nothing else in outDir is touched.
//
// ctx cancels the compilation.
func Build(ctx context.Context, outDir string) error {
	goroot, err := goEnv(ctx, "GOROOT")
	if err != nil {
		return err
	}
	execJS, err := os.ReadFile(filepath.Join(goroot, "lib", "wasm", WasmExecFile))
	if errors.Is(err, fs.ErrNotExist) { // Go before 1.24 kept it in misc/wasm
		execJS, err = os.ReadFile(filepath.Join(goroot, "misc", "wasm", WasmExecFile))
	}
	if err != nil {
		return fmt.Errorf("web: the Go toolchain's %s: %v", WasmExecFile, err)
	}
	// The go command must find the voter from here: say so plainly
	// rather than with the compiler's words.
	jsEnv := append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	list := exec.CommandContext(ctx, "go", "list", voterPackage)
	list.Env = jsEnv
	if out, err := list.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("web: the go command cannot find %s from this directory: run inside the zkvote module, or one that requires it (%s)", voterPackage, strings.TrimSpace(string(out)))
	}
	tmp, err := os.MkdirTemp("", "zkvote-web-")
	if err != nil {
		return fmt.Errorf("web: %v", err)
	}
	defer os.RemoveAll(tmp)
	var built []builtFile
	for _, c := range []struct{ what, pkg, name, gzName string }{
		{"the voter", voterPackage, WasmFile, WasmGzipFile},
		{"the helper", helperPackage, HelperWasmFile, HelperWasmGzipFile},
	} {
		wasm, err := compile(ctx, jsEnv, c.what, c.pkg, filepath.Join(tmp, c.name))
		if err != nil {
			return err
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(wasm)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("web: %v", err)
		}
		built = append(built, builtFile{c.name, wasm}, builtFile{c.gzName, gz.Bytes()})
	}

	// Everything is ready: write the files.
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("web: %v", err)
	}
	err = fs.WalkDir(Static(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(Static(), path)
		if err != nil {
			return err
		}
		return writeFile(outDir, path, data)
	})
	if err != nil {
		return fmt.Errorf("web: %v", err)
	}
	if err := writeFile(outDir, WasmExecFile, execJS); err != nil {
		return err
	}
	for _, f := range built {
		if err := writeFile(outDir, f.name, f.data); err != nil {
			return err
		}
	}
	return nil
}

// builtFile is a file Build made, to write.
type builtFile struct {
	name string
	data []byte
}

// compile builds the main package pkg for GOOS=js (env) into out and
// returns the binary; what names it in errors.
func compile(ctx context.Context, env []string, what, pkg, out string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("web: compiling %s (GOOS=js GOARCH=wasm go build %s): %v\n%s", what, pkg, err, strings.TrimSpace(stderr.String()))
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("web: %v", err)
	}
	return wasm, nil
}

// writeFile writes data to dir/name through a temporary file and a
// rename, readable by all (the files are public: a web server serves
// them).
func writeFile(dir, name string, data []byte) error {
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("web: %v", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return fmt.Errorf("web: %v", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("web: writing %s: %v", name, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("web: %v", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("web: writing %s: %v", name, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("web: %v", err)
	}
	return nil
}

// goEnv returns one variable of "go env".
func goEnv(ctx context.Context, name string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("web: go env %s: %v (is the Go toolchain on PATH?)", name, err)
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		return "", fmt.Errorf("web: go env %s is empty", name)
	}
	return v, nil
}
