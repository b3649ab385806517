package verifier_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

const batchTestDepth = 4

// batchFixture is a depth-4 key with valid proofs of several members,
// scopes and messages, made once for all batch tests.
type batchFixture struct {
	keys   *prover.Keys
	proofs []*verifier.Proof
}

var (
	fixtureOnce sync.Once
	fixture     batchFixture
	fixtureErr  error
)

func fe(v uint64) fr.Element {
	var x fr.Element
	x.SetUint64(v)
	return x
}

func testFixture(t testing.TB) (*verifier.VerifyingKey, []*verifier.Proof) {
	fixtureOnce.Do(func() {
		ctx := context.Background()
		fixture.keys, fixtureErr = prover.SetupInsecure(ctx, statement.Membership(batchTestDepth))
		if fixtureErr != nil {
			return
		}
		fixture.proofs, fixtureErr = makeProofs(ctx, fixture.keys, 10)
	})
	require.NoError(t, fixtureErr)
	return fixture.keys.VerifyingKey(), fixture.proofs
}

// makeProofs proves n distinct statements: members of an 11-leaf tree,
// three scopes, a message each.
func makeProofs(ctx context.Context, k *prover.Keys, n int) ([]*verifier.Proof, error) {
	tr := membership.NewTree(nil)
	if _, err := tr.InsertMany(ctx, membershiptest.Commitments(0, 11)); err != nil {
		return nil, err
	}
	out := make([]*verifier.Proof, n)
	for i := range out {
		who := uint64(i*7) % 11
		tp, err := tr.Proof(who)
		if err != nil {
			return nil, err
		}
		w, err := prover.NewMembershipWitness(membershiptest.Identity(who), tp, fe(uint64(1+i%3)), fe(uint64(1000+i)))
		if err != nil {
			return nil, err
		}
		out[i], err = k.Prove(ctx, w)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// clone returns a deep copy of p, to tamper with.
func clone(t testing.TB, p *verifier.Proof) *verifier.Proof {
	q, err := verifier.ParseProof(p.Bytes())
	require.NoError(t, err)
	return q
}

// cloneAll returns deep copies of ps, repeated to n proofs.
func cloneAll(t testing.TB, ps []*verifier.Proof, n int) []*verifier.Proof {
	out := make([]*verifier.Proof, n)
	for i := range out {
		out[i] = clone(t, ps[i%len(ps)])
	}
	return out
}

func add(x *fr.Element, d int64) {
	var dd fr.Element
	dd.SetBigInt(big.NewInt(d))
	x.Add(x, &dd)
}

// requireInvalid asserts that err is a *BatchError naming exactly want,
// and that Verify rejects exactly those proofs of batch.
func requireInvalid(t *testing.T, vk *verifier.VerifyingKey, batch []*verifier.Proof, err error, want ...int) {
	t.Helper()
	require.ErrorIs(t, err, verifier.ErrInvalidProof)
	var be *verifier.BatchError
	require.ErrorAs(t, err, &be)
	require.Equal(t, want, be.Invalid)
	var single []int
	for i, p := range batch {
		if verifier.Verify(vk, p) != nil {
			single = append(single, i)
		}
	}
	require.Equal(t, want, single, "Verify disagrees")
}

func TestVerifyBatchValid(t *testing.T) {
	vk, ps := testFixture(t)
	for _, p := range ps {
		require.NoError(t, verifier.Verify(vk, p))
	}
	for _, n := range []int{1, 2, 3, len(ps), 3*len(ps) + 1} {
		require.NoError(t, verifier.VerifyBatch(context.Background(), vk, cloneAll(t, ps, n)), "n=%d", n)
	}
	// The same proof many times over is fine: uniqueness is the nullifier's job.
	require.NoError(t, verifier.VerifyBatch(context.Background(), vk, []*verifier.Proof{ps[0], ps[0], ps[0]}))
}

func TestVerifyBatchEmpty(t *testing.T) {
	vk, _ := testFixture(t)
	require.NoError(t, verifier.VerifyBatch(context.Background(), vk, nil))
	require.NoError(t, verifier.VerifyBatch(context.Background(), vk, []*verifier.Proof{}))
	require.ErrorIs(t, verifier.VerifyBatch(context.Background(), nil, nil), verifier.ErrMalformed)
}

func TestVerifyBatchOfOne(t *testing.T) {
	vk, ps := testFixture(t)
	require.NoError(t, verifier.VerifyBatch(context.Background(), vk, ps[:1]))
	q := clone(t, ps[0])
	add(&q.Public[3], 1)
	batch := []*verifier.Proof{q}
	requireInvalid(t, vk, batch, verifier.VerifyBatch(context.Background(), vk, batch), 0)
}

// TestVerifyBatchOneBad puts one invalid proof at several positions: a
// tampered public signal, another proof's signals under this proof's
// bytes, and a valid proof whose message is swapped for another ballot's.
func TestVerifyBatchOneBad(t *testing.T) {
	vk, ps := testFixture(t)
	tamper := map[string]func(q *verifier.Proof){
		"signal+1":        func(q *verifier.Proof) { add(&q.Public[0], 1) },
		"nullifier-1":     func(q *verifier.Proof) { add(&q.Public[1], -1) },
		"scope+2^20":      func(q *verifier.Proof) { add(&q.Public[2], 1<<20) },
		"other-message":   func(q *verifier.Proof) { q.Public[3] = ps[9].Public[3] },
		"other-proof":     func(q *verifier.Proof) { q.Data = clone(t, ps[8]).Data },
		"other-statement": func(q *verifier.Proof) { q.Public = clone(t, ps[7]).Public },
	}
	for name, f := range tamper {
		for _, n := range []int{2, 7, 16} {
			for _, at := range []int{0, n / 2, n - 1} {
				batch := cloneAll(t, ps[:5], n)
				f(batch[at])
				err := verifier.VerifyBatch(context.Background(), vk, batch)
				t.Run(fmt.Sprintf("%s/n=%d/at=%d", name, n, at), func(t *testing.T) {
					requireInvalid(t, vk, batch, err, at)
				})
			}
		}
	}
}

func TestVerifyBatchManyBad(t *testing.T) {
	vk, ps := testFixture(t)
	for _, bad := range [][]int{{0, 1}, {3, 12}, {0, 5, 6, 7, 19}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}} {
		batch := cloneAll(t, ps, 20)
		for _, i := range bad {
			add(&batch[i].Public[i%4], int64(i+1))
		}
		requireInvalid(t, vk, batch, verifier.VerifyBatch(context.Background(), vk, batch), bad...)
	}
	all := cloneAll(t, ps, 9)
	for _, q := range all {
		add(&q.Public[3], 5)
	}
	err := verifier.VerifyBatch(context.Background(), vk, all)
	requireInvalid(t, vk, all, err, 0, 1, 2, 3, 4, 5, 6, 7, 8)
	require.EqualError(t, err, "verifier: invalid proofs at index 0, 1, 2, 3, 4, 5, 6, 7 and 1 more")
	err = verifier.VerifyBatch(context.Background(), vk, all[4:5])
	require.EqualError(t, err, "verifier: invalid proof at index 0")
}

// fixedBatchHolds is the batch check with every scalar set to 1, which
// VerifyBatch must never do:
//
//	∏ e(Aᵢ, Bᵢ) · e(−Σ Lᵢ, γ) · e(−Σ Cᵢ, δ) · e(−n·α, β) = 1.
func fixedBatchHolds(t *testing.T, vk *verifier.VerifyingKey, ps []*verifier.Proof) bool {
	k := vk.Groth16Key()
	var ps1 []bn254.G1Affine
	var qs []bn254.G2Affine
	var sumL, sumC, alpha bn254.G1Jac
	for _, p := range ps {
		var a, c bn254.G1Affine
		var b bn254.G2Affine
		_, err := a.SetBytes(p.Data[0:32])
		require.NoError(t, err)
		_, err = b.SetBytes(p.Data[32:96])
		require.NoError(t, err)
		_, err = c.SetBytes(p.Data[96:128])
		require.NoError(t, err)
		ps1, qs = append(ps1, a), append(qs, b)
		sumC.AddMixed(&c)
		sumL.AddMixed(&k.G1.K[0])
		for j := range p.Public {
			var t bn254.G1Affine
			t.ScalarMultiplication(&k.G1.K[j+1], p.Public[j].BigInt(new(big.Int)))
			sumL.AddMixed(&t)
		}
	}
	alpha.FromAffine(&k.G1.Alpha)
	alpha.ScalarMultiplication(&alpha, big.NewInt(int64(len(ps))))
	for _, s := range []*bn254.G1Jac{&sumL, &sumC, &alpha} {
		var a bn254.G1Affine
		a.FromJacobian(s.Neg(s))
		ps1 = append(ps1, a)
	}
	qs = append(qs, k.G2.Gamma, k.G2.Delta, k.G2.Beta)
	ok, err := bn254.PairingCheck(ps1, qs)
	require.NoError(t, err)
	return ok
}

// TestVerifyBatchCancelling: two invalid proofs, one signal raised by d in
// one and lowered by d in the other, pass a batch check whose scalars are
// fixed (equal), and must fail VerifyBatch, which names both.
func TestVerifyBatchCancelling(t *testing.T) {
	vk, ps := testFixture(t)
	require.True(t, fixedBatchHolds(t, vk, ps[:4]), "the fixed check accepts valid proofs")
	for _, sig := range []int{0, 1, 2, 3} {
		for _, d := range []int64{1, -1, 1 << 40} {
			batch := cloneAll(t, ps[:6], 6)
			add(&batch[1].Public[sig], d)
			add(&batch[4].Public[sig], -d)
			require.True(t, fixedBatchHolds(t, vk, batch), "the errors cancel under equal scalars")
			requireInvalid(t, vk, batch, verifier.VerifyBatch(context.Background(), vk, batch), 1, 4)
		}
	}
	// The same within one proof: +d on one signal, −d on another is not a
	// batch effect, but the single check must still see it.
	batch := cloneAll(t, ps[:3], 3)
	add(&batch[2].Public[0], 3)
	add(&batch[2].Public[3], -3)
	requireInvalid(t, vk, batch, verifier.VerifyBatch(context.Background(), vk, batch), 2)
}

// TestVerifyBatchErrors: checks before any pairing report the first
// offending proof with Verify's error.
func TestVerifyBatchErrors(t *testing.T) {
	vk, ps := testFixture(t)
	withAt := func(at int, f func(q *verifier.Proof) *verifier.Proof) []*verifier.Proof {
		batch := cloneAll(t, ps, 6)
		batch[at] = f(batch[at])
		return batch
	}
	cases := []struct {
		name string
		f    func(q *verifier.Proof) *verifier.Proof
		want error
	}{
		{"other key ID", func(q *verifier.Proof) *verifier.Proof { q.KeyID[0] ^= 1; return q }, verifier.ErrKeyMismatch},
		{"other backend", func(q *verifier.Proof) *verifier.Proof { q.Backend = 2; return q }, verifier.ErrKeyMismatch},
		{"nil", func(*verifier.Proof) *verifier.Proof { return nil }, verifier.ErrMalformed},
		{"short data", func(q *verifier.Proof) *verifier.Proof { q.Data = q.Data[:100]; return q }, verifier.ErrMalformedProof},
		{"long data", func(q *verifier.Proof) *verifier.Proof { q.Data = append(q.Data, 0); return q }, verifier.ErrMalformedProof},
		{"bad point", func(q *verifier.Proof) *verifier.Proof { q.Data[40] ^= 1; return q }, verifier.ErrMalformedProof},
		{"3 signals", func(q *verifier.Proof) *verifier.Proof { q.Public = q.Public[:3]; return q }, verifier.ErrMalformedPublic},
		{"5 signals", func(q *verifier.Proof) *verifier.Proof { q.Public = append(q.Public, fe(1)); return q }, verifier.ErrMalformedPublic},
		{"unreduced signal", func(q *verifier.Proof) *verifier.Proof { addModulus(&q.Public[2]); return q }, verifier.ErrMalformedPublic},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			single := c.f(clone(t, ps[0]))
			verr := verifier.Verify(vk, single)
			if c.name != "unreduced signal" { // Verify reduces it and accepts
				require.ErrorIs(t, verr, c.want, "Verify")
			}
			for _, at := range []int{0, 3, 5} {
				batch := withAt(at, c.f)
				add(&batch[1].Public[0], 1) // an invalid proof does not matter
				err := verifier.VerifyBatch(context.Background(), vk, batch)
				require.ErrorIs(t, err, c.want)
				require.NotErrorIs(t, err, verifier.ErrInvalidProof)
				require.Contains(t, err.Error(), fmt.Sprintf("verifier: proof %d: ", at))
			}
			err := verifier.VerifyBatch(context.Background(), vk, []*verifier.Proof{single})
			require.ErrorIs(t, err, c.want, "batch of one")
			require.NotErrorIs(t, err, verifier.ErrInvalidProof, "batch of one")
		})
	}
	// The first offending proof wins.
	batch := cloneAll(t, ps, 6)
	batch[4].Data = batch[4].Data[:1]
	batch[2].KeyID = [32]byte{}
	err := verifier.VerifyBatch(context.Background(), vk, batch)
	require.ErrorIs(t, err, verifier.ErrKeyMismatch)
	require.Contains(t, err.Error(), "proof 2")
	// A zero key verifies nothing.
	require.ErrorIs(t, verifier.VerifyBatch(context.Background(), new(verifier.VerifyingKey), ps[:3]), verifier.ErrKeyMismatch)
	require.ErrorIs(t, verifier.VerifyBatch(context.Background(), new(verifier.VerifyingKey), ps[:1]), verifier.ErrKeyMismatch)
}

