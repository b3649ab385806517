package prover

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	"github.com/consensys/gnark/test/unsafekzg"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// ceremonyTestDepth keeps the ceremony small: 1,100 constraints, a domain
// of 2,048. Most of the cost is gnark's phase-2 initialisation (seconds),
// so one ceremony is run once and shared; the tests replay its transcript.
const ceremonyTestDepth = 2

// ceremonyRun is the public record of a finished ceremony, plus what the
// tests need to restart it in phase 2 without sealing phase 1 again.
type ceremonyRun struct {
	shape            *ceremonyShape
	initial1         []byte   // initial phase-1 state
	phase1           [][]byte // accepted phase-1 contributions, in order
	initial2         []byte   // initial phase-2 state
	phase2           [][]byte // accepted phase-2 contributions, in order
	beacon1, beacon2 []byte
	commons          *mpcsetup.SrsCommons
	evals            *mpcsetup.Phase2Evaluations
	keys             *Keys
}

var (
	ceremonyOnce sync.Once
	ceremonyRec  *ceremonyRun
	ceremonyErr  error
)

func testCeremony(t testing.TB) *ceremonyRun {
	t.Helper()
	ceremonyOnce.Do(func() {
		ceremonyRec, ceremonyErr = runCeremony(context.Background(), statement.Membership(ceremonyTestDepth), 3)
	})
	require.NoError(t, ceremonyErr)
	return ceremonyRec
}

func ceremonyBeacon(s string) []byte {
	h := sha256.Sum256([]byte("zkvote test beacon " + s))
	return h[:]
}

// runCeremony runs a ceremony with the given number of contributors in each
// phase, each receiving the previous state as bytes and returning bytes.
func runCeremony(ctx context.Context, circuit statement.Statement, contributors int) (*ceremonyRun, error) {
	c, err := NewCeremony(ctx, circuit)
	if err != nil {
		return nil, err
	}
	r := &ceremonyRun{shape: c.shape, initial1: c.State(), beacon1: ceremonyBeacon("phase 1"), beacon2: ceremonyBeacon("phase 2")}
	for phase := 1; phase <= 2; phase++ {
		for i := range contributors {
			out, err := Contribute(ctx, circuit, c.State())
			if err != nil {
				return nil, err
			}
			if len(out) != c.ContributionSize() {
				return nil, fmt.Errorf("phase %d contribution %d: %d bytes, ContributionSize %d", phase, i, len(out), c.ContributionSize())
			}
			if err := c.VerifyContribution(ctx, out); err != nil {
				return nil, err
			}
			if !bytes.Equal(c.State(), out) || c.Contributions() != i+1 || c.Phase() != phase {
				return nil, fmt.Errorf("phase %d contribution %d: state not updated", phase, i)
			}
			if phase == 1 {
				r.phase1 = append(r.phase1, out)
			} else {
				r.phase2 = append(r.phase2, out)
			}
		}
		if phase == 1 {
			if err := c.SealPhase1(ctx, r.beacon1); err != nil {
				return nil, err
			}
			r.initial2, r.commons, r.evals = c.State(), c.commons, c.evals
		}
	}
	if r.keys, err = c.Seal(ctx, r.beacon2); err != nil {
		return nil, err
	}
	return r, nil
}

// atPhase2 returns a fresh ceremony at the start of r's phase 2, sharing r's
// sealed phase 1 (read-only), so tests avoid gnark's slow phase-2 setup.
func (r *ceremonyRun) atPhase2(t testing.TB) *Ceremony {
	t.Helper()
	_, _, body, err := parseCeremonyHeader(r.initial2)
	require.NoError(t, err)
	p2, err := r.shape.decodePhase2(body, true)
	require.NoError(t, err)
	return &Ceremony{shape: r.shape, phase: 2, commons: r.commons, evals: r.evals, p2: p2, state: bytes.Clone(r.initial2),
		beacon1: bytes.Clone(r.beacon1)}
}

// atPhase1 returns a fresh ceremony that has accepted r's first n phase-1
// contributions.
func (r *ceremonyRun) atPhase1(t testing.TB, n int) *Ceremony {
	t.Helper()
	ctx := context.Background()
	c, err := NewCeremony(ctx, r.shape.circuit)
	require.NoError(t, err)
	for _, b := range r.phase1[:n] {
		require.NoError(t, c.VerifyContribution(ctx, b))
	}
	return c
}

// requireRoundTrip decodes a state strictly and re-encodes it.
func requireRoundTrip(t testing.TB, s *ceremonyShape, state []byte, allowEmpty bool) {
	t.Helper()
	phase, circuit, body, err := parseCeremonyHeader(state)
	require.NoError(t, err)
	require.Equal(t, s.circuit, circuit)
	var v ceremonyCodec
	if phase == 1 {
		v, err = s.decodePhase1(body, allowEmpty)
	} else {
		v, err = s.decodePhase2(body, allowEmpty)
	}
	require.NoError(t, err)
	again, err := encodeCeremonyState(phase, circuit, v)
	require.NoError(t, err)
	require.Equal(t, state, again)
}

