package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/spf13/cobra"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// Bounds on the files the trustee commands read.
const (
	// maxDealFile bounds a deal: 64 trustees with a threshold of 64 take
	// about 5.3 KiB.
	maxDealFile = 8 << 10
	// maxMessageFiles bounds the deal or complaint files one command
	// reads: every trustee's, with room for equivocations and junk.
	maxMessageFiles = 4 * trustee.MaxTrustees
	// maxDecryptionShareFile is the largest decryption share: one partial
	// decryption (a point and a DLEQ proof) for each of at most 255
	// ciphertexts, after a 7-byte header.
	maxDecryptionShareFile = 7 + 255*(trustee.PointSize+trustee.DLEQProofSize)
)

// trusteeCommand is "zkvote trustee": the trustees of a secret election.
func trusteeCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "trustee",
		Short: "Make a secret election's key with the other trustees, and decrypt its result",
		Long: `The trustees of a secret election make its key together, so that no one
of them ever holds its secret, and after the election ends any threshold
of them decrypt the sum of the ballots, never a single ballot. The key
generation (joint-Feldman, package trustee) runs in two public rounds over
any channel every trustee reads, such as a shared directory or board:

  1. each trustee:  zkvote trustee keygen --out trustee.key
                    (sends the printed public key to the organiser)
  2. the organiser: zkvote trustee setup --threshold 2 --trustee PUB1 --trustee PUB2 \
                        --trustee PUB3 --context "council election 2026" --out setup
     each trustee:  zkvote trustee show-setup --setup setup
                    (compares the fingerprint with the others, out of band)
  3. round 1, each: zkvote trustee deal --key trustee.key --setup setup --out deal-I
  4. round 2, each: zkvote trustee check --key trustee.key --setup setup \
                        --deal deal-1 --deal deal-2 --deal deal-3 --out complaints-I
  5. anyone:        zkvote trustee finish --setup setup --deal ... --complaint complaints-1 \
                        --complaint ... --out election.key
     (the organiser: zkvote election new ... --election-key election.key)
  6. each trustee:  zkvote trustee share --key trustee.key --setup setup --deal ... \
                        --complaint ... --election-key election.key --out share-I
  7. after the end, each trustee compares the final chain head the box
     published with the others and with the log's:
                    zkvote trustee head --params election.params --keys keys --log URL
     then decrypts: zkvote trustee decrypt --share share-I --params election.params \
                        --keys keys --log URL --head HEX --journal journal --out decryption-I

I is the trustee's index: its place in the setup's list, from 1. The
long-term key and the key share are sealed under a passphrase (argon2id,
XChaCha20-Poly1305), read from the terminal or with --passphrase-fd N from
the first line of file descriptor N; never from a flag. The key share is
sealed under the long-term key's passphrase. Every other file is public.

A dealer against whom a complaint is upheld (anyone can judge it), or who
published two different deals or none, is disqualified; the key is made
from the others' deals if at least the threshold remain. Whoever runs the
key generation closes each round: collect every complaint list before
finishing, or a cheating dealer stays in and its victim cannot take a
share.`,
	}
	c.AddCommand(trusteeKeygen(), trusteeSetup(), trusteeShowSetup(), trusteeDeal(), trusteeCheck(),
		trusteeFinish(), trusteeShare(), trusteeHead(), trusteeDecrypt())
	return c
}

// pointHex is a point's 32-byte encoding in hex, as the commands print
// public keys and verification shares.
func pointHex(p trustee.Point) string {
	b := p.Bytes()
	return hex.EncodeToString(b[:])
}

// hex32 decodes 32 bytes written as 64 hex digits, with an optional 0x.
func hex32(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%q: want 64 hex digits", s)
	}
	return b, nil
}

// parsePointHex parses a point printed by pointHex.
func parsePointHex(s string) (trustee.Point, error) {
	b, err := hex32(s)
	if err != nil {
		return trustee.Point{}, err
	}
	p, err := trustee.ParsePoint(b)
	if err != nil {
		return trustee.Point{}, fmt.Errorf("%q: %v", s, err)
	}
	return p, nil
}

// headHex is a chain head as the commands print it, and as tally prints
// it: its 32 bytes in hex.
func headHex(h fr.Element) string {
	b := h.Bytes()
	return hex.EncodeToString(b[:])
}

