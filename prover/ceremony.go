package prover

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// Ceremony is the coordinator's side of a multi-party Groth16 setup for one
// statement (membership, vote or tally, at one size), built on
// gnark's backend/groth16/bn254/mpcsetup (the protocol of Bowe, Gabizon and
// Miers, "Scalable multi-party computation for zk-SNARK parameters",
// https://eprint.iacr.org/2017/1050, as revised by gnark).
//
// The ceremony runs in two phases. Phase 1 ("powers of tau") builds the
// circuit-independent powers of τ, α and β, sized for the circuit; phase 2
// builds the circuit-specific δ. In each phase the coordinator hands
// [Ceremony.State] to one contributor at a time, the contributor runs
// [Contribute] on it and returns the result, and the coordinator checks it
// with [Ceremony.VerifyContribution] before handing the new state to the
// next contributor. [Ceremony.SealPhase1] closes phase 1 with a public
// random beacon and starts phase 2; [Ceremony.Seal] closes phase 2 with a
// second beacon and returns the [Keys] for the statement. An election needs
// two ceremonies, one for its statement.Vote and one for its
// statement.Tally, and pins the two verifying keys in its parameters.
//
// Every state records the circuit it is for, and a state for another
// circuit or size is refused. The header alone would not bind phase 1,
// whose initial state depends only on the domain size: so the initial
// phase-1 state carries, as its challenge, a hash of the circuit's name,
// which every later challenge (the hash of the state before it) and every
// proof of knowledge covers. A contribution made for one circuit fails
// verification in a ceremony for any other, whatever its header says.
//
// # Security
//
// Trust model: the keys are sound (nobody can forge a proof) if at least one
// contributor in each phase drew their randomness honestly and destroyed it:
// each contribution multiplies the secrets τ, α, β (phase 1) or δ (phase 2)
// by a fresh random factor, so the final secrets are unknown unless every
// contributor of that phase colludes or leaks. Contributors should run
// [Contribute] on a machine they control and end the process afterwards;
// Go cannot erase memory, so "destroyed" means the process and its swap are
// gone.
//
// What the coordinator verifies, for every contribution, before it becomes
// the latest state: the exact byte layout (see [Ceremony.ContributionSize]);
// that every curve point decodes, lies on the curve and in its prime-order
// subgroup, in gnark's one canonical encoding; that the contribution names
// the hash of the latest state as its challenge (so a replayed, skipped,
// stale or reordered contribution is rejected); that its proofs of knowledge
// of the new random factors verify against that challenge; and that the
// update from the latest state is consistent (phase 1: every vector is still
// a sequence of powers of one τ, with α and β applied; phase 2: δ in both
// groups and every δ-divided vector scaled by the same factor). A phase
// cannot be sealed without at least one accepted contribution.
//
// The beacon: sealing applies one last, public factor derived from the hash
// of the latest state and a beacon, a value of at least 32 bytes that
// nobody could predict or choose when the last contribution of the phase
// was accepted (for example a drand round announced in advance, or the hash
// of a future block). It stops the last contributor from grinding their
// contribution to bias the keys. Each phase needs its own beacon: Seal
// refuses the phase-1 beacon ([ErrInvalidBeacon]), which everyone, the
// phase-2 contributors included, knows before phase 2 starts. Sealing is
// deterministic: anyone holding the published transcript (every accepted
// contribution of both phases and both beacons) can replay it with
// [NewCeremony], [Ceremony.VerifyContribution], [Ceremony.SealPhase1] and
// [Ceremony.Seal] and must obtain the same verifying key (same
// [verifier.VerifyingKey.ID]).
// A contributor checks that the bytes it returned appear in that transcript.
//
// Contributions are anonymous bytes: binding each to a person (a signature
// over its SHA-256, say) is up to the coordinator. Phase 1 here is run for
// this one circuit; importing a public powers-of-tau transcript is not
// supported.
//
// A Ceremony is safe for concurrent use; its methods run one at a time.
type Ceremony struct {
	mu      sync.Mutex
	shape   *ceremonyShape
	phase   int    // 1 or 2; 0 once sealed
	count   int    // contributions accepted in the current phase
	beacon1 []byte // the beacon that sealed phase 1

	p1      *mpcsetup.Phase1            // latest verified phase-1 state
	commons *mpcsetup.SrsCommons        // sealed phase 1
	evals   *mpcsetup.Phase2Evaluations // circuit evaluations for the seal
	p2      *mpcsetup.Phase2            // latest verified phase-2 state
	state   []byte                      // encoding of the latest state
}

