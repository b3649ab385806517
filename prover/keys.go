package prover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/plonk"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"

	"github.com/netstate/zkvote/verifier"
)

// circuitSpec names one circuit at one size.
type circuitSpec struct {
	name     string // as verifying keys state it, e.g. "membership/depth=20"
	nbPublic int
	shape    func() (frontend.Circuit, error)
}

// fileBase is the stem of the spec's key files for backend b.
func (s circuitSpec) fileBase(b verifier.Backend) string {
	return strings.NewReplacer("/", "-", "=", "").Replace(s.name) + "-" + b.String()
}

// compile compiles the spec for the backend's arithmetisation: R1CS for
// Groth16, sparse R1CS for PLONK.
func (s circuitSpec) compile(ctx context.Context, b verifier.Backend) (constraint.ConstraintSystem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.shape()
	if err != nil {
		return nil, err
	}
	var ccs constraint.ConstraintSystem
	switch b {
	case verifier.Groth16:
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	case verifier.PLONK:
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, c)
	default:
		return nil, fmt.Errorf("prover: unknown backend %v", b)
	}
	if err != nil {
		return nil, fmt.Errorf("prover: compiling %s: %v", s.name, err)
	}
	return ccs, nil
}

// keys are a compiled circuit with its proving and verifying keys, for
// Groth16 (pk) or PLONK (ppk).
type keys struct {
	spec circuitSpec
	ccs  constraint.ConstraintSystem
	pk   *groth16bn254.ProvingKey
	ppk  *plonkbn254.ProvingKey
	vk   *verifier.VerifyingKey
}

// VerifyingKey returns the key a verifier needs.
func (k *keys) VerifyingKey() *verifier.VerifyingKey { return k.vk }

// Backend returns the keys' proof system.
func (k *keys) Backend() verifier.Backend { return k.vk.Backend() }

// NbConstraints returns the size of the compiled circuit.
func (k *keys) NbConstraints() int { return k.ccs.GetNbConstraints() }

func newGroth16Keys(spec circuitSpec, ccs constraint.ConstraintSystem, pk *groth16bn254.ProvingKey, gvk *groth16bn254.VerifyingKey) (*keys, error) {
	vk, err := verifier.NewGroth16VerifyingKey(spec.name, spec.nbPublic, gvk)
	if err != nil {
		return nil, err
	}
	return &keys{spec: spec, ccs: ccs, pk: pk, vk: vk}, nil
}

func newPLONKKeys(spec circuitSpec, ccs constraint.ConstraintSystem, pk *plonkbn254.ProvingKey, pvk *plonkbn254.VerifyingKey) (*keys, error) {
	vk, err := verifier.NewPLONKVerifyingKey(spec.name, spec.nbPublic, pvk)
	if err != nil {
		return nil, err
	}
	return &keys{spec: spec, ccs: ccs, ppk: pk, vk: vk}, nil
}

// setupInsecure compiles spec and runs a single-party Groth16 setup.
func setupInsecure(ctx context.Context, spec circuitSpec) (*keys, error) {
	ccs, err := spec.compile(ctx, verifier.Groth16)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, fmt.Errorf("prover: setup: %v", err)
	}
	return newGroth16Keys(spec, ccs, pk.(*groth16bn254.ProvingKey), vk.(*groth16bn254.VerifyingKey))
}

// setupPLONK compiles spec for PLONK and derives keys from a KZG SRS.
func setupPLONK(ctx context.Context, spec circuitSpec, srs, srsLagrange *kzg.SRS) (*keys, error) {
	ccs, err := spec.compile(ctx, verifier.PLONK)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if srs == nil || srsLagrange == nil {
		return nil, errors.New("prover: nil SRS")
	}
	pk, vk, err := plonk.Setup(ccs, srs, srsLagrange)
	if err != nil {
		return nil, fmt.Errorf("prover: plonk setup: %v", err)
	}
	return newPLONKKeys(spec, ccs, pk.(*plonkbn254.ProvingKey), vk.(*plonkbn254.VerifyingKey))
}

// prove proves assignment, whose public values are public, and returns the
// self-contained proof.
func (k *keys) prove(ctx context.Context, assignment frontend.Circuit, public []fr.Element) (*verifier.Proof, error) {
	wit, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("prover: witness: %v", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var proof io.WriterTo
	if k.pk != nil {
		proof, err = groth16.Prove(k.ccs, k.pk, wit)
	} else {
		proof, err = plonk.Prove(k.ccs, k.ppk, wit)
	}
	if err != nil {
		return nil, fmt.Errorf("prover: proving %s: %v", k.spec.name, err)
	}
	var data bytes.Buffer
	if _, err := proof.WriteTo(&data); err != nil {
		return nil, fmt.Errorf("prover: encoding proof: %v", err)
	}
	return &verifier.Proof{Backend: k.vk.Backend(), KeyID: k.vk.ID(), Public: public, Data: data.Bytes()}, nil
}

// lagrangeSRS derives the Lagrange form of srs for spec compiled for PLONK.
func lagrangeSRS(ctx context.Context, spec circuitSpec, srs *kzg.SRS) (*kzg.SRS, error) {
	ccs, err := spec.compile(ctx, verifier.PLONK)
	if err != nil {
		return nil, err
	}
	n := ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints() + ccs.GetNbPublicVariables()))
	if uint64(len(srs.Pk.G1)) < n+3 {
		return nil, fmt.Errorf("prover: SRS of %d points is too small for %d", len(srs.Pk.G1), n+3)
	}
	lg, err := kzg.ToLagrangeG1(srs.Pk.G1[:n])
	if err != nil {
		return nil, fmt.Errorf("prover: %v", err)
	}
	return &kzg.SRS{Pk: kzg.ProvingKey{G1: lg}, Vk: srs.Vk}, nil
}

// ReadSRS reads a KZG SRS for BN254 in gnark-crypto's encoding (as written
// by kzg.SRS.WriteTo; a powers-of-tau transcript converted with gnark's
// tools). The reader is trusted: it should be a file whose hash matches the
// published ceremony output. Use [LagrangeSRS] to derive the Lagrange form
// a circuit needs.
func ReadSRS(r io.Reader) (*kzg.SRS, error) {
	srs := new(kzg.SRS)
	if _, err := srs.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("prover: reading SRS: %v", err)
	}
	return srs, nil
}
