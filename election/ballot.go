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
//	magic "ZKSB" | version 1 | ciphertext count (1) | ciphertexts (64 each: C1, C2)
//	| the proof's encoding (verifier.Proof.Bytes, to the end)
//
// An open ballot's encoding is its proof's, which starts "ZKVP".
const (
	secretBallotMagic   = "ZKSB"
	secretBallotVersion = 1
)

// ParseBallot decodes ballot bytes strictly, open or secret (see
// verifier.ParseProof and trustee.ParseCiphertext: every point canonical,
// on the curve and in the prime-order subgroup), and checks that the
// public inputs have a ballot's layout, with rule and vote values of 64
// bits. It does not verify the proof, nor that a secret ballot's
// ciphertexts are those its proof hashes: a box or audit does both.
func ParseBallot(b []byte) (*Ballot, error) {
	if rest, ok := bytes.CutPrefix(b, []byte(secretBallotMagic)); ok {
		return parseSecretBallot(rest)
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

func parseSecretBallot(b []byte) (*Ballot, error) {
	if len(b) < 2 || b[0] != secretBallotVersion {
		return nil, fmt.Errorf("%w: secret ballot version or length", ErrMalformedBallot)
	}
	n := int(b[1])
	b = b[2:]
	if n < 1 || n > statement.MaxOptions || len(b) < n*trustee.CiphertextSize {
		return nil, fmt.Errorf("%w: %d ciphertexts", ErrMalformedBallot, n)
	}
	cts, err := decodeCiphertexts(b[:n*trustee.CiphertextSize])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	p, err := verifier.ParseProof(b[n*trustee.CiphertextSize:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	return newSecretBallot(p, cts)
}

// NewSecretBallot returns the secret ballot of a proof of
// statement.SecretVote and the ciphertexts it hashes (in order, one per
// ciphertext of the statement). It checks their layout, as [ParseBallot]
// does, but neither the proof nor the hash.
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
	out = append(out, encodeCiphertexts(b.cts)...)
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
