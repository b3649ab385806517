package election

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// The ballot log, one file per box:
//
//	magic "ZKVOTEBX" | version 1 | params length uint32 | params encoding
//	then internal/wal records, each kind (1 byte) | data:
//	  kind 1: a ballot's canonical bytes
//	  kind 2: the box was closed (the last record)
//
// Record k is ballot k (the close record follows the last ballot). A record
// is acknowledged only once it and all before it are fsynced. On open, a
// torn tail is dropped and any other damage refuses the log (see OpenBox
// and internal/wal).
//
// The chain head over the ballots (internal/chain, with one vote per
// compiled option) is recomputed on open and by every auditor; it is what
// tally proofs certify.
const (
	logFile       = "ballots.log"
	lockFile      = "LOCK"
	boxMagic      = "ZKVOTEBX"
	boxVersion    = 1
	recBallot     = 1
	recClosed     = 2
	maxBallotSize = 64 << 10
	maxParamsSize = 1 << 20
)

// Receipt acknowledges a ballot once it is durable. It names the ballot by
// exactly what the log's hash chain covers: its position, its nullifier, its
// votes and the chain head after it. [Log.CheckReceipt] checks it against an
// exported log.
//
// A receipt does not name the ballot's proof bytes, which the chain does not
// cover: a Groth16 proof (A, B, C) can be re-randomised to (r·A, r⁻¹·B, C),
// another valid proof of the same statement. A log may hold such a copy of
// the ballot that was submitted; it has the same nullifier, votes and census
// root, so it counts identically, and the receipt still checks.
//
// What a receipt proves: checked against a log that [Audit] accepts, that
// this log holds this voter's ballot, with these votes, at this position
// after exactly the ballots its head commits to, and that the log's tally
// counts it. What it does not prove: a receipt is not signed, so anyone can
// compute one from a public log, and it is no evidence to a third party that
// the box acknowledged the ballot; and a box can show different logs to
// different people, which only comparing chain heads with others reveals.
type Receipt struct {
	Position  uint64     // the ballot's index in the log, from 0
	Nullifier fr.Element // the voter's nullifier in this election
	Votes     []uint64   // the votes, one per option of the election (nil in secret mode)
	Head      fr.Element // the chain head after this ballot
	// Secret mode only: the ballot's counter and the hash of its
	// ciphertexts, which the chain covers instead of votes.
	Counter     uint64
	Ciphertexts fr.Element
}

// Results are the per-option totals of every durable ballot. In secret
// mode a box knows no totals: it shows the number of ballots and of
// citizens who voted, and the encrypted sum of each citizen's latest
// ballot; [AuditSecret] adds the totals once the trustees decrypt.
type Results struct {
	Ballots uint64     // ballots in the log (in secret mode, replaced ones too)
	Totals  []uint64   // one per option; nil in secret mode before decryption
	Head    fr.Element // the chain head after the last ballot
	Closed  bool       // the log ends with a durable close record

	// Secret mode only.
	Voters    uint64               // citizens with a ballot: the ballots that count
	Encrypted []trustee.Ciphertext // the sum of the counted ballots' ciphertexts
	// Decryption says whose partial decryptions gave the totals (from
	// AuditSecret with decryption shares).
	Decryption *Decryption
}

// ErrOutcomeUnknown is wrapped, together with ErrBoxFailed, by the error of
// every Submit (or End) whose record was in a group commit whose write or
// fsync failed (a full disk, an I/O error). The record may be in the log or
// not: the bytes may have reached the file, and a reopened box replays every
// complete record it finds. The box is fail-stop: it accepts nothing more,
// and every later Submit returns ErrBoxFailed alone (those ballots were
// certainly not recorded).
//
// A client that gets ErrOutcomeUnknown learns the outcome once the box is
// reopened: it submits the same ballot again. A receipt means it is
// recorded now; ErrDuplicateNullifier means the first submission was
// recorded and counts. (Looking its nullifier up in the exported log
// tells the same.)
var ErrOutcomeUnknown = errors.New("election: the ballot log write failed and the outcome is unknown; resubmit after the box is reopened")

