package membership

import "github.com/consensys/gnark-crypto/ecc/bn254/fr"

// leafIndex maps commitments to leaf positions in about a third of the
// memory of a map keyed by the 32-byte commitment: the primary map is keyed
// by a 64-bit fingerprint and confirmed against the leaf itself; a commitment
// whose fingerprint is already taken by another leaf goes to an exact
// overflow map. Commitments are chosen by registrants, so collisions can be
// forced, but they only move entries to the overflow map: lookups stay exact.
type leafIndex struct {
	fp       map[uint64]uint32
	overflow map[fr.Element]uint32
}

func newLeafIndex(hint int) leafIndex {
	return leafIndex{fp: make(map[uint64]uint32, hint), overflow: make(map[fr.Element]uint32)}
}

func fingerprint(e *fr.Element) uint64 { return e[0] }

// len returns the number of indexed leaves.
func (x *leafIndex) len() int { return len(x.fp) + len(x.overflow) }

// grow makes room for n more entries at once, so a large batch does not
// double the map repeatedly.
func (x *leafIndex) grow(n int) {
	if n < 1024 || n < len(x.fp) {
		return
	}
	m := make(map[uint64]uint32, len(x.fp)+n)
	for k, v := range x.fp {
		m[k] = v
	}
	x.fp = m
}

// lookup returns the position of e in leaves.
func (x *leafIndex) lookup(e *fr.Element, leaves []fr.Element) (uint32, bool) {
	if i, ok := x.fp[fingerprint(e)]; ok && leaves[i].Equal(e) {
		return i, true
	}
	i, ok := x.overflow[*e]
	return i, ok
}

// add records that leaves[i] = e; e must not be indexed already.
func (x *leafIndex) add(e *fr.Element, i uint32) {
	f := fingerprint(e)
	if _, taken := x.fp[f]; taken {
		x.overflow[*e] = i
		return
	}
	x.fp[f] = i
}

// remove forgets e, which is indexed at position i.
func (x *leafIndex) remove(e *fr.Element, i uint32) {
	f := fingerprint(e)
	if j, ok := x.fp[f]; ok && j == i {
		delete(x.fp, f)
		return
	}
	delete(x.overflow, *e)
}
