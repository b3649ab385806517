package election

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/transparency-dev/tessera"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/tiles"
	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
	"github.com/netstate/zkvote/witness"
)

// A box's directory holds:
//
//	LOCK    the box's lock (internal/wal.Lock): one process at a time
//	params  the election's parameters (their canonical encoding)
//	log/    the ballot log, a C2SP tlog-tiles log kept by Trillian
//	        Tessera's POSIX storage, servable as static files (unless the
//	        box was opened with another Tessera driver, which keeps it)
//
// The log's entries (see logEntry):
//
//	entry 0: the header, kind 0 | "ZKVOTEBX" | version 2 | params digest (32)
//	entry k+1: ballot k, kind 1 | the ballot's canonical bytes
//	the last entry, once the election has ended: kind 2 (close)
//
// An entry is acknowledged once Tessera has integrated it (its index
// future resolved: the entry, its hashes and the tree state are fsynced);
// a checkpoint signed by the box's key and cosigned by the election's
// witnesses publishes it later, within a checkpoint interval.
//
// The chain head over the ballots (internal/chain, with one vote per
// compiled option) is recomputed on open and by every auditor; it is what
// tally proofs certify.
const (
	lockFile      = "LOCK"
	paramsFile    = "params"
	logDir        = "log"
	boxMagic      = "ZKVOTEBX"
	boxVersion    = 2
	recHeader     = 0
	recBallot     = 1
	recClosed     = 2
	maxEntrySize  = tessera.DefaultEntrySizeLimit
	maxParamsSize = 1 << 20
)

// MaxBallotSize bounds a ballot's bytes: the box's log keeps entries of at
// most 65,535 bytes (Tessera's bound), one of which says the entry's kind.
const MaxBallotSize = maxEntrySize - 1

// Receipt acknowledges a ballot once it is durable. It names the ballot by
// what the log's hash chain covers: its position, its nullifier, its votes
// and the chain head after it. [Box.Prove] adds the log's proof that the
// ballot is in it: a checkpoint signed by the box and cosigned by the
// election's witnesses, and an inclusion proof, which [VerifyReceipt]
// checks offline with the ballot and the parameters alone.
//
// A receipt with its proof is evidence a voter can show anyone: the box
// signed a log that holds this ballot. A later checkpoint of the log that is
// not consistent with it (the box dropped the ballot, or showed another
// history) is a signed, provable accusation (witness.ProveFork).
// [Log.CheckReceipt] checks a receipt against a whole log, head included.
type Receipt struct {
	Position  uint64     // the ballot's index among the log's ballots, from 0 (its entry is Position+1)
	Nullifier fr.Element // the voter's nullifier in this election
	Votes     []uint64   // the votes, one per option of the election (nil in secret mode)
	Head      fr.Element // the chain head after this ballot
	// Secret mode only: the ballot's counter and the hash of its
	// ciphertexts, which the chain covers instead of votes.
	Counter     uint64
	Ciphertexts fr.Element
	// Checkpoint and Proof are the log's proof, set by [Box.Prove]: a
	// checkpoint note whose tree holds the ballot's entry, and the RFC
	// 6962 inclusion proof of the entry in it.
	Checkpoint []byte
	Proof      []tlog.Hash
}

// Results are the per-option totals of every durable ballot. In secret
// mode a box knows no totals: it shows the number of ballots and of
// citizens who voted, and the encrypted sum of each citizen's latest
// ballot; [AuditSecret] adds the totals once the trustees decrypt.
type Results struct {
	Ballots uint64     // ballots in the log (in secret mode, replaced ones too)
	Totals  []uint64   // one per option; nil in secret mode before decryption
	Head    fr.Element // the chain head after the last ballot
	Closed  bool       // the log ends with a durable close entry

	// Secret mode only.
	Voters    uint64               // citizens with a ballot: the ballots that count
	Encrypted []trustee.Ciphertext // the sum of the counted ballots' ciphertexts
	// Decryption says whose partial decryptions gave the totals (from
	// AuditSecret with decryption shares).
	Decryption *Decryption
}

// ErrOutcomeUnknown is wrapped, together with ErrBoxFailed, by the error of
// every Submit (or End) whose entry Tessera failed to integrate (a full
// disk, an I/O error, a database error) or integrated at another index than
// the box expected. The entry may be in the log or not. The box is
// fail-stop: it accepts nothing more, and every later Submit returns
// ErrBoxFailed alone (those ballots were certainly not recorded).
//
// A client that gets ErrOutcomeUnknown learns the outcome once the box is
// reopened: it submits the same ballot again. A receipt means it is
// recorded now; ErrDuplicateNullifier means the first submission was
// recorded and counts. (Looking its nullifier up in the published log
// tells the same.)
var ErrOutcomeUnknown = errors.New("election: the ballot log write failed and the outcome is unknown; resubmit after the box is reopened")

// errShutDown is End's error after Close: the close entry was never
// written.
var errShutDown = errors.New("election: the box was closed and the election is still open; reopen the box to end it")

