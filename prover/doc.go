// Package prover compiles zkvote's circuits, makes and stores their keys, and
// proves statements: most users want [SetupMembershipInsecure] in tests and
// demos, [OpenMembershipKeys] with a cache directory in applications, and
// [MembershipKeys.Prove].
//
// # Security
//
// [SetupMembershipInsecure] runs Groth16's setup in this process: whoever
// ran it could forge proofs. It is for tests and demos only. Production keys
// come from a multi-party ceremony, in which one honest contributor suffices.
//
// # Cost
//
// At depth 20 the membership circuit has 5,078 R1CS constraints; proving
// takes about 0.1 s on the reference machine (README).
package prover
