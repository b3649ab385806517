// Package membershiptest provides deterministic identities and commitments
// for tests, examples and benchmarks. Never use it for real citizens: anyone
// can recompute these identities.
package membershiptest

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/netstate/zkvote/membership"
)

// Identity returns the n-th deterministic test identity.
func Identity(n uint64) *membership.Identity {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], n)
	seed := sha256.Sum256(append([]byte("zkvote test identity "), buf[:]...))
	id, err := membership.NewIdentityFromSeed(seed[:])
	if err != nil {
		panic(err) // only for a seed deriving the zero secret: probability 2^-254
	}
	return id
}

// Commitments returns the commitments of test identities first … first+n−1.
func Commitments(first uint64, n int) []membership.Commitment {
	out := make([]membership.Commitment, n)
	for i := range out {
		out[i] = Identity(first + uint64(i)).Commitment()
	}
	return out
}

// FastCommitments returns the commitments first+1 … first+n: distinct,
// nonzero and free to make, for building large trees in benchmarks. No
// identity has them as its commitment.
func FastCommitments(first uint64, n int) []membership.Commitment {
	out := make([]membership.Commitment, n)
	for i := range out {
		var buf [32]byte
		binary.BigEndian.PutUint64(buf[24:], first+uint64(i)+1)
		c, err := membership.CommitmentFromBytes(buf[:])
		if err != nil {
			panic(err)
		}
		out[i] = c
	}
	return out
}
