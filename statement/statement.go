// Package statement describes zkvote's statements from the outside: for each
// kind (membership, vote, tally) and size, the circuit's name, its public
// inputs by name and in order, and the one table of size limits that every
// zkvote package reads.
//
// A [Statement] is a plain value: [Membership], [Vote] and [Tally] make one,
// [Parse] reads one back from a circuit name such as
// "vote/v3/depth=20/options=8". It is what keys are made for (package
// prover), what verifying keys state (package verifier) and what an
// election pins (package election). The public inputs of a proof are read
// with [ParseMembership], [ParseVote] and [ParseTally], never by position.
//
// The package imports no part of gnark, so a ballot box or an auditor that
// reads statements links no circuit code. Package circuits builds the
// constraint systems and assignments for these statements; a test there
// checks that each circuit's public inputs come in the order given here.
//
// Most users do not need this package directly: prover, election and
// verifier take and return its values.
package statement

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version is the version of zkvote's statements. It changes whenever the
// constraints of any circuit change, and it is part of every circuit's name,
// so keys and cached constraint systems made for another version are stale
// and never silently reused.
//
// Version 2 added the leaf hash (a registered value can no longer be an
// internal node of a longer path) and the ballot nullifier's own tag.
// Version 3 hashes a secret ballot's ciphertexts with the width-12
// Poseidon2 chain (poseidon2.HashWide), 2,970 constraints fewer at depth
// 20 with 8 options; the other circuits are unchanged.
const Version = 3

// Size limits: the one table every package checks sizes against, so no
// package can admit a statement that another refuses.
const (
	// MaxPublic bounds the number of public inputs of any statement;
	// decoders bound their allocations with it.
	MaxPublic = 64

	// MaxDepth bounds the depth of a citizen tree and of the circuits that
	// prove membership in it: 2^MaxDepth leaves.
	MaxDepth = 32
	// DefaultDepth is the census depth circuits are usually compiled for.
	DefaultDepth = 20

	// MaxOptions bounds the options of a ballot: a vote statement of
	// MaxOptions options has exactly MaxPublic public inputs.
	MaxOptions = MaxPublic - voteFixed
	// DefaultOptions is the number of options circuits are usually
	// compiled for.
	DefaultOptions = 8

	// VoteBits bounds one option's value: below 2^VoteBits.
	VoteBits = 32

	// MaxBatch bounds the number of ballots in one tally proof.
	MaxBatch = 1 << 14

	// MaxPack bounds the options a secret ballot packs into one plaintext
	// ([SecretVote]); DefaultPack is the usual packing.
	MaxPack     = 2
	DefaultPack = 2
	// SlotBits is the width of one option's slot in a packed plaintext:
	// option j of a ciphertext is worth 2^(SlotBits·j). A slot holds a
	// whole option's total, so an election's totals must stay below
	// 2^SlotBits.
	SlotBits = VoteBits
)

// Kind is the kind of a statement.
type Kind uint8

// The statement kinds. Their values are stable: ceremony states record them.
const (
	KindMembership Kind = 1 // a citizen proves membership of the census
	KindVote       Kind = 2 // a citizen casts an anonymous ballot
	KindTally      Kind = 3 // a batch of a ballot log is added to the tally
	// KindSecretVote: a citizen casts an anonymous ballot whose votes are
	// encrypted to the election's trustees.
	KindSecretVote Kind = 4
)

