// Package evm puts zkvote's ballots and results on an EVM chain: the
// Groth16 verifiers that verifier.ExportSolidity makes from an election's
// keys, and ZkVoteDAO, a reference DAO contract that opens proposals (each
// one zkvote election), takes ballots with the checks zkvote's ballot box
// makes, and records results. It holds the compiled contract (built with a
// pinned solc, see the module's README) and builds the calldata of each
// call from zkvote's own values; deploying and sending transactions is left
// to go-ethereum or any other client.
//
// The DAO takes ballots of the default sizes, statement.Vote(20, 8) and
// statement.SecretVote(20, 8, 2), and tally proofs of statement.Tally(b, 8)
// for any batch size b. A proposal's ID is its election's ElectionID, and
// the contract's deployment ID is every proposal's DeploymentID, so a
// ballot of one proposal or one contract is refused by every other.
//
// Most users want [DAO] to deploy the contract, [OpenCalldata] for each
// proposal, [CastCalldata] for each ballot and [TallyCalldata] for the
// result, after [AdvanceTallyCalldata] for all but the last
// [MaxTallyProofs] tally proofs when there are more.
//
// # Security
//
// The contract checks a ballot as election.Box.Submit does (scope, digest,
// mode, rules, accepted root, a secret ballot's ciphertexts against the
// hash its proof binds, open proposal, nullifier or counter, proof) and
// keeps the ballot log's chain head itself (Poseidon2 for open ballots,
// SHA-256 for secret ones), so an open result is recorded only with tally
// proofs of exactly the ballots it took, and a secret ballot's event holds
// the ciphertexts the trustees sum. It does not recompute the parameters'
// digest, trusts its organiser for the census roots, the election key, the
// close (there is no deadline) and a secret result (within the bounds the
// rules set), and cannot tell whether another contract shares its
// deployment ID. The README lists these limits in full, and the review
// that found the attacks in the tests.
//
// # Cost
//
// Gas is measured in go-ethereum's EVM by BenchmarkGas; the README quotes
// the table.
package evm