// parseHeadHex parses a chain head strictly: 64 hex digits (an optional
// 0x), a canonical field element.
func parseHeadHex(s string) (fr.Element, error) {
	b, err := hex32(s)
	if err != nil {
		return fr.Element{}, fmt.Errorf("--head %w", err)
	}
	h, err := field.FromBytes(b)
	if err != nil {
		return fr.Element{}, fmt.Errorf("--head: %v", err)
	}
	return h, nil
}

// notExisting refuses an output path that exists, before any work; the
// final writeNew refuses it again, atomically.
func notExisting(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: already exists; refusing to overwrite it", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// openLongTermKey reads a sealed long-term key and opens it with a
// passphrase; it returns the passphrase too, to seal a key share under.
func openLongTermKey(path string, fd int) (*trustee.LongTermKey, []byte, error) {
	data, err := readBounded(path, trustee.LongTermKeyFileSize)
	if err != nil {
		return nil, nil, err
	}
	pass, err := passphrase(fd, false)
	if err != nil {
		return nil, nil, err
	}
	k, err := trustee.DecryptLongTermKey(data, pass)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, pass, nil
}

// readSetup reads a setup file.
func readSetup(path string) (*trustee.Setup, []byte, error) {
	b, err := readBounded(path, trustee.MaxSetupSize)
	if err != nil {
		return nil, nil, err
	}
	s, err := trustee.ParseSetup(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, b, nil
}

// fingerprint names a setup or election key file for comparison out of
// band: the SHA-256 of its (canonical) bytes, in hex.
func fingerprint(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// trusteeIndex returns k's index in s, or an error.
func trusteeIndex(s *trustee.Setup, k *trustee.LongTermKey) (int, error) {
	pub := k.Public()
	for i, p := range s.Keys {
		if p.Equal(pub) {
			return i + 1, nil
		}
	}
	return 0, errors.New("this long-term key is not one of the setup's trustees")
}

// readDeals reads deal files: each must decode, or the command stops.
func readDeals(paths []string) ([]*trustee.Deal, error) {
	if len(paths) > maxMessageFiles {
		return nil, fmt.Errorf("--deal: %d files, at most %d", len(paths), maxMessageFiles)
	}
	var out []*trustee.Deal
	for _, path := range paths {
		b, err := readBounded(path, maxDealFile)
		if err != nil {
			return nil, err
		}
		d, err := trustee.ParseDeal(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// readComplaintLists reads complaint list files and returns every
// complaint in them, and whose lists they were.
func readComplaintLists(paths []string) ([]*trustee.Complaint, []int, error) {
	if len(paths) > maxMessageFiles {
		return nil, nil, fmt.Errorf("--complaint: %d files, at most %d", len(paths), maxMessageFiles)
	}
	var out []*trustee.Complaint
	var from []int
	for _, path := range paths {
		b, err := readBounded(path, trustee.MaxComplaintListSize)
		if err != nil {
			return nil, nil, err
		}
		l, err := trustee.ParseComplaintList(b)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, l.Complaints...)
		from = append(from, l.Complainer)
	}
	return out, from, nil
}

// readDecryptionShares reads the trustees' decryption share files
// ("zkvote trustee decrypt" wrote them) for election.AuditSecret or
// AuditSecretLog: at most trustee.MaxTrustees files, each at most the
// largest share's size. It does not parse them: the audit names a bad
// share by its position in paths and leaves it out.
func readDecryptionShares(paths []string) ([][]byte, error) {
	if len(paths) > trustee.MaxTrustees {
		return nil, fmt.Errorf("%d decryption shares, at most %d", len(paths), trustee.MaxTrustees)
	}
	out := make([][]byte, len(paths))
	for i, path := range paths {
		b, err := readBounded(path, maxDecryptionShareFile)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// writeJSON prints v as one line of JSON.
func writeJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

func trusteeKeygen() *cobra.Command {
	var out string
	var fd int
	var asJSON bool
	c := &cobra.Command{
		Use:   "keygen --out FILE",
		Short: "Make a trustee's long-term key; print its public key for the setup",
		Long: `keygen draws a trustee's long-term key, seals it under a passphrase
(asked twice) into a new file only its owner can read, and prints the
public key in hex. Send the public key to whoever writes the setup; keep
the file and the passphrase until the election's result is decrypted.`,
		Example: `  zkvote trustee keygen --out trustee.key
  zkvote trustee keygen --out trustee.key --passphrase-fd 3 --json 3<passphrase.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := notExisting(out); err != nil {
				return err
			}
			pass, err := passphrase(fd, true)
			if err != nil {
				return err
			}
			k, err := trustee.GenerateLongTermKey(nil)
			if err != nil {
				return err
			}
			data, err := k.Encrypt(pass, nil)
			if err != nil {
				return err
			}
			if err := writeNew(out, data); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"public_key": pointHex(k.Public())})
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), pointHex(k.Public()))
			return err
		},
	}
	c.Flags().StringVar(&out, "out", "", "file to write the sealed key to; it must not exist (required)")
	c.Flags().IntVar(&fd, "passphrase-fd", -1, "read the passphrase from this file descriptor instead of the terminal")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("out")
	return c
}

// setupOutput is a setup as --json prints it.
type setupOutput struct {
	Threshold   int      `json:"threshold"`
	Trustees    []string `json:"trustees"` // public keys, trustee 1 first
	Context     string   `json:"context"`
	Fingerprint string   `json:"fingerprint"` // SHA-256 of the file
}

func printSetup(w io.Writer, s *trustee.Setup, file []byte, asJSON bool) error {
	o := setupOutput{Threshold: s.Threshold, Context: string(s.Context), Fingerprint: fingerprint(file)}
	for _, k := range s.Keys {
		o.Trustees = append(o.Trustees, pointHex(k))
	}
	if asJSON {
		return writeJSON(w, o)
	}
	fmt.Fprintf(w, "threshold %d of %d\ncontext %q\n", o.Threshold, len(o.Trustees), o.Context)
	for i, k := range o.Trustees {
		fmt.Fprintf(w, "trustee %d %s\n", i+1, k)
	}
	_, err := fmt.Fprintf(w, "fingerprint %s\n", o.Fingerprint)
	return err
}

func trusteeSetup() *cobra.Command {
	var out, context string
	var threshold int
	var keys []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "setup --threshold T --trustee PUBKEY... --context TEXT --out FILE",
		Short: "Write the key generation's setup: threshold, trustees in order, context",
		Long: `setup writes the file every trustee checks before the key generation: the
threshold (how many trustees decrypt), the trustees' public keys in order
(the first --trustee is trustee 1) and a context that names the election,
so that no message of this key generation counts in another. It prints
the setup and its fingerprint; every trustee runs "zkvote trustee
show-setup" on the copy it received and compares the fingerprint with the
others' over a channel they trust.`,
		Example: `  zkvote trustee setup --threshold 2 --trustee 1f0c… --trustee 9a3e… --trustee 47bd… \
      --context "council election 2026" --out setup`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(context) == "" {
				return errors.New("--context: name the election, so that no message of this key generation counts in another")
			}
			s := &trustee.Setup{Threshold: threshold, Context: []byte(context)}
			for i, k := range keys {
				p, err := parsePointHex(k)
				if err != nil {
					return fmt.Errorf("--trustee %d: %v", i+1, err)
				}
				s.Keys = append(s.Keys, p)
			}
			b, err := s.Encode()
			if err != nil {
				return err
			}
			if err := writeNew(out, b); err != nil {
				return err
			}
			return printSetup(cmd.OutOrStdout(), s, b, asJSON)
		},
	}
	c.Flags().IntVar(&threshold, "threshold", 0, "trustees needed to decrypt (required)")
	c.Flags().StringArrayVar(&keys, "trustee", nil, "a trustee's public key in hex, as keygen printed it; repeat, in order (required)")
	c.Flags().StringVar(&context, "context", "", "text naming the election (required)")
	c.Flags().StringVar(&out, "out", "", "file to write the setup to; it must not exist (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	for _, f := range []string{"threshold", "trustee", "context", "out"} {
		c.MarkFlagRequired(f)
	}
	return c
}

func trusteeShowSetup() *cobra.Command {
	var in string
	var asJSON bool
	c := &cobra.Command{
		Use:     "show-setup --setup FILE",
		Short:   "Print a setup and its fingerprint, to check it before dealing",
		Example: `  zkvote trustee show-setup --setup setup --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, b, err := readSetup(in)
			if err != nil {
				return err
			}
			return printSetup(cmd.OutOrStdout(), s, b, asJSON)
		},
	}
	c.Flags().StringVar(&in, "setup", "", "the setup file (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("setup")
	return c
}

func trusteeDeal() *cobra.Command {
	var keyPath, setupPath, out string
	var fd int
	var asJSON bool
	c := &cobra.Command{
		Use:   "deal --key FILE --setup FILE --out FILE",
		Short: "Round 1: deal a share of a random polynomial to every trustee",
		Long: `deal draws this trustee's random polynomial and writes its deal: commitments
to the coefficients, a proof of knowledge of the constant term, and each
trustee's share sealed to that trustee's long-term key, all signed with
this trustee's key. Publish the deal where every trustee reads; deal once:
two different deals disqualify their dealer.`,
		Example: `  zkvote trustee deal --key trustee.key --setup setup --out deal-1
  zkvote trustee deal --key trustee.key --setup setup --out deal-1 --passphrase-fd 3 3<passphrase.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := notExisting(out); err != nil {
				return err
			}
			s, _, err := readSetup(setupPath)
			if err != nil {
				return err
			}
			k, _, err := openLongTermKey(keyPath, fd)
			if err != nil {
				return err
			}
			me, err := trusteeIndex(s, k)
			if err != nil {
				return err
			}
			d, err := k.Deal(s, nil)
			if err != nil {
				return err
			}
			if err := writeNew(out, d.Bytes()); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]int{"trustee": me})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "deal of trustee %d written to %s\n", me, out)
			return err
		},
	}
	c.Flags().StringVar(&keyPath, "key", "", "the trustee's sealed long-term key (required)")
	c.Flags().StringVar(&setupPath, "setup", "", "the setup file (required)")
	c.Flags().StringVar(&out, "out", "", "file to write the deal to; it must not exist (required)")
	c.Flags().IntVar(&fd, "passphrase-fd", -1, "read the passphrase from this file descriptor instead of the terminal")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	for _, f := range []string{"key", "setup", "out"} {
		c.MarkFlagRequired(f)
	}
	return c
}

// checkOutput is what check prints with --json.
type checkOutput struct {
	Trustee     int   `json:"trustee"`
	Complaints  []int `json:"complaints"`  // the dealers complained about
	Missing     []int `json:"missing"`     // trustees whose deal was not given
	Equivocated []int `json:"equivocated"` // trustees with two different deals given
}

func trusteeCheck() *cobra.Command {
	var keyPath, setupPath, out string
	var deals []string
	var fd int
	var asJSON bool
	c := &cobra.Command{
		Use:   "check --key FILE --setup FILE --deal FILE... --out FILE",
		Short: "Round 2: check the shares dealt to this trustee; write its complaints",
		Long: `check opens the share every deal seals to this trustee and checks it
against its dealer's commitments, then writes this trustee's complaint
list: a complaint against every dealer whose share does not open or does
not match. A complaint reveals just enough for anyone to judge it. An
empty list is a valid file: publish it too, so that everyone sees this
trustee checked.

Every deal must be a deal of this setup, signed by its dealer: a deal of
another key generation, or one not signed by the trustee it names, stops
the command (leave the file out, or check that the setup is the right
one). A dealer with no deal given is reported; it will be disqualified.`,
		Example: `  zkvote trustee check --key trustee.key --setup setup \
      --deal deal-1 --deal deal-2 --deal deal-3 --out complaints-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := notExisting(out); err != nil {
				return err
			}
			s, _, err := readSetup(setupPath)
			if err != nil {
				return err
			}
			ds, err := readDeals(deals)
			if err != nil {
				return err
			}
			dealt := map[int][]byte{}
			o := checkOutput{Complaints: []int{}, Missing: []int{}, Equivocated: []int{}}
			for i, d := range ds {
				if err := s.VerifyDeal(d); err != nil {
					return fmt.Errorf("%s: %w", deals[i], err)
				}
				if prev, ok := dealt[d.Dealer]; ok && !bytes.Equal(prev, d.Bytes()) && !slices.Contains(o.Equivocated, d.Dealer) {
					o.Equivocated = append(o.Equivocated, d.Dealer)
				}
				dealt[d.Dealer] = d.Bytes()
			}
			k, _, err := openLongTermKey(keyPath, fd)
			if err != nil {
				return err
			}
			me, err := trusteeIndex(s, k)
			if err != nil {
				return err
			}
			all, err := k.Check(s, ds, nil)
			if err != nil {
				return err
			}
			// One complaint per dealer: a deal given twice, or a dealer's
			// two deals (which disqualify it anyway), may give two.
			l := &trustee.ComplaintList{Complainer: me}
			for _, c := range all {
				if !slices.Contains(o.Complaints, c.Dealer) {
					o.Complaints = append(o.Complaints, c.Dealer)
					l.Complaints = append(l.Complaints, c)
				}
			}
			b, err := l.Encode()
			if err != nil {
				return err
			}
			if err := writeNew(out, b); err != nil {
				return err
			}
			o.Trustee = me
			slices.Sort(o.Complaints)
			slices.Sort(o.Equivocated)
			for i := 1; i <= len(s.Keys); i++ {
				if dealt[i] == nil {
					o.Missing = append(o.Missing, i)
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), o)
			}
			w := cmd.OutOrStdout()
			for _, d := range o.Complaints {
				fmt.Fprintf(w, "complaint against trustee %d: its share does not open or does not match its commitments\n", d)
			}
			if len(o.Missing) > 0 {
				fmt.Fprintf(w, "no deal given from trustees %v: they will be disqualified\n", o.Missing)
			}
			if len(o.Equivocated) > 0 {
				fmt.Fprintf(w, "two different deals from trustees %v: they will be disqualified\n", o.Equivocated)
			}
			_, err = fmt.Fprintf(w, "trustee %d: complaint list of %d written to %s\n", me, len(o.Complaints), out)
			return err
		},
	}
	c.Flags().StringVar(&keyPath, "key", "", "the trustee's sealed long-term key (required)")
	c.Flags().StringVar(&setupPath, "setup", "", "the setup file (required)")
	c.Flags().StringArrayVar(&deals, "deal", nil, "a published deal file; repeat, one for every trustee (required)")
	c.Flags().StringVar(&out, "out", "", "file to write the complaint list to; it must not exist (required)")
	c.Flags().IntVar(&fd, "passphrase-fd", -1, "read the passphrase from this file descriptor instead of the terminal")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	for _, f := range []string{"key", "setup", "deal", "out"} {
		c.MarkFlagRequired(f)
	}
	return c
}

// finishOutput is an election key as finish prints it with --json.
type finishOutput struct {
	Threshold    int      `json:"threshold"`
	ElectionKey  string   `json:"election_key"`
	Verification []string `json:"verification_shares"` // trustee 1 first
	Qualified    []int    `json:"qualified"`
	Disqualified []int    `json:"disqualified"`
	Ignored      []string `json:"ignored"`         // messages not taken into account, and why
	Complainers  []int    `json:"complaint_lists"` // trustees whose complaint lists were given
	Fingerprint  string   `json:"fingerprint"`     // SHA-256 of the election key file
}

// finishKey runs trustee.Finish over the files and returns the key, its
// encoding and what --json prints.
func finishKey(setupPath string, dealPaths, complaintPaths []string) (*trustee.Setup, []*trustee.Deal, *trustee.ElectionKey, []byte, *finishOutput, error) {
	s, _, err := readSetup(setupPath)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	ds, err := readDeals(dealPaths)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	cs, from, err := readComplaintLists(complaintPaths)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	key, err := trustee.Finish(s, ds, cs)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	b, err := key.Encode()
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	o := &finishOutput{Threshold: key.Threshold, ElectionKey: pointHex(key.PublicKey), Qualified: key.Qualified,
		Disqualified: key.Disqualified, Ignored: []string{}, Complainers: from, Fingerprint: fingerprint(b)}
	if o.Disqualified == nil {
		o.Disqualified = []int{}
	}
	if o.Complainers == nil {
		o.Complainers = []int{}
	}
	for j := 1; j <= len(key.Verification); j++ {
		o.Verification = append(o.Verification, pointHex(key.Verification[j]))
	}
	for _, e := range key.Ignored {
		o.Ignored = append(o.Ignored, e.Error())
	}
	return s, ds, key, b, o, nil
}

func trusteeFinish() *cobra.Command {
	var setupPath, out string
	var deals, complaints []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "finish --setup FILE --deal FILE... --complaint FILE... --out FILE",
		Short: "Compute the election key from the published deals and complaints",
		Long: `finish computes the election key from public files alone, so anyone can
run it and get the same file: it judges every complaint, disqualifies each
dealer against whom one is upheld, who published two different deals or
none, and makes the key and every trustee's verification share from the
remaining deals. It needs at least the threshold of qualified dealers.

Deals and complaints of another key generation, or not signed or proven
by the trustee they name, are ignored, with the reason printed: nobody can
disqualify a dealer by posting in its name. Give every trustee's
complaint list: a complaint left out leaves its cheating dealer in.

The organiser puts election.key in the election's parameters
("zkvote election new --election-key"); the trustees take their shares
of it with "zkvote trustee share".`,
		Example: `  zkvote trustee finish --setup setup --deal deal-1 --deal deal-2 --deal deal-3 \
      --complaint complaints-1 --complaint complaints-2 --complaint complaints-3 --out election.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := notExisting(out); err != nil {
				return err
			}
			_, _, _, b, o, err := finishKey(setupPath, deals, complaints)
			if err != nil {
				return err
			}
			if err := writeNew(out, b); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), o)
			}
			w := cmd.OutOrStdout()
			for _, why := range o.Ignored {
				fmt.Fprintf(cmd.ErrOrStderr(), "ignored: %s\n", why)
			}
			fmt.Fprintf(w, "election key %s\nthreshold %d of %d\n", o.ElectionKey, o.Threshold, len(o.Verification))
			fmt.Fprintf(w, "qualified %v\ndisqualified %v\ncomplaint lists from %v\n", o.Qualified, o.Disqualified, o.Complainers)
			_, err = fmt.Fprintf(w, "fingerprint %s\n", o.Fingerprint)
			return err
		},
	}
	c.Flags().StringVar(&setupPath, "setup", "", "the setup file (required)")
	c.Flags().StringArrayVar(&deals, "deal", nil, "a published deal file; repeat (required)")
	c.Flags().StringArrayVar(&complaints, "complaint", nil, "a published complaint list; repeat, one for every trustee")
	c.Flags().StringVar(&out, "out", "", "file to write the election key to; it must not exist (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	for _, f := range []string{"setup", "deal", "out"} {
		c.MarkFlagRequired(f)
	}
	return c
}

