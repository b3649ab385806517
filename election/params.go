package election

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"unicode/utf8"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
	"github.com/netstate/zkvote/witness"
	"golang.org/x/mod/sumdb/note"
)

// Limits of election parameters besides the circuit sizes, which package
// statement bounds.
const (
	// MaxQuestionLen and MaxOptionLen bound labels, in bytes of UTF-8.
	MaxQuestionLen = 4096
	MaxOptionLen   = 256
	// MaxRoots bounds the accepted census heads of one election.
	MaxRoots = 1024
	// maxVote is the exclusive bound of one option's value (2^32).
	maxVote = 1 << statement.VoteBits
)

// Rules say what a valid ballot is: each option gets a value from 0 to
// MaxPerOption, and the cost Σ valueᵢ^CostExponent is between MinTotal and
// MaxTotal. Use the constructors for the usual kinds.
type Rules struct {
	MaxPerOption uint64 // below 2^32
	MinTotal     uint64
	MaxTotal     uint64
	CostExponent uint8 // 1 (linear) or 2 (quadratic)
}

// SingleChoice: exactly one option gets 1.
func SingleChoice() Rules { return Rules{MaxPerOption: 1, MinTotal: 1, MaxTotal: 1, CostExponent: 1} }

// Approval: up to k options get 1 (a blank ballot is allowed).
func Approval(k uint64) Rules {
	return Rules{MaxPerOption: 1, MinTotal: 0, MaxTotal: k, CostExponent: 1}
}

// Budget (cumulative voting): values summing to at most budget, each at most
// perOption.
func Budget(perOption, budget uint64) Rules {
	return Rules{MaxPerOption: perOption, MinTotal: 0, MaxTotal: budget, CostExponent: 1}
}

// Quadratic: the sum of squares is at most budget; each value is at most
// ⌊√budget⌋ (capped below 2^32).
func Quadratic(budget uint64) Rules {
	per := new(big.Int).Sqrt(new(big.Int).SetUint64(budget)).Uint64()
	if per >= maxVote {
		per = maxVote - 1
	}
	return Rules{MaxPerOption: per, MinTotal: 0, MaxTotal: budget, CostExponent: 2}
}

// Validate reports whether the rules can be proven by the vote circuit and
// admit at least one ballot.
func (r Rules) Validate() error {
	switch {
	case r.MaxPerOption >= maxVote:
		return fmt.Errorf("election: MaxPerOption %d is not below 2^32", r.MaxPerOption)
	case r.CostExponent != 1 && r.CostExponent != 2:
		return fmt.Errorf("election: cost exponent %d is not 1 or 2", r.CostExponent)
	case r.MinTotal > r.MaxTotal:
		return fmt.Errorf("election: MinTotal %d above MaxTotal %d", r.MinTotal, r.MaxTotal)
	}
	return nil
}

// ErrBallotRules is wrapped by every rule a ballot breaks.
var ErrBallotRules = errors.New("election: ballot breaks the election's rules")

// Check is the native counterpart of the vote circuit's rules: votes has one
// value per option of an election of numOptions options.
func (r Rules) Check(numOptions int, votes []uint64) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if len(votes) != numOptions {
		return fmt.Errorf("%w: %d values for %d options", ErrBallotRules, len(votes), numOptions)
	}
	total := new(big.Int)
	for i, v := range votes {
		if v > r.MaxPerOption {
			return fmt.Errorf("%w: option %d has %d, above %d", ErrBallotRules, i, v, r.MaxPerOption)
		}
		c := new(big.Int).SetUint64(v)
		if r.CostExponent == 2 {
			c.Mul(c, c)
		}
		total.Add(total, c)
	}
	if total.Cmp(new(big.Int).SetUint64(r.MinTotal)) < 0 || total.Cmp(new(big.Int).SetUint64(r.MaxTotal)) > 0 {
		return fmt.Errorf("%w: total %s outside [%d, %d]", ErrBallotRules, total, r.MinTotal, r.MaxTotal)
	}
	return nil
}

