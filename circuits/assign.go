package circuits

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/statement"
)

// MembershipWitness holds the values of one membership statement, in the
// form membership.Proof and membership.Identity provide them: Secret is the
// identity's, Root, Siblings and PathBits the tree proof's.
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

// Public returns the public inputs the witness proves.
func (w *MembershipWitness) Public() *statement.MembershipPublic {
	return &statement.MembershipPublic{Root: w.Root, Nullifier: w.Nullifier(), Scope: w.Scope, Message: w.Message}
}

// assignMembership returns the full assignment of a depth-maxDepth
// [Membership] circuit for w. Unused levels are padded with zeros. It returns
// an error, never panics, for a path longer than maxDepth or with mismatched
// siblings and bits.
func assignMembership(maxDepth int, w *MembershipWitness) (*Membership, error) {
	if w == nil {
		return nil, errors.New("circuits: nil witness")
	}
	c := newMembership(maxDepth)
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
