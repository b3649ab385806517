package election_test

// Secret mode: encrypted ballots, re-voting, the encrypted running sum, the
// trustees' decryption and the secret audit, with the attacks each must
// survive.

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// secretWorld is a census, five trustees with a 3-of-5 election key, a
// secret election over them and its vote keys.
type secretWorld struct {
	tree   *membership.Tree
	params *Params
	keys   *prover.Keys
	shares []*trustee.KeyShare // trustee i+1's
}

var (
	secretOnce    sync.Once
	sharedSecret  *secretWorld
	secretBallots sync.Map // "voter/option/counter" → *Ballot
)

func testSecretWorld(t testing.TB) *secretWorld {
	secretOnce.Do(func() {
		ctx := context.Background()
		tr := membership.NewTree(nil)
		_, err := tr.InsertMany(ctx, membershiptest.Commitments(0, tVoters))
		require.NoError(t, err)
		key, shares := runDKG(t, 5, 3)
		mode, err := NewSecretMode(key, 2)
		require.NoError(t, err)
		k, err := prover.SetupInsecure(ctx, statement.SecretVote(tDepth, tOptions, 2))
		require.NoError(t, err)
		p := &Params{Log: testLogKeys(), DeploymentID: fe(1), ElectionID: fe(3), Question: "Who chairs the assembly?",
			Options: []string{"Ada", "Grace", "Edsger"}, Census: []membership.Head{tr.Head()}, Rules: SingleChoice(),
			Depth: tDepth, MaxOptions: tOptions, VoteKey: PinKey(k.VerifyingKey()), Secret: mode}
		require.NoError(t, p.Validate())
		sharedSecret = &secretWorld{tree: tr, params: p, keys: k, shares: shares}
	})
	require.NotNil(t, sharedSecret)
	return sharedSecret
}

// runDKG runs an honest key generation of n trustees and returns the key
// and each trustee's share, in index order.
func runDKG(t testing.TB, n, threshold int) (*trustee.ElectionKey, []*trustee.KeyShare) {
	setup := &trustee.Setup{Threshold: threshold, Context: []byte("zkvote election test")}
	var lts []*trustee.LongTermKey
	for range n {
		k, err := trustee.GenerateLongTermKey(nil)
		require.NoError(t, err)
		lts = append(lts, k)
		setup.Keys = append(setup.Keys, k.Public())
	}
	var deals []*trustee.Deal
	for _, k := range lts {
		d, err := k.Deal(setup, nil)
		require.NoError(t, err)
		deals = append(deals, d)
	}
	key, err := trustee.Finish(setup, deals, nil)
	require.NoError(t, err)
	var shares []*trustee.KeyShare
	for _, k := range lts {
		s, err := k.Share(setup, deals, key)
		require.NoError(t, err)
		shares = append(shares, s)
	}
	return key, shares
}

// secretBallotOf returns voter i's (cached) secret ballot for option with
// counter.
func secretBallotOf(t testing.TB, w *secretWorld, i, option int, counter uint64) *Ballot {
	id := fmt.Sprintf("%d/%d/%d", i, option, counter)
	if b, ok := secretBallots.Load(id); ok {
		return b.(*Ballot)
	}
	path, err := w.tree.Proof(uint64(i))
	require.NoError(t, err)
	votes := make([]uint64, len(w.params.Options))
	votes[option] = 1
	b, err := prover.CastSecret(context.Background(), w.keys, w.params, membershiptest.Identity(uint64(i)), path, votes, counter, nil)
	require.NoError(t, err)
	secretBallots.Store(id, b)
	return b
}

func openSecretBox(t *testing.T, w *secretWorld, dir string) *Box {
	b, err := OpenBox(context.Background(), dir, w.params, w.keys.VerifyingKey(), testBoxOptions())
	require.NoError(t, err)
	return b
}