// withChallenge re-encodes a contribution with another challenge.
func withChallenge(t testing.TB, s *ceremonyShape, state, challenge []byte) []byte {
	t.Helper()
	phase, circuit, body, err := parseCeremonyHeader(state)
	require.NoError(t, err)
	var v ceremonyCodec
	if phase == 1 {
		p, err := s.decodePhase1(body, true)
		require.NoError(t, err)
		p.Challenge = challenge
		v = p
	} else {
		p, err := s.decodePhase2(body, true)
		require.NoError(t, err)
		p.Challenge = challenge
		v = p
	}
	out, err := encodeCeremonyState(phase, circuit, v)
	require.NoError(t, err)
	return out
}

// stateHash is the challenge a contribution built on state must carry.
func stateHash(state []byte) []byte {
	h := sha256.Sum256(state[ceremonyHeaderLen:])
	return h[:]
}

func requireRejected(t testing.TB, err error, what string) {
	t.Helper()
	require.Error(t, err, what)
	require.Truef(t, errors.Is(err, ErrMalformedContribution) || errors.Is(err, ErrInvalidContribution),
		"%s: unexpected error %v", what, err)
}

// TestCeremony runs a ceremony with three contributors per phase, passing
// bytes between them; every state round-trips exactly through its
// encoding, and the sealed keys prove and verify membership.
func TestCeremony(t *testing.T) {
	t.Parallel()
	r := testCeremony(t)
	requireRoundTrip(t, r.shape, r.initial1, true)
	requireRoundTrip(t, r.shape, r.initial2, true)
	for _, b := range append(append([][]byte{}, r.phase1...), r.phase2...) {
		requireRoundTrip(t, r.shape, b, false)
	}
	require.Len(t, r.phase1[0], ceremonyHeaderLen+r.shape.phase1Size(sha256.Size))
	require.Len(t, r.phase2[0], ceremonyHeaderLen+r.shape.phase2Size(sha256.Size))

	k := r.keys
	require.Equal(t, statement.Membership(ceremonyTestDepth), r.keys.Statement())
	require.Equal(t, ceremonyTestDepth, k.Statement().Depth())
	require.Equal(t, statement.Membership(ceremonyTestDepth).Name(), k.VerifyingKey().Circuit())
	tr := testTree(t, 1<<ceremonyTestDepth)
	for _, who := range []uint64{0, 3} {
		p, err := tr.Proof(who)
		require.NoError(t, err)
		pr, err := proveMember(context.Background(), k, membershiptest.Identity(who), p, fe(7), fe(99))
		require.NoError(t, err)
		require.NoError(t, verifier.Verify(k.VerifyingKey(), pr))
		// Parsed back from bytes it still verifies; a changed message does not.
		back, err := verifier.ParseProof(pr.Bytes())
		require.NoError(t, err)
		require.NoError(t, verifier.Verify(k.VerifyingKey(), back))
		back.Public[3] = fe(100)
		require.ErrorIs(t, verifier.Verify(k.VerifyingKey(), back), verifier.ErrInvalidProof)
	}
}

// TestCeremonyAudit replays the published transcript (contributions and
// beacons) as an auditor would and obtains the same verifying key; another
// phase-2 beacon gives another key.
func TestCeremonyAudit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("replays phase 1 and its seal (seconds)")
	}
	r := testCeremony(t)
	ctx := context.Background()
	a := r.atPhase1(t, len(r.phase1))
	require.NoError(t, a.SealPhase1(ctx, r.beacon1))
	require.Equal(t, r.initial2, a.State())
	for _, b := range r.phase2 {
		require.NoError(t, a.VerifyContribution(ctx, b))
	}
	k, err := a.Seal(ctx, r.beacon2)
	require.NoError(t, err)
	require.Equal(t, r.keys.VerifyingKey().Bytes(), k.VerifyingKey().Bytes())

	o := r.atPhase2(t)
	for _, b := range r.phase2 {
		require.NoError(t, o.VerifyContribution(ctx, b))
	}
	k2, err := o.Seal(ctx, ceremonyBeacon("another phase 2"))
	require.NoError(t, err)
	require.NotEqual(t, r.keys.VerifyingKey().ID(), k2.VerifyingKey().ID())
}

