// Package testkeys derives note keys (golang.org/x/mod/sumdb/note) for
// tests from their names, so that test parameters, and so their digests,
// are the same in every run. Never use them for a real election: anyone
// can derive them.
package testkeys

import (
	"crypto/sha256"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// seeded is an io.Reader of the bytes SHA-256 gives for a name, repeated:
// note.GenerateKey reads one 32-byte seed from it.
type seeded struct{ b []byte }

func (s *seeded) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], s.b)
	}
	return n, nil
}

// Key returns the signer and verifier keys named name, derived from it
// alone.
func Key(name string) (skey, vkey string) {
	seed := sha256.Sum256([]byte("zkvote/testkeys/" + name))
	skey, vkey, err := note.GenerateKey(&seeded{seed[:]}, name)
	if err != nil {
		panic(fmt.Sprintf("testkeys: %q is not a note key name: %v", name, err)) // a test's own constant
	}
	return skey, vkey
}
