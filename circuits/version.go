package circuits

// Version is the version of zkvote's statements. It changes whenever the
// constraints of any circuit change, and it is part of every circuit's name
// (see package prover), so keys and cached constraint systems made for
// another version are stale and never silently reused: a key cached before
// an upgrade would otherwise keep proving the old statement.
//
// Version 2 added the leaf hash (a registered value can no longer be an
// internal node of a longer path) and the ballot nullifier's own tag.
// testdata/digests.txt pins the compiled form of small instances of every
// circuit; a test fails when one changes while Version does not.
const Version = 2
