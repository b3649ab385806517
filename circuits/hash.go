package circuits

import (
	"math/big"

	"github.com/consensys/gnark/frontend"
	stdposeidon2 "github.com/consensys/gnark/std/permutation/poseidon2"

	"github.com/netstate/zkvote/internal/poseidon2"
)

// Hasher is the in-circuit counterpart of zkvote's native hash
// (internal/poseidon2): Poseidon2 over BN254, width 2, 8 full and 56 partial
// rounds, built from the same parameter constants.
type Hasher struct {
	api  frontend.API
	perm *stdposeidon2.Permutation
	wide *stdposeidon2.Permutation // built on first use: width 12
}

// NewHasher returns a Hasher for api. It fails only if the circuit's field is
// not BN254's scalar field.
func NewHasher(api frontend.API) (*Hasher, error) {
	perm, err := stdposeidon2.NewPoseidon2FromParameters(api,
		poseidon2.Width, poseidon2.FullRounds, poseidon2.PartialRounds)
	if err != nil {
		return nil, err
	}
	return &Hasher{api: api, perm: perm}, nil
}

// Compress returns P(x, y)[1] + y; its native counterpart is
// poseidon2.Compress.
func (h *Hasher) Compress(x, y frontend.Variable) frontend.Variable {
	return h.perm.Compress(x, y)
}

// hash returns the tagged hash of msgs; its native counterpart is
// poseidon2.Hash. It is unexported because its tags are zkvote's internal
// domain separation: [Hasher.Leaf] and [Hasher.Node] are the tagged
// constructions a circuit outside this package may need.
func (h *Hasher) hash(tag poseidon2.Tag, msgs ...frontend.Variable) frontend.Variable {
	acc := frontend.Variable(tagConstant(tag))
	for _, m := range msgs {
		acc = h.Compress(acc, m)
	}
	return acc
}

// hashWide returns the wide tagged hash of msgs; its native counterpart is
// poseidon2.HashWide: from the tag, each block of poseidon2.WideRate inputs
// (the last padded with zeros) is absorbed by acc ← P(acc, block)[0] + acc
// with the width-12 permutation, about 42 constraints per input.
func (h *Hasher) hashWide(tag poseidon2.Tag, msgs ...frontend.Variable) (frontend.Variable, error) {
	if h.wide == nil {
		perm, err := stdposeidon2.NewPoseidon2FromParameters(h.api,
			poseidon2.WideWidth, poseidon2.WideFullRounds, poseidon2.WidePartialRounds)
		if err != nil {
			return nil, err
		}
		h.wide = perm
	}
	acc := frontend.Variable(tagConstant(tag))
	for lo := 0; lo < len(msgs) || lo == 0; lo += poseidon2.WideRate {
		state := make([]frontend.Variable, poseidon2.WideWidth)
		state[0] = acc
		n := copy(state[1:], msgs[lo:min(lo+poseidon2.WideRate, len(msgs))])
		for i := 1 + n; i < len(state); i++ {
			state[i] = 0
		}
		if err := h.wide.Permutation(state); err != nil {
			return nil, err
		}
		acc = h.api.Add(state[0], acc)
	}
	return acc, nil
}

// Node returns the Merkle node above l and r, Compress(l, r) + TagNode; its
// native counterpart is poseidon2.Node.
func (h *Hasher) Node(l, r frontend.Variable) frontend.Variable {
	return h.api.Add(h.Compress(l, r), tagConstant(poseidon2.TagNode))
}

// Leaf returns the tree leaf of commitment c, Hash(TagLeaf, c); its native
// counterpart is poseidon2.Leaf.
func (h *Hasher) Leaf(c frontend.Variable) frontend.Variable {
	return h.hash(poseidon2.TagLeaf, c)
}

func tagConstant(t poseidon2.Tag) *big.Int {
	v := t.Value()
	return v.BigInt(new(big.Int))
}
