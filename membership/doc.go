// Package membership implements zkvote's citizen registry: identities,
// their commitments and nullifiers, and durable Merkle citizen trees.
//
// An [Identity] is a 32-byte seed; its secret is HKDF-SHA256 of the seed
// reduced into the BN254 scalar field, its public [Commitment] is
// Poseidon2(TagIdentity, secret), and its nullifier in a scope (an election)
// is Poseidon2(TagNullifier, secret, scope). A registrar inserts commitments
// into a [Tree], a Lean Incremental Merkle Tree with the semantics of
// Semaphore v4's LeanIMT; a citizen later proves membership from a tree
// [Proof] without revealing which leaf is theirs (package circuits).
//
// Most users want [GenerateIdentity] on the citizen's device,
// [Identity.Encrypt] to keep it, and [OpenTree] at the registrar.
//
// # Security
//
// Whoever holds an identity's seed can vote as that citizen; the saved form
// is sealed with argon2id and XChaCha20-Poly1305. Commitments and roots are
// parsed strictly (canonical, below r, never zero). Merkle nodes are
// domain-separated from every tagged hash, so an internal node cannot pose as
// an identity commitment. Removing a member zeroes its leaf, but proofs
// against earlier roots stay valid: an election must pin the roots it
// accepts ([Tree.KnownRoot] is a convenience, not a policy).
//
// # Durability
//
// A tree opened with [OpenTree] logs each change and fsyncs it before the
// call returns and before any reader sees the new root; snapshots bound the
// log. A crash loses at most unacknowledged changes; damaged files are an
// error wrapping [ErrCorrupt], never a silently different root.
//
// # Cost
//
// A tree of n leaves keeps every level in memory: about 64·n bytes of nodes
// plus about 50·n bytes for the commitment index. One Poseidon2 compression
// costs about 5.6 µs on one core of the reference machine (README), so
// Insert costs depth·5.6 µs and InsertMany about 5.6·n µs spread over all
// cores. Trees beyond about 2^26 leaves need more memory than a commodity
// machine has; see the README for how the design scales.
package membership