// ErrMalformedContribution is wrapped by errors about ceremony state bytes
// that do not decode: wrong length, header, layout or point encoding.
var ErrMalformedContribution = errors.New("prover: malformed ceremony state")

// ErrInvalidContribution is wrapped by errors about a contribution that
// decodes but is rejected: it belongs to another phase or circuit, it does
// not build on the latest state (replayed, skipped, stale), or its proofs
// or its update do not verify.
var ErrInvalidContribution = errors.New("prover: invalid ceremony contribution")

// ErrInvalidBeacon is wrapped by errors about a beacon that cannot seal a
// phase: shorter than 32 bytes, or, for phase 2, equal to the phase-1
// beacon.
var ErrInvalidBeacon = errors.New("prover: invalid ceremony beacon")

// minBeaconLen is the least number of beacon bytes accepted.
const minBeaconLen = 32

// NewCeremony compiles the circuit of s (for Groth16) and starts phase 1 of
// a ceremony for it, with a domain of the circuit's constraint count rounded
// up to a power of two. An election's vote and tally keys come from
// NewCeremony(ctx, statement.Vote(depth, options)) and
// NewCeremony(ctx, statement.Tally(batch, options)).
//
// ctx is checked before compiling and before phase 1 is built; on
// cancellation NewCeremony returns ctx.Err().
func NewCeremony(ctx context.Context, s statement.Statement) (*Ceremony, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	shape, err := newCeremonyShape(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p1 := mpcsetup.NewPhase1(shape.n)
	p1.Challenge = ceremonyBinding(s)
	state, err := encodeCeremonyState(1, s, p1)
	if err != nil {
		return nil, err
	}
	return &Ceremony{shape: shape, phase: 1, p1: p1, state: state}, nil
}

// Statement returns the statement the ceremony makes keys for.
func (c *Ceremony) Statement() statement.Statement { return c.shape.circuit }

// Phase returns 1 or 2 while that phase accepts contributions, and 0 once
// the ceremony is sealed.
func (c *Ceremony) Phase() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.phase
}

// Contributions returns the number of contributions accepted in the current
// phase.
func (c *Ceremony) Contributions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// State returns the encoding of the latest verified state, to be handed to
// the next contributor: the initial state of the phase, or exactly the
// bytes of the last accepted contribution. It returns nil once sealed.
func (c *Ceremony) State() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.state)
}

// ContributionSize returns the exact length in bytes of a contribution the
// current phase accepts (0 once sealed). A coordinator reading
// contributions from the network should read at most this many bytes, plus
// one to detect a longer body.
func (c *Ceremony) ContributionSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.phase {
	case 1:
		return ceremonyHeaderLen + c.shape.phase1Size(sha256.Size)
	case 2:
		return ceremonyHeaderLen + c.shape.phase2Size(sha256.Size)
	}
	return 0
}

