// Package circuits holds zkvote's gnark circuit definitions, the in-circuit
// gadgets they share, and the witnesses that build a statement's assignment.
//
// There is one circuit per statement kind of package statement:
//   - [Membership] is Semaphore's statement, "I am in this citizen tree, this
//     is my nullifier in this scope, and I attach this message", for trees
//     of any depth up to a compiled maximum;
//   - [Vote] is membership with the ballot nullifier, plus the election's
//     ballot rules;
//   - [Tally] proves one batch of a ballot log's tally.
//
// [New] returns the circuit of a statement (package statement names it
// with its sizes), and [Assign] the full assignment of a [Witness]
// ([MembershipWitness], [VoteWitness] or [TallyWitness]) together with the
// public inputs it proves. Each circuit's documentation lists its public
// inputs in order and its constraint count per backend; package statement
// names the public inputs, and circuit names carry the statement version, so
// a change of constraints never reuses old keys. Most users want these
// circuits through package prover (keys, proving, prover.Cast and
// prover.ProveTally).
//
// Every gadget here has a native counterpart over fr.Element elsewhere in the
// module, built from the same constants, and is tested against it: [Hasher]
// mirrors internal/poseidon2, [LeanIMT] mirrors membership.Proof.
//
// # Security
//
// Every public input enters a multiplication of its own ([BindPublic]):
// under Groth16 a public input that is unused or used only linearly could be
// changed after proving. Each soundness constraint (boolean path bits,
// bounded length, nonzero root, leaf and node domain separation, public
// inputs in multiplications, vote and rule ranges, tally count and padding)
// has a test that switches it off and shows a forged witness then passes.
// See SECURITY.md in the module.
//
// This package imports only gnark's frontend and std packages, zkvote's
// statement and internal parameters, and gnark-crypto's field type (to
// assemble witnesses); it never imports a backend, the prover or the
// verifier.
package circuits
