package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/verifier"
	"github.com/netstate/zkvote/witness"
)

// boxCommand is "zkvote box": the ballot box, an HTTP service.
func boxCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "box",
		Short: "Run the ballot box: take ballots over HTTP and keep the public log",
		Long: `The ballot box takes each citizen's ballot once, checks its proof, and
keeps a durable public log of the ballots (a transparency log whose
checkpoints the box signs and the election's witnesses cosign). It serves
the log, the parameters, receipts' proofs and, once the election has
ended, the results over HTTP.

A box has a checkpoint key (box keygen), whose public half the election's
parameters name; it runs as "box serve" until stopped (SIGTERM), and
"box close" ends the election for good.`,
	}
	c.AddCommand(boxKeygen(), boxKey(), boxServe(), boxClose())
	return c
}

func boxKeygen() *cobra.Command {
	var name, out string
	var asJSON bool
	c := &cobra.Command{
		Use:   "keygen --name ORIGIN --out FILE",
		Short: "Make a box's checkpoint key; print the public key elections name",
		Long: `Make the box's checkpoint signing key (a note signer key) and write it to
--out, readable by its owner only. The public key it prints is what
"zkvote election new --box-key" pins as the log's box key; its name is the
log's origin, the first line of every checkpoint. Use one key per
election, so that no checkpoint of one election's log passes for
another's.`,
		Example: `  zkvote box keygen --name vote.example.org/charter --out box.key > box.vkey`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			skey, vkey, err := note.GenerateKey(rand.Reader, name)
			if err == nil {
				_, err = note.NewSigner(skey) // checks the name, which GenerateKey does not
			}
			if err != nil {
				return fmt.Errorf("--name %q: not a key name (no spaces or plus signs)", name)
			}
			if err := writeNew(out, []byte(skey+"\n")); err != nil {
				return fmt.Errorf("writing the key: %v", err)
			}
			return printBoxKey(cmd, vkey, asJSON)
		},
	}
	c.Flags().StringVar(&name, "name", "", "the log's origin, conventionally the box's URL without scheme (required)")
	c.Flags().StringVar(&out, "out", "", "file to write the secret key to; it must not exist (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("name")
	c.MarkFlagRequired("out")
	return c
}

func boxKey() *cobra.Command {
	var keyFile string
	var asJSON bool
	c := &cobra.Command{
		Use:     "key --key FILE",
		Short:   "Print the public key of a box's key file",
		Example: `  zkvote box key --key box.key`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			skey, err := readKey(keyFile)
			if err != nil {
				return err
			}
			vkey, err := boxVerifierKey(skey)
			if err != nil {
				return fmt.Errorf("%s: %v", keyFile, err)
			}
			return printBoxKey(cmd, vkey, asJSON)
		},
	}
	c.Flags().StringVar(&keyFile, "key", "", "the box's key file, from keygen (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("key")
	return c
}

func printBoxKey(cmd *cobra.Command, vkey string, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
			Key string `json:"key"`
		}{vkey})
	}
	_, err := fmt.Fprintln(cmd.OutOrStdout(), vkey)
	return err
}

// boxVerifierKey returns the note verifier key of a box's note signer
// key: the key "zkvote election new --box-key" pins.
func boxVerifierKey(skey string) (string, error) {
	name, key, err := witness.ParseKey(skey)
	if err != nil {
		return "", errors.New("not a box key (a note signer key of an Ed25519 key)")
	}
	return note.NewEd25519VerifierKey(name, key.Public().(ed25519.PublicKey))
}

// boxFlags are the flags that open a box.
type boxFlags struct {
	dir, params, key, keys string
	witnesses              []string
}

func (f *boxFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.dir, "dir", "", "the box's directory: its parameters, lock and log (created if missing; required)")
	c.Flags().StringVar(&f.params, "params", "", "the election's parameters file (required)")
	c.Flags().StringVar(&f.key, "key", "", "the box's key file, from \"box keygen\" (required)")
	c.Flags().StringVar(&f.keys, "keys", "", "the key directory holding the election's vote verifying key (required)")
	c.Flags().StringArrayVar(&f.witnesses, "witness", nil, "a witness's URL, one per witness the parameters name, in their order")
	for _, name := range []string{"dir", "params", "key", "keys"} {
		c.MarkFlagRequired(name)
	}
}

// opened is a box opened from its flags, with what serving it needs.
type opened struct {
	box      *election.Box
	params   *election.Params
	keyFiles []string // the vote statement's key files in the key directory
}

