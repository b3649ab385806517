package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/spf13/cobra"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// electionCommand is "zkvote election": the organiser's election
// parameters.
func electionCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "election",
		Short: "Write and inspect an election's parameters",
		Long: `An election's parameters say everything a ballot depends on: the
deployment and election IDs (the nullifier scope), the question and
options, the rules, the census heads whose citizens may vote, the circuit
sizes and the verifying keys ballots and the tally are proven with, the
keys of the ballot log (the box's and the witnesses'), and for a secret
election the trustees' election key. Every ballot proves against their
digest: publish the parameters file and tell voters the digest over a
channel they trust.`,
		Example: `  zkvote election new --from spec.json --out election.params
  zkvote election show --params election.params
  zkvote election digest --params election.params`,
		// gnark logs on standard output, where --json goes.
	}
	c.AddCommand(electionNew(), electionShow(), electionDigest())
	return c
}

// electionSpec is the JSON spec "election new --from" reads. Paths are
// relative to the spec file's directory.
type electionSpec struct {
	Deployment  specValue `json:"deployment"`
	Election    specValue `json:"election"`
	Question    string    `json:"question"`
	Options     []string  `json:"options"`
	Rules       string    `json:"rules"`
	Census      string    `json:"census"`
	Heads       []string  `json:"heads"`
	Depth       int       `json:"depth"`
	MaxOptions  int       `json:"max_options"`
	Keys        string    `json:"keys"`
	BoxKey      string    `json:"box_key"`
	WitnessKeys []string  `json:"witness_keys"`
	Quorum      int       `json:"quorum"`
	ElectionKey string    `json:"election_key"`
	Pack        int       `json:"pack"`
}

// specValue is an ID in a spec: a JSON string or a whole JSON number.
type specValue string

// UnmarshalJSON implements json.Unmarshaler.
func (v *specValue) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = specValue(s)
		return nil
	}
	if len(b) == 0 || strings.Trim(string(b), "0123456789") != "" {
		return fmt.Errorf("want a whole number or a string, got %s", b)
	}
	*v = specValue(b)
	return nil
}

// maxSpecFile bounds an election spec.
const maxSpecFile = 1 << 20