// addModulus adds r to x's limbs without reducing: the same value mod r in
// a form no decoder produces.
func addModulus(x *fr.Element) {
	var q [32]byte
	fr.Modulus().FillBytes(q[:])
	var carry uint64
	for i := range x {
		x[i], carry = bits.Add64(x[i], binary.BigEndian.Uint64(q[24-8*i:]), carry)
	}
}

// TestVerifyBatchOtherKey: a real proof from another key is a key
// mismatch; relabelled with this key's ID, it is an invalid proof.
func TestVerifyBatchOtherKey(t *testing.T) {
	vk, ps := testFixture(t)
	k2, err := prover.SetupInsecure(context.Background(), statement.Membership(batchTestDepth))
	require.NoError(t, err)
	foreign, err := makeProofs(context.Background(), k2, 1)
	require.NoError(t, err)
	require.NoError(t, verifier.VerifyBatch(context.Background(), k2.VerifyingKey(), foreign))

	batch := append(cloneAll(t, ps, 4), foreign[0])
	err = verifier.VerifyBatch(context.Background(), vk, batch)
	require.ErrorIs(t, err, verifier.ErrKeyMismatch)
	require.True(t, errors.Is(verifier.Verify(vk, foreign[0]), verifier.ErrKeyMismatch))

	relabelled := clone(t, foreign[0])
	relabelled.KeyID = vk.ID()
	batch = slices.Insert(cloneAll(t, ps, 4), 2, relabelled)
	requireInvalid(t, vk, batch, verifier.VerifyBatch(context.Background(), vk, batch), 2)
}