// KeyPin identifies one verifying key: its proof system and the SHA-256 of
// its file ([verifier.VerifyingKey.ID]), which covers the circuit name, the
// number of public signals and every curve point of the key.
type KeyPin struct {
	Backend verifier.Backend
	ID      [32]byte
}

// PinKey returns the pin of vk (the zero pin for nil).
func PinKey(vk *verifier.VerifyingKey) KeyPin {
	if vk == nil {
		return KeyPin{}
	}
	return KeyPin{Backend: vk.Backend(), ID: vk.ID()}
}

// Matches reports whether vk is the pinned key.
func (k KeyPin) Matches(vk *verifier.VerifyingKey) bool {
	return vk != nil && k != KeyPin{} && k == PinKey(vk)
}

func (k KeyPin) validate(what string) error {
	if k.Backend != verifier.Groth16 && k.Backend != verifier.PLONK {
		return fmt.Errorf("election: %s key pin names backend %v", what, k.Backend)
	}
	if k.ID == [32]byte{} {
		return fmt.Errorf("election: %s key pin is zero", what)
	}
	return nil
}

// ErrKeyMismatch: a verifying key is not the one the election's parameters
// pin ([Params.VoteKey], [Params.TallyKey]), although it may be for the
// same circuit.
var ErrKeyMismatch = errors.New("election: verifying key is not the one the election pins")

// checkVoteKey returns an error unless vk is the vote key p pins and is
// for p's vote statement (ErrKeyMismatch for another key).
func (p *Params) checkVoteKey(vk *verifier.VerifyingKey) error {
	if err := checkKey(p.VoteKey, vk, "vote"); err != nil {
		return err
	}
	if s := p.VoteStatement(); vk.Circuit() != s.Name() || vk.NbPublic() != s.NbPublic() {
		return fmt.Errorf("election: the vote key is for %s, the election's ballots prove %s", vk.Circuit(), s)
	}
	return nil
}

// checkKey returns an error wrapping ErrKeyMismatch unless vk is pinned by
// pin.
func checkKey(pin KeyPin, vk *verifier.VerifyingKey, what string) error {
	if pin.Matches(vk) {
		return nil
	}
	if vk == nil {
		return fmt.Errorf("%w: no %s key", ErrKeyMismatch, what)
	}
	id := vk.ID()
	return fmt.Errorf("%w: %s key %s %x…, the election pins %s %x…",
		ErrKeyMismatch, what, vk.Backend(), id[:8], pin.Backend, pin.ID[:8])
}

// Params are an election: where and which (deployment and election IDs,
// which give the nullifier scope), what is asked, which census heads are
// accepted, the ballot rules, the circuit sizes it is proven with and the
// verifying keys it is proven and counted under.
type Params struct {
	DeploymentID fr.Element // the community's deployment; distinct per network or chain
	ElectionID   fr.Element
	Question     string
	Options      []string
	// Census lists the census heads (tree size and root) a ballot may
	// prove membership under, in increasing size, all of ONE census epoch
	// of the registry's tree (see membership.Tree.Epoch): within an epoch
	// the tree only grows, so each citizen has one commitment under all of
	// them and so one ballot nullifier. Heads from two epochs would let a
	// citizen who rotated their key, or was removed and registered again,
	// vote once under each. Take them from membership.Tree.EpochHeads and
	// check them with membership.Tree.CheckHeads; anyone holding the
	// published list of commitments checks them with [Params.CheckCensus].
	Census     []membership.Head
	Rules      Rules
	Depth      int // the census circuit depth, 0 means statement.DefaultDepth
	MaxOptions int // the compiled number of options, 0 means statement.DefaultOptions
	// VoteKey and TallyKey pin the verifying keys of the election's vote
	// and tally statements ([Params.VoteStatement], and statement.Tally of
	// any batch size with the same options), both required: make the keys
	// first (from ceremonies, prover.NewCeremony; the vote circuit takes
	// the parameters' digest as a public input, so the keys do not depend
	// on the parameters). OpenBox and Audit, and the prover's Cast and
	// ProveTally, refuse any other key with ErrKeyMismatch, even one for
	// the same circuit: whoever holds the setup secrets of another key
	// could forge ballots or results for it. A secret election has no
	// tally key: TallyKey must be zero.
	VoteKey, TallyKey KeyPin
	// Secret, if not nil, makes the ballots secret: encrypted to the
	// trustees, counted by the latest ballot of each citizen, and decrypted
	// only as a sum (see [SecretMode]).
	Secret *SecretMode
	// Log names the keys of the election's public ballot log: the box's
	// checkpoint key and the witnesses that must cosign a checkpoint
	// before voters and auditors trust it (see [LogKeys]).
	Log LogKeys
}

