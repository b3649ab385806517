// Command secret-ballot runs a whole secret election of a small network
// state: five trustees make a 3-of-5 election key (one of them deals two
// different deals and is disqualified), citizens register and vote
// anonymously with encrypted ballots, some change their mind and vote
// again, a replayed old ballot is refused, the box shows only how many have
// voted until the election ends, a voter keeps a receipt of the box's
// signed log and checks it offline, three trustees decrypt the sum (of
// the other two, one is offline and one publishes a bad share, which is
// caught), and an auditor checks everything from public material.
//
//	go run ./examples/secret-ballot [-citizens 200] [-revote 0.1] [-keys dir]
//
// The first run makes development keys (insecure single-party setup, a
// demo) and caches them; later runs reuse them.
package main

import (
	"bytes"
	"cmp"
	"context"
	cryptorand "crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"
	"golang.org/x/mod/sumdb/note"
	"k8s.io/klog/v2"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
)

// The vote circuit is compiled for the example, not for a real election.
// A secret ballot's proof costs a few thousand constraints per ciphertext
// on top of the membership proof, and proving time follows the constraint
// count (and its next power of two, the size of gnark's FFT domain). Two
// candidates packed into one ciphertext, and a census depth of 8 (256
// citizens; more citizens get a deeper circuit, with keys of their own),
// keep the circuit just under 2^13 constraints, so that 200 citizens and
// their re-votes are proven in under a minute on two cores. A real
// election compiles statement.DefaultDepth (room for a million citizens
// and more) and as many options as its ballots may need, at several times
// the cost per ballot.
const (
	options  = 2
	minDepth = 8
	trustees = 5
	needed   = 3 // the threshold: trustees needed to decrypt
	cheater  = 4 // the trustee who seals a bad share, then publishes a bad decryption share
	offline  = 5 // the trustee who is offline when the results are decrypted
	victim   = 2 // the trustee the cheater seals its bad share to
	// workers is the number of ballots proven at a time. gnark spreads one
	// proof over every core, but not evenly; a second proof in flight
	// keeps two cores busy.
	workers = 2
)

