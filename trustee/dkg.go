package trustee

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"
)

// LongTermKey is a trustee's long-term key pair: Secret and Secret·G. Shares
// are encrypted to it and complaints are proven with it.
type LongTermKey struct {
	Secret Scalar
}

// GenerateLongTermKey draws a key from r (crypto/rand if nil).
func GenerateLongTermKey(r io.Reader) (*LongTermKey, error) {
	s, err := RandomScalar(r)
	if err != nil {
		return nil, err
	}
	return &LongTermKey{Secret: s}, nil
}

// Public returns the public key Secret·G.
func (k *LongTermKey) Public() Point { return BaseMul(k.Secret) }

// Setup is what every trustee agrees on before the key generation: the
// threshold, the trustees' long-term public keys in order (trustee i is
// Keys[i−1]), and a context naming the election, so messages of one key
// generation are never accepted in another.
type Setup struct {
	Threshold int
	Keys      []Point
	Context   []byte
}

// MaxContext bounds the length of a Setup's context.
const MaxContext = 1024

// Validate checks 1 ≤ Threshold ≤ n ≤ MaxTrustees, that the keys are
// distinct and none is the identity, and the context's length.
func (s *Setup) Validate() error {
	n := len(s.Keys)
	if n < 1 || n > MaxTrustees || s.Threshold < 1 || s.Threshold > n {
		return fmt.Errorf("trustee: threshold %d of %d trustees (want 1 ≤ t ≤ n ≤ %d)", s.Threshold, n, MaxTrustees)
	}
	if len(s.Context) > MaxContext {
		return fmt.Errorf("trustee: context of %d bytes, at most %d", len(s.Context), MaxContext)
	}
	seen := map[[PointSize]byte]bool{}
	for i, k := range s.Keys {
		b := k.Bytes()
		if k.IsIdentity() || seen[b] {
			return fmt.Errorf("trustee: long-term key of trustee %d is the identity or repeated", i+1)
		}
		seen[b] = true
	}
	return nil
}

// digest binds every message to the setup.
func (s *Setup) digest() [32]byte {
	h := sha256.New()
	h.Write([]byte("zkvote/trustee/setup/v1"))
	h.Write([]byte{byte(s.Threshold), byte(len(s.Keys))})
	for _, k := range s.Keys {
		b := k.Bytes()
		h.Write(b[:])
	}
	h.Write(binary.BigEndian.AppendUint16(nil, uint16(len(s.Context))))
	h.Write(s.Context)
	return [32]byte(h.Sum(nil))
}

// index returns the trustee index of long-term key k in s, or an error.
func (s *Setup) index(k *LongTermKey) (int, error) {
	pub := k.Public()
	for i, p := range s.Keys {
		if p.Equal(pub) {
			return i + 1, nil
		}
	}
	return 0, errors.New("trustee: this long-term key is not one of the setup's trustees")
}

// Deal is a dealer's first-round message.
type Deal struct {
	Dealer int // 1 … n
	// Ephemeral is E = e·G for a fresh e of this deal: share j is sealed
	// under a key derived from e·L_j, so a complaint, which reveals
	// x_j·E, opens this one share and nothing dealt in another deal or
	// key generation.
	Ephemeral   Point
	Commitments []Point // a_k·G for the t coefficients, constant first
	// Knowledge is a Schnorr proof of knowledge of a_0, the discrete log of
	// Commitments[0], bound to the setup and the dealer: without it a
	// dealer who speaks last could pick its constant commitment as
	// x·G − Σ the others' and, when there are fewer than t honest
	// trustees (n < 2t − 1), fix the election key to one whose secret x
	// it knows (a rogue-key attack).
	Knowledge DLEQProof
	Shares    [][]byte // Shares[j−1]: f(j) sealed to trustee j
	// Signature is the dealer's Schnorr signature, under its long-term
	// key, of the deal's encoding without it: nobody else can deal, or
	// equivocate, in its name.
	Signature DLEQProof
	setup     [32]byte // the setup's digest, as encoded
}

// sealedShareSize is the size of one sealed share: a scalar and the AEAD tag.
const sealedShareSize = ScalarSize + chacha20poly1305.Overhead