// errShutDown is End's error after Close: the close record was never
// written.
var errShutDown = errors.New("election: the box was closed and the election is still open; reopen the box to end it")

// Box is a ballot box: it accepts each citizen's ballot once and keeps a
// durable, hash-chained log. It is safe for concurrent use.
type Box struct {
	params *Params
	scope  fr.Element
	digest fr.Element
	vk     *verifier.VerifyingKey
	dir    string
	lock   *os.File

	mu      sync.Mutex
	used    map[fr.Element]struct{} // nullifiers of durable and pending ballots (open mode)
	latest  map[fr.Element]*latest  // secret mode: each citizen's latest ballot, durable or pending
	head    fr.Element              // chain head including pending ballots
	pos     uint64                  // ballots including pending
	closing *pending                // the close record, pending or durable: no more ballots
	stopped bool                    // Close began: nothing more is queued
	failed  error                   // a group commit failed: fail-stop
	queue   []*pending
	totals  []uint64 // per option, including pending ballots
	durable Results
	sums    []trustee.Sum // secret mode: the encrypted sum of the durable ballots that count
	logSize int64         // bytes of the log that are durable

	// The commit goroutine owns the log file and the directory lock from
	// OpenBox on: it writes, then closes both after Close (stop).
	logf     logWriter
	wake     chan struct{}
	stop     chan struct{} // closed once, by the first Close
	exited   chan struct{} // closed by commit after it released the files
	closeErr error         // closing the file; read after exited
}

// logWriter is what the commit goroutine needs of the log (an *os.File): a
// seam for tests that inject write and fsync failures.
type logWriter interface {
	Write([]byte) (int, error)
	Sync() error
	Close() error
}

