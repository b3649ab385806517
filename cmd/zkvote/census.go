package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netstate/zkvote/membership"
)

// censusCommand is "zkvote census": the registrar's citizen tree.
func censusCommand() *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:   "census",
		Short: "Keep the census: the registrar's tree of citizens' commitments",
		Long: `The census is a Merkle tree of the commitments the registrar admitted,
kept durably in a directory. Its head (size and root) is what an election
accepts; citizens prove membership under it without saying which leaf is
theirs.`,
	}
	c.PersistentFlags().StringVar(&dir, "dir", "", "the census directory; add and import create it (required)")
	c.MarkPersistentFlagRequired("dir")
	c.AddCommand(censusAdd(&dir), censusImport(&dir), censusRemove(&dir), censusRoot(&dir), censusProof(&dir))
	return c
}

// withTree opens the census in dir (creating it only if create is set),
// runs fn, closes it and prints its head.
func withTree(cmd *cobra.Command, dir string, create, asJSON bool, fn func(*membership.Tree) error) error {
	t, err := openCensus(cmd, dir, create)
	if err != nil {
		return err
	}
	if err := fn(t); err != nil {
		t.Close()
		return err
	}
	h, epoch := t.Head(), t.Epoch()
	if err := t.Close(); err != nil {
		return err
	}
	return printHead(cmd.OutOrStdout(), h, epoch, asJSON)
}

// openCensus opens the census in dir, creating it there only if create
// is set: a command that reads a census must not start an empty one in a
// mistyped directory.
func openCensus(cmd *cobra.Command, dir string, create bool) (*membership.Tree, error) {
	t, err := membership.OpenTree(cmd.Context(), dir, &membership.TreeOptions{Existing: !create})
	if errors.Is(err, membership.ErrNoTree) {
		return nil, fmt.Errorf("no census at %s (zkvote census add creates one)", dir)
	}
	return t, err
}

// headOutput is a census head as --json prints it.
type headOutput struct {
	Size  uint64 `json:"size"`
	Root  string `json:"root"`
	Epoch uint64 `json:"epoch"`
}

func printHead(w io.Writer, h membership.Head, epoch uint64, asJSON bool) error {
	root := membership.Commitment(h.Root).String()
	if asJSON {
		return json.NewEncoder(w).Encode(headOutput{Size: h.Size, Root: root, Epoch: epoch})
	}
	_, err := fmt.Fprintf(w, "size %d\nroot %s\nepoch %d\n", h.Size, root, epoch)
	return err
}

