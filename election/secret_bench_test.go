package election_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark/logger"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// benchSecret is a secret election over n test identities at depth 10
// with 8 options packed two to a ciphertext, its trustees' key made from a
// fixed seed so that the parameters (and the ballots cached on disk for
// them) are the same on every run.
type benchSecret struct {
	tree   *membership.Tree
	params *Params
	keys   *prover.Keys
	shares []*trustee.KeyShare
}

func newBenchSecret(b *testing.B, n int) *benchSecret {
	logger.Disable()
	ctx := context.Background()
	tr := membership.NewTree(nil)
	if _, err := tr.InsertMany(ctx, membershiptest.Commitments(0, n)); err != nil {
		b.Fatal(err)
	}
	k, err := prover.OpenInsecure(ctx, benchKeyDir(), statement.SecretVote(10, statement.DefaultOptions, statement.DefaultPack))
	if err != nil {
		b.Fatal(err)
	}
	seeded := rand.NewChaCha8([32]byte{'z', 'k', 'v', 'o', 't', 'e'})
	setup := &trustee.Setup{Threshold: 3, Context: []byte("zkvote benchmark")}
	var lts []*trustee.LongTermKey
	for range 5 {
		lt, err := trustee.GenerateLongTermKey(seeded)
		if err != nil {
			b.Fatal(err)
		}
		lts = append(lts, lt)
		setup.Keys = append(setup.Keys, lt.Public())
	}
	var deals []*trustee.Deal
	for _, lt := range lts {
		d, err := lt.Deal(setup, seeded)
		if err != nil {
			b.Fatal(err)
		}
		deals = append(deals, d)
	}
	key, err := trustee.Finish(setup, deals, nil)
	if err != nil {
		b.Fatal(err)
	}
	e := &benchSecret{tree: tr, keys: k}
	for _, lt := range lts {
		s, err := lt.Share(setup, deals, key)
		if err != nil {
			b.Fatal(err)
		}
		e.shares = append(e.shares, s)
	}
	mode, err := NewSecretMode(key, 0)
	if err != nil {
		b.Fatal(err)
	}
	e.params = &Params{Log: testLogKeys(), DeploymentID: fe(7), ElectionID: fe(9), Question: "Which budget?",
		Options: []string{"a", "b", "c", "d", "e", "f", "g", "h"}, Census: []membership.Head{tr.Head()},
		Rules: Budget(10, 10), Depth: 10, VoteKey: PinKey(k.VerifyingKey()), Secret: mode}
	return e
}

func (e *benchSecret) cast(b *testing.B, i int) *Ballot {
	path, err := e.tree.Proof(uint64(i))
	if err != nil {
		b.Fatal(err)
	}
	votes := []uint64{uint64(i % 4), 1, 0, 2, 0, 0, 3, uint64(i % 2)}
	bal, err := prover.CastSecret(context.Background(), e.keys, e.params, membershiptest.Identity(uint64(i)), path, votes, 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	return bal
}

var secretPool ballotCache

// secretBallotPool returns n distinct valid secret ballots, cached on disk
// next to the keys (proving them takes minutes).
func secretBallotPool(b *testing.B, e *benchSecret, n int) []*Ballot {
	d, err := e.params.Digest()
	if err != nil {
		b.Fatal(err)
	}
	db := d.Bytes()
	path := filepath.Join(benchKeyDir(), fmt.Sprintf("secret-ballots-%x-%d.bin", db[:8], n))
	return secretPool.get(b, path, n, func(i int) *Ballot { return e.cast(b, i) })
}

// benchBallots is the number of ballots of the secret benchmarks: 1,000,
// or 100 with -short (the CI's quick pass, which would otherwise prove
// 1,000 secret ballots on a fresh machine).
func benchBallots() int {
	if testing.Short() {
		return 100
	}
	return 1000
}

// BenchmarkBallotVerify compares verifying open and secret ballots' proofs
// (depth 10, 8 options), one at a time and batched, and times the secret
// ballot's own extra check, the hash of its ciphertexts.
func BenchmarkBallotVerify(b *testing.B) {
	n := benchBallots()
	open := newBenchElection(b, 10, n)
	openBallots := ballotPool(b, open, n)
	secret := newBenchSecret(b, n)
	secretBallots := secretBallotPool(b, secret, n)
	for _, m := range []struct {
		mode    string
		vk      *verifier.VerifyingKey
		ballots []*Ballot
	}{{"open", open.keys.VerifyingKey(), openBallots}, {"secret", secret.keys.VerifyingKey(), secretBallots}} {
		proofs := make([]*verifier.Proof, n)
		for i, bal := range m.ballots {
			proofs[i] = bal.Proof()
		}
		b.Run(fmt.Sprintf("mode=%s/proofs=1", m.mode), func(b *testing.B) {
			i := 0
			for b.Loop() {
				if err := verifier.Verify(m.vk, proofs[i%n]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("mode=%s/proofs=%d", m.mode, n), func(b *testing.B) {
			for b.Loop() {
				if err := verifier.VerifyBatch(context.Background(), m.vk, proofs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/proof")
		})
	}
	b.Run("mode=secret/op=hash", func(b *testing.B) {
		i := 0
		for b.Loop() {
			bal := secretBallots[i%n]
			h := trustee.HashCiphertexts(secret.params.Secret.Key, bal.Ciphertexts())
			if c := bal.CiphertextHash(); !h.Equal(&c) {
				b.Fatal("hash mismatch")
			}
			i++
		}
	})
}

// BenchmarkAuditSecret measures an auditor of a secret election of 1,000
// ballots, 100 of them re-votes replacing earlier ones: log parsing,
// statement and ciphertext-hash checks, batch verification, the counters,
// the encrypted sum and the decryption from three trustees' shares.
func BenchmarkAuditSecret(b *testing.B) {
	n := benchBallots()
	revotes := n / 10
	e := newBenchSecret(b, n)
	ballots := secretBallotPool(b, e, n)
	ctx := context.Background()
	box, err := OpenBox(ctx, b.TempDir(), e.params, e.keys.VerifyingKey(), testBoxOptions())
	if err != nil {
		b.Fatal(err)
	}
	for i, bal := range ballots[:n-revotes] {
		if _, err := box.Submit(ctx, bal.Bytes()); err != nil {
			b.Fatal(i, err)
		}
	}
	// The last ballots re-vote for the first citizens: proven here, with
	// counter 2 (the pool's are 1).
	for i := range revotes {
		path, err := e.tree.Proof(uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		bal, err := prover.CastSecret(ctx, e.keys, e.params, membershiptest.Identity(uint64(i)), path, []uint64{0, 0, 0, 0, 0, 0, 0, 10}, 2, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := box.Submit(ctx, bal.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
	if err := box.End(); err != nil {
		b.Fatal(err)
	}
	var log bytes.Buffer
	if err := box.ExportLog(context.Background(), &log); err != nil {
		b.Fatal(err)
	}
	var shares [][]byte
	head := box.Results().Head
	for _, s := range e.shares[:3] {
		d, err := PartialDecrypt(ctx, e.params, e.keys.VerifyingKey(), log.Bytes(), head, s, b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		shares = append(shares, d.Bytes())
	}
	b.Run(fmt.Sprintf("ballots=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := AuditSecret(ctx, e.params, e.keys.VerifyingKey(), log.Bytes(), shares)
			if err != nil {
				b.Fatal(err)
			}
			if res.Voters != uint64(n-revotes) {
				b.Fatal("voters", res.Voters)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/ballot")
	})
}