// shareBytes returns the partial decryptions of the given trustees (by
// index from 1) of the ended election in log, whose final head the
// trustees take as the election's.
func shareBytes(t *testing.T, w *secretWorld, log []byte, trustees ...int) [][]byte {
	res, err := AuditSecret(context.Background(), w.params, w.keys.VerifyingKey(), log, nil)
	require.NoError(t, err)
	var out [][]byte
	for _, i := range trustees {
		d, err := PartialDecrypt(context.Background(), w.params, w.keys.VerifyingKey(), log, res.Head, w.shares[i-1], t.TempDir(), nil)
		require.NoError(t, err)
		back, err := ParseDecryptionShare(d.Bytes())
		require.NoError(t, err)
		require.Equal(t, d.Bytes(), back.Bytes())
		out = append(out, d.Bytes())
	}
	return out
}

// requireSameSum requires two encrypted sums to be the same points.
func requireSameSum(t *testing.T, a, b []trustee.Ciphertext, msg string) {
	t.Helper()
	require.Len(t, b, len(a), msg)
	for i := range a {
		require.True(t, a[i].C1.Equal(b[i].C1) && a[i].C2.Equal(b[i].C2), "%s: ciphertext %d", msg, i)
	}
}

// TestSecretElection runs a secret election end to end: ballots, a re-vote,
// a replay, a box that shows only counts and an encrypted sum, the end,
// three trustees' decryption with a fourth share forged, and the audit.
func TestSecretElection(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	box := openSecretBox(t, w, t.TempDir())
	defer box.Close()

	first := secretBallotOf(t, w, 0, 0, 1)
	r0, err := box.Submit(ctx, first.Bytes())
	require.NoError(t, err)
	require.Nil(t, r0.Votes)
	require.Equal(t, uint64(1), r0.Counter)
	for i := 1; i < 5; i++ {
		_, err := box.Submit(ctx, secretBallotOf(t, w, i, i%3, 1).Bytes())
		require.NoError(t, err)
	}
	// Voter 0 changes their mind; the replayed first ballot is refused, as
	// is the re-vote submitted twice.
	revote := secretBallotOf(t, w, 0, 2, 5)
	_, err = box.Submit(ctx, revote.Bytes())
	require.NoError(t, err)
	_, err = box.Submit(ctx, first.Bytes())
	require.ErrorIs(t, err, ErrStaleBallot)
	_, err = box.Submit(ctx, revote.Bytes())
	require.ErrorIs(t, err, ErrStaleBallot)

	res := box.Results()
	require.Nil(t, res.Totals, "a secret box knows no totals")
	require.Equal(t, uint64(6), res.Ballots)
	require.Equal(t, uint64(5), res.Voters)
	require.Len(t, res.Encrypted, 2)

	// Before the end the trustees refuse to decrypt.
	open := exportLog(t, box)
	_, err = PartialDecrypt(ctx, w.params, w.keys.VerifyingKey(), open, res.Head, w.shares[0], t.TempDir(), nil)
	require.ErrorIs(t, err, ErrOpenElection)

	require.NoError(t, box.End())
	log := exportLog(t, box)
	l, err := ReadLog(log)
	require.NoError(t, err)
	require.NoError(t, l.CheckReceipt(r0), "a replaced ballot's receipt still checks")

	shares := shareBytes(t, w, log, 2, 4, 5)
	// Trustee 1 publishes a share whose first partial decryption is another
	// point: it is named and skipped.
	forged, err := ParseDecryptionShare(shareBytes(t, w, log, 1)[0])
	require.NoError(t, err)
	forged.Partials[0].D = forged.Partials[0].D.Add(trustee.Generator())
	shares = append([][]byte{forged.Bytes()}, shares...)

	got, err := AuditSecret(ctx, w.params, w.keys.VerifyingKey(), log, shares)
	require.NoError(t, err)
	// Voters 1..4 voted i%3: options 1, 2, 0, 1; voter 0's latest: option 2.
	require.Equal(t, []uint64{1, 2, 2}, got.Totals)
	require.Equal(t, uint64(5), got.Voters)
	require.Equal(t, []int{2, 4, 5}, got.Decryption.Used)
	require.Len(t, got.Decryption.Refused, 1)
	require.Equal(t, 1, got.Decryption.Refused[0].Trustee)
	require.ErrorIs(t, got.Decryption.Refused[0], trustee.ErrInvalidProof)
	require.Equal(t, res.Head, got.Head)
	requireSameSum(t, res.Encrypted, got.Encrypted, "the box's sum is the audit's")

	// Two valid shares are fewer than the threshold.
	_, err = AuditSecret(ctx, w.params, w.keys.VerifyingKey(), log, shares[:3])
	require.ErrorIs(t, err, trustee.ErrTooFewShares)
	// Shares are refused for a log without its close record.
	_, err = AuditSecret(ctx, w.params, w.keys.VerifyingKey(), open, shares)
	require.ErrorIs(t, err, ErrOpenElection)
}