// VerifyContribution checks contribution (the bytes a contributor returned
// from [Contribute]) against the latest state and, only if every check
// passes, makes it the latest state. The checks are listed in the
// [Ceremony] documentation. It returns an error wrapping
// [ErrMalformedContribution] for bytes that do not decode and one wrapping
// [ErrInvalidContribution] for a contribution that is rejected; in both
// cases the ceremony is unchanged and the next contributor should receive
// [Ceremony.State] again.
//
// ctx is checked before decoding and before verifying; verification itself
// is not interruptible. On cancellation the ceremony is unchanged and
// VerifyContribution returns ctx.Err().
func (c *Ceremony) VerifyContribution(ctx context.Context, contribution []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.phase == 0 {
		return errors.New("prover: ceremony is sealed")
	}
	phase, circuit, body, err := parseCeremonyHeader(contribution)
	if err != nil {
		return err
	}
	if phase != c.phase || circuit != c.shape.circuit {
		return fmt.Errorf("%w: state for phase %d of %s, the ceremony is in phase %d of %s",
			ErrInvalidContribution, phase, circuit, c.phase, c.shape.circuit)
	}
	n := c.count + 1
	switch c.phase {
	case 1:
		next, err := c.shape.decodePhase1(body, false)
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := verifyGuarded(func() error { return c.p1.Verify(next) }); err != nil {
			return fmt.Errorf("%w: phase 1 contribution %d: %v", ErrInvalidContribution, n, err)
		}
		c.p1 = next
	case 2:
		next, err := c.shape.decodePhase2(body, false)
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := verifyGuarded(func() error { return c.p2.Verify(next) }); err != nil {
			return fmt.Errorf("%w: phase 2 contribution %d: %v", ErrInvalidContribution, n, err)
		}
		c.p2 = next
	}
	c.count = n
	c.state = bytes.Clone(contribution)
	return nil
}

// ceremonyBinding is the challenge of a ceremony's initial phase-1 state:
// it ties the whole transcript to the circuit.
func ceremonyBinding(c statement.Statement) []byte {
	h := sha256.Sum256([]byte("zkvote/ceremony/v2 " + c.Name()))
	return h[:]
}

// verifyGuarded runs a gnark verification and turns a panic on adversarial
// input into an error: gnark documents no panic there, but a coordinator
// must survive any contribution.
func verifyGuarded(verify func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("verification failed: %v", r)
		}
	}()
	return verify()
}

// SealPhase1 closes phase 1 with beacon (at least 32 public, unpredictable
// bytes fixed after the last phase-1 contribution was accepted) and starts
// phase 2, whose initial state [Ceremony.State] then returns. Phase 1 needs
// at least one accepted contribution.
//
// ctx is checked first; on cancellation the ceremony is unchanged and
// SealPhase1 returns ctx.Err(). Sealing and building phase 2 are not
// interruptible.
func (c *Ceremony) SealPhase1(ctx context.Context, beacon []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkSeal(ctx, 1, beacon); err != nil {
		return err
	}
	commons := c.p1.Seal(bytes.Clone(beacon))
	p2 := new(mpcsetup.Phase2)
	evals := p2.Initialize(c.shape.ccs, &commons)
	state, err := encodeCeremonyState(2, c.shape.circuit, p2)
	if err == nil && (len(p2.Parameters.G1.PKK) != c.shape.nbPrivate || len(p2.Parameters.G1.Z) != int(c.shape.n)-1 || len(p2.Sigmas) != 0) {
		err = fmt.Errorf("prover: phase 2 has %d private and %d quotient points, want %d and %d",
			len(p2.Parameters.G1.PKK), len(p2.Parameters.G1.Z), c.shape.nbPrivate, c.shape.n-1)
	}
	if err != nil {
		// Seal consumed phase 1: the ceremony cannot go on.
		c.p1, c.phase, c.count, c.state = nil, 0, 0, nil
		return err
	}
	c.p1, c.commons, c.evals, c.p2 = nil, &commons, &evals, p2
	c.phase, c.count, c.state, c.beacon1 = 2, 0, state, bytes.Clone(beacon)
	return nil
}

