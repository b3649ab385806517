package trustee

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/netstate/zkvote/internal/sealed"
	"github.com/netstate/zkvote/membership"
)

// The files of a key generation. Each is strict and canonical: one
// encoding per value, its exact length fixed by its header, nothing
// trailing.
//
//	setup:          "ZKVTSETP" | version 1 | t (1) | n (1) | n long-term keys (32 each)
//	                | context length (2, big-endian) | context
//	election key:   "ZKVTEKEY" | version 1 | t (1) | n (1) | election key (32)
//	                | n verification shares (32 each) | q (1)
//	                | q qualified dealers (1 each, strictly ascending)
//	complaint list: "ZKVTCMPS" | version 1 | complainer (1) | count (1)
//	                | count complaints ([Complaint.Bytes], strictly ascending by dealer)
//
// A trustee's secrets are sealed under a passphrase as an identity file is
// (package membership; the format is internal/sealed's): argon2id derives a
// XChaCha20-Poly1305 key, and the whole header is the associated data.
//
//	sealed secret:  magic (8) | version 1 | time (4, BE) | memory (4, BE, KiB)
//	                | threads (1) | salt (16) | nonce (24) | sealed payload
//	long-term key:  magic "ZKVTLKEY", payload secret (32)
//	key share:      magic "ZKVTKSHR", payload index (1) | secret (32)
const (
	setupMagic         = "ZKVTSETP"
	electionKeyMagic   = "ZKVTEKEY"
	complaintListMagic = "ZKVTCMPS"
	longTermKeyMagic   = "ZKVTLKEY"
	keyShareMagic      = "ZKVTKSHR"
	fileVersion        = 1

	// LongTermKeyFileSize is the exact length of a sealed long-term key.
	LongTermKeyFileSize = sealed.HeaderSize + ScalarSize + sealed.Overhead
	// KeyShareFileSize is the exact length of a sealed key share.
	KeyShareFileSize = sealed.HeaderSize + 1 + ScalarSize + sealed.Overhead
	// MaxSetupSize bounds an encoded [Setup].
	MaxSetupSize = 8 + 1 + 2 + MaxTrustees*PointSize + 2 + MaxContext
	// MaxElectionKeySize bounds an encoded [ElectionKey].
	MaxElectionKeySize = 8 + 1 + 2 + PointSize + MaxTrustees*PointSize + 1 + MaxTrustees
	// MaxComplaintListSize bounds an encoded [ComplaintList].
	MaxComplaintListSize = 8 + 1 + 2 + MaxTrustees*complaintSize
)

// Encode returns the setup's canonical encoding, for the file every trustee
// checks before the key generation. It fails for a setup that does not
// [Setup.Validate].
func (s *Setup) Encode() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	b := append([]byte(setupMagic), fileVersion, byte(s.Threshold), byte(len(s.Keys)))
	for _, k := range s.Keys {
		e := k.Bytes()
		b = append(b, e[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.Context)))
	return append(b, s.Context...), nil
}

// ParseSetup decodes a setup strictly: the exact length, every long-term
// key a canonical subgroup point, and a setup that [Setup.Validate]s.
func ParseSetup(b []byte) (*Setup, error) {
	if len(b) < 11 || len(b) > MaxSetupSize || string(b[:8]) != setupMagic || b[8] != fileVersion {
		return nil, fmt.Errorf("%w: not a key generation setup", ErrMalformed)
	}
	t, n := int(b[9]), int(b[10])
	if n < 1 || n > MaxTrustees || t < 1 || t > n {
		return nil, fmt.Errorf("%w: setup of threshold %d of %d", ErrMalformed, t, n)
	}
	off := 11 + n*PointSize
	if len(b) < off+2 {
		return nil, fmt.Errorf("%w: setup of %d bytes", ErrMalformed, len(b))
	}
	ctxLen := int(binary.BigEndian.Uint16(b[off:]))
	if ctxLen > MaxContext || len(b) != off+2+ctxLen {
		return nil, fmt.Errorf("%w: setup of %d bytes with a context of %d", ErrMalformed, len(b), ctxLen)
	}
	s := &Setup{Threshold: t, Context: bytes.Clone(b[off+2:])}
	for i := range n {
		p, err := ParsePoint(b[11+i*PointSize : 11+(i+1)*PointSize])
		if err != nil {
			return nil, fmt.Errorf("trustee: setup key of trustee %d: %w", i+1, err)
		}
		s.Keys = append(s.Keys, p)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return s, nil
}

// VerifyDeal checks that d is a deal of this key generation: well formed
// for s, from one of its trustees, signed by that trustee's long-term key
// and proving knowledge of its constant term. [LongTermKey.Check] and
// [Finish] skip deals that fail it; a trustee who was handed one learns
// why here.
func (s *Setup) VerifyDeal(d *Deal) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return checkDeal(s, d)
}