func readSpec(path string) (*electionSpec, error) {
	b, err := readBounded(path, maxSpecFile)
	if err != nil {
		return nil, err
	}
	s, err := parseSpec(b, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return s, nil
}

// parseSpec decodes a spec, one JSON object of known fields, its paths
// taken relative to base.
func parseSpec(b []byte, base string) (*electionSpec, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var s electionSpec
	if err := d.Decode(&s); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	for _, p := range []*string{&s.Census, &s.Keys, &s.ElectionKey} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	// A log key is a key or a file holding one (logKey): a file named
	// relative to the spec, not to wherever the command runs.
	for _, p := range append([]*string{&s.BoxKey}, pointers(s.WitnessKeys)...) {
		if *p == "" || filepath.IsAbs(*p) {
			continue
		}
		if st, err := os.Stat(filepath.Join(base, *p)); err == nil && st.Mode().IsRegular() {
			*p = filepath.Join(base, *p)
		}
	}
	return &s, nil
}

// pointers returns a pointer to each element of s.
func pointers(s []string) []*string {
	out := make([]*string, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

// parseID parses a deployment or election ID: a decimal number or 0x and
// up to 64 hex digits, below the field modulus r (never reduced).
func parseID(what, s string) (fr.Element, error) {
	var x fr.Element
	n := new(big.Int)
	ok := false
	switch {
	case s == "":
		return x, fmt.Errorf("%s: required (a number, or 0x and hex digits)", what)
	case strings.HasPrefix(s, "0x"):
		h := s[2:]
		ok = len(h) >= 1 && len(h) <= 64 && strings.Trim(h, "0123456789abcdefABCDEF") == ""
		if ok {
			n.SetString(h, 16)
		}
	default:
		ok = len(s) <= 78 && strings.Trim(s, "0123456789") == "" && (s == "0" || s[0] != '0')
		if ok {
			n.SetString(s, 10)
		}
	}
	if !ok {
		return x, fmt.Errorf("%s %q: want a decimal number or 0x and up to 64 hex digits", what, s)
	}
	if n.Cmp(fr.Modulus()) >= 0 {
		return x, fmt.Errorf("%s %s: not below the field modulus", what, s)
	}
	x.SetBigInt(n)
	return x, nil
}

// parseRules parses single-choice, approval:K, budget:PER,TOTAL or
// quadratic:BUDGET.
func parseRules(s string) (election.Rules, error) {
	kind, arg, _ := strings.Cut(s, ":")
	nums := func(want int) ([]uint64, error) {
		parts := strings.Split(arg, ",")
		if arg == "" || len(parts) != want {
			return nil, fmt.Errorf("rules %q: want %d number(s) after the colon", s, want)
		}
		out := make([]uint64, want)
		for i, p := range parts {
			v, err := strconv.ParseUint(p, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("rules %q: %q is not a number", s, p)
			}
			out[i] = v
		}
		return out, nil
	}
	var r election.Rules
	switch kind {
	case "single-choice":
		if arg != "" || strings.Contains(s, ":") {
			return r, fmt.Errorf("rules %q: single-choice takes no number", s)
		}
		r = election.SingleChoice()
	case "approval":
		n, err := nums(1)
		if err != nil {
			return r, err
		}
		r = election.Approval(n[0])
	case "budget":
		n, err := nums(2)
		if err != nil {
			return r, err
		}
		r = election.Budget(n[0], n[1])
	case "quadratic":
		n, err := nums(1)
		if err != nil {
			return r, err
		}
		r = election.Quadratic(n[0])
	default:
		return r, fmt.Errorf("rules %q: want single-choice, approval:K, budget:PER,TOTAL or quadratic:BUDGET", s)
	}
	return r, r.Validate()
}

// rulesText is the inverse of parseRules, or a description of other rules.
func rulesText(r election.Rules) string {
	switch r {
	case election.SingleChoice():
		return "single-choice"
	case election.Approval(r.MaxTotal):
		return fmt.Sprintf("approval:%d", r.MaxTotal)
	case election.Budget(r.MaxPerOption, r.MaxTotal):
		return fmt.Sprintf("budget:%d,%d", r.MaxPerOption, r.MaxTotal)
	case election.Quadratic(r.MaxTotal):
		return fmt.Sprintf("quadratic:%d", r.MaxTotal)
	}
	return fmt.Sprintf("custom: each option 0 to %d, the sum of values^%d from %d to %d", r.MaxPerOption, r.CostExponent, r.MinTotal, r.MaxTotal)
}

// parseHead parses SIZE:ROOT.
func parseHead(s string) (membership.Head, error) {
	size, root, ok := strings.Cut(s, ":")
	if !ok {
		return membership.Head{}, fmt.Errorf("census head %q: want SIZE:ROOT", s)
	}
	n, err := strconv.ParseUint(size, 10, 64)
	if err != nil {
		return membership.Head{}, fmt.Errorf("census head %q: size: %v", s, err)
	}
	r, err := membership.ParseCommitment(root)
	if err != nil {
		return membership.Head{}, fmt.Errorf("census head %q: root: %v", s, err)
	}
	return membership.Head{Size: n, Root: r.Element()}, nil
}

// logKey returns a note key given on the command line, or read from the
// file it names.
func logKey(what, s string) (string, error) {
	if st, err := os.Stat(s); err == nil && st.Mode().IsRegular() {
		b, err := readBounded(s, 4096)
		if err != nil {
			return "", fmt.Errorf("%s: %v", what, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return s, nil
}

// dirKey is a verifying key found in a key directory.
type dirKey struct {
	file string
	vk   *verifier.VerifyingKey
	stmt statement.Statement
}

// keysInDir parses every verifying key (*.vk) in dir.
func keysInDir(dir string) ([]dirKey, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.vk"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("--keys %s: no verifying keys (*.vk) there", dir)
	}
	var out []dirKey
	for _, name := range names {
		b, err := readFound(name, maxVerifyingKeyFile)
		if err != nil {
			return nil, err
		}
		vk, err := verifier.ParseVerifyingKey(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s, err := statement.Parse(vk.Circuit())
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		out = append(out, dirKey{file: name, vk: vk, stmt: s})
	}
	return out, nil
}

// pickKey returns the one key of ks that match accepts.
func pickKey(dir, what string, ks []dirKey, match func(statement.Statement) bool, hint string) (dirKey, error) {
	var found []dirKey
	var names []string
	for _, k := range ks {
		names = append(names, k.stmt.Name())
		if match(k.stmt) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return dirKey{}, fmt.Errorf("--keys %s: no %s key there (it holds %s)", dir, what, strings.Join(names, ", "))
	}
	var fs []string
	for _, k := range found {
		fs = append(fs, k.stmt.Name())
	}
	return dirKey{}, fmt.Errorf("--keys %s: several %s keys there (%s): %s", dir, what, strings.Join(fs, ", "), hint)
}

func electionNew() *cobra.Command {
	var (
		from, out, deployment, electionID, question, rules, census, keys, boxKey, electionKey string
		options, heads, witnessKeys                                                           []string
		depth, maxOptions, quorum, pack                                                       int
		asJSON                                                                                bool
	)
	c := &cobra.Command{
		Use:   "new --out FILE [--from spec.json] [flags]",
		Short: "Write an election's parameters file",
		Long: `new writes the election's parameters, from flags or from a JSON spec
(--from; a flag given as well overrides the spec's field). It checks
them (election.Params.Validate), writes the file, and prints the digest
voters compare out of band.

  --deployment, --election  IDs: a decimal number or 0x and hex digits;
                            the nullifier scope is made of both
  --question, --option      the question and the options (repeat --option)
  --rules                   single-choice (default), approval:K (up to K
                            options get 1), budget:PER,TOTAL (at most PER
                            per option, TOTAL in all) or quadratic:BUDGET
                            (the sum of squares at most BUDGET)
  --census DIR              accept every head of the census directory's
                            current epoch (membership.Tree.EpochHeads)
  --head SIZE:ROOT          or name the accepted heads (repeat)
  --keys KEYDIR             pin the vote and tally verifying keys found
                            there ("zkvote keys setup" or a ceremony's seal)
  --depth, --max-options    the circuit sizes; by default those of the one
                            vote key in KEYDIR
  --box-key VKEY            the box's checkpoint key ("zkvote box keygen"
                            prints it), or a file holding it
  --witness-key VKEY        a witness's key (repeat; "zkvote witness key")
  --quorum N                witnesses that must cosign each checkpoint
  --election-key FILE       a secret election: the trustees' election key
                            ("zkvote trustee finish" writes it); KEYDIR then
                            holds a secret-vote key and no tally key
  --pack P                  options per ciphertext (secret; 1 or 2)

The spec's fields, all optional where the flag is:

  {
    "deployment": 1,
    "election": "0x2026",
    "question": "Adopt the new charter?",
    "options": ["yes", "no", "abstain"],
    "rules": "single-choice",
    "census": "census",                 (or "heads": ["120:0x1c…"])
    "keys": "keys",
    "depth": 20, "max_options": 8,
    "box_key": "vote.example.org+1234abcd+AaBb…",
    "witness_keys": ["w1.example.net+…"], "quorum": 1,
    "election_key": "election.key", "pack": 2
  }

Paths in the spec are relative to the spec file's directory.`,
		Example: `  zkvote election new --out election.params --deployment 1 --election 7 \
      --question "Adopt the new charter?" --option yes --option no \
      --census census --keys keys --box-key "$(cat box.vkey)"
  zkvote election new --from spec.json --out election.params --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := &electionSpec{}
			if from != "" {
				var err error
				if s, err = readSpec(from); err != nil {
					return err
				}
			}
			f := cmd.Flags()
			set := func(name string, dst, v any) {
				if !f.Changed(name) {
					return
				}
				switch d := dst.(type) {
				case *specValue:
					*d = specValue(*v.(*string))
				case *string:
					*d = *v.(*string)
				case *[]string:
					*d = *v.(*[]string)
				case *int:
					*d = *v.(*int)
				}
			}
			set("deployment", &s.Deployment, &deployment)
			set("election", &s.Election, &electionID)
			set("question", &s.Question, &question)
			set("option", &s.Options, &options)
			set("rules", &s.Rules, &rules)
			set("census", &s.Census, &census)
			set("head", &s.Heads, &heads)
			set("depth", &s.Depth, &depth)
			set("max-options", &s.MaxOptions, &maxOptions)
			set("keys", &s.Keys, &keys)
			set("box-key", &s.BoxKey, &boxKey)
			set("witness-key", &s.WitnessKeys, &witnessKeys)
			set("quorum", &s.Quorum, &quorum)
			set("election-key", &s.ElectionKey, &electionKey)
			set("pack", &s.Pack, &pack)
			if _, err := os.Lstat(out); err == nil {
				return fmt.Errorf("%s already exists", out)
			}
			p, err := buildParams(cmd, s)
			if err != nil {
				return err
			}
			enc, err := p.Encode()
			if err != nil {
				return err
			}
			d, err := p.Digest()
			if err != nil {
				return err
			}
			if err := writeNew(out, enc); err != nil {
				return err
			}
			db := d.Bytes()
			w := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(w).Encode(struct {
					File   string `json:"file"`
					Digest string `json:"digest"`
				}{out, hex.EncodeToString(db[:])})
			}
			_, err = fmt.Fprintf(w, "parameters %s\ndigest %x\n", out, db)
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&from, "from", "", "a JSON spec of the election (see above)")
	f.StringVar(&out, "out", "", "the parameters file to write; it must not exist (required)")
	f.StringVar(&deployment, "deployment", "", "the deployment ID")
	f.StringVar(&electionID, "election", "", "the election ID")
	f.StringVar(&question, "question", "", "the question")
	f.StringArrayVar(&options, "option", nil, "an option (repeat, in ballot order)")
	f.StringVar(&rules, "rules", "", "single-choice, approval:K, budget:PER,TOTAL or quadratic:BUDGET (default single-choice)")
	f.StringVar(&census, "census", "", "the census directory whose current epoch's heads are accepted")
	f.StringArrayVar(&heads, "head", nil, "an accepted census head SIZE:ROOT (repeat)")
	f.IntVar(&depth, "depth", 0, "the census circuit depth (default: the vote key's)")
	f.IntVar(&maxOptions, "max-options", 0, "the compiled number of options (default: the vote key's)")
	f.StringVar(&keys, "keys", "", "the key directory whose verifying keys the election pins")
	f.StringVar(&boxKey, "box-key", "", "the box's checkpoint verifier key, or a file holding it")
	f.StringArrayVar(&witnessKeys, "witness-key", nil, "a witness's verifier key, or a file holding it (repeat)")
	f.IntVar(&quorum, "quorum", 0, "how many witnesses must cosign each checkpoint")
	f.StringVar(&electionKey, "election-key", "", "the trustees' election key file: makes the election secret")
	f.IntVar(&pack, "pack", 0, "options per ciphertext of a secret election, 1 or 2 (default: the vote key's)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("out")
	return c
}

// buildParams turns a spec (flags merged in) into checked parameters.
func buildParams(cmd *cobra.Command, s *electionSpec) (*election.Params, error) {
	p := &election.Params{Question: s.Question, Options: s.Options}
	var err error
	if p.DeploymentID, err = parseID("deployment", string(s.Deployment)); err != nil {
		return nil, err
	}
	if p.ElectionID, err = parseID("election", string(s.Election)); err != nil {
		return nil, err
	}
	if s.Question == "" {
		return nil, errors.New("question: required")
	}
	if len(s.Options) == 0 {
		return nil, errors.New("options: at least one (--option, repeated)")
	}
	if s.Rules == "" {
		s.Rules = "single-choice"
	}
	if p.Rules, err = parseRules(s.Rules); err != nil {
		return nil, err
	}

	switch {
	case s.Census != "" && len(s.Heads) > 0:
		return nil, errors.New("give the census directory or census heads, not both")
	case s.Census != "":
		t, err := openCensus(cmd, s.Census, false)
		if err != nil {
			return nil, err
		}
		p.Census = t.EpochHeads()
		if err := t.Close(); err != nil {
			return nil, err
		}
		if len(p.Census) == 0 {
			return nil, fmt.Errorf("the census at %s is empty: admit citizens first", s.Census)
		}
	case len(s.Heads) > 0:
		for _, h := range s.Heads {
			head, err := parseHead(h)
			if err != nil {
				return nil, err
			}
			p.Census = append(p.Census, head)
		}
	default:
		return nil, errors.New("census: give the census directory (--census DIR) or its heads (--head SIZE:ROOT)")
	}

	if s.BoxKey == "" {
		return nil, errors.New("box key: required (--box-key: the box's checkpoint key, as \"zkvote box keygen\" prints it)")
	}
	if p.Log.Box, err = logKey("box key", s.BoxKey); err != nil {
		return nil, err
	}
	for _, w := range s.WitnessKeys {
		k, err := logKey("witness key", w)
		if err != nil {
			return nil, err
		}
		p.Log.Witnesses = append(p.Log.Witnesses, k)
	}
	if s.Quorum < 0 || s.Quorum > len(p.Log.Witnesses) {
		return nil, fmt.Errorf("quorum %d: between 0 and the %d witnesses", s.Quorum, len(p.Log.Witnesses))
	}
	p.Log.Quorum = s.Quorum

	secret := s.ElectionKey != ""
	if secret {
		b, err := readBounded(s.ElectionKey, trustee.MaxElectionKeySize)
		if err != nil {
			return nil, err
		}
		key, err := trustee.ParseElectionKey(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.ElectionKey, err)
		}
		if p.Secret, err = election.NewSecretMode(key, s.Pack); err != nil {
			return nil, err
		}
	} else if s.Pack != 0 {
		return nil, errors.New("pack: only a secret election (--election-key) packs options into ciphertexts")
	}

	if s.Keys == "" {
		return nil, errors.New("keys: required (--keys KEYDIR: the directory of the vote and tally keys the election pins)")
	}
	ks, err := keysInDir(s.Keys)
	if err != nil {
		return nil, err
	}
	voteKind, what := statement.KindVote, "vote"
	if secret {
		voteKind, what = statement.KindSecretVote, "secret-vote"
	}
	vote, err := pickKey(s.Keys, what, ks, func(st statement.Statement) bool {
		return st.Kind() == voteKind && (s.Depth == 0 || st.Depth() == s.Depth) &&
			(s.MaxOptions == 0 || st.Options() == s.MaxOptions) && (s.Pack == 0 || st.Pack() == s.Pack)
	}, "give --depth and --max-options (and --pack)")
	if err != nil {
		return nil, err
	}
	p.Depth, p.MaxOptions = vote.stmt.Depth(), vote.stmt.Options()
	if secret {
		p.Secret.Pack = vote.stmt.Pack()
	}
	if p.VoteStatement() != vote.stmt {
		return nil, fmt.Errorf("%s is for %s, the election proves %s", vote.file, vote.stmt.Name(), p.VoteStatement().Name())
	}
	p.VoteKey = election.PinKey(vote.vk)
	if !secret {
		tally, err := pickKey(s.Keys, fmt.Sprintf("tally (options=%d)", p.MaxOptions), ks, func(st statement.Statement) bool {
			return p.CheckTallyStatement(st) == nil
		}, "keep one tally key per key directory")
		if err != nil {
			return nil, err
		}
		p.TallyKey = election.PinKey(tally.vk)
	}
	if len(p.Options) > p.MaxOptions {
		return nil, fmt.Errorf("%d options, but the keys in %s take at most %d", len(p.Options), s.Keys, p.MaxOptions)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// paramsOutput is what "election show --json" prints.
type paramsOutput struct {
	Digest     string        `json:"digest"`
	Deployment string        `json:"deployment"`
	Election   string        `json:"election"`
	Scope      string        `json:"scope"`
	Question   string        `json:"question"`
	Options    []string      `json:"options"`
	Rules      string        `json:"rules"`
	RuleLimits rulesOutput   `json:"rule_limits"`
	Statement  string        `json:"vote_statement"`
	Depth      int           `json:"depth"`
	MaxOptions int           `json:"max_options"`
	Census     []headJSON    `json:"census"`
	VoteKey    pinOutput     `json:"vote_key"`
	TallyKey   *pinOutput    `json:"tally_key,omitempty"`
	Log        logOutput     `json:"log"`
	Secret     *secretOutput `json:"secret,omitempty"`
}

// rulesOutput are the rules' limits as --json prints them.
type rulesOutput struct {
	MaxPerOption uint64 `json:"max_per_option"`
	MinTotal     uint64 `json:"min_total"`
	MaxTotal     uint64 `json:"max_total"`
	CostExponent uint8  `json:"cost_exponent"`
}

// pinOutput is a key pin as --json prints it.
type pinOutput struct {
	Backend string `json:"backend"`
	ID      string `json:"id"`
}

func pinText(k election.KeyPin) pinOutput {
	return pinOutput{Backend: k.Backend.String(), ID: hex.EncodeToString(k.ID[:])}
}

type headJSON struct {
	Size uint64 `json:"size"`
	Root string `json:"root"`
}

type logOutput struct {
	Box       string   `json:"box"`
	Witnesses []string `json:"witnesses"`
	Quorum    int      `json:"quorum"`
}

type secretOutput struct {
	Key       string   `json:"election_key"`
	Threshold int      `json:"threshold"`
	Trustees  int      `json:"trustees"`
	Pack      int      `json:"pack"`
	Shares    []string `json:"verification_shares"`
	MaxTotal  string   `json:"max_option_total"`
}

func fieldText(x fr.Element) string { return membership.Commitment(x).String() }

func describeParams(p *election.Params) (*paramsOutput, error) {
	d, err := p.Digest()
	if err != nil {
		return nil, err
	}
	db := d.Bytes()
	o := &paramsOutput{
		Digest:     hex.EncodeToString(db[:]),
		Deployment: fieldText(p.DeploymentID), Election: fieldText(p.ElectionID), Scope: fieldText(p.Scope()),
		Question: p.Question, Options: slices.Clone(p.Options),
		Rules: rulesText(p.Rules),
		RuleLimits: rulesOutput{MaxPerOption: p.Rules.MaxPerOption, MinTotal: p.Rules.MinTotal,
			MaxTotal: p.Rules.MaxTotal, CostExponent: p.Rules.CostExponent},
		Statement: p.VoteStatement().Name(), Depth: p.Depth, MaxOptions: p.MaxOptions,
		VoteKey: pinText(p.VoteKey),
		Log:     logOutput{Box: p.Log.Box, Witnesses: append([]string{}, p.Log.Witnesses...), Quorum: p.Log.Quorum},
	}
	for _, h := range p.Census {
		o.Census = append(o.Census, headJSON{Size: h.Size, Root: fieldText(h.Root)})
	}
	if p.Secret == nil {
		t := pinText(p.TallyKey)
		o.TallyKey = &t
	} else {
		m := p.Secret
		k := m.Key.Bytes()
		so := &secretOutput{Key: hex.EncodeToString(k[:]), Threshold: m.Threshold, Trustees: len(m.Shares),
			Pack: p.VoteStatement().Pack(), MaxTotal: p.MaxOptionTotal().String()}
		for _, s := range m.Shares {
			b := s.Bytes()
			so.Shares = append(so.Shares, hex.EncodeToString(b[:]))
		}
		o.Secret = so
	}
	return o, nil
}

func printParams(w io.Writer, o *paramsOutput) error {
	var b strings.Builder
	line := func(k, format string, a ...any) { fmt.Fprintf(&b, "%-14s"+format+"\n", append([]any{k}, a...)...) }
	line("digest", "%s", o.Digest)
	line("question", "%s", printable(o.Question))
	for i, opt := range o.Options {
		k := ""
		if i == 0 {
			k = "options"
		}
		line(k, "%d. %s", i+1, printable(opt))
	}
	r := o.RuleLimits
	line("rules", "%s (each option 0 to %d; the sum of values^%d from %d to %d)", o.Rules, r.MaxPerOption, r.CostExponent, r.MinTotal, r.MaxTotal)
	if o.Secret != nil {
		line("mode", "secret: ballots encrypted to %d trustees, any %d of whom decrypt the sum; the latest ballot of each citizen counts", o.Secret.Trustees, o.Secret.Threshold)
	} else {
		line("mode", "open: votes are public in the log, voters are not")
	}
	line("deployment", "%s", o.Deployment)
	line("election", "%s", o.Election)
	line("scope", "%s", o.Scope)
	for i, h := range o.Census {
		k := ""
		if i == 0 {
			k = "census heads"
		}
		line(k, "size %d root %s", h.Size, h.Root)
	}
	line("circuit", "%s (depth %d, %d options)", o.Statement, o.Depth, o.MaxOptions)
	line("vote key", "%s %s", o.VoteKey.Backend, o.VoteKey.ID)
	if o.TallyKey != nil {
		line("tally key", "%s %s", o.TallyKey.Backend, o.TallyKey.ID)
	} else {
		line("tally key", "none: the trustees count a secret election")
	}
	line("box key", "%s", printable(o.Log.Box))
	if len(o.Log.Witnesses) == 0 {
		line("witnesses", "none")
	}
	for i, wk := range o.Log.Witnesses {
		k := ""
		if i == 0 {
			k = "witnesses"
		}
		line(k, "%s", printable(wk))
	}
	line("quorum", "%d", o.Log.Quorum)
	if s := o.Secret; s != nil {
		line("election key", "%s", s.Key)
		line("threshold", "%d of %d", s.Threshold, s.Trustees)
		line("pack", "%d options per ciphertext (totals up to %s)", s.Pack, s.MaxTotal)
		for i, sh := range s.Shares {
			line(fmt.Sprintf("trustee %d", i+1), "%s", sh)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func electionShow() *cobra.Command {
	var params string
	var asJSON bool
	c := &cobra.Command{
		Use:   "show --params FILE",
		Short: "Print an election's parameters",
		Long: `show prints everything in a parameters file: the digest, question,
options and rules, the census heads, the circuit and the pins of its
verifying keys, the ballot log's keys and quorum, and for a secret
election the trustees' key, threshold and verification shares. The file
is checked strictly first.`,
		Example: `  zkvote election show --params election.params
  zkvote election show --params election.params --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := readParams(params)
			if err != nil {
				return err
			}
			o, err := describeParams(p)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(o)
			}
			return printParams(cmd.OutOrStdout(), o)
		},
	}
	c.Flags().StringVar(&params, "params", "", "the parameters file (required)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.MarkFlagRequired("params")
	return c
}

func electionDigest() *cobra.Command {
	var params string
	c := &cobra.Command{
		Use:   "digest --params FILE",
		Short: "Print the parameters' digest, which voters compare out of band",
		Long: `digest prints the digest of the parameters, 64 hex digits: every ballot
proves against it, so two parties holding parameters with the same digest
hold the same election. Publish it where voters can check it ("zkvote
vote --digest" refuses any other).`,
		Example: `  zkvote election digest --params election.params`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := readParams(params)
			if err != nil {
				return err
			}
			d, err := p.Digest()
			if err != nil {
				return err
			}
			db := d.Bytes()
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%x\n", db)
			return err
		},
	}
	c.Flags().StringVar(&params, "params", "", "the parameters file (required)")
	c.MarkFlagRequired("params")
	return c
}