// shareKey derives the AEAD key of the dealer→recipient share from the
// deal's ephemeral point E and their Diffie–Hellman point e·L_j = x_j·E.
func shareKey(setup [32]byte, dealer, recipient int, eph, dh Point) []byte {
	e, b := eph.Bytes(), dh.Bytes()
	h := sha256.New()
	h.Write([]byte("zkvote/trustee/share/v2"))
	h.Write(setup[:])
	h.Write([]byte{byte(dealer), byte(recipient)})
	h.Write(e[:])
	h.Write(b[:])
	return h.Sum(nil)
}

// knowledgeMessage is what a deal's proof of knowledge of a_0 is bound to.
func knowledgeMessage(setup [32]byte, dealer int) []byte {
	return append([]byte("zkvote/trustee/knowledge/v1;"), append(setup[:], byte(dealer))...)
}

// shareAD is the AEAD's associated data: the setup and the pair.
func shareAD(setup [32]byte, dealer, recipient int) []byte {
	return append(bytes.Clone(setup[:]), byte(dealer), byte(recipient))
}

// seal encrypts share under key. Each key seals exactly one message (it
// depends on the deal's fresh ephemeral point and the pair), so the nonce
// is fixed.
func seal(key []byte, share Scalar, ad []byte) []byte {
	aead, _ := chacha20poly1305.New(key) // 32-byte key: cannot fail
	b := share.Bytes()
	return aead.Seal(nil, make([]byte, chacha20poly1305.NonceSize), b[:], ad)
}

// open decrypts a sealed share; it fails for a wrong key, a damaged box or a
// scalar not below l.
func open(key, sealed, ad []byte) (Scalar, error) {
	aead, _ := chacha20poly1305.New(key)
	b, err := aead.Open(nil, make([]byte, chacha20poly1305.NonceSize), sealed, ad)
	if err != nil {
		return Scalar{}, errors.New("trustee: the share does not decrypt")
	}
	return ParseScalar(b)
}

// Deal draws the trustee's random polynomial and returns its first-round
// message, with randomness from r (crypto/rand if nil). k must be one of
// the setup's keys.
func (k *LongTermKey) Deal(s *Setup, r io.Reader) (*Deal, error) {
	return k.deal(s, r, nil)
}

// deal is Deal; tests pass tamper to deal a chosen share to a trustee, as a
// cheating dealer would, through the same code.
func (k *LongTermKey) deal(s *Setup, r io.Reader, tamper func(j int, share Scalar) Scalar) (*Deal, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	me, err := s.index(k)
	if err != nil {
		return nil, err
	}
	coef := make([]Scalar, s.Threshold)
	for i := range coef {
		if coef[i], err = RandomScalar(r); err != nil {
			return nil, err
		}
	}
	eph, err := RandomScalar(r)
	if err != nil {
		return nil, err
	}
	d := &Deal{Dealer: me, Ephemeral: BaseMul(eph), setup: s.digest()}
	for _, a := range coef {
		d.Commitments = append(d.Commitments, BaseMul(a))
	}
	if d.Knowledge, err = sign(coef[0], knowledgeMessage(d.setup, me), r); err != nil {
		return nil, err
	}
	for j, pub := range s.Keys {
		share := evalPoly(coef, j+1)
		if tamper != nil {
			share = tamper(j+1, share)
		}
		key := shareKey(d.setup, me, j+1, d.Ephemeral, pub.Mul(eph))
		d.Shares = append(d.Shares, seal(key, share, shareAD(d.setup, me, j+1)))
	}
	if d.Signature, err = sign(k.Secret, d.signed(), r); err != nil {
		return nil, err
	}
	return d, nil
}

// Sign replaces d's signature with k's over d as it now stands, k being
// the key of d's dealer in s. A deal is signed when it is made; Sign is for
// a dealer that changes its deal afterwards, as a demonstration of a
// cheating dealer does (change a sealed share, re-sign: the recipient's
// complaint is then upheld and the dealer disqualified). Nobody but the
// dealer can sign its deals.
func (k *LongTermKey) Sign(s *Setup, d *Deal, r io.Reader) error {
	if err := s.Validate(); err != nil {
		return err
	}
	me, err := s.index(k)
	if err != nil {
		return err
	}
	if d == nil || d.Dealer != me || d.setup != s.digest() {
		return errors.New("trustee: the deal is not this trustee's in this setup")
	}
	d.Signature, err = sign(k.Secret, d.signed(), r)
	return err
}

