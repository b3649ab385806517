package verifier_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// Example verifies an anonymous membership proof with nothing but the
// verifying-key file and the proof bytes, and reads its public inputs by
// name.
func Example() {
	// Whoever sets up the statement publishes the verifying-key file (a
	// development setup here; see package prover for real ones).
	ctx := context.Background()
	keys, err := prover.SetupInsecure(ctx, statement.Membership(4))
	if err != nil {
		panic(err)
	}
	keyFile := keys.VerifyingKey().Bytes()

	// A citizen proves membership of a small census.
	tree := membership.NewTree(nil)
	var citizen *membership.Identity
	for range 6 {
		id, _ := membership.GenerateIdentity()
		tree.Insert(id.Commitment())
		citizen = id
	}
	i, _ := tree.IndexOf(citizen.Commitment())
	path, _ := tree.Proof(i)
	var scope, message fr.Element
	scope.SetUint64(7)
	message.SetUint64(1)
	w, _ := prover.NewMembershipWitness(citizen, path, scope, message)
	made, err := keys.Prove(ctx, w)
	if err != nil {
		panic(err)
	}
	proofBytes := made.Bytes()

	// The verifier's side: bytes in, strict decoding, one call to verify.
	vk, err := verifier.ParseVerifyingKey(keyFile)
	if err != nil {
		panic(err)
	}
	proof, err := verifier.ParseProof(proofBytes)
	if err != nil {
		panic(err)
	}
	fmt.Println("statement:", vk.Circuit())
	fmt.Println("verified:", verifier.Verify(vk, proof) == nil)
	pub, _ := statement.ParseMembership(proof.Public)
	root := tree.Root()
	fmt.Println("under the census root:", pub.Root.Equal(&root))

	// Any change to a public input is refused with ErrInvalidProof.
	pub.Message.SetUint64(2)
	forged := *proof
	forged.Public = pub.Vector()
	fmt.Println("changed message refused:", errors.Is(verifier.Verify(vk, &forged), verifier.ErrInvalidProof))
	// Output:
	// statement: membership/v3/depth=4
	// verified: true
	// under the census root: true
	// changed message refused: true
}