// String returns "membership", "vote" or "tally".
func (k Kind) String() string {
	switch k {
	case KindMembership:
		return "membership"
	case KindVote:
		return "vote"
	case KindTally:
		return "tally"
	case KindSecretVote:
		return "secret-vote"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Statement is one of zkvote's statements at one size: what a set of keys
// proves. Build it with [Membership], [Vote] or [Tally]; Statements are
// comparable with ==. The zero Statement names none. A Statement of sizes out
// of range is a value like any other; [Statement.Check] reports it, and
// every package that compiles, loads or accepts one calls Check first.
type Statement struct {
	kind    Kind
	a, b, c int // membership: depth; vote: depth, options; tally: batch, options; secret vote: depth, options, pack
}

// Membership is the statement "I know the secret of a commitment in the
// census tree with this root; my nullifier in this scope is this one, and I
// attach this message", for trees of depth at most depth.
func Membership(depth int) Statement { return Statement{kind: KindMembership, a: depth} }

// Vote is the statement of an anonymous ballot: membership of a census tree
// of depth at most depth, the ballot nullifier, and a ballot of options
// values that obeys the election's rules.
func Vote(depth, options int) Statement { return Statement{kind: KindVote, a: depth, b: options} }

// SecretVote is the statement of an anonymous secret ballot: membership
// and the ballot nullifier as in [Vote], a counter (a later ballot of the
// same citizen replaces an earlier one), and options values that obey the
// election's rules, encrypted with exponential ElGamal under the election
// key, pack options per ciphertext (option j of a ciphertext in the slot
// worth 2^(SlotBits·j)); the ciphertexts enter as one hash
// ([SecretVotePublic]). Packing two options halves the ciphertexts, and so
// most of the proof's cost, but the trustees' search for a packed total
// grows with the product of its slots' bounds: the election parameters
// refuse a packing whose search is too large.
func SecretVote(depth, options, pack int) Statement {
	return Statement{kind: KindSecretVote, a: depth, b: options, c: pack}
}

// Tally is the statement that a batch of up to batch ballots of options
// values each extends a ballot log's hash chain and adds their votes to the
// committed tally.
func Tally(batch, options int) Statement { return Statement{kind: KindTally, a: batch, b: options} }

// Kind returns the statement's kind (0 for the zero Statement).
func (s Statement) Kind() Kind { return s.kind }

// Depth returns the maximum census depth of a membership or (secret) vote
// statement, and 0 for a tally.
func (s Statement) Depth() int {
	if s.kind == KindMembership || s.kind == KindVote || s.kind == KindSecretVote {
		return s.a
	}
	return 0
}

// Options returns the number of ballot options of a (secret) vote or tally
// statement, and 0 for membership.
func (s Statement) Options() int {
	if s.kind == KindVote || s.kind == KindTally || s.kind == KindSecretVote {
		return s.b
	}
	return 0
}

// Pack returns the number of options per ciphertext of a secret vote
// statement, and 0 for the others.
func (s Statement) Pack() int {
	if s.kind == KindSecretVote {
		return s.c
	}
	return 0
}

// Ciphertexts returns the number of ciphertexts of a secret vote
// statement's ballot, ⌈options/pack⌉, and 0 for the others or a pack out of
// range.
func (s Statement) Ciphertexts() int {
	if s.kind != KindSecretVote || s.c < 1 {
		return 0
	}
	return (s.b + s.c - 1) / s.c
}

// Batch returns the number of ballot slots of a tally statement, and 0 for
// the others.
func (s Statement) Batch() int {
	if s.kind == KindTally {
		return s.a
	}
	return 0
}

// Check reports whether s is a statement zkvote can compile: a known kind
// with every size within the limits.
func (s Statement) Check() error {
	inside := func(what string, v, hi int) error {
		if v < 1 || v > hi {
			return fmt.Errorf("statement: %s %s %d outside [1, %d]", s.kind, what, v, hi)
		}
		return nil
	}
	switch s.kind {
	case KindMembership:
		return inside("depth", s.a, MaxDepth)
	case KindVote:
		return errors.Join(inside("depth", s.a, MaxDepth), inside("options", s.b, MaxOptions))
	case KindSecretVote:
		return errors.Join(inside("depth", s.a, MaxDepth), inside("options", s.b, MaxOptions), inside("pack", s.c, MaxPack))
	case KindTally:
		return errors.Join(inside("batch", s.a, MaxBatch), inside("options", s.b, MaxOptions))
	}
	return errors.New("statement: no statement (zero Statement or unknown kind)")
}

// Name returns the name under which keys for s are stored and verifying keys
// state their circuit: "membership/v3/depth=20", "vote/v3/depth=20/options=8",
// "tally/v3/batch=64/options=8" or "secret-vote/v3/depth=20/options=8/pack=2", with v3 the [Version]. It is the inverse
// of [Parse].
func (s Statement) Name() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/v%d", s.kind, Version)
	for _, p := range s.params() {
		fmt.Fprintf(&b, "/%s=%d", p.key, p.val)
	}
	return b.String()
}

// String returns [Statement.Name].
func (s Statement) String() string { return s.Name() }

type param struct {
	key string
	val int
}

// params lists the sizes of s as its name spells them.
func (s Statement) params() []param {
	switch s.kind {
	case KindMembership:
		return []param{{"depth", s.a}}
	case KindVote:
		return []param{{"depth", s.a}, {"options", s.b}}
	case KindSecretVote:
		return []param{{"depth", s.a}, {"options", s.b}, {"pack", s.c}}
	case KindTally:
		return []param{{"batch", s.a}, {"options", s.b}}
	}
	return nil
}

// Parse returns the statement named name (see [Statement.Name]). It accepts
// only the canonical spelling of a statement of this [Version] that passes
// [Statement.Check].
func Parse(name string) (Statement, error) {
	kindName, rest, _ := strings.Cut(name, "/")
	var s Statement
	for _, k := range []Kind{KindMembership, KindVote, KindTally, KindSecretVote} {
		if k.String() == kindName {
			s.kind = k
		}
	}
	fields := strings.Split(rest, "/")
	if s.kind == 0 || len(fields) != 1+len(s.params()) {
		return Statement{}, fmt.Errorf("statement: %q is not a statement name", name)
	}
	if fields[0] != "v"+strconv.Itoa(Version) {
		return Statement{}, fmt.Errorf("statement: %q is of another version than v%d", name, Version)
	}
	vals := [3]*int{&s.a, &s.b, &s.c}
	for i, p := range s.params() {
		v, ok := strings.CutPrefix(fields[1+i], p.key+"=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			return Statement{}, fmt.Errorf("statement: %q is not a statement name", name)
		}
		*vals[i] = n
	}
	if err := s.Check(); err != nil {
		return Statement{}, err
	}
	if s.Name() != name {
		return Statement{}, fmt.Errorf("statement: %q is not the canonical name %q", name, s.Name())
	}
	return s, nil
}

// NbPublic returns the number of public inputs of s's proofs (0 for the
// zero Statement).
func (s Statement) NbPublic() int {
	switch s.kind {
	case KindMembership:
		return membershipPublic
	case KindVote:
		return voteFixed + s.b
	case KindTally:
		return tallyPublic
	case KindSecretVote:
		return secretVotePublic
	}
	return 0
}