// TestVerifyBatchContext: a cancelled or expired context stops VerifyBatch
// with ctx.Err(), for Groth16 and PLONK batches of more than one proof
// (valid, or holding invalid or malformed proofs, which are then not
// reported), and for a batch of one; a live context still verifies and
// still names the invalid proofs.
func TestVerifyBatchContext(t *testing.T) {
	g16vk, g16 := testFixture(t)
	pf := plonkArtefacts(t)
	for _, c := range []struct {
		name   string
		vk     *verifier.VerifyingKey
		proofs []*verifier.Proof
	}{
		{"groth16", g16vk, g16},
		{"plonk", pf.vk, pf.proofs},
	} {
		t.Run(c.name, func(t *testing.T) {
			cancelled, cancel := context.WithCancel(context.Background())
			cancel()
			expired, cancel2 := context.WithTimeout(context.Background(), 0)
			defer cancel2()
			<-expired.Done()

			valid := cloneAll(t, c.proofs, 2*len(c.proofs)+1)
			invalid := cloneAll(t, c.proofs, 2*len(c.proofs)+1)
			add(&invalid[1].Public[0], 1)
			add(&invalid[len(invalid)-1].Public[3], -1)
			malformed := cloneAll(t, c.proofs, 3)
			malformed[1].Data = malformed[1].Data[:10]
			for name, batch := range map[string][]*verifier.Proof{
				"two":       cloneAll(t, c.proofs, 2),
				"valid":     valid,
				"invalid":   invalid,
				"malformed": malformed,
				"one":       cloneAll(t, c.proofs, 1),
			} {
				err := verifier.VerifyBatch(cancelled, c.vk, batch)
				require.ErrorIs(t, err, context.Canceled, name)
				require.NotErrorIs(t, err, verifier.ErrInvalidProof, name)
				require.NotErrorIs(t, err, verifier.ErrMalformed, name)
				err = verifier.VerifyBatch(expired, c.vk, batch)
				require.ErrorIs(t, err, context.DeadlineExceeded, name)
			}

			live, cancel3 := context.WithCancel(context.Background())
			defer cancel3()
			require.NoError(t, verifier.VerifyBatch(live, c.vk, valid))
			requireInvalid(t, c.vk, invalid, verifier.VerifyBatch(live, c.vk, invalid), 1, len(invalid)-1)
			require.ErrorIs(t, verifier.VerifyBatch(live, c.vk, malformed), verifier.ErrMalformedProof)
		})
	}
}