// LogKeys are the keys a ballot log's checkpoints are checked with: the
// box signs each checkpoint, and at least Quorum of the Witnesses cosign it
// (C2SP tlog-cosignature) once they have checked it is consistent with
// every checkpoint of the log they saw before. A box that shows two
// histories to two people then needs Quorum witnesses to lie with it.
type LogKeys struct {
	// Box is the box's checkpoint key, a note verifier key
	// ("<name>+<hash>+<key>", from golang.org/x/mod/sumdb/note): its name
	// is the log's origin line. Required; use one key per election, so
	// that no checkpoint of one election's log passes for another's.
	Box string
	// Witnesses are the witnesses' public keys (each a note verifier key
	// of its Ed25519 key, as witness.Witness.VerifierKey prints it), at
	// most MaxWitnesses, distinct.
	Witnesses []string
	// Quorum is how many distinct Witnesses must cosign a checkpoint; 0
	// trusts the box's signature alone.
	Quorum int
}

// MaxWitnesses bounds an election's witnesses; maxKeyLen bounds a key
// string of [LogKeys].
const (
	MaxWitnesses = 32
	maxKeyLen    = 1024
)

// Policy returns the witness policy a checkpoint of the log must pass.
func (k LogKeys) Policy() (witness.Policy, error) {
	if len(k.Box) == 0 || len(k.Box) > maxKeyLen {
		return witness.Policy{}, errors.New("election: the log names no box key, or one too long")
	}
	box, err := note.NewVerifier(k.Box)
	if err != nil {
		return witness.Policy{}, fmt.Errorf("election: box key: %v", err)
	}
	if len(k.Witnesses) > MaxWitnesses {
		return witness.Policy{}, fmt.Errorf("election: %d witnesses, at most %d", len(k.Witnesses), MaxWitnesses)
	}
	p := witness.Policy{Log: box, Quorum: k.Quorum}
	for i, w := range k.Witnesses {
		if len(w) > maxKeyLen {
			return witness.Policy{}, fmt.Errorf("election: witness key %d is too long", i)
		}
		v, err := witness.ParseWitnessKey(w)
		if err != nil {
			return witness.Policy{}, fmt.Errorf("election: witness %d: %v", i, err)
		}
		p.Witnesses = append(p.Witnesses, v)
	}
	if err := p.Check(); err != nil {
		return witness.Policy{}, fmt.Errorf("election: %v", err)
	}
	return p, nil
}

func (p *Params) depth() int {
	if p.Depth == 0 {
		return statement.DefaultDepth
	}
	return p.Depth
}

func (p *Params) maxOptions() int {
	if p.MaxOptions == 0 {
		return statement.DefaultOptions
	}
	return p.MaxOptions
}

// VoteStatement returns the statement every ballot of the election proves:
// statement.Vote of the census depth and the compiled number of options,
// or in secret mode statement.SecretVote with the mode's packing. The vote
// key must be for it.
func (p *Params) VoteStatement() statement.Statement {
	if p.Secret != nil {
		return statement.SecretVote(p.depth(), p.maxOptions(), p.Secret.pack())
	}
	return statement.Vote(p.depth(), p.maxOptions())
}

