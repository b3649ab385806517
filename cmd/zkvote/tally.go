package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/prover"
)

// maxTallyFile bounds a tally proof file: one Groth16 proof of a few
// hundred bytes per batch, and at most 2^20 batches would be absurd.
const maxTallyFile = 64 << 20

// tallyCommand is "zkvote tally": the organiser's count after the box is
// closed.
func tallyCommand() *cobra.Command {
	var f logFlags
	var out string
	var trusted bool
	c := &cobra.Command{
		Use:   "tally",
		Short: "Count a closed election: prove the tally (open ballots) or combine the trustees' decryptions (secret ballots)",
		Long: `tally counts a closed election from its published ballot log, read from
a directory (the box's log/ directory or a copy) or a URL (the box's /log/).

Open ballots: it proves the tally with the tally keys in --keys (those the
parameters pin), writes the proofs to --out for anyone to check with
"zkvote audit", then audits the log and the proofs itself and prints the
totals.

Secret ballots: the trustees each run "zkvote trustee decrypt" on the
closed log; tally checks every ballot, sums the latest ballot of each
citizen, checks the decryption shares given with --share against the
parameters and prints the totals. Shares that fail their proofs are
named and left out; a threshold's worth of good shares is enough.

The log is checked against the parameters' log keys: the box's signature
and the witnesses' cosignatures on its checkpoint.`,
		Example: `  # open ballots: prove and publish the tally
  zkvote tally --params election.params --keys keys --log box/log --out tally.proofs

  # secret ballots: combine two trustees' decryptions
  zkvote tally --params election.params --keys keys --log https://vote.example.org/log/ \
      --share decryption-1 --share decryption-3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if out != "" {
				if err := notExisting(out); err != nil {
					return err
				}
			}
			p, r, voteVK, err := f.open()
			if err != nil {
				return err
			}
			if p.Secret != nil {
				if out != "" {
					return errors.New("--out: a secret election's tally is the trustees' decryptions; there are no proofs to write")
				}
				res, err := f.secretResults(ctx, p, voteVK, r)
				if err != nil {
					return err
				}
				return printResults(cmd.OutOrStdout(), p, res, f.asJSON)
			}
			if len(f.shares) > 0 {
				return errors.New("--share: an open election has no decryption shares")
			}
			if out == "" {
				return errors.New("--out: where to write the tally proofs (required for an open election)")
			}
			tallyVK, s, err := findVerifyingKey(f.keys, p.TallyKey)
			if err != nil {
				return fmt.Errorf("tally key: %w", err)
			}
			keys, err := loadKeys(ctx, f.keys, s, p.TallyKey, trusted)
			if err != nil {
				return err
			}
			data, err := election.FetchLog(ctx, p, r)
			if err != nil {
				return err
			}
			l, err := election.ReadLog(data)
			if err != nil {
				return err
			}
			if !l.Closed {
				return election.ErrOpenElection
			}
			bar := newProgress("proving the tally", 0)
			proofs, err := prover.ProveTally(ctx, keys, p, l.Ballots, func(done, total int) { bar.set(done, total) })
			bar.finish()
			if err != nil {
				return err
			}
			tallyData := election.EncodeTallyProofs(proofs)
			res, err := election.AuditLog(ctx, p, voteVK, tallyVK, r, tallyData)
			if err != nil {
				return fmt.Errorf("the tally does not audit: %w", err)
			}
			if err := writeNew(out, tallyData); err != nil {
				return err
			}
			return printResults(cmd.OutOrStdout(), p, res, f.asJSON)
		},
	}
	f.register(c, "the key directory: the vote verifying key, and the tally keys for open ballots")
	c.Flags().StringVar(&out, "out", "", "open ballots: the tally proof file to write")
	c.Flags().BoolVar(&trusted, "trusted-keys", false, "skip the curve checks on the tally proving key (only for keys this machine made)")
	return c
}

// resultsOutput is an election's results as --json prints them.
type resultsOutput struct {
	Question string         `json:"question"`
	Ballots  uint64         `json:"ballots"`
	Voters   uint64         `json:"voters,omitempty"`
	Closed   bool           `json:"closed"`
	Totals   []optionOutput `json:"totals"`
	Head     string         `json:"head"`
	Trustees []int          `json:"trustees,omitempty"` // whose decryptions gave the totals
	Refused  []string       `json:"refused,omitempty"`  // shares refused, and why
}

type optionOutput struct {
	Option string `json:"option"`
	Votes  uint64 `json:"votes"`
}

func printResults(w io.Writer, p *election.Params, res *election.Results, asJSON bool) error {
	o := resultsOutput{Question: p.Question, Ballots: res.Ballots, Voters: res.Voters, Closed: res.Closed, Totals: []optionOutput{}, Head: fmt.Sprintf("%x", res.Head.Bytes())}
	for i, t := range res.Totals {
		if i < len(p.Options) {
			o.Totals = append(o.Totals, optionOutput{Option: p.Options[i], Votes: t})
		}
	}
	if d := res.Decryption; d != nil {
		o.Trustees = d.Used
		for _, e := range d.Refused {
			o.Refused = append(o.Refused, e.Error())
		}
	}
	if asJSON {
		return json.NewEncoder(w).Encode(o)
	}
	fmt.Fprintf(w, "%s\n", printable(o.Question))
	for _, t := range o.Totals {
		fmt.Fprintf(w, "  %-20s %d\n", printable(t.Option), t.Votes)
	}
	fmt.Fprintf(w, "ballots %d\n", o.Ballots)
	if p.Secret != nil {
		fmt.Fprintf(w, "voters %d\n", o.Voters)
	}
	if len(o.Trustees) > 0 {
		fmt.Fprintf(w, "decrypted by trustees %v\n", o.Trustees)
	}
	for _, r := range o.Refused {
		fmt.Fprintf(w, "refused share: %s\n", r)
	}
	_, err := fmt.Fprintf(w, "closed %v\nhead %s\n", o.Closed, o.Head)
	return err
}