// TestSecretBoxReopen: a reopened box replays counters and the sum, so a
// replay is still refused and the results are the same.
func TestSecretBoxReopen(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	dir := t.TempDir()
	box := openSecretBox(t, w, dir)
	for _, b := range []*Ballot{secretBallotOf(t, w, 0, 0, 1), secretBallotOf(t, w, 1, 1, 1), secretBallotOf(t, w, 0, 2, 5)} {
		_, err := box.Submit(ctx, b.Bytes())
		require.NoError(t, err)
	}
	before := box.Results()
	require.NoError(t, box.Close())
	box = openSecretBox(t, w, dir)
	defer box.Close()
	after := box.Results()
	require.Equal(t, before.Ballots, after.Ballots)
	require.Equal(t, before.Voters, after.Voters)
	require.Equal(t, before.Head, after.Head)
	requireSameSum(t, before.Encrypted, after.Encrypted, "the reopened box's sum")
	_, err := box.Submit(ctx, secretBallotOf(t, w, 0, 0, 1).Bytes())
	require.ErrorIs(t, err, ErrStaleBallot)
}

// TestSecretBallotTampering: ciphertexts that are not the ones the proof
// hashes, a ballot of the other mode, and bytes that do not decode are
// refused with clear errors, and nothing is stored.
func TestSecretBallotTampering(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	dir := t.TempDir()
	box := openSecretBox(t, w, dir)
	defer box.Close()
	good := secretBallotOf(t, w, 3, 1, 1)
	other := secretBallotOf(t, w, 4, 2, 1)
	cts := good.Ciphertexts()

	swapped, err := NewSecretBallot(good.Proof(), []trustee.Ciphertext{cts[1], cts[0]})
	require.NoError(t, err)
	// Another voter's valid ciphertexts under the right key.
	foreign, err := NewSecretBallot(good.Proof(), other.Ciphertexts())
	require.NoError(t, err)
	// Adding an encryption of 1 to the first ciphertext: a valid ciphertext
	// of a vote the proof never saw.
	one, _, err := trustee.Encrypt(w.params.Secret.Key, 1, nil)
	require.NoError(t, err)
	bumped, err := NewSecretBallot(good.Proof(), []trustee.Ciphertext{cts[0].Add(one), cts[1]})
	require.NoError(t, err)
	short, err := NewSecretBallot(good.Proof(), cts[:1])
	require.NoError(t, err)
	identity, err := ParseBallot(withBytes(good.Bytes(), ctOffset, pointXY(twistededwards.PointAffine{Y: fr.One()})))
	require.NoError(t, err, "the identity is a point of the subgroup")
	for name, b := range map[string]*Ballot{"swapped": swapped, "foreign": foreign, "bumped": bumped} {
		_, err := box.Submit(ctx, b.Bytes())
		require.ErrorIs(t, err, ErrCiphertextHash, name)
	}
	// C1 = O would be a vote in the clear (randomness 0 mod l).
	_, err = box.Submit(ctx, identity.Bytes())
	require.ErrorIs(t, err, ErrMalformedBallot)
	_, err = box.Submit(ctx, short.Bytes())
	require.ErrorIs(t, err, ErrMalformedBallot)

	enc := good.Bytes()
	for name, bad := range map[string][]byte{
		"version 1":      append([]byte("ZKSB\x01"), enc[5:]...),
		"version 3":      append([]byte("ZKSB\x03"), enc[5:]...),
		"zero count":     append([]byte("ZKSB\x02\x00"), enc[6:]...),
		"truncated":      enc[:len(enc)-1],
		"point flipped":  flip(enc, ctOffset+5),
		"order-2 C1":     withBytes(enc, ctOffset, orderTwo()),
		"trailing bytes": append(bytes.Clone(enc), 0),
	} {
		_, err := box.Submit(ctx, bad)
		require.Error(t, err, name)
		require.ErrorIs(t, err, ErrMalformedBallot, name)
	}
	// An open ballot in a secret election.
	_, err = box.Submit(ctx, ballotOf(t, testWorld(t), 0).Bytes())
	require.ErrorIs(t, err, ErrWrongElection)
	require.Zero(t, box.Results().Ballots)

	// The untouched ballot is taken.
	require.NoError(t, err2(box.Submit(ctx, good.Bytes())))
	require.Equal(t, uint64(1), box.Results().Ballots)
}

