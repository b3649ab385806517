package election_test

// Fixtures shared by the package's tests: a census of test identities, an
// election over it with development vote and tally keys, cached ballots; a
// stand-in election whose ballots cost a millisecond; and logs built by
// hand, as exports and as box directories.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

const (
	tDepth   = 4
	tOptions = 4
	tVoters  = 10
	tBatch   = 4
)

func fe(v uint64) fr.Element { var x fr.Element; x.SetUint64(v); return x }

// testPin is a stand-in key pin for parameters that never meet a key.
func testPin(b byte) KeyPin { return KeyPin{Backend: verifier.Groth16, ID: [32]byte{b}} }

// world is a census of test identities, an election over it, and keys.
type world struct {
	tree   *membership.Tree
	params *Params
	keys   *prover.Keys
}

var (
	worldOnce sync.Once
	shared    *world
	ballots   sync.Map // voter index → *Ballot (single choice, option voter%3)

	tallyOnce sync.Once
	tallyKeys *prover.Keys
)

func testWorld(t testing.TB) *world {
	worldOnce.Do(func() {
		ctx := context.Background()
		tr := membership.NewTree(nil)
		_, err := tr.InsertMany(ctx, membershiptest.Commitments(0, tVoters))
		require.NoError(t, err)
		k, err := prover.SetupInsecure(ctx, statement.Vote(tDepth, tOptions))
		require.NoError(t, err)
		p := &Params{Log: testLogKeys(), DeploymentID: fe(1), ElectionID: fe(2), Question: "Adopt the constitution?",
			Options: []string{"yes", "no", "abstain"}, Census: []membership.Head{tr.Head()}, Rules: SingleChoice(),
			Depth: tDepth, MaxOptions: tOptions,
			VoteKey: PinKey(k.VerifyingKey()), TallyKey: PinKey(testTallyKeys(t).VerifyingKey())}
		shared = &world{tree: tr, params: p, keys: k}
	})
	require.NotNil(t, shared)
	return shared
}

func testTallyKeys(t testing.TB) *prover.Keys {
	tallyOnce.Do(func() {
		k, err := prover.SetupInsecure(context.Background(), statement.Tally(tBatch, tOptions))
		require.NoError(t, err)
		tallyKeys = k
	})
	require.NotNil(t, tallyKeys)
	return tallyKeys
}

// ballotOf returns voter i's (cached) ballot for option i%3.
func ballotOf(t testing.TB, w *world, i int) *Ballot {
	if b, ok := ballots.Load(i); ok {
		return b.(*Ballot)
	}
	path, err := w.tree.Proof(uint64(i))
	require.NoError(t, err)
	votes := make([]uint64, 3)
	votes[i%3] = 1
	b, err := prover.Cast(context.Background(), w.keys, w.params, membershiptest.Identity(uint64(i)), path, votes)
	require.NoError(t, err)
	ballots.Store(i, b)
	return b
}

func openTestBox(t *testing.T, w *world, dir string) *Box {
	b, err := OpenBox(context.Background(), dir, w.params, w.keys.VerifyingKey(), testBoxOptions())
	require.NoError(t, err)
	return b
}

// withPublic returns ballot bytes with their public inputs changed by f
// (the proof is left as it is).
func withPublic(t testing.TB, ballot []byte, f func(v *statement.VotePublic)) []byte {
	p, err := verifier.ParseProof(ballot)
	require.NoError(t, err)
	v, err := statement.ParseVote(p.Public)
	require.NoError(t, err)
	f(v)
	p.Public = v.Vector()
	return p.Bytes()
}

// testBoxSigner signs checkpoints as the test box.
var testBoxSigner = func() note.Signer {
	s, err := note.NewSigner(testBoxSKey)
	if err != nil {
		panic(err)
	}
	return s
}()

// buildLog writes an exported log by hand, as a box (or a forger) would:
// the header, the ballots and, if closed, the close entry, under a
// checkpoint the test box signs.
func buildLog(t testing.TB, p *Params, ballots [][]byte, closed bool) []byte {
	digest, err := p.Digest()
	require.NoError(t, err)
	entries := [][]byte{Header(digest)}
	for _, b := range ballots {
		entries = append(entries, append([]byte{RecBallot}, b...))
	}
	if closed {
		entries = append(entries, []byte{RecClosed})
	}
	out, err := BuildExport(p, entries, testBoxSigner)
	require.NoError(t, err)
	return out
}