// evalPoly returns Σ coef_k·x^k mod l.
func evalPoly(coef []Scalar, x int) Scalar {
	y, pow, xs := NewScalar(0), NewScalar(1), NewScalar(uint64(x))
	for _, a := range coef {
		y = y.Add(a.Mul(pow))
		pow = pow.Mul(xs)
	}
	return y
}

// commitmentAt returns Σ A_k·x^k: the point a share f(x) must match.
func commitmentAt(commitments []Point, x int) Point {
	acc, pow, xs := Identity(), NewScalar(1), NewScalar(uint64(x))
	for _, a := range commitments {
		acc = acc.Add(a.Mul(pow))
		pow = pow.Mul(xs)
	}
	return acc
}

// checkDeal checks that d is a well-formed deal for s.
func checkDeal(s *Setup, d *Deal) error {
	switch {
	case d == nil:
		return fmt.Errorf("%w: nil deal", ErrMalformed)
	case d.setup != s.digest():
		return fmt.Errorf("%w: deal of trustee %d is for another key generation", ErrMalformed, d.Dealer)
	case d.Dealer < 1 || d.Dealer > len(s.Keys):
		return fmt.Errorf("%w: deal from unknown trustee %d", ErrMalformed, d.Dealer)
	case len(d.Commitments) != s.Threshold || len(d.Shares) != len(s.Keys):
		return fmt.Errorf("%w: deal of trustee %d has %d commitments and %d shares", ErrMalformed, d.Dealer, len(d.Commitments), len(d.Shares))
	}
	for _, sh := range d.Shares {
		if len(sh) != sealedShareSize {
			return fmt.Errorf("%w: deal of trustee %d has a share of %d bytes", ErrMalformed, d.Dealer, len(sh))
		}
	}
	if err := verifySig(s.Keys[d.Dealer-1], d.signed(), d.Signature); err != nil {
		return fmt.Errorf("trustee: deal of trustee %d is not signed by it: %w", d.Dealer, err)
	}
	if err := verifySig(d.Commitments[0], knowledgeMessage(d.setup, d.Dealer), d.Knowledge); err != nil {
		return fmt.Errorf("trustee: deal of trustee %d does not prove knowledge of its constant term: %w", d.Dealer, err)
	}
	if d.Ephemeral.IsIdentity() {
		return fmt.Errorf("%w: deal of trustee %d has the identity as ephemeral point", ErrMalformed, d.Dealer)
	}
	return nil
}

// receive decrypts and checks the share d deals to trustee me.
func receive(s *Setup, k *LongTermKey, me int, d *Deal) (Scalar, error) {
	key := shareKey(d.setup, d.Dealer, me, d.Ephemeral, d.Ephemeral.Mul(k.Secret))
	share, err := open(key, d.Shares[me-1], shareAD(d.setup, d.Dealer, me))
	if err != nil {
		return Scalar{}, err
	}
	if !BaseMul(share).Equal(commitmentAt(d.Commitments, me)) {
		return Scalar{}, errors.New("trustee: the share does not match the dealer's commitments")
	}
	return share, nil
}

// Complaint accuses a dealer of dealing the complainer a share that does
// not decrypt or does not match the dealer's commitments. It reveals the
// Diffie–Hellman point DH = x_complainer·E of the deal's ephemeral point E,
// with a proof that log_G(L_complainer) = log_E(DH), so anyone can open the
// disputed share, and only that one, and judge ([Setup.Judge]).
type Complaint struct {
	Dealer, Complainer int
	DH                 Point
	Proof              DLEQProof
	setup              [32]byte
}

