// Package election is the verifying side of zkvote's one-person-one-vote
// elections over a citizen tree: parameters and ballot rules ([Params],
// [Rules]), anonymous ballots ([Ballot]), open or secret, a ballot box that
// counts each citizen once and keeps a durable public log, a transparency
// log whose checkpoints the election's witnesses cosign ([Box]), receipts
// a voter checks offline ([VerifyReceipt]), and an audit anyone can run
// from the published log ([AuditLog], [AuditSecretLog], [Audit],
// [AuditSecret]).
//
// It only verifies. Ballots are built on the citizen's device with
// prover.Cast, and tallies are proven with prover.ProveTally; this package
// never links the prover, gnark's constraint compilers or its multi-party
// setup, so a ballot box or an auditor stays small.
//
// Most users want [Params] and [OpenBox] on the organiser's server and
// [Audit] for anyone checking the result. [Box.Close] only releases the
// box's files and goroutines and is safe to defer; [Box.End] ends the
// election for good by writing a durable close entry, after which the box
// accepts no ballot.
//
// # Trust model
//
// A ballot proves, without saying who cast it, that its voter is in an
// accepted census tree, that its nullifier is that voter's for this
// election's scope, and that its votes obey the rules. The box refuses a
// second ballot with the same nullifier, however its bytes differ, and
// acknowledges a ballot only once it is durable in the log.
//
// A tally proof, alone, proves that its results are the sum of the votes
// hashed into the log's chain up to its final head, with no ballot dropped,
// added, duplicated or reordered and the first batch starting from zero. It
// does not prove that the ballots in the chain were valid or cast by distinct
// citizens. The audit adds exactly that: it re-verifies every ballot's proof
// (batched), checks every nullifier is unique and every ballot is for this
// election, rules and an accepted root, and recomputes the chain the tally
// proofs must match. With the log, the parameters and the verifying keys,
// anyone can audit; nobody needs to trust the box except to publish its log.
//
// The log itself is a C2SP tlog-tiles transparency log (kept by Trillian
// Tessera) with checkpoints the box signs and the witnesses the parameters
// name cosign: a box that showed two histories, or dropped a ballot it
// acknowledged and proved ([Box.Prove]), would need a quorum of witnesses to
// lie with it, or be caught with signed evidence.
//
// The keys must come from a ceremony: whoever knows a setup's toxic waste
// can forge ballots and tallies. [Params] pin the vote and tally verifying
// keys, and the box, the tally prover and the audit refuse any other
// ([ErrKeyMismatch]).
//
// The registrar is trusted to admit only citizens, each once. The census is
// explicit per election: [Params.Census] lists tree heads of one census
// epoch, so each citizen has exactly one commitment, and so one ballot
// nullifier, under all of them. A member removed after a head was accepted
// can still vote under it; a member who rotated a key after it votes only
// with the commitment the census holds. Check a census with
// membership.Tree.CheckHeads or, from the published commitments, with
// [Params.CheckCensus].
//
// A [Receipt] names a ballot by what the log's chain covers (position,
// nullifier, votes, head), never by proof bytes, which anyone can
// re-randomise; [Log.CheckReceipt] checks one against an exported log.
//
// In an open election votes are public in each ballot and only voters are
// hidden: the box sees running totals, and it sees when and from where each
// ballot arrives. See SECURITY.md in the module for the full threat model
// and its limits.
//
// # Secret ballots
//
// With [Params.Secret] set ([SecretMode], from the trustees' key
// generation in package trustee), ballots are secret too: each carries its
// votes encrypted with exponential ElGamal under the trustees' t-of-n
// election key, and its proof (statement.SecretVote) shows that the
// ciphertexts, which it binds by a hash, encrypt votes that obey the rules.
// A citizen may vote again: a ballot with a higher counter replaces the
// earlier one, and a ballot whose counter is not above the latest is
// refused ([ErrStaleBallot]), so an old ballot cannot be replayed. The box
// never sees a vote: its [Results] show the number of ballots and of
// voters and the encrypted sum of each voter's latest ballot.
//
// After [Box.End], the box publishes its final chain head; each trustee
// audits the exported log, checks that it ends at that head, and publishes
// a partial decryption of the sum with proofs ([PartialDecrypt], which
// decrypts at most one sum per election key for each trustee); any
// threshold of valid shares decrypt the totals, and [AuditSecret] checks
// everything from public material: every ballot, the counters, the sum,
// every share (a bad one is named and skipped) and the totals. No tally
// proof is needed.
//
// What re-voting gives and does not: the contents of every ballot stay
// secret, and only a voter's latest ballot counts; but anyone who knows a
// citizen's nullifier sees that they voted again, and a coercer who watches
// the voter cast their last ballot gets the vote they want. This is not
// coercion resistance in the sense of JCJ. The trustees, t of them
// together, could decrypt any single ballot: they are trusted not to
// collude.
//
// # Cost
//
// Box throughput and audit cost per ballot are measured by the benchmarks;
// see the benchmark table in the module's README.
package election
