package circuits

import (
	"context"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/statement"
)

var field = ecc.BN254.ScalarField()

// fixture is a tree of test identities and the witness of one of them.
func fixture(t *testing.T, size int, who int) (*membership.Tree, *MembershipWitness) {
	t.Helper()
	tr := membership.NewTree(nil)
	_, err := tr.InsertMany(context.Background(), membershiptest.Commitments(0, size))
	require.NoError(t, err)
	p, err := tr.Proof(uint64(who))
	require.NoError(t, err)
	var scope, msg fr.Element
	scope.SetUint64(77)
	msg.SetUint64(1234)
	return tr, &MembershipWitness{
		Root: p.Root, Scope: scope, Message: msg,
		Secret:   membershiptest.Identity(uint64(who)).Secret(),
		Siblings: p.Siblings, PathBits: p.PathBits,
	}
}

func solved(t *testing.T, depth int, off guard, a *Membership) error {
	t.Helper()
	shape, err := shapeMembership(depth)
	require.NoError(t, err)
	shape.off = off
	return test.IsSolved(shape, a, field)
}

func mustAssign(t *testing.T, depth int, w *MembershipWitness) *Membership {
	t.Helper()
	a, err := assignMembershipT(depth, w)
	require.NoError(t, err)
	return a
}

// TestMembershipEveryLeaf: every leaf of trees of many shapes proves,
// promoted leaves and the full maximum depth included.
func TestMembershipEveryLeaf(t *testing.T) {
	const depth = 4
	for _, size := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16} {
		for who := range size {
			_, w := fixture(t, size, who)
			require.NoError(t, solved(t, depth, 0, mustAssign(t, depth, w)), "size %d leaf %d", size, who)
		}
	}
}

func TestMembershipRejects(t *testing.T) {
	const depth = 4
	_, w := fixture(t, 5, 2)
	one := fr.One()
	cases := map[string]func(a *Membership){
		"wrong root":      func(a *Membership) { a.Root = new(big.Int).Add(a.Root.(*big.Int), big.NewInt(1)) },
		"wrong nullifier": func(a *Membership) { a.Nullifier = new(big.Int).Add(a.Nullifier.(*big.Int), big.NewInt(1)) },
		"wrong scope":     func(a *Membership) { a.Scope = big.NewInt(78) },
		"wrong secret":    func(a *Membership) { a.Secret = big.NewInt(5) },
		"wrong sibling":   func(a *Membership) { a.Path.Siblings[0] = big.NewInt(9) },
		"flipped bit":     func(a *Membership) { a.Path.PathBits[0] = 1 - a.Path.PathBits[0].(int) },
		"short length":    func(a *Membership) { a.Path.Length = 1 },
		"long length":     func(a *Membership) { a.Path.Length = 4 },
	}
	for name, mut := range cases {
		a := mustAssign(t, depth, w)
		mut(a)
		require.Error(t, solved(t, depth, 0, a), name)
	}
	// Another identity's secret with this identity's path.
	other := *w
	other.Secret = membershiptest.Identity(3).Secret()
	require.Error(t, solved(t, depth, 0, mustAssign(t, depth, &other)))
	// A non-member whose commitment is not in the tree.
	outsider := *w
	outsider.Secret.Add(&outsider.Secret, &one)
	require.Error(t, solved(t, depth, 0, mustAssign(t, depth, &outsider)))
	// The nullifier of another scope.
	a := mustAssign(t, depth, w)
	x := *w
	x.Scope.SetUint64(1)
	n := x.Nullifier()
	a.Nullifier = element(n)
	require.Error(t, solved(t, depth, 0, a))
}

func TestMembershipAssignmentErrors(t *testing.T) {
	_, w := fixture(t, 16, 3)
	_, err := assignMembershipT(3, w)
	require.Error(t, err)
	bad := *w
	bad.PathBits = bad.PathBits[:1]
	_, err = assignMembershipT(4, &bad)
	require.Error(t, err)
	_, err = shapeMembership(0)
	require.Error(t, err)
	_, err = shapeMembership(statement.MaxDepth + 1)
	require.Error(t, err)
}

// nativeRoot computes a LeanIMT root from leaf along a path with arbitrary
// field values as bits (bit·(sib−node) selection, like the circuit) and a
// chosen node function: a model of a circuit with a guard removed.
func nativeRoot(leaf fr.Element, sibs []fr.Element, bits []fr.Element, node func(l, r *fr.Element) fr.Element) fr.Element {
	cur := leaf
	for i := range sibs {
		var d, l, r fr.Element
		d.Sub(&sibs[i], &cur).Mul(&d, &bits[i])
		l.Add(&cur, &d)
		r.Add(&cur, &sibs[i]).Sub(&r, &l)
		cur = node(&l, &r)
	}
	return cur
}

