package statement

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// ErrPublic is wrapped by every error about public inputs that do not fit a
// statement's layout.
var ErrPublic = errors.New("statement: public inputs do not fit the statement")

// MembershipPublic are the public inputs of a membership proof.
type MembershipPublic struct {
	Root      fr.Element // the census root the proof is under
	Nullifier fr.Element // Poseidon2(TagNullifier, secret, Scope)
	Scope     fr.Element // what the nullifier is unique within
	Message   fr.Element // the value the prover attaches
}

// membershipPublic is the number of public inputs of a membership proof.
const membershipPublic = 4

// Vector returns the public inputs in the circuit's order: Root, Nullifier,
// Scope, Message.
func (p *MembershipPublic) Vector() []fr.Element {
	return []fr.Element{p.Root, p.Nullifier, p.Scope, p.Message}
}

// ParseMembership names the public inputs of a membership proof.
func ParseMembership(pub []fr.Element) (*MembershipPublic, error) {
	if len(pub) != membershipPublic {
		return nil, fmt.Errorf("%w: %d public inputs for a membership proof, want %d", ErrPublic, len(pub), membershipPublic)
	}
	return &MembershipPublic{Root: pub[0], Nullifier: pub[1], Scope: pub[2], Message: pub[3]}, nil
}

// VotePublic are the public inputs of a ballot: the census root, the ballot
// nullifier, the election (scope and parameter digest), its rules and the
// votes.
type VotePublic struct {
	Root         fr.Element // the census root the voter proves membership under
	Nullifier    fr.Element // Poseidon2(TagVoteNullifier, secret, Scope)
	Scope        fr.Element // the election's scope
	ParamsDigest fr.Element // the digest of the election's parameters

	NumOptions   uint64 // the election's options; Votes beyond them are 0
	MaxPerOption uint64 // each vote is at most this (below 2^VoteBits)
	MinTotal     uint64 // bounds of the cost Σ voteᵢ^CostExponent
	MaxTotal     uint64
	CostExponent uint64 // 1 or 2

	Votes []uint64 // one per compiled option
}

// voteFixed is the number of public inputs of a ballot besides its votes:
// the fields of VotePublic before Votes.
const voteFixed = 9

// Vector returns the public inputs in the circuit's order: Root, Nullifier,
// Scope, ParamsDigest, NumOptions, MaxPerOption, MinTotal, MaxTotal,
// CostExponent, then Votes.
func (p *VotePublic) Vector() []fr.Element {
	out := make([]fr.Element, voteFixed, voteFixed+len(p.Votes))
	out[0], out[1], out[2], out[3] = p.Root, p.Nullifier, p.Scope, p.ParamsDigest
	for i, v := range []uint64{p.NumOptions, p.MaxPerOption, p.MinTotal, p.MaxTotal, p.CostExponent} {
		out[4+i].SetUint64(v)
	}
	for _, v := range p.Votes {
		var e fr.Element
		e.SetUint64(v)
		out = append(out, e)
	}
	return out
}

// ParseVote names the public inputs of a ballot. It checks their number (at
// least one vote, at most MaxPublic in all) and that the rule and vote
// values fit in 64 bits; whether they obey any rules is the proof's (and
// the election's) business.
func ParseVote(pub []fr.Element) (*VotePublic, error) {
	if len(pub) <= voteFixed || len(pub) > MaxPublic {
		return nil, fmt.Errorf("%w: %d public inputs for a ballot, want %d to %d", ErrPublic, len(pub), voteFixed+1, MaxPublic)
	}
	for i := 4; i < len(pub); i++ {
		if !pub[i].IsUint64() {
			return nil, fmt.Errorf("%w: ballot input %d is not a 64-bit value", ErrPublic, i)
		}
	}
	p := &VotePublic{
		Root: pub[0], Nullifier: pub[1], Scope: pub[2], ParamsDigest: pub[3],
		NumOptions: pub[4].Uint64(), MaxPerOption: pub[5].Uint64(), MinTotal: pub[6].Uint64(),
		MaxTotal: pub[7].Uint64(), CostExponent: pub[8].Uint64(),
		Votes: make([]uint64, len(pub)-voteFixed),
	}
	for i := range p.Votes {
		p.Votes[i] = pub[voteFixed+i].Uint64()
	}
	return p, nil
}