// TestCeremonyRejectsPhase1: skipped, replayed, stale, forged-challenge,
// no-op and tampered contributions are rejected and leave the ceremony
// unchanged; honest ones are still accepted afterwards.
func TestCeremonyRejectsPhase1(t *testing.T) {
	t.Parallel()
	r := testCeremony(t)
	ctx := context.Background()
	c := r.atPhase1(t, 0)
	s0 := c.State()
	a, b := r.phase1[0], r.phase1[1]
	stale := mustContribute(t, s0) // a second contributor also built on s0

	unchanged := func(state []byte, n int) {
		t.Helper()
		require.Equal(t, state, c.State())
		require.Equal(t, n, c.Contributions())
		require.Equal(t, 1, c.Phase())
	}

	require.ErrorIs(t, c.VerifyContribution(ctx, b), ErrInvalidContribution, "skipped")
	require.ErrorIs(t, c.VerifyContribution(ctx, s0), ErrInvalidContribution, "initial state sent back")
	require.ErrorIs(t, c.VerifyContribution(ctx, withChallenge(t, r.shape, s0, nil)), ErrMalformedContribution, "no challenge")
	unchanged(s0, 0)
	require.NoError(t, c.VerifyContribution(ctx, a))

	require.ErrorIs(t, c.VerifyContribution(ctx, a), ErrInvalidContribution, "replayed")
	require.ErrorIs(t, c.VerifyContribution(ctx, stale), ErrInvalidContribution, "stale")
	require.ErrorIs(t, c.VerifyContribution(ctx, withChallenge(t, r.shape, stale, stateHash(a))), ErrInvalidContribution,
		"stale contribution claiming to build on the latest state")
	require.ErrorIs(t, c.VerifyContribution(ctx, withChallenge(t, r.shape, a, stateHash(a))), ErrInvalidContribution,
		"latest state sent back without contributing")
	require.ErrorIs(t, c.VerifyContribution(ctx, withChallenge(t, r.shape, b, nil)), ErrMalformedContribution,
		"challenge stripped")
	require.ErrorIs(t, c.VerifyContribution(ctx, r.phase2[0]), ErrInvalidContribution, "phase-2 contribution")
	unchanged(a, 1)

	// Single-bit changes across the header and each part of the body.
	n := int(r.shape.n)
	h := ceremonyHeaderLen
	offsets := []int{
		0, 8, 9, 10, 12, 14, // magic, version, phase, circuit kind, depth, second size
		h, h + 31, h + 32 + 63, h + 96 + 5, h + 192 + 40, // update proofs for τ, α, β
		h + 288 + 7,                          // domain size
		h + 296 + 10,                         // [β]₂
		h + 360 + 32*n + 31,                  // a power of τ in G1
		h + 360 + 64*(n-1) + 64*n/2,          // a power of τ in G2
		len(b) - 33 - 32*n/2 - 1,             // a power of τ times α
		len(b) - 34, len(b) - 33, len(b) - 1, // end of [ατ^(N−1)]₁; challenge
	}
	for _, off := range offsets {
		x := bytes.Clone(b)
		x[off] ^= 0x01
		requireRejected(t, c.VerifyContribution(ctx, x), fmt.Sprintf("bit flipped at byte %d", off))
	}
	unchanged(a, 1)
	require.NoError(t, c.VerifyContribution(ctx, b))
	require.NoError(t, c.VerifyContribution(ctx, r.phase1[2]))

	_, err := c.Seal(ctx, ceremonyBeacon("x"))
	require.Error(t, err, "phase 2 seal in phase 1")
	require.Error(t, c.SealPhase1(ctx, ceremonyBeacon("x")[:31]), "short beacon")
	require.Equal(t, 1, c.Phase())

	empty, err := NewCeremony(ctx, statement.Membership(ceremonyTestDepth))
	require.NoError(t, err)
	require.Error(t, empty.SealPhase1(ctx, ceremonyBeacon("x")), "no contribution")
	for _, bad := range []statement.Statement{statement.Membership(0), {}, statement.Vote(2, 0), statement.Tally(0, 2), statement.Tally(1<<16, 2)} {
		_, err = NewCeremony(ctx, bad)
		require.Error(t, err, bad)
	}
}