// Encode returns the election key's canonical encoding: the threshold, the
// key, every trustee's verification share and the qualified dealers (the
// others are the disqualified ones). Ignored is not encoded. It fails for
// a key that [ParseElectionKey] would refuse.
func (k *ElectionKey) Encode() ([]byte, error) {
	if k == nil {
		return nil, errors.New("trustee: no election key")
	}
	n := len(k.Verification)
	if n < 1 || n > MaxTrustees || k.Threshold < 1 || k.Threshold > n {
		return nil, fmt.Errorf("trustee: election key of threshold %d of %d trustees", k.Threshold, n)
	}
	shares := make([]Point, n)
	for j := 1; j <= n; j++ {
		vk, ok := k.Verification[j]
		if !ok {
			return nil, fmt.Errorf("trustee: election key without the verification share of trustee %d", j)
		}
		shares[j-1] = vk
	}
	if !slices.Equal(k.Disqualified, complement(n, k.Qualified)) {
		return nil, errors.New("trustee: election key whose disqualified dealers are not the ones it did not qualify")
	}
	if err := checkElectionKey(k.Threshold, k.PublicKey, shares, k.Qualified); err != nil {
		return nil, err
	}
	b := append([]byte(electionKeyMagic), fileVersion, byte(k.Threshold), byte(n))
	pk := k.PublicKey.Bytes()
	b = append(b, pk[:]...)
	for _, vk := range shares {
		e := vk.Bytes()
		b = append(b, e[:]...)
	}
	b = append(b, byte(len(k.Qualified)))
	for _, q := range k.Qualified {
		b = append(b, byte(q))
	}
	return b, nil
}

// ParseElectionKey decodes an election key strictly: the exact length,
// the key and every verification share canonical subgroup points other
// than the identity, the key and the shares on one polynomial of the
// threshold's degree ([CheckKey]), and at least the threshold of qualified
// dealers, each named once, in ascending order. Its Ignored is empty.
func ParseElectionKey(b []byte) (*ElectionKey, error) {
	if len(b) < 11 || len(b) > MaxElectionKeySize || string(b[:8]) != electionKeyMagic || b[8] != fileVersion {
		return nil, fmt.Errorf("%w: not an election key", ErrMalformed)
	}
	t, n := int(b[9]), int(b[10])
	if n < 1 || n > MaxTrustees || t < 1 || t > n {
		return nil, fmt.Errorf("%w: election key of threshold %d of %d", ErrMalformed, t, n)
	}
	off := 11 + PointSize + n*PointSize
	if len(b) < off+1 || len(b) != off+1+int(b[off]) {
		return nil, fmt.Errorf("%w: election key of %d bytes", ErrMalformed, len(b))
	}
	pk, err := ParsePoint(b[11 : 11+PointSize])
	if err != nil {
		return nil, fmt.Errorf("trustee: election key: %w", err)
	}
	shares := make([]Point, n)
	for j := range shares {
		at := 11 + PointSize + j*PointSize
		if shares[j], err = ParsePoint(b[at : at+PointSize]); err != nil {
			return nil, fmt.Errorf("trustee: election key: verification share %d: %w", j+1, err)
		}
	}
	var qualified []int
	for _, q := range b[off+1:] {
		qualified = append(qualified, int(q))
	}
	if err := checkElectionKey(t, pk, shares, qualified); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	k := &ElectionKey{Threshold: t, PublicKey: pk, Verification: map[int]Point{}, Qualified: qualified, Disqualified: complement(n, qualified)}
	for j, vk := range shares {
		k.Verification[j+1] = vk
	}
	return k, nil
}

// checkElectionKey checks what an encoded election key must satisfy.
func checkElectionKey(t int, pk Point, shares []Point, qualified []int) error {
	n := len(shares)
	if len(qualified) < t || len(qualified) > n {
		return fmt.Errorf("trustee: election key with %d qualified dealers, threshold %d of %d", len(qualified), t, n)
	}
	for i, q := range qualified {
		if q < 1 || q > n || (i > 0 && q <= qualified[i-1]) {
			return fmt.Errorf("trustee: election key's qualified dealers %v are not ascending indices in [1, %d]", qualified, n)
		}
	}
	if pk.IsIdentity() {
		return errors.New("trustee: the election key is the identity")
	}
	for j, vk := range shares {
		if vk.IsIdentity() {
			return fmt.Errorf("trustee: the verification share of trustee %d is the identity", j+1)
		}
	}
	return CheckKey(t, pk, shares)
}

