// Command referendum runs a whole referendum of a small network state: the
// registrar registers citizens, the organiser opens "Adopt the
// constitution?", a majority votes anonymously from their own devices, a
// second vote and a non-citizen's vote are refused, the box closes, the
// tally is proven, and an auditor checks everything from public material.
//
//	go run ./examples/referendum [-citizens 300] [-turnout 0.6] [-keys dir]
//
// The first run makes development keys (insecure single-party setup, a
// demo) and caches them; later runs reuse them.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
)

const (
	depth   = statement.DefaultDepth
	options = statement.DefaultOptions
	batch   = 64
)

func main() {
	citizens := flag.Int("citizens", 300, "number of registered citizens")
	turnout := flag.Float64("turnout", 0.6, "share of citizens who vote")
	keyDir := flag.String("keys", defaultKeyDir(), "cache directory for development keys")
	flag.Parse()
	logger.Disable() // gnark logs every proof at debug level
	if *citizens < 3 || *turnout <= 0 || *turnout > 1 {
		log.Fatal("referendum: need at least 3 citizens and a turnout in (0, 1]")
	}
	if err := run(*citizens, *turnout, *keyDir); err != nil {
		log.Fatal(err)
	}
}

func defaultKeyDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "zkvote-keys")
	}
	return filepath.Join(os.TempDir(), "zkvote-keys")
}

// step prints what is happening and, when done, how long it took.
func step(what string) func() {
	start := time.Now()
	fmt.Printf("%s ...\n", what)
	return func() { fmt.Printf("    done in %v\n", time.Since(start).Round(10*time.Millisecond)) }
}

