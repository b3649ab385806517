// Package poseidon2 holds the hash that every zkvote commitment, nullifier and
// Merkle node is built from, and the domain tags that keep its uses apart.
//
// The permutation is Poseidon2 (Grassi, Khovratovich, Schofnegger, "Poseidon2:
// A Faster Version of the Poseidon Hash Function", eprint 2023/323) over the
// BN254 scalar field with width t = 2, S-box x^5, R_F = 8 full rounds and
// R_P = 56 partial rounds: the paper's 128-bit instance for x^5 over a 254-bit
// field. gnark-crypto's default for width 2 is 6/50, below that
// recommendation, so zkvote builds its own parameters with the same
// constructors (round keys derived by gnark-crypto from the parameter string
// "Poseidon2-BN254[t=2,rF=8,rP=56,d=5]"). The in-circuit counterpart in
// package circuits builds gnark's std/permutation/poseidon2 from [Width],
// [FullRounds] and [PartialRounds], so both sides read one source.
//
// # Constructions
//
// The compression function is gnark's: Compress(x, y) = P(x, y)[1] + y, the
// second lane of the permutation with the right input fed forward.
//
//   - A tagged hash of k inputs is a Merkle–Damgård chain with the tag as
//     initial value: Hash(tag, m1, …, mk) = Compress(…Compress(tag, m1)…, mk).
//     The chain has no length padding, so every use must fix k. Identity,
//     leaf, nullifier, vote-nullifier, election and message hashes always
//     take the same number of inputs. The ballot and tally tags take
//     2 + ⌈n/7⌉ and 2 + n inputs for ballots of n options: n is fixed by the
//     tally circuit (its name and verifying key state it) and, within an
//     election, by the parameters, and the election's scope is an input of
//     every tally commitment and the first link of its ballot chain, so
//     hashes of two lengths are never compared with each other. The
//     ciphertexts tag takes 2 + 4n inputs for a secret ballot of n options,
//     n fixed by the secret vote circuit and its key in the same way.
//   - A Merkle node is Node(l, r) = Compress(l, r) + TagNode. Without the
//     offset, Node(tag, x) would equal Hash(tag, x): an attacker who registered
//     the commitment TagIdentity could claim the internal node above it as an
//     identity commitment of their own and vote twice. With it, posing a node
//     as a leaf needs a preimage of Compress. The offset is free in a circuit.
//   - A tree leaf is Leaf(c) = Hash(TagLeaf, c) for a registered commitment
//     c. A registrar cannot tell a commitment from a Merkle node, so without
//     this step a registered value could be the root of the registrant's own
//     private subtree, and a longer path through it would give one nullifier
//     per hidden identity. With it, every value at level 0 is an output of
//     Hash(TagLeaf, ·) and every value above is an output of Node, and making
//     one equal the other needs a collision between the two.
//   - Membership proofs and ballots use different nullifier tags
//     (TagNullifier, TagVoteNullifier), so no membership proof, whatever its
//     scope, reveals a ballot's nullifier.
package poseidon2

import (
	"crypto/sha256"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
)

// The permutation parameters shared by native and in-circuit code.
const (
	Width         = 2
	FullRounds    = 8
	PartialRounds = 56
)

// Tag is a domain-separation constant: the first input of a tagged hash.
type Tag int

// The domain tags. Each names one use of the hash; none is reused.
const (
	TagIdentity      Tag = iota // identity commitment: Hash(TagIdentity, secret)
	TagNullifier                // membership-proof nullifier: Hash(TagNullifier, secret, scope)
	TagNode                     // Merkle node offset: Node(l, r)
	TagMessage                  // message binding
	TagElection                 // election scope: Hash(TagElection, deployment, election)
	TagBallot                   // ballot log entries
	TagTally                    // tally commitments
	TagLeaf                     // tree leaf: Leaf(c) = Hash(TagLeaf, commitment)
	TagVoteNullifier            // ballot nullifier: Hash(TagVoteNullifier, secret, scope)
	TagCiphertexts              // a secret ballot's ciphertexts: Hash(TagCiphertexts, PK, each C1 and C2)
	numTags
)

var tagNames = [numTags]string{
	"identity", "nullifier", "node", "message", "election", "ballot", "tally",
	"leaf", "vote-nullifier", "ciphertexts",
}