// TestCeremonyRejectsPhase2 does the same in phase 2, then seals and checks
// that a sealed ceremony accepts nothing.
func TestCeremonyRejectsPhase2(t *testing.T) {
	t.Parallel()
	r := testCeremony(t)
	ctx := context.Background()
	c := r.atPhase2(t)
	s0 := c.State()
	require.Equal(t, 2, c.Phase())
	a, b := r.phase2[0], r.phase2[1]
	stale := mustContribute(t, s0)

	_, err := c.Seal(ctx, r.beacon2)
	require.Error(t, err, "no contribution")
	require.ErrorIs(t, c.VerifyContribution(ctx, b), ErrInvalidContribution, "skipped")
	require.ErrorIs(t, c.VerifyContribution(ctx, s0), ErrMalformedContribution, "no challenge")
	require.NoError(t, c.VerifyContribution(ctx, a))
	require.ErrorIs(t, c.VerifyContribution(ctx, a), ErrInvalidContribution, "replayed")
	require.ErrorIs(t, c.VerifyContribution(ctx, stale), ErrInvalidContribution, "stale")
	require.ErrorIs(t, c.VerifyContribution(ctx, withChallenge(t, r.shape, stale, stateHash(a))), ErrInvalidContribution,
		"stale contribution claiming to build on the latest state")
	require.ErrorIs(t, c.VerifyContribution(ctx, withChallenge(t, r.shape, a, stateHash(a))), ErrInvalidContribution,
		"latest state sent back without contributing")
	require.ErrorIs(t, c.VerifyContribution(ctx, r.phase1[1]), ErrInvalidContribution, "phase-1 contribution")

	h := ceremonyHeaderLen
	nbPriv := r.shape.nbPrivate
	offsets := []int{
		9, 10, 12, // phase, circuit kind, depth
		h + 1,                      // commitment count
		h + 2 + 20,                 // [δ]₁
		h + 34 + 3,                 // private-wire vector length
		h + 38 + 32*(nbPriv/2) + 7, // a private-wire point
		h + 38 + 32*nbPriv + 3,     // quotient vector length
		h + 42 + 32*nbPriv + 64,    // a quotient point
		len(b) - 194 + 10,          // [δ]₂
		len(b) - 130 + 31,          // δ proof, G1
		len(b) - 98 + 1,            // δ proof, G2
		len(b) - 1,                 // challenge
	}
	for _, off := range offsets {
		x := bytes.Clone(b)
		x[off] ^= 0x01
		requireRejected(t, c.VerifyContribution(ctx, x), fmt.Sprintf("bit flipped at byte %d", off))
	}
	require.Equal(t, a, c.State())
	require.NoError(t, c.VerifyContribution(ctx, b))

	require.Error(t, c.SealPhase1(ctx, r.beacon1), "phase 1 seal in phase 2")
	sealed, err := c.Seal(ctx, ceremonyBeacon("phase 2 after two"))
	require.NoError(t, err)
	k := sealed
	require.Equal(t, statement.Membership(ceremonyTestDepth), k.Statement())
	tr := testTree(t, 3)
	p, err := tr.Proof(2)
	require.NoError(t, err)
	pr, err := proveMember(ctx, k, membershiptest.Identity(2), p, fe(1), fe(2))
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(k.VerifyingKey(), pr))
	require.ErrorIs(t, verifier.Verify(r.keys.VerifyingKey(), pr), verifier.ErrKeyMismatch)

	require.Equal(t, 0, c.Phase())
	require.Nil(t, c.State())
	require.Zero(t, c.ContributionSize())
	require.Error(t, c.VerifyContribution(ctx, r.phase2[2]))
	_, err = c.Seal(ctx, r.beacon2)
	require.Error(t, err)
	require.Error(t, c.SealPhase1(ctx, r.beacon1))
}

// nonSubgroupG2 returns the compressed encoding of a point on BN254's G2
// curve outside the prime-order subgroup.
func nonSubgroupG2(t testing.TB) []byte {
	t.Helper()
	for i := range 1000 {
		var buf [bn254.SizeOfG2AffineCompressed]byte
		binary.BigEndian.PutUint32(buf[28:], uint32(i+1))
		binary.BigEndian.PutUint32(buf[60:], 1)
		buf[0] |= 0b10 << 6
		var p bn254.G2Affine
		dec := bn254.NewDecoder(bytes.NewReader(buf[:]), bn254.NoSubgroupChecks())
		if dec.Decode(&p) == nil && !p.IsInSubGroup() {
			return buf[:]
		}
	}
	t.Fatal("no point found")
	return nil
}

