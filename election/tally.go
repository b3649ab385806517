package election

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// Log is a ballot log as exported by [Box.ExportLog].
type Log struct {
	Params  *Params
	Ballots []*Ballot
	Closed  bool // the log ends with a close record
}

// ReadLog parses an exported log strictly: header, framing and every
// ballot's encoding. An export is complete, so a torn last record is an
// error here. It checks neither proofs nor nullifiers: [Audit] does.
func ReadLog(data []byte) (*Log, error) {
	return readLog(data, trustee.ParseCiphertextXY)
}

// readLog is ReadLog with parse decoding each of a secret ballot's
// ciphertexts (see parseBallot).
func readLog(data []byte, parse func([]byte) (trustee.Ciphertext, error)) (*Log, error) {
	r := bytes.NewReader(data)
	enc, off, err := readLogHeader(r, int64(len(data)))
	if err != nil {
		return nil, err
	}
	p, err := ParseParams(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	l := &Log{Params: p}
	type record struct {
		at      int64
		payload []byte
	}
	var records []record
	end, err := scanRecords(r, off, int64(len(data)), &l.Closed, func(_ uint64, at int64, payload []byte) error {
		records = append(records, record{at, payload})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if end != int64(len(data)) {
		return nil, fmt.Errorf("%w: the log ends in a partial or zero-filled record at offset %d", ErrCorrupt, end)
	}
	// Decoding a ballot checks curve points (its proof's, a secret
	// ballot's ciphertexts): a large part of an audit's cost after
	// verification, so it runs on every core. The first bad record is the
	// one reported.
	l.Ballots = make([]*Ballot, len(records))
	errs := make([]error, len(records))
	parallel(len(records), func(i int) {
		l.Ballots[i], errs[i] = parseRecord(uint64(i), records[i].at, records[i].payload, parse)
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
// box's close record: an audit of a log without one checks a snapshot of an
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
	l, err := ReadLog(logData)
	if err != nil {
		return logErr(err)
	}
	tallies, err := ParseTallyProofs(tallyData)
	if err != nil {
		return nil, &AuditError{What: "tally file", Index: -1, Err: err}
	}
	if !l.Params.equal(p) {
		return logErr(ErrWrongElection)
	}
	if err := p.checkVoteKey(voteVK); err != nil {
		return logErr(err)
	}
	if err := checkKey(p.TallyKey, tallyVK, "tally"); err != nil {
		return logErr(err)
	}
	if ts, err := statement.Parse(tallyVK.Circuit()); err != nil || p.CheckTallyStatement(ts) != nil || tallyVK.NbPublic() != ts.NbPublic() {
		return logErr(fmt.Errorf("tally key is for %s", tallyVK.Circuit()))
	}
	scope := p.Scope()
	digest, err := p.Digest()
	if err != nil {
		return logErr(err)
	}
	seen := make(map[fr.Element]int, len(l.Ballots))
	proofs := make([]*verifier.Proof, len(l.Ballots))
	for i, b := range l.Ballots {
		if err := b.checkStatement(p, scope, digest); err != nil {
			return nil, &AuditError{What: "ballot", Index: i, Err: err}
		}
		if j, dup := seen[b.Nullifier()]; dup {
			return nil, &AuditError{What: "ballot", Index: i, Err: fmt.Errorf("%w: same nullifier as ballot %d", ErrDuplicateNullifier, j)}
		}
		seen[b.Nullifier()] = i
		proofs[i] = b.proof
	}
	if err := verifyBallots(ctx, voteVK, proofs); err != nil {
		return nil, err
	}
	return checkTallies(p, tallyVK, l, tallies)
}

// checkTallies replays the log's chain and checks each tally proof against it.
func checkTallies(p *Params, tallyVK *verifier.VerifyingKey, l *Log, tallies []*verifier.Proof) (*Results, error) {
	scope := p.Scope()
	opts := p.maxOptions()
	head := chain.Genesis(scope)
	totals := make([]uint64, opts)
	var counted uint64
	prevTally := chain.Tally(scope, 0, totals)
	if len(tallies) == 0 {
		return nil, &AuditError{What: "tally proof", Index: 0, Err: fmt.Errorf("%w: no tally proof", ErrTallyMismatch)}
	}
	bad := func(k int, format string, args ...any) (*Results, error) {
		return nil, &AuditError{What: "tally proof", Index: k, Err: fmt.Errorf("%w: "+format, append([]any{ErrTallyMismatch}, args...)...)}
	}
	for k, t := range tallies {
		if err := verifier.Verify(tallyVK, t); err != nil {
			return nil, &AuditError{What: "tally proof", Index: k, Err: err}
		}
		pub, err := statement.ParseTally(t.Public)
		if err != nil {
			return bad(k, "%v", err)
		}
		if !pub.Scope.Equal(&scope) {
			return bad(k, "scope")
		}
		if !pub.HeadBefore.Equal(&head) {
			return bad(k, "it starts at another chain head")
		}
		if !pub.TallyBefore.Equal(&prevTally) {
			return bad(k, "it starts from another tally")
		}
		if pub.Count > uint64(len(l.Ballots))-counted {
			return bad(k, "it counts more ballots than the log holds")
		}
		n := pub.Count
		for _, b := range l.Ballots[counted : counted+n] {
			votes := b.Votes(opts)
			var err error
			if head, err = chain.Entry(head, b.Nullifier(), votes); err != nil {
				return bad(k, "%v", err)
			}
			if err := addTotals(totals, votes); err != nil {
				return bad(k, "%v", err)
			}
		}
		counted += n
		if !pub.HeadAfter.Equal(&head) {
			return bad(k, "its final head is not the log's")
		}
		prevTally = chain.Tally(scope, counted, totals)
		if !pub.TallyAfter.Equal(&prevTally) {
			return bad(k, "its tally is not the sum of the log's votes")
		}
	}
	if counted != uint64(len(l.Ballots)) {
		return bad(len(tallies)-1, "the proofs cover %d of %d ballots", counted, len(l.Ballots))
	}
	return &Results{Ballots: counted, Totals: totals[:len(p.Options)], Head: head, Closed: l.Closed}, nil
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
