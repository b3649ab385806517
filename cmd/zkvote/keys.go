package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// keysCommand is "zkvote keys": the proving and verifying keys of an
// election's statements.
func keysCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "keys",
		Short: "Make the proving and verifying keys of an election's statements",
		Long: `An election needs keys for two statements: the vote statement every ballot
proves (vote, or secret-vote for a secret election) and, for an open
election, the tally statement its count is proven with. The election's
parameters pin both verifying keys ("zkvote election new --keys DIR").

Real keys come from a multi-party ceremony ("zkvote keys ceremony"): they
are sound if one contributor in each phase was honest. "zkvote keys setup
--dev" makes single-party development keys for tests and demonstrations:
whoever runs it can forge ballots and results.

A key directory holds, for each statement, three files named after it:
<statement>-groth16.pk (proving key), .vk (verifying key) and .ccs (the
compiled circuit), e.g. vote-v3-depth20-options8-groth16.vk.`,
		Example: `  zkvote keys setup --dev --dir keys --depth 10 --options 4 --batch 16
  zkvote keys ceremony init --dir vote-ceremony --statement vote --depth 20 --options 8`,
		// gnark logs compilation on standard output, where --json goes.
	}
	c.AddCommand(keysSetup(), keysCeremony())
	return c
}

// statementFlags are the flags that name a statement and its sizes.
type statementFlags struct {
	kind                        string
	depth, options, batch, pack int
}

func (f *statementFlags) register(fs *pflag.FlagSet, withKind bool) {
	if withKind {
		fs.StringVar(&f.kind, "statement", "", "the statement: vote, secret-vote, tally or membership")
	}
	fs.IntVar(&f.depth, "depth", statement.DefaultDepth, "the census circuit depth (vote, secret-vote, membership)")
	fs.IntVar(&f.options, "options", statement.DefaultOptions, "the compiled number of options (vote, secret-vote, tally)")
	fs.IntVar(&f.batch, "batch", 64, "ballots per tally proof (tally)")
	fs.IntVar(&f.pack, "pack", statement.DefaultPack, "options per ciphertext, 1 or 2 (secret-vote)")
}

func (f *statementFlags) statement() (statement.Statement, error) {
	var s statement.Statement
	switch f.kind {
	case "vote":
		s = statement.Vote(f.depth, f.options)
	case "secret-vote":
		s = statement.SecretVote(f.depth, f.options, f.pack)
	case "tally":
		s = statement.Tally(f.batch, f.options)
	case "membership":
		s = statement.Membership(f.depth)
	case "":
		return s, errors.New("--statement: give vote, secret-vote, tally or membership")
	default:
		return s, fmt.Errorf("--statement %q: want vote, secret-vote, tally or membership", f.kind)
	}
	if err := s.Check(); err != nil {
		return s, err
	}
	return s, nil
}

// keyOutput is one statement's keys as --json prints them.
type keyOutput struct {
	Statement string `json:"statement"`
	Backend   string `json:"backend"`
	ID        string `json:"id"` // the verifying key's ID: what election parameters pin
}

func keyInfo(k *prover.Keys) keyOutput {
	id := k.VerifyingKey().ID()
	return keyOutput{Statement: k.Statement().Name(), Backend: k.Backend().String(), ID: hex.EncodeToString(id[:])}
}

func printKeys(w io.Writer, dir string, ks []keyOutput, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(struct {
			Dir  string      `json:"dir"`
			Keys []keyOutput `json:"keys"`
		}{dir, ks})
	}
	for _, k := range ks {
		if _, err := fmt.Fprintf(w, "%s %s %s\n", k.Statement, k.Backend, k.ID); err != nil {
			return err
		}
	}
	return nil
}

// writeKeysNew stores k in dir under the names Keys.WriteFiles gives them,
// refusing to replace any file already there: it writes to a fresh
// directory inside dir and links each file into place.
func writeKeysNew(k *prover.Keys, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, ".keys-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := k.WriteFiles(tmp); err != nil {
		return err
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := os.Lstat(filepath.Join(dir, e.Name())); err == nil {
			return fmt.Errorf("%s already holds keys for %s (%s): use another directory", dir, k.Statement().Name(), e.Name())
		}
	}
	var linked []string
	for _, e := range entries {
		dst := filepath.Join(dir, e.Name())
		if err := os.Link(filepath.Join(tmp, e.Name()), dst); err != nil {
			for _, l := range linked {
				os.Remove(l)
			}
			return err
		}
		linked = append(linked, dst)
	}
	return syncDir(dir)
}