// TestCeremonyMalformed feeds truncated, extended, garbage and crafted
// states to the coordinator and the contributor: each is an error wrapping
// ErrMalformedContribution (or ErrInvalidContribution for a header naming
// another phase or depth), never a panic or a huge allocation.
func TestCeremonyMalformed(t *testing.T) {
	t.Parallel()
	r := testCeremony(t)
	ctx := context.Background()
	c1 := r.atPhase1(t, 1)
	c2 := r.atPhase2(t)
	p1, p2 := r.phase1[1], r.phase2[0] // valid next contributions for c1, c2
	h := ceremonyHeaderLen
	n := int(r.shape.n)
	nbPriv := r.shape.nbPrivate

	set := func(b []byte, off int, v ...byte) []byte {
		x := bytes.Clone(b)
		copy(x[off:], v)
		return x
	}
	ones := func(k int) []byte { return bytes.Repeat([]byte{0xff}, k) }
	garbage := make([]byte, len(p1)-h)
	_, err := rand.Read(garbage)
	require.NoError(t, err)

	// The first point written uncompressed (valid, 32 bytes longer) makes
	// gnark read N 32 bytes later, where this state puts 2^32, and the
	// total length is kept: caught by the per-point layout check.
	var pt bn254.G1Affine
	_, err = pt.SetBytes(p1[h : h+32])
	require.NoError(t, err)
	raw := pt.RawBytes()
	movedN := append(append(bytes.Clone(p1[:h]), raw[:]...), p1[h+32:len(p1)-32]...)
	binary.BigEndian.PutUint64(movedN[h+320:], 1<<32)
	require.Len(t, movedN, len(p1))

	cases := map[string][]byte{
		"nil":                         nil,
		"empty":                       {},
		"magic only":                  []byte(ceremonyMagic),
		"header only":                 p1[:h],
		"wrong magic":                 set(p1, 0, 'X'),
		"version 1":                   set(p1, 8, 1),
		"version 3":                   set(p1, 8, 3),
		"phase 0":                     set(p1, 9, 0),
		"phase 3":                     set(p1, 9, 3),
		"circuit kind 0":              set(p1, 10, 0),
		"circuit kind 4":              set(p1, 10, 4),
		"depth 0":                     set(p1, 11, 0, 0),
		"depth 65":                    set(p1, 11, 0, 65),
		"depth 2^16-1":                set(p1, 11, 0xff, 0xff),
		"membership with options":     set(p1, 13, 0, 1),
		"vote with 0 options":         set(p1, 10, 2, 0, 2, 0, 0),
		"tally of batch 2^16-1":       set(p1, 10, 3, 0xff, 0xff, 0, 2),
		"trailing byte":               append(bytes.Clone(p1), 0),
		"garbage body":                append(bytes.Clone(p1[:h]), garbage...),
		"zero body":                   append(bytes.Clone(p1[:h]), make([]byte, len(p1)-h)...),
		"huge N":                      set(p1, h+288, 0, 0, 0, 1, 0, 0, 0, 0), // 2^32: 2^33 points
		"N off by one":                set(p1, h+288+7, byte(n+1)),
		"long challenge":              set(p1, len(p1)-33, 255),
		"uncompressed point moving N": movedN,
		"x ≥ p":                       set(p1, h+360, append([]byte{0xbf}, ones(31)...)...),
		"bad infinity":                set(p1, h+360, 0x40, 1),
		"G2 outside subgroup":         set(p1, h+296, nonSubgroupG2(t)...),
		"phase 2 commitments":         set(p2, h, 0xff, 0xff),
		"phase 2 huge vector":         set(p2, h+34, ones(4)...),
		"phase 2 huge quotient":       set(p2, h+38+32*nbPriv, ones(4)...),
		"phase 2 short vector":        set(p2, h+34, 0, 0, 0, 1),
		"phase 2 uncompressed point":  set(p2, h+38, p2[h+38]&0x3f),
		"phase 2 trailing":            append(bytes.Clone(p2), 1, 2, 3),
	}
	for name, x := range cases {
		c := c1
		if len(x) > 9 && x[9] == 2 {
			c = c2
		}
		err := c.VerifyContribution(ctx, x)
		requireRejected(t, err, name)
		_, err = Contribute(ctx, c.Statement(), x)
		require.ErrorIs(t, err, ErrMalformedContribution, name)
	}
	// Every truncation of the first few hundred bytes and a sample beyond.
	for _, st := range []struct {
		c *Ceremony
		b []byte
	}{{c1, p1}, {c2, p2}} {
		for k := 0; k < len(st.b); k += max(1, min(k/40, 4093)) {
			require.ErrorIs(t, st.c.VerifyContribution(ctx, st.b[:k]), ErrMalformedContribution, "truncated to %d", k)
		}
		require.ErrorIs(t, st.c.VerifyContribution(ctx, st.b[:len(st.b)-1]), ErrMalformedContribution)
		_, err := Contribute(ctx, st.c.Statement(), st.b[:len(st.b)-1])
		require.ErrorIs(t, err, ErrMalformedContribution)
	}
	require.Equal(t, r.phase1[0], c1.State())
	require.NoError(t, c1.VerifyContribution(ctx, p1))
	require.NoError(t, c2.VerifyContribution(ctx, p2))
}

// TestCeremonyContext: a cancelled context stops every step before it
// starts, returns ctx.Err() and leaves the ceremony unchanged.
func TestCeremonyContext(t *testing.T) {
	t.Parallel()
	r := testCeremony(t)
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	_, err := NewCeremony(cancelled, statement.Membership(ceremonyTestDepth))
	require.ErrorIs(t, err, context.Canceled)
	_, err = Contribute(cancelled, statement.Membership(ceremonyTestDepth), r.initial1)
	require.ErrorIs(t, err, context.Canceled)

	c := r.atPhase1(t, 0)
	require.Equal(t, cancelled.Err(), c.VerifyContribution(cancelled, r.phase1[0]))
	require.Equal(t, r.initial1, c.State())
	require.NoError(t, c.VerifyContribution(ctx, r.phase1[0]))
	require.ErrorIs(t, c.SealPhase1(cancelled, r.beacon1), context.Canceled)
	require.Equal(t, 1, c.Phase())

	c2 := r.atPhase2(t)
	require.NoError(t, c2.VerifyContribution(ctx, r.phase2[0]))
	_, err = c2.Seal(cancelled, r.beacon2)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 2, c2.Phase())
	require.Equal(t, r.phase2[0], c2.State())
	expired, cancel2 := context.WithTimeout(ctx, 0)
	defer cancel2()
	require.ErrorIs(t, c2.VerifyContribution(expired, r.phase2[1]), context.DeadlineExceeded)
	require.NoError(t, c2.VerifyContribution(ctx, r.phase2[1]))
}