// The test box's checkpoint key, the same in every run.
var testBoxSKey, testBoxVKey = testkeys.Key("zkvote.test/box")

// testLogKeys names the test box's key and no witness.
func testLogKeys() LogKeys { return LogKeys{Box: testBoxVKey} }

// testBoxOptions open a box with the test key and the shortest checkpoint
// interval Tessera's POSIX driver allows.
func testBoxOptions() BoxOptions {
	return BoxOptions{Key: testBoxSKey, CheckpointInterval: 100 * time.Millisecond}
}

// awaitCheckpoint waits until box has published a checkpoint that holds
// every durable entry (the header, the ballots, and the close entry once
// the election ended) and returns it.
func awaitCheckpoint(t testing.TB, box *Box) []byte {
	t.Helper()
	res := box.Results()
	want := 1 + res.Ballots
	if res.Closed {
		want++
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		cp, n, err := box.Checkpoint(ctx)
		require.NoError(t, err)
		if cp != nil && n >= want {
			return cp
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no checkpoint of %d entries was published (the latest holds %d)", want, n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// exportLog exports box's log once a checkpoint holds every durable entry.
func exportLog(t testing.TB, b *Box) []byte {
	t.Helper()
	awaitCheckpoint(t, b)
	var buf bytes.Buffer
	require.NoError(t, b.ExportLog(context.Background(), &buf))
	return buf.Bytes()
}

// exportParts splits an exported log into its parameters' encoding, its
// checkpoint and its entries, following the format documented in
// election/log.go ("ZKVOTELG" | version 1 | params | checkpoint | entries),
// without the package's reader.
func exportParts(t testing.TB, data []byte) (params, checkpoint []byte, entries [][]byte) {
	t.Helper()
	rest, ok := bytes.CutPrefix(data, []byte("ZKVOTELG\x01"))
	require.True(t, ok, "not a version 1 export")
	cut := func() []byte {
		require.GreaterOrEqual(t, len(rest), 4)
		n := binary.BigEndian.Uint32(rest)
		require.LessOrEqual(t, uint64(n), uint64(len(rest)-4))
		out := rest[4 : 4+n]
		rest = rest[4+n:]
		return out
	}
	params, checkpoint = cut(), cut()
	for len(rest) > 0 {
		require.GreaterOrEqual(t, len(rest), 2)
		n := int(binary.BigEndian.Uint16(rest))
		require.LessOrEqual(t, n, len(rest)-2)
		entries = append(entries, rest[2:2+n])
		rest = rest[2+n:]
	}
	return params, checkpoint, entries
}

// reExport returns the exported log data with its entries replaced by
// entries, under a checkpoint the test box signs: what the box (or anyone
// holding its key) could publish instead.
func reExport(t testing.TB, p *Params, entries [][]byte) []byte {
	t.Helper()
	out, err := BuildExport(p, entries, testBoxSigner)
	require.NoError(t, err)
	return out
}

// dirFiles returns every file under dir by its path relative to dir, with
// its contents (for a file over 1 MiB, its size and modification time),
// leaving out lock files, which hold no data: a snapshot to show that an
// open refused a directory without touching it.
func dirFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.Name() == "LOCK" || strings.HasSuffix(d.Name(), ".lock") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() > 1<<20 {
			out[rel] = fmt.Sprintf("%d bytes, modified %v", fi.Size(), fi.ModTime())
			return nil
		}
		b, err := os.ReadFile(path)
		out[rel] = string(b)
		return err
	})
	require.NoError(t, err)
	return out
}

// copyDir copies the box directory src (its files, not its locks' state)
// to a new temporary directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

