package circuits

import (
	"fmt"

	"github.com/consensys/gnark/frontend"
)

// guard names one soundness constraint, so tests can show that removing it
// admits a forged witness. The zero value keeps every guard; only tests in
// this package switch one off.
type guard uint32

const (
	guardPathBits       guard = 1 << iota // every path bit is 0 or 1
	guardLength                           // 0 ≤ length ≤ max depth
	guardRootNonZero                      // the root is not 0
	guardNodeTag                          // nodes are Compress(l, r) + TagNode
	guardPublicSquares                    // every public input squared on its own
	guardVoteRange                        // every vote value < 2^VoteBits (secret vote: and its plaintext bits)
	guardVoteMax                          // every vote value ≤ MaxPerOption
	guardInactiveZero                     // options beyond NumOptions are 0
	guardTotalMax                         // the cost total ≤ MaxTotal
	guardTotalMin                         // the cost total ≥ MinTotal
	guardCostExponent                     // CostExponent is 1 or 2
	guardNumOptions                       // 1 ≤ NumOptions ≤ the compiled maximum
	guardRuleRange                        // MaxPerOption, MinTotal, MaxTotal in range
	guardBallotRange                      // tally: packed vote values < 2^32
	guardCount                            // tally: 0 ≤ Count ≤ batch size
	guardLeafTag                          // level 0 is Leaf(commitment), never a bare commitment
	guardCiphertextHash                   // secret vote: the public hash is of the ciphertexts computed
	guardRandomnessBits                   // encryption: every bit of the randomness wire is 0 or 1
	guardKeyOnCurve                       // encryption: the key is on the curve
)

// LeanIMT is the in-circuit counterpart of a membership.Proof: the path of
// one leaf in a Lean Incremental Merkle Tree of at most len(Siblings) levels.
// Levels at or beyond Length are skipped (the node is carried up unchanged),
// which is how one circuit proves membership in a tree of any depth up to
// its maximum, including LeanIMT's promoted nodes.
type LeanIMT struct {
	Siblings []frontend.Variable
	PathBits []frontend.Variable // 1 when the path node is the right child
	Length   frontend.Variable   // number of hashed levels
}

// NewLeanIMT returns a path with room for maxDepth levels.
func NewLeanIMT(maxDepth int) LeanIMT {
	return LeanIMT{
		Siblings: make([]frontend.Variable, maxDepth),
		PathBits: make([]frontend.Variable, maxDepth),
	}
}

// Root computes the root that leaf and the path lead to, asserting that
// every path bit is boolean and that Length is between 0 and the maximum
// depth. Its native counterpart is membership.Proof.ComputeRoot.
func (p *LeanIMT) Root(api frontend.API, h *Hasher, leaf frontend.Variable) (frontend.Variable, error) {
	return p.root(api, h, leaf, 0)
}

// AssertRoot asserts that leaf and the path lead to root and that root is
// not 0 (an empty tree has no members). Its native counterpart is
// membership.Proof.Verify.
func (p *LeanIMT) AssertRoot(api frontend.API, h *Hasher, leaf, root frontend.Variable) error {
	return p.assertRoot(api, h, leaf, root, 0)
}

func (p *LeanIMT) assertRoot(api frontend.API, h *Hasher, leaf, root frontend.Variable, off guard) error {
	got, err := p.root(api, h, leaf, off)
	if err != nil {
		return err
	}
	api.AssertIsEqual(got, root)
	if off&guardRootNonZero == 0 {
		api.AssertIsDifferent(root, 0)
	}
	return nil
}

func (p *LeanIMT) root(api frontend.API, h *Hasher, leaf frontend.Variable, off guard) (frontend.Variable, error) {
	d := len(p.Siblings)
	if len(p.PathBits) != d {
		return nil, fmt.Errorf("circuits: LeanIMT has %d siblings and %d path bits", d, len(p.PathBits))
	}
	// end[i] = 1 exactly when Length = i. Requiring their sum to be 1
	// bounds Length to [0, d]; active is 1 on levels below Length.
	sum := frontend.Variable(0)
	active := frontend.Variable(1)
	node := leaf
	for i := 0; i <= d; i++ {
		end := api.IsZero(api.Sub(p.Length, i))
		sum = api.Add(sum, end)
		active = api.Sub(active, end)
		if i == d {
			break
		}
		bit := p.PathBits[i]
		if off&guardPathBits == 0 {
			api.AssertIsBoolean(bit)
		}
		// (left, right) = bit ? (sibling, node) : (node, sibling)
		left := api.Add(node, api.Mul(bit, api.Sub(p.Siblings[i], node)))
		right := api.Sub(api.Add(node, p.Siblings[i]), left)
		var parent frontend.Variable
		if off&guardNodeTag == 0 {
			parent = h.Node(left, right)
		} else {
			parent = h.Compress(left, right)
		}
		node = api.Add(node, api.Mul(active, api.Sub(parent, node)))
	}
	if off&guardLength == 0 {
		api.AssertIsEqual(sum, 1)
	}
	return node, nil
}
