package election

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// AuditSecret checks a secret election from public material alone: its
// parameters, the vote verifying key, the exported ballot log
// ([Box.ExportLog]) and the trustees' published decryption shares
// ([DecryptionShare.Bytes]). It returns the results, or an *AuditError
// naming the first bad ballot (What "log", Index -1, for a log that does not
// parse or is another election's).
//
// It checks: the log is for p and well formed; voteVK is the key p pins
// (else [ErrKeyMismatch]); every ballot is for this election, under its
// rules, for an accepted root, with ciphertexts that are the ones its proof
// hashes under the election key and a proof that verifies (batch
// verification); each citizen's ballots come with strictly increasing
// counters ([ErrStaleBallot]). It recomputes the chain head and the
// encrypted sum of each citizen's latest ballot (Results.Encrypted).
//
// Unlike [ReadLog], it decodes the ballots' ciphertexts without the
// prime-order subgroup test, the larger part of their decoding: a ballot
// whose ciphertexts hash to its proof's public input and whose proof
// verifies carries the points its proof computed, which lie in the
// subgroup, and the audit adds a ballot's ciphertexts only once it passed
// both checks. A point outside the subgroup fails its ballot with
// [ErrCiphertextHash] (or verifier.ErrInvalidProof). The audit streams the
// log in chunks: its memory grows with the citizens who voted, not with
// the ballots.
//
// With shares (nil: none yet, as a trustee audits before decrypting), it
// also decrypts: each share's partial decryptions are checked against the
// trustee's verification share in p (Chaum–Pedersen proofs bound to the
// election and the ciphertext); a bad or duplicate share is named in
// Results.Decryption.Refused and skipped; the valid shares of the lowest
// threshold of trustees are combined (Lagrange interpolation), and each
// option's total is recovered by a bounded search (trustee.Solver over
// [0, Params.MaxOptionTotal]). Fewer valid shares than the threshold is an
// error wrapping trustee.ErrTooFewShares; a total outside the bound,
// trustee.ErrNoSolution. Shares of a log without its close entry are
// refused (ErrOpenElection).
//
// ctx is checked between stages and during the batch verification.
func AuditSecret(ctx context.Context, p *Params, voteVK *verifier.VerifyingKey, logData []byte, shares [][]byte) (*Results, error) {
	logErr := func(err error) (*Results, error) { return nil, &AuditError{What: "log", Index: -1, Err: err} }
	if p == nil || p.Secret == nil {
		return logErr(errors.New("election: not a secret election (use Audit)"))
	}
	x, err := readExport(logData)
	if err != nil {
		return logErr(err)
	}
	if !x.params.equal(p) {
		return logErr(ErrWrongElection)
	}
	return auditSecret(ctx, p, voteVK, x.tree, x.each, shares)
}

// auditSecret is the audit of a secret election over the entries of the
// tree (already checked against the policy), streaming: header, then
// ballots in chunks, each chunk's statements, counters and proofs checked
// before any of its ciphertexts enters the sum.
//
// The ciphertexts are decoded without the subgroup test
// (parseBoundCiphertext) and added to the running sum only once their
// ballot's hash is checked (checkStatements) and its proof verified
// (verifyBallots): such a ballot carries the points its circuit computed,
// which lie in the subgroup. A replaced ballot's ciphertexts, kept
// compressed per citizen, are decoded strictly again to be subtracted.
func auditSecret(ctx context.Context, p *Params, voteVK *verifier.VerifyingKey, tree tlog.Tree, each entries, shares [][]byte) (*Results, error) {
	logErr := func(err error) (*Results, error) { return nil, &AuditError{What: "log", Index: -1, Err: err} }
	if err := p.checkVoteKey(voteVK); err != nil {
		return logErr(err)
	}
	digest, err := p.Digest()
	if err != nil {
		return logErr(err)
	}
	a := &secretAudit{p: p, digest: digest, vk: voteVK, counters: make(map[fr.Element]uint64), latest: make(map[fr.Element][]byte),
		sums: make([]trustee.Sum, p.VoteStatement().Ciphertexts()), res: &Results{Head: chain.Genesis(p.Scope())}}
	if a.res.Closed, err = streamBallots(ctx, tree, each, digest, a.flush); err != nil {
		if errors.As(err, new(*AuditError)) || ctx.Err() != nil {
			return nil, err
		}
		return logErr(err)
	}
	res := a.res
	res.Voters = uint64(len(a.latest))
	for i := range a.sums {
		res.Encrypted = append(res.Encrypted, a.sums[i].Ciphertext())
	}
	if shares == nil {
		return res, nil
	}
	if !res.Closed {
		return logErr(ErrOpenElection)
	}
	totals, dec, err := decrypt(p, digest, res.Head, res.Encrypted, shares)
	res.Decryption = dec
	if err != nil {
		return nil, &AuditError{What: "decryption", Index: -1, Err: err}
	}
	res.Totals = totals
	return res, nil
}

