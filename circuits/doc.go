// Package circuits holds zkvote's gnark circuit definitions and the in-circuit
// gadgets they share.
//
// [Membership] is Semaphore's statement, "I am in this citizen tree, this is
// my nullifier in this scope, and I attach this message", for trees of any
// depth up to a compiled maximum. Most users want it through package prover.
//
// Every gadget here has a native counterpart over fr.Element elsewhere in the
// module, built from the same constants, and is tested against it: [Hasher]
// mirrors internal/poseidon2, [LeanIMT] mirrors membership.Proof.
//
// # Security
//
// Each soundness constraint (boolean path bits, bounded length, nonzero
// root, node/leaf domain separation, public inputs in multiplications) has a
// test that switches it off and shows a forged witness then passes.
//
// This package imports only gnark's frontend and std packages, zkvote's
// internal parameters and gnark-crypto's field type (to assemble witnesses);
// it never imports a backend, the prover or the verifier.
package circuits
