// Command ceremony makes an election's keys with multi-party Groth16 setups:
// one ceremony for the vote circuit and one for the tally circuit. In each,
// a coordinator hands the ceremony state, as bytes, to three contributors in
// turn (simulated here in one process; in a real ceremony each runs
// prover.Contribute on a machine of their own), verifies every contribution
// they send back, refuses a replayed one and a state of the other ceremony,
// and seals each phase with its own public random beacon. The keys are
// sound if any one contributor of each phase destroyed their randomness.
//
// The organiser then pins both verifying keys in the election's parameters;
// a citizen casts a ballot, the box takes it, the tally is proven, and the
// audit passes with the ceremony keys and refuses a development key made for
// the same circuit.
//
//	go run ./examples/ceremony [-depth 3] [-options 2] [-batch 2] [-out dir]
//
// With -out, the keys are written to dir (prover.Load reads them back).
package main

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"
	"golang.org/x/mod/sumdb/note"
	"k8s.io/klog/v2"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
)

func main() {
	depth := flag.Int("depth", 3, "maximum census-tree depth of the vote circuit")
	options := flag.Int("options", 2, "number of options the circuits are compiled for")
	batch := flag.Int("batch", 2, "ballots per tally proof")
	out := flag.String("out", "", "directory to write the keys to (optional)")
	flag.Parse()
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard) // Tessera, which keeps the ballot log, logs its start-up
	logger.Disable()           // gnark logs every compilation and proof
	if err := run(*depth, *options, *batch, *out); err != nil {
		log.Fatal(err)
	}
}

// beacon stands in for a public random beacon: in a real ceremony the
// coordinator announces in advance which future value seals each phase
// (say, a drand round after the last contribution is due), so nobody can
// choose or predict it while contributing. Each phase of each ceremony
// gets its own.
func beacon(round string) []byte {
	b := sha256.Sum256([]byte("stand-in for drand round " + round))
	return b[:]
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// ceremony runs a whole ceremony for circuit with three contributors per
// phase. foreign, if not nil, is a state of another ceremony, sent to this
// one to show it is refused. It returns the keys and this ceremony's first
// contribution.
func ceremony(ctx context.Context, circuit statement.Statement, round int, foreign []byte) (*prover.Keys, []byte, error) {
	start := time.Now()
	c, err := prover.NewCeremony(ctx, circuit)
	if err != nil {
		return nil, nil, err
	}
	fmt.Printf("\ncoordinator: ceremony for %s, phase 1 (powers of tau) state of %d bytes (%v)\n",
		circuit, len(c.State()), since(start))

	contributors := []string{"alice", "bob", "carol"}
	var first []byte
	for phase := 1; phase <= 2; phase++ {
		for _, who := range contributors {
			state := c.State() // coordinator → contributor

			start = time.Now()
			out, err := prover.Contribute(ctx, circuit, state) // on the contributor's machine, for the circuit agreed to
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", who, err)
			}
			took := since(start)

			start = time.Now()
			if err := c.VerifyContribution(ctx, out); err != nil { // contributor → coordinator
				return nil, nil, fmt.Errorf("coordinator rejected %s: %w", who, err)
			}
			fmt.Printf("phase %d: %-5s contributed %d bytes (%v); coordinator verified it (%v)\n",
				phase, who, len(out), took, since(start))
			if first == nil {
				first = out
			}
		}
		if phase == 1 {
			if err := c.VerifyContribution(ctx, first); err == nil {
				return nil, nil, errors.New("coordinator accepted a replayed contribution")
			}
			fmt.Println("phase 1: alice's contribution sent again is refused")
			if foreign != nil {
				if err := c.VerifyContribution(ctx, foreign); !errors.Is(err, prover.ErrInvalidContribution) {
					return nil, nil, fmt.Errorf("coordinator did not refuse another ceremony's state: %v", err)
				}
				fmt.Println("phase 1: a contribution to the other ceremony is refused")
			}

			start = time.Now()
			b1 := beacon(fmt.Sprint(round))
			if err := c.SealPhase1(ctx, b1); err != nil {
				return nil, nil, err
			}
			fmt.Printf("phase 1 sealed with beacon %x…; phase 2 state of %d bytes (%v)\n",
				b1[:6], len(c.State()), since(start))
		}
	}

	if _, err := c.Seal(ctx, beacon(fmt.Sprint(round))); !errors.Is(err, prover.ErrInvalidBeacon) {
		return nil, nil, fmt.Errorf("phase 2 could be sealed with the phase-1 beacon: %v", err)
	}
	start = time.Now()
	b2 := beacon(fmt.Sprint(round + 1))
	keys, err := c.Seal(ctx, b2)
	if err != nil {
		return nil, nil, err
	}
	id := keys.VerifyingKey().ID()
	fmt.Printf("phase 2 sealed with beacon %x… (the phase-1 beacon was refused): verifying key %x… for %d constraints (%v)\n",
		b2[:6], id[:8], keys.NbConstraints(), since(start))
	return keys, first, nil
}

