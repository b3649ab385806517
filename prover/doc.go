// Package prover compiles zkvote's circuits, makes and stores their keys, and
// proves statements: membership ([MembershipKeys]), ballots ([VoteKeys]) and
// tally batches ([TallyKeys]).
//
// Keys come three ways:
//   - a development setup, [SetupMembershipInsecure] and its siblings, or
//     [OpenMembershipKeysInsecure] with a cache directory: single-party
//     toxic waste, for tests, demos and examples only;
//   - a multi-party Groth16 ceremony ([NewCeremony], [Contribute]) on
//     gnark's mpcsetup, for production keys of any circuit: name it with
//     [MembershipCircuit], [VoteCircuit] or [TallyCircuit], seal it into
//     [Keys] and take the typed keys with [Keys.Membership], [Keys.Vote] or
//     [Keys.Tally];
//   - PLONK from a KZG structured reference string ([SetupPLONK],
//     [ReadSRS], [LagrangeSRS]), a universal setup.
//
// An election needs trustworthy vote and tally keys: election.Params pin
// both, and whoever ran a development setup can forge ballots and results.
//
// Key files ([MembershipKeys.WriteFiles], [LoadMembershipKeys]) carry the
// circuit's name and digest, the gnark version and a SHA-256 of the body; a
// mismatched or damaged file is an error ([ErrStaleKey], [ErrCorruptKey]),
// never trusted. Loading as [Trusted] skips curve checks (about 5 ms instead
// of 110 ms at depth 20) for files this machine wrote.
//
// Most users want [OpenMembershipKeysInsecure] in a demo, keys from a
// ceremony in production, and [MembershipKeys.Prove].
//
// # Security
//
// Whoever knows a Groth16 setup's toxic waste can forge proofs. The
// insecure setups keep it in this process's memory while they run; a
// ceremony is sound if at least one contributor in each phase destroyed
// their randomness.
//
// gnark logs every proof at debug level on its global logger; this package
// leaves it alone (call gnark's logger.Disable to silence it).
//
// # Cost
//
// Constraint counts are in each circuit's documentation in package circuits;
// proving times on the reference machine are in the README's benchmark
// table, which the benchmarks generate.
package prover