func trusteeShare() *cobra.Command {
	var keyPath, setupPath, keyFile, out string
	var deals, complaints []string
	var fd int
	var asJSON bool
	c := &cobra.Command{
		Use:   "share --key FILE --setup FILE --deal FILE... --complaint FILE... --election-key FILE --out FILE",
		Short: "Take this trustee's share of the election key; seal it under the passphrase",
		Long: `share computes the election key again from the same deals and complaints
and refuses an --election-key that differs (the one in the election's
parameters must be the one the key generation made), then sums the shares
the qualified dealers dealt this trustee, checks the sum against the
trustee's verification share, and seals it under the long-term key's
passphrase into a new file only its owner can read. Every trustee takes
a share, a disqualified dealer too.`,
		Example: `  zkvote trustee share --key trustee.key --setup setup --deal deal-1 --deal deal-2 --deal deal-3 \
      --complaint complaints-1 --complaint complaints-2 --complaint complaints-3 \
      --election-key election.key --out share-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := notExisting(out); err != nil {
				return err
			}
			given, err := readBounded(keyFile, trustee.MaxElectionKeySize)
			if err != nil {
				return err
			}
			if _, err := trustee.ParseElectionKey(given); err != nil {
				return fmt.Errorf("%s: %w", keyFile, err)
			}
			s, ds, key, b, _, err := finishKey(setupPath, deals, complaints)
			if err != nil {
				return err
			}
			if string(b) != string(given) {
				return fmt.Errorf("%s is not the election key these deals and complaints make (fingerprint %s, want %s): refusing to take a share of it",
					keyFile, fingerprint(given), fingerprint(b))
			}
			k, pass, err := openLongTermKey(keyPath, fd)
			if err != nil {
				return err
			}
			if _, err := trusteeIndex(s, k); err != nil {
				return err
			}
			share, err := k.Share(s, ds, key)
			if err != nil {
				return err
			}
			data, err := share.Encrypt(pass, nil)
			if err != nil {
				return err
			}
			if err := writeNew(out, data); err != nil {
				return err
			}
			vk := pointHex(share.VerificationShare())
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"trustee": share.Index, "verification_share": vk})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "share of trustee %d written to %s\nverification share %s\n", share.Index, out, vk)
			return err
		},
	}
	c.Flags().StringVar(&keyPath, "key", "", "the trustee's sealed long-term key (required)")
	c.Flags().StringVar(&setupPath, "setup", "", "the setup file (required)")
	c.Flags().StringArrayVar(&deals, "deal", nil, "a published deal file; repeat, as given to finish (required)")
	c.Flags().StringArrayVar(&complaints, "complaint", nil, "a published complaint list; repeat, as given to finish")
	c.Flags().StringVar(&keyFile, "election-key", "", "the election key file finish wrote (required)")
	c.Flags().StringVar(&out, "out", "", "file to write the sealed share to; it must not exist (required)")
	c.Flags().IntVar(&fd, "passphrase-fd", -1, "read the passphrase from this file descriptor instead of the terminal")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	for _, f := range []string{"key", "setup", "deal", "election-key", "out"} {
		c.MarkFlagRequired(f)
	}
	return c
}

// logHeadOutput is what trustee head prints with --json.
type logHeadOutput struct {
	Head    string `json:"head"`
	Closed  bool   `json:"closed"`
	Ballots uint64 `json:"ballots"`
	Voters  uint64 `json:"voters"`
}

// readSecretElection reads the parameters of a secret election and its
// vote verifying key.
func readSecretElection(paramsPath, keyDir string) (*election.Params, *verifier.VerifyingKey, error) {
	p, err := readParams(paramsPath)
	if err != nil {
		return nil, nil, err
	}
	if p.Secret == nil {
		return nil, nil, fmt.Errorf("%s: not a secret election: it has no trustees", paramsPath)
	}
	vk, _, err := findVerifyingKey(keyDir, p.VoteKey)
	if err != nil {
		return nil, nil, fmt.Errorf("vote key: %w", err)
	}
	return p, vk, nil
}

// fetchLog reads the whole ballot log of election p from a directory or
// URL, checked against the parameters' log keys.
func fetchLog(cmd *cobra.Command, p *election.Params, logSpec string) ([]byte, error) {
	r, err := logReader(logSpec)
	if err != nil {
		return nil, err
	}
	bar := newProgress("reading the log", 0)
	defer bar.finish()
	return election.FetchLog(cmd.Context(), p, r)
}

func trusteeHead() *cobra.Command {
	var paramsPath, keyDir, logSpec string
	var asJSON bool
	c := &cobra.Command{
		Use:   "head --params FILE --keys DIR --log DIR|URL",
		Short: "Audit a secret election's log and print its final chain head, to compare before decrypting",
		Long: `head reads the ballot log you are shown, audits every ballot in it, and
prints its chain head, whether it is closed, and its numbers of ballots
and voters. Compare the head with the one the box published when the
election ended, and with the other trustees' and auditors', over
channels the box does not control, before "zkvote trustee decrypt".`,
		Example: `  zkvote trustee head --params election.params --keys keys --log https://vote.example.org/log/`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, vk, err := readSecretElection(paramsPath, keyDir)
			if err != nil {
				return err
			}
			data, err := fetchLog(cmd, p, logSpec)
			if err != nil {
				return err
			}
			bar := newProgress("auditing every ballot", 0)
			res, err := election.AuditSecret(cmd.Context(), p, vk, data, nil)
			bar.finish()
			if err != nil {
				return err
			}
			o := logHeadOutput{Head: headHex(res.Head), Closed: res.Closed, Ballots: res.Ballots, Voters: res.Voters}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), o)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "head %s\nclosed %v\nballots %d\nvoters %d\n", o.Head, o.Closed, o.Ballots, o.Voters)
			return err
		},
	}
	c.Flags().StringVar(&paramsPath, "params", "", "the election parameters file (required)")
	c.Flags().StringVar(&keyDir, "keys", "", "a directory holding the vote verifying key (*.vk) the parameters pin (required)")
	c.Flags().StringVar(&logSpec, "log", "", "the ballot log: a directory (the box's log/) or an http(s) URL (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	for _, f := range []string{"params", "keys", "log"} {
		c.MarkFlagRequired(f)
	}
	return c
}

