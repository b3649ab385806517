package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
)

// BenchmarkIdentity measures what a citizen's device does once: a fresh
// identity from crypto/rand and its commitment.
func BenchmarkIdentity(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		id, err := membership.GenerateIdentity()
		if err != nil {
			b.Fatal(err)
		}
		_ = id.Commitment()
	}
}

// BenchmarkIdentityFile measures sealing and opening a saved identity with
// the default argon2id parameters.
func BenchmarkIdentityFile(b *testing.B) {
	id := membershiptest.Identity(1)
	pass := []byte("a long passphrase")
	file, err := id.Encrypt(pass, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=encrypt", func(b *testing.B) {
		for b.Loop() {
			if _, err := id.Encrypt(pass, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=decrypt", func(b *testing.B) {
		for b.Loop() {
			if _, err := membership.DecryptIdentity(file, pass); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRegistry measures a registrar's whole path on disk: open a fresh
// registry, record n commitments in one durable batch, close (snapshot),
// reopen and produce one membership proof.
func BenchmarkRegistry(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 16, 1 << 20} {
		cs := membershiptest.FastCommitments(0, n)
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				dir := b.TempDir()
				t, err := membership.OpenTree(ctx, dir, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := t.InsertMany(ctx, cs); err != nil {
					b.Fatal(err)
				}
				if err := t.Close(); err != nil {
					b.Fatal(err)
				}
				t, err = membership.OpenTree(ctx, dir, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := t.Proof(uint64(n / 2)); err != nil {
					b.Fatal(err)
				}
				t.Close()
			}
			b.ReportMetric(float64(n), "leaves")
		})
	}
}
