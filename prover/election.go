package prover

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// Cast proves a ballot on the citizen's device: id is the member behind the
// tree proof path (whose root the election must accept) and votes has one
// value per option of the election p. keys must be the vote keys p pins
// (else an error wrapping election.ErrKeyMismatch, also for keys of another
// statement: every box would refuse the ballot). The votes are checked against the rules first, for a clear
// error; the proof enforces them regardless.
//
// ctx is checked before proving (see [Keys.Prove]).
func Cast(ctx context.Context, keys *Keys, p *election.Params, id *membership.Identity, path *membership.Proof, votes []uint64) (*election.Ballot, error) {
	if p != nil && p.Secret != nil {
		return nil, errors.New("prover: a secret election's ballots are cast with CastSecret")
	}
	w, err := ballotWitness(keys, p, id, path, votes)
	if err != nil {
		return nil, err
	}
	proof, err := keys.Prove(ctx, w)
	if err != nil {
		return nil, err
	}
	return election.ParseBallot(proof.Bytes())
}

// CastSecret proves a secret ballot on the citizen's device, as [Cast] does
// for an open one: the votes are encrypted under the election key
// (p.Secret), with fresh randomness from r (crypto/rand if nil) for each
// ciphertext, and proven to obey the rules. counter orders the citizen's
// ballots: a box keeps only the one with the highest counter, so a later
// ballot needs a higher one (a clock reading or a count kept on the
// device both do; a box refuses a counter not above the latest with
// election.ErrStaleBallot).
//
// ctx is checked before proving (see [Keys.Prove]).
func CastSecret(ctx context.Context, keys *Keys, p *election.Params, id *membership.Identity, path *membership.Proof, votes []uint64, counter uint64, r io.Reader) (*election.Ballot, error) {
	if p != nil && p.Secret == nil {
		return nil, errors.New("prover: an open election's ballots are cast with Cast")
	}
	vw, err := ballotWitness(keys, p, id, path, votes)
	if err != nil {
		return nil, err
	}
	if r == nil {
		r = rand.Reader
	}
	s := p.VoteStatement()
	w := &circuits.SecretVoteWitness{VoteWitness: *vw, Counter: counter, Key: p.Secret.Key}
	for range s.Ciphertexts() {
		k, err := trustee.RandomScalar(r)
		if err != nil {
			return nil, err
		}
		w.Randomness = append(w.Randomness, k)
	}
	cts, err := w.Ciphertexts(s)
	if err != nil {
		return nil, err
	}
	proof, err := keys.Prove(ctx, w)
	if err != nil {
		return nil, err
	}
	return election.NewSecretBallot(proof, cts)
}

// ballotWitness checks what Cast and CastSecret share and returns the
// ballot's witness.
func ballotWitness(keys *Keys, p *election.Params, id *membership.Identity, path *membership.Proof, votes []uint64) (*circuits.VoteWitness, error) {
	if p == nil {
		return nil, errors.New("prover: nil election parameters")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, fmt.Errorf("%w: no vote keys", election.ErrKeyMismatch)
	}
	if s := p.VoteStatement(); keys.Statement() != s {
		return nil, fmt.Errorf("%w: keys are for %s, the election needs %s", election.ErrKeyMismatch, keys.Statement(), s)
	}
	if !p.VoteKey.Matches(keys.VerifyingKey()) {
		return nil, fmt.Errorf("%w: the vote keys are not the ones the election pins", election.ErrKeyMismatch)
	}
	if err := p.Rules.Check(len(p.Options), votes); err != nil {
		return nil, err
	}
	if path == nil || !p.AcceptsRoot(path.Root) {
		return nil, election.ErrUnknownRoot
	}
	if err := checkPath(id, path); err != nil {
		return nil, err
	}
	digest, err := p.Digest()
	if err != nil {
		return nil, err
	}
	return &circuits.VoteWitness{
		Membership:   circuits.MembershipWitness{Root: path.Root, Scope: p.Scope(), Secret: id.Secret(), Siblings: path.Siblings, PathBits: path.PathBits},
		ParamsDigest: digest,
		NumOptions:   uint64(len(p.Options)),
		MaxPerOption: p.Rules.MaxPerOption, MinTotal: p.Rules.MinTotal, MaxTotal: p.Rules.MaxTotal,
		CostExponent: uint64(p.Rules.CostExponent),
		Votes:        votes,
	}, nil
}

// ProveTally proves the tally of ballots (a log's, in order: election.Log's
// Ballots) in batches of the keys' batch size: proof k covers ballots
// [k·batch, (k+1)·batch). An empty log gets one proof of the empty batch.
// progress, if not nil, is called after each batch. keys must be the tally
// keys p pins, which count ballots of p's compiled number of options (else
// an error wrapping election.ErrKeyMismatch). Publish the proofs with
// election.EncodeTallyProofs; election.Audit checks them.
//
// ctx is checked before each batch.
func ProveTally(ctx context.Context, keys *Keys, p *election.Params, ballots []*election.Ballot, progress func(done, total int)) ([]*verifier.Proof, error) {
	if p == nil {
		return nil, errors.New("prover: nil election parameters")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, fmt.Errorf("%w: no tally keys", election.ErrKeyMismatch)
	}
	s := keys.Statement()
	if err := p.CheckTallyStatement(s); err != nil {
		return nil, fmt.Errorf("%w: %v", election.ErrKeyMismatch, err)
	}
	if !p.TallyKey.Matches(keys.VerifyingKey()) {
		return nil, fmt.Errorf("%w: the tally keys are not the ones the election pins", election.ErrKeyMismatch)
	}
	batch, options := s.Batch(), s.Options()
	all := make([]circuits.TallySlot, len(ballots))
	for i, b := range ballots {
		all[i] = circuits.TallySlot{Nullifier: b.Nullifier(), Votes: b.Votes(options)}
	}
	scope := p.Scope()
	w := &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: make([]uint64, options)}
	batches := max(1, (len(all)+batch-1)/batch)
	proofs := make([]*verifier.Proof, 0, batches)
	for k := range batches {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		w.Ballots = all[min(len(all), k*batch):min(len(all), (k+1)*batch)]
		res, err := w.Result(batch, options)
		if err != nil {
			return nil, fmt.Errorf("prover: batch %d: %w", k, err)
		}
		pr, err := keys.Prove(ctx, w)
		if err != nil {
			return nil, err
		}
		proofs = append(proofs, pr)
		w.HeadBefore, w.BallotsBefore, w.TotalsBefore = res.Public.HeadAfter, res.BallotsAfter, res.TotalsAfter
		if progress != nil {
			progress(k+1, batches)
		}
	}
	return proofs, nil
}
