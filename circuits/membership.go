package circuits

import (
	"github.com/consensys/gnark/frontend"

	"github.com/netstate/zkvote/internal/poseidon2"
)

// Membership proves "I know the secret of a commitment in the citizen tree
// with root Root, my nullifier in Scope is Nullifier, and I attach Message",
// without revealing which commitment.
//
// Public inputs, in order (statement.MembershipPublic): Root, Nullifier,
// Scope, Message.
// Private inputs: Secret and the tree path (siblings, path bits, length).
//
// It asserts: leaf = Leaf(Hash(TagIdentity, Secret)), that is the tree leaf
// of the prover's commitment; the LeanIMT path from leaf of any length up to
// the maximum depth leads to Root; Root ≠ 0; Nullifier = Hash(TagNullifier,
// Secret, Scope); and every public input enters a multiplication of its own,
// so Groth16 cannot let it change after proving.
//
// # Security
//
// A registrar accepts any non-zero field element as a commitment and cannot
// tell Hash(TagIdentity, s) from a Merkle node. The path length is private,
// so if level 0 held bare commitments an attacker could register the root of
// a private subtree of their own identities and prove a longer path through
// it for each of them: up to 2^(depth − 1) nullifiers from one registration.
// The tree therefore stores Leaf(c) = Hash(TagLeaf, c) for each registered c,
// and this circuit starts every path from Leaf of the prover's commitment.
// Every value at level 0 is then an output of Hash(TagLeaf, ·) and every
// value above it an output of Node (Compress(l, r) + TagNode), so a
// registered value can never serve as an internal node of a longer path
// without a collision between the two. The step costs one compression.
//
// The nullifier's tag is TagNullifier, distinct from the ballot nullifier of
// [Vote] (TagVoteNullifier): a membership proof requested with an election's
// scope reveals nothing about the citizen's ballot.
//
// The circuit is compiled once per maximum depth: [New] of
// statement.Membership(depth).
//
// # Cost
//
//	depth   Groth16 (R1CS)   PLONK (SCS)
//	10      3,084            5,019
//	16      4,410            7,191
//	20      5,294            8,639
//	32      7,946            12,983
//
// Each level costs one Poseidon2 compression (216 R1CS constraints) and five
// more for the bit, the selection and the length; the leaf hash costs one
// compression; testdata/constraints.txt
// holds the counts and a test fails when they drift.
type Membership struct {
	Root      frontend.Variable `gnark:",public"`
	Nullifier frontend.Variable `gnark:",public"`
	Scope     frontend.Variable `gnark:",public"`
	Message   frontend.Variable `gnark:",public"`

	Secret frontend.Variable
	Path   LeanIMT

	off guard // test-only: guards switched off
}

// newMembership returns the circuit shape for trees of depth at most
// maxDepth, checked by the caller ([New]).
func newMembership(maxDepth int) *Membership {
	return &Membership{Path: NewLeanIMT(maxDepth)}
}

// Define implements frontend.Circuit.
func (c *Membership) Define(api frontend.API) error {
	h, err := NewHasher(api)
	if err != nil {
		return err
	}
	if err := assertMember(api, h, c.Secret, &c.Path, c.Root, poseidon2.TagNullifier, c.Nullifier, c.Scope, c.off); err != nil {
		return err
	}
	if c.off&guardPublicSquares == 0 {
		BindPublic(api, c.Root, c.Nullifier, c.Scope, c.Message)
	}
	return nil
}

// assertMember asserts that the leaf of secret's commitment is in the tree
// with root along path, and that nullifier is Hash(tag, secret, scope).
func assertMember(api frontend.API, h *Hasher, secret frontend.Variable, path *LeanIMT, root frontend.Variable, tag poseidon2.Tag, nullifier, scope frontend.Variable, off guard) error {
	leaf := h.hash(poseidon2.TagIdentity, secret)
	if off&guardLeafTag == 0 {
		leaf = h.Leaf(leaf)
	}
	if err := path.assertRoot(api, h, leaf, root, off); err != nil {
		return err
	}
	api.AssertIsEqual(h.hash(tag, secret, scope), nullifier)
	return nil
}

// BindPublic puts each value in a multiplication of its own (v·v). Under
// Groth16 a public input that no constraint uses, or that is used only
// linearly, can be changed after proving (SECURITY.md, item 2); squaring
// each one rules that out at one constraint apiece.
func BindPublic(api frontend.API, vs ...frontend.Variable) {
	for _, v := range vs {
		api.Mul(v, v)
	}
}