// secretAudit is a streaming secret audit's state: each citizen's latest
// counter and ciphertexts (compressed), and the running sums.
type secretAudit struct {
	p        *Params
	digest   fr.Element
	vk       *verifier.VerifyingKey
	counters map[fr.Element]uint64
	latest   map[fr.Element][]byte
	sums     []trustee.Sum
	res      *Results // Ballots and Head as the audit goes
}

// flush checks the chunk's ballots: decoding and statements (on every
// core), counters and the chain in order, one batch verification, then
// their ciphertexts into the sums.
func (a *secretAudit) flush(ctx context.Context, chunk [][]byte) error {
	base := int(a.res.Ballots)
	bals := make([]*Ballot, len(chunk))
	errs := make([]error, len(chunk))
	parallel(len(chunk), func(i int) {
		if bals[i], errs[i] = parseBallot(chunk[i], parseBoundCiphertext); errs[i] != nil {
			errs[i] = fmt.Errorf("%w: ballot %d: %v", ErrCorrupt, base+i, errs[i])
		}
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if err := checkStatements(ctx, a.p, a.digest, bals, base); err != nil {
		return err
	}
	proofs := make([]*verifier.Proof, len(bals))
	for i, b := range bals {
		n := b.Nullifier()
		if c, ok := a.counters[n]; ok && b.Counter() <= c {
			return &AuditError{What: "ballot", Index: base + i, Err: fmt.Errorf("%w: counter %d after %d", ErrStaleBallot, b.Counter(), c)}
		}
		a.counters[n] = b.Counter()
		a.res.Head = chain.SecretEntry(a.res.Head, n, b.Counter(), b.CiphertextHash())
		proofs[i] = b.proof
	}
	if err := verifyBallots(ctx, a.vk, proofs, base); err != nil {
		return err
	}
	// Each ballot replaces its citizen's latest (in order), then the sums
	// move, each ciphertext position on its own goroutine.
	replaced := make([][]trustee.Ciphertext, len(bals))
	for i, b := range bals {
		n := b.Nullifier()
		if prev, ok := a.latest[n]; ok {
			old, err := decompressCiphertexts(prev)
			if err != nil { // encoded here from ciphertexts that passed the checks
				return &AuditError{What: "ballot", Index: base + i, Err: err}
			}
			replaced[i] = old
		}
		a.latest[n] = compressCiphertexts(b.cts)
	}
	var wg sync.WaitGroup
	for j := range a.sums {
		wg.Go(func() {
			for i, b := range bals {
				if replaced[i] != nil {
					a.sums[j].Sub(replaced[i][j])
				}
				a.sums[j].Add(b.cts[j])
			}
		})
	}
	wg.Wait()
	a.res.Ballots += uint64(len(bals))
	return nil
}

// AuditSecretLog is [AuditSecret] reading the log through the C2SP
// tlog-tiles protocol ([LogDir], [LogURL]), in a stream, as [AuditLog]
// does: its memory grows with the number of citizens who voted (each
// one's latest ciphertexts), not with the log.
func AuditSecretLog(ctx context.Context, p *Params, voteVK *verifier.VerifyingKey, r LogReader, shares [][]byte) (*Results, error) {
	logErr := func(err error) (*Results, error) { return nil, &AuditError{What: "log", Index: -1, Err: err} }
	if p == nil || p.Secret == nil {
		return logErr(errors.New("election: not a secret election (use AuditLog)"))
	}
	_, tree, each, err := tileEntries(ctx, p, r)
	if err != nil {
		return logErr(err)
	}
	return auditSecret(ctx, p, voteVK, tree, each, shares)
}

// checkStatements runs checkStatement over the ballots on every core (a
// secret ballot's ciphertext hash is most of its cost) and returns the
// first failure as an *AuditError.
func checkStatements(ctx context.Context, p *Params, digest fr.Element, ballots []*Ballot, base int) error {
	scope := p.Scope()
	errs := make([]error, len(ballots))
	parallel(len(ballots), func(i int) {
		if ctx.Err() == nil {
			errs[i] = ballots[i].checkStatement(p, scope, digest)
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, err := range errs {
		if err != nil {
			return &AuditError{What: "ballot", Index: base + i, Err: err}
		}
	}
	return nil
}

// verifyBallots batch-verifies the ballots' proofs and names the first bad
// one in an *AuditError.
func verifyBallots(ctx context.Context, vk *verifier.VerifyingKey, proofs []*verifier.Proof, base int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := verifier.VerifyBatch(ctx, vk, proofs)
	if err == nil {
		return ctx.Err()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var be *verifier.BatchError
	if errors.As(err, &be) {
		return &AuditError{What: "ballot", Index: base + be.Invalid[0], Err: verifier.ErrInvalidProof}
	}
	for i, pr := range proofs {
		if err := verifier.Verify(vk, pr); err != nil {
			return &AuditError{What: "ballot", Index: base + i, Err: err}
		}
	}
	return &AuditError{What: "log", Index: -1, Err: err}
}
