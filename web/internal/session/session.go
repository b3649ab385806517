// Package session is the browser voter's logic, in plain Go so that it runs
// and is tested outside a browser too: it fetches an election from its box,
// loads the vote keys the election pins, opens a citizen's identity file,
// checks their census proof, proves the ballot, submits it and checks the
// box's receipt. The js/wasm bridge (package web/voter) only moves values
// between JavaScript and a [Session].
//
// A session can hand parts of each proof to a helper (a prover.Helper:
// in the browser, a second Web Worker running web/helper), so that a
// proof uses two threads; see [KeyOptions].
//
// Every failure the page explains is an [*Error] whose Code names it; the
// page words the message.
package session

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/verifier"
)

// The codes of [Error], one per message the page shows.
const (
	CodeDigest       = "digest"        // the box's election is not the one the page was told to expect
	CodeClosed       = "closed"        // the election no longer takes ballots
	CodePassphrase   = "passphrase"    // the identity file does not open with this passphrase
	CodeIdentityFile = "identity-file" // not an identity file, or one asking for too much argon2id work
	CodeCensusFile   = "census-file"   // not a census proof file
	CodeCensusRoot   = "census-root"   // the census proof is for a census the election does not accept
	CodeCensusLeaf   = "census-leaf"   // the census proof is another identity's
	CodeDuplicate    = "duplicate"     // this citizen has voted already
	CodeStale        = "stale"         // secret election: a later ballot of this citizen is in the box
	CodeRules        = "rules"         // the votes break the election's rules
	CodeKeys         = "keys"          // the box's key files are missing, damaged or not the pinned ones
	CodeBusy         = "busy"          // the box is overloaded; try again
	CodeRefused      = "refused"       // the box refused the ballot for another reason
	CodeUnknown      = "unknown"       // the ballot was sent, but whether the box kept it is unknown
	CodeReceipt      = "receipt"       // the box accepted the ballot, but its receipt does not check
	CodeNetwork      = "network"       // the box could not be reached
	CodeHelper       = "helper"        // the helper failed a proof; nothing was sent, and the session now proves alone
	CodeState        = "state"         // a step was called out of order (a bug of the page)
	CodeInternal     = "internal"      // anything else
)

// Error is a failure with the Code the page explains it by.
type Error struct {
	Code string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(code string, err error) error { return &Error{Code: code, Err: err} }

func failf(code, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf("session: "+format, args...)}
}

// CodeOf returns err's code: an [*Error]'s, else [CodeInternal].
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// maxKeyFile bounds each key file fetched from the box. The largest vote
// statement zkvote compiles keeps its proving key well below it.
const maxKeyFile = 512 << 20

// Election is what the page shows of the box's election.
type Election struct {
	Digest       string   `json:"digest"` // hex, as "zkvote election digest" prints it
	Question     string   `json:"question"`
	Options      []string `json:"options"`
	MaxPerOption uint64   `json:"maxPerOption"`
	MinTotal     uint64   `json:"minTotal"`
	MaxTotal     uint64   `json:"maxTotal"`
	CostExponent uint8    `json:"costExponent"`
	Secret       bool     `json:"secret"`
	Closed       bool     `json:"closed"`
	Statement    string   `json:"statement"`
	Backend      string   `json:"backend"`
}

// Session is one voter's visit. Its methods are called one at a time:
// [Session.Open] first; [Session.LoadKeys] then, at any time; for each
// attempt to vote [Session.Census], [Session.Unlock] and [Session.Vote], in
// that order.
type Session struct {
	base   string
	hc     *http.Client
	client *httpbox.Client

	params *election.Params
	keys   *prover.Keys // the keys Vote proves with: alone's, or with a helper
	alone  *prover.Keys // the same keys without the helper; nil when keys has none
	id     *membership.Identity
	proof  *membership.Proof

	// Progress, if not nil, is told each step of Vote as it starts:
	// "prove", "check", "submit", "receipt".
	Progress func(step string)
	// Now returns the time; nil is time.Now. CastSecret takes its counter
	// from it (Unix seconds), as the command line does.
	Now func() time.Time
}

// New returns a session with the box at base (an http or https URL: the
// directory the page is served from), reached with hc (nil:
// http.DefaultClient).
func New(base string, hc *http.Client) (*Session, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	c, err := httpbox.NewClient(base, hc)
	if err != nil {
		return nil, fail(CodeInternal, err)
	}
	return &Session{base: strings.TrimRight(base, "/"), hc: hc, client: c}, nil
}

