package election_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"golang.org/x/mod/sumdb/note"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
)

// Example runs a whole election on a census of five: keys, parameters, the
// ballot box, two anonymous ballots, a refused second vote, the end of the
// election, the tally proof and the audit anyone can run.
func Example() {
	ctx := context.Background()

	// The census: each citizen registered a commitment.
	tree := membership.NewTree(nil)
	var citizens []*membership.Identity
	for range 5 {
		id, _ := membership.GenerateIdentity()
		tree.Insert(id.Commitment())
		citizens = append(citizens, id)
	}

	// Keys for the vote and tally statements. Development setup here: an
	// election's keys come from ceremonies (prover.NewCeremony).
	const depth, options = 4, 2
	voteKeys, err := prover.SetupInsecure(ctx, statement.Vote(depth, options))
	if err != nil {
		panic(err)
	}
	tallyKeys, err := prover.SetupInsecure(ctx, statement.Tally(4, options))
	if err != nil {
		panic(err)
	}

	// The box signs its log's checkpoints with its own key, which the
	// parameters name (and, in a real election, witnesses cosign them).
	boxKey, boxVerifierKey, err := note.GenerateKey(rand.Reader, "ballots.example.org/referendum-1")
	if err != nil {
		panic(err)
	}
	params := &election.Params{
		ElectionID: fr.NewElement(1),
		Question:   "Adopt the constitution?",
		Options:    []string{"yes", "no"},
		Census:     []membership.Head{tree.Head()},
		Rules:      election.SingleChoice(),
		Depth:      depth, MaxOptions: options,
		VoteKey:  election.PinKey(voteKeys.VerifyingKey()),
		TallyKey: election.PinKey(tallyKeys.VerifyingKey()),
		Log:      election.LogKeys{Box: boxVerifierKey},
	}
	dir, _ := os.MkdirTemp("", "box")
	defer os.RemoveAll(dir)
	box, err := election.OpenBox(ctx, dir, params, voteKeys.VerifyingKey(), election.BoxOptions{Key: boxKey})
	if err != nil {
		panic(err)
	}
	defer box.Close() // releases files; it does not end the election

	// Citizens cast ballots on their own devices and submit the bytes.
	vote := func(who int, choice []uint64) error {
		path, _ := tree.Proof(uint64(who))
		ballot, err := prover.Cast(ctx, voteKeys, params, citizens[who], path, choice)
		if err != nil {
			return err
		}
		_, err = box.Submit(ctx, ballot.Bytes())
		return err
	}
	fmt.Println("citizen 0:", vote(0, []uint64{1, 0}))
	fmt.Println("citizen 3:", vote(3, []uint64{0, 1}))
	fmt.Println("citizen 0 again:", vote(0, []uint64{0, 1}))

	// The organiser ends the election and publishes the log and the tally.
	if err := box.End(); err != nil {
		panic(err)
	}
	var logFile bytes.Buffer
	box.ExportLog(ctx, &logFile)
	l, _ := election.ReadLog(logFile.Bytes())
	proofs, err := prover.ProveTally(ctx, tallyKeys, params, l.Ballots, nil)
	if err != nil {
		panic(err)
	}
	tallyFile := election.EncodeTallyProofs(proofs)

	// Anyone audits from the published material alone.
	res, err := election.Audit(ctx, params, voteKeys.VerifyingKey(), tallyKeys.VerifyingKey(), logFile.Bytes(), tallyFile)
	if err != nil {
		panic(err)
	}
	fmt.Println("ballots:", res.Ballots, "totals:", res.Totals, "ended:", res.Closed)
	// Output:
	// citizen 0: <nil>
	// citizen 3: <nil>
	// citizen 0 again: election: this citizen has already voted
	// ballots: 2 totals: [1 1] ended: true
}
