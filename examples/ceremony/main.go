// Command ceremony shows a multi-party Groth16 setup for the membership
// circuit. A coordinator hands the ceremony state, as bytes, to three
// contributors in turn (simulated here in one process; in a real ceremony
// each runs prover.Contribute on a machine of their own), verifies every
// contribution they send back, refuses a replayed one, seals each phase
// with a public random beacon, and the resulting keys prove and verify one
// citizen's membership. The keys are sound if any one contributor of each
// phase destroyed their randomness.
//
//	go run ./examples/ceremony [-depth 4]
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/verifier"
)

func main() {
	depth := flag.Int("depth", 4, "maximum citizen-tree depth of the membership circuit")
	flag.Parse()
	logger.Disable() // gnark logs every compilation and proof
	if err := run(*depth); err != nil {
		log.Fatal(err)
	}
}

// beacon stands in for a public random beacon: in a real ceremony the
// coordinator announces in advance which future value seals each phase
// (say, a drand round after the last contribution is due), so nobody can
// choose or predict it while contributing.
func beacon(round string) []byte {
	b := sha256.Sum256([]byte("stand-in for drand round " + round))
	return b[:]
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

func run(depth int) error {
	ctx := context.Background()
	begin := time.Now()

	start := time.Now()
	c, err := prover.NewCeremony(ctx, depth)
	if err != nil {
		return err
	}
	fmt.Printf("coordinator: ceremony for %s, phase 1 (powers of tau) state of %d bytes (%v)\n",
		prover.MembershipCircuitName(depth), len(c.State()), since(start))

	contributors := []string{"alice", "bob", "carol"}
	var first []byte
	for phase := 1; phase <= 2; phase++ {
		for _, who := range contributors {
			state := c.State() // coordinator → contributor

			start = time.Now()
			out, err := prover.Contribute(ctx, state) // on the contributor's machine
			if err != nil {
				return fmt.Errorf("%s: %w", who, err)
			}
			took := since(start)

			start = time.Now()
			if err := c.VerifyContribution(ctx, out); err != nil { // contributor → coordinator
				return fmt.Errorf("coordinator rejected %s: %w", who, err)
			}
			fmt.Printf("phase %d: %-5s contributed %d bytes (%v); coordinator verified it (%v)\n",
				phase, who, len(out), took, since(start))
			if first == nil {
				first = out
			}
		}
		if phase == 1 {
			if err := c.VerifyContribution(ctx, first); err != nil {
				fmt.Printf("phase 1: alice's contribution sent again is refused: %v\n", err)
			} else {
				return fmt.Errorf("coordinator accepted a replayed contribution")
			}

			start = time.Now()
			if err := c.SealPhase1(ctx, beacon("1001")); err != nil {
				return err
			}
			fmt.Printf("phase 1 sealed with beacon %x…; phase 2 state of %d bytes (%v)\n",
				beacon("1001")[:6], len(c.State()), since(start))
		}
	}

	start = time.Now()
	keys, err := c.Seal(ctx, beacon("1002"))
	if err != nil {
		return err
	}
	id := keys.VerifyingKey().ID()
	fmt.Printf("phase 2 sealed with beacon %x…: verifying key %x… for %d constraints (%v)\n",
		beacon("1002")[:6], id[:8], keys.NbConstraints(), since(start))

	// A citizen of a ten-member registry proves membership with the keys.
	tree := membership.NewTree(nil)
	if _, err := tree.InsertMany(ctx, membershiptest.Commitments(0, 10)); err != nil {
		return err
	}
	path, err := tree.Proof(7)
	if err != nil {
		return err
	}
	var scope, message fr.Element
	scope.SetUint64(2026)
	message.SetUint64(1)
	start = time.Now()
	proof, err := keys.Prove(ctx, membershiptest.Identity(7), path, scope, message)
	if err != nil {
		return err
	}
	fmt.Printf("citizen 7 proved membership (%v), verified: %t\n",
		since(start), verifier.Verify(keys.VerifyingKey(), proof) == nil)
	fmt.Printf("total %v\n", since(begin))
	return nil
}