// Open fetches the election's parameters and state from the box. want, if
// not empty, is the digest (hex) the voter was given: a box whose election
// has another is refused with [CodeDigest], and nothing more can be done
// in this session.
func (s *Session) Open(ctx context.Context, want string) (*Election, error) {
	// Whatever happens, the election opened before (and its keys) is
	// forgotten: a failed Open must not leave it to vote in.
	s.params, s.keys, s.alone = nil, nil, nil
	var wantDigest []byte
	if want != "" {
		var err error
		wantDigest, err = hex.DecodeString(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(want)), "0x"))
		if err != nil || len(wantDigest) != fr.Bytes {
			return nil, failf(CodeDigest, "the expected digest %q is not 64 hex digits", want)
		}
	}
	p, err := s.client.Params(ctx)
	if err != nil {
		return nil, boxError(err)
	}
	d, err := p.Digest()
	if err != nil {
		return nil, fail(CodeInternal, err)
	}
	db := d.Bytes()
	if wantDigest != nil && subtle.ConstantTimeCompare(db[:], wantDigest) != 1 {
		return nil, failf(CodeDigest, "the box's election has digest %x, not the expected %x", db, wantDigest)
	}
	st, err := s.client.Status(ctx)
	if err != nil {
		return nil, boxError(err)
	}
	s.params = p
	return &Election{
		Digest:       hex.EncodeToString(db[:]),
		Question:     p.Question,
		Options:      slices.Clone(p.Options),
		MaxPerOption: p.Rules.MaxPerOption,
		MinTotal:     p.Rules.MinTotal,
		MaxTotal:     p.Rules.MaxTotal,
		CostExponent: p.Rules.CostExponent,
		Secret:       p.Secret != nil,
		Closed:       st.Closed,
		Statement:    p.VoteStatement().Name(),
		Backend:      p.VoteKey.Backend.String(),
	}, nil
}

// KeyOptions are the options of [Session.LoadKeys]; nil means none.
type KeyOptions struct {
	// Helper, if not nil, computes the parts of each proof that
	// prover.Keys.HelperParts names, on another thread than the
	// session's: in the browser, a second Web Worker (Go compiled to
	// WebAssembly has one thread). A helper that cannot take its parts
	// is no failure of LoadKeys: the session proves alone, and
	// KeyStats.HelperError says why. See [CodeHelper] for a helper that
	// fails later.
	Helper prover.Helper
}

// KeyStats says what loading the keys took.
type KeyStats struct {
	Bytes   int     `json:"bytes"`   // fetched
	FetchMS float64 `json:"fetchMs"` // fetching the files
	ReadMS  float64 `json:"readMs"`  // prover.ReadKeys

	// Helper names the parts of each proof the helper computes (msm.Part
	// names, such as "B2"); it is empty when the session proves alone.
	Helper []string `json:"helper"`
	// HelperMS is the time the helper took to take its parts' bases.
	HelperMS float64 `json:"helperMs"`
	// HelperError says why the session proves alone although it was
	// given a helper.
	HelperError string `json:"helperError,omitempty"`
}

// LoadKeys fetches the election's vote keys from the box (/keys/, by the
// names prover.KeyFiles gives) and reads them in mode (see
// prover.LoadMode; Checked fetches no constraint system and compiles the
// circuit instead). The verifying key must be the one the parameters pin,
// and the proving key and circuit must carry its ID. With a helper
// (opts.Helper), it then gives the helper its parts.
func (s *Session) LoadKeys(ctx context.Context, mode prover.LoadMode, opts *KeyOptions) (*KeyStats, error) {
	if s.params == nil {
		return nil, failf(CodeState, "LoadKeys before Open")
	}
	st := s.params.VoteStatement()
	b := s.params.VoteKey.Backend
	pkName, ccsName, vkName := prover.KeyFiles(st, b)
	names := []string{vkName, pkName}
	if mode == prover.Trusted {
		names = append(names, ccsName)
	}
	start := time.Now()
	files := make(map[string][]byte, len(names))
	stats := &KeyStats{Helper: []string{}}
	for _, n := range names {
		data, err := s.get(ctx, "/keys/"+n, maxKeyFile)
		if err != nil {
			return nil, err
		}
		files[n] = data
		stats.Bytes += len(data)
	}
	stats.FetchMS = ms(time.Since(start))
	// Check the pin first: a verifying key that is not the pinned one
	// makes every other file moot.
	vk, err := verifier.ParseVerifyingKey(files[vkName])
	if err != nil || !s.params.VoteKey.Matches(vk) {
		return nil, failf(CodeKeys, "the box's %s is not the verifying key the election pins", vkName)
	}
	start = time.Now()
	k, err := prover.ReadKeys(ctx, st, b, files[pkName], files[ccsName], files[vkName], mode)
	if err != nil {
		return nil, fail(CodeKeys, err)
	}
	stats.ReadMS = ms(time.Since(start))
	if !s.params.VoteKey.Matches(k.VerifyingKey()) {
		return nil, failf(CodeKeys, "the box's keys are not the ones the election pins")
	}
	s.keys, s.alone = k, nil
	if opts != nil && opts.Helper != nil {
		if err := s.useHelper(ctx, opts.Helper, stats); err != nil {
			return nil, err
		}
	}
	return stats, nil
}

