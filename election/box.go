package election

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/verifier"
)

// The ballot log, one file per box:
//
//	magic "ZKVOTEBX" | version 1 | params length uint32 | params encoding
//	then internal/wal records, each kind (1 byte) | data:
//	  kind 1: a ballot's canonical bytes
//	  kind 2: the box was closed (the last record)
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

// Receipt acknowledges a ballot once it is durable.
type Receipt struct {
	Position   uint64     // the ballot's index in the log, from 0
	BallotHash [32]byte   // SHA-256 of the ballot bytes as logged
	Head       fr.Element // the chain head after this ballot
}

// Results are the per-option totals of every durable ballot.
type Results struct {
	Ballots uint64
	Totals  []uint64   // one per option
	Head    fr.Element // the chain head after the last ballot
	Closed  bool
}

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
	used    map[fr.Element]struct{} // nullifiers of durable and pending ballots
	head    fr.Element              // chain head including pending ballots
	pos     uint64                  // ballots including pending
	closed  bool                    // no more ballots (durable or pending close)
	failed  error
	queue   []*pending
	durable Results
	logSize int64 // bytes of the log that are durable

	logf   *os.File
	wake   chan struct{}
	stop   chan struct{}
	exited chan struct{}
}

type pending struct {
	rec   []byte
	kind  byte
	votes []uint64
	head  fr.Element
	done  chan error
}

// CircuitName returns the name of the vote circuit for these parameters, as
// the verifying key must state it.
func (p *Params) CircuitName() string {
	return fmt.Sprintf("vote/depth=%d/options=%d", p.depth(), p.maxOptions())
}

// OpenBox opens the ballot box for params in dir, creating it if dir holds
// none, with vk the vote circuit's verifying key. A box created for other
// parameters returns ErrWrongElection; a damaged log ErrBoxCorrupt (a ballot
// cut short by a crash was never acknowledged and is dropped).
//
// ctx is checked while the log is replayed.
func OpenBox(ctx context.Context, dir string, params *Params, vk *verifier.VerifyingKey) (*Box, error) {
	enc, err := params.Encode()
	if err != nil {
		return nil, err
	}
	digest, _ := params.Digest()
	if vk == nil || vk.Circuit() != params.CircuitName() || vk.NbPublic() != sigVotes+params.maxOptions() {
		return nil, fmt.Errorf("election: the verifying key is not for %s", params.CircuitName())
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
		params: params, scope: params.Scope(), digest: digest, vk: vk, dir: dir, lock: lock,
		used: make(map[fr.Element]struct{}),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), exited: make(chan struct{}),
	}
	b.head = chain.Genesis(b.scope)
	b.durable = Results{Totals: make([]uint64, len(params.Options)), Head: b.head}
	if err := b.load(ctx, enc); err != nil {
		wal.Unlock(lock)
		return nil, err
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
		return nil, 0, fmt.Errorf("%w: %d bytes", ErrBoxCorrupt, size)
	}
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, 0, fmt.Errorf("election: %v", err)
	}
	n := int64(binary.BigEndian.Uint32(h[9:]))
	if string(h[:8]) != boxMagic || h[8] != boxVersion || n > maxParamsSize || size < 13+n {
		return nil, 0, fmt.Errorf("%w: bad header", ErrBoxCorrupt)
	}
	stored := make([]byte, n)
	if _, err := io.ReadFull(r, stored); err != nil {
		return nil, 0, fmt.Errorf("election: %v", err)
	}
	if _, err := ParseParams(stored); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrBoxCorrupt, err)
	}
	return stored, 13 + n, nil
}

