// Command referendum runs a whole referendum of a small network state: the
// registrar registers citizens, the organiser opens "Adopt the
// constitution?" with a ballot log that two independent witnesses cosign,
// a majority votes anonymously from their own devices, a second vote and a
// non-citizen's vote are refused, the box closes, the tally is proven, an
// auditor checks everything from the published log, a voter checks their
// receipt offline, and a forked log (the operator dropping a ballot) is
// caught by a witness, with a proof of misbehaviour anyone can check.
//
//	go run ./examples/referendum [-citizens 300] [-turnout 0.6] [-keys dir]
//
// The first run makes development keys (insecure single-party setup, a
// demo) and caches them; later runs reuse them.
package main

import (
	"context"
	"crypto/ed25519"
	cryptorand "crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/torchwood"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"k8s.io/klog/v2"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/witness"
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
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard) // Tessera, which keeps the ballot log, logs its start-up
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

	// Two witnesses, independent of the organiser, will cosign the ballot
	// log's checkpoints once they have checked each extends the last: the
	// box cannot then show two histories without both lying with it.
	boxKey, boxVerifierKey, err := note.GenerateKey(cryptorand.Reader, "ballots.example.org/referendum-2026-1")
	if err != nil {
		return err
	}
	boxVerifier, err := note.NewVerifier(boxVerifierKey)
	if err != nil {
		return err
	}
	var witnesses []*witness.Witness
	var witnessKeys, witnessURLs []string
	for i := range 2 {
		w, url, err := startWitness(filepath.Join(work, fmt.Sprintf("witness%d", i)), fmt.Sprintf("witness%d.example.net", i), boxVerifier)
		if err != nil {
			return err
		}
		defer w.Close()
		witnesses = append(witnesses, w)
		witnessKeys = append(witnessKeys, w.VerifierKey())
		witnessURLs = append(witnessURLs, url)
	}

	// The organiser opens the referendum over the published census root,
	// pinning the verifying keys it is proven and counted with (a real
	// election's come from ceremonies: see examples/ceremony) and the
	// keys of its log: the box's and the witnesses' (both must cosign).
	params := &election.Params{
		DeploymentID: mustElement(2026), ElectionID: mustElement(1),
		Question: "Adopt the constitution?", Options: []string{"yes", "no", "abstain"},
		Census: []membership.Head{census}, Rules: election.SingleChoice(),
		VoteKey:  election.PinKey(voteKeys.VerifyingKey()),
		TallyKey: election.PinKey(tallyKeys.VerifyingKey()),
		Log:      election.LogKeys{Box: boxVerifierKey, Witnesses: witnessKeys, Quorum: 2},
	}
	boxDir := filepath.Join(work, "box")
	box, err := election.OpenBox(ctx, boxDir, params, voteKeys.VerifyingKey(), election.BoxOptions{Key: boxKey, Witnesses: witnessURLs})
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
	var receipt *election.Receipt // citizen 1's, which they keep
	var receiptBallot []byte
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
		r, err := box.Submit(ctx, ballot.Bytes())
		if err != nil {
			return err
		}
		if i == 1 {
			receipt, receiptBallot = r, ballot.Bytes()
		}
		if (i+1)%25 == 0 || i+1 == voters {
			el := time.Since(start)
			fmt.Printf("    %d/%d ballots accepted (%v, %v per ballot)\n", i+1, voters, el.Round(time.Second), (el / time.Duration(i+1)).Round(time.Millisecond))
		}
	}

	// Citizen 1 waits for a witnessed checkpoint of the log that holds
	// their ballot: the receipt then proves offline that the box published
	// it.
	if err := box.Prove(ctx, receipt); err != nil {
		return err
	}
	kept := receipt.Bytes()
	fmt.Printf("citizen 1 keeps a receipt of %d bytes: ballot %d, in a checkpoint of %d entries signed by the box and both witnesses\n",
		len(kept), receipt.Position, checkpointSize(receipt.Checkpoint))

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

	// The box's log directory is published as static files (C2SP
	// tlog-tiles); anyone reads it from there, checking the witnessed
	// checkpoint and every tile against it.
	published := election.LogDir(filepath.Join(boxDir, "log"))
	logFile, err := election.FetchLog(ctx, params, published)
	if err != nil {
		return err
	}

	// The tally is proven in batches over the public log.
	l, err := election.ReadLog(logFile)
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
	audited, err := election.Audit(ctx, params, voteKeys.VerifyingKey(), tallyKeys.VerifyingKey(), logFile, election.EncodeTallyProofs(tallies))
	if err != nil {
		return err
	}
	done()
	fmt.Printf("audit passed: %v\n", audited.Head == results.Head && audited.Ballots == results.Ballots)

	// Citizen 1, offline, with the parameters alone: the receipt proves
	// their ballot is in the log the box and both witnesses signed; and
	// the final log extends the receipt's checkpoint.
	kept2, err := election.ParseReceipt(kept)
	if err != nil {
		return err
	}
	ballot1, err := election.ParseBallot(receiptBallot)
	if err != nil {
		return err
	}
	fmt.Printf("citizen 1's receipt verifies offline: %v\n", election.VerifyReceipt(params, kept2, ballot1) == nil)
	policy, err := params.Log.Policy()
	if err != nil {
		return err
	}
	final := l.Checkpoint
	proof, err := election.ConsistencyProof(ctx, published, checkpointSize(kept2.Checkpoint), checkpointSize(final))
	if err != nil {
		return err
	}
	fmt.Printf("the final log extends the receipt's checkpoint: %v\n", policy.VerifyConsistent(kept2.Checkpoint, final, proof) == nil)

	// A dishonest operator, holding the box's key, signs another log of
	// the same size without citizen 1's ballot and shows it to a witness:
	// the witness refuses, and its refusal carries a proof of the
	// operator's misbehaviour that anyone can check with the box's key.
	fork, err := forkCheckpoint(boxKey, l, receipt.Position)
	if err != nil {
		return err
	}
	_, err = witnesses[0].AddCheckpoint(int64(checkpointSize(final)), nil, fork)
	var eq *witness.EquivocationError
	if !errors.As(err, &eq) {
		return fmt.Errorf("the witness did not catch the fork: %v", err)
	}
	evidence := eq.Evidence.Bytes()
	fmt.Printf("a forked log dropping citizen 1's ballot: caught; proof of misbehaviour (%d bytes) verifies: %v\n",
		len(evidence), witness.VerifyMisbehaviour(boxVerifier, eq.Evidence) == nil)
	fmt.Printf("    the forged checkpoint, signed by the box's key:\n%s", indent(eq.Evidence.Second))

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