// Seal closes phase 2 with beacon (at least 32 public, unpredictable bytes
// fixed after the last phase-2 contribution was accepted, and not the
// phase-1 beacon: that one returns an error wrapping [ErrInvalidBeacon])
// and returns the keys for the ceremony's circuit. Phase 2 needs at least
// one accepted contribution. After Seal the ceremony accepts nothing more.
//
// ctx is checked first; on cancellation or a refused beacon the ceremony is
// unchanged and Seal returns the error. Sealing itself is not
// interruptible.
func (c *Ceremony) Seal(ctx context.Context, beacon []byte) (*Keys, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkSeal(ctx, 2, beacon); err != nil {
		return nil, err
	}
	if bytes.Equal(beacon, c.beacon1) {
		return nil, fmt.Errorf("%w: the phase-2 beacon is the phase-1 beacon; each phase needs a fresh one", ErrInvalidBeacon)
	}
	pk, vk := c.p2.Seal(c.commons, c.evals, bytes.Clone(beacon))
	s := c.shape
	c.p2, c.commons, c.evals, c.state = nil, nil, nil, nil
	c.phase, c.count = 0, 0
	gpk, ok1 := pk.(*groth16bn254.ProvingKey)
	gvk, ok2 := vk.(*groth16bn254.VerifyingKey)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("prover: ceremony produced keys of types %T, %T", pk, vk)
	}
	return newGroth16Keys(s.circuit, s.ccs, gpk, gvk)
}

func (c *Ceremony) checkSeal(ctx context.Context, phase int, beacon []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.phase != phase {
		if c.phase == 0 {
			return errors.New("prover: ceremony is sealed")
		}
		return fmt.Errorf("prover: cannot seal phase %d, the ceremony is in phase %d", phase, c.phase)
	}
	if c.count == 0 {
		return fmt.Errorf("prover: phase %d has no contribution: the beacon alone is public", phase)
	}
	if len(beacon) < minBeaconLen {
		return fmt.Errorf("%w: %d bytes, want at least %d", ErrInvalidBeacon, len(beacon), minBeaconLen)
	}
	return nil
}