// BoxOptions are how a box signs its log and reaches its witnesses: what
// an operator configures, where the parameters say what voters check.
type BoxOptions struct {
	// Key is the box's checkpoint signing key, a note signer key
	// ("PRIVATE+KEY+<name>+<hash>+<key>", from note.GenerateKey), whose
	// verifier key is the parameters' Log.Box. Required.
	Key string
	// Witnesses are the base URLs of the parameters' witnesses, one per
	// key of Log.Witnesses and in the same order; the box posts each
	// checkpoint to <url>/add-checkpoint (C2SP tlog-witness) and publishes
	// it once Log.Quorum of them cosigned. Required when Log.Quorum > 0.
	Witnesses []string
	// HTTPClient reaches the witnesses; nil is http.DefaultClient. With the
	// POSIX driver the box bounds the witnesses' responses (64 KiB); another
	// driver takes its own client, which its operator should bound.
	HTTPClient *http.Client
	// Driver is the Tessera storage the log is kept in; nil keeps it in
	// the box's directory with Tessera's POSIX driver. Another driver
	// (storage/mysql, a cloud one) must hold this election's log or an
	// empty one, and serve only this box.
	Driver tessera.Driver
	// CheckpointInterval is how often the box signs and publishes a
	// checkpoint, the longest a receipt waits for its proof (Box.Prove)
	// besides the witnesses' answers; 0 is 250 ms. Tessera's POSIX
	// driver refuses less than 100 ms.
	CheckpointInterval time.Duration
	// WitnessTimeout bounds a checkpoint's wait for its cosignatures; 0 is
	// 5 s. A checkpoint without its quorum is not published: acknowledged
	// ballots stay durable, and their proofs wait for the next checkpoint.
	WitnessTimeout time.Duration
}

// Box is a ballot box: it accepts each citizen's ballot once and keeps a
// durable, witnessed transparency log of them. It is safe for concurrent
// use.
type Box struct {
	params *Params
	scope  fr.Element
	digest fr.Element
	vk     *verifier.VerifyingKey
	policy witness.Policy
	dir    string
	lock   *os.File

	// The log: Tessera's appender (add, a seam for tests), its reader and
	// shutdown, and the context its background work runs under.
	add      tessera.AddFn
	reader   tessera.LogReader
	shutdown func(context.Context) error
	cancel   context.CancelFunc
	cps      checkpoints

	mu      sync.Mutex
	used    map[fr.Element]struct{} // nullifiers of durable and pending ballots (open mode)
	latest  map[fr.Element]*latest  // secret mode: each citizen's latest ballot, durable or pending
	head    fr.Element              // chain head including pending ballots
	pos     uint64                  // ballots including pending
	closing *pending                // the close entry, pending or durable: no more ballots
	stopped bool                    // Close began: nothing more is queued
	failed  error                   // an entry failed to integrate: fail-stop
	queue   []*pending
	totals  []uint64 // per option, including pending ballots
	durable Results
	sums    []trustee.Sum // secret mode: the encrypted sum of the durable ballots that count
	size    uint64        // entries of the log that are durable
	tree    tiles.Hasher  // the tree of the durable entries
	covered uint64        // entries whose state came from the state file on open
	// stateKey keys the state file's MAC (snapshot.go).
	stateKey [32]byte

	// Proofs waiting to be verified in a batch (verify).
	vmu       sync.Mutex
	checks    []*check
	verifying bool // verifyLoop runs

	// The commit goroutine hands entries to Tessera in order, one batch at
	// a time, and acknowledges them once integrated; after Close it shuts
	// the log down and releases the directory.
	wake     chan struct{}
	stop     chan struct{} // closed once, by the first Close
	exited   chan struct{} // closed by commit after it released the log
	closeErr error         // shutting the log down; read after exited
}

// pending is an entry queued for the log: err is set before fin is closed.
type pending struct {
	entry []byte
	kind  byte
	votes []uint64
	head  fr.Element
	err   error
	fin   chan struct{}
	// A secret ballot: its ciphertexts, and those of the citizen's ballot it
	// replaces (nil for a first ballot), to move the durable sum.
	cts, replaced []trustee.Ciphertext
}

// latest is a citizen's latest secret ballot: its counter and its
// ciphertexts' compressed encodings (compressCiphertexts: half the memory
// of decoded points or of the ballot's uncompressed encoding; they are
// decoded again only when a re-vote replaces them).
type latest struct {
	counter uint64
	cts     []byte
}

// compressCiphertexts returns the ciphertexts' compressed encodings
// (trustee.Ciphertext.Bytes), one after another.
func compressCiphertexts(cts []trustee.Ciphertext) []byte {
	out := make([]byte, 0, len(cts)*trustee.CiphertextSize)
	for _, c := range cts {
		e := c.Bytes()
		out = append(out, e[:]...)
	}
	return out
}

// decompressCiphertexts decodes compressCiphertexts' output strictly.
func decompressCiphertexts(b []byte) ([]trustee.Ciphertext, error) {
	out := make([]trustee.Ciphertext, len(b)/trustee.CiphertextSize)
	for i := range out {
		c, err := trustee.ParseCiphertext(b[i*trustee.CiphertextSize : (i+1)*trustee.CiphertextSize])
		if err != nil {
			return nil, fmt.Errorf("ciphertext %d: %v", i, err)
		}
		out[i] = c
	}
	return out, nil
}

// OpenBox opens the ballot box for params in dir, creating it if dir holds
// none, with vk the vote circuit's verifying key, which must be the key
// params pin (else ErrKeyMismatch), and opts.Key the box's checkpoint key
// that params name. A box created for other parameters returns
// ErrWrongElection.
//
// Opening replays the log: every entry Tessera integrated is read back and
// checked (a ballot of this election, no nullifier twice, after the header
// and before any close entry), else ErrCorrupt names the entry and leaves
// the log as it is. Entries of a batch whose Submit returned
// ErrOutcomeUnknown count if Tessera integrated them.
//
// ctx is checked while the log is replayed.
func OpenBox(ctx context.Context, dir string, params *Params, vk *verifier.VerifyingKey, opts BoxOptions) (*Box, error) {
	enc, err := params.Encode()
	if err != nil {
		return nil, err
	}
	digest, _ := params.Digest()
	if err := params.checkVoteKey(vk); err != nil {
		return nil, err
	}
	return openBox(ctx, dir, params, vk, enc, digest, opts, nil)
}

