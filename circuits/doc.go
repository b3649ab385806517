// Package circuits holds zkvote's gnark circuit definitions, the in-circuit
// gadgets they share, and the witnesses that build a statement's assignment.
//
// There is one circuit per statement kind of package statement:
//   - [Membership] is Semaphore's statement, "I am in this citizen tree, this
//     is my nullifier in this scope, and I attach this message", for trees
//     of any depth up to a compiled maximum;
//   - [Vote] is membership with the ballot nullifier, plus the election's
//     ballot rules;
//   - [SecretVote] is a vote whose values stay private, encrypted to the
//     election's trustees with exponential ElGamal, two options per
//     ciphertext by default;
//   - [Tally] proves one batch of a ballot log's tally.
//
// [New] returns the circuit of a statement (package statement names it
// with its sizes), and [Assign] the full assignment of a [Witness]
// ([MembershipWitness], [VoteWitness], [SecretVoteWitness] or
// [TallyWitness]) together with the public inputs it proves. Each circuit's
// documentation lists its public inputs in order and its constraint count
// per backend; package statement names the public inputs, and circuit names
// carry the statement version, so a change of constraints never reuses old
// keys. Most users want these
// circuits through package prover (keys, proving, prover.Cast and
// prover.ProveTally).
//
// Every gadget here has a native counterpart over fr.Element elsewhere in the
// module, built from the same constants, and is tested against it: [Hasher]
// mirrors internal/poseidon2, [LeanIMT] mirrors membership.Proof, [Edwards]
// mirrors package trustee's group and the secret ballot's encryption
// mirrors trustee.EncryptWith.
//
// # Security
//
// Every public input enters a multiplication of its own ([BindPublic]):
// under Groth16 a public input that is unused or used only linearly could be
// changed after proving. Each soundness constraint (boolean path bits,
// bounded length, nonzero root, leaf and node domain separation, public
// inputs in multiplications, vote and rule ranges, tally count and padding,
// the ciphertexts' hash, the encryption key on the curve and the
// randomness bits) has a test that switches it off and shows a forged
// witness then passes. See SECURITY.md in the module.
//
// # Cost
//
// The secret ballot is built to stay below 2^14 R1CS constraints at depth
// 20 with 8 options, so that its Groth16 prover works on an FFT domain of
// 16,384:
//   - packed by two (the default), 15,424: four ciphertexts, about 1,150
//     per option more than the open vote circuit;
//   - one ciphertext per option, 22,410: about 2,030 per option;
//   - gnark's std twisted Edwards scalar multiplication, which needs a
//     BSB22 commitment in the keys, about 90,000;
//   - Vocdoni's DAVINCI ballot circuit, in circom, about 69,000.
//
// What makes the difference: the randomness read in signed 2-bit windows
// whose products select both the constants of C1 = k·G and the points of
// k·Key; a table of the key's multiples built once per ballot (so k·Key
// takes no doubling); the windows summed on the curve's Montgomery form,
// whose incomplete addition costs 3 constraints against the Edwards law's
// 6 and provably never meets its exceptions there (elgamal.go), with the
// complete law only for the top digit; the votes' range-check bits reused
// as the plaintext's bits; two votes per plaintext; and the ciphertexts
// hashed by a width-12 Poseidon2 chain, 459 constraints per 11
// coordinates against 216 per coordinate for the width-2 chain.
//
// This package imports only gnark's frontend and std packages, zkvote's
// statement, trustee and internal parameters, and gnark-crypto's field and
// curve types (to assemble witnesses and build constants); it never imports a backend, the prover or the
// verifier.
package circuits