// Contribute is the contributor's side of a ceremony: it decodes state (the
// bytes of [Ceremony.State] the coordinator handed out), mixes in fresh
// randomness drawn from crypto/rand by gnark, and returns the new state with
// proofs of knowledge of that randomness, to be sent back to the
// coordinator. The random factors live only in this call's memory; run it
// on a machine you trust and end the process afterwards.
//
// circuit is the circuit the contributor agreed to contribute to. The
// state's header names the phase and the circuit; a state for any other
// circuit is refused before anything is compiled (compiling takes time and
// memory that grow with the circuit: for the largest tally circuits,
// minutes and gigabytes, so a coordinator must not be able to choose it).
// Contribute then compiles the circuit to know the exact expected sizes and
// checks the layout and every point before contributing. It does not check
// the state's history: the coordinator verifies each
// contribution against the one before it, and auditors replay the whole
// transcript. Malformed state returns an error wrapping
// [ErrMalformedContribution].
//
// ctx is checked before compiling, decoding and contributing; the
// contribution itself is not interruptible. On cancellation Contribute
// returns ctx.Err().
func Contribute(ctx context.Context, s statement.Statement, state []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	phase, named, body, err := parseCeremonyHeader(state)
	if err != nil {
		return nil, err
	}
	if named != s {
		return nil, fmt.Errorf("%w: the state is for %s, not %s", ErrMalformedContribution, named, s)
	}
	shape, err := newCeremonyShape(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch phase {
	case 1:
		p, err := shape.decodePhase1(body, true)
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p.Contribute()
		return encodeCeremonyState(1, s, p)
	default: // parseCeremonyHeader admits phases 1 and 2 only
		p, err := shape.decodePhase2(body, true)
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p.Contribute()
		return encodeCeremonyState(2, s, p)
	}
}

// ceremonyShape is what fixes the size of every ceremony state for one
// circuit: the compiled circuit, its domain and its number of private
// wires.
type ceremonyShape struct {
	circuit   statement.Statement
	ccs       *cs.R1CS
	n         uint64 // FFT domain size: constraints rounded up to a power of two
	nbPrivate int    // length of phase 2's δ-divided proving-key vector
}

func newCeremonyShape(ctx context.Context, circuit statement.Statement) (*ceremonyShape, error) {
	ccs, err := compile(ctx, circuit, verifier.Groth16)
	if err != nil {
		return nil, err
	}
	r, ok := ccs.(*cs.R1CS)
	if !ok {
		return nil, fmt.Errorf("prover: compiled circuit is a %T, not a BN254 R1CS", ccs)
	}
	if cm, _ := r.CommitmentInfo.(constraint.Groth16Commitments); len(cm) != 0 {
		return nil, errors.New("prover: ceremonies for circuits with commitments are not supported")
	}
	nbInternal, nbSecret, _ := r.GetNbVariables()
	n := ecc.NextPowerOfTwo(uint64(r.GetNbConstraints()))
	if n < 2 {
		n = 2
	}
	return &ceremonyShape{circuit: circuit, ccs: r, n: n, nbPrivate: nbInternal + nbSecret}, nil
}

// A ceremony state:
//
//	magic "ZKVOTECR" | version 2 | phase (1 or 2) | circuit kind
//	| size a (uint16) | size b (uint16) | body
//
// The circuit kind is 1 (membership: a = depth, b = 0), 2 (vote: a = depth,
// b = options) or 3 (tally: a = batch, b = options). The body is gnark's
// encoding of mpcsetup.Phase1 or mpcsetup.Phase2 with every curve point
// compressed. Version 1 (membership only, a one-byte depth) is no longer
// read.
const (
	ceremonyMagic     = "ZKVOTECR"
	ceremonyVersion   = 2
	ceremonyHeaderLen = len(ceremonyMagic) + 7
)

const (
	g1Size          = bn254.SizeOfG1AffineCompressed // 32
	g2Size          = bn254.SizeOfG2AffineCompressed // 64
	updateProofSize = g1Size + g2Size                // gnark-crypto's mpcsetup.UpdateProof
)

// phase1Size is the length of gnark's Phase1 encoding with a challenge of
// chal bytes: the update proofs for τ, α, β; N; [β]₂; [τⁱ]₁ for
// 1 ≤ i ≤ 2N−2; [τⁱ]₂ for 1 ≤ i ≤ N−1; [βτⁱ]₁ and [ατⁱ]₁ for 0 ≤ i ≤ N−1;
// the challenge with its length byte.
func (s *ceremonyShape) phase1Size(chal int) int {
	n := int(s.n)
	return 3*updateProofSize + 8 + g2Size + (2*n-2)*g1Size + (n-1)*g2Size + 2*n*g1Size + 1 + chal
}

// phase2Size is the length of gnark's Phase2 encoding without commitments:
// the commitment count; [δ]₁; the private-wire vector and the quotient
// vector Z, each with a 4-byte length; [δ]₂; the update proof for δ; the
// challenge with its length byte.
func (s *ceremonyShape) phase2Size(chal int) int {
	return 2 + g1Size + 4 + s.nbPrivate*g1Size + 4 + (int(s.n)-1)*g1Size + g2Size + updateProofSize + 1 + chal
}

// decodePhase1 decodes gnark's Phase1 encoding strictly.
//
// gnark's Phase1.ReadFrom trusts the domain size N it reads and allocates
// 5N points before reading them, so N comes from untrusted input only after
// it is checked here. The walk below checks the whole layout first: N equals
// the circuit's, every point slot holds a compressed point (an uncompressed
// one is longer and would move N and every later field), the challenge is
// 32 bytes (or empty for a phase's initial state, when allowed), and nothing
// trails. Then gnark decodes: its decoder checks that every point is on the
// curve and in the prime-order subgroup, with canonical coordinates. Last,
// re-encoding must reproduce the input exactly.
func (s *ceremonyShape) decodePhase1(body []byte, allowEmptyChallenge bool) (*mpcsetup.Phase1, error) {
	n := int(s.n)
	w := layout{b: body}
	for range 3 { // update proofs for τ, α, β
		w.points(1, g1Size)
		w.points(1, g2Size)
	}
	w.uint(8, s.n, "domain size")
	w.points(1, g2Size)     // [β]₂
	w.points(2*n-2, g1Size) // [τⁱ]₁
	w.points(n-1, g2Size)   // [τⁱ]₂
	w.points(2*n, g1Size)   // [βτⁱ]₁, [ατⁱ]₁
	w.challenge(allowEmptyChallenge)
	if err := w.end(); err != nil {
		return nil, fmt.Errorf("%w: phase 1: %v", ErrMalformedContribution, err)
	}
	p := new(mpcsetup.Phase1)
	if err := readExactly(p, body); err != nil {
		return nil, fmt.Errorf("%w: phase 1: %v", ErrMalformedContribution, err)
	}
	return p, nil
}

// decodePhase2 decodes gnark's Phase2 encoding strictly.
//
// gnark's Phase2.ReadFrom trusts a 16-bit commitment count and two 32-bit
// vector lengths and allocates from them before reading (a crafted length
// asks for up to 256 GiB). The walk below checks the whole layout first:
// no commitments, both vector lengths equal the circuit's, every point slot
// holds a compressed point, the challenge is 32 bytes (or empty for the
// phase's initial state, when allowed), and nothing trails. Then gnark
// decodes, checking curve and subgroup membership, and re-encoding must
// reproduce the input.
func (s *ceremonyShape) decodePhase2(body []byte, allowEmptyChallenge bool) (*mpcsetup.Phase2, error) {
	w := layout{b: body}
	w.uint(2, 0, "commitment count")
	w.points(1, g1Size) // [δ]₁
	w.uint(4, uint64(s.nbPrivate), "private-wire vector length")
	w.points(s.nbPrivate, g1Size)
	w.uint(4, s.n-1, "quotient vector length")
	w.points(int(s.n)-1, g1Size)
	w.points(1, g2Size) // [δ]₂
	w.points(1, g1Size) // update proof for δ
	w.points(1, g2Size)
	w.challenge(allowEmptyChallenge)
	if err := w.end(); err != nil {
		return nil, fmt.Errorf("%w: phase 2: %v", ErrMalformedContribution, err)
	}
	p := new(mpcsetup.Phase2)
	if err := readExactly(p, body); err != nil {
		return nil, fmt.Errorf("%w: phase 2: %v", ErrMalformedContribution, err)
	}
	return p, nil
}

type ceremonyCodec interface {
	io.ReaderFrom
	io.WriterTo
}

// readExactly decodes body into v, requires every byte to be consumed, and
// requires v to re-encode to body.
func readExactly(v ceremonyCodec, body []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoding: %v", r)
		}
	}()
	r := bytes.NewReader(body)
	n, err := v.ReadFrom(r)
	if err != nil {
		return err
	}
	if n != int64(len(body)) || r.Len() != 0 {
		return fmt.Errorf("decoded %d of %d bytes", n, len(body))
	}
	var again bytes.Buffer
	again.Grow(len(body))
	if _, err := v.WriteTo(&again); err != nil {
		return err
	}
	if !bytes.Equal(again.Bytes(), body) {
		return errors.New("non-canonical encoding")
	}
	return nil
}