// openBox opens the box after OpenBox's checks; wrap, if not nil, wraps
// Tessera's Add (tests inject failures with it).
func openBox(ctx context.Context, dir string, params *Params, vk *verifier.VerifyingKey, enc []byte, digest fr.Element, opts BoxOptions, wrap func(tessera.AddFn) tessera.AddFn) (*Box, error) {
	policy, err := params.Log.Policy()
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(opts.Key)
	if err != nil {
		return nil, fmt.Errorf("election: the box's key: %v", err)
	}
	if signer.Name() != policy.Log.Name() || signer.KeyHash() != policy.Log.KeyHash() {
		return nil, fmt.Errorf("%w: the box's key is not the log key the parameters name", ErrKeyMismatch)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("election: %v", err)
	}
	lock, err := wal.Lock(filepath.Join(dir, lockFile))
	if errors.Is(err, wal.ErrLocked) {
		return nil, ErrLocked
	}
	if err != nil {
		return nil, fmt.Errorf("election: %v", err)
	}
	b := &Box{
		params: params, scope: params.Scope(), digest: digest, vk: vk, policy: policy, dir: dir, lock: lock, stateKey: stateKey(opts.Key),
		used: make(map[fr.Element]struct{}), latest: make(map[fr.Element]*latest),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), exited: make(chan struct{}),
	}
	b.head = chain.Genesis(b.scope)
	b.durable = Results{Totals: make([]uint64, len(params.Options)), Head: b.head}
	b.totals = make([]uint64, len(params.Options))
	if params.Secret != nil {
		b.durable.Totals = nil
		b.sums = make([]trustee.Sum, params.VoteStatement().Ciphertexts())
	}
	if err := b.open(ctx, enc, signer, opts, wrap); err != nil {
		wal.Unlock(lock)
		return nil, err
	}
	go b.commit()
	return b, nil
}

// open checks or writes the parameters file, starts the log and replays it.
func (b *Box) open(ctx context.Context, enc []byte, signer note.Signer, opts BoxOptions, wrap func(tessera.AddFn) tessera.AddFn) error {
	stored, err := readAtMost(filepath.Join(b.dir, paramsFile), maxParamsSize)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := wal.WriteFileAtomic(b.dir, paramsFile, func(w io.Writer) error { _, err := w.Write(enc); return err }); err != nil {
			return fmt.Errorf("election: writing the parameters: %v", err)
		}
	case err != nil:
		return fmt.Errorf("%w: the parameters file: %v", ErrCorrupt, err)
	case !bytes.Equal(stored, enc):
		if _, err := ParseParams(stored); err != nil {
			return fmt.Errorf("%w: the parameters file: %v", ErrCorrupt, err)
		}
		return ErrWrongElection
	}
	aopts, err := appendOptions(b.params, signer, opts)
	if err != nil {
		return err
	}
	// With the POSIX driver the log is checked from its files before
	// Tessera starts: Tessera would take a log without its tree state for
	// a new one, and publish a checkpoint over whatever it finds.
	var size uint64
	logPath := filepath.Join(b.dir, logDir)
	if opts.Driver == nil {
		var root tlog.Hash
		var exists bool
		if size, root, exists, err = readTreeState(logPath); err != nil {
			return err
		}
		if exists && size > 0 {
			if err := b.replay(ctx, tiles.DirExact(logPath), size, &root); err != nil {
				return err
			}
		}
	}
	logCtx, cancel := context.WithCancel(context.Background())
	drv := opts.Driver
	if drv == nil {
		if drv, err = posixDriver(logCtx, logPath, boundedClient(opts.HTTPClient)); err != nil {
			cancel()
			return fmt.Errorf("election: the log: %v", err)
		}
	}
	app, shutdown, reader, err := tessera.NewAppender(logCtx, drv, aopts)
	if err != nil {
		cancel()
		return fmt.Errorf("election: opening the log: %v", err)
	}
	b.add, b.shutdown, b.reader, b.cancel = app.Add, shutdown, reader, cancel
	b.cps.reader, b.cps.policy = reader, b.policy
	if wrap != nil {
		b.add = wrap(b.add)
	}
	if err := b.start(ctx, opts.Driver == nil, size); err != nil {
		b.stopLog()
		return err
	}
	return nil
}

// start checks the log Tessera opened against what open read (POSIX), or
// replays it now (another driver), and writes the header of a new log.
func (b *Box) start(ctx context.Context, replayed bool, size uint64) error {
	integrated, err := b.reader.IntegratedSize(ctx)
	if err != nil {
		return fmt.Errorf("election: reading the log's size: %v", err)
	}
	switch {
	case replayed && integrated != size:
		return fmt.Errorf("%w: the log holds %d entries, its tree state said %d: another writer shares it", ErrCorrupt, integrated, size)
	case !replayed && integrated > 0:
		if err := b.replay(ctx, b.reader, integrated, nil); err != nil {
			return err
		}
	}
	if integrated > 0 {
		return nil
	}
	idx, err := b.add(ctx, tessera.NewEntry(header(b.digest)))()
	if err != nil {
		return fmt.Errorf("election: writing the log's header: %v", err)
	}
	if idx.Index != 0 {
		return fmt.Errorf("%w: the log's header went to entry %d: another writer shares the log", ErrCorrupt, idx.Index)
	}
	b.size = 1
	b.tree.Append(header(b.digest))
	return nil
}

// maxWitnessResponse bounds a witness's answer to a checkpoint (its
// cosignature lines): Tessera reads the answers whole.
const maxWitnessResponse = witness.MaxCheckpointSize

// boundedClient returns a copy of hc (http.DefaultClient if nil) whose
// response bodies fail past maxWitnessResponse bytes, so that a hostile
// witness cannot make the box hold what it streams.
func boundedClient(hc *http.Client) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = boundedTransport{base}
	return &c
}