func run(n int, turnout float64, keyDir string) error {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "referendum")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	done := step(fmt.Sprintf("loading or making development keys in %s (first run: about 20 s)", keyDir))
	voteKeys, err := prover.OpenInsecure(ctx, keyDir, statement.Vote(depth, options))
	if err != nil {
		return err
	}
	tallyKeys, err := prover.OpenInsecure(ctx, keyDir, statement.Tally(batch, options))
	if err != nil {
		return err
	}
	done()

	// Citizens create identities on their devices; the registrar records
	// only their commitments.
	done = step(fmt.Sprintf("registering %d citizens", n))
	ids := make([]*membership.Identity, n)
	commitments := make([]membership.Commitment, n)
	for i := range ids {
		if ids[i], err = membership.GenerateIdentity(); err != nil {
			return err
		}
		commitments[i] = ids[i].Commitment()
	}
	registry, err := membership.OpenTree(ctx, filepath.Join(work, "registry"), nil)
	if err != nil {
		return err
	}
	defer registry.Close()
	if _, err := registry.InsertMany(ctx, commitments); err != nil {
		return err
	}
	census := registry.Head()
	done()

	// The organiser opens the referendum over the published census root,
	// pinning the verifying keys it is proven and counted with (a real
	// election's come from ceremonies: see examples/ceremony).
	params := &election.Params{
		DeploymentID: mustElement(2026), ElectionID: mustElement(1),
		Question: "Adopt the constitution?", Options: []string{"yes", "no", "abstain"},
		Census: []membership.Head{census}, Rules: election.SingleChoice(),
		VoteKey:  election.PinKey(voteKeys.VerifyingKey()),
		TallyKey: election.PinKey(tallyKeys.VerifyingKey()),
	}
	box, err := election.OpenBox(ctx, filepath.Join(work, "box"), params, voteKeys.VerifyingKey())
	if err != nil {
		return err
	}
	defer box.Close() // releases the box's files; box.End below ends the election
	fmt.Printf("referendum open: %q, census root %s\n", params.Question, membership.Commitment(census.Root))

	// A majority votes, each proving membership anonymously.
	voters := int(float64(n)*turnout + 0.5)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	fmt.Printf("%d citizens vote ...\n", voters)
	for i := range voters {
		path, err := registry.Proof(uint64(i))
		if err != nil {
			return err
		}
		votes := make([]uint64, 3)
		votes[pick(rng)] = 1
		ballot, err := prover.Cast(ctx, voteKeys, params, ids[i], path, votes)
		if err != nil {
			return err
		}
		if _, err := box.Submit(ctx, ballot.Bytes()); err != nil {
			return err
		}
		if (i+1)%25 == 0 || i+1 == voters {
			el := time.Since(start)
			fmt.Printf("    %d/%d ballots accepted (%v, %v per ballot)\n", i+1, voters, el.Round(time.Second), (el / time.Duration(i+1)).Round(time.Millisecond))
		}
	}

	// Citizen 0 tries to vote again, with a fresh proof and another choice.
	path, _ := registry.Proof(0)
	again, err := prover.Cast(ctx, voteKeys, params, ids[0], path, []uint64{0, 0, 1})
	if err != nil {
		return err
	}
	_, err = box.Submit(ctx, again.Bytes())
	fmt.Printf("a second vote by the same citizen: refused: %v\n", errors.Is(err, election.ErrDuplicateNullifier))

	// A non-citizen proves membership of a tree of their own making
	// (prover.Cast would refuse the unknown root before proving, so they
	// build the witness themselves).
	outsider, _ := membership.GenerateIdentity()
	fake := membership.NewTree(nil)
	fake.InsertMany(ctx, append(commitments[:3:3], outsider.Commitment()))
	fakePath, _ := fake.Proof(3)
	digest, err := params.Digest()
	if err != nil {
		return err
	}
	forged, err := voteKeys.Prove(ctx, &circuits.VoteWitness{
		Membership: circuits.MembershipWitness{
			Root: fakePath.Root, Scope: params.Scope(), Secret: outsider.Secret(),
			Siblings: fakePath.Siblings, PathBits: fakePath.PathBits,
		},
		ParamsDigest: digest,
		NumOptions:   uint64(len(params.Options)),
		MaxPerOption: params.Rules.MaxPerOption, MinTotal: params.Rules.MinTotal, MaxTotal: params.Rules.MaxTotal,
		CostExponent: uint64(params.Rules.CostExponent),
		Votes:        []uint64{0, 1, 0},
	})
	if err != nil {
		return err
	}
	_, err = box.Submit(ctx, forged.Bytes())
	fmt.Printf("a non-citizen's vote: refused: %v\n", errors.Is(err, election.ErrUnknownRoot))

	if err := box.End(); err != nil {
		return err
	}
	results := box.Results()
	var logFile bytes.Buffer
	if err := box.ExportLog(&logFile); err != nil {
		return err
	}

	// The tally is proven in batches over the public log.
	l, err := election.ReadLog(logFile.Bytes())
	if err != nil {
		return err
	}
	done = step(fmt.Sprintf("proving the tally of %d ballots in batches of %d", len(l.Ballots), batch))
	tallies, err := prover.ProveTally(ctx, tallyKeys, params, l.Ballots, func(k, total int) {
		fmt.Printf("    batch %d/%d proven\n", k, total)
	})
	if err != nil {
		return err
	}
	done()

	// Anyone can audit: parameters, keys, log and tally proofs suffice.
	done = step("auditing: every ballot proof, every nullifier, the chain and the tally proofs")
	audited, err := election.Audit(ctx, params, voteKeys.VerifyingKey(), tallyKeys.VerifyingKey(), logFile.Bytes(), election.EncodeTallyProofs(tallies))
	if err != nil {
		return err
	}
	done()
	fmt.Printf("audit passed: %v\n", audited.Head == results.Head && audited.Ballots == results.Ballots)

	fmt.Printf("\nresults of %q (%d of %d citizens voted)\n", params.Question, results.Ballots, n)
	for i, o := range params.Options {
		fmt.Printf("    %-8s %d\n", o, results.Totals[i])
	}
	if results.Totals[0]*2 > results.Ballots {
		fmt.Println("the constitution is adopted")
	} else {
		fmt.Println("the constitution is not adopted")
	}
	return nil
}

// pick draws yes 60%, no 30%, abstain 10%.
func pick(rng *rand.Rand) int {
	switch x := rng.IntN(10); {
	case x < 6:
		return 0
	case x < 9:
		return 1
	default:
		return 2
	}
}

func mustElement(v uint64) fr.Element {
	var x fr.Element
	x.SetUint64(v)
	return x
}