// mustContribute contributes to state for the circuit its header names
// (the tests' coordinator is trusted; a real contributor names the circuit
// they agreed to).
func mustContribute(t testing.TB, state []byte) []byte {
	t.Helper()
	_, c, _, err := parseCeremonyHeader(state)
	require.NoError(t, err)
	out, err := Contribute(context.Background(), c, state)
	require.NoError(t, err)
	return out
}

var fuzzShape = sync.OnceValues(func() (*ceremonyShape, error) {
	return newCeremonyShape(context.Background(), statement.Membership(ceremonyTestDepth))
})

// FuzzCeremonyState: decoding any bytes as a ceremony state never panics
// and never allocates beyond the circuit's sizes; what decodes re-encodes
// to the same bytes.
func FuzzCeremonyState(f *testing.F) {
	s, err := fuzzShape()
	require.NoError(f, err)
	p1 := mpcsetup.NewPhase1(s.n)
	seed1, err := encodeCeremonyState(1, s.circuit, p1)
	require.NoError(f, err)
	// A decodable phase-2 state of the right shape (not one a ceremony
	// would produce): every point the generator.
	_, _, g1, g2 := bn254.Generators()
	p2 := new(mpcsetup.Phase2)
	p2.Parameters.G1.Delta, p2.Parameters.G2.Delta = g1, g2
	p2.Parameters.G1.PKK = make([]bn254.G1Affine, s.nbPrivate)
	p2.Parameters.G1.Z = make([]bn254.G1Affine, s.n-1)
	for i := range p2.Parameters.G1.PKK {
		p2.Parameters.G1.PKK[i] = g1
	}
	seed2, err := encodeCeremonyState(2, s.circuit, p2)
	require.NoError(f, err)
	for _, seed := range [][]byte{seed1, seed2, seed1[:300], seed2[:100]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		phase, circuit, body, err := parseCeremonyHeader(b)
		if err != nil || circuit != s.circuit {
			return
		}
		var v ceremonyCodec
		if phase == 1 {
			v, err = s.decodePhase1(body, true)
		} else {
			v, err = s.decodePhase2(body, true)
		}
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedContribution)
			return
		}
		again, err := encodeCeremonyState(phase, circuit, v)
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

// ceremonyVoteTally runs the ceremonies an election needs, with two
// contributors each: the vote circuit and the tally circuit, at small sizes.
var ceremonyVoteTally = sync.OnceValues(func() ([2]*ceremonyRun, error) {
	ctx := context.Background()
	vote, err := runCeremony(ctx, statement.Vote(2, 2), 2)
	if err != nil {
		return [2]*ceremonyRun{}, err
	}
	tally, err := runCeremony(ctx, statement.Tally(2, 2), 2)
	return [2]*ceremonyRun{vote, tally}, err
})