type boundedTransport struct{ base http.RoundTripper }

func (t boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		resp.Body = &boundedBody{ReadCloser: resp.Body, left: maxWitnessResponse + 1}
	}
	return resp, err
}

// boundedBody reads at most maxWitnessResponse bytes of a body, then
// fails.
type boundedBody struct {
	io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left <= 0 {
		return n, fmt.Errorf("election: a witness's response is over %d bytes", maxWitnessResponse)
	}
	return n, err
}

// readTreeState reads the tree state Tessera's POSIX driver keeps in
// .state/treeState (JSON: size and root), bounded. A log directory with
// tiles or a checkpoint but no tree state is damage: Tessera would start
// it over.
func readTreeState(logPath string) (size uint64, root tlog.Hash, exists bool, err error) {
	raw, err := readAtMost(filepath.Join(logPath, ".state", "treeState"), 4<<10)
	if errors.Is(err, os.ErrNotExist) {
		for _, p := range []string{"checkpoint", "tile"} {
			if _, err := os.Lstat(filepath.Join(logPath, p)); !errors.Is(err, os.ErrNotExist) {
				return 0, root, false, fmt.Errorf("%w: the log has %s but no tree state (.state/treeState)", ErrCorrupt, p)
			}
		}
		return 0, root, false, nil
	}
	if err != nil {
		return 0, root, false, fmt.Errorf("%w: the log's tree state: %v", ErrCorrupt, err)
	}
	var st struct {
		Size *uint64 `json:"size"`
		Root []byte  `json:"root"`
	}
	if err := json.Unmarshal(raw, &st); err != nil || st.Size == nil || len(st.Root) != tlog.HashSize {
		return 0, root, false, fmt.Errorf("%w: the log's tree state does not parse", ErrCorrupt)
	}
	copy(root[:], st.Root)
	return *st.Size, root, true, nil
}

// readAtMost reads a file of at most limit bytes; a larger one is an error
// and is not read.
func readAtMost(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > limit {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", filepath.Base(path), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("%s: more than %d bytes", filepath.Base(path), limit)
	}
	return b, err
}

// appendOptions are Tessera's options for the box's log.
func appendOptions(p *Params, signer note.Signer, opts BoxOptions) (*tessera.AppendOptions, error) {
	interval := opts.CheckpointInterval
	if interval == 0 {
		interval = 250 * time.Millisecond
	}
	o := tessera.NewAppendOptions().WithCheckpointSigner(signer).
		WithBatching(uint(maxBatch)+1, batchAge).
		WithCheckpointInterval(interval).
		WithPushback(4 * maxBatch)
	if len(p.Log.Witnesses) == 0 {
		return o, nil
	}
	if len(opts.Witnesses) != len(p.Log.Witnesses) {
		return nil, fmt.Errorf("election: %d witness URLs for the %d witnesses the parameters name", len(opts.Witnesses), len(p.Log.Witnesses))
	}
	// Tessera's witness group, in its policy format (Sigsum's, with
	// cosignature keys): one line per witness, then the quorum.
	var policy strings.Builder
	var names []string
	for i, raw := range opts.Witnesses {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(raw, " \t\r\n#") {
			return nil, fmt.Errorf("election: witness %d: %q is not an http(s) URL", i, raw)
		}
		names = append(names, fmt.Sprintf("w%d", i))
		fmt.Fprintf(&policy, "witness w%d %s %s\n", i, p.Log.Witnesses[i], raw)
	}
	if p.Log.Quorum == 0 {
		policy.WriteString("quorum none\n")
	} else {
		fmt.Fprintf(&policy, "group q %d %s\nquorum q\n", p.Log.Quorum, strings.Join(names, " "))
	}
	group, err := tessera.NewWitnessGroupFromPolicy([]byte(policy.String()))
	if err != nil {
		return nil, fmt.Errorf("election: the witnesses: %v", err)
	}
	timeout := opts.WitnessTimeout
	if timeout == 0 {
		timeout = tessera.DefaultWitnessTimeout
	}
	return o.WithWitnesses(group, &tessera.WitnessOptions{Timeout: timeout}), nil
}

// How the commit goroutine batches: at most maxBatch entries go to Tessera
// at once, and Tessera sequences them batchAge after the first, in one
// flush of its queue. Tessera's queue (storage/internal.Queue, v1.0.4)
// takes a flush's entries under its lock but hands them to its sequencer
// after releasing it, so two flushes in flight can be sequenced out of
// order: a batch split between a timed flush and a size-triggered one (or
// two timed ones) could land at other indices than it was added at, which
// the box catches and fail-stops on (TestBoxCloseRace saw it under -race).
// So Tessera's size bound is never reached (maxBatch+1: the box adds at
// most maxBatch, then waits for them), and batchAge is long enough for a
// whole batch to reach the queue before the timer fires.
const (
	maxBatch = 256
	batchAge = 2 * time.Millisecond
)

// stopLog shuts the log down: Tessera finishes what it was given and
// publishes a checkpoint covering it, within shutdownWait.
func (b *Box) stopLog() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
	defer cancel()
	err := b.shutdown(ctx)
	b.cancel()
	if err != nil {
		return fmt.Errorf("election: no checkpoint covering the log's last entries was published (they are durable; the next checkpoint will cover them): %v", err)
	}
	return nil
}

// shutdownWait bounds Close's wait for the last checkpoint.
var shutdownWait = 10 * time.Second

// header is the log's first entry for the election with this digest.
func header(digest fr.Element) []byte {
	d := digest.Bytes()
	return append(append([]byte{recHeader}, boxMagic...), append([]byte{boxVersion}, d[:]...)...)
}

