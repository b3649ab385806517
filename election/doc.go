// Package election runs one-person-one-vote elections over a citizen tree:
// parameters and ballot rules, anonymous ballots, a ballot box that accepts
// each citizen once and keeps a hash-chained public log, and tallies anyone
// can check.
//
// Most users want [Params] to open an election, a ballot box on the
// organiser's server, and the audit function for anyone checking the result.
package election
