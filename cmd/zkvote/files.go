package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// maxParamsFile bounds an election parameters file.
const maxParamsFile = 1 << 20

// readParams reads and checks an election parameters file (the bytes of
// election.Params.Encode, as "zkvote election new" writes them).
func readParams(path string) (*election.Params, error) {
	b, err := readBounded(path, maxParamsFile)
	if err != nil {
		return nil, err
	}
	p, err := election.ParseParams(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// loadKeys loads the keys of statement s from a key directory ("zkvote keys
// setup" or a ceremony's seal wrote it), for the backend pin names, and
// checks the verifying key against the pin. Keys this machine made are
// loaded Trusted when trusted is set; otherwise every point is checked.
func loadKeys(ctx context.Context, dir string, s statement.Statement, pin election.KeyPin, trusted bool) (*prover.Keys, error) {
	mode := prover.Checked
	if trusted {
		mode = prover.Trusted
	}
	k, err := prover.Load(ctx, dir, s, pin.Backend, mode)
	if err != nil {
		return nil, fmt.Errorf("keys for %s in %s: %w", s.Name(), dir, err)
	}
	if !pin.Matches(k.VerifyingKey()) {
		return nil, fmt.Errorf("keys for %s in %s: %w", s.Name(), dir, election.ErrKeyMismatch)
	}
	return k, nil
}

// maxVerifyingKeyFile bounds a verifying key file.
const maxVerifyingKeyFile = 1 << 20

// findVerifyingKey returns the verifying key in dir (a *.vk file, as
// prover's Keys.WriteFiles names them) that pin names, and its statement.
// Files that do not parse are skipped: the pin, a SHA-256 of the key, is
// what decides.
func findVerifyingKey(dir string, pin election.KeyPin) (*verifier.VerifyingKey, statement.Statement, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.vk"))
	if err != nil {
		return nil, statement.Statement{}, err
	}
	for _, name := range names {
		b, err := readFound(name, maxVerifyingKeyFile)
		if err != nil {
			continue
		}
		vk, err := verifier.ParseVerifyingKey(b)
		if err != nil || !pin.Matches(vk) {
			continue
		}
		s, err := statement.Parse(vk.Circuit())
		if err != nil {
			return nil, statement.Statement{}, fmt.Errorf("%s: %v", name, err)
		}
		return vk, s, nil
	}
	return nil, statement.Statement{}, fmt.Errorf("%s: no verifying key with ID %x: %w", dir, pin.ID[:8], election.ErrKeyMismatch)
}

// readFound reads, as readBounded does, a file a command found in a
// directory it was given (a key directory, a ceremony transcript) rather
// than one the user named. It must be a regular file (or a link to one):
// a FIFO or a device someone left there would hang the read.
func readFound(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return readBounded(path, limit)
}

// logReader reads a published ballot log from a directory (a box's log/
// directory or a copy) or an http(s) URL.
func logReader(spec string) (election.LogReader, error) {
	if strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://") {
		return election.LogURL(spec, &http.Client{Timeout: 2 * time.Minute})
	}
	st, err := os.Stat(spec)
	if err != nil {
		return nil, fmt.Errorf("--log: %v", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--log %s: not a directory or an http(s) URL", spec)
	}
	return election.LogDir(spec), nil
}

// printable returns s as it may be shown on a terminal: unchanged if every
// rune is a graphic character or a space, else quoted with Go's escapes
// (strconv.QuoteToGraphic). A question, an option or a log key comes from
// a parameters file whoever wrote it chose: raw, its control characters
// could clear the screen or rewrite the digest line, a newline could show
// one option as two, and bidirectional controls could reorder what is
// printed. Election parameters accept any UTF-8; only their display is
// escaped (--json prints the strings as they are, JSON-escaped).
func printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || (r != ' ' && !unicode.IsGraphic(r)) {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}

// logFlags are the flags of the commands that read an election's log.
type logFlags struct {
	params, keys, log string
	shares            []string
	asJSON            bool
}

// register adds the flags, with keysHelp describing --keys.
func (f *logFlags) register(c *cobra.Command, keysHelp string) {
	c.Flags().StringVar(&f.params, "params", "", "the election parameters file (required)")
	c.Flags().StringVar(&f.keys, "keys", "", keysHelp+" (required)")
	c.Flags().StringVar(&f.log, "log", "", "the ballot log: a directory or an http(s) URL (required)")
	c.Flags().StringArrayVar(&f.shares, "share", nil, "secret ballots: a trustee's decryption share file; repeat")
	c.Flags().BoolVar(&f.asJSON, "json", false, "print JSON")
	for _, name := range []string{"params", "keys", "log"} {
		c.MarkFlagRequired(name)
	}
}

// open reads the parameters, opens the log and finds the vote key.
func (f *logFlags) open() (*election.Params, election.LogReader, *verifier.VerifyingKey, error) {
	p, err := readParams(f.params)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := logReader(f.log)
	if err != nil {
		return nil, nil, nil, err
	}
	vk, _, err := findVerifyingKey(f.keys, p.VoteKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("vote key: %w", err)
	}
	return p, r, vk, nil
}

// secretResults audits a secret election's log and combines the trustees'
// decryption shares given with --share.
func (f *logFlags) secretResults(ctx context.Context, p *election.Params, vk *verifier.VerifyingKey, r election.LogReader) (*election.Results, error) {
	if len(f.shares) == 0 {
		return nil, errors.New("a secret election's result needs the trustees' decryption shares (--share, at least the threshold's worth)")
	}
	data, err := readDecryptionShares(f.shares)
	if err != nil {
		return nil, err
	}
	return election.AuditSecretLog(ctx, p, vk, r, data)
}