// checkHeader checks a log's first entry: another election's is
// ErrWrongElection, anything else that is not this header ErrCorrupt.
func checkHeader(entry []byte, digest fr.Element) error {
	want := header(digest)
	switch {
	case bytes.Equal(entry, want):
		return nil
	case len(entry) == len(want) && bytes.Equal(entry[:10], want[:10]):
		return ErrWrongElection
	}
	return fmt.Errorf("%w: entry 0 is not a ballot log's header", ErrCorrupt)
}

// replay reads the log's size entries back from f and rebuilds the box's
// state. The entries must hash to the log's published checkpoint (at its
// size) and, if root is not nil, to the tree state's root at size; the
// hash tiles, which Tessera extends and proofs are built from, must be
// those of the entries. A first entry of another election's header is
// ErrWrongElection only if the log is otherwise intact.
func (b *Box) replay(ctx context.Context, f tiles.Fetcher, size uint64, root *tlog.Hash) error {
	snap, err := b.loadState(size)
	if err != nil {
		snap = nil // errNoState: replay every entry
	}
	err = b.replayFrom(ctx, f, size, root, snap)
	if errors.Is(err, errStaleState) {
		b.resetState()
		err = b.replayFrom(ctx, f, size, root, nil)
	}
	return err
}

// replayFrom is replay, taking the state of the entries a snapshot covers
// from it (nil: none).
func (b *Box) replayFrom(ctx context.Context, f tiles.Fetcher, size uint64, root *tlog.Hash, snap *snapshot) error {
	cpRaw, err := f.ReadCheckpoint(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: a log of %d entries without a checkpoint", ErrCorrupt, size)
	}
	if err != nil {
		return fmt.Errorf("%w: the log's checkpoint: %v", ErrCorrupt, err)
	}
	published, err := b.policy.Verify(cpRaw)
	if err != nil {
		return fmt.Errorf("%w: the log's checkpoint: %w", ErrCorrupt, err)
	}
	if uint64(published.N) > size {
		return fmt.Errorf("%w: the published checkpoint holds %d entries, the log %d", ErrCorrupt, published.N, size)
	}
	var closed bool
	var covered uint64 // entries whose state the snapshot holds
	if snap != nil {
		b.apply(snap)
		closed, covered = snap.res.Closed, snap.size
	}
	var headerErr error
	var tree tiles.Hasher
	tc := &tileCheck{ctx: ctx, f: f}
	err = tiles.Entries(ctx, f, 0, size, func(i uint64, entry []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		tree.Append(entry)
		if err := tc.add(entry); err != nil {
			return err
		}
		if tree.Size() == uint64(published.N) && tree.Root() != published.Hash {
			return fmt.Errorf("%w: entries 0 to %d do not hash to the published checkpoint's root", ErrCorrupt, i)
		}
		if tree.Size() == covered && tree.Root() != snap.root {
			return errStaleState
		}
		switch {
		case headerErr != nil:
			return nil // only the hashes matter now
		case i == 0:
			if headerErr = checkHeader(entry, b.digest); errors.Is(headerErr, ErrWrongElection) {
				return nil
			}
			return headerErr
		case i < covered:
			return nil // counted in the snapshot
		case closed:
			return fmt.Errorf("%w: entry %d follows the close entry", ErrCorrupt, i)
		case len(entry) == 1 && entry[0] == recClosed:
			closed = true
			return nil
		case len(entry) < 2 || entry[0] != recBallot:
			return fmt.Errorf("%w: entry %d is neither a ballot nor the close", ErrCorrupt, i)
		}
		return b.replayBallot(i-1, entry[1:])
	})
	if err != nil {
		if errors.Is(err, ErrCorrupt) || errors.Is(err, errStaleState) || ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	full := tree.Root()
	if root != nil && full != *root {
		return fmt.Errorf("%w: the log's %d entries do not hash to its tree state's root", ErrCorrupt, size)
	}
	if err := tc.finish(); err != nil {
		return err
	}
	if headerErr != nil {
		return headerErr
	}
	b.size, b.tree, b.covered = size, tree, covered
	if closed {
		b.durable.Closed = true
		b.closing = &pending{kind: recClosed, fin: make(chan struct{})}
		close(b.closing.fin)
	}
	return nil
}

// tileCheck checks a log's hash tiles against its entries, as the entries
// stream past: each tile at level 0 must hold exactly the leaf hashes of
// its 256 entries (or of the entries of a partial tile), and each tile at
// level L > 0 exactly the roots of the complete level-(L-1) tiles below
// it. Tessera extends the tree from these tiles and proofs are built from
// them: a damaged one would make the box sign a fork of its own log, or
// hand out proofs that do not verify.
type tileCheck struct {
	ctx   context.Context
	f     tiles.Fetcher
	block []tlog.Hash // the leaf hashes of the level-0 tile being filled
	tiles uint64      // complete level-0 tiles checked
	up    []tlog.Hash // the roots of the complete level-0 tiles
}

func (c *tileCheck) add(entry []byte) error {
	c.block = append(c.block, tlog.RecordHash(entry))
	if len(c.block) < 256 {
		return nil
	}
	if err := c.compare(0, c.tiles, c.block); err != nil {
		return err
	}
	c.up = append(c.up, subtreeRoot(c.block))
	c.tiles++
	c.block = c.block[:0]
	return nil
}

// finish checks the partial level-0 tile, then every level above.
func (c *tileCheck) finish() error {
	if len(c.block) > 0 {
		if err := c.compare(0, c.tiles, c.block); err != nil {
			return err
		}
	}
	row := c.up
	for level := uint64(1); len(row) > 0; level++ {
		var next []tlog.Hash
		for n := uint64(0); n*256 < uint64(len(row)); n++ {
			part := row[n*256 : min(uint64(len(row)), n*256+256)]
			if err := c.compare(level, n, part); err != nil {
				return err
			}
			if len(part) == 256 {
				next = append(next, subtreeRoot(part))
			}
		}
		row = next
	}
	return nil
}

// compare checks that tile (level, n) holds exactly want.
func (c *tileCheck) compare(level, n uint64, want []tlog.Hash) error {
	var p uint8
	if len(want) < 256 {
		p = uint8(len(want))
	}
	data, err := c.f.ReadTile(c.ctx, level, n, p)
	if err != nil {
		return fmt.Errorf("%w: hash tile %d/%d: %v", ErrCorrupt, level, n, err)
	}
	if len(data) != len(want)*tlog.HashSize {
		return fmt.Errorf("%w: hash tile %d/%d holds %d bytes, want %d", ErrCorrupt, level, n, len(data), len(want)*tlog.HashSize)
	}
	for i, h := range want {
		if !bytes.Equal(data[i*tlog.HashSize:(i+1)*tlog.HashSize], h[:]) {
			return fmt.Errorf("%w: hash tile %d/%d is not that of the log's entries (hash %d)", ErrCorrupt, level, n, i)
		}
	}
	return nil
}

// subtreeRoot is the RFC 6962 root of 256 (a power of two) hashes.
func subtreeRoot(hs []tlog.Hash) tlog.Hash {
	if len(hs) == 1 {
		return hs[0]
	}
	return tlog.NodeHash(subtreeRoot(hs[:len(hs)/2]), subtreeRoot(hs[len(hs)/2:]))
}

// replayBallot counts ballot pos, read back from the log.
func (b *Box) replayBallot(pos uint64, data []byte) error {
	bal, err := parseBallot(data, trustee.ParseCiphertextXY)
	if err != nil {
		return fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, pos, err)
	}
	if err := bal.checkStatement(b.params, b.scope, b.digest); err != nil {
		return fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, pos, err)
	}
	if bal.Secret() {
		p, err := b.admitSecret(bal)
		if err != nil {
			return fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, pos, err)
		}
		b.countSecret(p)
		return nil
	}
	n := bal.Nullifier()
	if _, dup := b.used[n]; dup {
		return fmt.Errorf("%w: ballot %d repeats a nullifier", ErrCorrupt, pos)
	}
	votes := bal.Votes(b.params.maxOptions())
	head, err := chain.Entry(b.head, n, votes)
	if err != nil {
		return fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, pos, err)
	}
	if err := addTotals(b.totals, votes); err != nil {
		return fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, pos, err)
	}
	b.used[n] = struct{}{}
	b.head = head
	b.pos++
	b.count(votes, head)
	return nil
}

