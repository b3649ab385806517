package prover

import (
	"context"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/frontend"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/verifier"
)

// VoteCircuitName returns the name of the vote circuit for trees of depth
// at most depth and ballots of options options, for example
// "vote/v2/depth=20/options=8" (v2: [circuits.Version]).
func VoteCircuitName(depth, options int) string {
	return fmt.Sprintf("vote/v%d/depth=%d/options=%d", circuits.Version, depth, options)
}

func voteSpec(depth, options int) circuitSpec {
	return circuitSpec{
		name:     VoteCircuitName(depth, options),
		nbPublic: circuits.VotePublicCount(options),
		shape:    func() (frontend.Circuit, error) { return circuits.NewVote(depth, options) },
	}
}

// VoteKeys are the compiled vote circuit of one depth and number of options
// with its keys.
type VoteKeys struct {
	keys
	depth, options int
}

// Depth returns the maximum census-tree depth.
func (k *VoteKeys) Depth() int { return k.depth }

// Options returns the compiled number of options.
func (k *VoteKeys) Options() int { return k.options }

// SetupVoteInsecure compiles the vote circuit and runs a single-party
// Groth16 setup: tests and demos only (see [SetupMembershipInsecure]).
// Whoever runs it can forge ballots: an election's keys come from a
// ceremony ([NewCeremony] with [VoteCircuit]) or [SetupVotePLONK].
func SetupVoteInsecure(ctx context.Context, depth, options int) (*VoteKeys, error) {
	k, err := setupInsecure(ctx, voteSpec(depth, options))
	if err != nil {
		return nil, err
	}
	return &VoteKeys{keys: *k, depth: depth, options: options}, nil
}

// SetupVotePLONK compiles the vote circuit for PLONK and derives its keys
// from a KZG SRS, as [SetupMembershipPLONK] does for the membership circuit
// (srsLagrange may be nil).
//
// ctx is checked before compiling and before the setup.
func SetupVotePLONK(ctx context.Context, depth, options int, srs, srsLagrange *kzg.SRS) (*VoteKeys, error) {
	k, err := setupPLONK(ctx, voteSpec(depth, options), srs, srsLagrange)
	if err != nil {
		return nil, err
	}
	return &VoteKeys{keys: *k, depth: depth, options: options}, nil
}

// LoadVoteKeys reads vote keys from dir (see [LoadMembershipKeys]).
func LoadVoteKeys(ctx context.Context, dir string, depth, options int, b verifier.Backend, mode LoadMode) (*VoteKeys, error) {
	k, err := loadKeys(ctx, dir, voteSpec(depth, options), b, mode)
	if err != nil {
		return nil, err
	}
	return &VoteKeys{keys: *k, depth: depth, options: options}, nil
}

// OpenVoteKeysInsecure returns development vote keys from cacheDir,
// running the insecure setup when they are missing or stale (see
// [OpenMembershipKeysInsecure]).
func OpenVoteKeysInsecure(ctx context.Context, cacheDir string, depth, options int) (*VoteKeys, error) {
	k, err := openInsecure(ctx, cacheDir, voteSpec(depth, options))
	if err != nil {
		return nil, err
	}
	return &VoteKeys{keys: *k, depth: depth, options: options}, nil
}

// VoteStatement is what a ballot states besides the voter's membership: the
// election's scope, and its parameter digest, rules and votes (one per
// option of the election, at most the compiled number).
type VoteStatement struct {
	Scope fr.Element
	circuits.Ballot
}

// Prove proves a ballot: id is the member behind tree proof p, and s's
// votes obey s's rules. Votes that break the rules cannot be proven.
//
// ctx is checked before the witness is built and before proving.
func (k *VoteKeys) Prove(ctx context.Context, id *membership.Identity, p *membership.Proof, s *VoteStatement) (*verifier.Proof, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkPath(id, p, k.depth); err != nil {
		return nil, err
	}
	if len(s.Votes) > k.options || s.NumOptions != uint64(len(s.Votes)) {
		return nil, fmt.Errorf("prover: %d votes for %d options (circuit: %d)", len(s.Votes), s.NumOptions, k.options)
	}
	w := &circuits.VoteWitness{
		Membership: circuits.MembershipWitness{Root: p.Root, Scope: s.Scope, Secret: id.Secret(), Siblings: p.Siblings, PathBits: p.PathBits},
		Ballot:     s.Ballot,
	}
	a, err := circuits.NewVoteAssignment(k.depth, k.options, w)
	if err != nil {
		return nil, err
	}
	public := w.Public(k.options)
	pr, err := k.prove(ctx, a, public)
	if err != nil {
		return nil, fmt.Errorf("%w (a ballot that breaks the rules cannot be proven)", err)
	}
	return pr, nil
}
