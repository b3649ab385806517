// Package sealed is the passphrase-sealed file format that identity files
// (package membership) and trustees' secrets (package trustee) share:
//
//	magic (8) | version (1) | argon2id time (4, BE) | memory (4, BE, KiB)
//	| threads (1) | salt (16) | nonce (24) | XChaCha20-Poly1305(payload)
//
// argon2id derives the key from the passphrase and the salt, and the whole
// header is the associated data. This package does the mechanics only:
// each caller checks the magic, the version, the sizes and the argon2id
// parameters (against its own limits, before any key is derived) and words
// its own errors.
package sealed

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// HeaderSize is the size of the header before the sealed payload.
const HeaderSize = 8 + 1 + 4 + 4 + 1 + saltSize + chacha20poly1305.NonceSizeX

// Overhead is what sealing adds to the payload besides the header.
const Overhead = chacha20poly1305.Overhead

const (
	saltSize  = 16
	saltStart = 18
	nonceAt   = saltStart + saltSize
)

// KDF are the argon2id parameters a file records.
type KDF struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// ErrOpen is returned by Open when the passphrase is wrong or the file was
// altered; the two cannot be told apart.
var ErrOpen = errors.New("sealed: wrong passphrase or altered file")

// Seal returns the file holding payload under passphrase: magic (8 bytes),
// version, kdf, a fresh random salt and nonce, and the sealed payload. The
// caller has checked kdf and the passphrase.
func Seal(magic string, version byte, kdf KDF, passphrase, payload []byte) ([]byte, error) {
	if len(magic) != 8 {
		return nil, fmt.Errorf("sealed: a magic of %d bytes", len(magic))
	}
	out := make([]byte, HeaderSize, HeaderSize+len(payload)+Overhead)
	copy(out, magic)
	out[8] = version
	binary.BigEndian.PutUint32(out[9:], kdf.Time)
	binary.BigEndian.PutUint32(out[13:], kdf.Memory)
	out[17] = kdf.Threads
	if _, err := io.ReadFull(rand.Reader, out[saltStart:HeaderSize]); err != nil {
		return nil, fmt.Errorf("reading randomness: %v", err)
	}
	aead, err := cipher(passphrase, out, kdf)
	if err != nil {
		return nil, err
	}
	return aead.Seal(out, out[nonceAt:HeaderSize], payload, out[:HeaderSize]), nil
}

// Header returns the magic, the version and the argon2id parameters of
// data, which must be at least HeaderSize bytes.
func Header(data []byte) (magic string, version byte, kdf KDF, err error) {
	if len(data) < HeaderSize {
		return "", 0, KDF{}, fmt.Errorf("sealed: %d bytes, shorter than the header", len(data))
	}
	kdf = KDF{
		Time:    binary.BigEndian.Uint32(data[9:]),
		Memory:  binary.BigEndian.Uint32(data[13:]),
		Threads: data[17],
	}
	return string(data[:8]), data[8], kdf, nil
}

// Open returns the payload of data under passphrase, deriving the key with
// the argon2id parameters in data's header, which the caller has checked
// (Header). A wrong passphrase or an altered byte is ErrOpen.
func Open(data, passphrase []byte) ([]byte, error) {
	_, _, kdf, err := Header(data)
	if err != nil {
		return nil, err
	}
	aead, err := cipher(passphrase, data, kdf)
	if err != nil {
		return nil, err
	}
	payload, err := aead.Open(nil, data[nonceAt:HeaderSize], data[HeaderSize:], data[:HeaderSize])
	if err != nil {
		return nil, ErrOpen
	}
	return payload, nil
}

func cipher(passphrase, header []byte, kdf KDF) (interface {
	Seal(dst, nonce, plaintext, ad []byte) []byte
	Open(dst, nonce, ciphertext, ad []byte) ([]byte, error)
}, error) {
	if kdf.Time < 1 || kdf.Threads < 1 { // argon2 would panic
		return nil, fmt.Errorf("sealed: argon2id time %d, threads %d", kdf.Time, kdf.Threads)
	}
	key := argon2.IDKey(passphrase, header[saltStart:nonceAt], kdf.Time, kdf.Memory, kdf.Threads, chacha20poly1305.KeySize)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("sealed: %v", err)
	}
	return aead, nil
}