// String returns the tag's name.
func (t Tag) String() string {
	if t < 0 || t >= numTags {
		return "invalid"
	}
	return tagNames[t]
}

// tagValues derives each tag as SHA-256("zkvote/v1/<name>") reduced into the
// field. The reduction is only for deriving constants, never for input.
var tagValues = sync.OnceValue(func() [numTags]fr.Element {
	var out [numTags]fr.Element
	for i, name := range tagNames {
		h := sha256.Sum256([]byte("zkvote/v1/" + name))
		out[i].SetBytes(h[:])
	}
	return out
})

// Value returns the field element of tag t. It panics on a tag that is not
// one of the constants above (programmer misuse).
func (t Tag) Value() fr.Element {
	if t < 0 || t >= numTags {
		panic("poseidon2: invalid tag")
	}
	return tagValues()[t]
}

// Tags returns every tag, in order.
func Tags() []Tag {
	out := make([]Tag, numTags)
	for i := range out {
		out[i] = Tag(i)
	}
	return out
}

// roundKeys is the flattened key schedule of gnark-crypto's parameters for
// zkvote's instance: full rounds use two keys, partial rounds one.
type roundKeys struct {
	first   [FullRounds / 2][2]fr.Element
	partial [PartialRounds]fr.Element
	last    [FullRounds / 2][2]fr.Element
}

// keys returns the shared key schedule; immutable after construction.
var keys = sync.OnceValue(func() *roundKeys {
	p := Parameters()
	k := new(roundKeys)
	const half = FullRounds / 2
	for i := range half {
		copy(k.first[i][:], p.RoundKeys[i])
		copy(k.last[i][:], p.RoundKeys[half+PartialRounds+i])
	}
	for i := range PartialRounds {
		k.partial[i] = p.RoundKeys[half+i][0]
	}
	return k
})

// sbox sets x to x^5.
func sbox(x *fr.Element) {
	var t fr.Element
	t.Square(x).Square(&t)
	x.Mul(x, &t)
}

// external multiplies (a, b) by the external matrix circ(2, 1).
func external(a, b *fr.Element) {
	var s fr.Element
	s.Add(a, b)
	a.Add(a, &s)
	b.Add(b, &s)
}

// permute applies the Poseidon2 permutation in place. It is a width-2
// specialisation of gnark-crypto's Permutation.Permutation (same keys, same
// matrices, same round order) without its generic loops, about 1.4× faster;
// TestPermuteMatchesGnarkCrypto holds the two equal.
func permute(a, b *fr.Element) {
	k := keys()
	external(a, b)
	for i := range k.first {
		a.Add(a, &k.first[i][0])
		b.Add(b, &k.first[i][1])
		sbox(a)
		sbox(b)
		external(a, b)
	}
	var s fr.Element
	for i := range k.partial {
		a.Add(a, &k.partial[i])
		sbox(a)
		// internal matrix [[2, 1], [1, 3]]
		s.Add(a, b)
		a.Add(a, &s)
		b.Double(b).Add(b, &s)
	}
	for i := range k.last {
		a.Add(a, &k.last[i][0])
		b.Add(b, &k.last[i][1])
		sbox(a)
		sbox(b)
		external(a, b)
	}
}

// Parameters returns a copy of gnark-crypto's parameters for zkvote's
// instance (round keys included), for tests and documentation.
func Parameters() *poseidon2.Parameters {
	return poseidon2.NewParameters(Width, FullRounds, PartialRounds)
}

// Compress returns P(x, y)[1] + y. It is the native counterpart of the
// in-circuit compression in package circuits.
func Compress(x, y *fr.Element) fr.Element {
	a, b := *x, *y
	permute(&a, &b)
	b.Add(&b, y)
	return b
}

// Hash returns the tagged hash of msgs: Compress chained from the tag.
func Hash(t Tag, msgs ...fr.Element) fr.Element {
	acc := t.Value()
	for i := range msgs {
		acc = Compress(&acc, &msgs[i])
	}
	return acc
}

// Node returns the Merkle node above l and r: Compress(l, r) + TagNode.
func Node(l, r *fr.Element) fr.Element {
	out := Compress(l, r)
	tag := TagNode.Value()
	out.Add(&out, &tag)
	return out
}

// Leaf returns the tree leaf of a registered commitment c:
// Hash(TagLeaf, c).
func Leaf(c *fr.Element) fr.Element {
	return Hash(TagLeaf, *c)
}