// useHelper hands the parts of s.keys' proofs that HelperParts names to
// h, recording in stats how that went. Only ctx's end is an error.
func (s *Session) useHelper(ctx context.Context, h prover.Helper, stats *KeyStats) error {
	parts := s.keys.HelperParts()
	if len(parts) == 0 {
		stats.HelperError = fmt.Sprintf("session: %s keys cannot use a helper (only Groth16 keys of a circuit without commitments can)", s.keys.Backend())
		return nil
	}
	start := time.Now()
	hk, err := s.keys.WithHelper(ctx, h, parts)
	stats.HelperMS = ms(time.Since(start))
	if err != nil {
		if ctx.Err() != nil {
			s.keys = nil
			return fail(CodeInternal, ctx.Err())
		}
		stats.HelperError = err.Error()
		return nil
	}
	s.alone, s.keys = s.keys, hk
	for _, p := range parts {
		stats.Helper = append(stats.Helper, p.String())
	}
	return nil
}

// dropHelper makes Vote prove alone from now on, after the helper failed.
func (s *Session) dropHelper() {
	if s.alone != nil {
		s.keys, s.alone = s.alone, nil
	}
}

// Unlock opens the citizen's identity file with their passphrase and
// returns its commitment; the census proof read by [Session.Census] must
// be this identity's. passphrase is zeroed.
func (s *Session) Unlock(file, passphrase []byte) (string, error) {
	defer clear(passphrase)
	s.id = nil
	if s.proof == nil {
		return "", failf(CodeState, "Unlock before Census")
	}
	id, err := membership.DecryptIdentity(file, passphrase)
	switch {
	case errors.Is(err, membership.ErrDecrypt):
		return "", fail(CodePassphrase, err)
	case err != nil:
		return "", fail(CodeIdentityFile, err)
	}
	if s.proof.Leaf != id.Commitment() {
		return "", failf(CodeCensusLeaf, "the census proof is for commitment %s, not this identity's (%s)", s.proof.Leaf, id.Commitment())
	}
	s.id = id
	return id.Commitment().String(), nil
}

// Census reads the citizen's census proof file and checks it against the
// election: its root must be one the election accepts. It forgets any
// identity unlocked before: call [Session.Unlock] next, which checks that
// the proof is the identity's.
func (s *Session) Census(file []byte) error {
	if s.params == nil {
		return failf(CodeState, "Census before Open")
	}
	s.id, s.proof = nil, nil
	p, err := membership.ParseProof(file)
	if err != nil {
		return fail(CodeCensusFile, err)
	}
	if err := p.Verify(p.Root); err != nil {
		return fail(CodeCensusFile, err)
	}
	if !s.params.AcceptsRoot(p.Root) {
		return fail(CodeCensusRoot, fmt.Errorf("session: the census proof leads to root %s: %w", membership.Commitment(p.Root), election.ErrUnknownRoot))
	}
	s.proof = p
	return nil
}

// Vote is a cast ballot with the box's checked receipt.
type Vote struct {
	Position  uint64  `json:"position"`
	Nullifier string  `json:"nullifier"` // hex
	Receipt   []byte  `json:"receipt"`   // the receipt file, with the log's proof
	Helper    bool    `json:"helper"`    // the proof was made with the helper (KeyOptions.Helper)
	ProveMS   float64 `json:"proveMs"`
	CheckMS   float64 `json:"checkMs"` // verifying the ballot here before sending it
	SubmitMS  float64 `json:"submitMs"`
	ReceiptMS float64 `json:"receiptMs"` // the box's log proof and its check
}

