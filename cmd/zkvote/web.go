package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/netstate/zkvote/web"
)

// webCommand is "zkvote web": the browser voter.
func webCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "web",
		Short: "Build the browser voter a box serves at /",
		Long: `The browser voter is a small web page and the voter's Go code compiled
to WebAssembly: a citizen opens the box's address, chooses their identity
file and census proof, types their passphrase and votes. The proof is made
in the browser; the identity's secret never leaves it. The page shows the
election's digest and refuses to vote when the address names another
(https://box.example.org/#digest=HEX). Serve the built directory with
"zkvote box serve --web DIR".

The page is only as trustworthy as whoever serves it: voters who do not
trust the box's operator should load it from an origin they trust, or
vote with "zkvote vote".`,
	}
	c.AddCommand(webBuild())
	return c
}

// webFile is a built file as --json prints it.
type webFile struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

func webBuild() *cobra.Command {
	var out string
	var asJSON bool
	c := &cobra.Command{
		Use:   "build --out DIR",
		Short: "Compile the browser voter into a new directory",
		Long: `build writes the voting page, Go's wasm_exec.js, the voter compiled to
WebAssembly (voter.wasm, and voter.wasm.gz, which the page fetches) and
the helper that computes parts of each proof in a second worker
(helper.wasm, helper.wasm.gz) into DIR, which must not exist or be empty.

It runs the go command on PATH (GOOS=js GOARCH=wasm go build), in the
current directory, which must be inside the zkvote source tree or a module
that requires it. The first build compiles gnark for WebAssembly and takes
a few minutes; later ones reuse Go's build cache.`,
		Example: `  zkvote web build --out web-voter
  zkvote box serve --web web-voter ...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkEmptyDir(out); err != nil {
				return err
			}
			bar := newProgress("compiling the voter", 0)
			err := web.Build(cmd.Context(), out)
			bar.finish()
			if err != nil {
				return err
			}
			var files []webFile
			err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				info, err := d.Info()
				if err != nil {
					return err
				}
				rel, err := filepath.Rel(out, path)
				if err != nil {
					return err
				}
				files = append(files, webFile{Name: filepath.ToSlash(rel), Size: info.Size()})
				return nil
			})
			if err != nil {
				return err
			}
			sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
			w := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(w).Encode(struct {
					Dir   string    `json:"dir"`
					Files []webFile `json:"files"`
				}{out, files})
			}
			for _, f := range files {
				fmt.Fprintf(w, "%10d  %s\n", f.Size, f.Name)
			}
			_, err = fmt.Fprintf(w, "serve it with: zkvote box serve --web %s ...\n", out)
			return err
		},
	}
	c.Flags().StringVar(&out, "out", "", "the directory to write; it must not exist or be empty (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("out")
	return c
}

// checkEmptyDir refuses a path that is a file or a directory with
// anything in it, so that a build never replaces files it did not write.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--out %s: %v", dir, err)
	case len(entries) > 0:
		return fmt.Errorf("--out %s is not empty: remove it, or choose a new directory", dir)
	}
	return nil
}
