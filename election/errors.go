package election

import "errors"

// Ballot box errors: each rejection says why, except a proof that does not
// verify, which is verifier.ErrInvalidProof.
var (
	// ErrDuplicateNullifier: this citizen already voted in this election,
	// however the second ballot's bytes differ.
	ErrDuplicateNullifier = errors.New("election: this citizen has already voted")
	// ErrUnknownRoot: the ballot proves membership of a census root the
	// election does not accept.
	ErrUnknownRoot = errors.New("election: census root not accepted by this election")
	// ErrWrongElection: the ballot's scope or parameter digest is another
	// election's.
	ErrWrongElection = errors.New("election: ballot is for another election")
	// ErrRulesMismatch: the ballot was proven under other rules.
	ErrRulesMismatch = errors.New("election: ballot rules differ from the election's")
	// ErrClosed: the box no longer accepts ballots.
	ErrClosed = errors.New("election: ballot box is closed")
	// ErrCorrupt: the ballot log failed its checks on open.
	ErrCorrupt = errors.New("election: ballot log is corrupt")
	// ErrBoxFailed: a write to the log failed; the box accepts nothing more
	// until it is reopened.
	ErrBoxFailed = errors.New("election: ballot log write failed")
	// ErrLocked: another process holds the box's directory.
	ErrLocked = errors.New("election: ballot box directory is in use")
)