// refuseExistingKeys refuses, before any work, a key directory that
// already holds a verifying key for one of stmts.
func refuseExistingKeys(dir string, stmts []statement.Statement) error {
	names, _ := filepath.Glob(filepath.Join(dir, "*.vk"))
	for _, name := range names {
		b, err := readFound(name, maxVerifyingKeyFile)
		if err != nil {
			continue
		}
		vk, err := verifier.ParseVerifyingKey(b)
		if err != nil {
			continue
		}
		for _, s := range stmts {
			if vk.Circuit() == s.Name() {
				return fmt.Errorf("%s already holds keys for %s (%s): use another directory", dir, s.Name(), filepath.Base(name))
			}
		}
	}
	return nil
}

// syncDir makes dir's entries durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func keysSetup() *cobra.Command {
	var sf statementFlags
	var dir string
	var dev, secret, asJSON bool
	c := &cobra.Command{
		Use:   "setup --dev --dir KEYDIR [--depth D] [--options N] [--batch B] [--secret [--pack P]]",
		Short: "Make insecure single-party development keys (tests and demonstrations only)",
		Long: `setup --dev makes Groth16 keys for an election's statements in one process
(prover.SetupInsecure): the vote statement at --depth and --options and the
tally statement at --batch and --options, or with --secret the secret-vote
statement at --depth, --options and --pack (a secret election is counted by
its trustees, so it has no tally keys). It writes them to KEYDIR and prints
each statement with its verifying key's ID, the value election parameters
pin.

INSECURE: whoever ran the setup could keep its secrets, and with them forge
ballots for non-citizens, extra ballots and false results that every check
accepts. --dev is required to say you know this. A real election's keys
come from a ceremony: "zkvote keys ceremony".

Depth and options must be those of the election ("zkvote election new
--depth --max-options"): a census of up to 2^depth citizens, at most
options choices on the ballot.`,
		Example: `  zkvote keys setup --dev --dir keys --depth 10 --options 4 --batch 16
  zkvote keys setup --dev --dir keys-secret --secret --pack 2 --depth 10 --options 4 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !dev {
				return errors.New("setup makes insecure development keys only, and needs --dev to say so: whoever runs it can forge ballots and results. A real election's keys come from a ceremony (zkvote keys ceremony init)")
			}
			var stmts []statement.Statement
			if secret {
				if cmd.Flags().Changed("batch") {
					return errors.New("--batch: a secret election is counted by its trustees and has no tally keys")
				}
				stmts = []statement.Statement{statement.SecretVote(sf.depth, sf.options, sf.pack)}
			} else {
				if cmd.Flags().Changed("pack") {
					return errors.New("--pack is for secret elections (--secret)")
				}
				stmts = []statement.Statement{statement.Vote(sf.depth, sf.options), statement.Tally(sf.batch, sf.options)}
			}
			for _, s := range stmts {
				if err := s.Check(); err != nil {
					return err
				}
			}
			if err := refuseExistingKeys(dir, stmts); err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "zkvote: development keys: whoever ran this setup can forge proofs; never use them in a real election")
			var out []keyOutput
			for _, s := range stmts {
				stop := spin("setting up " + s.Name())
				k, err := prover.SetupInsecure(cmd.Context(), s)
				stop()
				if err != nil {
					return err
				}
				if err := writeKeysNew(k, dir); err != nil {
					return err
				}
				out = append(out, keyInfo(k))
			}
			return printKeys(cmd.OutOrStdout(), dir, out, asJSON)
		},
	}
	sf.register(c.Flags(), false)
	c.Flags().StringVar(&dir, "dir", "", "the key directory to write, created if missing (required)")
	c.Flags().BoolVar(&dev, "dev", false, "confirm that these are insecure development keys")
	c.Flags().BoolVar(&secret, "secret", false, "keys for a secret election (the secret-vote statement)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("dir")
	return c
}

// The ceremony transcript, a directory the coordinator keeps and publishes:
//
//	statement                the statement's name, one line
//	phase1/initial.state     the initial state of phase 1
//	phase1/0001.contribution the accepted contributions, in order
//	phase1/beacon            the phase-1 beacon, hex, once phase 1 is sealed
//	phase2/initial.state     the initial state of phase 2 (written by the seal of phase 1)
//	phase2/0001.contribution ...
//	phase2/beacon            the phase-2 beacon, once the ceremony is sealed
//
// Everything follows from the statement, the contributions and the beacons:
// every command rebuilds the ceremony by replaying them, and the initial
// states are copies that the replay checks.
const (
	ceremonyStatementFile = "statement"
	initialStateFile      = "initial.state"
	beaconFile            = "beacon"
	contributionSuffix    = ".contribution"
	// maxCeremonyStateFile bounds a state a contributor is handed; Contribute
	// then checks its exact layout against the statement.
	maxCeremonyStateFile = 1 << 34
)

var contributionName = regexp.MustCompile(`^[0-9]+\.contribution$`)

func phaseDir(dir string, phase int) string { return filepath.Join(dir, fmt.Sprintf("phase%d", phase)) }

func contributionFile(dir string, phase, n int) string {
	return filepath.Join(phaseDir(dir, phase), fmt.Sprintf("%04d%s", n, contributionSuffix))
}

// transcript is a ceremony directory as read from disk, not yet replayed.
type transcript struct {
	dir           string
	stmt          statement.Statement
	contributions [2][]string // the files of each phase, in order
	beacons       [2][]byte   // nil while the phase is open
}

// phase is the phase that accepts contributions: 1, 2, or 0 once sealed.
func (t *transcript) phase() int {
	switch {
	case t.beacons[1] != nil:
		return 0
	case t.beacons[0] != nil:
		return 2
	}
	return 1
}

// currentState returns the state the next contributor gets, without a
// replay: the last accepted contribution of the open phase, or its
// initial state.
func (t *transcript) currentState() (string, error) {
	p := t.phase()
	if p == 0 {
		return "", errors.New("the ceremony is sealed: it takes no more contributions")
	}
	if cs := t.contributions[p-1]; len(cs) > 0 {
		return cs[len(cs)-1], nil
	}
	return filepath.Join(phaseDir(t.dir, p), initialStateFile), nil
}

func readTranscript(dir string) (*transcript, error) {
	name, err := readFound(filepath.Join(dir, ceremonyStatementFile), 256)
	if err != nil {
		return nil, fmt.Errorf("no ceremony in %s (zkvote keys ceremony init makes one): %v", dir, err)
	}
	s, err := statement.Parse(strings.TrimSuffix(string(name), "\n"))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, ceremonyStatementFile), err)
	}
	t := &transcript{dir: dir, stmt: s}
	for p := 1; p <= 2; p++ {
		entries, err := os.ReadDir(phaseDir(dir, p))
		if errors.Is(err, os.ErrNotExist) && p == 2 {
			break
		}
		if err != nil {
			return nil, err
		}
		n := 0
		for _, e := range entries {
			switch name := e.Name(); {
			case strings.HasPrefix(name, "."): // an interrupted write
			case name == initialStateFile:
			case name == beaconFile:
				b, err := readFound(filepath.Join(phaseDir(dir, p), name), 1<<12)
				if err != nil {
					return nil, err
				}
				if t.beacons[p-1], err = parseBeacon(strings.TrimSuffix(string(b), "\n")); err != nil {
					return nil, fmt.Errorf("%s: %v", filepath.Join(phaseDir(dir, p), name), err)
				}
			case contributionName.MatchString(name):
				n++
			default:
				return nil, fmt.Errorf("%s: unexpected file %s in a ceremony transcript", phaseDir(dir, p), name)
			}
		}
		for i := 1; i <= n; i++ {
			f := contributionFile(dir, p, i)
			if st, err := os.Stat(f); err != nil {
				return nil, fmt.Errorf("%s: contributions must be numbered 1 to %d: %v", phaseDir(dir, p), n, err)
			} else if !st.Mode().IsRegular() {
				return nil, fmt.Errorf("%s: not a regular file", f)
			}
			t.contributions[p-1] = append(t.contributions[p-1], f)
		}
	}
	if t.beacons[0] == nil && (len(t.contributions[1]) > 0 || t.beacons[1] != nil) {
		return nil, fmt.Errorf("%s: phase 2 has contributions or a beacon but phase 1 is not sealed", dir)
	}
	return t, nil
}

func parseBeacon(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) < 32 {
		return nil, errors.New("the beacon must be hex digits (at least 64: 32 bytes)")
	}
	return b, nil
}

// replay rebuilds the ceremony from the transcript: every contribution is
// verified again, each sealed phase sealed again with its beacon, and the
// initial states on disk checked against the replay's. It returns the
// ceremony and, once sealed, the keys.
func (t *transcript) replay(ctx context.Context) (*prover.Ceremony, *prover.Keys, error) {
	steps := 1 + len(t.contributions[0]) + len(t.contributions[1])
	for _, b := range t.beacons {
		if b != nil {
			steps++
		}
	}
	bar := newProgress("replaying the ceremony", steps)
	defer bar.finish()
	c, err := prover.NewCeremony(ctx, t.stmt)
	if err != nil {
		return nil, nil, err
	}
	bar.add(1)
	var keys *prover.Keys
	for p := 1; p <= 2; p++ {
		if p == 2 && t.beacons[0] == nil {
			break
		}
		initial := filepath.Join(phaseDir(t.dir, p), initialStateFile)
		// Read no more than the state it must equal: the transcript may be
		// anyone's, and its file any size.
		want := c.State()
		if b, err := readFound(initial, int64(len(want))); err != nil {
			return nil, nil, fmt.Errorf("the transcript lacks phase %d's initial state: %v", p, err)
		} else if !bytes.Equal(b, want) {
			return nil, nil, fmt.Errorf("%s is not the initial state the replay gives", initial)
		}
		for i, f := range t.contributions[p-1] {
			b, err := readFound(f, int64(c.ContributionSize()))
			if err != nil {
				return nil, nil, err
			}
			if err := c.VerifyContribution(ctx, b); err != nil {
				return nil, nil, fmt.Errorf("phase %d contribution %d (%s) does not verify: %w", p, i+1, f, err)
			}
			bar.add(1)
		}
		if t.beacons[p-1] == nil {
			break
		}
		if p == 1 {
			err = c.SealPhase1(ctx, t.beacons[0])
		} else {
			keys, err = c.Seal(ctx, t.beacons[1])
		}
		if err != nil {
			return nil, nil, fmt.Errorf("sealing phase %d again: %w", p, err)
		}
		bar.add(1)
	}
	return c, keys, nil
}

// publish writes data to dir/name as writeNew does, durably and
// atomically, never replacing a different file; an identical file already
// there is left as it is.
func publish(dir, name string, data []byte) error {
	dst := filepath.Join(dir, name)
	if old, err := os.ReadFile(dst); err == nil {
		if bytes.Equal(old, data) {
			return nil
		}
		return fmt.Errorf("%s already exists", dst)
	}
	return writeNew(dst, data)
}

func keysCeremony() *cobra.Command {
	c := &cobra.Command{
		Use:   "ceremony",
		Short: "Run a multi-party key ceremony (Groth16, two phases) in a transcript directory",
		Long: `A ceremony makes Groth16 keys for one statement that nobody can forge
proofs with, if at least one contributor in each phase drew fresh
randomness and destroyed it (prover.NewCeremony, prover.Contribute). An
open election runs two ceremonies (vote and tally), a secret election
one (secret-vote).

The coordinator keeps a transcript directory CER:

  CER/statement                 the statement's name
  CER/phase1/initial.state      phase 1's initial state
  CER/phase1/0001.contribution  accepted contributions, in order
  CER/phase1/beacon             the beacon that sealed phase 1 (hex)
  CER/phase2/initial.state      phase 2's initial state
  CER/phase2/0001.contribution  ...
  CER/phase2/beacon             the beacon that sealed phase 2

The steps:

  coordinator  init --dir CER --statement vote --depth 20 --options 8
  coordinator  state --dir CER --out state      (hand state to the contributor)
  contributor  contribute --state state --statement vote --depth 20 --options 8 --out c1
  coordinator  verify --dir CER --contribution c1   (checked, then appended)
  ...          more contributors, each on the latest state
  coordinator  seal --dir CER --phase 1 --beacon HEX
  ...          phase 2: state, contribute, verify as in phase 1
  coordinator  seal --dir CER --beacon HEX2 --out KEYDIR

Each beacon is at least 32 bytes nobody could predict or choose when the
phase's last contribution was accepted (a drand round or a block hash
announced in advance), and the two differ. Each command rebuilds the
ceremony by replaying the transcript; "verify --dir CER" alone is that
replay, for anyone auditing the published transcript: it prints the
verifying key's ID, which must be the one the election pins.`,
		Example: `  zkvote keys ceremony init --dir vote-ceremony --statement vote --depth 20 --options 8
  zkvote keys ceremony verify --dir vote-ceremony --json   # an auditor's replay`,
	}
	c.AddCommand(ceremonyInit(), ceremonyState(), ceremonyContribute(), ceremonyVerify(), ceremonySeal())
	return c
}