// TestCeremonyVoteTally: two-contributor ceremonies for the vote and the
// tally circuit give keys that prove and verify a ballot and a tally batch,
// for their statement only: each refuses the witness of another statement.
func TestCeremonyVoteTally(t *testing.T) {
	runs, err := ceremonyVoteTally()
	require.NoError(t, err)
	ctx := context.Background()
	vote, tally := runs[0], runs[1]
	require.Equal(t, statement.Vote(2, 2), vote.keys.Statement())
	require.Equal(t, statement.Tally(2, 2), tally.keys.Statement())
	require.Equal(t, statement.Vote(2, 2).Name(), vote.keys.VerifyingKey().Circuit())
	require.Equal(t, statement.Tally(2, 2).Name(), tally.keys.VerifyingKey().Circuit())

	tr := testTree(t, 3)
	p, err := tr.Proof(1)
	require.NoError(t, err)
	s := &ballot{scope: fe(5), digest: fe(6), numOptions: 2, maxPer: 1, minTotal: 1, maxTotal: 1, exp: 1, votes: []uint64{0, 1}}
	vw, err := voteWitness(membershiptest.Identity(1), p, s)
	require.NoError(t, err)
	mw, err := NewMembershipWitness(membershiptest.Identity(1), p, fe(5), fe(7))
	require.NoError(t, err)
	scope := fe(9)
	tw := &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: []uint64{0, 0},
		Ballots: []circuits.TallySlot{{Nullifier: fe(1), Votes: []uint64{1, 0}}, {Nullifier: fe(2), Votes: []uint64{1, 0}}}}

	vk := vote.keys
	_, err = vk.Prove(ctx, tw)
	require.Error(t, err, "vote keys prove a tally")
	_, err = vk.Prove(ctx, mw)
	require.Error(t, err, "vote keys prove membership")
	pr, err := vk.Prove(ctx, vw)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(vk.VerifyingKey(), pr))
	q, err := verifier.ParseProof(pr.Bytes())
	require.NoError(t, err)
	q.Public[len(q.Public)-1], q.Public[len(q.Public)-2] = q.Public[len(q.Public)-2], q.Public[len(q.Public)-1]
	require.ErrorIs(t, verifier.Verify(vk.VerifyingKey(), q), verifier.ErrInvalidProof, "votes swapped")

	tk := tally.keys
	_, err = tk.Prove(ctx, vw)
	require.Error(t, err, "tally keys prove a ballot")
	_, err = tk.Prove(ctx, mw)
	require.Error(t, err, "tally keys prove membership")
	require.Equal(t, 2, tk.Statement().Batch())
	tp, err := tk.Prove(ctx, tw)
	require.NoError(t, err)
	res, err := tw.Result(2, 2)
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 0}, res.TotalsAfter)
	require.Equal(t, res.Public.Vector(), tp.Public)
	require.NoError(t, verifier.Verify(tk.VerifyingKey(), tp))
	require.ErrorIs(t, verifier.Verify(vk.VerifyingKey(), tp), verifier.ErrKeyMismatch)

	// The sealed keys are stored and loaded like any others.
	dir := t.TempDir()
	require.NoError(t, tk.WriteFiles(dir))
	back, err := Load(ctx, dir, statement.Tally(2, 2), verifier.Groth16, Checked)
	require.NoError(t, err)
	require.Equal(t, tk.VerifyingKey().ID(), back.VerifyingKey().ID())
}

// TestCeremonyRefusesOtherCircuit: a state of a ceremony for one circuit
// (or size) is refused by a ceremony for another, in both phases, and the
// refused ceremony is unchanged.
func TestCeremonyRefusesOtherCircuit(t *testing.T) {
	runs, err := ceremonyVoteTally()
	require.NoError(t, err)
	vote, tally := runs[0], runs[1]
	member := testCeremony(t)
	ctx := context.Background()

	for _, x := range []struct {
		name  string
		run   *ceremonyRun
		other [][]byte
	}{
		{"vote state to a membership ceremony", member, vote.phase1},
		{"tally state to a vote ceremony", vote, tally.phase1},
		{"membership state to a tally ceremony", tally, member.phase1},
	} {
		c := x.run.atPhase1(t, 0)
		require.ErrorIs(t, c.VerifyContribution(ctx, x.other[0]), ErrInvalidContribution, x.name)
		require.Equal(t, x.run.initial1, c.State(), x.name)
		require.NoError(t, c.VerifyContribution(ctx, x.run.phase1[0]), x.name)
	}
	c := tally.atPhase2(t)
	require.ErrorIs(t, c.VerifyContribution(ctx, vote.phase2[0]), ErrInvalidContribution, "phase 2")
	require.NoError(t, c.VerifyContribution(ctx, tally.phase2[0]))

	// The same kind at another size is another circuit too.
	other, err := NewCeremony(ctx, statement.Vote(2, 3))
	require.NoError(t, err)
	require.ErrorIs(t, other.VerifyContribution(ctx, vote.phase1[0]), ErrInvalidContribution)
	// Phase 1 depends only on the domain size, equal here: a contribution
	// relabelled to the other circuit still fails, on its challenge.
	require.Equal(t, vote.shape.n, other.shape.n)
	relabelled := bytes.Clone(vote.phase1[0])
	copy(relabelled[10:], []byte{2, 0, 2, 0, 3})
	requireRejected(t, other.VerifyContribution(ctx, relabelled), "relabelled header")
}

// TestCeremonyBeaconReuse: phase 2 cannot be sealed with the phase-1
// beacon; the ceremony is unchanged and seals with a fresh beacon.
func TestCeremonyBeaconReuse(t *testing.T) {
	r := testCeremony(t)
	ctx := context.Background()
	c := r.atPhase2(t)
	require.NoError(t, c.VerifyContribution(ctx, r.phase2[0]))
	_, err := c.Seal(ctx, r.beacon1)
	require.ErrorIs(t, err, ErrInvalidBeacon)
	_, err = c.Seal(ctx, r.beacon1[:31])
	require.ErrorIs(t, err, ErrInvalidBeacon, "short beacon")
	require.Equal(t, 2, c.Phase())
	require.Equal(t, r.phase2[0], c.State())

	// A full replay from phase 1 records the beacon it sealed with.
	a := r.atPhase1(t, 1)
	require.NoError(t, a.SealPhase1(ctx, r.beacon2))
	require.NoError(t, a.VerifyContribution(ctx, mustContribute(t, a.State())))
	_, err = a.Seal(ctx, r.beacon2)
	require.ErrorIs(t, err, ErrInvalidBeacon)
	k, err := a.Seal(ctx, r.beacon1)
	require.NoError(t, err)
	require.Equal(t, statement.Membership(ceremonyTestDepth), k.Statement())
}

