package verifier

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// groth16Fixed is a Groth16 verifying key prepared for single verification:
// the Miller-loop lines of the fixed G2 points −γ and −δ are computed once,
// so each verification runs one general Miller loop (for e(A, B)) and one
// with precomputed lines (for e(L, −γ)·e(C, −δ)), then one final
// exponentiation compared with e(α, β). It checks the same equation as
// gnark's groth16 Verify, e(A,B)·e(L,−γ)·e(C,−δ) = e(α,β) with
// L = K₀ + Σ xᵢ·Kᵢ₊₁, for keys without commitments; the points of the proof
// were checked (on curve, in subgroup, canonical) when decoded.
type groth16Fixed struct {
	k                  []bn254.G1Affine
	gammaNeg, deltaNeg [2][len(bn254.LoopCounter)]bn254.LineEvaluationAff
	alphaBeta          bn254.GT
}

func newGroth16Fixed(vk *groth16bn254.VerifyingKey) (*groth16Fixed, error) {
	var gn, dn bn254.G2Affine
	gn.Neg(&vk.G2.Gamma)
	dn.Neg(&vk.G2.Delta)
	e, err := bn254.Pair([]bn254.G1Affine{vk.G1.Alpha}, []bn254.G2Affine{vk.G2.Beta})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	return &groth16Fixed{
		k:         append([]bn254.G1Affine(nil), vk.G1.K...),
		gammaNeg:  bn254.PrecomputeLines(gn),
		deltaNeg:  bn254.PrecomputeLines(dn),
		alphaBeta: e,
	}, nil
}

// verify reports whether pr proves public under the key. The general
// Miller loop e(A, B) runs on its own goroutine while the public-input
// combination and the fixed-line loop run here.
func (g *groth16Fixed) verify(pr *groth16bn254.Proof, public []fr.Element) bool {
	if len(public) != len(g.k)-1 {
		return false
	}
	type loop struct {
		v   bn254.GT
		err error
	}
	abDone := make(chan loop, 1)
	go func() {
		defer func() {
			if recover() != nil {
				abDone <- loop{err: fmt.Errorf("verifier: Miller loop panicked")}
			}
		}()
		v, err := bn254.MillerLoop([]bn254.G1Affine{pr.Ar}, []bn254.G2Affine{pr.Bs})
		abDone <- loop{v, err}
	}()
	var l bn254.G1Jac
	_, msmErr := l.MultiExp(g.k[1:], public, ecc.MultiExpConfig{})
	l.AddMixed(&g.k[0])
	var la bn254.G1Affine
	la.FromJacobian(&l)
	fixed, fixedErr := bn254.MillerLoopFixedQ([]bn254.G1Affine{la, pr.Krs},
		[][2][len(bn254.LoopCounter)]bn254.LineEvaluationAff{g.gammaNeg, g.deltaNeg})
	ab := <-abDone
	if msmErr != nil || fixedErr != nil || ab.err != nil {
		return false
	}
	got := bn254.FinalExponentiation(&ab.v, &fixed)
	return got.Equal(&g.alphaBeta)
}