// open opens the box the flags describe.
func (f *boxFlags) open(ctx context.Context) (*opened, error) {
	p, err := readParams(f.params)
	if err != nil {
		return nil, err
	}
	skey, err := readKey(f.key)
	if err != nil {
		return nil, err
	}
	vk, files, err := voteKeyFiles(f.keys, p)
	if err != nil {
		return nil, err
	}
	if len(f.witnesses) != len(p.Log.Witnesses) {
		return nil, fmt.Errorf("%d --witness URLs for the %d witnesses the parameters name", len(f.witnesses), len(p.Log.Witnesses))
	}
	box, err := election.OpenBox(ctx, f.dir, p, vk, election.BoxOptions{
		Key: skey, Witnesses: f.witnesses, HTTPClient: &http.Client{Timeout: 30 * time.Second},
	})
	switch {
	case errors.Is(err, election.ErrLocked):
		return nil, fmt.Errorf("%s: %w (is a \"box serve\" running on it? stop it first)", f.dir, err)
	case errors.Is(err, election.ErrKeyMismatch):
		return nil, fmt.Errorf("%s: %w", f.key, err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", f.dir, err)
	}
	return &opened{box: box, params: p, keyFiles: files}, nil
}

// voteKeyFiles finds in dir the vote verifying key the parameters pin (a
// *.vk file, as prover's Keys.WriteFiles writes it), checks that it is for
// the election's vote statement, and returns it with the names of its key
// files in dir (the .vk and, where present, the .pk and .ccs beside it:
// what a browser voter proves with).
func voteKeyFiles(dir string, p *election.Params) (*verifier.VerifyingKey, []string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.vk"))
	if err != nil {
		return nil, nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, nil, fmt.Errorf("--keys %s: not a directory", dir)
	}
	for _, name := range names {
		b, err := readBounded(name, maxVerifyingKeyFile)
		if err != nil {
			continue
		}
		vk, err := verifier.ParseVerifyingKey(b)
		if err != nil || !p.VoteKey.Matches(vk) {
			continue
		}
		if s := p.VoteStatement(); vk.Circuit() != s.Name() {
			return nil, nil, fmt.Errorf("%s: the key pinned as the vote key is for %s, the election's ballots prove %s", name, vk.Circuit(), s.Name())
		}
		base := strings.TrimSuffix(filepath.Base(name), ".vk")
		files := []string{base + ".vk"}
		for _, ext := range []string{".pk", ".ccs"} {
			if st, err := os.Stat(filepath.Join(dir, base+ext)); err == nil && st.Mode().IsRegular() {
				files = append(files, base+ext)
			}
		}
		return vk, files, nil
	}
	return nil, nil, fmt.Errorf("--keys %s: no verifying key the parameters pin as the vote key (%s): %w", dir, p.VoteStatement().Name(), election.ErrKeyMismatch)
}

func boxServe() *cobra.Command {
	var f boxFlags
	var listen, web string
	var maxInFlight int
	var proveTimeout time.Duration
	c := &cobra.Command{
		Use:   "serve --dir DIR --params FILE --key FILE --keys DIR [--witness URL ...] [--listen ADDR] [--web DIR]",
		Short: "Serve the ballot box over HTTP until SIGTERM",
		Long: `Open the box (creating it if its directory holds none) and serve it over
HTTP: POST /v1/ballots and /v1/receipts, GET /v1/params, /v1/status,
/v1/results (once ended), /healthz, the log under /log/ (C2SP
tlog-tiles), the vote statement's key files under /keys/ and, with --web,
the browser voter at /.

The first line on stdout is "listening on http://ADDR", so that
--listen 127.0.0.1:0 can be used by scripts. On SIGTERM or SIGINT the
server stops taking requests, finishes those in flight, and closes the
box: every ballot acknowledged is durable, and a later serve continues.
A second signal drops the requests still in flight (none of them had an
acknowledgement) and closes the box at once.
An ended box is served read-only (its log, status and results).

The server bounds request sizes, slow clients and the submissions it
checks at once (--max-in-flight; beyond it, 503 with Retry-After). It
does not limit requests per client address or terminate TLS: on the
internet, run it behind a reverse proxy that does both.`,
		Example: `  zkvote box serve --dir box --params election.params --key box.key --keys keys \
      --witness https://witness.example.net --listen 127.0.0.1:8080 --web web/
  # prints "listening on http://127.0.0.1:8080"; stop it with SIGTERM or SIGINT`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := &httpbox.Options{KeyDir: f.keys, MaxInFlight: maxInFlight, ProveTimeout: proveTimeout,
				Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))}
			if web != "" {
				if st, err := os.Stat(web); err != nil || !st.IsDir() {
					return fmt.Errorf("--web %s: not a directory", web)
				}
				// An os.Root, as the log and key directories are: a link
				// in it to a file outside (the box's key) is not followed.
				root, err := os.OpenRoot(web)
				if err != nil {
					return fmt.Errorf("--web %s: %v", web, err)
				}
				defer root.Close()
				opts.Web = root.FS()
			}
			if maxInFlight < 0 || proveTimeout < 0 {
				return errors.New("--max-in-flight and --prove-timeout must not be negative")
			}
			o, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			opts.LogDir, opts.KeyFiles = filepath.Join(f.dir, "log"), o.keyFiles
			h, err := httpbox.NewHandler(o.box, o.params, opts)
			if err != nil {
				o.box.Close()
				return err
			}
			tcp, err := net.Listen("tcp", listen)
			if err != nil {
				o.box.Close()
				return err
			}
			ln := newLimitListener(tcp, maxConns())
			defer ln.Close()
			srv := httpbox.NewServer(listen, h)
			fmt.Fprintf(cmd.OutOrStdout(), "listening on http://%s\n", ln.Addr())
			res := o.box.Results()
			state := "open"
			if res.Closed {
				state = "ended: serving read-only"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "box %s: %d ballots, %s\n", f.dir, res.Ballots, state)

			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			var serveErr error
			select {
			case serveErr = <-done:
			case <-ctx.Done():
				// Requests in flight finish (a proof's wait is bounded by
				// --prove-timeout); then the box writes what it queued. A
				// second signal cuts the wait: connections still open are
				// dropped (their ballots were not acknowledged), and the
				// box still closes.
				stop()
				fmt.Fprintln(cmd.ErrOrStderr(), "stopping: finishing the requests in flight (signal again to drop them)")
				again, stopAgain := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
				wait := proveTimeout
				if wait == 0 {
					wait = httpbox.DefaultProveTimeout
				}
				shutdown, cancel := context.WithTimeout(again, wait+10*time.Second)
				if err := srv.Shutdown(shutdown); err != nil {
					srv.Close()
				}
				cancel()
				stopAgain()
				if err := <-done; !errors.Is(err, http.ErrServerClosed) {
					serveErr = err
				}
			}
			if err := o.box.Close(); err != nil {
				return err
			}
			return serveErr
		},
	}
	f.register(c)
	c.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	c.Flags().StringVar(&web, "web", "", "a directory of browser voter files to serve at / (zkvote web -h)")
	c.Flags().IntVar(&maxInFlight, "max-in-flight", httpbox.DefaultMaxInFlight, "submissions checked at once; more get 503 with Retry-After")
	c.Flags().DurationVar(&proveTimeout, "prove-timeout", httpbox.DefaultProveTimeout, "the longest a receipt's proof waits for a checkpoint")
	return c
}