func err2[T any](_ T, err error) error { return err }

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x40
	return out
}

// ctOffset is where a secret ballot's first ciphertext starts in its
// encoding: after "ZKSB", the version and the count. Ciphertext j's C1 is
// at ctOffset + j·trustee.CiphertextXYSize, its C2 at pointXYSize after.
const (
	ctOffset    = 6
	pointXYSize = trustee.CiphertextXYSize / 2
)

// pointXY returns p's uncompressed encoding, x then y, as a secret
// ballot carries it.
func pointXY(p twistededwards.PointAffine) []byte {
	x, y := p.X.Bytes(), p.Y.Bytes()
	return append(x[:], y[:]...)
}

// orderTwo returns the uncompressed encoding of (0, −1), the point of
// order 2.
func orderTwo() []byte {
	var p twistededwards.PointAffine
	p.Y.SetOne()
	p.Y.Neg(&p.Y)
	return pointXY(p)
}

func withBytes(b []byte, at int, v []byte) []byte {
	out := bytes.Clone(b)
	copy(out[at:], v)
	return out
}

// TestSecretAuditRefuses: a log that repeats a ballot (a stale counter),
// holds ciphertexts its proof does not hash, or a forged proof fails the
// audit at that ballot.
func TestSecretAuditRefuses(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	vk := w.keys.VerifyingKey()
	a, b := secretBallotOf(t, w, 0, 0, 1), secretBallotOf(t, w, 1, 1, 1)
	log := buildLog(t, w.params, [][]byte{a.Bytes(), b.Bytes()}, true)
	res, err := AuditSecret(ctx, w.params, vk, log, nil)
	require.NoError(t, err)
	require.Equal(t, uint64(2), res.Voters)

	var ae *AuditError
	replay := buildLog(t, w.params, [][]byte{a.Bytes(), b.Bytes(), a.Bytes()}, true)
	_, err = AuditSecret(ctx, w.params, vk, replay, nil)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 2, ae.Index)
	require.ErrorIs(t, err, ErrStaleBallot)

	swapped, err := NewSecretBallot(b.Proof(), []trustee.Ciphertext{b.Ciphertexts()[1], b.Ciphertexts()[0]})
	require.NoError(t, err)
	_, err = AuditSecret(ctx, w.params, vk, buildLog(t, w.params, [][]byte{a.Bytes(), swapped.Bytes()}, true), nil)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 1, ae.Index)
	require.ErrorIs(t, err, ErrCiphertextHash)

	// A proof whose counter is raised (a replay dressed as a re-vote): the
	// proof binds the counter, so it fails verification.
	p, err := verifier.ParseProof(a.Proof().Bytes())
	require.NoError(t, err)
	pub, err := statement.ParseSecretVote(p.Public)
	require.NoError(t, err)
	pub.Counter = 9
	p.Public = pub.Vector()
	raised, err := NewSecretBallot(p, a.Ciphertexts())
	require.NoError(t, err)
	_, err = AuditSecret(ctx, w.params, vk, buildLog(t, w.params, [][]byte{a.Bytes(), raised.Bytes()}, true), nil)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 1, ae.Index)
	require.ErrorIs(t, err, verifier.ErrInvalidProof)
	box := openSecretBox(t, w, t.TempDir())
	defer box.Close()
	_, err = box.Submit(ctx, a.Bytes())
	require.NoError(t, err)
	_, err = box.Submit(ctx, raised.Bytes())
	require.ErrorIs(t, err, verifier.ErrInvalidProof)

	// The open audit refuses a secret election, and the reverse.
	_, err = Audit(ctx, w.params, vk, vk, log, nil)
	require.Error(t, err)
	_, err = AuditSecret(ctx, testWorld(t).params, vk, log, nil)
	require.Error(t, err)
}

