// Package membership implements zkvote's citizen registry: identities,
// their commitments and nullifiers, and durable Merkle citizen trees.
//
// An [Identity] is a 32-byte seed; its secret is HKDF-SHA256 of the seed
// reduced into the BN254 scalar field, its public [Commitment] is
// Poseidon2(TagIdentity, secret), its membership nullifier in a scope is
// Poseidon2(TagNullifier, secret, scope) and its ballot nullifier in an
// election's scope Poseidon2(TagVoteNullifier, secret, scope). A registrar
// inserts commitments into a [Tree], a Lean Incremental Merkle Tree with the
// semantics of Semaphore v4's LeanIMT whose leaves are Leaf(c) =
// Poseidon2(TagLeaf, c); a citizen later proves membership from a tree
// [Proof] without revealing which leaf is theirs (packages circuits and
// prover). [Proof.Verify] checks a tree proof natively against a root.
//
// Most users want [GenerateIdentity] on the citizen's device,
// [Identity.Encrypt] to keep it, and [OpenTree] at the registrar.
//
// This package imports no gnark: a registrar needs no SNARK code.
//
// # Security
//
// Whoever holds an identity's seed can vote as that citizen; the saved form
// is sealed with argon2id and XChaCha20-Poly1305. Commitments and roots are
// parsed strictly (canonical, below r, never zero).
//
// What a registrant controls is the value they register: any non-zero field
// element below r. A registrar cannot tell Poseidon2(TagIdentity, s) from any
// other value, and a membership proof's path length is private. If the tree
// stored commitments bare at level 0, a registrant could register the root
// of a private tree of their own identities and prove, for each of them, a
// longer path that runs through that private tree and on along the
// registered value's real path: one registration, one nullifier per hidden
// identity (up to 2^19 at depth 20). The tree therefore stores Leaf(c) =
// Poseidon2(TagLeaf, c), and the circuit starts from Leaf of the prover's
// commitment: every level-0 value is an output of Poseidon2(TagLeaf, ·),
// every value above it an output of Node(l, r) = Compress(l, r) + TagNode,
// so a registered value can be neither an internal node of a longer path nor
// a leaf of a shorter one without a collision between the two functions.
//
// Removing or rotating a member changes the census: the old commitment still
// proves against roots from before the change, the new one against roots
// after it. Every [Tree.Update] and [Tree.Remove] therefore starts a new
// census epoch ([Tree.Epoch]); within an epoch the tree only grows, so its
// roots are roots of prefixes of one list and no citizen holds two
// commitments under them. An election accepts heads ([Head]: size and root)
// of one epoch only: [Tree.CheckHeads] checks a set against the tree and
// [VerifyHeads] against the published list of commitments. [Tree.KnownRoot]
// knows only roots of the current epoch.
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
// A tree of n leaves keeps every level in memory: about 64·n bytes of nodes,
// 32·n bytes of commitments and about 50·n bytes for the commitment index.
// [Tree.Insert] costs depth+1 Poseidon2 compressions; [Tree.InsertMany]
// about 2·n, spread over all cores; opening a snapshot recomputes every
// node, about 2·n compressions too. Trees beyond about 2^26 leaves need more
// memory than a commodity machine has. For measured times (the Compress,
// Insert, InsertMany and Reopen rows) and how the design scales, see the
// benchmark table in the module's README.
package membership
