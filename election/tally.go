package election

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// Log is a ballot log as exported by [Box.ExportLog].
type Log struct {
	Params     *Params
	Ballots    []*Ballot
	Closed     bool   // the log ends with the close entry
	Checkpoint []byte // the signed checkpoint the log is exported at
}

// ReadLog parses an exported log strictly and checks that it is the log its
// checkpoint commits to: the checkpoint passes the parameters' log policy
// (the box's signature and the witnesses' quorum), the entries' tree has
// the checkpoint's size and root, the first entry is the election's
// header, and every other entry is a ballot of the election's encoding or
// the final close entry. It checks neither proofs nor nullifiers: [Audit]
// does. The parameters it returns are the file's: compare them with the
// election's published ones before trusting anything else it returns
// (Audit does).
func ReadLog(data []byte) (*Log, error) {
	return readLog(data, trustee.ParseCiphertextXY)
}

// readLog is ReadLog with parse decoding each of a secret ballot's
// ciphertexts (see parseBallot).
func readLog(data []byte, parse func([]byte) (trustee.Ciphertext, error)) (*Log, error) {
	x, err := readExport(data)
	if err != nil {
		return nil, err
	}
	digest, err := x.params.Digest()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	l := &Log{Params: x.params, Checkpoint: x.checkpoint}
	if len(x.entries) == 0 {
		return nil, fmt.Errorf("%w: the log has no header", ErrCorrupt)
	}
	if err := checkHeader(x.entries[0], digest); err != nil {
		return nil, err
	}
	ballots := x.entries[1:]
	if n := len(ballots); n > 0 && len(ballots[n-1]) == 1 && ballots[n-1][0] == recClosed {
		l.Closed = true
		ballots = ballots[:n-1]
	}
	// Decoding a ballot checks curve points (its proof's, a secret
	// ballot's ciphertexts): a large part of an audit's cost after
	// verification, so it runs on every core. The first bad entry is the
	// one reported.
	l.Ballots = make([]*Ballot, len(ballots))
	errs := make([]error, len(ballots))
	parallel(len(ballots), func(i int) {
		e := ballots[i]
		if len(e) < 2 || e[0] != recBallot {
			errs[i] = fmt.Errorf("%w: entry %d is not a ballot", ErrCorrupt, i+1)
			return
		}
		if l.Ballots[i], errs[i] = parseBallot(e[1:], parse); errs[i] != nil {
			errs[i] = fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, i, errs[i])
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

// parallel calls fn(i) for every i below n, on every core.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// AuditError reports the first thing an audit found wrong.
type AuditError struct {
	What  string // "log", "tally file", "ballot", "tally proof" or "decryption"
	Index int    // the ballot's position or the tally proof's index; -1 for a whole file
	Err   error
}

func (e *AuditError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("election: audit: %s: %v", e.What, e.Err)
	}
	return fmt.Sprintf("election: audit: %s %d: %v", e.What, e.Index, e.Err)
}

func (e *AuditError) Unwrap() error { return e.Err }

// ErrTallyMismatch: a tally proof does not certify this log.
var ErrTallyMismatch = errors.New("election: tally proof does not match the log")

// Audit checks an election from public material alone: its parameters, the
// vote and tally verifying keys, the exported ballot log ([Box.ExportLog])
// and the tally file ([EncodeTallyProofs]), both as published bytes. It
// returns the results, or an *AuditError naming the first bad ballot or
// proof (What "log" or "tally file", Index -1, for a file that does not
// parse). Results.Closed reports whether the log ends with the
// box's close entry: an audit of a log without one checks a snapshot of an
// election that may still take ballots.
//
// It checks: the log is for p and well formed; voteVK and tallyVK are the
// keys p pins (else [ErrKeyMismatch]); every ballot is for this
// election, under its rules, for an accepted root, with a proof that
// verifies (batch verification); no nullifier appears twice; and the tally
// proofs, chained from the zero tally and the log's genesis, cover every
// ballot in order and end at the log's head and the recomputed results.
//
// # Trust model
//
// A tally proof alone proves that its results are the sum of the votes in
// the ballots hashed into the chain ending at its final head, with no
// ballot dropped, added, duplicated or reordered. It does not show that
// those ballots were valid or cast by distinct citizens: that is what the
// audit adds by re-verifying every ballot's proof and nullifier against the
// log. Anyone holding the log can run the audit; nobody needs the box's
// word for anything but the log's availability.
//
// ctx is checked between stages and during the batch verification of the
// ballots, the longest one; on cancellation Audit returns ctx.Err().
func Audit(ctx context.Context, p *Params, voteVK, tallyVK *verifier.VerifyingKey, logData, tallyData []byte) (*Results, error) {
	logErr := func(err error) (*Results, error) { return nil, &AuditError{What: "log", Index: -1, Err: err} }
	switch {
	case p == nil:
		return logErr(errors.New("election: nil parameters"))
	case p.Secret != nil:
		return logErr(errors.New("election: a secret election is audited with AuditSecret"))
	}
	x, err := readExport(logData)
	if err != nil {
		return logErr(err)
	}
	if !x.params.equal(p) {
		return logErr(ErrWrongElection)
	}
	return auditOpen(ctx, p, voteVK, tallyVK, x.tree, x.each, tallyData)
}

// The tally file carries a list of tally proofs: "ZKVOTETL", version 1,
// count uint32, then each proof as uint32 length and bytes.
const (
	tallyMagic   = "ZKVOTETL"
	maxTallies   = 1 << 20
	maxProofSize = 1 << 16
)

// ErrMalformedTally is wrapped by every error about a tally file that does
// not decode.
var ErrMalformedTally = errors.New("election: malformed tally file")

// EncodeTallyProofs encodes tally proofs (the prover's ProveTally returns
// them) as the tally file [Audit] reads.
func EncodeTallyProofs(proofs []*verifier.Proof) []byte {
	b := append([]byte(tallyMagic), 1)
	b = binary.BigEndian.AppendUint32(b, uint32(len(proofs)))
	for _, p := range proofs {
		pb := p.Bytes()
		b = binary.BigEndian.AppendUint32(b, uint32(len(pb)))
		b = append(b, pb...)
	}
	return b
}

// ParseTallyProofs decodes a tally file strictly.
func ParseTallyProofs(b []byte) ([]*verifier.Proof, error) {
	r := &reader{b: b}
	if string(r.next(len(tallyMagic))) != tallyMagic || r.byte() != 1 {
		return nil, fmt.Errorf("%w: not a tally file", ErrMalformedTally)
	}
	n := binary.BigEndian.Uint32(r.next(4))
	if r.short || n > maxTallies || uint64(n)*4 > uint64(len(r.b)) {
		return nil, fmt.Errorf("%w: tally file of %d proofs", ErrMalformedTally, n)
	}
	out := make([]*verifier.Proof, 0, n)
	for range n {
		size := binary.BigEndian.Uint32(r.next(4))
		if size > maxProofSize {
			return nil, fmt.Errorf("%w: tally proof of %d bytes", ErrMalformedTally, size)
		}
		data := r.next(int(size))
		if r.short {
			return nil, fmt.Errorf("%w: truncated tally file", ErrMalformedTally)
		}
		p, err := verifier.ParseProof(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedTally, err)
		}
		out = append(out, p)
	}
	if len(r.b) != 0 || r.short {
		return nil, fmt.Errorf("%w: trailing bytes in tally file", ErrMalformedTally)
	}
	return out, nil
}
