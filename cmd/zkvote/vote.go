package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
)

// voteCommand is "zkvote vote": a citizen casts a ballot.
func voteCommand() *cobra.Command {
	var idPath, proofPath, paramsPath, digest, keyDir, boxURL, out, receiptPath string
	var choices []string
	var votesList string
	var fd int
	var counter uint64
	var asJSON, trusted bool
	c := &cobra.Command{
		Use:   "vote",
		Short: "Cast a ballot: prove membership anonymously on this machine and submit it to the box",
		Long: `vote makes a ballot on this machine and submits it to the election's box.

It opens the identity file (asking for its passphrase), checks that the
census proof is this identity's and leads to a census root the election
accepts, proves the ballot with the vote keys the parameters pin, and
POSTs it to the box. The identity's secret never leaves this machine: the
ballot carries a zero-knowledge proof that some admitted citizen cast it,
and a nullifier that stops a second vote without saying whose it is.

Choices: --choice OPTION (repeat for approval voting) gives that option one
vote; --votes N,N,... gives every option's votes in order (budget and
quadratic rules).

The election: --params FILE, or --digest HEX alone to take the parameters
from the box and check them against the digest the organiser published.
The box answers with a receipt; vote then asks the box for the log's proof
that holds the ballot (a checkpoint its witnesses cosigned and an
inclusion proof), checks it offline, and writes it to --receipt: your
evidence that the box logged your ballot. Secret ballots may be cast again;
the latest (highest --counter, by default the current time) counts.

Without --box the ballot is written to --out and not submitted.`,
		Example: `  zkvote vote --identity me.zkid --proof me.proof --params election.params --keys keys \
      --choice yes --box https://vote.example.org --receipt me.receipt
  zkvote vote --identity me.zkid --proof me.proof --digest 0a1b... --keys keys \
      --votes 3,0,7 --box https://vote.example.org --receipt me.receipt --passphrase-fd 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if boxURL == "" && out == "" {
				return errors.New("nowhere to send the ballot: give --box URL, or --out FILE to keep it")
			}
			if receiptPath != "" && boxURL == "" {
				return errors.New("--receipt needs --box: only the box gives a receipt")
			}
			// Before any work: found taken only once the box has the
			// ballot, they would fail a vote already cast, its receipt lost.
			for _, f := range []string{out, receiptPath} {
				if f == "" {
					continue
				}
				if err := notExisting(f); err != nil {
					return err
				}
			}
			var client *httpbox.Client
			if boxURL != "" {
				var err error
				if client, err = httpbox.NewClient(boxURL, &http.Client{Timeout: 2 * time.Minute}); err != nil {
					return err
				}
			}
			p, err := voteParams(cmd, client, paramsPath, digest)
			if err != nil {
				return err
			}
			if digest == "" {
				d, err := p.Digest()
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "zkvote: voting under the parameters of digest %x, unchecked: compare it with the one the organiser published (--digest checks it)\n", d.Bytes())
			}
			votes, err := parseVotes(p, choices, votesList)
			if err != nil {
				return err
			}
			path, err := readBounded(proofPath, int64(membership.MaxProofSize))
			if err != nil {
				return err
			}
			proof, err := membership.ParseProof(path)
			if err != nil {
				return fmt.Errorf("%s: %w", proofPath, err)
			}
			if !p.AcceptsRoot(proof.Root) {
				return fmt.Errorf("%s: the census proof leads to root %s, which this election does not accept: ask the registrar for a proof under the election's census", proofPath, membership.Commitment(proof.Root))
			}
			if last := p.Census[len(p.Census)-1]; !last.Root.Equal(&proof.Root) {
				fmt.Fprintf(cmd.ErrOrStderr(), "zkvote: %s is under an earlier head than the election's last (size %d): a ballot shows its census root, so yours hides only among the ballots under the same one; ask the registrar for a proof under the last head\n", proofPath, last.Size)
			}
			sealed, err := readBounded(idPath, membership.IdentityFileSize)
			if err != nil {
				return err
			}
			pass, err := passphrase(fd, false)
			if err != nil {
				return err
			}
			id, err := membership.DecryptIdentity(sealed, pass)
			if err != nil {
				return fmt.Errorf("%s: %w", idPath, err)
			}
			if id.Commitment() != proof.Leaf {
				return fmt.Errorf("%s is the census proof of commitment %s, not of this identity (%s)", proofPath, proof.Leaf, id.Commitment())
			}
			keys, err := loadKeys(ctx, keyDir, p.VoteStatement(), p.VoteKey, trusted)
			if err != nil {
				return err
			}
			bar := newProgress("proving the ballot", 0)
			var ballot *election.Ballot
			if p.Secret != nil {
				if counter == 0 {
					counter = uint64(time.Now().Unix())
				}
				ballot, err = prover.CastSecret(ctx, keys, p, id, proof, votes, counter, nil)
			} else {
				ballot, err = prover.Cast(ctx, keys, p, id, proof, votes)
			}
			bar.finish()
			if err != nil {
				return err
			}
			data := ballot.Bytes()
			if out != "" {
				if err := writeNew(out, data); err != nil {
					return err
				}
			}
			if client == nil {
				return printVote(cmd, ballot, nil, asJSON)
			}
			r, err := client.Submit(ctx, data)
			if err != nil {
				return submitError(err)
			}
			// The box's word until the log's proof checks, but it must at
			// least name this ballot.
			if err := receiptNames(r, ballot, len(p.Options)); err != nil {
				return err
			}
			if receiptPath != "" {
				proven, err := proveReceipt(ctx, client, r)
				if err != nil {
					return fmt.Errorf("the ballot was accepted at position %d, but the box gave no log proof: %w", r.Position, err)
				}
				if err := election.VerifyReceipt(p, proven, ballot); err != nil {
					return fmt.Errorf("the ballot was accepted at position %d, but the box's receipt does not check: %w", r.Position, err)
				}
				if err := writeNew(receiptPath, proven.Bytes()); err != nil {
					return err
				}
				r = proven
			}
			return printVote(cmd, ballot, r, asJSON)
		},
	}
	c.Flags().StringVar(&idPath, "identity", "", "your identity file (required)")
	c.Flags().IntVar(&fd, "passphrase-fd", -1, "read the passphrase from this file descriptor instead of the terminal")
	c.Flags().StringVar(&proofPath, "proof", "", "your census proof file, from the registrar (required)")
	c.Flags().StringVar(&paramsPath, "params", "", "the election parameters file")
	c.Flags().StringVar(&digest, "digest", "", "the election's digest (hex): take the parameters from the box and check them")
	c.Flags().StringVar(&keyDir, "keys", "", "the key directory with the election's vote keys (required)")
	c.Flags().StringArrayVar(&choices, "choice", nil, "an option to vote for; repeat for approval voting")
	c.Flags().StringVar(&votesList, "votes", "", "every option's votes in order, comma-separated")
	c.Flags().Uint64Var(&counter, "counter", 0, "secret ballots: this ballot's counter; the highest counts (default: the current Unix time)")
	c.Flags().StringVar(&boxURL, "box", "", "the ballot box's URL")
	c.Flags().StringVar(&out, "out", "", "also write the ballot to this file")
	c.Flags().StringVar(&receiptPath, "receipt", "", "write the checked receipt with the log's proof to this file")
	c.Flags().BoolVar(&trusted, "trusted-keys", false, "skip the curve checks on the proving key (only for keys this machine made)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	for _, f := range []string{"identity", "proof", "keys"} {
		c.MarkFlagRequired(f)
	}
	c.MarkFlagsMutuallyExclusive("choice", "votes")
	return c
}

// voteParams takes the election from a file, or from the box checked
// against a digest; with both, the box's must be the file's.
func voteParams(cmd *cobra.Command, client *httpbox.Client, path, digest string) (*election.Params, error) {
	var want []byte
	if digest != "" {
		var err error
		if want, err = hex.DecodeString(strings.TrimPrefix(digest, "0x")); err != nil || len(want) != 32 {
			return nil, errors.New("--digest: want the 64 hex digits \"zkvote election digest\" prints")
		}
	}
	var p *election.Params
	var err error
	switch {
	case path != "":
		p, err = readParams(path)
	case client != nil && want != nil:
		p, err = client.Params(cmd.Context())
	default:
		return nil, errors.New("which election? give --params FILE, or --box with --digest HEX")
	}
	if err != nil {
		return nil, err
	}
	if want != nil {
		d, err := p.Digest()
		if err != nil {
			return nil, err
		}
		if db := d.Bytes(); !bytes.Equal(db[:], want) {
			return nil, fmt.Errorf("the election's digest is %x, not the %x you were given: do not vote in it", db, want)
		}
	}
	return p, nil
}

// submitError words a failed submission: a refusal, or an unknown
// outcome (the ballot may be in the box).
func submitError(err error) error {
	var he *httpbox.Error
	if errors.Is(err, election.ErrOutcomeUnknown) || !errors.As(err, &he) && !errors.Is(err, httpbox.ErrTooLarge) {
		return fmt.Errorf("whether the box kept the ballot is unknown: vote again later (a duplicate or stale ballot then means it was kept): %w", err)
	}
	return fmt.Errorf("the box refused the ballot: %w", err)
}

// receiptNames checks that the box's receipt r names ballot b (of an
// election of n options): its nullifier and votes, or counter and
// ciphertexts.
func receiptNames(r *election.Receipt, b *election.Ballot, n int) error {
	nf := b.Nullifier()
	ok := nf.Equal(&r.Nullifier)
	if b.Secret() {
		h := b.CiphertextHash()
		ok = ok && r.Votes == nil && r.Counter == b.Counter() && h.Equal(&r.Ciphertexts)
	} else {
		ok = ok && slices.Equal(b.Votes(n), r.Votes)
	}
	if !ok {
		return fmt.Errorf("the box answered with the receipt of another ballot (position %d): whether it kept this one is unknown: %w", r.Position, election.ErrReceiptMismatch)
	}
	return nil
}

// proveAttempts bounds how often vote asks the box for the log's proof
// while it answers that none is ready or that it is busy.
const proveAttempts = 5

// proveReceipt asks the box for the log's proof of r, again while the box
// says no checkpoint holds it yet or it is busy (after its Retry-After).
func proveReceipt(ctx context.Context, c *httpbox.Client, r *election.Receipt) (*election.Receipt, error) {
	var err error
	for i := range proveAttempts {
		var proven *election.Receipt
		if proven, err = c.Prove(ctx, r); err == nil {
			return proven, nil
		}
		if i == proveAttempts-1 || !errors.Is(err, httpbox.ErrTimeout) && !errors.Is(err, httpbox.ErrBusy) {
			break
		}
		var he *httpbox.Error
		wait := time.Second
		if errors.As(err, &he) && he.RetryAfter > 0 {
			wait = min(he.RetryAfter, 10*time.Second)
		}
		if errors.Is(err, httpbox.ErrTimeout) {
			wait = 0 // the box waited already
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
	return nil, err
}

// parseVotes turns --choice or --votes into one value per option.
func parseVotes(p *election.Params, choices []string, list string) ([]uint64, error) {
	votes := make([]uint64, len(p.Options))
	switch {
	case len(choices) > 0:
		for _, c := range choices {
			i := slices.Index(p.Options, c)
			if i < 0 {
				return nil, fmt.Errorf("--choice %q: not an option (the options are %q)", c, p.Options)
			}
			if slices.Index(p.Options[i+1:], c) >= 0 {
				return nil, fmt.Errorf("--choice %q: several options have that label; give --votes, every option's votes in order (the options are %q)", c, p.Options)
			}
			if votes[i] != 0 {
				return nil, fmt.Errorf("--choice %q given twice", c)
			}
			votes[i] = 1
		}
	case list != "":
		parts := strings.Split(list, ",")
		if len(parts) != len(p.Options) {
			return nil, fmt.Errorf("--votes: %d values for %d options", len(parts), len(p.Options))
		}
		for i, s := range parts {
			v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--votes: value %d: %v", i+1, err)
			}
			votes[i] = v
		}
	default:
		return nil, fmt.Errorf("what is your vote? give --choice OPTION or --votes N,N,... (the options are %q)", p.Options)
	}
	return votes, nil
}

// voteOutput is a cast ballot as --json prints it.
type voteOutput struct {
	Nullifier string  `json:"nullifier"`
	Position  *uint64 `json:"position,omitempty"`
	Head      string  `json:"head,omitempty"`
	Proven    bool    `json:"proven"` // the receipt carries the log's checked proof
}

func printVote(cmd *cobra.Command, b *election.Ballot, r *election.Receipt, asJSON bool) error {
	nf := b.Nullifier()
	nb := nf.Bytes()
	o := voteOutput{Nullifier: hex.EncodeToString(nb[:])}
	if r != nil {
		pos := r.Position
		hb := r.Head.Bytes()
		o.Position, o.Head, o.Proven = &pos, hex.EncodeToString(hb[:]), r.Checkpoint != nil
	}
	w := cmd.OutOrStdout()
	if asJSON {
		return json.NewEncoder(w).Encode(o)
	}
	fmt.Fprintf(w, "nullifier %s\n", o.Nullifier)
	if o.Position == nil {
		_, err := fmt.Fprintln(w, "not submitted")
		return err
	}
	_, err := fmt.Fprintf(w, "accepted at position %d\nhead %s\nlog proof checked %v\n", *o.Position, o.Head, o.Proven)
	return err
}
