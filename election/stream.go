package election

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/tiles"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// auditChunk is how many ballots an audit holds at once: it parses them on
// every core and batch-verifies their proofs together, then keeps only
// their nullifiers.
var auditChunk = 2048

// entries is a log's entries in order, checked against a checkpoint: each
// calls fn for every entry (valid only during the call).
type entries func(ctx context.Context, fn func(i uint64, entry []byte) error) error

// AuditLog is [Audit] reading the log through the C2SP tlog-tiles protocol
// (from a directory or a URL: [LogDir], [LogURL]), in a stream: its memory
// grows with the number of citizens who voted (their nullifiers), not with
// the log. It checks the log's checkpoint against the parameters' log
// policy (the box's signature and the witnesses' quorum) and that the
// entries hash to its root, then what Audit checks. A tile or bundle that
// does not parse, or entries that do not hash to the checkpoint, is an
// *AuditError "log" wrapping ErrCorrupt; a checkpoint that fails the policy
// wraps the witness package's error.
func AuditLog(ctx context.Context, p *Params, voteVK, tallyVK *verifier.VerifyingKey, r LogReader, tallyData []byte) (*Results, error) {
	logErr := func(err error) (*Results, error) { return nil, &AuditError{What: "log", Index: -1, Err: err} }
	if p == nil {
		return logErr(errors.New("election: nil parameters"))
	}
	_, tree, each, err := tileEntries(ctx, p, r)
	if err != nil {
		return logErr(err)
	}
	return auditOpen(ctx, p, voteVK, tallyVK, tree, each, tallyData)
}

// tileEntries reads the log's checkpoint from r, checks it against the
// parameters' log policy, and returns it, its tree and its entries as a
// stream (damaged tiles or bundles wrap ErrCorrupt).
func tileEntries(ctx context.Context, p *Params, r LogReader) ([]byte, tlog.Tree, entries, error) {
	policy, err := p.Log.Policy()
	if err != nil {
		return nil, tlog.Tree{}, nil, err
	}
	cp, err := r.ReadCheckpoint(ctx)
	if err != nil {
		return nil, tlog.Tree{}, nil, fmt.Errorf("election: reading the log's checkpoint: %v", err)
	}
	tree, err := policy.Verify(cp)
	if err != nil {
		return nil, tlog.Tree{}, nil, fmt.Errorf("%w: the checkpoint: %w", ErrCorrupt, err)
	}
	each := func(ctx context.Context, fn func(uint64, []byte) error) error {
		err := tiles.Entries(ctx, r, 0, uint64(tree.N), fn)
		if err != nil && ctx.Err() == nil && !errors.As(err, new(*AuditError)) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongElection) {
			err = fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return err
	}
	return cp, tree, each, nil
}

// streamBallots is a streaming audit's walk over the log's entries: the
// header, then the ballots' encodings handed to flush a chunk at a time
// (each valid only during the call), up to the close entry, and at the end
// the entries' tree against the checkpoint's. It returns whether the log
// ends with the close entry.
//
// A fault found in the entries (a ballot the audit refuses, a header of
// another election, an entry out of place) is provisional until every
// entry has been hashed: the entries may not be the checkpoint's (a mirror
// that altered a bundle), and then the log is ErrCorrupt, not the box's
// fault. After the first fault the walk only hashes.
func streamBallots(ctx context.Context, tree tlog.Tree, each entries, digest fr.Element, flush func(context.Context, [][]byte) error) (bool, error) {
	var h tiles.Hasher
	var closed bool
	var fault error // the first fault in the entries, provisional
	chunk := make([][]byte, 0, auditChunk)
	drain := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := flush(ctx, chunk)
		chunk = chunk[:0]
		return err
	}
	step := func(i uint64, e []byte) error {
		switch {
		case i == 0:
			return checkHeader(e, digest)
		case closed:
			return fmt.Errorf("%w: entry %d follows the close entry", ErrCorrupt, i)
		case len(e) == 1 && e[0] == recClosed:
			closed = true
			return drain()
		case len(e) < 2 || e[0] != recBallot:
			return fmt.Errorf("%w: entry %d is neither a ballot nor the close", ErrCorrupt, i)
		}
		chunk = append(chunk, bytes.Clone(e[1:]))
		if len(chunk) == auditChunk {
			return drain()
		}
		return nil
	}
	err := each(ctx, func(i uint64, e []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		h.Append(e)
		if fault == nil {
			fault = step(i, e)
		}
		return nil
	})
	if err == nil && fault == nil {
		fault = drain()
	}
	switch {
	case err != nil:
		return false, err
	case ctx.Err() != nil:
		return false, ctx.Err()
	case tree.N == 0:
		return false, fmt.Errorf("%w: the log has no header", ErrCorrupt)
	case h.Size() != uint64(tree.N) || h.Root() != tree.Hash:
		return false, fmt.Errorf("%w: the log's entries do not hash to its checkpoint's root", ErrCorrupt)
	case fault != nil:
		return false, fault
	}
	return closed, nil
}