func main() {
	citizens := flag.Int("citizens", 200, "number of registered citizens (all vote)")
	revote := flag.Float64("revote", 0.1, "share of voters who vote a second time (at least one does)")
	keyDir := flag.String("keys", defaultKeyDir(), "cache directory for development keys")
	flag.Parse()
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard) // Tessera, which keeps the ballot log, logs its start-up
	logger.Disable()           // gnark logs every proof at debug level
	if *citizens < 2 || *citizens > membership.MaxLeaves || *revote < 0 || *revote > 1 {
		log.Fatal("secret-ballot: need at least 2 citizens and a re-vote share in [0, 1]")
	}
	if err := run(*citizens, *revote, *keyDir); err != nil {
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

func run(n int, revote float64, keyDir string) error {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "secret-ballot")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	depth := max(minDepth, bits.Len(uint(n-1)))
	s := statement.SecretVote(depth, options, statement.DefaultPack)
	done := step(fmt.Sprintf("loading or making development keys for %s in %s (first run: a few seconds)", s, keyDir))
	voteKeys, err := prover.OpenInsecure(ctx, keyDir, s)
	if err != nil {
		return err
	}
	done()
	fmt.Printf("    %d constraints\n", voteKeys.NbConstraints())

	// The trustees make the election key; no one of them ever holds its
	// secret.
	key, keyShares, err := keyGeneration()
	if err != nil {
		return err
	}

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

	// The organiser opens the election over the published census root,
	// with the trustees' election key and the vote key it is proven with
	// (a real election's comes from a ceremony: see examples/ceremony). A
	// secret election has no tally key: its trustees count it.
	mode, err := election.NewSecretMode(key, 0)
	if err != nil {
		return err
	}
	// The box signs its log's checkpoints with its own key, which the
	// parameters name (examples/referendum adds witnesses that cosign).
	boxKey, boxVerifierKey, err := note.GenerateKey(cryptorand.Reader, "ballots.example.org/council-chair")
	if err != nil {
		return err
	}
	params := &election.Params{
		DeploymentID: mustElement(2026), ElectionID: mustElement(2),
		Question: "Who chairs the council?", Options: []string{"Ada", "Grace"},
		Census: []membership.Head{census}, Rules: election.SingleChoice(),
		Depth: depth, MaxOptions: options,
		VoteKey: election.PinKey(voteKeys.VerifyingKey()),
		Secret:  mode,
		Log:     election.LogKeys{Box: boxVerifierKey},
	}
	box, err := election.OpenBox(ctx, filepath.Join(work, "box"), params, voteKeys.VerifyingKey(), election.BoxOptions{Key: boxKey})
	if err != nil {
		return err
	}
	defer box.Close() // releases the box's files; box.End below ends the election
	fmt.Printf("election open: %q; a candidate's total can reach %v, within the trustees' search\n",
		params.Question, params.MaxOptionTotal())

	// Every citizen votes once, from their own device: the ballot proves
	// membership anonymously and carries the vote encrypted to the trustees.
	rng := rand.New(rand.NewPCG(1, 2))
	latest := make([]int, n) // each citizen's latest choice, to check the result against
	first := make([]*election.Ballot, n)
	var receipt *election.Receipt
	casts := make([]cast, n)
	for i := range casts {
		latest[i] = pick(rng)
		casts[i] = cast{citizen: i, choice: latest[i], counter: 1}
	}
	err = castAll(ctx, voteKeys, params, registry, ids, box, casts, func(c cast, b *election.Ballot, r *election.Receipt) {
		first[c.citizen] = b
		if c.citizen == 0 {
			receipt = r
		}
	})
	if err != nil {
		return err
	}
	showBox(box)

	// Some change their mind: a later ballot, with a higher counter,
	// replaces their first in the count. The nullifier is the same, so
	// anyone who knows a citizen's nullifier sees that they voted again.
	again := max(1, int(float64(n)*revote+0.5))
	casts = casts[:0]
	for i := range again {
		latest[i] = 1 - latest[i]
		casts = append(casts, cast{citizen: i, choice: latest[i], counter: 2})
	}
	var receiptBallot *election.Ballot
	err = castAll(ctx, voteKeys, params, registry, ids, box, casts, func(c cast, b *election.Ballot, r *election.Receipt) {
		if c.citizen == 0 {
			receipt, receiptBallot = r, b
		}
	})
	if err != nil {
		return err
	}
	showBox(box)

	// Citizen 0 waits for a published checkpoint of the log holding their
	// latest ballot: the box signed it, and the receipt proves it offline.
	if err := box.Prove(ctx, receipt); err != nil {
		return err
	}
	fmt.Printf("citizen 0 keeps a receipt of %d bytes for their latest ballot (ballot %d of the log)\n", len(receipt.Bytes()), receipt.Position)

	// Someone replays citizen 0's first ballot: a valid proof, but its
	// counter is not above the latest, so it cannot undo the re-vote.
	_, err = box.Submit(ctx, first[0].Bytes())
	fmt.Printf("a replay of citizen 0's first ballot: refused: %v\n    (%v)\n", errors.Is(err, election.ErrStaleBallot), err)

	if err := box.End(); err != nil {
		return err
	}
	results := box.Results()
	var logFile bytes.Buffer
	if err := box.ExportLog(ctx, &logFile); err != nil {
		return err
	}
	l, err := election.ReadLog(logFile.Bytes())
	if err != nil {
		return err
	}
	fmt.Printf("election ended: %d ballots in the log; citizen 0 finds their latest ballot in it: %v; their receipt verifies offline: %v\n",
		len(l.Ballots), l.CheckReceipt(receipt) == nil, election.VerifyReceipt(params, receipt, receiptBallot) == nil)

	// The trustees decrypt the encrypted sum, never a single ballot. The
	// box publishes the final chain head; each trustee audits the log, and
	// refuses one that is not closed or does not end at that head (a log
	// of one citizen's ballot, say), and records in its journal the one
	// sum it decrypts for this election.
	fmt.Printf("the box publishes the final chain head %x…\n", headPrefix(results.Head))
	shares, err := decryptionShares(ctx, params, voteKeys, logFile.Bytes(), results.Head, keyShares, work)
	if err != nil {
		return err
	}

	// Anyone can audit: the parameters, the vote key, the log and the
	// published decryption shares suffice.
	done = step("auditing: every ballot proof, every counter, the chain, the encrypted sum and each decryption share")
	audited, err := election.AuditSecret(ctx, params, voteKeys.VerifyingKey(), logFile.Bytes(), shares)
	if err != nil {
		return err
	}
	done()
	for _, r := range audited.Decryption.Refused {
		fmt.Printf("    refused: %v\n", r)
	}
	fmt.Printf("    decrypted with the shares of trustees %v\n", audited.Decryption.Used)
	fmt.Printf("audit passed: %v\n", audited.Head == results.Head && audited.Ballots == results.Ballots && audited.Voters == results.Voters)

	want := make([]uint64, options)
	for _, c := range latest {
		want[c]++
	}
	fmt.Printf("\nresults of %q (%d citizens voted, %d ballots cast)\n", params.Question, audited.Voters, audited.Ballots)
	for i, o := range params.Options {
		fmt.Printf("    %-8s %d\n", o, audited.Totals[i])
	}
	fmt.Printf("the totals are the citizens' latest choices: %v\n", slices.Equal(audited.Totals, want))
	return nil
}

