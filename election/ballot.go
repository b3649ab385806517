package election

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// ErrMalformedBallot is wrapped by every error about ballot bytes that do
// not decode.
var ErrMalformedBallot = errors.New("election: malformed ballot")

// Ballot is an anonymous vote: a proof of the election's vote statement
// whose public inputs (statement.VotePublic) carry the census root, the
// voter's nullifier for the election, the election's scope and digest, its
// rules and the votes. Build one with the prover's Cast; read one with
// [ParseBallot].
type Ballot struct {
	proof *verifier.Proof
	pub   *statement.VotePublic
}

// ParseBallot decodes ballot bytes strictly (see verifier.ParseProof) and
// checks that the public inputs have a ballot's layout, with rule and vote
// values of 64 bits. It does not verify the proof.
func ParseBallot(b []byte) (*Ballot, error) {
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

// Bytes returns the ballot's canonical encoding.
func (b *Ballot) Bytes() []byte { return b.proof.Bytes() }

// Proof returns the underlying proof.
func (b *Ballot) Proof() *verifier.Proof { return b.proof }

// Root returns the census root the ballot proves membership of.
func (b *Ballot) Root() fr.Element { return b.pub.Root }

// Nullifier returns the voter's nullifier in this election.
func (b *Ballot) Nullifier() fr.Element { return b.pub.Nullifier }

// Scope returns the election scope the ballot was cast in.
func (b *Ballot) Scope() fr.Element { return b.pub.Scope }

// ParamsDigest returns the digest of the parameters the ballot commits to.
func (b *Ballot) ParamsDigest() fr.Element { return b.pub.ParamsDigest }

// Votes returns the first n vote values (n = the election's options), 0
// beyond the ballot's.
func (b *Ballot) Votes(n int) []uint64 {
	out := make([]uint64, n)
	copy(out, b.pub.Votes)
	return out
}

// checkStatement checks that the ballot is for p (scope, digest, rules,
// options, accepted root), before any proof verification.
func (b *Ballot) checkStatement(p *Params, scope, digest fr.Element) error {
	if s := b.Scope(); !s.Equal(&scope) {
		return ErrWrongElection
	}
	if d := b.ParamsDigest(); !d.Equal(&digest) {
		return ErrWrongElection
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
