package prover

import (
	"context"
	"encoding/json"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

const testDepth = 4

var (
	keysOnce   sync.Once
	sharedKeys *Keys
	keysErr    error
)

// testKeys returns the shared depth-testDepth membership keys (Groth16).
func testKeys(t testing.TB) *Keys {
	keysOnce.Do(func() { sharedKeys, keysErr = SetupInsecure(context.Background(), statement.Membership(testDepth)) })
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

// proveMember proves with k that id is the member behind tree proof p:
// NewMembershipWitness, then Keys.Prove (what the typed membership Prove
// did in one call).
func proveMember(ctx context.Context, k *Keys, id *membership.Identity, p *membership.Proof, scope, msg fr.Element) (*verifier.Proof, error) {
	w, err := NewMembershipWitness(id, p, scope, msg)
	if err != nil {
		return nil, err
	}
	return k.Prove(ctx, w)
}

func proveFor(t testing.TB, tr *membership.Tree, who uint64, scope, msg uint64) *verifier.Proof {
	k := testKeys(t)
	p, err := tr.Proof(who)
	require.NoError(t, err)
	pr, err := proveMember(context.Background(), k, membershiptest.Identity(who), p, fe(scope), fe(msg))
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
	_, err = proveMember(context.Background(), k, membershiptest.Identity(3), p, fe(1), fe(1))
	require.ErrorIs(t, err, ErrNotMember)
	bad := *p
	bad.Root = fe(5)
	_, err = proveMember(context.Background(), k, membershiptest.Identity(2), &bad, fe(1), fe(1))
	require.ErrorIs(t, err, membership.ErrInvalidProof)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = proveMember(ctx, k, membershiptest.Identity(2), p, fe(1), fe(1))
	require.ErrorIs(t, err, context.Canceled)
	big := testTree(t, 1<<testDepth+1)
	pb, err := big.Proof(0)
	require.NoError(t, err)
	_, err = proveMember(context.Background(), k, membershiptest.Identity(0), pb, fe(1), fe(1))
	require.Error(t, err)
	_, err = SetupInsecure(context.Background(), statement.Membership(0))
	require.Error(t, err)
}

// TestNewMembershipWitness: the witness is the tree proof's and the
// identity's; another identity is ErrNotMember, and a tampered tree proof
// (root, sibling, path bit, leaf, lengths) or a nil input is an error, all
// before any proving.
func TestNewMembershipWitness(t *testing.T) {
	tr := testTree(t, 7)
	p, err := tr.Proof(5)
	require.NoError(t, err)
	id := membershiptest.Identity(5)
	w, err := NewMembershipWitness(id, p, fe(3), fe(4))
	require.NoError(t, err)
	require.Equal(t, &circuits.MembershipWitness{Root: p.Root, Scope: fe(3), Message: fe(4), Secret: id.Secret(),
		Siblings: p.Siblings, PathBits: p.PathBits}, w)
	require.Equal(t, id.Nullifier(fe(3)), w.Nullifier())

	for _, other := range []uint64{4, 6, 100} {
		_, err = NewMembershipWitness(membershiptest.Identity(other), p, fe(3), fe(4))
		require.ErrorIs(t, err, ErrNotMember, "identity %d", other)
	}
	clone := func() *membership.Proof {
		q := *p
		q.Siblings = append([]fr.Element(nil), p.Siblings...)
		q.PathBits = append([]bool(nil), p.PathBits...)
		return &q
	}
	tamper := map[string]func(q *membership.Proof){
		"root":          func(q *membership.Proof) { q.Root = fe(5) },
		"zero root":     func(q *membership.Proof) { q.Root = fr.Element{} },
		"first sibling": func(q *membership.Proof) { q.Siblings[0] = fe(9) },
		"last sibling":  func(q *membership.Proof) { q.Siblings[len(q.Siblings)-1] = fe(9) },
		"path bit":      func(q *membership.Proof) { q.PathBits[0] = !q.PathBits[0] },
		"sibling lost":  func(q *membership.Proof) { q.Siblings, q.PathBits = q.Siblings[1:], q.PathBits[1:] },
		"extra level": func(q *membership.Proof) {
			q.Siblings, q.PathBits = append(q.Siblings, fe(1)), append(q.PathBits, false)
		},
		"bit lost": func(q *membership.Proof) { q.PathBits = q.PathBits[1:] },
		"too long": func(q *membership.Proof) { q.Siblings, q.PathBits = make([]fr.Element, 40), make([]bool, 40) },
	}
	for name, f := range tamper {
		q := clone()
		f(q)
		require.NotPanics(t, func() { _, err = NewMembershipWitness(id, q, fe(3), fe(4)) }, name)
		require.Error(t, err, name)
		require.NotErrorIs(t, err, ErrNotMember, name)
	}
	// Another leaf with its own (valid) path is another member's proof.
	q := clone()
	q.Leaf = membershiptest.Identity(6).Commitment()
	_, err = NewMembershipWitness(id, q, fe(3), fe(4))
	require.ErrorIs(t, err, ErrNotMember)
	// A removed member's leaf is zero: no identity has that commitment.
	_, err = NewMembershipWitness(id, &membership.Proof{Root: p.Root}, fe(3), fe(4))
	require.ErrorIs(t, err, ErrNotMember)

	_, err = NewMembershipWitness(nil, p, fe(3), fe(4))
	require.Error(t, err)
	_, err = NewMembershipWitness(id, nil, fe(3), fe(4))
	require.Error(t, err)
}

// TestProveRefusesWitness: Keys.Prove takes only a witness of its keys'
// statement that fits it: a witness of another kind, a nil witness (untyped
// or typed) and a path longer than the keys' depth are errors before
// proving, never panics, and a witness that fits but is false does not
// prove.
func TestProveRefusesWitness(t *testing.T) {
	ctx := context.Background()
	k := testKeys(t)
	tr := testTree(t, 6)
	p, err := tr.Proof(4)
	require.NoError(t, err)
	good, err := NewMembershipWitness(membershiptest.Identity(4), p, fe(1), fe(2))
	require.NoError(t, err)
	scope := fe(9)
	wrong := map[string]circuits.Witness{
		"untyped nil":       nil,
		"nil membership":    (*circuits.MembershipWitness)(nil),
		"nil vote":          (*circuits.VoteWitness)(nil),
		"nil tally":         (*circuits.TallyWitness)(nil),
		"vote of a member":  &circuits.VoteWitness{Membership: *good, NumOptions: 1, MaxPerOption: 1, MaxTotal: 1, CostExponent: 1, Votes: []uint64{1}},
		"empty vote":        &circuits.VoteWitness{},
		"tally":             &circuits.TallyWitness{Scope: scope, HeadBefore: chain.Genesis(scope), TotalsBefore: []uint64{0, 0, 0}},
		"empty tally":       &circuits.TallyWitness{},
		"bits and siblings": &circuits.MembershipWitness{Root: good.Root, Secret: good.Secret, Siblings: good.Siblings, PathBits: good.PathBits[1:]},
	}
	for name, w := range wrong {
		var pr *verifier.Proof
		require.NotPanics(t, func() { pr, err = k.Prove(ctx, w) }, name)
		require.Error(t, err, name)
		require.Nil(t, pr, name)
	}

	// A path deeper than the keys' depth: a valid tree proof, refused by
	// Prove (NewMembershipWitness does not know the keys).
	deep := testTree(t, 1<<testDepth+1)
	pd, err := deep.Proof(0)
	require.NoError(t, err)
	require.Greater(t, len(pd.Siblings), testDepth)
	w, err := NewMembershipWitness(membershiptest.Identity(0), pd, fe(1), fe(2))
	require.NoError(t, err)
	require.NotPanics(t, func() { _, err = k.Prove(ctx, w) })
	require.Error(t, err)
	long := *good
	long.Siblings = make([]fr.Element, statement.MaxDepth+1)
	long.PathBits = make([]bool, statement.MaxDepth+1)
	require.NotPanics(t, func() { _, err = k.Prove(ctx, &long) })
	require.Error(t, err)

	// A witness that fits but is false: another secret than the leaf's.
	false1 := *good
	false1.Secret = membershiptest.Identity(3).Secret()
	_, err = k.Prove(ctx, &false1)
	require.Error(t, err)

	// The keys still prove the good witness.
	pr, err := k.Prove(ctx, good)
	require.NoError(t, err)
	require.NoError(t, verifier.Verify(k.VerifyingKey(), pr))
	require.Equal(t, good.Public().Vector(), pr.Public)
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
	k2, err := SetupInsecure(context.Background(), statement.Membership(testDepth))
	require.NoError(t, err)
	require.ErrorIs(t, verifier.Verify(k2.VerifyingKey(), pr), verifier.ErrKeyMismatch)
	q := clone()
	q.KeyID = k2.VerifyingKey().ID()
	require.ErrorIs(t, verifier.Verify(k2.VerifyingKey(), q), verifier.ErrInvalidProof)
}