// TestDecryptionShares: shares that are malformed, of an unknown trustee,
// repeated, or of the wrong length are named and skipped.
func TestDecryptionShares(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	log := buildLog(t, w.params, [][]byte{secretBallotOf(t, w, 0, 0, 1).Bytes(), secretBallotOf(t, w, 1, 1, 1).Bytes()}, true)
	good := shareBytes(t, w, log, 1, 2, 3)
	d, err := ParseDecryptionShare(good[0])
	require.NoError(t, err)
	unknown := &DecryptionShare{Trustee: 6, Partials: d.Partials}
	short := &DecryptionShare{Trustee: 1, Partials: d.Partials[:1]}
	// Trustee 2's partials relabelled as trustee 4's: the proofs are bound
	// to their trustee.
	d2, err := ParseDecryptionShare(good[1])
	require.NoError(t, err)
	relabelled := &DecryptionShare{Trustee: 4}
	for _, p := range d2.Partials {
		p.Index = 4
		relabelled.Partials = append(relabelled.Partials, p)
	}
	shares := [][]byte{[]byte("junk"), unknown.Bytes(), short.Bytes(), relabelled.Bytes(), good[0], good[0], good[1], good[2]}
	res, err := AuditSecret(ctx, w.params, w.keys.VerifyingKey(), log, shares)
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 1, 0}, res.Totals)
	require.Equal(t, []int{1, 2, 3}, res.Decryption.Used)
	var refused []int
	for _, r := range res.Decryption.Refused {
		refused = append(refused, r.Position)
	}
	require.Equal(t, []int{0, 1, 2, 3, 5}, refused)
	require.ErrorIs(t, res.Decryption.Refused[0], ErrMalformedShare)

	// A key share that is not the election's is refused.
	stranger := &trustee.KeyShare{Index: 1, Secret: trustee.NewScalar(7)}
	res, err = AuditSecret(ctx, w.params, w.keys.VerifyingKey(), log, nil)
	require.NoError(t, err)
	_, err = PartialDecrypt(ctx, w.params, w.keys.VerifyingKey(), log, res.Head, stranger, t.TempDir(), nil)
	require.Error(t, err)
}

func FuzzParseDecryptionShare(f *testing.F) {
	f.Add([]byte("ZKDS\x01\x01\x01"))
	k := &trustee.KeyShare{Index: 2, Secret: trustee.NewScalar(5)}
	c, _, err := trustee.Encrypt(trustee.Generator(), 3, nil)
	if err != nil {
		f.Fatal(err)
	}
	pd, err := k.PartialDecrypt(c, []byte("seed"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add((&DecryptionShare{Trustee: 2, Partials: []trustee.PartialDecryption{pd, pd}}).Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDecryptionShare(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedShare)
			return
		}
		require.Equal(t, b, d.Bytes())
	})
}

// testSecretParams returns valid secret parameters over stand-in heads.
func testSecretParams(t testing.TB) *Params {
	p := testParams()
	p.TallyKey = KeyPin{}
	key, _ := runDKG(t, 3, 2)
	m, err := NewSecretMode(key, 0)
	require.NoError(t, err)
	p.Secret = m
	return p
}