// CheckTallyStatement reports whether s is a statement that can count the
// election's ballots: a tally of any batch size with the election's
// compiled number of options. No statement counts a secret election's.
func (p *Params) CheckTallyStatement(s statement.Statement) error {
	if p.Secret != nil {
		return errors.New("election: a secret election is counted by its trustees, not by tally proofs")
	}
	if s.Kind() != statement.KindTally || s.Options() != p.maxOptions() || s.Check() != nil {
		return fmt.Errorf("election: %s cannot count ballots of %d options", s, p.maxOptions())
	}
	return nil
}

// Scope returns Poseidon2(TagElection, DeploymentID, ElectionID): the scope
// of every nullifier in this election, so a ballot can't be replayed into
// another election or deployment.
func (p *Params) Scope() fr.Element {
	return poseidon2.Hash(poseidon2.TagElection, p.DeploymentID, p.ElectionID)
}

// Validate checks the parameters: labels, census heads (nonzero, distinct
// roots, strictly increasing sizes, as the heads of one epoch are), rules,
// that the options fit the compiled circuit, and that both keys are pinned
// (in secret mode: the vote key, with no tally key, a valid [SecretMode]
// and totals the trustees can recover).
func (p *Params) Validate() error {
	if len(p.Question) == 0 || len(p.Question) > MaxQuestionLen || !utf8.ValidString(p.Question) {
		return errors.New("election: question must be 1 to 4096 bytes of UTF-8")
	}
	if len(p.Options) < 1 || len(p.Options) > p.maxOptions() {
		return fmt.Errorf("election: %d options, the circuit takes 1 to %d", len(p.Options), p.maxOptions())
	}
	for i, o := range p.Options {
		if len(o) == 0 || len(o) > MaxOptionLen || !utf8.ValidString(o) {
			return fmt.Errorf("election: option %d must be 1 to 256 bytes of UTF-8", i)
		}
	}
	if err := p.VoteStatement().Check(); err != nil {
		return fmt.Errorf("election: %v", err)
	}
	if len(p.Census) < 1 || len(p.Census) > MaxRoots {
		return fmt.Errorf("election: %d census heads, want 1 to %d", len(p.Census), MaxRoots)
	}
	seen := make(map[fr.Element]bool, len(p.Census))
	for i, h := range p.Census {
		if h.Root.IsZero() || seen[h.Root] {
			return fmt.Errorf("election: census head %d has a zero or repeated root", i)
		}
		if h.Size == 0 || h.Size > membership.MaxLeaves || i > 0 && h.Size <= p.Census[i-1].Size {
			return fmt.Errorf("election: census head %d: sizes must increase from 1 to at most %d", i, uint64(membership.MaxLeaves))
		}
		seen[h.Root] = true
	}
	if err := p.VoteKey.validate("vote"); err != nil {
		return err
	}
	if _, err := p.Log.Policy(); err != nil {
		return err
	}
	if err := p.Rules.Validate(); err != nil {
		return err
	}
	if p.Secret == nil {
		return p.TallyKey.validate("tally")
	}
	if p.TallyKey != (KeyPin{}) {
		return errors.New("election: a secret election pins no tally key: its trustees count it")
	}
	if err := p.Secret.validate(); err != nil {
		return err
	}
	return p.checkSearch()
}

// AcceptsRoot reports whether root is the root of one of the census heads.
func (p *Params) AcceptsRoot(root fr.Element) bool {
	for i := range p.Census {
		if p.Census[i].Root.Equal(&root) {
			return true
		}
	}
	return false
}

// CheckCensus checks the census heads against the registry's published list
// of commitments (membership.Tree.Leaves: in order, 0 where removed): each
// head must be the root of a prefix of that one list, which proves they are
// of one epoch. It returns nil or an error wrapping
// membership.ErrUnknownHead.
func (p *Params) CheckCensus(commitments []membership.Commitment) error {
	return membership.VerifyHeads(commitments, p.Census)
}