func ceremonyInit() *cobra.Command {
	var sf statementFlags
	var dir string
	c := &cobra.Command{
		Use:   "init --dir CER --statement KIND [--depth D] [--options N] [--batch B] [--pack P]",
		Short: "Start a ceremony's transcript for one statement",
		Long: `init starts a ceremony for one statement in a new transcript directory
and writes phase 1's initial state, the state the first contributor gets.

Statements: vote (--depth, --options), secret-vote (--depth, --options,
--pack), tally (--batch, --options) and membership (--depth). The sizes
must be the election's: depth and options as "zkvote election new" gets
them, any batch for the tally.`,
		Example: `  zkvote keys ceremony init --dir vote-ceremony --statement vote --depth 20 --options 8
  zkvote keys ceremony init --dir tally-ceremony --statement tally --batch 64 --options 8`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := sf.statement()
			if err != nil {
				return err
			}
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return fmt.Errorf("%s is not empty: a ceremony starts in a new directory", dir)
			}
			cer, err := prover.NewCeremony(cmd.Context(), s)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(phaseDir(dir, 1), 0o755); err != nil {
				return err
			}
			if err := publish(phaseDir(dir, 1), initialStateFile, cer.State()); err != nil {
				return err
			}
			if err := publish(dir, ceremonyStatementFile, []byte(s.Name()+"\n")); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "statement %s\nphase 1 state %s\n", s.Name(), filepath.Join(phaseDir(dir, 1), initialStateFile))
			return err
		},
	}
	sf.register(c.Flags(), true)
	c.Flags().StringVar(&dir, "dir", "", "the transcript directory to create (required)")
	c.MarkFlagRequired("dir")
	c.MarkFlagRequired("statement")
	return c
}

