package election

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// ErrMalformedBallot is wrapped by every error about ballot bytes that do
// not decode.
var ErrMalformedBallot = errors.New("election: malformed ballot")

// Ballot is an anonymous vote: a proof of the election's vote statement
// whose public inputs carry the census root, the voter's nullifier for the
// election, the election's scope and digest and its rules, and either the
// votes (an open ballot, statement.VotePublic) or, in secret mode, a
// counter and the hash of the ciphertexts the ballot carries beside its
// proof (statement.SecretVotePublic). Build one with the prover's Cast or
// CastSecret; read one with [ParseBallot].
type Ballot struct {
	proof  *verifier.Proof
	pub    *statement.VotePublic       // an open ballot's
	secret *statement.SecretVotePublic // a secret ballot's
	cts    []trustee.Ciphertext        // a secret ballot's
}

// A secret ballot's encoding:
//
//	magic "ZKSB" | version 2 | ciphertext count (1)
//	| ciphertexts (128 each: trustee.Ciphertext.XY, C1.x, C1.y, C2.x, C2.y)
//	| the proof's encoding (verifier.Proof.Bytes, to the end)
//
// Version 2 carries every point's affine coordinates, the values the
// proof's ciphertext hash covers, so decoding takes no square root.
// Version 1 (compressed points, 64 bytes a ciphertext) is refused.
//
// An open ballot's encoding is its proof's, which starts "ZKVP".
const (
	secretBallotMagic   = "ZKSB"
	secretBallotVersion = 2
)

// ParseBallot decodes ballot bytes strictly, open or secret (see
// verifier.ParseProof and trustee.ParseCiphertextXY: every point canonical,
// on the curve and in the prime-order subgroup), and checks that the
// public inputs have a ballot's layout, with rule and vote values of 64
// bits. It does not verify the proof, nor that a secret ballot's
// ciphertexts are those its proof hashes: a box or audit does both.
func ParseBallot(b []byte) (*Ballot, error) {
	return parseBallot(b, trustee.ParseCiphertextXY)
}