// The canonical encoding:
//
//	magic "ZKVOTEEL" | version (4 open, 5 secret) | deployment (32) | election (32) | depth (1)
//	| max options (1) | MaxPerOption, MinTotal, MaxTotal (uint64 each)
//	| cost exponent (1) | vote key backend (1) | vote key ID (32)
//	| tally key backend (1) | tally key ID (32)
//	| question (uint16 length, bytes)
//	| options (count byte, then uint16 length and bytes each)
//	| census heads (uint16 count, then size uint64 and root (32) each)
//	| box key (uint16 length, bytes) | witnesses (count byte, then
//	  uint16 length and bytes each) | quorum (1)
//	and in secret mode (version 5 only):
//	| pack (1) | threshold (1) | trustees n (1) | election key (32)
//	| n verification shares (32 each)
//
// Points are trustee.Point encodings, read strictly; key strings are
// checked as [LogKeys.Policy] checks them. Versions 4 and 5 added the
// log's keys; versions 1 to 3 are no longer read.
const (
	paramsMagic         = "ZKVOTEEL"
	paramsVersion       = 4
	paramsVersionSecret = 5
)

// ErrMalformedParams is wrapped by every decoding error of parameters.
var ErrMalformedParams = errors.New("election: malformed parameters")

// Encode returns the canonical encoding of valid parameters.
func (p *Params) Encode() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := []byte(paramsMagic)
	if p.Secret != nil {
		b = append(b, paramsVersionSecret)
	} else {
		b = append(b, paramsVersion)
	}
	d, e := p.DeploymentID.Bytes(), p.ElectionID.Bytes()
	b = append(b, d[:]...)
	b = append(b, e[:]...)
	b = append(b, byte(p.depth()), byte(p.maxOptions()))
	b = binary.BigEndian.AppendUint64(b, p.Rules.MaxPerOption)
	b = binary.BigEndian.AppendUint64(b, p.Rules.MinTotal)
	b = binary.BigEndian.AppendUint64(b, p.Rules.MaxTotal)
	b = append(b, p.Rules.CostExponent)
	for _, k := range []KeyPin{p.VoteKey, p.TallyKey} {
		b = append(b, byte(k.Backend))
		b = append(b, k.ID[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Question)))
	b = append(b, p.Question...)
	b = append(b, byte(len(p.Options)))
	for _, o := range p.Options {
		b = binary.BigEndian.AppendUint16(b, uint16(len(o)))
		b = append(b, o...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Census)))
	for i := range p.Census {
		b = binary.BigEndian.AppendUint64(b, p.Census[i].Size)
		r := p.Census[i].Root.Bytes()
		b = append(b, r[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(p.Log.Box)))
	b = append(b, p.Log.Box...)
	b = append(b, byte(len(p.Log.Witnesses)))
	for _, w := range p.Log.Witnesses {
		b = binary.BigEndian.AppendUint16(b, uint16(len(w)))
		b = append(b, w...)
	}
	b = append(b, byte(p.Log.Quorum))
	if m := p.Secret; m != nil {
		b = append(b, byte(m.pack()), byte(m.Threshold), byte(len(m.Shares)))
		k := m.Key.Bytes()
		b = append(b, k[:]...)
		for _, s := range m.Shares {
			e := s.Bytes()
			b = append(b, e[:]...)
		}
	}
	return b, nil
}