func run(depth, options, batch int, out string) error {
	ctx := context.Background()
	begin := time.Now()

	voteKeys, voteState, err := ceremony(ctx, statement.Vote(depth, options), 1001, nil)
	if err != nil {
		return err
	}
	tallyKeys, _, err := ceremony(ctx, statement.Tally(batch, options), 1003, voteState)
	if err != nil {
		return err
	}
	if out != "" {
		if err := voteKeys.WriteFiles(out); err != nil {
			return err
		}
		if err := tallyKeys.WriteFiles(out); err != nil {
			return err
		}
		fmt.Printf("\nkeys written to %s\n", out)
	}

	// The organiser pins both keys in the election's parameters.
	tree := membership.NewTree(nil)
	if _, err := tree.InsertMany(ctx, membershiptest.Commitments(0, 6)); err != nil {
		return err
	}
	// The box signs its log's checkpoints with its own key, which the
	// parameters name (examples/referendum adds witnesses that cosign).
	boxKey, boxVerifierKey, err := note.GenerateKey(cryptorand.Reader, "ballots.example.org/budget")
	if err != nil {
		return err
	}
	params := &election.Params{
		DeploymentID: element(2026), ElectionID: element(7),
		Question: "Adopt the budget?", Options: []string{"yes", "no"},
		Census: []membership.Head{tree.Head()}, Rules: election.SingleChoice(),
		Depth: depth, MaxOptions: options,
		VoteKey:  election.PinKey(voteKeys.VerifyingKey()),
		TallyKey: election.PinKey(tallyKeys.VerifyingKey()),
		Log:      election.LogKeys{Box: boxVerifierKey},
	}
	if err := params.Validate(); err != nil {
		return err
	}

	// A citizen of the six-member census votes; the box takes the ballot.
	work, err := os.MkdirTemp("", "ceremony")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	box, err := election.OpenBox(ctx, filepath.Join(work, "box"), params, voteKeys.VerifyingKey(), election.BoxOptions{Key: boxKey})
	if err != nil {
		return err
	}
	defer box.Close() // releases the box's files; box.End below ends the election
	path, err := tree.Proof(5)
	if err != nil {
		return err
	}
	start := time.Now()
	ballot, err := prover.Cast(ctx, voteKeys, params, membershiptest.Identity(5), path, []uint64{1, 0})
	if err != nil {
		return err
	}
	if _, err := box.Submit(ctx, ballot.Bytes()); err != nil {
		return err
	}
	fmt.Printf("\ncitizen 5 cast a ballot with the ceremony keys (%v); the box accepted it\n", since(start))
	if err := box.End(); err != nil {
		return err
	}
	var logFile bytes.Buffer
	if err := box.ExportLog(ctx, &logFile); err != nil {
		return err
	}
	l, err := election.ReadLog(logFile.Bytes())
	if err != nil {
		return err
	}
	tallies, err := prover.ProveTally(ctx, tallyKeys, params, l.Ballots, nil)
	if err != nil {
		return err
	}
	tallyFile := election.EncodeTallyProofs(tallies)
	res, err := election.Audit(ctx, params, voteKeys.VerifyingKey(), tallyKeys.VerifyingKey(), logFile.Bytes(), tallyFile)
	if err != nil {
		return err
	}
	fmt.Printf("tally proven and audited: %d ballot, totals %v\n", res.Ballots, res.Totals)

	// A development key for the same circuit is not the pinned one.
	dev, err := prover.SetupInsecure(ctx, statement.Vote(depth, options))
	if err != nil {
		return err
	}
	_, err = election.Audit(ctx, params, dev.VerifyingKey(), tallyKeys.VerifyingKey(), logFile.Bytes(), tallyFile)
	fmt.Printf("audit with a development key for %s: refused: %v\n",
		dev.VerifyingKey().Circuit(), errors.Is(err, election.ErrKeyMismatch))
	fmt.Printf("total %v\n", since(begin))
	return nil
}

func element(v uint64) fr.Element {
	var x fr.Element
	x.SetUint64(v)
	return x
}