// keyGeneration runs the trustees' two public rounds and returns the
// election key and each trustee's share of it (by index).
func keyGeneration() (*trustee.ElectionKey, map[int]*trustee.KeyShare, error) {
	done := step(fmt.Sprintf("key generation: %d trustees, any %d of whom can decrypt", trustees, needed))
	setup := &trustee.Setup{Threshold: needed, Context: []byte("zkvote example: council election 2026")}
	longTerm := make([]*trustee.LongTermKey, trustees)
	for i := range longTerm {
		k, err := trustee.GenerateLongTermKey(nil)
		if err != nil {
			return nil, nil, err
		}
		longTerm[i] = k
		setup.Keys = append(setup.Keys, k.Public())
	}

	// Round 1: each trustee publishes a deal, signed: commitments to a
	// random polynomial and a share of it sealed to every trustee. Trustee
	// 4 cheats: it alters the share it seals to trustee 2 and signs the
	// deal as it stands, so the share does not open (nor match the
	// commitments the others hold). Deals go on a public board.
	var board [][]byte
	for i, k := range longTerm {
		d, err := k.Deal(setup, nil)
		if err != nil {
			return nil, nil, err
		}
		if i+1 == cheater {
			d.Shares[victim-1][0] ^= 1
			if err := k.Sign(setup, d, nil); err != nil {
				return nil, nil, err
			}
		}
		board = append(board, d.Bytes())
	}
	fmt.Printf("    round 1: %d deals of %d bytes on the board; trustee %d sealed a bad share to trustee %d\n",
		len(board), len(board[0]), cheater, victim)
	deals := make([]*trustee.Deal, len(board))
	for i, b := range board {
		var err error
		if deals[i], err = trustee.ParseDeal(b); err != nil {
			return nil, nil, err
		}
	}

	// Round 2: each trustee checks the shares dealt to it and complains
	// about any that does not open or match its dealer's commitments. A
	// complaint reveals just enough (the Diffie–Hellman point of that one
	// share, with a proof) for anyone to judge it.
	var complaints []*trustee.Complaint
	for _, k := range longTerm {
		cs, err := k.Check(setup, deals, nil)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			upheld, err := setup.Judge(c, deals[c.Dealer-1])
			if err != nil {
				return nil, nil, err
			}
			fmt.Printf("    trustee %d complains about trustee %d's share; anyone judging it: upheld=%v\n", c.Complainer, c.Dealer, upheld)
		}
		complaints = append(complaints, cs...)
	}
	fmt.Printf("    round 2: %d complaints\n", len(complaints))
	key, err := trustee.Finish(setup, deals, complaints)
	if err != nil {
		return nil, nil, err
	}
	fmt.Printf("    qualified dealers %v, disqualified %v (an upheld complaint)\n", key.Qualified, key.Disqualified)
	for _, why := range key.Ignored {
		fmt.Printf("    ignored: %v\n", why)
	}

	// Every trustee, the disqualified dealer too, holds a share of the key
	// the qualified dealers made.
	shares := map[int]*trustee.KeyShare{}
	for _, k := range longTerm {
		ks, err := k.Share(setup, deals, key)
		if err != nil {
			return nil, nil, err
		}
		shares[ks.Index] = ks
	}
	pk := key.PublicKey.Bytes()
	fmt.Printf("    election key %x…, %d of %d to decrypt\n", pk[:8], key.Threshold, len(key.Verification))
	done()
	return key, shares, nil
}

