package election

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/verifier"
)

// Public signals of a ballot, in the vote circuit's order (see
// circuits.Vote): Root, Nullifier, Scope, ParamsDigest, NumOptions,
// MaxPerOption, MinTotal, MaxTotal, CostExponent, then one vote per
// compiled option.
const (
	sigRoot = iota
	sigNullifier
	sigScope
	sigDigest
	sigNumOptions
	sigMaxPerOption
	sigMinTotal
	sigMaxTotal
	sigCostExponent
	sigVotes
)

// ErrMalformedBallot is wrapped by every error about ballot bytes that do
// not decode.
var ErrMalformedBallot = errors.New("election: malformed ballot")

// Ballot is an anonymous vote: a vote-circuit proof whose public signals
// carry the census root, the voter's nullifier for the election, the
// election's scope and digest, its rules and the votes.
type Ballot struct {
	proof *verifier.Proof
}

// ParseBallot decodes ballot bytes strictly (see verifier.ParseProof) and
// checks the number of public signals and that the rule and vote values fit
// in 64 bits. It does not verify the proof.
func ParseBallot(b []byte) (*Ballot, error) {
	p, err := verifier.ParseProof(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	return newBallot(p)
}

func newBallot(p *verifier.Proof) (*Ballot, error) {
	if len(p.Public) <= sigVotes {
		return nil, fmt.Errorf("%w: %d public signals", ErrMalformedBallot, len(p.Public))
	}
	for i := sigNumOptions; i < len(p.Public); i++ {
		if !p.Public[i].IsUint64() {
			return nil, fmt.Errorf("%w: signal %d is not a 64-bit value", ErrMalformedBallot, i)
		}
	}
	return &Ballot{proof: p}, nil
}

// Bytes returns the ballot's canonical encoding.
func (b *Ballot) Bytes() []byte { return b.proof.Bytes() }

// Proof returns the underlying proof.
func (b *Ballot) Proof() *verifier.Proof { return b.proof }

// Root returns the census root the ballot proves membership of.
func (b *Ballot) Root() fr.Element { return b.proof.Public[sigRoot] }

// Nullifier returns the voter's nullifier in this election.
func (b *Ballot) Nullifier() fr.Element { return b.proof.Public[sigNullifier] }

// Scope returns the election scope the ballot was cast in.
func (b *Ballot) Scope() fr.Element { return b.proof.Public[sigScope] }

// ParamsDigest returns the digest of the parameters the ballot commits to.
func (b *Ballot) ParamsDigest() fr.Element { return b.proof.Public[sigDigest] }

func (b *Ballot) u64(i int) uint64 { return b.proof.Public[i].Uint64() }

// Votes returns the first n vote values (n = the election's options).
func (b *Ballot) Votes(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		if sigVotes+i < len(b.proof.Public) {
			out[i] = b.u64(sigVotes + i)
		}
	}
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
	if len(b.proof.Public) != sigVotes+p.maxOptions() {
		return fmt.Errorf("%w: %d votes, the election's circuit has %d", ErrMalformedBallot, len(b.proof.Public)-sigVotes, p.maxOptions())
	}
	if b.u64(sigNumOptions) != uint64(len(p.Options)) || b.u64(sigMaxPerOption) != p.Rules.MaxPerOption ||
		b.u64(sigMinTotal) != p.Rules.MinTotal || b.u64(sigMaxTotal) != p.Rules.MaxTotal ||
		b.u64(sigCostExponent) != uint64(p.Rules.CostExponent) {
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
	for i := sigVotes + len(p.Options); i < len(b.proof.Public); i++ {
		if !b.proof.Public[i].IsZero() {
			return fmt.Errorf("%w: a vote beyond the election's options", ErrMalformedBallot)
		}
	}
	return nil
}