// count adds a durable ballot to the results; the caller holds mu (or owns
// b). votes has the compiled number of options; those beyond the election's
// are 0. Submit checked the addition against totals that include every
// pending ballot, so it cannot overflow.
func (b *Box) count(votes []uint64, head fr.Element) {
	b.durable.Ballots++
	for i := range b.durable.Totals {
		b.durable.Totals[i] += votes[i]
	}
	b.durable.Head = head
}

// Submit checks a ballot and, if it is valid and its citizen has not voted,
// appends it to the log and returns a receipt once it is durable.
//
// The checks, in order: the bytes decode (ErrMalformedBallot); the ballot is
// for this election (ErrWrongElection), under its rules (ErrRulesMismatch),
// for an accepted root (ErrUnknownRoot); the box is open (ErrClosed, also
// after Close or End) and has not failed (ErrBoxFailed); the proof verifies
// (verifier.ErrInvalidProof); the nullifier is unused
// (ErrDuplicateNullifier). The last check and the reservation of the
// nullifier are one atomic step: of many concurrent ballots with one
// nullifier exactly one is accepted, whatever their bytes.
//
// In secret mode a ballot's ciphertexts must also be the ones its proof
// hashes under the election key (ErrCiphertextHash, checked before the
// proof), and instead of an unused nullifier the ballot needs a counter
// above that of its citizen's latest ballot (ErrStaleBallot); the new
// ballot replaces the latest in the encrypted sum. For a client after
// ErrOutcomeUnknown, ErrStaleBallot on resubmission means the ballot (or a
// later one of the citizen) was recorded.
//
// Every error but ErrOutcomeUnknown means the ballot is not in the log. An
// error wrapping ErrOutcomeUnknown means the write of its group commit
// failed and it may be: see [ErrOutcomeUnknown] for what the client does.
//
// ctx is checked before verification; once a ballot is queued for the log
// Submit waits for it to be durable (or its write to fail).
func (b *Box) Submit(ctx context.Context, data []byte) (*Receipt, error) {
	if len(data) > MaxBallotSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformedBallot, len(data))
	}
	bal, err := ParseBallot(data)
	if err != nil {
		return nil, err
	}
	if err := bal.checkStatement(b.params, b.scope, b.digest); err != nil {
		return nil, err
	}
	n := bal.Nullifier()
	b.mu.Lock()
	err = b.refuse(bal)
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.verify(ctx, bal.proof); err != nil {
		return nil, err
	}
	canonical := bal.Bytes()
	if bal.Secret() {
		return b.submitSecret(bal, canonical)
	}
	votes := bal.Votes(b.params.maxOptions())
	b.mu.Lock()
	if err := b.refuse(bal); err != nil {
		b.mu.Unlock()
		return nil, err
	}
	head, err := chain.Entry(b.head, n, votes)
	if err != nil {
		b.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	// Checked before the ballot is queued, so that counting a durable
	// ballot (count) can never overflow.
	if err := addTotals(b.totals, votes); err != nil {
		b.mu.Unlock()
		return nil, err
	}
	b.used[n] = struct{}{}
	b.head = head
	pos := b.pos
	b.pos++
	p := &pending{kind: recBallot, votes: votes, head: head, fin: make(chan struct{})}
	if err := b.enqueue(p, canonical); err != nil {
		return nil, err
	}
	return &Receipt{Position: pos, Nullifier: n, Votes: votes[:len(b.params.Options)], Head: head}, nil
}