// Check decrypts and checks every share dealt to this trustee, and returns
// a complaint against each dealer whose share is bad. Deals that are not
// well formed for s, or not signed by their dealer, are skipped: they
// cannot be complained about, and [Finish] ignores them too.
func (k *LongTermKey) Check(s *Setup, deals []*Deal, r io.Reader) ([]*Complaint, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	me, err := s.index(k)
	if err != nil {
		return nil, err
	}
	var out []*Complaint
	for _, d := range deals {
		if checkDeal(s, d) != nil {
			continue
		}
		if _, err := receive(s, k, me, d); err == nil {
			continue
		}
		dh := d.Ephemeral.Mul(k.Secret)
		proof, err := ProveDLEQ(k.Secret, d.Ephemeral, complaintContext(s.digest(), d.Dealer, me), r)
		if err != nil {
			return nil, err
		}
		out = append(out, &Complaint{Dealer: d.Dealer, Complainer: me, DH: dh, Proof: proof, setup: s.digest()})
	}
	return out, nil
}

func complaintContext(setup [32]byte, dealer, complainer int) []byte {
	return append([]byte("complaint;"), shareAD(setup, dealer, complainer)...)
}

// Judge decides a complaint against deal d (the accused dealer's): it
// returns true if the complaint is upheld (its proof verifies and the
// disputed share does not decrypt or does not match the commitments), false
// if the share is good, and an error if the complaint itself is malformed
// or unproven, which dismisses it.
func (s *Setup) Judge(c *Complaint, d *Deal) (bool, error) {
	if err := s.Validate(); err != nil {
		return false, err
	}
	if err := checkDeal(s, d); err != nil {
		return false, err
	}
	switch {
	case c == nil:
		return false, fmt.Errorf("%w: nil complaint", ErrMalformed)
	case c.setup != s.digest():
		return false, fmt.Errorf("%w: complaint is for another key generation", ErrMalformed)
	case c.Dealer != d.Dealer || c.Complainer < 1 || c.Complainer > len(s.Keys):
		return false, fmt.Errorf("%w: complaint by %d against %d", ErrMalformed, c.Complainer, c.Dealer)
	}
	complainerKey := s.Keys[c.Complainer-1]
	if err := VerifyDLEQ(c.Proof, d.Ephemeral, complainerKey, c.DH, complaintContext(c.setup, c.Dealer, c.Complainer)); err != nil {
		return false, fmt.Errorf("trustee: complaint by %d against %d: %w", c.Complainer, c.Dealer, err)
	}
	key := shareKey(d.setup, d.Dealer, c.Complainer, d.Ephemeral, c.DH)
	share, err := open(key, d.Shares[c.Complainer-1], shareAD(d.setup, d.Dealer, c.Complainer))
	if err != nil {
		return true, nil
	}
	return !BaseMul(share).Equal(commitmentAt(d.Commitments, c.Complainer)), nil
}

// ElectionKey is the outcome of a key generation: the election public key,
// every trustee's verification share, and who was qualified.
type ElectionKey struct {
	Threshold    int
	PublicKey    Point
	Verification map[int]Point // trustee index → s_j·G
	Qualified    []int         // dealers whose polynomials make up the key, ascending
	Disqualified []int         // dealers with an upheld complaint, two different deals or none
	// Ignored says why each message that was not taken into account was
	// ignored: a deal or complaint that is malformed, for another key
	// generation, not signed or proven by its author, or a complaint that
	// was dismissed because the disputed share is good.
	Ignored []error
}

// ErrTooFewQualified is returned when fewer than the threshold of dealers
// remain qualified.
var ErrTooFewQualified = errors.New("trustee: fewer qualified dealers than the threshold")

