// Package limits is the one table of zkvote's size limits. Every package
// that checks a size (circuits when it builds a statement, the verifier when
// it bounds a decoder, election when it validates parameters, membership
// when it grows a tree) reads it here, so no limit can admit a statement
// that another package refuses.
package limits

const (
	// MaxPublic bounds the number of public signals of any zkvote circuit;
	// decoders bound their allocations with it.
	MaxPublic = 64

	// VoteFixedPublic is the number of public inputs of a vote statement
	// besides its one input per option (root, nullifier, scope, parameter
	// digest and the five rule values).
	VoteFixedPublic = 9
	// MaxOptions bounds the options of a ballot: a vote statement of
	// MaxOptions options has exactly MaxPublic public inputs.
	MaxOptions = MaxPublic - VoteFixedPublic
	// DefaultOptions is the number of options circuits are usually
	// compiled for.
	DefaultOptions = 8

	// MaxDepth bounds the depth of a citizen tree and of the circuits that
	// prove membership in it: 2^MaxDepth leaves.
	MaxDepth = 32
	// DefaultDepth is the census depth circuits are usually compiled for.
	DefaultDepth = 20

	// VoteBits bounds one option's value: below 2^VoteBits.
	VoteBits = 32
	// MaxBatch bounds the number of ballots in one tally proof.
	MaxBatch = 1 << 14
)