// decryptionShares returns the decryption shares the trustees publish: the
// online honest ones', and the cheater's, altered; the offline trustee
// publishes nothing.
func decryptionShares(ctx context.Context, params *election.Params, keys *prover.Keys, logData []byte, head fr.Element, keyShares map[int]*trustee.KeyShare, work string) ([][]byte, error) {
	done := step(fmt.Sprintf("decryption: trustee %d is offline, trustee %d publishes a bad share", offline, cheater))
	var shares [][]byte
	for i := 1; i <= trustees; i++ {
		if i == offline {
			continue
		}
		journal := filepath.Join(work, fmt.Sprintf("trustee-%d", i))
		d, err := election.PartialDecrypt(ctx, params, keys.VerifyingKey(), logData, head, keyShares[i], journal, nil)
		if err != nil {
			return nil, err
		}
		if i == cheater {
			// A share that would shift the result: its proof no longer
			// holds.
			d.Partials[0].D = d.Partials[0].D.Add(trustee.Generator())
		}
		shares = append(shares, d.Bytes())
		fmt.Printf("    trustee %d publishes a decryption share of %d bytes\n", i, len(shares[len(shares)-1]))
	}
	done()
	return shares, nil
}

// headPrefix returns the first 8 bytes of a chain head (248 bits, so
// after its leading zero byte).
func headPrefix(h fr.Element) []byte {
	b := h.Bytes()
	return b[1:9]
}

// cast is one ballot a citizen casts.
type cast struct {
	citizen, choice int
	counter         uint64
}

// castAll proves the ballots of casts on their citizens' devices (here, two
// at a time), submits them to the box and calls accepted with each receipt.
func castAll(ctx context.Context, keys *prover.Keys, params *election.Params, registry *membership.Tree, ids []*membership.Identity,
	box *election.Box, casts []cast, accepted func(cast, *election.Ballot, *election.Receipt)) error {
	if len(casts) == 1 {
		fmt.Println("1 ballot is cast ...")
	} else {
		fmt.Printf("%d ballots are cast ...\n", len(casts))
	}
	start := time.Now()
	var (
		mu    sync.Mutex
		count int
		first error
		wg    sync.WaitGroup
		next  = make(chan cast)
	)
	for range workers {
		wg.Go(func() {
			for c := range next {
				b, r, err := castOne(ctx, keys, params, registry, ids[c.citizen], box, c)
				mu.Lock()
				if err != nil {
					first = cmp.Or(first, err)
				} else {
					accepted(c, b, r)
					count++
					if count%25 == 0 || count == len(casts) {
						el := time.Since(start)
						fmt.Printf("    %d/%d ballots accepted (%v, %v per ballot)\n", count, len(casts), el.Round(time.Second), (el / time.Duration(count)).Round(time.Millisecond))
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, c := range casts {
		next <- c
	}
	close(next)
	wg.Wait()
	return first
}

// castOne proves one citizen's ballot and submits it.
func castOne(ctx context.Context, keys *prover.Keys, params *election.Params, registry *membership.Tree, id *membership.Identity, box *election.Box, c cast) (*election.Ballot, *election.Receipt, error) {
	path, err := registry.Proof(uint64(c.citizen))
	if err != nil {
		return nil, nil, err
	}
	votes := make([]uint64, options)
	votes[c.choice] = 1
	ballot, err := prover.CastSecret(ctx, keys, params, id, path, votes, c.counter, nil)
	if err != nil {
		return nil, nil, err
	}
	r, err := box.Submit(ctx, ballot.Bytes())
	return ballot, r, err
}

// showBox prints what the box shows while the election runs: counts, never
// totals.
func showBox(box *election.Box) {
	r := box.Results()
	totals := "none, only their encrypted sum"
	if r.Totals != nil {
		totals = fmt.Sprint(r.Totals)
	}
	fmt.Printf("the box shows: %d ballots from %d citizens; totals: %s\n", r.Ballots, r.Voters, totals)
}

// pick draws Ada 55%, Grace 45%.
func pick(rng *rand.Rand) int {
	if rng.IntN(100) < 55 {
		return 0
	}
	return 1
}

func mustElement(v uint64) fr.Element {
	var x fr.Element
	x.SetUint64(v)
	return x
}
