package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/netstate/zkvote/witness"
)

// witnessCommand is "zkvote witness": a transparency-log witness for
// ballot boxes (C2SP tlog-witness).
func witnessCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "witness",
		Short: "Run a witness that cosigns ballot logs' checkpoints",
		Long: `A witness follows ballot logs: it cosigns a box's checkpoint only if the
box's key signed it and it extends the last checkpoint the witness
cosigned for that box. Voters and auditors trust a checkpoint only with
the cosignatures of the election's quorum of witnesses, so a box cannot
show two histories unless that many witnesses lie with it.`,
	}
	c.AddCommand(witnessKeygen(), witnessKey(), witnessServe())
	return c
}

func witnessKeygen() *cobra.Command {
	var name, out string
	c := &cobra.Command{
		Use:   "keygen --name NAME --out FILE",
		Short: "Make a witness key; print the public key elections name",
		Example: `  zkvote witness keygen --name witness.example.net --out witness.key
  # prints the witness's public key, for the election's parameters (Log.Witnesses)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			skey, vkey, err := witness.GenerateKey(name)
			if err != nil {
				return err
			}
			if err := writeNew(out, []byte(skey+"\n")); err != nil {
				return fmt.Errorf("writing the key: %v", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), vkey)
			return nil
		},
	}
	c.Flags().StringVar(&name, "name", "", "the witness's name, conventionally its URL without scheme (required)")
	c.Flags().StringVar(&out, "out", "", "file to write the secret key to; it must not exist (required)")
	c.MarkFlagRequired("name")
	c.MarkFlagRequired("out")
	return c
}

func witnessKey() *cobra.Command {
	var keyFile string
	c := &cobra.Command{
		Use:     "key --key FILE",
		Short:   "Print the public key of a witness key file",
		Example: `  zkvote witness key --key witness.key`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			skey, err := readKey(keyFile)
			if err != nil {
				return err
			}
			vkey, err := witness.CosignatureKey(skey)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), vkey)
			return nil
		},
	}
	c.Flags().StringVar(&keyFile, "key", "", "the witness's key file (required)")
	c.MarkFlagRequired("key")
	return c
}

func witnessServe() *cobra.Command {
	var keyFile, dir, listen string
	var logs []string
	c := &cobra.Command{
		Use:   "serve --key FILE --dir DIR --log BOXKEY [--log BOXKEY ...]",
		Short: "Serve the witness over HTTP (POST <url>/add-checkpoint)",
		Example: `  zkvote witness serve --key witness.key --dir /var/lib/zkvote-witness \
      --log "ballots.example.org/referendum-1+3f2a91c4+AQ…" --listen :7380
  # prints "listening on http://ADDR"; stop it with SIGTERM or SIGINT`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			skey, err := readKey(keyFile)
			if err != nil {
				return err
			}
			name, key, err := witness.ParseKey(skey)
			if err != nil {
				return err
			}
			var follow []witness.Log
			for _, l := range logs {
				v, err := note.NewVerifier(l)
				if err != nil {
					return fmt.Errorf("--log %q: not a note verifier key: %v", l, err)
				}
				follow = append(follow, witness.Log{Origin: v.Name(), Key: v})
			}
			w, err := witness.Open(witness.Config{Dir: dir, Name: name, Key: key, Logs: follow})
			if err != nil {
				return err
			}
			defer w.Close()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: w, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
				WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 8 << 10}
			fmt.Fprintf(cmd.OutOrStdout(), "listening on http://%s\n", ln.Addr())
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-ctx.Done():
			}
			shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdown); err != nil {
				return err
			}
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	c.Flags().StringVar(&keyFile, "key", "", "the witness's key file, from keygen (required)")
	c.Flags().StringVar(&dir, "dir", "", "the witness's state directory: the last checkpoint it cosigned for each log (required)")
	c.Flags().StringArrayVar(&logs, "log", nil, "a ballot box's checkpoint key (note verifier key) to follow; repeat for more (required)")
	c.Flags().StringVar(&listen, "listen", "127.0.0.1:7380", "address to listen on")
	c.MarkFlagRequired("key")
	c.MarkFlagRequired("dir")
	c.MarkFlagRequired("log")
	return c
}

// readKey reads a key file: one note signer key, bounded.
func readKey(path string) (string, error) {
	b, err := readBounded(path, 4096)
	if err != nil {
		return "", fmt.Errorf("%s: not a key file: %v", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}