// auditOpen is the audit of an open election over the entries of the tree
// (already checked against the policy): header, then ballots in chunks,
// the tally proofs fed as the ballots stream past, and the root at the end.
func auditOpen(ctx context.Context, p *Params, voteVK, tallyVK *verifier.VerifyingKey, tree tlog.Tree, each entries, tallyData []byte) (*Results, error) {
	logErr := func(err error) (*Results, error) { return nil, &AuditError{What: "log", Index: -1, Err: err} }
	if p.Secret != nil {
		return logErr(errors.New("election: a secret election is audited with AuditSecret"))
	}
	tallies, err := ParseTallyProofs(tallyData)
	if err != nil {
		return nil, &AuditError{What: "tally file", Index: -1, Err: err}
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
	digest, err := p.Digest()
	if err != nil {
		return logErr(err)
	}
	a := &openAudit{p: p, scope: p.Scope(), digest: digest, vk: voteVK, seen: make(map[fr.Element]int)}
	a.tally = newTallyCheck(p, tallyVK, tallies)
	closed, err := streamBallots(ctx, tree, each, digest, a.flush)
	if err != nil {
		if errors.As(err, new(*AuditError)) || ctx.Err() != nil {
			return nil, err
		}
		return logErr(err)
	}
	res, err := a.tally.finish(a.ballots)
	if err != nil {
		return nil, err
	}
	res.Closed = closed
	return res, nil
}

// openAudit is a streaming audit's state: the nullifiers seen, the
// ballots checked so far, and the tally check.
type openAudit struct {
	p             *Params
	scope, digest fr.Element
	vk            *verifier.VerifyingKey
	seen          map[fr.Element]int // nullifier → ballot position
	ballots       int                // ballots checked before the chunk
	tally         *tallyCheck
}

// flush checks the chunk's ballots: decoding (on every core), statements
// and nullifiers in order, one batch verification, then the tally proofs
// over them.
func (a *openAudit) flush(ctx context.Context, chunk [][]byte) error {
	base := a.ballots
	bals := make([]*Ballot, len(chunk))
	errs := make([]error, len(chunk))
	parallel(len(chunk), func(i int) {
		bals[i], errs[i] = ParseBallot(chunk[i])
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, base+i, err)
		}
	}
	proofs := make([]*verifier.Proof, len(bals))
	for i, b := range bals {
		if err := b.checkStatement(a.p, a.scope, a.digest); err != nil {
			return &AuditError{What: "ballot", Index: base + i, Err: err}
		}
		n := b.Nullifier()
		if j, dup := a.seen[n]; dup {
			return &AuditError{What: "ballot", Index: base + i, Err: fmt.Errorf("%w: same nullifier as ballot %d", ErrDuplicateNullifier, j)}
		}
		a.seen[n] = base + i
		proofs[i] = b.proof
	}
	if err := verifyBallots(ctx, a.vk, proofs, base); err != nil {
		return err
	}
	for _, b := range bals {
		if err := a.tally.add(b); err != nil {
			return err
		}
	}
	a.ballots += len(bals)
	return nil
}

