package prover

import (
	"context"
	"encoding/json"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/verifier"
)

const testDepth = 4

var (
	keysOnce   sync.Once
	sharedKeys *MembershipKeys
	keysErr    error
)

func testKeys(t testing.TB) *MembershipKeys {
	keysOnce.Do(func() { sharedKeys, keysErr = SetupMembershipInsecure(context.Background(), testDepth) })
	require.NoError(t, keysErr)
	return sharedKeys
}

func testTree(t testing.TB, n int) *membership.Tree {
	tr := membership.NewTree(nil)
	_, err := tr.InsertMany(context.Background(), membershiptest.Commitments(0, n))
	require.NoError(t, err)
	return tr
}

func fe(v uint64) fr.Element { var x fr.Element; x.SetUint64(v); return x }

func proveFor(t testing.TB, tr *membership.Tree, who uint64, scope, msg uint64) *verifier.Proof {
	k := testKeys(t)
	p, err := tr.Proof(who)
	require.NoError(t, err)
	pr, err := k.Prove(context.Background(), membershiptest.Identity(who), p, fe(scope), fe(msg))
	require.NoError(t, err)
	return pr
}

func TestProveVerify(t *testing.T) {
	k := testKeys(t)
	tr := testTree(t, 11)
	for _, who := range []uint64{0, 5, 10} {
		pr := proveFor(t, tr, who, 7, 99)
		require.NoError(t, verifier.Verify(k.VerifyingKey(), pr))
		require.Len(t, pr.Data, verifier.Groth16ProofSize)
		id := membershiptest.Identity(who)
		wantNull := id.Nullifier(fe(7))
		require.True(t, pr.Public[1].Equal(&wantNull))
		root := tr.Root()
		require.True(t, pr.Public[0].Equal(&root))

		// Binary and JSON forms round-trip exactly and still verify.
		back, err := verifier.ParseProof(pr.Bytes())
		require.NoError(t, err)
		require.Equal(t, pr.Bytes(), back.Bytes())
		require.NoError(t, verifier.Verify(k.VerifyingKey(), back))
		js, err := json.Marshal(pr)
		require.NoError(t, err)
		var fromJSON verifier.Proof
		require.NoError(t, json.Unmarshal(js, &fromJSON))
		require.Equal(t, pr.Bytes(), fromJSON.Bytes())
		js2, err := json.Marshal(&fromJSON)
		require.NoError(t, err)
		require.Equal(t, js, js2)
	}
}

func TestProveErrors(t *testing.T) {
	k := testKeys(t)
	tr := testTree(t, 5)
	p, err := tr.Proof(2)
	require.NoError(t, err)
	_, err = k.Prove(context.Background(), membershiptest.Identity(3), p, fe(1), fe(1))
	require.ErrorIs(t, err, ErrNotMember)
	bad := *p
	bad.Root = fe(5)
	_, err = k.Prove(context.Background(), membershiptest.Identity(2), &bad, fe(1), fe(1))
	require.ErrorIs(t, err, membership.ErrInvalidProof)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = k.Prove(ctx, membershiptest.Identity(2), p, fe(1), fe(1))
	require.ErrorIs(t, err, context.Canceled)
	big := testTree(t, 1<<testDepth+1)
	pb, err := big.Proof(0)
	require.NoError(t, err)
	_, err = k.Prove(context.Background(), membershiptest.Identity(0), pb, fe(1), fe(1))
	require.Error(t, err)
	_, err = SetupMembershipInsecure(context.Background(), 0)
	require.Error(t, err)
}

// TestTamper: every single-byte change of the proof and every change of a
// public signal (alone, in (+d, −d) pairs, or swapped with another valid
// proof's) is rejected.
func TestTamper(t *testing.T) {
	k := testKeys(t)
	vk := k.VerifyingKey()
	tr := testTree(t, 6)
	pr := proveFor(t, tr, 1, 7, 100)
	other := proveFor(t, tr, 2, 7, 200)
	enc := pr.Bytes()
	for i := range enc {
		for _, flip := range []byte{0x01, 0x80} {
			b := append([]byte(nil), enc...)
			b[i] ^= flip
			q, err := verifier.ParseProof(b)
			if err != nil {
				continue // rejected while decoding
			}
			require.Error(t, verifier.Verify(vk, q), "byte %d ^ %#x", i, flip)
		}
	}
	deltas := []int64{1, -1, 2, 1 << 20}
	clone := func() *verifier.Proof {
		q, err := verifier.ParseProof(enc)
		require.NoError(t, err)
		return q
	}
	for i := range pr.Public {
		for _, d := range deltas {
			q := clone()
			var dd fr.Element
			dd.SetBigInt(big.NewInt(d))
			q.Public[i].Add(&q.Public[i], &dd)
			require.ErrorIs(t, verifier.Verify(vk, q), verifier.ErrInvalidProof, "signal %d + %d", i, d)
			for j := range pr.Public {
				if j == i {
					continue
				}
				q := clone()
				q.Public[i].Add(&q.Public[i], &dd)
				q.Public[j].Sub(&q.Public[j], &dd)
				require.ErrorIs(t, verifier.Verify(vk, q), verifier.ErrInvalidProof, "signals %d+%d, %d-%d", i, d, j, d)
			}
		}
	}
	// Swap the message (and each other signal) between two valid proofs.
	for i := range pr.Public {
		q := clone()
		q.Public[i] = other.Public[i]
		if q.Public[i].Equal(&pr.Public[i]) {
			continue // same root and scope
		}
		require.ErrorIs(t, verifier.Verify(vk, q), verifier.ErrInvalidProof, "swapped signal %d", i)
	}
	// Another key.
	k2, err := SetupMembershipInsecure(context.Background(), testDepth)
	require.NoError(t, err)
	require.ErrorIs(t, verifier.Verify(k2.VerifyingKey(), pr), verifier.ErrKeyMismatch)
	q := clone()
	q.KeyID = k2.VerifyingKey().ID()
	require.ErrorIs(t, verifier.Verify(k2.VerifyingKey(), q), verifier.ErrInvalidProof)
}