// maxConns is how many connections "box serve" holds open at once: its
// file descriptor limit, less a reserve for the box's log, halved (a
// connection may hold a file it serves). Past the limit, the kernel queues
// new connections until one closes. Without the bound, a client opening
// connections until the process runs out of descriptors made Tessera's
// POSIX storage panic on the next ballot's write, killing the box.
func maxConns() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<24 {
		return 1 << 12
	}
	n := int(lim.Cur)
	return max((n-64-n/16)/2, 1)
}

// limitListener is a listener that holds at most cap(sem) connections
// open: Accept waits while that many are.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.sem })}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn is a connection of a limitListener: closing it frees its
// place.
type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

func boxClose() *cobra.Command {
	var f boxFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "close --dir DIR --params FILE --key FILE --keys DIR [--witness URL ...]",
		Short: "End the election for good and print the box's results",
		Long: `Open the stopped box, write its durable close entry (no ballot is
taken after it, ever), wait for a final checkpoint the witnesses cosign,
and print the results: the totals of an open election, or the number of
ballots and voters and the final chain head of a secret one, whose
totals the trustees decrypt. Closing an ended box prints its results
again. Stop "box serve" first: the box's directory is locked while it
runs. A closed box can be served again, read-only.`,
		Example: `  kill -TERM "$box_pid"; wait "$box_pid"
  zkvote box close --dir box --params election.params --key box.key --keys keys \
      --witness https://witness.example.net --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A box directory holds its parameters (election/box.go);
			// closing must not make a new, empty box.
			if _, err := os.Stat(filepath.Join(f.dir, "params")); err != nil {
				return fmt.Errorf("--dir %s: no ballot box there", f.dir)
			}
			o, err := f.open(cmd.Context())
			if err != nil {
				return err
			}
			if err := o.box.End(); err != nil {
				o.box.Close()
				return err
			}
			res := o.box.Results()
			return printResults(cmd.OutOrStdout(), o.params, &res, asJSON)
		},
	}
	f.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
