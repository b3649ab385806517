package membership

import (
	"errors"
	"fmt"

	"github.com/netstate/zkvote/internal/sealed"
)

// KDFParams are the argon2id parameters that protect a saved identity.
type KDFParams struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultKDFParams are RFC 9106's second recommended option (t = 3,
// m = 64 MiB, p = 4), suitable for a phone or laptop (the README's benchmark
// table gives its cost, IdentityFile/op=encrypt).
func DefaultKDFParams() KDFParams { return KDFParams{Time: 3, Memory: 64 * 1024, Threads: 4} }

// DefaultKDFLimit returns the ceiling [DecryptIdentity] puts on the argon2id
// parameters an identity file asks for: four times [DefaultKDFParams]' passes,
// memory and threads (12 passes over 256 MiB, 16 threads: about sixteen
// times the work of the default). Files written with
// DefaultKDFParams, or a little more, open; a file asking for more is
// refused before any work.
func DefaultKDFLimit() KDFParams {
	d := DefaultKDFParams()
	return KDFParams{Time: 4 * d.Time, Memory: 4 * d.Memory, Threads: 4 * d.Threads}
}

// ErrKDFLimit is returned, wrapped, for a well-formed identity file whose
// argon2id parameters exceed the decrypting caller's limit: the file, not
// the reader, would choose how much memory and time to spend.
var ErrKDFLimit = errors.New("membership: identity file asks for more argon2id work than allowed")

// within reports whether every parameter of p is at most limit's.
func (p KDFParams) within(limit KDFParams) bool {
	return p.Time <= limit.Time && p.Memory <= limit.Memory && p.Threads <= limit.Threads
}

// Absolute bounds on KDF parameters, whatever the caller's limit: a crafted
// header must not make the reader spend unbounded memory or time.
const (
	maxKDFMemory = 4 * 1024 * 1024 // KiB: 4 GiB
	maxKDFTime   = 64
	minKDFMemory = 8 // KiB, argon2's minimum of 8 per thread is checked too
)

func (p KDFParams) check() error {
	if p.Time < 1 || p.Time > maxKDFTime {
		return fmt.Errorf("membership: argon2id time %d outside [1, %d]", p.Time, maxKDFTime)
	}
	if p.Threads < 1 {
		return errors.New("membership: argon2id needs at least one thread")
	}
	if p.Memory < minKDFMemory || p.Memory < 8*uint32(p.Threads) || p.Memory > maxKDFMemory {
		return fmt.Errorf("membership: argon2id memory %d KiB outside [%d, %d]", p.Memory, 8*uint32(p.Threads), maxKDFMemory)
	}
	return nil
}

// The identity file (internal/sealed's format): a fixed header,
// authenticated as associated data, then the sealed seed.
//
//	magic   "ZKVOTEID" (8)
//	version 1          (1)
//	time    uint32 BE  (4)
//	memory  uint32 BE  (4, KiB)
//	threads uint8      (1)
//	salt               (16)
//	nonce              (24, XChaCha20-Poly1305)
//	sealed seed        (32 + 16)
const (
	idMagic   = "ZKVOTEID"
	idVersion = 1
	// IdentityFileSize is the exact length of a saved identity.
	IdentityFileSize = sealed.HeaderSize + SeedSize + sealed.Overhead
)

// ErrDecrypt is returned when a saved identity does not open: the passphrase
// is wrong or the file was altered. The two cannot be told apart.
var ErrDecrypt = errors.New("membership: wrong passphrase or tampered identity file")

// ErrMalformedIdentityFile is returned for a file that is not a zkvote
// identity of a known version.
var ErrMalformedIdentityFile = errors.New("membership: malformed identity file")

// Encrypt seals the identity's seed under passphrase with argon2id and
// XChaCha20-Poly1305 and returns the file contents, [IdentityFileSize] bytes.
// A nil params means [DefaultKDFParams]. A file written with parameters
// above [DefaultKDFLimit] opens only with [DecryptIdentityWithLimit].
func (id *Identity) Encrypt(passphrase []byte, params *KDFParams) ([]byte, error) {
	p := DefaultKDFParams()
	if params != nil {
		p = *params
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, errors.New("membership: empty passphrase")
	}
	out, err := sealed.Seal(idMagic, idVersion, sealed.KDF(p), passphrase, id.seed[:])
	if err != nil {
		return nil, fmt.Errorf("membership: %v", err)
	}
	return out, nil
}

// ParseIdentityFileHeader returns the KDF parameters of a saved identity
// without deriving any key, for example to tell a user which limit
// [DecryptIdentityWithLimit] needs.
func ParseIdentityFileHeader(data []byte) (KDFParams, error) {
	if len(data) != IdentityFileSize {
		return KDFParams{}, fmt.Errorf("%w: %d bytes, want %d", ErrMalformedIdentityFile, len(data), IdentityFileSize)
	}
	magic, version, kdf, err := sealed.Header(data)
	if err != nil {
		return KDFParams{}, fmt.Errorf("%w: %v", ErrMalformedIdentityFile, err)
	}
	if magic != idMagic {
		return KDFParams{}, fmt.Errorf("%w: bad magic", ErrMalformedIdentityFile)
	}
	if version != idVersion {
		return KDFParams{}, fmt.Errorf("%w: unknown version %d", ErrMalformedIdentityFile, version)
	}
	p := KDFParams(kdf)
	if err := p.check(); err != nil {
		return KDFParams{}, fmt.Errorf("%w: %v", ErrMalformedIdentityFile, err)
	}
	return p, nil
}

// DecryptIdentity opens a file written by [Identity.Encrypt], spending at
// most [DefaultKDFLimit] on argon2id; see [DecryptIdentityWithLimit].
func DecryptIdentity(data, passphrase []byte) (*Identity, error) {
	return DecryptIdentityWithLimit(data, passphrase, nil)
}

// DecryptIdentityWithLimit opens a file written by [Identity.Encrypt]. A
// file of the wrong length, magic or version, or with KDF parameters out of
// the format's bounds, returns [ErrMalformedIdentityFile]; a file whose
// time, memory or threads exceed limit's returns [ErrKDFLimit], before any
// key derivation; a wrong passphrase or any altered byte returns
// [ErrDecrypt]. It never returns a different identity. A nil limit means
// [DefaultKDFLimit].
//
// # Cost
//
// It runs argon2id once, with the parameters in the file, which are at most
// limit's (and never more than 4 GiB of memory and 64 passes).
func DecryptIdentityWithLimit(data, passphrase []byte, limit *KDFParams) (*Identity, error) {
	p, err := ParseIdentityFileHeader(data)
	if err != nil {
		return nil, err
	}
	ceiling := DefaultKDFLimit()
	if limit != nil {
		ceiling = *limit
	}
	if !p.within(ceiling) {
		return nil, fmt.Errorf("%w: time %d, memory %d KiB, threads %d; the limit is time %d, memory %d KiB, threads %d",
			ErrKDFLimit, p.Time, p.Memory, p.Threads, ceiling.Time, ceiling.Memory, ceiling.Threads)
	}
	seed, err := sealed.Open(data, passphrase)
	if errors.Is(err, sealed.ErrOpen) {
		return nil, ErrDecrypt
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedIdentityFile, err)
	}
	return NewIdentityFromSeed(seed)
}