// parseBallot is ParseBallot with parse decoding each of a secret ballot's
// ciphertexts: trustee.ParseCiphertextXY, or [parseBoundCiphertext] for a
// reader that checks every ballot's hash and proof before it uses any
// ballot's points.
func parseBallot(b []byte, parse func([]byte) (trustee.Ciphertext, error)) (*Ballot, error) {
	if rest, ok := bytes.CutPrefix(b, []byte(secretBallotMagic)); ok {
		return parseSecretBallot(rest, parse)
	}
	p, err := verifier.ParseProof(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	pub, err := statement.ParseVote(p.Public)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	return &Ballot{proof: p, pub: pub}, nil
}

// parseBoundCiphertext decodes a secret ballot's ciphertext without the
// prime-order subgroup test (trustee.ParseCiphertextXYOnCurve), for
// [AuditSecret] (and so [PartialDecrypt]) alone, which sum ciphertexts
// only after every ballot of the log passed its checks. The subgroup
// test is most of the cost of decoding a ciphertext.
//
// # Why the test may be skipped there
//
// A secret ballot's proof (statement.SecretVote) computes C1 = k·G and
// C2 = m·G + k·PK in its circuit, from the base point G and the key PK,
// and its public input Ciphertexts is trustee.HashCiphertexts of PK and
// every coordinate, x and y, of every such point. The audit recomputes
// that hash from the election's key, which the parameters accept only in
// the prime-order subgroup ([Params.Validate]), and from the submitted
// coordinates (checkStatement, else ErrCiphertextHash), and verifies the
// proof against it (else verifier.ErrInvalidProof). For a ballot that
// passes both, the hash binds the in-circuit PK to the election's key and
// the submitted points to the in-circuit ones, combinations of G and PK,
// which lie in the subgroup. A point with a small-order component
// therefore fails the hash or the proof, and no sum, and no trustee's
// partial decryption of one, ever sees it: the audit adds a ballot's
// ciphertexts (secretAudit.flush) only once checkStatements and
// verifyBallots have passed for it. The box's Submit and its replay of the log on
// OpenBox, and [ReadLog], whose ballots reach callers, stay strict.
func parseBoundCiphertext(b []byte) (trustee.Ciphertext, error) {
	return trustee.ParseCiphertextXYOnCurve(b)
}

func parseSecretBallot(b []byte, parse func([]byte) (trustee.Ciphertext, error)) (*Ballot, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: secret ballot of %d bytes", ErrMalformedBallot, len(secretBallotMagic)+len(b))
	}
	if b[0] != secretBallotVersion {
		return nil, fmt.Errorf("%w: secret ballot version %d is unsupported (want %d)", ErrMalformedBallot, b[0], secretBallotVersion)
	}
	n := int(b[1])
	b = b[2:]
	if n < 1 || n > statement.MaxOptions || len(b) < n*trustee.CiphertextXYSize {
		return nil, fmt.Errorf("%w: %d ciphertexts", ErrMalformedBallot, n)
	}
	cts := make([]trustee.Ciphertext, n)
	for i := range cts {
		c, err := parse(b[i*trustee.CiphertextXYSize : (i+1)*trustee.CiphertextXYSize])
		if err != nil {
			return nil, fmt.Errorf("%w: ciphertext %d: %v", ErrMalformedBallot, i, err)
		}
		cts[i] = c
	}
	p, err := verifier.ParseProof(b[n*trustee.CiphertextXYSize:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	return newSecretBallot(p, cts)
}

// NewSecretBallot returns the secret ballot of a proof of
// statement.SecretVote and the ciphertexts it hashes (in order, one per
// ciphertext of the statement). It checks their count and the proof's
// layout, but neither the proof, nor the hash, nor that the points are in
// the prime-order subgroup (a Ciphertext from
// trustee.ParseCiphertextXYOnCurve may not be): a box parses the ballot's
// bytes again, strictly, on Submit.
func NewSecretBallot(proof *verifier.Proof, cts []trustee.Ciphertext) (*Ballot, error) {
	if proof == nil {
		return nil, fmt.Errorf("%w: no proof", ErrMalformedBallot)
	}
	if len(cts) < 1 || len(cts) > statement.MaxOptions {
		return nil, fmt.Errorf("%w: %d ciphertexts", ErrMalformedBallot, len(cts))
	}
	// Round-trip the proof through its encoding: the ballot holds a
	// canonical, checked copy that its caller cannot change.
	p, err := verifier.ParseProof(proof.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	return newSecretBallot(p, slices.Clone(cts))
}

func newSecretBallot(p *verifier.Proof, cts []trustee.Ciphertext) (*Ballot, error) {
	pub, err := statement.ParseSecretVote(p.Public)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	return &Ballot{proof: p, secret: pub, cts: cts}, nil
}

// Bytes returns the ballot's canonical encoding.
func (b *Ballot) Bytes() []byte {
	if b.secret == nil {
		return b.proof.Bytes()
	}
	out := append([]byte(secretBallotMagic), secretBallotVersion, byte(len(b.cts)))
	for _, c := range b.cts {
		e := c.XY()
		out = append(out, e[:]...)
	}
	return append(out, b.proof.Bytes()...)
}

// Proof returns the underlying proof.
func (b *Ballot) Proof() *verifier.Proof { return b.proof }

// Secret reports whether the ballot is a secret one.
func (b *Ballot) Secret() bool { return b.secret != nil }

// Root returns the census root the ballot proves membership of.
func (b *Ballot) Root() fr.Element {
	if b.secret != nil {
		return b.secret.Root
	}
	return b.pub.Root
}

// Nullifier returns the voter's nullifier in this election.
func (b *Ballot) Nullifier() fr.Element {
	if b.secret != nil {
		return b.secret.Nullifier
	}
	return b.pub.Nullifier
}

// Scope returns the election scope the ballot was cast in.
func (b *Ballot) Scope() fr.Element {
	if b.secret != nil {
		return b.secret.Scope
	}
	return b.pub.Scope
}

// ParamsDigest returns the digest of the parameters the ballot commits to.
func (b *Ballot) ParamsDigest() fr.Element {
	if b.secret != nil {
		return b.secret.ParamsDigest
	}
	return b.pub.ParamsDigest
}

// Votes returns the first n vote values (n = the election's options), 0
// beyond the ballot's; nil for a secret ballot, whose votes nobody reads.
func (b *Ballot) Votes(n int) []uint64 {
	if b.secret != nil {
		return nil
	}
	out := make([]uint64, n)
	copy(out, b.pub.Votes)
	return out
}

// Counter returns a secret ballot's counter (0 for an open ballot): of a
// citizen's ballots, the box keeps the one with the highest.
func (b *Ballot) Counter() uint64 {
	if b.secret != nil {
		return b.secret.Counter
	}
	return 0
}

// Ciphertexts returns a copy of a secret ballot's ciphertexts (nil for an
// open ballot).
func (b *Ballot) Ciphertexts() []trustee.Ciphertext { return slices.Clone(b.cts) }

// CiphertextHash returns the hash of the ciphertexts a secret ballot's
// proof commits to (its public input; 0 for an open ballot).
func (b *Ballot) CiphertextHash() fr.Element {
	if b.secret != nil {
		return b.secret.Ciphertexts
	}
	return fr.Element{}
}

// ErrCiphertextHash: a secret ballot's ciphertexts are not those its proof
// commits to under the election's key.
var ErrCiphertextHash = errors.New("election: the ballot's ciphertexts are not the ones its proof commits to")

// checkStatement checks that the ballot is for p (scope, digest, rules,
// options, accepted root, and for a secret ballot the ciphertexts against
// their hash), before any proof verification.
func (b *Ballot) checkStatement(p *Params, scope, digest fr.Element) error {
	if s := b.Scope(); !s.Equal(&scope) {
		return ErrWrongElection
	}
	if d := b.ParamsDigest(); !d.Equal(&digest) {
		return ErrWrongElection
	}
	if (p.Secret != nil) != b.Secret() {
		return fmt.Errorf("%w: an open ballot in a secret election or the reverse", ErrWrongElection)
	}
	if b.secret != nil {
		return b.checkSecret(p)
	}
	v := b.pub
	if len(v.Votes) != p.maxOptions() {
		return fmt.Errorf("%w: %d votes, the election's circuit has %d", ErrMalformedBallot, len(v.Votes), p.maxOptions())
	}
	if v.NumOptions != uint64(len(p.Options)) || v.MaxPerOption != p.Rules.MaxPerOption ||
		v.MinTotal != p.Rules.MinTotal || v.MaxTotal != p.Rules.MaxTotal ||
		v.CostExponent != uint64(p.Rules.CostExponent) {
		return ErrRulesMismatch
	}
	if !p.AcceptsRoot(b.Root()) {
		return ErrUnknownRoot
	}
	// The proof enforces the rules; checking natively too gives a clear
	// error before the cost of verification.
	if err := p.Rules.Check(len(p.Options), b.Votes(len(p.Options))); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	for _, x := range v.Votes[len(p.Options):] {
		if x != 0 {
			return fmt.Errorf("%w: a vote beyond the election's options", ErrMalformedBallot)
		}
	}
	return nil
}

// checkSecret is checkStatement's part for a secret ballot, after scope
// and digest.
func (b *Ballot) checkSecret(p *Params) error {
	v := b.secret
	if v.NumOptions != uint64(len(p.Options)) || v.MaxPerOption != p.Rules.MaxPerOption ||
		v.MinTotal != p.Rules.MinTotal || v.MaxTotal != p.Rules.MaxTotal ||
		v.CostExponent != uint64(p.Rules.CostExponent) {
		return ErrRulesMismatch
	}
	if !p.AcceptsRoot(v.Root) {
		return ErrUnknownRoot
	}
	if want := p.VoteStatement().Ciphertexts(); len(b.cts) != want {
		return fmt.Errorf("%w: %d ciphertexts, the election's ballots have %d", ErrMalformedBallot, len(b.cts), want)
	}
	for i, c := range b.cts {
		// Randomness 0 mod l: the circuit allows it, but such a
		// ciphertext is the vote in the clear (C2 = v·G), which a
		// coercer could demand; refused like any other exposed vote.
		if c.C1.IsIdentity() {
			return fmt.Errorf("%w: ciphertext %d has no randomness (C1 is the identity)", ErrMalformedBallot, i)
		}
	}
	if h := trustee.HashCiphertexts(p.Secret.Key, b.cts); !h.Equal(&v.Ciphertexts) {
		return ErrCiphertextHash
	}
	return nil
}