// startWitness runs a witness for the box's log, with its own key and
// state, served over HTTP on loopback; it returns the witness and its URL.
func startWitness(dir, name string, box note.Verifier) (*witness.Witness, string, error) {
	_, key, err := ed25519.GenerateKey(cryptorand.Reader)
	if err != nil {
		return nil, "", err
	}
	w, err := witness.Open(witness.Config{Dir: dir, Name: name, Key: key, Logs: []witness.Log{{Origin: box.Name(), Key: box}}})
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.Close()
		return nil, "", err
	}
	srv := &http.Server{Handler: w, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return w, "http://" + ln.Addr().String(), nil
}

// checkpointSize returns the tree size a checkpoint note states.
func checkpointSize(cp []byte) uint64 {
	c, err := torchwood.ParseCheckpoint(strings.SplitN(string(cp), "\n\n", 2)[0] + "\n")
	if err != nil {
		return 0
	}
	return uint64(c.N)
}

// forkCheckpoint signs, with the box's key, a checkpoint of a log of the
// same size as l's where ballot drop is replaced by the close entry
// repeated: what an operator who wants a ballot gone would show someone.
func forkCheckpoint(boxKey string, l *election.Log, drop uint64) ([]byte, error) {
	signer, err := note.NewSigner(boxKey)
	if err != nil {
		return nil, err
	}
	digest, err := l.Params.Digest()
	if err != nil {
		return nil, err
	}
	d := digest.Bytes()
	entries := [][]byte{append(append([]byte{0}, "ZKVOTEBX\x02"...), d[:]...)}
	for i, b := range l.Ballots {
		if uint64(i) != drop {
			entries = append(entries, append([]byte{1}, b.Bytes()...))
		}
	}
	entries = append(entries, []byte{2}, []byte{2})
	leaves := make([]tlog.Hash, len(entries))
	for i, e := range entries {
		leaves[i] = tlog.RecordHash(e)
	}
	root := merkleRoot(leaves)
	text := fmt.Sprintf("%s\n%d\n%s\n", signer.Name(), len(entries), base64.StdEncoding.EncodeToString(root[:]))
	return note.Sign(&note.Note{Text: text}, signer)
}

// merkleRoot is the RFC 6962 root of the leaf hashes.
func merkleRoot(leaves []tlog.Hash) tlog.Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return tlog.NodeHash(merkleRoot(leaves[:k]), merkleRoot(leaves[k:]))
}

// indent prints a note indented, for the terminal.
func indent(b []byte) string {
	return "        " + strings.ReplaceAll(strings.TrimRight(string(b), "\n"), "\n", "\n        ") + "\n"
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
