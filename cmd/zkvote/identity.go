package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/netstate/zkvote/membership"
)

// identityCommand is "zkvote identity": a citizen's identity file.
func identityCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "identity",
		Short: "Make or read a citizen's identity file",
		Long: `A citizen's identity is a secret seed, kept in a file sealed under a
passphrase (argon2id, XChaCha20-Poly1305). Its commitment is what the
registrar records in the census; the seed never leaves the citizen.

Passphrases are read from the terminal, or with --passphrase-fd N from the
first line of file descriptor N (for scripts); never from a flag.`,
	}
	c.AddCommand(identityNew(), identityShow())
	return c
}

// identityOutput is what identity new and show print with --json.
type identityOutput struct {
	Commitment string `json:"commitment"`
}

func identityNew() *cobra.Command {
	var out string
	var fd int
	var asJSON bool
	c := &cobra.Command{
		Use:   "new --out FILE",
		Short: "Make a new identity; print its commitment for the registrar",
		Example: `  zkvote identity new --out me.zkid          # asks for a passphrase twice
  zkvote identity new --out me.zkid --passphrase-fd 3 --json 3<passphrase.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pass, err := passphrase(fd, true)
			if err != nil {
				return err
			}
			id, err := membership.GenerateIdentity()
			if err != nil {
				return err
			}
			data, err := id.Encrypt(pass, nil)
			if err != nil {
				return err
			}
			if err := writeNew(out, data); err != nil {
				return err
			}
			return printIdentity(cmd.OutOrStdout(), id, asJSON)
		},
	}
	c.Flags().StringVar(&out, "out", "", "file to write the identity to; it must not exist (required)")
	c.Flags().IntVar(&fd, "passphrase-fd", -1, "read the passphrase from this file descriptor instead of the terminal")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("out")
	return c
}

func identityShow() *cobra.Command {
	var in string
	var fd int
	var asJSON bool
	c := &cobra.Command{
		Use:     "show --in FILE",
		Short:   "Print the commitment of an identity file",
		Example: `  zkvote identity show --in me.zkid`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := readBounded(in, membership.IdentityFileSize)
			if err != nil {
				return err
			}
			pass, err := passphrase(fd, false)
			if err != nil {
				return err
			}
			id, err := membership.DecryptIdentity(data, pass)
			if err != nil {
				return err
			}
			return printIdentity(cmd.OutOrStdout(), id, asJSON)
		},
	}
	c.Flags().StringVar(&in, "in", "", "the identity file (required)")
	c.Flags().IntVar(&fd, "passphrase-fd", -1, "read the passphrase from this file descriptor instead of the terminal")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("in")
	return c
}

func printIdentity(w io.Writer, id *membership.Identity, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(identityOutput{Commitment: id.Commitment().String()})
	}
	_, err := fmt.Fprintln(w, id.Commitment())
	return err
}

// maxPassphrase bounds a passphrase read from a descriptor.
const maxPassphrase = 1024

// passphrase reads a passphrase: from file descriptor fd's first line if fd
// is not -1, else from the terminal (twice, to confirm, if confirm).
func passphrase(fd int, confirm bool) ([]byte, error) {
	if fd >= 0 {
		f := os.NewFile(uintptr(fd), "passphrase")
		if f == nil {
			return nil, fmt.Errorf("--passphrase-fd %d: not an open file descriptor", fd)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxPassphrase+2))
		if err != nil {
			return nil, fmt.Errorf("--passphrase-fd %d: %v", fd, err)
		}
		line, _, _ := bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 || len(line) > maxPassphrase {
			return nil, fmt.Errorf("--passphrase-fd %d: the passphrase must be 1 to %d bytes", fd, maxPassphrase)
		}
		return line, nil
	}
	tty := int(os.Stdin.Fd())
	if !term.IsTerminal(tty) {
		return nil, errors.New("no terminal to ask for the passphrase: use --passphrase-fd")
	}
	fmt.Fprint(os.Stderr, "passphrase: ")
	pass, err := term.ReadPassword(tty)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, err
	}
	if len(pass) == 0 {
		return nil, errors.New("empty passphrase")
	}
	if confirm {
		fmt.Fprint(os.Stderr, "again: ")
		again, err := term.ReadPassword(tty)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(pass, again) {
			return nil, errors.New("the passphrases differ")
		}
	}
	return pass, nil
}

// writeNew writes data to a new file only its owner can read, whole or
// not at all: a temporary file in the same directory, fsynced, is linked
// into place (never replacing a file or following a link there), and the
// directory fsynced, so that a key whose public half was handed out is
// not lost in a crash.
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".zkvote-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(f.Name(), path); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: already exists", path)
	} else if err != nil {
		return err
	}
	return syncDir(dir)
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}
