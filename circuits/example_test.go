package circuits_test

import (
	"context"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/test"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/statement"
)

// ExampleAssign builds the membership circuit of a small census and its
// assignment for one citizen, and checks it with gnark's test engine (no
// keys needed): the citizen's witness satisfies every constraint, another
// secret does not.
func ExampleAssign() {
	tree := membership.NewTree(nil)
	var ids []*membership.Identity
	for range 5 {
		id, _ := membership.GenerateIdentity()
		tree.InsertMany(context.Background(), []membership.Commitment{id.Commitment()})
		ids = append(ids, id)
	}
	path, _ := tree.Proof(2)

	s := statement.Membership(4)
	shape, err := circuits.New(s)
	if err != nil {
		panic(err)
	}
	w := &circuits.MembershipWitness{
		Root: path.Root, Secret: ids[2].Secret(), Siblings: path.Siblings, PathBits: path.PathBits,
	}
	w.Scope.SetUint64(2026)
	assignment, public, err := circuits.Assign(s, w)
	if err != nil {
		panic(err)
	}
	field := ecc.BN254.ScalarField()
	fmt.Println("public inputs:", len(public), "=", s.NbPublic())
	fmt.Println("citizen solves:", test.IsSolved(shape, assignment, field) == nil)

	w.Secret = ids[3].Secret() // not the holder of leaf 2
	forged, _, _ := circuits.Assign(s, w)
	fmt.Println("another secret solves:", test.IsSolved(shape, forged, field) == nil)

	nullifier := ids[2].Nullifier(fr.NewElement(2026))
	pub, _ := statement.ParseMembership(public)
	fmt.Println("nullifier is the identity's:", pub.Nullifier.Equal(&nullifier))
	// Output:
	// public inputs: 4 = 4
	// citizen solves: true
	// another secret solves: false
	// nullifier is the identity's: true
}