// complement returns the indices in [1, n] not in sorted, ascending; nil
// if none.
func complement(n int, sorted []int) []int {
	var out []int
	for i := 1; i <= n; i++ {
		if !slices.Contains(sorted, i) {
			out = append(out, i)
		}
	}
	return out
}

// ComplaintList is one trustee's second-round message: its complaints,
// perhaps none. An empty list says that every deal the trustee checked
// gave it a good share; like a complaint, the list is not signed, and
// only the complaints in it, each proven, count in [Finish].
type ComplaintList struct {
	Complainer int          // the trustee's index, from 1
	Complaints []*Complaint // each by Complainer, at most one per dealer
}

// Encode returns the list's canonical encoding, its complaints in the
// order of their dealers. It fails for a list with a nil complaint, a
// complaint by another trustee, or two against one dealer.
func (l *ComplaintList) Encode() ([]byte, error) {
	if l == nil || checkIndex(l.Complainer) != nil || len(l.Complaints) > MaxTrustees {
		return nil, errors.New("trustee: not a complaint list of one trustee")
	}
	cs := slices.Clone(l.Complaints)
	for _, c := range cs {
		if c == nil || c.Complainer != l.Complainer || checkIndex(c.Dealer) != nil {
			return nil, fmt.Errorf("trustee: a complaint in trustee %d's list is not its own", l.Complainer)
		}
	}
	slices.SortFunc(cs, func(a, b *Complaint) int { return a.Dealer - b.Dealer })
	b := append([]byte(complaintListMagic), fileVersion, byte(l.Complainer), byte(len(cs)))
	for i, c := range cs {
		if i > 0 && c.Dealer == cs[i-1].Dealer {
			return nil, fmt.Errorf("trustee: two complaints by trustee %d against trustee %d", l.Complainer, c.Dealer)
		}
		b = append(b, c.Bytes()...)
	}
	return b, nil
}

// ParseComplaintList decodes a complaint list strictly: every complaint as
// [ParseComplaint] decodes it, each by the list's complainer, their
// dealers strictly ascending. Whether a complaint belongs to a given key
// generation, and whether it is upheld, is decided where it is used
// ([Setup.Judge], [Finish]).
func ParseComplaintList(b []byte) (*ComplaintList, error) {
	if len(b) < 11 || len(b) > MaxComplaintListSize || string(b[:8]) != complaintListMagic || b[8] != fileVersion {
		return nil, fmt.Errorf("%w: not a complaint list", ErrMalformed)
	}
	l := &ComplaintList{Complainer: int(b[9])}
	count := int(b[10])
	if checkIndex(l.Complainer) != nil || count > MaxTrustees || len(b) != 11+count*complaintSize {
		return nil, fmt.Errorf("%w: complaint list of trustee %d with %d complaints in %d bytes", ErrMalformed, l.Complainer, count, len(b))
	}
	for i := range count {
		c, err := ParseComplaint(b[11+i*complaintSize : 11+(i+1)*complaintSize])
		if err != nil {
			return nil, fmt.Errorf("trustee: complaint %d of trustee %d's list: %w", i, l.Complainer, err)
		}
		if c.Complainer != l.Complainer || (i > 0 && c.Dealer <= l.Complaints[i-1].Dealer) {
			return nil, fmt.Errorf("%w: complaint %d of trustee %d's list is by %d against %d, out of place", ErrMalformed, i, l.Complainer, c.Complainer, c.Dealer)
		}
		l.Complaints = append(l.Complaints, c)
	}
	return l, nil
}

// ErrDecrypt is returned when a sealed long-term key or key share does not
// open: the passphrase is wrong or the file was altered. The two cannot be
// told apart.
var ErrDecrypt = errors.New("trustee: wrong passphrase or tampered key file")

// Encrypt seals the long-term key under passphrase, as
// membership.Identity.Encrypt seals an identity (argon2id,
// XChaCha20-Poly1305), and returns the file, [LongTermKeyFileSize] bytes. A
// nil params means membership.DefaultKDFParams; params above
// membership.DefaultKDFLimit are refused, so that every file opens with
// [DecryptLongTermKey].
func (k *LongTermKey) Encrypt(passphrase []byte, params *membership.KDFParams) ([]byte, error) {
	if k == nil || k.Secret.IsZero() {
		return nil, errors.New("trustee: no long-term key to seal")
	}
	b := k.Secret.Bytes()
	return sealSecret(longTermKeyMagic, b[:], passphrase, params)
}