// The log of a box directory by hand, in Tessera's POSIX layout: the C2SP
// tlog-tiles resources (checkpoint, tile/<L>/<N>[.p/<W>],
// tile/entries/<N>[.p/<W>]) and Tessera's state files (.state/treeState,
// the JSON {"size","root"} of the integrated tree, and .state/version).
const (
	logCheckpoint = "checkpoint"
	logTreeState  = ".state/treeState"
)

// craftBox writes a box directory for the parameters' encoding enc by
// hand, as a box (or anyone holding its key) would leave it: the params
// file, and a log of entries (at most 256: one entry bundle and one
// level-0 hash tile) whose tree state and checkpoint, signed by the test
// box key, hold them all. It is built from the formats, not by Tessera or
// the package's readers.
func craftBox(t testing.TB, dir string, enc []byte, entries [][]byte) {
	t.Helper()
	require.LessOrEqual(t, len(entries), layout.EntryBundleWidth)
	require.NoError(t, os.MkdirAll(dir, 0o700))
	writeBoxFile(t, dir, ParamsFile, enc)
	var bundle, tile []byte
	leaves := make([]tlog.Hash, len(entries))
	for i, e := range entries {
		bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(e)))
		bundle = append(bundle, e...)
		leaves[i] = tlog.RecordHash(e)
		tile = append(tile, leaves[i][:]...)
	}
	n := uint64(len(entries))
	p := layout.PartialTileSize(0, 0, n)
	if n > 0 {
		writeBoxFile(t, dir, logFile(layout.EntriesPath(0, p)), bundle)
		writeBoxFile(t, dir, logFile(layout.TilePath(0, 0, p)), tile)
	}
	root := treeHash(leaves)
	writeBoxFile(t, dir, logFile(".state/version"), []byte("1"))
	writeBoxFile(t, dir, logFile(logTreeState), treeState(n, root))
	writeBoxFile(t, dir, logFile(logCheckpoint), signCheckpoint(t, testBoxSigner, n, root))
}

// logFile is the path of a file of the log relative to the box directory.
func logFile(name string) string { return filepath.Join(LogDirName, filepath.FromSlash(name)) }

func writeBoxFile(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, data, 0o600))
}

// treeState is Tessera's POSIX tree state file for a tree.
func treeState(size uint64, root tlog.Hash) []byte {
	return fmt.Appendf(nil, `{"size":%d,"root":%q}`, size, base64.StdEncoding.EncodeToString(root[:]))
}

// signCheckpoint returns a C2SP checkpoint of a tree, signed by s (whose
// name is the origin).
func signCheckpoint(t testing.TB, s note.Signer, size uint64, root tlog.Hash) []byte {
	t.Helper()
	text := fmt.Sprintf("%s\n%d\n%s\n", s.Name(), size, base64.StdEncoding.EncodeToString(root[:]))
	cp, err := note.Sign(&note.Note{Text: text}, s)
	require.NoError(t, err)
	return cp
}

// treeHash is RFC 6962's Merkle tree hash over leaf hashes: the hash of
// the empty string for none, the leaf for one, else the node hash of the
// largest power-of-two prefix and the rest.
func treeHash(leaves []tlog.Hash) tlog.Hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := 1
	for 2*k < len(leaves) {
		k *= 2
	}
	return tlog.NodeHash(treeHash(leaves[:k]), treeHash(leaves[k:]))
}

// entryHashes returns the leaf hashes of entries.
func entryHashes(entries [][]byte) []tlog.Hash {
	out := make([]tlog.Hash, len(entries))
	for i, e := range entries {
		out[i] = tlog.RecordHash(e)
	}
	return out
}

// The stand-in election: its vote key is for stubCircuit, which has a vote
// statement's public inputs (depth stubDepth, stubOptions options) and
// proves only that the prover knows their squares. A ballot for it is any
// vote statement with a proof that verifies under the key the parameters
// pin, so the box takes it, and proving one takes a millisecond. It is
// for tests of the box and its log, which verify ballots but never look
// inside the vote circuit.
const (
	stubDepth   = 4
	stubOptions = 4
	stubPublic  = 9 + stubOptions // a vote statement's public inputs
)

type stubCircuit struct {
	X  [stubPublic]frontend.Variable `gnark:",public"`
	Sq [stubPublic]frontend.Variable
}