// TestGuardPathBits: with a path bit of 2 the forged root is accepted by a
// circuit without the booleanity constraint and rejected with it.
func TestGuardPathBits(t *testing.T) {
	const depth = 4
	_, w := fixture(t, 8, 5)
	bits := make([]fr.Element, len(w.Siblings))
	for i, b := range w.PathBits {
		if b {
			bits[i].SetOne()
		}
	}
	bits[1].SetUint64(2)
	c := poseidon2.Hash(poseidon2.TagIdentity, w.Secret)
	leaf := poseidon2.Leaf(&c)
	forged := nativeRoot(leaf, w.Siblings, bits, poseidon2.Node)
	a := mustAssign(t, depth, w)
	a.Root = element(forged)
	a.Path.PathBits[1] = 2
	require.NoError(t, solved(t, depth, guardPathBits, a), "mutant must accept: the test is not sensitive")
	require.Error(t, solved(t, depth, 0, a))
	// r−1 as a bit, likewise.
	bits[1].SetOne()
	bits[1].Neg(&bits[1])
	forged = nativeRoot(leaf, w.Siblings, bits, poseidon2.Node)
	a.Root = element(forged)
	a.Path.PathBits[1] = element(bits[1])
	require.NoError(t, solved(t, depth, guardPathBits, a))
	require.Error(t, solved(t, depth, 0, a))
}

// TestGuardLength: a length beyond the maximum depth is refused.
func TestGuardLength(t *testing.T) {
	const depth = 4
	_, w := fixture(t, 16, 9)
	for _, l := range []any{depth + 1, 1000, new(big.Int).Sub(field, big.NewInt(1))} {
		a := mustAssign(t, depth, w)
		a.Path.Length = l
		require.NoError(t, solved(t, depth, guardLength, a), "mutant must accept length %v", l)
		require.Error(t, solved(t, depth, 0, a), "length %v", l)
	}
}

// leanIMTCircuit exposes the LeanIMT gadget with a free leaf, to test the
// root guard: no identity has commitment 0, so only here can a zero root be
// reached.
type leanIMTCircuit struct {
	Leaf, Root frontend.Variable
	Path       LeanIMT
	off        guard
}

func (c *leanIMTCircuit) Define(api frontend.API) error {
	h, err := NewHasher(api)
	if err != nil {
		return err
	}
	return c.Path.assertRoot(api, h, c.Leaf, c.Root, c.off)
}

func TestGuardRootNonZero(t *testing.T) {
	const depth = 3
	shape := func(off guard) *leanIMTCircuit {
		return &leanIMTCircuit{Path: NewLeanIMT(depth), off: off}
	}
	a := shape(0)
	a.Leaf, a.Root, a.Path.Length = 0, 0, 0
	for i := range depth {
		a.Path.Siblings[i], a.Path.PathBits[i] = 0, 0
	}
	require.NoError(t, test.IsSolved(shape(guardRootNonZero), a, field), "mutant must accept root 0")
	require.Error(t, test.IsSolved(shape(0), a, field))
	// The gadget's root matches the native tree's root.
	tr, _ := fixture(t, 6, 0)
	p, err := tr.Proof(5)
	require.NoError(t, err)
	b := shape(0)
	b.Leaf, b.Root, b.Path.Length = element(poseidon2.Leaf(ptr(p.Leaf.Element()))), element(p.Root), len(p.Siblings)
	for i := range depth {
		b.Path.Siblings[i], b.Path.PathBits[i] = 0, 0
		if i < len(p.Siblings) {
			b.Path.Siblings[i] = element(p.Siblings[i])
			if p.PathBits[i] {
				b.Path.PathBits[i] = 1
			}
		}
	}
	require.NoError(t, test.IsSolved(shape(0), b, field))
}

// TestGuardNodeTag replays the attack that the node tag stops on its own: a
// registrant registers the value TagIdentity as a commitment; the node above
// it and the next citizen's commitment c is then Compress(TagIdentity, c),
// which is the commitment of the "identity" with secret c. Without the node
// tag that internal node proves membership at a shorter depth with a fresh
// nullifier: a second vote. The leaf hash blocks this attack too, so the
// test models a circuit and tree without it (guardLeafTag off) and shows
// that the node tag alone still stops it.
func TestGuardNodeTag(t *testing.T) {
	const depth = 4
	tagID := poseidon2.TagIdentity.Value()
	victim := membershiptest.Identity(1).Commitment().Element()
	others := membershiptest.Commitments(2, 2)
	leaves := []fr.Element{tagID, victim, others[0].Element(), others[1].Element()}
	var scope fr.Element
	scope.SetUint64(5)
	attack := func(node func(l, r *fr.Element) fr.Element) *Membership {
		n01 := node(&leaves[0], &leaves[1])
		n23 := node(&leaves[2], &leaves[3])
		root := node(&n01, &n23)
		w := &MembershipWitness{Root: root, Scope: scope, Secret: victim,
			Siblings: []fr.Element{n23}, PathBits: []bool{false}}
		return mustAssign(t, depth, w)
	}
	require.NoError(t, solved(t, depth, guardLeafTag|guardNodeTag, attack(poseidon2.Compress)),
		"without the node tag and the leaf hash the attack must work")
	require.Error(t, solved(t, depth, guardLeafTag, attack(poseidon2.Node)))
}