func parseCommitments(args []string) ([]membership.Commitment, error) {
	cs := make([]membership.Commitment, 0, len(args))
	for i, a := range args {
		c, err := membership.ParseCommitment(strings.TrimSpace(a))
		if err != nil {
			return nil, fmt.Errorf("commitment %d: %v", i+1, err)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func censusAdd(dir *string) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "add --dir DIR COMMITMENT...",
		Short:   "Admit citizens by their commitments; print the new head",
		Example: `  zkvote census add --dir census 0x1a2b…   # a commitment from "zkvote identity new"`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cs, err := parseCommitments(args)
			if err != nil {
				return err
			}
			return withTree(cmd, *dir, true, asJSON, func(t *membership.Tree) error {
				_, err := t.InsertMany(cmd.Context(), cs)
				return err
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// maxImportLine bounds a line of an imported list.
const maxImportLine = 1 << 10

func censusImport(dir *string) *cobra.Command {
	var file string
	var asJSON bool
	c := &cobra.Command{
		Use:   "import --dir DIR --file FILE",
		Short: "Admit a list of commitments, one per line (- for standard input)",
		Example: `  zkvote census import --dir census --file commitments.txt
  # blank lines and lines starting with # are skipped; all are admitted or none`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := cmd.InOrStdin()
			if file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			var cs []membership.Commitment
			sc := bufio.NewScanner(in)
			sc.Buffer(make([]byte, 0, maxImportLine), maxImportLine)
			for n := 1; sc.Scan(); n++ {
				line := strings.TrimSpace(sc.Text())
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				c, err := membership.ParseCommitment(line)
				if err != nil {
					return fmt.Errorf("line %d: %v", n, err)
				}
				cs = append(cs, c)
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("reading the list: %v", err)
			}
			return withTree(cmd, *dir, true, asJSON, func(t *membership.Tree) error {
				_, err := t.InsertMany(cmd.Context(), cs)
				return err
			})
		},
	}
	c.Flags().StringVar(&file, "file", "", "the list of commitments, or - for standard input (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("file")
	return c
}

func censusRemove(dir *string) *cobra.Command {
	var index uint64
	var asJSON bool
	c := &cobra.Command{
		Use:     "remove --dir DIR --index N",
		Short:   "Remove the citizen at leaf N for good (a new census epoch begins)",
		Example: `  zkvote census remove --dir census --index 41`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withTree(cmd, *dir, false, asJSON, func(t *membership.Tree) error { return t.Remove(index) })
		},
	}
	c.Flags().Uint64Var(&index, "index", 0, "the leaf to remove (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("index")
	return c
}

func censusRoot(dir *string) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "root --dir DIR",
		Short:   "Print the census head: size, root and epoch",
		Example: `  zkvote census root --dir census --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withTree(cmd, *dir, false, asJSON, func(*membership.Tree) error { return nil })
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// proofOutput is what "census proof --json" prints.
type proofOutput struct {
	Index      uint64 `json:"index"`
	Commitment string `json:"commitment"`
	Root       string `json:"root"`
	Size       uint64 `json:"size"`
	Length     int    `json:"length"`
	File       string `json:"file"`
}

func censusProof(dir *string) *cobra.Command {
	var index uint64
	var commitment, out string
	var asJSON bool
	c := &cobra.Command{
		Use:   "proof --dir DIR (--index N | --commitment C) --out FILE",
		Short: "Write a citizen's census proof file: their leaf's path to the current root",
		Long: `proof writes the census proof of one citizen, found by leaf index or by
commitment, under the census's current root: the file the citizen's
"zkvote vote --proof" reads. It prints the leaf's index and the root the
proof leads to; the election must accept that root (one of its census
heads), so hand out proofs made after the head the election pins was
taken, and before the next removal.

The file holds no secret: the commitment, its index and the sibling
hashes. Sending it to the citizen over an open channel tells an onlooker
which leaf is theirs, not how they vote.`,
		Example: `  zkvote census proof --dir census --commitment 0x1a2b… --out alice.proof
  zkvote census proof --dir census --index 41 --out 41.proof --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			byIndex, byCommitment := cmd.Flags().Changed("index"), cmd.Flags().Changed("commitment")
			if byIndex == byCommitment {
				return errors.New("give exactly one of --index and --commitment")
			}
			var want membership.Commitment
			if byCommitment {
				var err error
				if want, err = membership.ParseCommitment(strings.TrimSpace(commitment)); err != nil {
					return fmt.Errorf("--commitment: %v", err)
				}
			}
			if _, err := os.Lstat(out); err == nil {
				return fmt.Errorf("%s already exists", out)
			}
			t, err := openCensus(cmd, *dir, false)
			if err != nil {
				return err
			}
			defer t.Close()
			if byCommitment {
				i, ok := t.IndexOf(want)
				if !ok {
					return fmt.Errorf("commitment %s is not in the census (never admitted, or removed)", want)
				}
				index = i
			}
			p, err := t.Proof(index)
			if err != nil {
				return fmt.Errorf("leaf %d: %w", index, err)
			}
			if err := p.Verify(p.Root); err != nil {
				return fmt.Errorf("leaf %d: the census gave a proof that does not check: %w", index, err)
			}
			size := t.Size()
			if err := writeNew(out, p.Bytes()); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			res := proofOutput{Index: p.Index, Commitment: p.Leaf.String(), Root: membership.Commitment(p.Root).String(),
				Size: size, Length: len(p.Siblings), File: out}
			if asJSON {
				return json.NewEncoder(w).Encode(res)
			}
			_, err = fmt.Fprintf(w, "index %d\nroot %s\nsize %d\n", res.Index, res.Root, res.Size)
			return err
		},
	}
	c.Flags().Uint64Var(&index, "index", 0, "the citizen's leaf index")
	c.Flags().StringVar(&commitment, "commitment", "", "the citizen's commitment")
	c.Flags().StringVar(&out, "out", "", "the census proof file to write (must not exist) (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("out")
	return c
}
