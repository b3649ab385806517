// Package vectors is the layout of testdata/vectors.json: real ballots and
// tally proofs made by zkvote's prover with development keys, which the
// tests of package evm replay against the contracts and the Go verifier.
// cmd/vectors writes the file; see testdata/README.md.
package vectors

import (
	"encoding/json"
	"fmt"
	"os"
)

// File is the name of the vectors file, under testdata/.
const File = "vectors.json"

// Vectors are the fixtures: three elections over one census, their ballots
// and the tally proofs of the open one.
type Vectors struct {
	// Comment says where the file comes from.
	Comment string
	// Params are the elections' canonical parameter encodings
	// (election.Params.Encode), by name: "open" (election 1), "other"
	// (election 2, same deployment and census) and "secret" (election 3).
	Params map[string][]byte
	// Ballots are ballot encodings (election.Ballot.Bytes) in casting order.
	Ballots []Ballot
	// Tally are the tally proofs (verifier.Proof.Bytes) of the open
	// election's ballots named by TallyOf, in that order.
	Tally   [][]byte
	TallyOf []string
	// TallySplit proves the same tally in two batches, the first two
	// ballots of TallyOf and then the other two, for a result recorded
	// over two transactions.
	TallySplit [][]byte
	// TallyOff is a valid tally proof of the open election from its
	// genesis over ballots that are not its log (TallyOffOf): a state off
	// the log's path, which anyone can prove.
	TallyOff   []byte
	TallyOffOf []string
	// Totals are the totals those ballots add up to, per compiled option.
	Totals []uint64
}

// Ballot is one ballot of one election.
type Ballot struct {
	Name     string // e.g. "open/v0", "open/v0-again", "secret/v0-c1"
	Election string // a key of Vectors.Params
	Voter    int    // membershiptest.Identity(Voter)
	Bytes    []byte
}

// Read reads the vectors file at path.
func Read(path string) (*Vectors, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v Vectors
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("vectors: %v", err)
	}
	return &v, nil
}

// Ballot returns the ballot named name.
func (v *Vectors) Ballot(name string) (*Ballot, error) {
	for i := range v.Ballots {
		if v.Ballots[i].Name == name {
			return &v.Ballots[i], nil
		}
	}
	return nil, fmt.Errorf("vectors: no ballot %q", name)
}