// checkLogHeader compares the log's parameters with enc: another election's
// box is ErrWrongElection, damage ErrBoxCorrupt.
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
	end, err := scanBallots(f, int64(len(header)), size, &b.closed, func(pos uint64, bal *Ballot) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := bal.checkStatement(b.params, b.scope, b.digest); err != nil {
			return fmt.Errorf("%w: ballot %d: %v", ErrBoxCorrupt, pos, err)
		}
		n := bal.Nullifier()
		if _, dup := b.used[n]; dup {
			return fmt.Errorf("%w: ballot %d repeats a nullifier", ErrBoxCorrupt, pos)
		}
		votes := bal.Votes(b.params.maxOptions())
		head, err := chain.Entry(b.head, n, votes)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBoxCorrupt, err)
		}
		b.used[n] = struct{}{}
		b.head = head
		b.pos++
		b.count(votes, head)
		return nil
	})
	b.durable.Closed = b.closed
	if err != nil {
		f.Close()
		return err
	}
	if end < size {
		// A crash cut the last record; it was never acknowledged.
		if err := f.Truncate(end); err != nil {
			f.Close()
			return fmt.Errorf("election: %v", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("election: %v", err)
		}
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
// it is corruption. It returns the end of the last complete record.
func scanBallots(r io.Reader, off, size int64, closed *bool, fn func(pos uint64, bal *Ballot) error) (int64, error) {
	var pos uint64
	end, err := wal.Scan(r, off, size, func(at int64, payload []byte) error {
		if *closed {
			return fmt.Errorf("%w: record after the box was closed", ErrBoxCorrupt)
		}
		switch {
		case len(payload) == 1 && payload[0] == recClosed:
			*closed = true
			return nil
		case len(payload) > 1 && payload[0] == recBallot:
			bal, err := ParseBallot(payload[1:])
			if err != nil {
				return fmt.Errorf("%w: ballot %d: %v", ErrBoxCorrupt, pos, err)
			}
			if err := fn(pos, bal); err != nil {
				return err
			}
			pos++
			return nil
		}
		return fmt.Errorf("%w: unknown record at offset %d", ErrBoxCorrupt, at)
	})
	if errors.Is(err, wal.ErrCorrupt) {
		return end, fmt.Errorf("%w: %v", ErrBoxCorrupt, err)
	}
	return end, err
}

// count adds a durable ballot to the results; the caller holds mu (or owns
// b). votes has the compiled number of options; those beyond the election's
// are 0.
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
// for an accepted root (ErrUnknownRoot); the box is open (ErrClosed); the
// proof verifies (verifier.ErrInvalidProof); the nullifier is unused
// (ErrDuplicateNullifier). The last check and the reservation of the
// nullifier are one atomic step: of many concurrent ballots with one
// nullifier exactly one is accepted, whatever their bytes.
//
// ctx is checked before verification; once a ballot is queued for the log
// Submit waits for it to be durable.
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
	_, dup := b.used[n]
	closed, failed := b.closed, b.failed
	b.mu.Unlock()
	switch {
	case failed != nil:
		return nil, failed
	case closed:
		return nil, ErrClosed
	case dup:
		return nil, ErrDuplicateNullifier
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := verifier.Verify(b.vk, bal.proof); err != nil {
		return nil, err
	}
	canonical := bal.Bytes()
	votes := bal.Votes(b.params.maxOptions())
	b.mu.Lock()
	switch _, dup := b.used[n]; {
	case b.failed != nil:
		b.mu.Unlock()
		return nil, b.failed
	case b.closed:
		b.mu.Unlock()
		return nil, ErrClosed
	case dup:
		b.mu.Unlock()
		return nil, ErrDuplicateNullifier
	}
	head, err := chain.Entry(b.head, n, votes)
	if err != nil {
		b.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", ErrMalformedBallot, err)
	}
	b.used[n] = struct{}{}
	b.head = head
	pos := b.pos
	b.pos++
	p := &pending{rec: wal.Frame(append([]byte{recBallot}, canonical...)), kind: recBallot, votes: votes, head: head, done: make(chan error, 1)}
	b.queue = append(b.queue, p)
	b.mu.Unlock()
	b.signal()
	if err := <-p.done; err != nil {
		return nil, err
	}
	return &Receipt{Position: pos, BallotHash: sha256.Sum256(canonical), Head: head}, nil
}

func (b *Box) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// commit is the group-commit loop: it writes every queued record with one
// write and one fsync, then acknowledges them in order.
func (b *Box) commit() {
	defer close(b.exited)
	for {
		select {
		case <-b.wake:
		case <-b.stop:
			b.flush()
			return
		}
		b.flush()
	}
}

func (b *Box) flush() {
	for {
		b.mu.Lock()
		batch := b.queue
		b.queue = nil
		b.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		var buf []byte
		for _, p := range batch {
			buf = append(buf, p.rec...)
		}
		_, err := b.logf.Write(buf)
		if err == nil {
			err = b.logf.Sync()
		}
		b.mu.Lock()
		if err != nil {
			b.failed = fmt.Errorf("%w: %v", ErrBoxFailed, err)
			err = b.failed
		} else {
			b.logSize += int64(len(buf))
			for _, p := range batch {
				if p.kind == recBallot {
					b.count(p.votes, p.head)
				} else {
					b.durable.Closed = true
				}
			}
		}
		b.mu.Unlock()
		for _, p := range batch {
			p.done <- err
		}
	}
}

// Close closes the box to ballots for good (a durable record in the log),
// then releases its files. Results and ExportLog keep working. Closing
// twice is a no-op.
func (b *Box) Close() error {
	b.mu.Lock()
	if b.closed && b.logf == nil {
		b.mu.Unlock()
		return nil
	}
	var p *pending
	if !b.closed && b.failed == nil {
		b.closed = true
		p = &pending{rec: wal.Frame([]byte{recClosed}), kind: recClosed, done: make(chan error, 1)}
		b.queue = append(b.queue, p)
	}
	b.closed = true
	b.mu.Unlock()
	var err error
	if p != nil {
		b.signal()
		err = <-p.done
	}
	if serr := b.Shutdown(); err == nil {
		err = serr
	}
	return err
}

// Shutdown releases the box's files without closing the election, as for a
// server restart: a later OpenBox continues where it stopped. Ballots
// already queued are written first.
func (b *Box) Shutdown() error {
	b.mu.Lock()
	f := b.logf
	b.logf = nil
	if f != nil && !b.closed {
		b.closed = true // refuse new ballots while shutting down
	}
	b.mu.Unlock()
	if f == nil {
		return nil
	}
	close(b.stop)
	<-b.exited
	err := f.Close()
	wal.Unlock(b.lock)
	return err
}

// Results returns the totals of every durable ballot.
func (b *Box) Results() Results {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.durable
	r.Totals = append([]uint64(nil), r.Totals...)
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
