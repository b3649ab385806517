// Package prover makes and stores the keys of zkvote's statements and proves
// them: membership, ballots and tally batches, each named by a value of
// package statement ([statement.Membership], [statement.Vote],
// [statement.Tally]).
//
// One type, [Keys], holds the proving and verifying keys of any statement.
// Keys come three ways:
//   - a development setup, [SetupInsecure], or [OpenInsecure] with a cache
//     directory: single-party toxic waste, for tests, demos and examples
//     only;
//   - a multi-party Groth16 ceremony on gnark's mpcsetup ([NewCeremony] for
//     the coordinator, [Contribute] for each contributor), for production
//     keys of any statement;
//   - PLONK from a KZG structured reference string ([SetupPLONK], with
//     [ReadSRS] and [LagrangeSRS]), a universal setup.
//
// [Keys.WriteFiles] stores keys as files that carry the circuit's name and
// digest, the gnark version and a SHA-256 of the body; [Load] reads them:
// [Checked] for keys received from elsewhere, [Trusted] only for files this
// machine wrote. A mismatched or damaged file is an error ([ErrStaleKey],
// [ErrCorrupt]), never trusted; the file's whole layout is checked before
// gnark decodes it.
//
// [Keys.Prove] proves a statement from a witness built with package
// circuits ([NewMembershipWitness] builds one for a membership proof from an
// identity and a tree proof). The two roles of an election have their own
// functions: [Cast] builds a citizen's ballot (an [election.Ballot]) on
// their device, and [ProveTally] proves the tally of a ballot log in
// batches.
//
// Where the prover has one thread, as Go compiled to WebAssembly has in a
// browser, [Keys.WithHelper] hands the costliest parts of each Groth16
// proof to a [Helper] on another thread (in a browser, a second Web
// Worker running package msm), which makes a proof about twice as fast.
//
// Most users want [OpenInsecure] in a demo, keys from a ceremony in
// production, and [Cast] on the citizen's device.
//
// # Security
//
// Whoever knows a Groth16 setup's toxic waste can forge proofs: ballots for
// non-citizens, extra ballots and false tallies. The insecure setups keep it
// in this process's memory while they run; a ceremony is sound if at least
// one contributor in each phase destroyed their randomness. An election
// needs trustworthy vote and tally keys: [election.Params] pin both.
//
// gnark logs every proof at debug level on its global logger; this package
// leaves it alone (call gnark's logger.Disable to silence it).
//
// # Cost
//
// Constraint counts are in each circuit's documentation in package circuits.
// Proving and key-loading times are measured by the benchmarks; see the
// benchmark table in the module's README.
package prover
