package witness

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// GenerateKey returns a new witness key named name (a note key name,
// conventionally the witness's URL without scheme): skey, the note signer
// key string the witness keeps secret ("PRIVATE+KEY+<name>+…", read back
// with [ParseKey]), and vkey, the verifier key of its cosignatures, which
// the logs' clients name (as [Witness.VerifierKey] prints it).
func GenerateKey(name string) (skey, vkey string, err error) {
	skey, _, err = note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", "", fmt.Errorf("witness: name %q: %v", name, err)
	}
	vkey, err = CosignatureKey(skey)
	if err != nil {
		return "", "", err
	}
	return skey, vkey, nil
}

// ParseKey decodes a note signer key string of an Ed25519 key (from
// [GenerateKey] or note.GenerateKey) into the name and key a [Config]
// takes. It checks the key's hash, as note.NewSigner does.
func ParseKey(skey string) (name string, key ed25519.PrivateKey, err error) {
	bad := errors.New("witness: not a note signer key of an Ed25519 key")
	if _, err := note.NewSigner(skey); err != nil {
		return "", nil, fmt.Errorf("%w: %v", bad, err)
	}
	// PRIVATE+KEY+<name>+<hash>+<base64 key>: the key may hold '+'.
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", nil, bad
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", nil, bad
	}
	return parts[2], ed25519.NewKeyFromSeed(raw[1:]), nil
}

// CosignatureKey returns the verifier key of the cosignatures made with the
// note signer key skey.
func CosignatureKey(skey string) (string, error) {
	name, key, err := ParseKey(skey)
	if err != nil {
		return "", err
	}
	s, err := torchwood.NewCosignatureSigner(name, crypto.Signer(key))
	if err != nil {
		return "", fmt.Errorf("witness: name %q: %v", name, err)
	}
	return s.Verifier().String(), nil
}
