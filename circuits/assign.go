package circuits

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/poseidon2"
)

// MembershipWitness holds the values of one membership statement, in the
// form membership.Proof and membership.Identity provide them.
type MembershipWitness struct {
	Root     fr.Element
	Scope    fr.Element
	Message  fr.Element
	Secret   fr.Element
	Siblings []fr.Element // the hashed levels, bottom-up
	PathBits []bool       // true when the path node is the right child
}

// Nullifier returns the nullifier the witness proves:
// Poseidon2(TagNullifier, Secret, Scope).
func (w *MembershipWitness) Nullifier() fr.Element {
	return poseidon2.Hash(poseidon2.TagNullifier, w.Secret, w.Scope)
}

// NewMembershipAssignment returns the full assignment of a depth-maxDepth
// [Membership] circuit for w. Unused levels are padded with zeros. It returns
// an error, never panics, for a path longer than maxDepth or with mismatched
// siblings and bits.
func NewMembershipAssignment(maxDepth int, w *MembershipWitness) (*Membership, error) {
	c, err := NewMembership(maxDepth)
	if err != nil {
		return nil, err
	}
	if len(w.Siblings) != len(w.PathBits) {
		return nil, fmt.Errorf("circuits: path has %d siblings and %d bits", len(w.Siblings), len(w.PathBits))
	}
	if len(w.Siblings) > maxDepth {
		return nil, fmt.Errorf("circuits: path length %d exceeds the circuit's depth %d", len(w.Siblings), maxDepth)
	}
	c.Root = element(w.Root)
	c.Nullifier = element(w.Nullifier())
	c.Scope = element(w.Scope)
	c.Message = element(w.Message)
	c.Secret = element(w.Secret)
	c.Path.Length = len(w.Siblings)
	for i := range maxDepth {
		c.Path.Siblings[i], c.Path.PathBits[i] = 0, 0
		if i < len(w.Siblings) {
			c.Path.Siblings[i] = element(w.Siblings[i])
			if w.PathBits[i] {
				c.Path.PathBits[i] = 1
			}
		}
	}
	return c, nil
}

func element(x fr.Element) *big.Int { return x.BigInt(new(big.Int)) }
