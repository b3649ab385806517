package membership_test

import (
	"context"
	"fmt"
	"os"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/membership"
)

func Example() {
	// A registrar keeps the citizen tree on disk.
	dir, _ := os.MkdirTemp("", "registry")
	defer os.RemoveAll(dir)
	tree, err := membership.OpenTree(context.Background(), dir, nil)
	if err != nil {
		panic(err)
	}

	// Each citizen creates an identity and hands over only its commitment.
	var alice *membership.Identity
	for i := range 5 {
		id, err := membership.GenerateIdentity()
		if err != nil {
			panic(err)
		}
		if i == 2 {
			alice = id
		}
		if _, err := tree.Insert(id.Commitment()); err != nil {
			panic(err)
		}
	}
	tree.Close()

	// Reopened later, the registry is exactly as it was.
	tree, err = membership.OpenTree(context.Background(), dir, nil)
	if err != nil {
		panic(err)
	}
	defer tree.Close()
	i, _ := tree.IndexOf(alice.Commitment())
	proof, _ := tree.Proof(i)
	fmt.Println("citizens:", tree.Size())
	fmt.Println("depth:", tree.Depth())
	fmt.Println("alice's proof verifies:", proof.Verify(tree.Root()) == nil)
	// Output:
	// citizens: 5
	// depth: 3
	// alice's proof verifies: true
}

func ExampleIdentity_Encrypt() {
	seed := make([]byte, membership.SeedSize) // use GenerateIdentity for real citizens
	id, _ := membership.NewIdentityFromSeed(seed)
	file, _ := id.Encrypt([]byte("a long passphrase"), nil)

	back, err := membership.DecryptIdentity(file, []byte("a long passphrase"))
	fmt.Println(err == nil && back.Commitment() == id.Commitment())
	_, err = membership.DecryptIdentity(file, []byte("a wrong guess"))
	fmt.Println(err)
	// Output:
	// true
	// membership: wrong passphrase or tampered identity file
}

func ExampleParseCommitment() {
	seed := make([]byte, membership.SeedSize)
	id, _ := membership.NewIdentityFromSeed(seed)
	text := id.Commitment().String() // what a citizen sends to the registrar
	c, err := membership.ParseCommitment(text)
	fmt.Println(err == nil && c == id.Commitment())
	_, err = membership.ParseCommitment("0x00")
	fmt.Println(err != nil)
	// Output:
	// true
	// true
}

func ExampleIdentity_Nullifier() {
	seed := make([]byte, membership.SeedSize)
	id, _ := membership.NewIdentityFromSeed(seed)
	var referendum, budget fr.Element
	referendum.SetUint64(1)
	budget.SetUint64(2)
	a, b := id.Nullifier(referendum), id.Nullifier(referendum)
	c := id.Nullifier(budget)
	fmt.Println("same scope, same nullifier:", a.Equal(&b))
	fmt.Println("other scope, unlinkable:", !a.Equal(&c))
	// Output:
	// same scope, same nullifier: true
	// other scope, unlinkable: true
}

func ExampleTree_Proof() {
	tree := membership.NewTree(nil)
	for i := range 3 {
		seed := make([]byte, membership.SeedSize)
		seed[0] = byte(i)
		id, _ := membership.NewIdentityFromSeed(seed)
		tree.Insert(id.Commitment())
	}
	// Leaf 2 has no sibling at the bottom level: it is promoted, so its
	// proof has one hashed level, not two.
	p, _ := tree.Proof(2)
	fmt.Println("length:", len(p.Siblings), "bits:", p.PathBits)
	fmt.Println(p.Verify(tree.Root()) == nil)
	// Output:
	// length: 1 bits: [true]
	// true
}
