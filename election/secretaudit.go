package election

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

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
// subgroup, and the audit adds ciphertexts only once every ballot of the
// log passed both checks. A point outside the subgroup fails its ballot
// with [ErrCiphertextHash] (or verifier.ErrInvalidProof).
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
// trustee.ErrNoSolution. Shares of a log without its close record are
// refused (ErrOpenElection).
//
// ctx is checked between stages and during the batch verification.
func AuditSecret(ctx context.Context, p *Params, voteVK *verifier.VerifyingKey, logData []byte, shares [][]byte) (*Results, error) {
	logErr := func(err error) (*Results, error) { return nil, &AuditError{What: "log", Index: -1, Err: err} }
	if p == nil || p.Secret == nil {
		return logErr(errors.New("election: not a secret election (use Audit)"))
	}
	// The ciphertexts are decoded without the subgroup test
	// (parseBoundCiphertext): every ballot's hash is checked
	// (checkStatements) and proof verified (verifyBallots) below before
	// any ciphertext is added (sumLatest), and l never leaves this
	// function.
	l, err := readLog(logData, parseBoundCiphertext)
	if err != nil {
		return logErr(err)
	}
	if !l.Params.equal(p) {
		return logErr(ErrWrongElection)
	}
	if err := p.checkVoteKey(voteVK); err != nil {
		return logErr(err)
	}
	digest, err := p.Digest()
	if err != nil {
		return logErr(err)
	}
	if err := checkStatements(ctx, p, digest, l.Ballots); err != nil {
		return nil, err
	}
	res := &Results{Closed: l.Closed, Ballots: uint64(len(l.Ballots)), Head: chain.Genesis(p.Scope())}
	counters := make(map[fr.Element]uint64, len(l.Ballots))
	counted := make(map[fr.Element]int, len(l.Ballots)) // nullifier → position of the latest ballot
	proofs := make([]*verifier.Proof, len(l.Ballots))
	for i, b := range l.Ballots {
		n := b.Nullifier()
		if c, ok := counters[n]; ok && b.Counter() <= c {
			return nil, &AuditError{What: "ballot", Index: i, Err: fmt.Errorf("%w: counter %d after %d", ErrStaleBallot, b.Counter(), c)}
		}
		counters[n] = b.Counter()
		counted[n] = i
		res.Head = chain.SecretEntry(res.Head, n, b.Counter(), b.CiphertextHash())
		proofs[i] = b.proof
	}
	if err := verifyBallots(ctx, voteVK, proofs); err != nil {
		return nil, err
	}
	res.Voters = uint64(len(counted))
	res.Encrypted = sumLatest(l.Ballots, counted, p.VoteStatement().Ciphertexts())
	if shares == nil {
		return res, nil
	}
	if !l.Closed {
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

// checkStatements runs checkStatement over the ballots on every core (a
// secret ballot's ciphertext hash is most of its cost) and returns the
// first failure as an *AuditError.
func checkStatements(ctx context.Context, p *Params, digest fr.Element, ballots []*Ballot) error {
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
			return &AuditError{What: "ballot", Index: i, Err: err}
		}
	}
	return nil
}

// verifyBallots batch-verifies the ballots' proofs and names the first bad
// one in an *AuditError.
func verifyBallots(ctx context.Context, vk *verifier.VerifyingKey, proofs []*verifier.Proof) error {
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
		return &AuditError{What: "ballot", Index: be.Invalid[0], Err: verifier.ErrInvalidProof}
	}
	for i, pr := range proofs {
		if err := verifier.Verify(vk, pr); err != nil {
			return &AuditError{What: "ballot", Index: i, Err: err}
		}
	}
	return &AuditError{What: "log", Index: -1, Err: err}
}

// sumLatest sums the ciphertexts of the counted ballots (positions in
// ballots), each ciphertext position on its own goroutine. The caller has
// checked every ballot's ciphertext hash and verified every proof: the
// ballots may come from parseBoundCiphertext, whose points are in the
// prime-order subgroup only once both checks passed.
func sumLatest(ballots []*Ballot, counted map[fr.Element]int, n int) []trustee.Ciphertext {
	positions := make([]int, 0, len(counted))
	for _, i := range counted {
		positions = append(positions, i)
	}
	out := make([]trustee.Ciphertext, n)
	var wg sync.WaitGroup
	for j := range out {
		wg.Go(func() {
			var s trustee.Sum
			for _, i := range positions {
				s.Add(ballots[i].cts[j])
			}
			out[j] = s.Ciphertext()
		})
	}
	wg.Wait()
	return out
}

// AuditSecretLog is [AuditSecret] reading the log through the C2SP
// tlog-tiles protocol ([LogDir], [LogURL]), checked as [FetchLog] checks
// it. Unlike [AuditLog] it holds the whole log in memory while it audits.
func AuditSecretLog(ctx context.Context, p *Params, voteVK *verifier.VerifyingKey, r LogReader, shares [][]byte) (*Results, error) {
	if p == nil {
		return nil, &AuditError{What: "log", Index: -1, Err: errors.New("election: nil parameters")}
	}
	data, err := FetchLog(ctx, p, r)
	if err != nil {
		return nil, &AuditError{What: "log", Index: -1, Err: err}
	}
	return AuditSecret(ctx, p, voteVK, data, shares)
}