// forgeThroughSubtree builds the census attack on leaf hashing: the attacker
// registers the root N of a private tree of their own commitments as one
// commitment, then, for each private identity, proves a path that runs
// through the private tree to N and on along N's path in the census.
// leafOf says what the census holds at level 0 for a registered value.
func forgeThroughSubtree(priv []fr.Element, census []fr.Element, leafOf func(fr.Element) fr.Element, node func(l, r *fr.Element) fr.Element) (root fr.Element, paths [][]fr.Element, bits [][]bool) {
	// levels of a LeanIMT over values, with the given node function.
	build := func(vals []fr.Element) [][]fr.Element {
		levels := [][]fr.Element{vals}
		for cur := vals; len(cur) > 1; {
			next := make([]fr.Element, (len(cur)+1)/2)
			for j := range next {
				if 2*j+1 < len(cur) {
					next[j] = node(&cur[2*j], &cur[2*j+1])
				} else {
					next[j] = cur[2*j]
				}
			}
			levels = append(levels, next)
			cur = next
		}
		return levels
	}
	path := func(levels [][]fr.Element, i int) ([]fr.Element, []bool) {
		var sibs []fr.Element
		var b []bool
		for k := 0; k+1 < len(levels); k++ {
			if sib := i ^ 1; sib < len(levels[k]) {
				sibs = append(sibs, levels[k][sib])
				b = append(b, i&1 == 1)
			}
			i >>= 1
		}
		return sibs, b
	}
	privLeaves := make([]fr.Element, len(priv))
	for i := range priv {
		privLeaves[i] = leafOf(priv[i])
	}
	pl := build(privLeaves)
	n := pl[len(pl)-1][0]
	census = append(append([]fr.Element(nil), census...), n) // N registered last
	censusLeaves := make([]fr.Element, len(census))
	for i := range census {
		censusLeaves[i] = leafOf(census[i])
	}
	cl := build(censusLeaves)
	tail, tailBits := path(cl, len(census)-1)
	for i := range priv {
		s, b := path(pl, i)
		paths = append(paths, append(s, tail...))
		bits = append(bits, append(b, tailBits...))
	}
	return cl[len(cl)-1][0], paths, bits
}

// TestGuardLeafTag: the census attack works on a circuit that starts its
// path at the bare commitment and on a tree that stores bare commitments,
// and fails for every private identity once level 0 is Leaf(commitment).
func TestGuardLeafTag(t *testing.T) {
	const depth = 6
	var scope fr.Element
	scope.SetUint64(5)
	privIDs := []uint64{100, 101, 102, 103}
	priv := make([]fr.Element, len(privIDs))
	for i, n := range privIDs {
		priv[i] = membershiptest.Identity(n).Commitment().Element()
	}
	census := make([]fr.Element, 5)
	for i, c := range membershiptest.Commitments(0, 5) {
		census[i] = c.Element()
	}
	bare := func(c fr.Element) fr.Element { return c }
	leaf := func(c fr.Element) fr.Element { return poseidon2.Leaf(&c) }
	try := func(off guard, leafOf func(fr.Element) fr.Element) []error {
		root, paths, bits := forgeThroughSubtree(priv, census, leafOf, poseidon2.Node)
		var errs []error
		for i, n := range privIDs {
			w := &MembershipWitness{Root: root, Scope: scope,
				Secret: membershiptest.Identity(n).Secret(), Siblings: paths[i], PathBits: bits[i]}
			errs = append(errs, solved(t, depth, off, mustAssign(t, depth, w)))
		}
		return errs
	}
	for i, err := range try(guardLeafTag, bare) {
		require.NoError(t, err, "mutant: identity %d must prove through the registered subtree root", i)
	}
	for i, err := range try(0, leaf) {
		require.Error(t, err, "identity %d proved through a registered subtree root", i)
	}
}