func trusteeDecrypt() *cobra.Command {
	var sharePath, paramsPath, keyDir, logSpec, headText, journal, out string
	var fd int
	var asJSON bool
	c := &cobra.Command{
		Use:   "decrypt --share FILE --params FILE --keys DIR --log DIR|URL --head HEX --journal DIR --out FILE",
		Short: "Decrypt your part of a closed secret election's result",
		Long: `decrypt writes this trustee's decryption share of a closed election: its
partial decryption of the encrypted sum of each citizen's latest ballot,
with proofs anyone can check against its verification share. It reads the
whole log (a box's log/ directory or its /log/ URL), audits every ballot,
and decrypts only if the log is closed and ends at --head.

Why the head: ballots are public, so anyone (the box's operator first)
can write a closed log of their choosing, say one holding a single
citizen's ballot, or the running log of an open election with a close
entry added, and its sum is that citizen's vote or a partial result.
The head names the one sum the trustees decrypt. Take it from the box's
publication of the ended election and compare it with the other trustees
and auditors over channels the box does not control ("zkvote trustee
head" prints the head of the log you are shown); never take it from the
log alone. The journal directory, kept for good, records the one
election and head this trustee decrypted under the election key and
refuses any other, so even a trustee misled about the head, or handed
another election's parameters naming the same key, decrypts at most one
sum per election key: an election key serves one election.

Publish the decryption share; "zkvote tally" and "zkvote audit" combine a
threshold's worth of them into the totals.`,
		Example: `  zkvote trustee decrypt --share share-1 --params election.params --keys keys \
      --log https://vote.example.org/log/ --head 0c1f… --journal journal --out decryption-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := notExisting(out); err != nil {
				return err
			}
			head, err := parseHeadHex(headText)
			if err != nil {
				return err
			}
			data, err := readBounded(sharePath, trustee.KeyShareFileSize)
			if err != nil {
				return err
			}
			p, vk, err := readSecretElection(paramsPath, keyDir)
			if err != nil {
				return err
			}
			pass, err := passphrase(fd, false)
			if err != nil {
				return err
			}
			share, err := trustee.DecryptKeyShare(data, pass)
			if err != nil {
				return fmt.Errorf("%s: %w", sharePath, err)
			}
			if share.Index > len(p.Secret.Shares) || !share.VerificationShare().Equal(p.Secret.Shares[share.Index-1]) {
				return fmt.Errorf("%s: the share of trustee %d is not one of this election's trustees' shares", sharePath, share.Index)
			}
			logData, err := fetchLog(cmd, p, logSpec)
			if err != nil {
				return err
			}
			bar := newProgress("auditing every ballot", 0)
			d, err := election.PartialDecrypt(cmd.Context(), p, vk, logData, head, share, journal, nil)
			bar.finish()
			if err != nil {
				return err
			}
			if err := writeNew(out, d.Bytes()); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"trustee": d.Trustee, "head": headHex(head), "ciphertexts": len(d.Partials)})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "decryption share of trustee %d for head %s written to %s\n", d.Trustee, headHex(head), out)
			return err
		},
	}
	c.Flags().StringVar(&sharePath, "share", "", "the trustee's sealed key share (required)")
	c.Flags().StringVar(&paramsPath, "params", "", "the election parameters file (required)")
	c.Flags().StringVar(&keyDir, "keys", "", "a directory holding the vote verifying key (*.vk) the parameters pin (required)")
	c.Flags().StringVar(&logSpec, "log", "", "the ballot log: a directory (the box's log/) or an http(s) URL (required)")
	c.Flags().StringVar(&headText, "head", "", "the election's final chain head in hex, as published and compared out of band (required)")
	c.Flags().StringVar(&journal, "journal", "", "the trustee's journal directory, kept for good (required)")
	c.Flags().StringVar(&out, "out", "", "file to write the decryption share to; it must not exist (required)")
	c.Flags().IntVar(&fd, "passphrase-fd", -1, "read the passphrase from this file descriptor instead of the terminal")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	for _, f := range []string{"share", "params", "keys", "log", "head", "journal", "out"} {
		c.MarkFlagRequired(f)
	}
	return c
}
