// Package chain defines the hashes of the ballot log and of tallies, shared
// by the ballot box (native) and the tally circuit (in-circuit counterparts
// in package circuits).
//
//	genesis(scope)            = Poseidon2(TagBallot, scope)
//	entry(prev, nullifier, v) = Poseidon2(TagBallot, prev, nullifier, w₀, …, w_k)
//	tally(scope, n, t)        = Poseidon2(TagTally, scope, n, t₀, …, t_m)
//
// A secret ballot's entry hashes what its proof makes public about it
// (package election, secret mode), with SHA-256 since no circuit reads it:
//
//	secret(prev, nullifier, c, h) = SHA-256("zkvote/v2/secret-ballot" ‖ prev ‖ nullifier ‖ c ‖ h), first 31 bytes
//
// with c the ballot's counter (8 bytes, big-endian) and h its ciphertext
// hash; the result, below 2^248, is a field element as it stands.
//
// where w are the vote values packed VotesPerWord to a field element, 32
// bits each, little-endian (vote j is bits 32·(j mod 7) of word ⌊j/7⌋), n is
// the number of ballots counted and t the per-option totals.
package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/poseidon2"
	"github.com/netstate/zkvote/statement"
)

// VotesPerWord is how many 32-bit vote values share one field element.
const VotesPerWord = 7

// Words returns the number of packed words for n options.
func Words(n int) int { return (n + VotesPerWord - 1) / VotesPerWord }

// ErrVoteRange is returned for a vote value of 2^32 or more.
var ErrVoteRange = errors.New("chain: vote value does not fit in 32 bits")

// Pack packs votes into Words(len(votes)) field elements.
func Pack(votes []uint64) ([]fr.Element, error) {
	out := make([]fr.Element, Words(len(votes)))
	for w := range out {
		acc := new(big.Int)
		for j := min(len(votes), (w+1)*VotesPerWord) - 1; j >= w*VotesPerWord; j-- {
			if votes[j] >= 1<<statement.VoteBits {
				return nil, ErrVoteRange
			}
			acc.Lsh(acc, statement.VoteBits)
			acc.Add(acc, new(big.Int).SetUint64(votes[j]))
		}
		out[w].SetBigInt(acc)
	}
	return out, nil
}

// Genesis returns the head of an empty ballot log for scope.
func Genesis(scope fr.Element) fr.Element {
	return poseidon2.Hash(poseidon2.TagBallot, scope)
}

// Entry returns the head after appending a ballot with nullifier and votes
// to a log whose head is prev.
func Entry(prev, nullifier fr.Element, votes []uint64) (fr.Element, error) {
	words, err := Pack(votes)
	if err != nil {
		return fr.Element{}, err
	}
	return poseidon2.Hash(poseidon2.TagBallot, append([]fr.Element{prev, nullifier}, words...)...), nil
}

// SecretEntry returns the head after appending a secret ballot with
// nullifier, counter and ciphertext hash to a log whose head is prev.
func SecretEntry(prev, nullifier fr.Element, counter uint64, ciphertexts fr.Element) fr.Element {
	h := sha256.New()
	h.Write([]byte("zkvote/v2/secret-ballot"))
	for _, e := range []fr.Element{prev, nullifier} {
		b := e.Bytes()
		h.Write(b[:])
	}
	h.Write(binary.BigEndian.AppendUint64(nil, counter))
	b := ciphertexts.Bytes()
	h.Write(b[:])
	var out [32]byte
	copy(out[1:], h.Sum(nil)[:31])
	var e fr.Element
	e.SetBytes(out[:]) // below 2^248 < r: no reduction
	return e
}

// Tally returns the commitment to a tally of ballots ballots with per-option
// totals.
func Tally(scope fr.Element, ballots uint64, totals []uint64) fr.Element {
	in := make([]fr.Element, 0, 2+len(totals))
	var n fr.Element
	n.SetUint64(ballots)
	in = append(in, scope, n)
	for _, t := range totals {
		var e fr.Element
		e.SetUint64(t)
		in = append(in, e)
	}
	return poseidon2.Hash(poseidon2.TagTally, in...)
}