// pending is a record queued for the log: err is set before fin is closed.
type pending struct {
	rec   []byte
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
// params pin (else ErrKeyMismatch). A box created for other
// parameters returns ErrWrongElection.
//
// A torn tail (the last record cut short, or failing its checksum with only
// zero bytes after it, as a crash or power loss during an unacknowledged
// write leaves it) is dropped from the file. Any other damage returns
// ErrCorrupt naming the record and its byte offset, and leaves the file
// as it is: acknowledged ballots may follow the damage, and the box never
// drops one. Every complete record is replayed, including those of a group
// commit whose Submit returned ErrOutcomeUnknown.
//
// ctx is checked while the log is replayed.
func OpenBox(ctx context.Context, dir string, params *Params, vk *verifier.VerifyingKey) (*Box, error) {
	enc, err := params.Encode()
	if err != nil {
		return nil, err
	}
	digest, _ := params.Digest()
	if err := params.checkVoteKey(vk); err != nil {
		return nil, err
	}
	return openBox(ctx, dir, params, vk, enc, digest, nil)
}

// openBox opens the box after OpenBox's checks; wrap, if not nil, wraps the
// log file (tests inject faults with it).
func openBox(ctx context.Context, dir string, params *Params, vk *verifier.VerifyingKey, enc []byte, digest fr.Element, wrap func(logWriter) logWriter) (*Box, error) {
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
		params: params, scope: params.Scope(), digest: digest, vk: vk, dir: dir, lock: lock,
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
	if err := b.load(ctx, enc); err != nil {
		wal.Unlock(lock)
		return nil, err
	}
	if wrap != nil {
		b.logf = wrap(b.logf)
	}
	go b.commit()
	return b, nil
}

func logHeader(enc []byte) []byte {
	h := append([]byte(boxMagic), boxVersion)
	h = binary.BigEndian.AppendUint32(h, uint32(len(enc)))
	return append(h, enc...)
}

// readLogHeader reads the log's header and returns the parameters' encoding
// and the header's length.
func readLogHeader(r io.Reader, size int64) ([]byte, int64, error) {
	var h [13]byte
	if size < 13 {
		return nil, 0, fmt.Errorf("%w: %d bytes", ErrCorrupt, size)
	}
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, 0, fmt.Errorf("election: %v", err)
	}
	n := int64(binary.BigEndian.Uint32(h[9:]))
	if string(h[:8]) != boxMagic || h[8] != boxVersion || n > maxParamsSize || size < 13+n {
		return nil, 0, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	stored := make([]byte, n)
	if _, err := io.ReadFull(r, stored); err != nil {
		return nil, 0, fmt.Errorf("election: %v", err)
	}
	if _, err := ParseParams(stored); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return stored, 13 + n, nil
}

// checkLogHeader compares the log's parameters with enc: another election's
// box is ErrWrongElection, damage ErrCorrupt.
func checkLogHeader(r io.Reader, size int64, enc []byte) error {
	stored, _, err := readLogHeader(r, size)
	if err != nil {
		return err
	}
	if !bytes.Equal(stored, enc) {
		return ErrWrongElection
	}
	return nil
}

// load replays (or creates) the log.
func (b *Box) load(ctx context.Context, enc []byte) error {
	path := filepath.Join(b.dir, logFile)
	header := logHeader(enc)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := wal.WriteFileAtomic(b.dir, logFile, func(w io.Writer) error { _, err := w.Write(header); return err }); err != nil {
			return fmt.Errorf("election: creating log: %v", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("election: %v", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("election: %v", err)
	}
	size := st.Size()
	if err := checkLogHeader(f, size, enc); err != nil {
		f.Close()
		return err
	}
	var closed bool
	end, err := scanBallots(f, int64(len(header)), size, &closed, func(pos uint64, bal *Ballot) error {
		if err := ctx.Err(); err != nil {
			return err
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
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if err := addTotals(b.totals, votes); err != nil {
			return fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, b.pos, err)
		}
		b.used[n] = struct{}{}
		b.head = head
		b.pos++
		b.count(votes, head)
		return nil
	})
	if err != nil {
		f.Close()
		return err
	}
	if closed {
		b.durable.Closed = true
		b.closing = &pending{kind: recClosed, fin: make(chan struct{})}
		close(b.closing.fin)
	}
	if end < size {
		// A torn tail: a crash cut or zero-filled the last write, which was
		// never acknowledged (see internal/wal).
		if err := f.Truncate(end); err != nil {
			f.Close()
			return fmt.Errorf("election: %v", err)
		}
	}
	// Records a failed box left in the page cache become durable before
	// this box counts them or takes a ballot.
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("election: %v", err)
	}
	if _, err := f.Seek(end, io.SeekStart); err != nil {
		f.Close()
		return fmt.Errorf("election: %v", err)
	}
	b.logf, b.logSize = f, end
	return nil
}

// scanBallots reads the log's records after its header: fn gets each
// ballot with its position; a close record sets *closed, and anything after
// it is corruption. It returns the end of the last good record, less than
// size only before a torn tail (see internal/wal); damage elsewhere is
// ErrCorrupt naming the record (its number is the ballot's position) and
// its offset.
func scanBallots(r io.Reader, off, size int64, closed *bool, fn func(pos uint64, bal *Ballot) error) (int64, error) {
	return scanRecords(r, off, size, closed, func(pos uint64, at int64, payload []byte) error {
		bal, err := parseRecord(pos, at, payload, trustee.ParseCiphertextXY)
		if err != nil {
			return err
		}
		return fn(pos, bal)
	})
}

// parseRecord parses the ballot of a ballot record, decoding a secret
// ballot's ciphertexts with parse (see parseBallot).
func parseRecord(pos uint64, at int64, payload []byte, parse func([]byte) (trustee.Ciphertext, error)) (*Ballot, error) {
	bal, err := parseBallot(payload, parse)
	if err != nil {
		return nil, fmt.Errorf("%w: ballot %d at offset %d: %v", ErrCorrupt, pos, at, err)
	}
	return bal, nil
}

// scanRecords is scanBallots before parsing: fn gets each ballot record's
// payload (after its kind byte, which it may keep) and offset.
func scanRecords(r io.Reader, off, size int64, closed *bool, fn func(pos uint64, at int64, payload []byte) error) (int64, error) {
	var pos uint64
	end, err := wal.Scan(r, off, size, func(at int64, payload []byte) error {
		if *closed {
			return fmt.Errorf("%w: record at offset %d after the box was closed", ErrCorrupt, at)
		}
		switch {
		case len(payload) == 1 && payload[0] == recClosed:
			*closed = true
			return nil
		case len(payload) > 1 && payload[0] == recBallot:
			if err := fn(pos, at, payload[1:]); err != nil {
				return err
			}
			pos++
			return nil
		}
		return fmt.Errorf("%w: unknown record at offset %d", ErrCorrupt, at)
	})
	if errors.Is(err, wal.ErrCorrupt) {
		return end, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return end, err
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
	if len(data) > maxBallotSize {
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
	if err := verifier.Verify(b.vk, bal.proof); err != nil {
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

// enqueue queues a ballot's record, releases mu (which the caller holds)
// and waits until the record is durable or its write failed.
func (b *Box) enqueue(p *pending, canonical []byte) error {
	p.rec = wal.Frame(append([]byte{recBallot}, canonical...))
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

// commit is the group-commit loop, the only user of the log file: it writes
// every queued record with one write and one fsync, then acknowledges them
// in order. After Close it drains the queue (nothing is queued once
// stopped is set), then closes the file and releases the lock.
func (b *Box) commit() {
	defer close(b.exited)
	for {
		select {
		case <-b.wake:
			b.flush()
		case <-b.stop:
			b.flush()
			b.closeErr = b.logf.Close()
			wal.Unlock(b.lock)
			return
		}
	}
}

func (b *Box) flush() {
	for {
		b.mu.Lock()
		batch := b.queue
		b.queue = nil
		err := b.failed // set: nothing of batch is written
		b.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		if err == nil {
			err = b.write(batch)
		}
		for _, p := range batch {
			p.err = err
			close(p.fin)
		}
	}
}

// write writes and fsyncs batch, then counts it. On failure the box fails
// for good, and the batch's outcome is unknown: its records may be whole in
// the file.
func (b *Box) write(batch []*pending) error {
	var buf []byte
	for _, p := range batch {
		buf = append(buf, p.rec...)
	}
	_, err := b.logf.Write(buf)
	if err == nil {
		err = b.logf.Sync()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.failed = fmt.Errorf("%w: %v", ErrBoxFailed, err)
		return fmt.Errorf("%w (%w: %v)", ErrOutcomeUnknown, ErrBoxFailed, err)
	}
	b.logSize += int64(len(buf))
	for _, p := range batch {
		switch {
		case p.kind == recBallot && p.cts != nil:
			b.countSecret(p)
		case p.kind == recBallot:
			b.count(p.votes, p.head)
		default:
			b.durable.Closed = true
		}
	}
	return nil
}

// End ends the election for good: it writes a durable close record to the
// log, then releases the box's files as [Box.Close] does. Results and
// ExportLog keep working. A box reopened after End accepts no ballot.
//
// End returns nil only once the close record is durable; ending an ended
// election again returns nil. When the record cannot be written End returns
// an error, and the election is still open on disk: after Close (which
// wrote no close record), and after a failed write (ErrBoxFailed; the files
// are released). Reopen the box and call End again. If the close record's
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
			return fmt.Errorf("election: the election is still open, no close record could be written: %w", err)
		}
		p = &pending{rec: wal.Frame([]byte{recClosed}), kind: recClosed, fin: make(chan struct{})}
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
// and acknowledge it, and waits until the goroutine has closed the log and
// released the directory. Calling it again waits for the same and returns
// the same result. To end the election, call [Box.End].
func (b *Box) Close() error {
	b.mu.Lock()
	first := !b.stopped
	b.stopped = true
	b.mu.Unlock()
	if first {
		close(b.stop)
	}
	<-b.exited
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

// ExportLog writes the durable part of the log, the file auditors check with
// [ReadLog] and [Audit].
func (b *Box) ExportLog(w io.Writer) error {
	b.mu.Lock()
	size := b.logSize
	b.mu.Unlock()
	f, err := os.Open(filepath.Join(b.dir, logFile))
	if err != nil {
		return fmt.Errorf("election: %v", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, io.NewSectionReader(f, 0, size)); err != nil {
		return fmt.Errorf("election: exporting log: %v", err)
	}
	return nil
}
