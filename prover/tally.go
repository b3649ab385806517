package prover

import (
	"context"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/frontend"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/verifier"
)

// TallyCircuitName returns the name of the tally circuit for batches of
// batch ballots with options options.
func TallyCircuitName(batch, options int) string {
	return fmt.Sprintf("tally/v%d/batch=%d/options=%d", circuits.Version, batch, options)
}

func tallySpec(batch, options int) circuitSpec {
	return circuitSpec{
		name:     TallyCircuitName(batch, options),
		nbPublic: circuits.TallyPublicCount,
		shape:    func() (frontend.Circuit, error) { return circuits.NewTally(batch, options) },
	}
}

// TallyKeys are the compiled tally circuit of one batch size with its keys.
type TallyKeys struct {
	keys
	batch, options int
}

// Batch returns the number of ballot slots per proof.
func (k *TallyKeys) Batch() int { return k.batch }

// SetupTallyInsecure compiles the tally circuit and runs a single-party
// Groth16 setup: tests and demos only (see [SetupMembershipInsecure]).
// Whoever runs it can prove false results: an election's keys come from a
// ceremony ([NewCeremony] with [TallyCircuit]) or [SetupTallyPLONK].
func SetupTallyInsecure(ctx context.Context, batch, options int) (*TallyKeys, error) {
	k, err := setupInsecure(ctx, tallySpec(batch, options))
	if err != nil {
		return nil, err
	}
	return &TallyKeys{keys: *k, batch: batch, options: options}, nil
}

// SetupTallyPLONK compiles the tally circuit for PLONK and derives its keys
// from a KZG SRS, as [SetupMembershipPLONK] does for the membership circuit
// (srsLagrange may be nil).
//
// ctx is checked before compiling and before the setup.
func SetupTallyPLONK(ctx context.Context, batch, options int, srs, srsLagrange *kzg.SRS) (*TallyKeys, error) {
	k, err := setupPLONK(ctx, tallySpec(batch, options), srs, srsLagrange)
	if err != nil {
		return nil, err
	}
	return &TallyKeys{keys: *k, batch: batch, options: options}, nil
}

// LoadTallyKeys reads tally keys from dir (see [LoadMembershipKeys]).
func LoadTallyKeys(ctx context.Context, dir string, batch, options int, b verifier.Backend, mode LoadMode) (*TallyKeys, error) {
	k, err := loadKeys(ctx, dir, tallySpec(batch, options), b, mode)
	if err != nil {
		return nil, err
	}
	return &TallyKeys{keys: *k, batch: batch, options: options}, nil
}

// OpenTallyKeysInsecure returns development tally keys from cacheDir,
// running the insecure setup when they are missing or stale.
func OpenTallyKeysInsecure(ctx context.Context, cacheDir string, batch, options int) (*TallyKeys, error) {
	k, err := openInsecure(ctx, cacheDir, tallySpec(batch, options))
	if err != nil {
		return nil, err
	}
	return &TallyKeys{keys: *k, batch: batch, options: options}, nil
}

// Prove proves one batch of the tally and returns the proof with the values
// it certifies. The witness's totals have the compiled number of options
// (pad an election with fewer options with zeros).
//
// ctx is checked before the witness is built and before proving.
func (k *TallyKeys) Prove(ctx context.Context, w *circuits.TallyWitness) (*verifier.Proof, *circuits.TallyResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	a, res, err := circuits.NewTallyAssignment(k.batch, k.options, w)
	if err != nil {
		return nil, nil, err
	}
	var count fr.Element
	count.SetUint64(uint64(len(w.Ballots)))
	public := []fr.Element{w.Scope, w.HeadBefore, res.HeadAfter, res.TallyBefore, res.TallyAfter, count}
	pr, err := k.prove(ctx, a, public)
	if err != nil {
		return nil, nil, err
	}
	return pr, res, nil
}
