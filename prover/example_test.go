package prover_test

import (
	"context"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// Example proves membership anonymously on a tiny tree and verifies it with
// the verifying key alone.
func Example() {
	ctx := context.Background()
	keys, err := prover.SetupInsecure(ctx, statement.Membership(4)) // tests and demos only
	if err != nil {
		panic(err)
	}

	tree := membership.NewTree(nil)
	var alice *membership.Identity
	for i := range 5 {
		id, _ := membership.GenerateIdentity()
		tree.Insert(id.Commitment())
		if i == 3 {
			alice = id
		}
	}
	i, _ := tree.IndexOf(alice.Commitment())
	path, _ := tree.Proof(i)

	var scope, message fr.Element
	scope.SetUint64(2026) // one poll
	message.SetUint64(1)  // "yes"
	witness, err := prover.NewMembershipWitness(alice, path, scope, message)
	if err != nil {
		panic(err)
	}
	proof, err := keys.Prove(ctx, witness)
	if err != nil {
		panic(err)
	}

	// The verifier needs only the key file and the proof bytes.
	vk, _ := verifier.ParseVerifyingKey(keys.VerifyingKey().Bytes())
	received, _ := verifier.ParseProof(proof.Bytes())
	fmt.Println("verified:", verifier.Verify(vk, received) == nil)
	nullifier := alice.Nullifier(scope)
	public, _ := statement.ParseMembership(received.Public) // public inputs by name
	fmt.Println("nullifier matches:", public.Nullifier.Equal(&nullifier))
	fmt.Println("proof bytes:", len(received.Data))
	// Output:
	// verified: true
	// nullifier matches: true
	// proof bytes: 164
}