// TestRegisteredSubtreeRoot runs the census attack against a real
// membership.Tree: the registered value is the root of a real private tree
// of the attacker's identities. No path through it proves, for any
// position of the registered value, while the census's honest members all
// prove.
func TestRegisteredSubtreeRoot(t *testing.T) {
	const depth = 6
	var scope fr.Element
	scope.SetUint64(9)
	priv := membership.NewTree(nil)
	privIDs := []uint64{200, 201, 202}
	for _, n := range privIDs {
		_, err := priv.Insert(membershiptest.Identity(n).Commitment())
		require.NoError(t, err)
	}
	for _, before := range []int{0, 1, 2, 5} {
		pub := membership.NewTree(nil)
		_, err := pub.InsertMany(context.Background(), membershiptest.Commitments(0, before))
		require.NoError(t, err)
		k, err := pub.Insert(membership.Commitment(priv.Root()))
		require.NoError(t, err)
		_, err = pub.InsertMany(context.Background(), membershiptest.Commitments(50, 2))
		require.NoError(t, err)
		tail, err := pub.Proof(k)
		require.NoError(t, err)
		for i, n := range privIDs {
			p, err := priv.Proof(uint64(i))
			require.NoError(t, err)
			w := &MembershipWitness{Root: pub.Root(), Scope: scope,
				Secret:   membershiptest.Identity(n).Secret(),
				Siblings: append(append([]fr.Element(nil), p.Siblings...), tail.Siblings...),
				PathBits: append(append([]bool(nil), p.PathBits...), tail.PathBits...)}
			require.Error(t, solved(t, depth, 0, mustAssign(t, depth, w)),
				"identity %d proved through the registered root at index %d", i, k)
		}
		for i := range before {
			p, err := pub.Proof(uint64(i))
			require.NoError(t, err)
			w := &MembershipWitness{Root: p.Root, Scope: scope,
				Secret: membershiptest.Identity(uint64(i)).Secret(), Siblings: p.Siblings, PathBits: p.PathBits}
			require.NoError(t, solved(t, depth, 0, mustAssign(t, depth, w)))
		}
	}
}

// NonLinearPublicInputs reports, for each public input of c compiled to
// R1CS, whether it appears in a product of two non-constant linear
// expressions (L·R with both sides depending on some wire other than the
// constant-one wire 0).
func nonLinearPublic(t *testing.T, c frontend.Circuit) []bool {
	t.Helper()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c)
	require.NoError(t, err)
	sys, ok := ccs.(interface{ GetR1Cs() []constraint.R1C })
	require.True(t, ok)
	nbPub := ccs.GetNbPublicVariables() // wire 0 is the constant one
	varying := func(le constraint.LinearExpression) bool {
		for _, term := range le {
			if term.CoeffID() != constraint.CoeffIdZero && term.WireID() != 0 {
				return true
			}
		}
		return false
	}
	out := make([]bool, nbPub-1)
	mark := func(le constraint.LinearExpression) {
		for _, term := range le {
			if w := term.WireID(); w >= 1 && w < nbPub && term.CoeffID() != constraint.CoeffIdZero {
				out[w-1] = true
			}
		}
	}
	for _, r := range sys.GetR1Cs() {
		if varying(r.L) && varying(r.R) {
			mark(r.L)
			mark(r.R)
		}
	}
	return out
}

// TestGuardPublicSquares: each public input is in a multiplication; without
// BindPublic, Message is in none (and Nullifier only in a linear equality).
func TestGuardPublicSquares(t *testing.T) {
	c, err := shapeMembership(4)
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, true, true}, nonLinearPublic(t, c))
	c.off = guardPublicSquares
	got := nonLinearPublic(t, c)
	require.False(t, got[1], "nullifier")
	require.False(t, got[3], "message")
}

// TestMaliciousHints replaces the only hint the circuit uses (the inverse
// behind IsZero and AssertIsDifferent) with lying ones: the constraints must
// reject every lie, so an honest witness no longer solves.
func TestMaliciousHints(t *testing.T) {
	const depth = 4
	_, w := fixture(t, 5, 1)
	a := mustAssign(t, depth, w)
	shape, err := shapeMembership(depth)
	require.NoError(t, err)
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, shape)
	require.NoError(t, err)
	wit, err := frontend.NewWitness(a, field)
	require.NoError(t, err)
	require.NoError(t, ccs.IsSolved(wit))
	liars := map[string]solver.Hint{
		"zero": func(_ *big.Int, in, out []*big.Int) error { out[0].SetInt64(0); return nil },
		"one":  func(_ *big.Int, in, out []*big.Int) error { out[0].SetInt64(1); return nil },
		"off by one": func(m *big.Int, in, out []*big.Int) error {
			if in[0].Sign() != 0 {
				out[0].ModInverse(in[0], m)
			}
			out[0].Add(out[0], big.NewInt(1))
			return nil
		},
	}
	id := solver.GetHintID(solver.InvZeroHint)
	for name, h := range liars {
		err := ccs.IsSolved(wit, solver.OverrideHint(id, h))
		require.Error(t, err, name)
	}
}