func ceremonyState() *cobra.Command {
	var dir, out string
	c := &cobra.Command{
		Use:   "state --dir CER --out FILE",
		Short: "Export the state the next contributor builds on",
		Long: `state writes the ceremony's latest state, the last accepted contribution
of the open phase or its initial state, to a file the coordinator hands to
the next contributor.`,
		Example: `  zkvote keys ceremony state --dir vote-ceremony --out state-for-bob`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := readTranscript(dir)
			if err != nil {
				return err
			}
			f, err := t.currentState()
			if err != nil {
				return err
			}
			b, err := readFound(f, maxCeremonyStateFile)
			if err != nil {
				return err
			}
			if err := writeNew(out, b); err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "statement %s\nphase %d, %d contributions\nsha256 %x\n",
				t.stmt.Name(), t.phase(), len(t.contributions[t.phase()-1]), sum)
			return err
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "the transcript directory (required)")
	c.Flags().StringVar(&out, "out", "", "the state file to write (required)")
	c.MarkFlagRequired("dir")
	c.MarkFlagRequired("out")
	return c
}

func ceremonyContribute() *cobra.Command {
	var sf statementFlags
	var dir, state, out string
	c := &cobra.Command{
		Use:   "contribute (--dir CER | --state FILE --statement KIND ...) --out FILE",
		Short: "Contribute fresh randomness to a ceremony's state",
		Long: `contribute mixes fresh randomness into the ceremony's latest state and
writes the contribution, with proofs of knowledge of that randomness, for
the coordinator to verify.

A contributor on another machine takes the state file the coordinator
handed out (--state) and names the statement they agreed to contribute to
(--statement and its sizes, as for init): a state for any other statement
is refused before any work. With --dir, the state and statement are the
transcript's.

The randomness exists only in this process's memory; run it on a machine
you trust, and let the process end. It prints the contribution's SHA-256:
check that it appears in the published transcript ("zkvote keys ceremony
verify --dir CER --json").`,
		Example: `  zkvote keys ceremony contribute --state state-for-bob --statement vote --depth 20 --options 8 --out bob.contribution
  zkvote keys ceremony contribute --dir vote-ceremony --out carol.contribution`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (dir == "") == (state == "") {
				return errors.New("give exactly one of --dir (the transcript) and --state (a state file)")
			}
			var s statement.Statement
			if dir != "" {
				t, err := readTranscript(dir)
				if err != nil {
					return err
				}
				if state, err = t.currentState(); err != nil {
					return err
				}
				s = t.stmt
				if sf.kind != "" {
					agreed, err := sf.statement()
					if err != nil {
						return err
					}
					if agreed != s {
						return fmt.Errorf("the ceremony in %s is for %s, not %s", dir, s.Name(), agreed.Name())
					}
				}
			} else {
				var err error
				if s, err = sf.statement(); err != nil {
					return fmt.Errorf("%v: name the statement you agreed to contribute to", err)
				}
			}
			if _, err := os.Lstat(out); err == nil {
				return fmt.Errorf("%s already exists", out)
			}
			b, err := readBounded(state, maxCeremonyStateFile)
			if err != nil {
				return err
			}
			stop := spin("contributing to " + s.Name())
			next, err := prover.Contribute(cmd.Context(), s, b)
			stop()
			if err != nil {
				return err
			}
			if err := writeNew(out, next); err != nil {
				return err
			}
			sum := sha256.Sum256(next)
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "statement %s\ncontribution %s\nsha256 %x\n", s.Name(), out, sum)
			return err
		},
	}
	sf.register(c.Flags(), true)
	c.Flags().StringVar(&dir, "dir", "", "the transcript directory, to contribute to its latest state")
	c.Flags().StringVar(&state, "state", "", "the state file the coordinator handed out")
	c.Flags().StringVar(&out, "out", "", "the contribution file to write (required)")
	c.MarkFlagRequired("out")
	return c
}