func (c *stubCircuit) Define(api frontend.API) error {
	for i := range c.X {
		api.AssertIsEqual(api.Mul(c.X[i], c.X[i]), c.Sq[i])
	}
	return nil
}

// stubWorld is a stand-in election: parameters pinning the stand-in vote
// key, and the key's proving half.
type stubWorld struct {
	ccs    constraint.ConstraintSystem
	pk     groth16.ProvingKey
	vk     *verifier.VerifyingKey
	params *Params
}

// newStubWorld sets up a stand-in vote key (a fresh one each call) and
// parameters pinning it, with the given log keys.
func newStubWorld(t testing.TB, log LogKeys) *stubWorld {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &stubCircuit{})
	require.NoError(t, err)
	pk, gvk, err := groth16.Setup(ccs)
	require.NoError(t, err)
	vk, err := verifier.NewGroth16VerifyingKey(statement.Vote(stubDepth, stubOptions).Name(), stubPublic, gvk.(*groth16bn254.VerifyingKey))
	require.NoError(t, err)
	p := &Params{
		Log: log, DeploymentID: fe(1), ElectionID: fe(2),
		Question: "Adopt the constitution?", Options: []string{"yes", "no", "abstain"},
		Census: []membership.Head{{Size: 3, Root: fe(77)}}, Rules: SingleChoice(),
		Depth: stubDepth, MaxOptions: stubOptions,
		VoteKey: PinKey(vk), TallyKey: testPin(2),
	}
	require.NoError(t, p.Validate())
	return &stubWorld{ccs: ccs, pk: pk, vk: vk, params: p}
}

// public returns the public inputs of a ballot of s's election with this
// nullifier and a vote for option vote.
func (s *stubWorld) public(nullifier uint64, vote int) []fr.Element {
	digest, err := s.params.Digest()
	if err != nil {
		panic(err) // the parameters were validated
	}
	r := s.params.Rules
	v := statement.VotePublic{
		Root: s.params.Census[0].Root, Nullifier: fe(nullifier), Scope: s.params.Scope(), ParamsDigest: digest,
		NumOptions: uint64(len(s.params.Options)), MaxPerOption: r.MaxPerOption, MinTotal: r.MinTotal, MaxTotal: r.MaxTotal,
		CostExponent: uint64(r.CostExponent), Votes: make([]uint64, stubOptions),
	}
	v.Votes[vote] = 1
	return v.Vector()
}

// ballot returns a valid ballot of s's election: citizen nullifier votes
// for option vote.
func (s *stubWorld) ballot(t testing.TB, nullifier uint64, vote int) []byte {
	t.Helper()
	b, err := s.cast(nullifier, vote)
	require.NoError(t, err)
	return b
}

// cast is ballot, returning its error (for any goroutine).
func (s *stubWorld) cast(nullifier uint64, vote int) ([]byte, error) {
	public := s.public(nullifier, vote)
	var a stubCircuit
	for i := range a.X {
		var sq fr.Element
		sq.Square(&public[i])
		a.X[i], a.Sq[i] = public[i], sq
	}
	wit, err := frontend.NewWitness(&a, ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	proof, err := groth16.Prove(s.ccs, s.pk, wit)
	if err != nil {
		return nil, err
	}
	var data bytes.Buffer
	if _, err := proof.WriteTo(&data); err != nil {
		return nil, err
	}
	p := &verifier.Proof{Backend: verifier.Groth16, KeyID: s.vk.ID(), Public: public, Data: data.Bytes()}
	return p.Bytes(), nil
}

// ballots returns n valid ballots of distinct citizens (nullifiers 1 to
// n), ballot i voting for option (i+1)%3.
func (s *stubWorld) ballots(t testing.TB, n int) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() { out[i], errs[i] = s.cast(uint64(i+1), (i+1)%3) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return out
}

// open opens s's box in dir with the test box options.
func (s *stubWorld) open(t testing.TB, dir string) *Box {
	t.Helper()
	b, err := OpenBox(context.Background(), dir, s.params, s.vk, testBoxOptions())
	require.NoError(t, err)
	return b
}