// TallyPublic are the public inputs of a tally batch proof: appending the
// batch's Count ballots to the chain at HeadBefore gives HeadAfter, and
// adding their votes to the tally committed in TallyBefore gives the one
// committed in TallyAfter.
type TallyPublic struct {
	Scope       fr.Element // the election's scope
	HeadBefore  fr.Element // the ballot log's chain head before the batch
	HeadAfter   fr.Element // and after it
	TallyBefore fr.Element // Poseidon2(TagTally, scope, ballots, totals…) before the batch
	TallyAfter  fr.Element // and after it
	Count       uint64     // the ballots in the batch, at most its size
}

// tallyPublic is the number of public inputs of a tally proof.
const tallyPublic = 6

// Vector returns the public inputs in the circuit's order: Scope,
// HeadBefore, HeadAfter, TallyBefore, TallyAfter, Count.
func (p *TallyPublic) Vector() []fr.Element {
	out := []fr.Element{p.Scope, p.HeadBefore, p.HeadAfter, p.TallyBefore, p.TallyAfter, {}}
	out[5].SetUint64(p.Count)
	return out
}

// ParseTally names the public inputs of a tally proof. It checks their
// number and that Count fits in 64 bits.
func ParseTally(pub []fr.Element) (*TallyPublic, error) {
	if len(pub) != tallyPublic {
		return nil, fmt.Errorf("%w: %d public inputs for a tally proof, want %d", ErrPublic, len(pub), tallyPublic)
	}
	if !pub[5].IsUint64() {
		return nil, fmt.Errorf("%w: tally count is not a 64-bit value", ErrPublic)
	}
	return &TallyPublic{Scope: pub[0], HeadBefore: pub[1], HeadAfter: pub[2],
		TallyBefore: pub[3], TallyAfter: pub[4], Count: pub[5].Uint64()}, nil
}

// SecretVotePublic are the public inputs of a secret ballot: those of a
// ballot without its votes, the ballot's counter, and the hash that commits
// to its ciphertexts and the election key they are under
// (trustee.HashCiphertexts). The votes themselves are private.
type SecretVotePublic struct {
	Root         fr.Element
	Nullifier    fr.Element
	Scope        fr.Element
	ParamsDigest fr.Element

	NumOptions   uint64
	MaxPerOption uint64
	MinTotal     uint64
	MaxTotal     uint64
	CostExponent uint64

	Counter     uint64     // a later ballot of the same nullifier has a higher counter
	Ciphertexts fr.Element // Poseidon2(TagCiphertexts, PK, each ciphertext's points)
}

// secretVotePublic is the number of public inputs of a secret ballot.
const secretVotePublic = 11

// Vector returns the public inputs in the circuit's order: Root, Nullifier,
// Scope, ParamsDigest, NumOptions, MaxPerOption, MinTotal, MaxTotal,
// CostExponent, Counter, Ciphertexts.
func (p *SecretVotePublic) Vector() []fr.Element {
	out := make([]fr.Element, secretVotePublic)
	out[0], out[1], out[2], out[3] = p.Root, p.Nullifier, p.Scope, p.ParamsDigest
	for i, v := range []uint64{p.NumOptions, p.MaxPerOption, p.MinTotal, p.MaxTotal, p.CostExponent, p.Counter} {
		out[4+i].SetUint64(v)
	}
	out[10] = p.Ciphertexts
	return out
}

// ParseSecretVote names the public inputs of a secret ballot. It checks
// their number and that the rule values and the counter fit in 64 bits.
func ParseSecretVote(pub []fr.Element) (*SecretVotePublic, error) {
	if len(pub) != secretVotePublic {
		return nil, fmt.Errorf("%w: %d public inputs for a secret ballot, want %d", ErrPublic, len(pub), secretVotePublic)
	}
	for i := 4; i < 10; i++ {
		if !pub[i].IsUint64() {
			return nil, fmt.Errorf("%w: secret ballot input %d is not a 64-bit value", ErrPublic, i)
		}
	}
	return &SecretVotePublic{
		Root: pub[0], Nullifier: pub[1], Scope: pub[2], ParamsDigest: pub[3],
		NumOptions: pub[4].Uint64(), MaxPerOption: pub[5].Uint64(), MinTotal: pub[6].Uint64(),
		MaxTotal: pub[7].Uint64(), CostExponent: pub[8].Uint64(), Counter: pub[9].Uint64(),
		Ciphertexts: pub[10],
	}, nil
}
