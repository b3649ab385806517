// Package verifier checks zkvote proofs, Groth16 or PLONK over BN254, from a
// verifying key alone: strict decoding of proofs, public signals and keys,
// [Verify], batch verification ([VerifyBatch]) and export of a Groth16
// verifier as a Solidity contract ([ExportSolidity]). It is small on purpose
// and never links the prover, a zkvote circuit or gnark's constraint
// compilers: an auditor or a ballot box deploys it alone.
//
// Untrusted bytes never reach a gnark decoder unchecked. A [Proof] is parsed
// by this package: exact length for its backend, every curve point on the
// curve, in the right subgroup and in its one canonical compressed encoding,
// no trailing bytes, and every public signal a canonical field element below
// r. (gnark's own Proof.ReadFrom trusts a length header: 132 crafted bytes
// make it try to allocate 256 GiB and kill the process.) A [VerifyingKey]
// file's whole layout is walked before gnark decodes it: every point slot
// in compressed form (an uncompressed point would move every later length
// word gnark trusts), every length and version word at its one allowed
// value, nothing trailing; PLONK keys only in gnark's versioned layout.
// Decoded keys are checked too: no Groth16 key point at infinity, and a
// PLONK key's precomputed pairing lines and domain values equal to what they
// derive from.
//
// [Verify] returns nil or [ErrInvalidProof], one deliberately vague sentinel;
// malformed input returns a distinct error wrapping [ErrMalformed], and a
// proof made for another key [ErrKeyMismatch].
//
// Most users want [ParseVerifyingKey] once and [ParseProof] + [Verify] per
// proof, or [VerifyBatch] for many proofs under one key.
//
// # Security
//
// Proof bytes are not unique in Groth16: (r·A, r⁻¹·B, C) is another valid
// proof of the same statement. Never use proof bytes as an identifier; one
// statement's uniqueness comes from its nullifier. SECURITY.md in the module
// lists the facts about gnark this package is built around and the bad
// inputs it is tested against.
package verifier