// verify verifies a ballot's proof together with those of the ballots
// submitted at the same time: one combined check (verifier.VerifyAll) for
// up to maxVerifyBatch proofs, several times cheaper per proof than
// verifying each. If the combined check fails, every proof of the batch is
// verified alone, so a batch that holds an invalid proof costs its honest
// neighbours their single verifications and no more: flooding the box
// with invalid proofs costs it about one verification per proof, as
// without batching.
func (b *Box) verify(ctx context.Context, proof *verifier.Proof) error {
	c := &check{proof: proof, done: make(chan struct{})}
	b.vmu.Lock()
	b.checks = append(b.checks, c)
	if !b.verifying {
		b.verifying = true
		go b.verifyLoop()
	}
	b.vmu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxVerifyBatch bounds the proofs checked at once.
const maxVerifyBatch = 64

// check is a proof waiting for verification: err is set before done is
// closed.
type check struct {
	proof *verifier.Proof
	err   error
	done  chan struct{}
}

// verifyLoop verifies the waiting proofs a batch at a time, and ends when
// none waits (verify starts it again).
func (b *Box) verifyLoop() {
	for {
		b.vmu.Lock()
		n := min(len(b.checks), maxVerifyBatch)
		if n == 0 {
			b.verifying = false
			b.vmu.Unlock()
			return
		}
		batch := b.checks[:n:n]
		b.checks = b.checks[n:]
		b.vmu.Unlock()
		proofs := make([]*verifier.Proof, len(batch))
		for i, c := range batch {
			proofs[i] = c.proof
		}
		err := verifier.ErrInvalidProof
		if len(batch) > 1 {
			err = verifier.VerifyAll(context.Background(), b.vk, proofs)
		}
		if err != nil {
			parallel(len(batch), func(i int) { batch[i].err = verifier.Verify(b.vk, proofs[i]) })
		}
		for _, c := range batch {
			close(c.done)
		}
	}
}

// enqueue queues a ballot's entry, releases mu (which the caller holds)
// and waits until the entry is durable or its write failed.
func (b *Box) enqueue(p *pending, canonical []byte) error {
	p.entry = append([]byte{recBallot}, canonical...)
	b.queue = append(b.queue, p)
	b.mu.Unlock()
	b.signal()
	<-p.fin
	return p.err
}

// submitSecret queues a verified secret ballot and waits until it is
// durable.
func (b *Box) submitSecret(bal *Ballot, canonical []byte) (*Receipt, error) {
	b.mu.Lock()
	if err := b.refuse(bal); err != nil {
		b.mu.Unlock()
		return nil, err
	}
	pos := b.pos
	p, err := b.admitSecret(bal)
	if err != nil {
		b.mu.Unlock()
		return nil, err
	}
	if err := b.enqueue(p, canonical); err != nil {
		return nil, err
	}
	return &Receipt{Position: pos, Nullifier: bal.Nullifier(), Counter: bal.Counter(), Ciphertexts: bal.CiphertextHash(), Head: p.head}, nil
}

// ErrStaleBallot: a secret ballot's counter is not above that of the
// citizen's latest ballot in the box. A replayed old ballot, and the latest
// one submitted again, get it.
var ErrStaleBallot = errors.New("election: the ballot's counter is not above the citizen's latest ballot")

// admitSecret takes a secret ballot whose statement was checked into the
// box's state (its citizen's latest ballot, the chain head, the position)
// and returns its pending record (without its bytes); the caller holds mu
// or owns b.
func (b *Box) admitSecret(bal *Ballot) (*pending, error) {
	if err := b.stale(bal); err != nil {
		return nil, err
	}
	n := bal.Nullifier()
	prev := b.latest[n]
	p := &pending{kind: recBallot, cts: bal.cts, fin: make(chan struct{})}
	if prev != nil {
		old, err := decompressCiphertexts(prev.cts)
		if err != nil { // the box encoded them from points it had parsed
			return nil, fmt.Errorf("election: the latest ballot's ciphertexts: %v", err)
		}
		p.replaced = old
	}
	b.latest[n] = &latest{counter: bal.Counter(), cts: compressCiphertexts(bal.cts)}
	b.head = chain.SecretEntry(b.head, n, bal.Counter(), bal.CiphertextHash())
	p.head = b.head
	b.pos++
	return p, nil
}

// countSecret adds a durable secret ballot to the results; the caller
// holds mu (or owns b).
func (b *Box) countSecret(p *pending) {
	r := &b.durable
	r.Ballots++
	if p.replaced == nil {
		r.Voters++
	}
	for i := range b.sums {
		b.sums[i].Add(p.cts[i])
		if p.replaced != nil {
			b.sums[i].Sub(p.replaced[i])
		}
	}
	r.Head = p.head
}

// stale returns ErrStaleBallot if the secret ballot's counter is not above
// its citizen's latest; the caller holds mu or owns b.
func (b *Box) stale(bal *Ballot) error {
	if prev := b.latest[bal.Nullifier()]; prev != nil && bal.Counter() <= prev.counter {
		return fmt.Errorf("%w: counter %d, the latest is %d", ErrStaleBallot, bal.Counter(), prev.counter)
	}
	return nil
}

// refuse returns why the box takes no ballot bal now, or nil; the caller
// holds mu. A secret ballot's counter is checked here, before its proof is
// verified, and again as it is admitted (admitSecret).
func (b *Box) refuse(bal *Ballot) error {
	_, dup := b.used[bal.Nullifier()]
	if bal.Secret() {
		if err := b.stale(bal); err != nil {
			return err
		}
		dup = false
	}
	switch {
	case b.failed != nil:
		return b.failed
	case b.closing != nil:
		return ErrClosed
	case b.stopped:
		return fmt.Errorf("%w: the box was closed (the election may still be open; reopen the box)", ErrClosed)
	case dup:
		return ErrDuplicateNullifier
	}
	return nil
}

func (b *Box) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// commit is the loop that hands entries to Tessera: it takes every queued
// entry (up to maxBatch), adds them in order, waits until Tessera has
// integrated them, and acknowledges them in order. (Adding the next batch
// before the last is integrated makes it slower: Tessera then integrates
// many small batches, each costing its fsyncs, where waiting lets the
// queue gather one large one.) After Close it drains the queue (nothing is
// queued once stopped is set), shuts the log down and releases the
// directory.
func (b *Box) commit() {
	defer close(b.exited)
	for {
		select {
		case <-b.wake:
			b.flush()
		case <-b.stop:
			b.flush()
			b.closeErr = b.stopLog()
			if err := b.saveState(); err != nil && b.closeErr == nil {
				b.closeErr = fmt.Errorf("saving the box's state (the next open replays the whole log): %v", err)
			}
			wal.Unlock(b.lock)
			return
		}
	}
}

func (b *Box) flush() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		batch := b.queue[:n:n]
		b.queue = b.queue[n:]
		failed := b.failed // set: nothing of batch is written
		b.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		acked := 0
		var err error
		if failed == nil {
			acked, err = b.write(batch)
		} else {
			err = failed
		}
		for i, p := range batch {
			if i >= acked {
				p.err = err
			}
			close(p.fin)
		}
	}
}