func encodeCeremonyState(phase int, c statement.Statement, v io.WriterTo) ([]byte, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	first, second := ceremonySizes(c)
	var b bytes.Buffer
	b.WriteString(ceremonyMagic)
	b.Write([]byte{ceremonyVersion, byte(phase), byte(c.Kind())})
	b.Write(binary.BigEndian.AppendUint16(nil, uint16(first)))
	b.Write(binary.BigEndian.AppendUint16(nil, uint16(second)))
	if _, err := v.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("prover: encoding ceremony state: %v", err)
	}
	return b.Bytes(), nil
}

// parseCeremonyHeader checks the header of a ceremony state and returns the
// phase, the circuit and the gnark body.
func parseCeremonyHeader(b []byte) (phase int, c statement.Statement, body []byte, err error) {
	if len(b) < ceremonyHeaderLen || string(b[:len(ceremonyMagic)]) != ceremonyMagic {
		return 0, c, nil, fmt.Errorf("%w: not a zkvote ceremony state", ErrMalformedContribution)
	}
	h := b[len(ceremonyMagic):ceremonyHeaderLen]
	if h[0] != ceremonyVersion {
		return 0, c, nil, fmt.Errorf("%w: unknown version %d", ErrMalformedContribution, h[0])
	}
	if h[1] != 1 && h[1] != 2 {
		return 0, c, nil, fmt.Errorf("%w: unknown phase %d", ErrMalformedContribution, h[1])
	}
	first, second := int(binary.BigEndian.Uint16(h[3:])), int(binary.BigEndian.Uint16(h[5:]))
	switch statement.Kind(h[2]) {
	case statement.KindMembership:
		c = statement.Membership(first)
	case statement.KindVote:
		c = statement.Vote(first, second)
	case statement.KindTally:
		c = statement.Tally(first, second)
	case statement.KindSecretVote:
		c = statement.SecretVote(first, second&0xff, second>>8)
	}
	if err := c.Check(); err != nil {
		return 0, statement.Statement{}, nil, fmt.Errorf("%w: %v", ErrMalformedContribution, err)
	}
	if f, s := ceremonySizes(c); f != first || s != second {
		return 0, statement.Statement{}, nil, fmt.Errorf("%w: %s with a second size %d", ErrMalformedContribution, c, second)
	}
	return int(h[1]), c, b[ceremonyHeaderLen:], nil
}