// TestSetupPLONKVoteTally: PLONK keys for the vote and tally circuits, from
// a test SRS, prove and verify; a nil Lagrange SRS is derived.
func TestSetupPLONKVoteTally(t *testing.T) {
	ctx := context.Background()
	tallyCCS, err := compile(ctx, statement.Tally(2, 2), verifier.PLONK)
	require.NoError(t, err)
	voteCCS, err := compile(ctx, statement.Vote(2, 2), verifier.PLONK)
	require.NoError(t, err)
	big := tallyCCS
	if voteCCS.GetNbConstraints() > big.GetNbConstraints() {
		big = voteCCS
	}
	srs, lag, err := unsafekzg.NewSRS(big)
	require.NoError(t, err)

	vk, err := SetupPLONK(ctx, statement.Vote(2, 2), srs.(*kzg.SRS), nil)
	require.NoError(t, err)
	require.Equal(t, verifier.PLONK, vk.Backend())
	require.Equal(t, statement.Vote(2, 2), vk.Statement())
	tr := testTree(t, 3)
	p, err := tr.Proof(2)
	require.NoError(t, err)
	s := &ballot{scope: fe(5), digest: fe(6), numOptions: 2, maxPer: 1, minTotal: 0, maxTotal: 2, exp: 1, votes: []uint64{1, 1}}
	vw, err := voteWitness(membershiptest.Identity(2), p, s)
	require.NoError(t, err)
	pr, err := vk.Prove(ctx, vw)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(vk.VerifyingKey(), pr))

	var tk *Keys
	if big == tallyCCS { // the test SRS's Lagrange form is for the larger circuit
		tk, err = SetupPLONK(ctx, statement.Tally(2, 2), srs.(*kzg.SRS), lag.(*kzg.SRS))
	} else {
		tk, err = SetupPLONK(ctx, statement.Tally(2, 2), srs.(*kzg.SRS), nil)
	}
	require.NoError(t, err)
	scope := fe(9)
	w := &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: []uint64{0, 0},
		Ballots: []circuits.TallySlot{{Nullifier: fe(1), Votes: []uint64{0, 1}}}}
	tp, err := tk.Prove(ctx, w)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(tk.VerifyingKey(), tp))
	_, err = tk.Prove(ctx, vw)
	require.Error(t, err, "PLONK tally keys prove a ballot")
	_, err = vk.Prove(ctx, w)
	require.Error(t, err, "PLONK vote keys prove a tally")

	// The tally keys again, their Lagrange SRS derived here.
	g, err := SetupPLONK(ctx, statement.Tally(2, 2), srs.(*kzg.SRS), nil)
	require.NoError(t, err)
	require.Equal(t, statement.Tally(2, 2), g.Statement())
	require.Equal(t, verifier.PLONK, g.Backend())
	_, err = g.Prove(ctx, vw)
	require.Error(t, err)
	_, err = SetupPLONK(ctx, statement.Statement{}, srs.(*kzg.SRS), nil)
	require.Error(t, err)
	_, err = SetupPLONK(ctx, statement.Vote(2, 2), nil, nil)
	require.Error(t, err)
}

// TestContributeRefusesUnagreedCircuit: a coordinator cannot make a
// contributor compile a circuit they did not agree to (the largest tally
// circuit takes gigabytes): a state naming another circuit is refused from
// its header, in milliseconds.
func TestContributeRefusesUnagreedCircuit(t *testing.T) {
	ctx := context.Background()
	agreed := statement.Membership(ceremonyTestDepth)
	c, err := NewCeremony(ctx, agreed)
	require.NoError(t, err)
	state := bytes.Clone(c.State())
	for _, other := range []statement.Statement{statement.Tally(statement.MaxBatch, statement.MaxOptions), statement.Membership(ceremonyTestDepth + 1)} {
		// The header records the kind, then the depth or batch, then the
		// options (0 for membership).
		x := bytes.Clone(state)
		x[len(ceremonyMagic)+2] = byte(other.Kind())
		binary.BigEndian.PutUint16(x[len(ceremonyMagic)+3:], uint16(other.Depth()+other.Batch()))
		binary.BigEndian.PutUint16(x[len(ceremonyMagic)+5:], uint16(other.Options()))
		start := time.Now()
		_, err := Contribute(ctx, agreed, x)
		require.ErrorIs(t, err, ErrMalformedContribution, "%s", other)
		require.Less(t, time.Since(start), time.Second)
	}
	_, err = Contribute(ctx, agreed, state)
	require.NoError(t, err)
}