// ParseParams decodes the canonical encoding strictly: every field in range,
// field elements canonical, nothing trailing, and the result valid.
func ParseParams(b []byte) (*Params, error) {
	r := &reader{b: b}
	bad := func(what string) (*Params, error) {
		return nil, fmt.Errorf("%w: %s", ErrMalformedParams, what)
	}
	if string(r.next(len(paramsMagic))) != paramsMagic {
		return bad("magic")
	}
	v := r.byte()
	if v != paramsVersion && v != paramsVersionSecret {
		return bad(fmt.Sprintf("version %d", v))
	}
	p := &Params{}
	var err error
	if p.DeploymentID, err = field.FromBytes(r.next(32)); err != nil {
		return bad("deployment ID")
	}
	if p.ElectionID, err = field.FromBytes(r.next(32)); err != nil {
		return bad("election ID")
	}
	p.Depth, p.MaxOptions = int(r.byte()), int(r.byte())
	p.Rules.MaxPerOption, p.Rules.MinTotal, p.Rules.MaxTotal = r.u64(), r.u64(), r.u64()
	p.Rules.CostExponent = r.byte()
	for _, k := range []*KeyPin{&p.VoteKey, &p.TallyKey} {
		k.Backend = verifier.Backend(r.byte())
		copy(k.ID[:], r.next(32))
	}
	p.Question = string(r.next(int(r.u16())))
	n := int(r.byte())
	for range n {
		p.Options = append(p.Options, string(r.next(int(r.u16()))))
	}
	nr := int(r.u16())
	if nr > MaxRoots {
		return bad("too many census heads")
	}
	for range nr {
		size := r.u64()
		root, err := field.FromBytes(r.next(32))
		if err != nil {
			return bad("census root")
		}
		p.Census = append(p.Census, membership.Head{Size: size, Root: root})
	}
	p.Log.Box = string(r.next(int(r.u16())))
	nw := int(r.byte())
	if nw > MaxWitnesses {
		return bad("too many witnesses")
	}
	for range nw {
		p.Log.Witnesses = append(p.Log.Witnesses, string(r.next(int(r.u16()))))
	}
	p.Log.Quorum = int(r.byte())
	if v == paramsVersionSecret {
		m := &SecretMode{Pack: int(r.byte()), Threshold: int(r.byte())}
		n := int(r.byte())
		if n > trustee.MaxTrustees {
			return bad("too many trustees")
		}
		var err error
		if m.Key, err = trustee.ParsePoint(r.next(trustee.PointSize)); err != nil && !r.short {
			return bad("election key")
		}
		for range n {
			s, err := trustee.ParsePoint(r.next(trustee.PointSize))
			if err != nil && !r.short {
				return bad("verification share")
			}
			m.Shares = append(m.Shares, s)
		}
		if m.Pack == 0 {
			return bad("zero pack")
		}
		p.Secret = m
	}
	if r.short || len(r.b) != 0 {
		return bad("length")
	}
	if p.Depth == 0 || p.MaxOptions == 0 {
		return bad("zero depth or options")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedParams, err)
	}
	return p, nil
}

// Digest returns the parameters' digest, which every ballot commits to: the
// first 31 bytes of SHA-256("zkvote/v1/params" ‖ encoding), a field element
// without reduction.
func (p *Params) Digest() (fr.Element, error) {
	enc, err := p.Encode()
	if err != nil {
		return fr.Element{}, err
	}
	h := sha256.Sum256(append([]byte("zkvote/v1/params"), enc...))
	var d fr.Element
	var b [32]byte
	copy(b[1:], h[:31])
	if err := d.SetBytesCanonical(b[:]); err != nil {
		return fr.Element{}, err // unreachable: 248 bits are below r
	}
	return d, nil
}

// reader consumes a byte slice, remembering whether it ran short.
type reader struct {
	b     []byte
	short bool
}

func (r *reader) next(n int) []byte {
	if n > len(r.b) {
		r.short = true
		r.b = nil
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) byte() byte  { return r.next(1)[0] }
func (r *reader) u16() uint16 { return binary.BigEndian.Uint16(r.next(2)) }
func (r *reader) u64() uint64 { return binary.BigEndian.Uint64(r.next(8)) }
func (p *Params) equal(q *Params) bool {
	a, err1 := p.Encode()
	b, err2 := q.Encode()
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}