// tallyCheck follows the tally proofs along the log's ballots: each proof
// must start at the chain head and tally where the previous one ended,
// cover the next Count ballots in order, and end at the head and totals
// recomputed from them.
type tallyCheck struct {
	p       *Params
	vk      *verifier.VerifyingKey
	proofs  []*verifier.Proof
	scope   fr.Element
	opts    int
	head    fr.Element
	totals  []uint64
	counted uint64
	prev    fr.Element // the tally commitment after the counted ballots

	k    int                    // the proof being followed
	pub  *statement.TallyPublic // its public inputs, once started
	left uint64                 // its ballots still to come
}

func newTallyCheck(p *Params, vk *verifier.VerifyingKey, proofs []*verifier.Proof) *tallyCheck {
	scope := p.Scope()
	t := &tallyCheck{p: p, vk: vk, proofs: proofs, scope: scope, opts: p.maxOptions(), head: chain.Genesis(scope), totals: make([]uint64, p.maxOptions())}
	t.prev = chain.Tally(scope, 0, t.totals)
	return t
}

func (t *tallyCheck) bad(format string, args ...any) error {
	return &AuditError{What: "tally proof", Index: t.k, Err: fmt.Errorf("%w: "+format, append([]any{ErrTallyMismatch}, args...)...)}
}

// start verifies proof k and checks where it starts.
func (t *tallyCheck) start() error {
	pr := t.proofs[t.k]
	if err := verifier.Verify(t.vk, pr); err != nil {
		return &AuditError{What: "tally proof", Index: t.k, Err: err}
	}
	pub, err := statement.ParseTally(pr.Public)
	switch {
	case err != nil:
		return t.bad("%v", err)
	case !pub.Scope.Equal(&t.scope):
		return t.bad("scope")
	case !pub.HeadBefore.Equal(&t.head):
		return t.bad("it starts at another chain head")
	case !pub.TallyBefore.Equal(&t.prev):
		return t.bad("it starts from another tally")
	}
	t.pub, t.left = pub, pub.Count
	return nil
}

// end checks where proof k ends and moves to the next.
func (t *tallyCheck) end() error {
	if !t.pub.HeadAfter.Equal(&t.head) {
		return t.bad("its final head is not the log's")
	}
	t.prev = chain.Tally(t.scope, t.counted, t.totals)
	if !t.pub.TallyAfter.Equal(&t.prev) {
		return t.bad("its tally is not the sum of the log's votes")
	}
	t.k++
	t.pub = nil
	return nil
}

// add counts the next ballot of the log under the proof it falls in;
// proofs that count no ballot are passed over on the way.
func (t *tallyCheck) add(b *Ballot) error {
	for t.pub == nil || t.left == 0 {
		if t.pub != nil {
			if err := t.end(); err != nil {
				return err
			}
		}
		if t.k == len(t.proofs) {
			return &AuditError{What: "tally proof", Index: max(0, t.k-1), Err: fmt.Errorf("%w: the proofs cover %d ballots, the log holds more", ErrTallyMismatch, t.counted)}
		}
		if err := t.start(); err != nil {
			return err
		}
	}
	votes := b.Votes(t.opts)
	var err error
	if t.head, err = chain.Entry(t.head, b.Nullifier(), votes); err != nil {
		return t.bad("%v", err)
	}
	if err := addTotals(t.totals, votes); err != nil {
		return t.bad("%v", err)
	}
	t.counted++
	t.left--
	return nil
}

// finish checks that the proofs end with the log's ballots (n of them).
func (t *tallyCheck) finish(n int) (*Results, error) {
	if len(t.proofs) == 0 {
		return nil, &AuditError{What: "tally proof", Index: 0, Err: fmt.Errorf("%w: no tally proof", ErrTallyMismatch)}
	}
	for t.k < len(t.proofs) {
		if t.pub == nil {
			if err := t.start(); err != nil {
				return nil, err
			}
		}
		if t.left > 0 {
			return nil, t.bad("it counts more ballots than the log holds")
		}
		if err := t.end(); err != nil {
			return nil, err
		}
	}
	if t.pub != nil || t.counted != uint64(n) {
		return nil, &AuditError{What: "tally proof", Index: len(t.proofs) - 1, Err: fmt.Errorf("%w: the proofs cover %d of %d ballots", ErrTallyMismatch, t.counted, n)}
	}
	return &Results{Ballots: t.counted, Totals: t.totals[:len(t.p.Options)], Head: t.head}, nil
}