// TestSecretParams: the secret mode is in the encoding and the digest,
// read back exactly, and every bad value is refused.
func TestSecretParams(t *testing.T) {
	p := testSecretParams(t)
	require.NoError(t, p.Validate())
	require.Equal(t, statement.SecretVote(statement.DefaultDepth, statement.DefaultOptions, statement.DefaultPack), p.VoteStatement())
	enc, err := p.Encode()
	require.NoError(t, err)
	back, err := ParseParams(enc)
	require.NoError(t, err)
	require.True(t, ParamsEqual(p, back))
	require.True(t, back.Secret.Key.Equal(p.Secret.Key))
	open := testParams()
	oenc, err := open.Encode()
	require.NoError(t, err)
	require.Equal(t, byte(4), oenc[len(ParamsMagic)], "open parameters are version 4")
	require.Equal(t, byte(5), enc[len(ParamsMagic)], "secret parameters are version 5")
	d1, _ := p.Digest()
	q := testSecretParams(t) // another key generation
	d2, _ := q.Digest()
	require.NotEqual(t, d1, d2, "the election key is in the digest")

	other, _ := runDKG(t, 3, 2)
	for name, m := range map[string]func(p *Params){
		"another key generation's key": func(p *Params) { p.Secret.Key = other.PublicKey },
		"a tally key":                  func(p *Params) { p.TallyKey = testPin(2) },
		"threshold 0":                  func(p *Params) { p.Secret.Threshold = 0 },
		"threshold above n":            func(p *Params) { p.Secret.Threshold = 4 },
		"pack 3":                       func(p *Params) { p.Secret.Pack = 3 },
		"pack -1":                      func(p *Params) { p.Secret.Pack = -1 },
		"identity key":                 func(p *Params) { p.Secret.Key = trustee.Identity() },
		"identity share":               func(p *Params) { p.Secret.Shares[1] = trustee.Identity() },
		"no trustees":                  func(p *Params) { p.Secret.Shares = nil },
		"65 trustees":                  func(p *Params) { p.Secret.Shares = make([]trustee.Point, 65) },
		"search too large":             func(p *Params) { p.Census[1].Size = 1 << 21 },
		"total beyond 2^32":            func(p *Params) { p.Secret.Pack = 1; p.Census[1].Size = 1 << 30; p.Rules = Budget(8, 8) },
		"quadratic too large":          func(p *Params) { p.Census[1].Size = 1 << 16; p.Rules = Quadratic(10000) },
		"zero share (no init)":         func(p *Params) { p.Secret.Shares[0] = trustee.Point{} },
	} {
		q := testSecretParams(t)
		m(q)
		require.Error(t, q.Validate(), name)
		_, err := q.Encode()
		require.Error(t, err, name)
	}
	// Packing one option per ciphertext admits what two do not.
	q = testSecretParams(t)
	q.Census[1].Size = 1 << 21
	q.Secret.Pack = 1
	require.NoError(t, q.Validate())
	require.Equal(t, uint64(1<<21), q.MaxOptionTotal().Uint64())
	q.Rules = Quadratic(10000)
	require.Equal(t, uint64(100<<21), q.MaxOptionTotal().Uint64())

	// Decoding: a truncated or altered secret section is refused.
	for i := len(enc) - 100; i < len(enc); i += 7 {
		_, err := ParseParams(enc[:i])
		require.ErrorIs(t, err, ErrMalformedParams)
	}
	bad := bytes.Clone(enc)
	bad[len(bad)-1] ^= 1 // the last verification share
	_, err = ParseParams(bad)
	require.ErrorIs(t, err, ErrMalformedParams)
}

// TestSecretConcurrentRevotes: one citizen's ballots submitted at once in
// any order leave a consistent box: each accepted ballot had a counter
// above every ballot accepted before it, one voter is counted, and the
// box's encrypted sum is the audit's, which counts the highest accepted.
func TestSecretConcurrentRevotes(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	box := openSecretBox(t, w, t.TempDir())
	var ballots []*Ballot
	for c := uint64(1); c <= 4; c++ {
		ballots = append(ballots, secretBallotOf(t, w, 7, int(c)%3, c))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var accepted []uint64
	for _, b := range ballots {
		wg.Go(func() {
			r, err := box.Submit(ctx, b.Bytes())
			if err != nil {
				require.ErrorIs(t, err, ErrStaleBallot)
				return
			}
			mu.Lock()
			accepted = append(accepted, r.Counter)
			mu.Unlock()
		})
	}
	wg.Wait()
	res := box.Results()
	require.Equal(t, uint64(1), res.Voters)
	require.Equal(t, uint64(len(accepted)), res.Ballots)
	require.Contains(t, accepted, uint64(4), "the highest counter is never stale")
	require.NoError(t, box.End())
	log := exportLog(t, box)
	got, err := AuditSecret(ctx, w.params, w.keys.VerifyingKey(), log, shareBytes(t, w, log, 1, 2, 3))
	require.NoError(t, err)
	require.Equal(t, []uint64{0, 1, 0}, got.Totals, "counter 4 voted option 1")
	requireSameSum(t, res.Encrypted, got.Encrypted, "the box's sum is the audit's")
}