// Finish computes the election key from the published deals and
// complaints, whatever a channel delivered: messages that are malformed,
// for another key generation, or not signed or proven by their author are
// ignored (ElectionKey.Ignored says why), so nobody can disqualify a dealer
// by posting in its name. A dealer is disqualified if it published no
// valid deal, two different deals, or a deal with an upheld complaint. At
// least the threshold of dealers must remain.
func Finish(s *Setup, deals []*Deal, complaints []*Complaint) (*ElectionKey, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	n := len(s.Keys)
	byDealer := map[int]*Deal{}
	bad := map[int]bool{}
	var ignored []error
	for _, d := range deals {
		if err := checkDeal(s, d); err != nil {
			ignored = append(ignored, err)
			continue
		}
		if prev, ok := byDealer[d.Dealer]; ok && !bytes.Equal(prev.Bytes(), d.Bytes()) {
			bad[d.Dealer] = true // equivocation
		}
		byDealer[d.Dealer] = d
	}
	for _, c := range complaints {
		if c == nil {
			ignored = append(ignored, fmt.Errorf("%w: nil complaint", ErrMalformed))
			continue
		}
		d, ok := byDealer[c.Dealer]
		if !ok || bad[c.Dealer] {
			continue // no deal to judge: already out
		}
		upheld, err := s.Judge(c, d)
		switch {
		case err != nil:
			ignored = append(ignored, err)
		case upheld:
			bad[c.Dealer] = true
		default:
			ignored = append(ignored, fmt.Errorf("trustee: complaint by %d against %d dismissed: the share is good", c.Complainer, c.Dealer))
		}
	}
	key := &ElectionKey{Threshold: s.Threshold, PublicKey: Identity(), Verification: map[int]Point{}, Ignored: ignored}
	for i := 1; i <= n; i++ {
		if _, ok := byDealer[i]; !ok || bad[i] {
			key.Disqualified = append(key.Disqualified, i)
			continue
		}
		key.Qualified = append(key.Qualified, i)
	}
	if len(key.Qualified) < s.Threshold {
		return nil, fmt.Errorf("%w: %d of %d qualified (disqualified: %v)", ErrTooFewQualified, len(key.Qualified), s.Threshold, key.Disqualified)
	}
	for _, i := range key.Qualified {
		key.PublicKey = key.PublicKey.Add(byDealer[i].Commitments[0])
	}
	for j := 1; j <= n; j++ {
		vk := Identity()
		for _, i := range key.Qualified {
			vk = vk.Add(commitmentAt(byDealer[i].Commitments, j))
		}
		key.Verification[j] = vk
	}
	if key.PublicKey.IsIdentity() {
		return nil, errors.New("trustee: the election key is the identity")
	}
	return key, nil
}

// Share returns this trustee's secret share of the election key: the sum
// of the shares the qualified dealers dealt it. It checks the result
// against the trustee's verification share in key.
func (k *LongTermKey) Share(s *Setup, deals []*Deal, key *ElectionKey) (*KeyShare, error) {
	me, err := s.index(k)
	if err != nil {
		return nil, err
	}
	sum := NewScalar(0)
	for _, i := range key.Qualified {
		idx := slices.IndexFunc(deals, func(d *Deal) bool { return d != nil && d.Dealer == i && checkDeal(s, d) == nil })
		if idx < 0 {
			return nil, fmt.Errorf("trustee: no deal from qualified dealer %d", i)
		}
		share, err := receive(s, k, me, deals[idx])
		if err != nil {
			// Possible only if this trustee did not complain in time.
			return nil, fmt.Errorf("trustee: share from qualified dealer %d: %w", i, err)
		}
		sum = sum.Add(share)
	}
	out := &KeyShare{Index: me, Secret: sum}
	if !out.VerificationShare().Equal(key.Verification[me]) {
		return nil, errors.New("trustee: the share does not match the verification share")
	}
	return out, nil
}

const sigTag = "zkvote/trustee/signature/v1"

// sign returns a Schnorr signature (c, z) of msg under secret x: with
// R = r·G, c = H(tag, X, R, msg) and z = r + c·x. It reuses the proof
// encoding of [DLEQProof].
func sign(x Scalar, msg []byte, r io.Reader) (DLEQProof, error) {
	nonce, err := RandomScalar(r)
	if err != nil {
		return DLEQProof{}, err
	}
	pub, R := BaseMul(x).Bytes(), BaseMul(nonce).Bytes()
	c := challenge(sigTag, pub[:], R[:], msg)
	return DLEQProof{C: c, Z: nonce.Add(c.Mul(x))}, nil
}

// verifySig checks a signature from sign: R = z·G − c·X, then c.
func verifySig(pub Point, msg []byte, sig DLEQProof) error {
	R := BaseMul(sig.Z).Sub(pub.Mul(sig.C)).Bytes()
	pb := pub.Bytes()
	if !challenge(sigTag, pb[:], R[:], msg).Equal(sig.C) {
		return ErrInvalidProof
	}
	return nil
}

// signed returns what a deal's signature covers: its encoding without the
// signature.
func (d *Deal) signed() []byte { return d.unsignedBytes() }