// proveAttempts bounds how often Vote asks the box for the log's proof of
// the ballot (the box waits a while for a checkpoint each time).
const proveAttempts = 5

// Vote proves a ballot of votes (one value per option) with the loaded
// keys, identity and census proof, checks it here (the proof verifies
// under the pinned key and its public inputs are this voter's), submits
// it, asks the box for the log's proof and checks the receipt with
// election.VerifyReceipt.
//
// A proof made with a helper (KeyOptions.Helper) that fails, or that
// does not verify, is [CodeHelper]: nothing is sent, and the session
// proves alone from then on, so that voting again needs no helper.
func (s *Session) Vote(ctx context.Context, votes []uint64) (*Vote, error) {
	switch {
	case s.params == nil:
		return nil, failf(CodeState, "Vote before Open")
	case s.keys == nil:
		return nil, failf(CodeState, "Vote before LoadKeys")
	case s.id == nil:
		return nil, failf(CodeState, "Vote before Unlock")
	case s.proof == nil:
		return nil, failf(CodeState, "Vote before Census")
	}
	p := s.params
	if err := p.Rules.Check(len(p.Options), votes); err != nil {
		return nil, fail(CodeRules, err)
	}
	out := &Vote{Helper: s.alone != nil}
	s.step("prove")
	start := time.Now()
	var ballot *election.Ballot
	var err error
	if p.Secret != nil {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		ballot, err = prover.CastSecret(ctx, s.keys, p, s.id, s.proof, votes, uint64(now().Unix()), nil)
	} else {
		ballot, err = prover.Cast(ctx, s.keys, p, s.id, s.proof, votes)
	}
	switch {
	case errors.Is(err, election.ErrUnknownRoot):
		return nil, fail(CodeCensusRoot, err)
	case errors.Is(err, prover.ErrNotMember):
		return nil, fail(CodeCensusLeaf, err)
	case errors.Is(err, election.ErrBallotRules):
		return nil, fail(CodeRules, err)
	case err != nil && out.Helper && ctx.Err() == nil:
		s.dropHelper()
		return nil, fail(CodeHelper, fmt.Errorf("session: proving with the helper failed, and nothing was sent; the next attempt proves without it: %w", err))
	case err != nil:
		return nil, fail(CodeInternal, err)
	}
	out.ProveMS = ms(time.Since(start))

	s.step("check")
	start = time.Now()
	if err := s.check(ballot, votes); err != nil {
		if out.Helper && errors.Is(err, errNotVerified) {
			// The helper's sums are the only part of this proof the
			// keys alone would not have made: blame it, and let the
			// next attempt tell whether the keys are at fault too.
			s.dropHelper()
			return nil, fail(CodeHelper, fmt.Errorf("session: the ballot proven with the helper does not verify, and nothing was sent; the next attempt proves without it: %w", err))
		}
		return nil, err
	}
	out.CheckMS = ms(time.Since(start))
	nf := ballot.Nullifier()
	nb := nf.Bytes()
	out.Nullifier = hex.EncodeToString(nb[:])

	s.step("submit")
	start = time.Now()
	r, err := s.client.Submit(ctx, ballot.Bytes())
	if err != nil {
		return nil, boxError(err)
	}
	out.SubmitMS = ms(time.Since(start))

	s.step("receipt")
	start = time.Now()
	var proven *election.Receipt
	for i := range proveAttempts {
		proven, err = s.client.Prove(ctx, r)
		if i == proveAttempts-1 || !errors.Is(err, httpbox.ErrTimeout) && !errors.Is(err, httpbox.ErrBusy) {
			break
		}
		if errors.Is(err, httpbox.ErrBusy) {
			if werr := waitRetry(ctx, retryAfter(err)); werr != nil {
				break
			}
		}
	}
	if err != nil {
		return nil, fail(CodeReceipt, fmt.Errorf("session: the box accepted the ballot at position %d, but gave no log proof: %w", r.Position, err))
	}
	if err := election.VerifyReceipt(p, proven, ballot); err != nil {
		return nil, fail(CodeReceipt, fmt.Errorf("session: the box's receipt does not check: %w", err))
	}
	out.ReceiptMS = ms(time.Since(start))
	out.Position, out.Receipt = proven.Position, proven.Bytes()
	return out, nil
}

