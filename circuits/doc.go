// Package circuits holds zkvote's gnark circuit definitions and the in-circuit
// gadgets they share.
//
// Every gadget here has a native counterpart over fr.Element elsewhere in the
// module, built from the same constants, and is tested against it: [Hasher]
// mirrors internal/poseidon2.
//
// This package imports only gnark's frontend and std packages and zkvote's
// internal parameters; it never imports a backend, the prover or the verifier.
package circuits