// write adds batch to the log, waits until Tessera has integrated it, and
// counts what it acknowledges: the longest prefix integrated at the indices
// the box expected. If any entry failed (or went to another index) the box
// fails for good, and the outcome of the rest of the batch is unknown.
func (b *Box) write(batch []*pending) (int, error) {
	ctx := context.Background()
	futures := make([]tessera.IndexFuture, len(batch))
	for i, p := range batch {
		futures[i] = b.add(ctx, tessera.NewEntry(p.entry))
	}
	b.mu.Lock()
	next := b.size
	b.mu.Unlock()
	acked := len(batch)
	var cause error
	for i, f := range futures {
		idx, err := f() // every future is waited for, even after a failure
		if err == nil && idx.Index != next+uint64(i) {
			err = fmt.Errorf("entry %d was integrated at index %d (a failed batch shifted the log, or another writer shares it)", next+uint64(i), idx.Index)
		}
		if err != nil && cause == nil {
			acked, cause = i, err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range batch[:acked] {
		b.tree.Append(p.entry)
		switch {
		case p.kind == recBallot && p.cts != nil:
			b.countSecret(p)
		case p.kind == recBallot:
			b.count(p.votes, p.head)
		default:
			b.durable.Closed = true
		}
	}
	b.size += uint64(acked)
	if cause != nil {
		b.failed = fmt.Errorf("%w: %v", ErrBoxFailed, cause)
		return acked, fmt.Errorf("%w (%w: %v)", ErrOutcomeUnknown, ErrBoxFailed, cause)
	}
	return acked, nil
}

// End ends the election for good: it writes a durable close entry to the
// log, then releases the box's files as [Box.Close] does. Results and
// ExportLog keep working. A box reopened after End accepts no ballot.
//
// End returns nil only once the close entry is durable; ending an ended
// election again returns nil. When the entry cannot be written End returns
// an error, and the election is still open on disk: after Close (which
// wrote no close entry), and after a failed write (ErrBoxFailed; the files
// are released). Reopen the box and call End again. If the close entry's
// own write fails the error wraps ErrOutcomeUnknown: Results().Closed of the
// reopened box tells whether it was recorded.
func (b *Box) End() error {
	b.mu.Lock()
	p := b.closing
	if p == nil {
		switch {
		case b.stopped:
			b.mu.Unlock()
			return errShutDown
		case b.failed != nil:
			err := b.failed
			b.mu.Unlock()
			b.Close()
			return fmt.Errorf("election: the election is still open, no close entry could be written: %w", err)
		}
		p = &pending{entry: []byte{recClosed}, kind: recClosed, fin: make(chan struct{})}
		b.closing = p
		b.queue = append(b.queue, p)
	}
	b.mu.Unlock()
	b.signal()
	<-p.fin
	err := b.Close()
	if p.err != nil {
		return p.err
	}
	return err
}

// Close releases the box's files and goroutine without ending the
// election, as for a server restart, so it is safe to defer: a later
// OpenBox continues where it stopped. It refuses new ballots at once
// (ErrClosed), lets the commit goroutine write every ballot already queued
// and acknowledge it, and waits until the goroutine has shut the log down
// (Tessera publishes a checkpoint covering every entry, waiting up to 10 s
// for the witnesses), written the box's state file (which spares the next
// OpenBox decoding every ballot again) and released the directory. Calling
// it again waits for the same and returns the same result. To end the
// election, call [Box.End].
func (b *Box) Close() error {
	b.mu.Lock()
	first := !b.stopped
	b.stopped = true
	b.mu.Unlock()
	if first {
		close(b.stop)
	}
	<-b.exited
	b.cps.invalidate() // Close published a last checkpoint
	if b.closeErr != nil {
		return fmt.Errorf("election: closing the log: %v", b.closeErr)
	}
	return nil
}

// Results returns the results of every durable ballot: the totals, or in
// secret mode the counts and the encrypted sum.
func (b *Box) Results() Results {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.durable
	r.Totals = slices.Clone(r.Totals)
	for i := range b.sums {
		r.Encrypted = append(r.Encrypted, b.sums[i].Ciphertext())
	}
	return r
}