// phaseOutput is one phase of a transcript as "verify --json" prints it.
type phaseOutput struct {
	Contributions []string `json:"contributions"` // SHA-256 of each, in order
	Beacon        string   `json:"beacon,omitempty"`
}

// ceremonyOutput is what "verify --json" prints.
type ceremonyOutput struct {
	Statement    string         `json:"statement"`
	Phase        int            `json:"phase"` // 1 or 2 while open, 0 once sealed
	Phases       [2]phaseOutput `json:"phases"`
	VerifyingKey *keyOutput     `json:"verifying_key,omitempty"`
	Accepted     string         `json:"accepted,omitempty"` // the file a contribution was appended as
}

func ceremonyVerify() *cobra.Command {
	var dir, contribution string
	var asJSON bool
	c := &cobra.Command{
		Use:   "verify --dir CER [--contribution FILE]",
		Short: "Check a contribution and append it, or audit a whole transcript",
		Long: `With --contribution, verify (the coordinator) checks a contribution
against the ceremony's latest state (its layout, every point, that it
builds on that state, its proofs of knowledge and the update) and only
then appends it to the transcript. A refused contribution leaves the
transcript as it was; hand the next contributor the same state again.

Without it, verify replays the whole transcript, as an auditor does: every
contribution verified in order, every phase sealed again with its beacon.
It prints each contribution's SHA-256 and, once sealed, the verifying key's
ID, which must be the one the election's parameters pin ("zkvote election
show").`,
		Example: `  zkvote keys ceremony verify --dir vote-ceremony --contribution bob.contribution
  zkvote keys ceremony verify --dir vote-ceremony --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := readTranscript(dir)
			if err != nil {
				return err
			}
			if contribution != "" && t.phase() == 0 {
				return errors.New("the ceremony is sealed: it takes no more contributions")
			}
			if contribution != "" {
				if err := notInTranscript(t, contribution); err != nil {
					return err
				}
			}
			cer, keys, err := t.replay(cmd.Context())
			if err != nil {
				return err
			}
			var accepted string
			if contribution != "" {
				b, err := readBounded(contribution, int64(cer.ContributionSize()))
				if err != nil {
					return fmt.Errorf("%v (a phase %d contribution to %s is %d bytes)", err, cer.Phase(), t.stmt.Name(), cer.ContributionSize())
				}
				if err := cer.VerifyContribution(cmd.Context(), b); err != nil {
					return fmt.Errorf("%s refused, not appended: %w", contribution, err)
				}
				p := cer.Phase()
				accepted = contributionFile(dir, p, len(t.contributions[p-1])+1)
				if err := publish(phaseDir(dir, p), filepath.Base(accepted), b); err != nil {
					return err
				}
				t.contributions[p-1] = append(t.contributions[p-1], accepted)
			}
			return printCeremony(cmd.OutOrStdout(), t, keys, accepted, asJSON)
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "the transcript directory (required)")
	c.Flags().StringVar(&contribution, "contribution", "", "a contribution to check and append")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("dir")
	return c
}

// notInTranscript refuses, before any replay, a contribution the
// transcript already holds (the ceremony would refuse it too: it does not
// build on the latest state).
func notInTranscript(t *transcript, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	for _, cs := range t.contributions {
		for _, f := range cs {
			if fs, err := os.Stat(f); err != nil || fs.Size() != st.Size() {
				continue
			}
			a, err1 := os.ReadFile(f)
			b, err2 := readBounded(path, st.Size())
			if err1 == nil && err2 == nil && bytes.Equal(a, b) {
				return fmt.Errorf("%s is already in the transcript (%s): refused, not appended", path, f)
			}
		}
	}
	return nil
}

func printCeremony(w io.Writer, t *transcript, keys *prover.Keys, accepted string, asJSON bool) error {
	out := ceremonyOutput{Statement: t.stmt.Name(), Phase: t.phase(), Accepted: accepted}
	for p := range 2 {
		out.Phases[p].Contributions = []string{}
		for _, f := range t.contributions[p] {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			out.Phases[p].Contributions = append(out.Phases[p].Contributions, hex.EncodeToString(sum[:]))
		}
		if t.beacons[p] != nil {
			out.Phases[p].Beacon = hex.EncodeToString(t.beacons[p])
		}
	}
	if keys != nil {
		k := keyInfo(keys)
		out.VerifyingKey = &k
	}
	if asJSON {
		return json.NewEncoder(w).Encode(out)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "statement %s\n", out.Statement)
	if accepted != "" {
		fmt.Fprintf(&sb, "accepted %s\n", accepted)
	}
	for p, ph := range out.Phases {
		for i, c := range ph.Contributions {
			fmt.Fprintf(&sb, "phase %d contribution %d sha256 %s\n", p+1, i+1, c)
		}
		if ph.Beacon != "" {
			fmt.Fprintf(&sb, "phase %d sealed with beacon %s\n", p+1, ph.Beacon)
		}
	}
	if out.Phase != 0 {
		fmt.Fprintf(&sb, "phase %d open\n", out.Phase)
	}
	if k := out.VerifyingKey; k != nil {
		fmt.Fprintf(&sb, "verifying key %s %s\n", k.Backend, k.ID)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func ceremonySeal() *cobra.Command {
	var dir, beaconHex, out string
	var phase int
	var asJSON bool
	c := &cobra.Command{
		Use:   "seal --dir CER [--phase 1] --beacon HEX [--out KEYDIR]",
		Short: "Close a phase with a public beacon; phase 2's seal writes the keys",
		Long: `seal --phase 1 closes phase 1 with a beacon and starts phase 2, writing
its initial state into the transcript. seal (phase 2, the default) closes
the ceremony with a second, different beacon and writes the keys to
KEYDIR, as "zkvote keys setup" names them; it prints the verifying key's
ID. Each phase needs at least one accepted contribution.

A beacon is at least 32 bytes (64 hex digits) that nobody could predict or
choose when the phase's last contribution was accepted: announce its
source (a future drand round, a future block's hash) before the phase
closes. Sealing is deterministic: anyone replaying the transcript gets the
same keys. Sealing phase 2 again with the same beacon writes the same keys
again (to a new KEYDIR).`,
		Example: `  zkvote keys ceremony seal --dir vote-ceremony --phase 1 --beacon 6f1c…(64 hex digits or more)
  zkvote keys ceremony seal --dir vote-ceremony --beacon 9a04… --out keys`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			beacon, err := parseBeacon(beaconHex)
			if err != nil {
				return fmt.Errorf("--beacon: %v", err)
			}
			t, err := readTranscript(dir)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			switch phase {
			case 1:
				if out != "" {
					return errors.New("--out: sealing phase 1 makes no keys; phase 2's seal does")
				}
				if t.phase() != 1 {
					return errors.New("phase 1 is already sealed")
				}
				if len(t.contributions[0]) == 0 {
					return errors.New("phase 1 has no accepted contribution yet: a phase cannot be sealed without one")
				}
				cer, _, err := t.replay(ctx)
				if err != nil {
					return err
				}
				stop := spin("sealing phase 1")
				err = cer.SealPhase1(ctx, beacon)
				stop()
				if err != nil {
					return err
				}
				if err := os.MkdirAll(phaseDir(dir, 2), 0o755); err != nil {
					return err
				}
				if err := publish(phaseDir(dir, 2), initialStateFile, cer.State()); err != nil {
					return err
				}
				if err := publish(phaseDir(dir, 1), beaconFile, []byte(hex.EncodeToString(beacon)+"\n")); err != nil {
					return err
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "phase 1 sealed\nphase 2 state %s\n", filepath.Join(phaseDir(dir, 2), initialStateFile))
				return err
			case 2:
				if out == "" {
					return errors.New("--out: the key directory to write (required for phase 2)")
				}
				var keys *prover.Keys
				switch t.phase() {
				case 1:
					return errors.New("phase 1 is still open: seal it first (--phase 1)")
				case 0:
					if !bytes.Equal(t.beacons[1], beacon) {
						return errors.New("the ceremony is already sealed, with another beacon")
					}
					if _, keys, err = t.replay(ctx); err != nil {
						return err
					}
				case 2:
					if bytes.Equal(t.beacons[0], beacon) {
						return fmt.Errorf("--beacon: %w: this is phase 1's beacon, which everyone knew before phase 2; each phase needs a fresh one", prover.ErrInvalidBeacon)
					}
					if len(t.contributions[1]) == 0 {
						return errors.New("phase 2 has no accepted contribution yet: a phase cannot be sealed without one")
					}
					cer, _, err := t.replay(ctx)
					if err != nil {
						return err
					}
					stop := spin("sealing phase 2")
					keys, err = cer.Seal(ctx, beacon)
					stop()
					if err != nil {
						return err
					}
					if err := publish(phaseDir(dir, 2), beaconFile, []byte(hex.EncodeToString(beacon)+"\n")); err != nil {
						return err
					}
				}
				if err := writeKeysNew(keys, out); err != nil {
					return err
				}
				return printKeys(cmd.OutOrStdout(), out, []keyOutput{keyInfo(keys)}, asJSON)
			}
			return fmt.Errorf("--phase %d: a ceremony has phases 1 and 2", phase)
		},
	}
	c.Flags().StringVar(&dir, "dir", "", "the transcript directory (required)")
	c.Flags().IntVar(&phase, "phase", 2, "the phase to seal, 1 or 2")
	c.Flags().StringVar(&beaconHex, "beacon", "", "the public beacon, hex, at least 32 bytes (required)")
	c.Flags().StringVar(&out, "out", "", "the key directory to write (phase 2)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON (phase 2)")
	c.MarkFlagRequired("dir")
	c.MarkFlagRequired("beacon")
	return c
}