// TestVerifyAll: one combined check, which accepts exactly the batches
// VerifyBatch accepts and refuses, without naming a proof, any batch with
// an invalid one, wherever it sits.
func TestVerifyAll(t *testing.T) {
	vk, ps := testFixture(t)
	ctx := context.Background()
	for _, n := range []int{0, 1, 2, 7, 16} {
		require.NoError(t, verifier.VerifyAll(ctx, vk, cloneAll(t, ps, n)), "n=%d", n)
	}
	for _, n := range []int{1, 2, 7, 16} {
		for _, at := range []int{0, n / 2, n - 1} {
			batch := cloneAll(t, ps, n)
			add(&batch[at].Public[1], 1)
			err := verifier.VerifyAll(ctx, vk, batch)
			require.ErrorIs(t, err, verifier.ErrInvalidProof, "n=%d at=%d", n, at)
			require.Error(t, verifier.VerifyBatch(ctx, vk, batch))
		}
	}
	other := clone(t, ps[0])
	other.Data = other.Data[:len(other.Data)-1]
	require.ErrorIs(t, verifier.VerifyAll(ctx, vk, []*verifier.Proof{ps[1], other}), verifier.ErrMalformed)
	require.ErrorIs(t, verifier.VerifyAll(ctx, nil, ps[:2]), verifier.ErrMalformed)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, verifier.VerifyAll(cancelled, vk, ps[:3]), context.Canceled)
}
