package prover

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"
	csbn254 "github.com/consensys/gnark/constraint/bn254"

	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// KeyFiles returns the names of the three files [Keys.WriteFiles] writes
// for statement s and backend b: the proving key, the constraint system and
// the verifying key, for example "vote-v2-depth20-options8-groth16.pk".
// A box serves them by these names for voters who prove elsewhere (a
// browser), who read them with [ReadKeys].
func KeyFiles(s statement.Statement, b verifier.Backend) (pk, ccs, vk string) {
	base := fileBase(s, b)
	return base + ".pk", base + ".ccs", base + ".vk"
}

// ReadKeys is [Load] for key files held in memory: pk, ccs and vk are the
// contents of the files [KeyFiles] names, as [Keys.WriteFiles] wrote them,
// for example fetched over the network by a browser. The checks are
// Load's: framing, hashes, statement, backend and gnark version of every
// file, the proving key's vk ID against vk, its circuit digest against the
// circuit, and its whole layout walked against the circuit before gnark
// decodes it; a file for another statement or gnark returns [ErrStaleKey],
// a damaged or crafted one [ErrCorrupt]. In [Checked] mode ccs is not read
// (it may be nil): the circuit is compiled afresh and every curve point
// checked. In [Trusted] mode the circuit is decoded from ccs and the points
// are not checked.
//
// The caller still checks the verifying key against the one its election
// pins (election.KeyPin.Matches): ReadKeys checks that the three files
// belong together, not that they are the ones anybody published.
//
// ctx is checked between stages.
func ReadKeys(ctx context.Context, s statement.Statement, b verifier.Backend, pk, ccs, vk []byte, mode LoadMode) (*Keys, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("prover: %w", err)
	}
	pkName, ccsName, vkName := KeyFiles(s, b)
	v, err := verifier.ParseVerifyingKey(vk)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if v.Circuit() != s.Name() || v.Backend() != b || v.NbPublic() != s.NbPublic() {
		return nil, fmt.Errorf("%w: %s holds %s/%v", ErrStaleKey, vkName, v.Circuit(), v.Backend())
	}
	ph, pkBody, err := decodeFile(pk)
	if err != nil {
		return nil, err
	}
	if ph.kind != kindPK || ph.backend != b || ph.name != s.Name() || ph.gnark != GnarkVersion || ph.vkID != v.ID() {
		return nil, fmt.Errorf("%w: %s", ErrStaleKey, pkName)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cs constraint.ConstraintSystem
	if mode == Trusted {
		cs, err = parseCircuit(ccs, ccsName, ph, b)
	} else {
		cs, err = compile(ctx, s, b)
	}
	if err != nil {
		return nil, err
	}
	digest, _, err := circuitDigest(cs)
	if err != nil {
		return nil, err
	}
	if digest != ph.digest {
		return nil, fmt.Errorf("%w: the proving key was made for another version of %s", ErrStaleKey, s)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := walkProvingKey(pkBody, cs, b); err != nil {
		return nil, fmt.Errorf("%w: proving key: %v", ErrCorrupt, err)
	}
	r := bytes.NewReader(pkBody)
	k := &Keys{stmt: s, ccs: cs, vk: v}
	switch b {
	case verifier.Groth16:
		k.pk = new(groth16bn254.ProvingKey)
		if mode == Trusted {
			_, err = k.pk.UnsafeReadFrom(r)
		} else {
			_, err = k.pk.ReadFrom(r)
		}
	case verifier.PLONK:
		k.ppk = new(plonkbn254.ProvingKey)
		if mode == Trusted {
			_, err = k.ppk.UnsafeReadFrom(r)
		} else {
			_, err = k.ppk.ReadFrom(r)
		}
	default:
		return nil, fmt.Errorf("prover: unknown backend %v", b)
	}
	if err != nil || r.Len() != 0 {
		return nil, fmt.Errorf("%w: proving key: %v", ErrCorrupt, err)
	}
	return k, nil
}

// parseCircuit decodes a constraint-system file (named name, for errors)
// and checks it against the proving key's header ph. gnark's decoder is
// meant for files this machine wrote ([Trusted]); a panic in it on other
// bytes is returned as [ErrCorrupt].
func parseCircuit(data []byte, name string, ph fileHeader, b verifier.Backend) (_ constraint.ConstraintSystem, err error) {
	h, body, err := decodeFile(data)
	if err != nil {
		return nil, err
	}
	if h.kind != kindCCS || h.backend != b || h.name != ph.name || h.gnark != GnarkVersion || h.digest != ph.digest {
		return nil, fmt.Errorf("%w: %s", ErrStaleKey, name)
	}
	if sha256.Sum256(body) != ph.digest {
		return nil, fmt.Errorf("%w: circuit digest", ErrCorrupt)
	}
	var cs interface {
		constraint.ConstraintSystem
		io.ReaderFrom
	}
	if b == verifier.Groth16 {
		cs = new(csbn254.R1CS)
	} else {
		cs = new(csbn254.SparseR1CS)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: circuit: %v", ErrCorrupt, r)
		}
	}()
	if _, err := cs.ReadFrom(bytes.NewReader(body)); err != nil {
		return nil, fmt.Errorf("%w: circuit: %v", ErrCorrupt, err)
	}
	if cs.GetNbConstraints() == 0 || cs.Field().Cmp(ecc.BN254.ScalarField()) != 0 {
		return nil, fmt.Errorf("%w: circuit", ErrCorrupt)
	}
	return cs, nil
}