// DecryptLongTermKey opens a file written by [LongTermKey.Encrypt]. A file
// of the wrong length, magic or version, or with argon2id parameters out of
// bounds, returns an error wrapping [ErrMalformed]; parameters above
// membership.DefaultKDFLimit one wrapping membership.ErrKDFLimit, before
// any key derivation; a wrong passphrase or any altered byte [ErrDecrypt].
//
// # Cost
//
// It runs argon2id once, with the file's parameters (by default 3 passes
// over 64 MiB).
func DecryptLongTermKey(data, passphrase []byte) (*LongTermKey, error) {
	b, err := openSecret(longTermKeyMagic, LongTermKeyFileSize, data, passphrase)
	if err != nil {
		return nil, err
	}
	s, err := ParseScalar(b)
	if err != nil || s.IsZero() {
		return nil, ErrDecrypt // authentic bytes that are no key: never written by Encrypt
	}
	return &LongTermKey{Secret: s}, nil
}

// Encrypt seals the key share under passphrase, as [LongTermKey.Encrypt]
// seals a long-term key, and returns the file, [KeyShareFileSize] bytes.
func (k *KeyShare) Encrypt(passphrase []byte, params *membership.KDFParams) ([]byte, error) {
	if k == nil || checkIndex(k.Index) != nil {
		return nil, errors.New("trustee: no key share to seal")
	}
	b := k.Secret.Bytes()
	return sealSecret(keyShareMagic, append([]byte{byte(k.Index)}, b[:]...), passphrase, params)
}

// DecryptKeyShare opens a file written by [KeyShare.Encrypt], with the
// errors and cost of [DecryptLongTermKey].
func DecryptKeyShare(data, passphrase []byte) (*KeyShare, error) {
	b, err := openSecret(keyShareMagic, KeyShareFileSize, data, passphrase)
	if err != nil {
		return nil, err
	}
	s, err := ParseScalar(b[1:])
	if err != nil || checkIndex(int(b[0])) != nil {
		return nil, ErrDecrypt
	}
	return &KeyShare{Index: int(b[0]), Secret: s}, nil
}

// kdfParams returns p's argon2id parameters if a sealed file may use them:
// argon2's minimums, and at most membership.DefaultKDFLimit (which also
// bounds the memory and time a crafted header can ask for).
func kdfParams(p membership.KDFParams) error {
	limit := membership.DefaultKDFLimit()
	switch {
	case p.Time < 1 || p.Threads < 1 || p.Memory < 8*uint32(p.Threads):
		return fmt.Errorf("%w: argon2id time %d, memory %d KiB, threads %d below argon2's minimums", ErrMalformed, p.Time, p.Memory, p.Threads)
	case p.Time > limit.Time || p.Memory > limit.Memory || p.Threads > limit.Threads:
		return fmt.Errorf("trustee: argon2id time %d, memory %d KiB, threads %d; the limit is time %d, memory %d KiB, threads %d: %w",
			p.Time, p.Memory, p.Threads, limit.Time, limit.Memory, limit.Threads, membership.ErrKDFLimit)
	}
	return nil
}

// sealSecret writes a sealed file of payload under passphrase.
func sealSecret(magic string, payload, passphrase []byte, params *membership.KDFParams) ([]byte, error) {
	p := membership.DefaultKDFParams()
	if params != nil {
		p = *params
	}
	if err := kdfParams(p); err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, errors.New("trustee: empty passphrase")
	}
	out, err := sealed.Seal(magic, fileVersion, sealed.KDF(p), passphrase, payload)
	if err != nil {
		return nil, fmt.Errorf("trustee: %v", err)
	}
	return out, nil
}

// openSecret opens a sealed file of the given magic and size.
func openSecret(magic string, size int, data, passphrase []byte) ([]byte, error) {
	if len(data) != size {
		return nil, fmt.Errorf("%w: not a sealed %s file of version %d", ErrMalformed, sealedName(magic), fileVersion)
	}
	m, version, kdf, err := sealed.Header(data)
	if err != nil || m != magic || version != fileVersion {
		return nil, fmt.Errorf("%w: not a sealed %s file of version %d", ErrMalformed, sealedName(magic), fileVersion)
	}
	if err := kdfParams(membership.KDFParams(kdf)); err != nil {
		return nil, err
	}
	b, err := sealed.Open(data, passphrase)
	if errors.Is(err, sealed.ErrOpen) {
		return nil, ErrDecrypt
	}
	if err != nil {
		return nil, fmt.Errorf("trustee: %v", err)
	}
	return b, nil
}

func sealedName(magic string) string {
	if magic == keyShareMagic {
		return "key share"
	}
	return "long-term key"
}
