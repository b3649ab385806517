package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/netstate/zkvote/election"
)

// auditCommand is "zkvote audit": anyone's check of an election.
func auditCommand() *cobra.Command {
	var f logFlags
	var tallyPath string
	c := &cobra.Command{
		Use:   "audit",
		Short: "Check an election from its published log: every ballot, the count, and the result",
		Long: `audit checks an election from its public record alone, as any citizen or
observer can: the ballot log, read from a directory or a URL (a box's
/log/), against the election parameters and the verifying keys they pin.

It checks the log's checkpoint (the box's signature and the witnesses'
quorum of cosignatures), that the entries hash to it, every ballot's proof
and statement (census root, election, rules), that no citizen voted twice,
and then the result: for open ballots the tally proofs in --tally, for
secret ballots the trustees' decryption shares in --share. It prints the
totals and exits 0 only if everything checks; otherwise it says what
failed first (the ballot's or proof's position) and exits 1.

Get the parameters file and its digest from the organiser over a channel
you trust ("zkvote election digest" prints it); the keys need only the
verifying keys (*.vk).`,
		Example: `  zkvote audit --params election.params --keys keys --log https://vote.example.org/log/ --tally tally.proofs
  zkvote audit --params election.params --keys keys --log box/log --share decryption-1 --share decryption-3 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			p, r, voteVK, err := f.open()
			if err != nil {
				return err
			}
			bar := newProgress("auditing the log", 0)
			r = &countingReader{LogReader: r, bar: bar}
			var res *election.Results
			if p.Secret != nil {
				if tallyPath != "" {
					return errors.New("--tally: a secret election is counted by its trustees' decryptions (--share)")
				}
				res, err = f.secretResults(ctx, p, voteVK, r)
				bar.finish()
				if err != nil {
					return err
				}
			} else {
				if len(f.shares) > 0 {
					return errors.New("--share: an open election has no decryption shares")
				}
				if tallyPath == "" {
					return errors.New("--tally: the tally proof file (required for an open election)")
				}
				tallyVK, _, err := findVerifyingKey(f.keys, p.TallyKey)
				if err != nil {
					return fmt.Errorf("tally key: %w", err)
				}
				tallyData, err := readBounded(tallyPath, maxTallyFile)
				if err != nil {
					return err
				}
				res, err = election.AuditLog(ctx, p, voteVK, tallyVK, r, tallyData)
				bar.finish()
				if err != nil {
					return err
				}
			}
			return printResults(cmd.OutOrStdout(), p, res, f.asJSON)
		},
	}
	f.register(c, "a directory holding the verifying keys (*.vk) the parameters pin")
	c.Flags().StringVar(&tallyPath, "tally", "", "open ballots: the tally proof file")
	return c
}

// countingReader moves a progress bar as entry bundles are read: the
// checkpoint gives the total.
type countingReader struct {
	election.LogReader
	bar *progress
}

func (c *countingReader) ReadCheckpoint(ctx context.Context) ([]byte, error) {
	b, err := c.LogReader.ReadCheckpoint(ctx)
	if err == nil {
		// The checkpoint's second line is the tree size; the audit
		// itself checks the note, this only sizes the bar.
		if lines := bytes.SplitN(b, []byte("\n"), 3); len(lines) == 3 {
			if n, err := strconv.ParseUint(string(lines[1]), 10, 64); err == nil && n < 1<<40 {
				c.bar.set(0, int((n+255)/256))
			}
		}
	}
	return b, err
}

func (c *countingReader) ReadEntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error) {
	b, err := c.LogReader.ReadEntryBundle(ctx, index, p)
	if err == nil {
		c.bar.add(1)
	}
	return b, err
}