// ceremonySizes returns the two sizes a state header records for c: the
// depth or batch, and the options (0 for membership), with a secret vote's
// packing in the second's high byte. Every statement that passes Check fits
// the header's two uint16 fields (options are below 256).
func ceremonySizes(c statement.Statement) (first, second int) {
	return c.Depth() + c.Batch(), c.Options() | c.Pack()<<8
}

// layout walks an encoding in the order gnark writes it, checking what
// gnark's decoder would trust. The first failure sticks.
type layout struct {
	b   []byte
	off int
	err error
}

func (w *layout) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

func (w *layout) take(n int) []byte {
	if w.err != nil {
		return nil
	}
	if n < 0 || len(w.b)-w.off < n {
		w.fail("truncated at byte %d of %d", w.off, len(w.b))
		return nil
	}
	s := w.b[w.off : w.off+n]
	w.off += n
	return s
}

// points checks count slots of size bytes, each holding a compressed point:
// the two top bits of its first byte are not gnark-crypto's "uncompressed"
// flag 00.
func (w *layout) points(count, size int) {
	for range count {
		p := w.take(size)
		if p == nil {
			return
		}
		if p[0]>>6 == 0 {
			w.fail("point at byte %d is not compressed", w.off-size)
			return
		}
	}
}

// uint checks a big-endian unsigned integer of width bytes.
func (w *layout) uint(width int, want uint64, what string) {
	p := w.take(width)
	if p == nil {
		return
	}
	var v uint64
	for _, c := range p {
		v = v<<8 | uint64(c)
	}
	if v != want {
		w.fail("%s is %d, want %d", what, v, want)
	}
}

// challenge checks gnark's short byte string holding the hash of the
// previous state: a length byte of 32 (or 0 when allowed) and the bytes.
func (w *layout) challenge(allowEmpty bool) {
	p := w.take(1)
	if p == nil {
		return
	}
	if n := int(p[0]); n != sha256.Size && (n != 0 || !allowEmpty) {
		w.fail("challenge of %d bytes", n)
		return
	}
	w.take(int(p[0]))
}

func (w *layout) end() error {
	if w.err == nil && w.off != len(w.b) {
		w.fail("%d trailing bytes", len(w.b)-w.off)
	}
	return w.err
}