// check verifies a ballot made here before it leaves: its proof under the
// pinned key, and public inputs that are this voter's (root, nullifier,
// election, votes). Keys served by the box that made a proof leaking
// anything through its public inputs fail here, before sending.
func (s *Session) check(b *election.Ballot, votes []uint64) error {
	p := s.params
	digest, err := p.Digest()
	if err != nil {
		return fail(CodeInternal, err)
	}
	switch {
	case b.Root() != s.proof.Root,
		b.Nullifier() != s.id.VoteNullifier(p.Scope()),
		b.Scope() != p.Scope(),
		b.ParamsDigest() != digest,
		p.Secret == nil && !slices.Equal(b.Votes(len(votes)), votes):
		return failf(CodeKeys, "the ballot proven here does not carry this voter's public inputs: the keys are not the election's")
	}
	if err := verifier.Verify(s.keys.VerifyingKey(), b.Proof()); err != nil {
		return fail(CodeKeys, fmt.Errorf("session: %w: %v", errNotVerified, err))
	}
	return nil
}

// errNotVerified is check's failure of a proof that does not verify.
var errNotVerified = errors.New("the ballot proven here does not verify under the pinned key")

func (s *Session) step(name string) {
	if s.Progress != nil {
		s.Progress(name)
	}
}

// getAttempts bounds how often get asks a busy box (503) again.
const getAttempts = 5

// get fetches base+path, at most limit bytes, again after Retry-After
// while the box answers that it is busy.
func (s *Session) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	for i := 1; ; i++ {
		b, wait, err := s.getOnce(ctx, path, limit)
		if wait < 0 || i == getAttempts {
			return b, err
		}
		if werr := waitRetry(ctx, wait); werr != nil {
			return nil, err
		}
	}
}

// getOnce is one attempt of get; wait is not negative when the box was
// busy: the time it asked to wait before the next.
func (s *Session) getOnce(ctx context.Context, path string, limit int64) (_ []byte, wait time.Duration, _ error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, -1, fail(CodeInternal, err)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, -1, fail(CodeNetwork, fmt.Errorf("session: GET %s: %v", path, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable {
		wait := time.Second
		if v, err := strconv.ParseUint(strings.TrimSpace(resp.Header.Get("Retry-After")), 10, 16); err == nil {
			wait = time.Duration(v) * time.Second
		}
		return nil, wait, failf(CodeBusy, "GET %s: %s", path, resp.Status)
	}
	b, err := readReply(resp, path, limit)
	return b, -1, err
}

// readReply reads the body of a reply to GET path, at most limit bytes.
func readReply(resp *http.Response, path string, limit int64) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		return nil, failf(CodeKeys, "GET %s: %s", path, resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, failf(CodeKeys, "GET %s: %d bytes, at most %d", path, resp.ContentLength, limit)
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		// Room for the read that finds the end too: a buffer that is
		// exactly full doubles, which for a proving key is hundreds of
		// megabytes of a browser's memory.
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1)); err != nil {
		return nil, fail(CodeNetwork, fmt.Errorf("session: GET %s: %v", path, err))
	}
	if int64(buf.Len()) > limit {
		return nil, failf(CodeKeys, "GET %s: more than %d bytes", path, limit)
	}
	return buf.Bytes(), nil
}

// maxRetryWait bounds the wait a busy box asks for.
const maxRetryWait = 10 * time.Second

// retryAfter returns the wait a busy box's error asks for: its
// Retry-After, else a second.
func retryAfter(err error) time.Duration {
	var he *httpbox.Error
	if errors.As(err, &he) && he.RetryAfter > 0 {
		return he.RetryAfter
	}
	return time.Second
}

// waitRetry waits d, at most maxRetryWait, or until ctx is done.
func waitRetry(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(min(max(d, 0), maxRetryWait))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// boxError gives a box's refusal its code.
func boxError(err error) error {
	var code string
	switch {
	case errors.Is(err, election.ErrClosed):
		code = CodeClosed
	case errors.Is(err, election.ErrDuplicateNullifier):
		code = CodeDuplicate
	case errors.Is(err, election.ErrStaleBallot):
		code = CodeStale
	case errors.Is(err, election.ErrUnknownRoot):
		code = CodeCensusRoot
	case errors.Is(err, httpbox.ErrBusy):
		code = CodeBusy
	case errors.Is(err, election.ErrOutcomeUnknown):
		code = CodeUnknown
	default:
		var he *httpbox.Error
		if errors.As(err, &he) {
			code = CodeRefused
		} else {
			code = CodeNetwork
		}
	}
	return fail(code, err)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
