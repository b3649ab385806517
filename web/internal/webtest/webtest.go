//go:build !js

// Package webtest serves a ballot box for the browser voter's tests and
// benchmarks: an election over a census of test identities
// (membershiptest), development keys written to a key directory, a box
// with a test checkpoint key and no witnesses, and httpbox's handler on a
// loopback listener, with the voter's files at / when given. It also
// writes the citizens' identity and census proof files.
package webtest

import (
	"context"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// The test box's checkpoint key, the same in every run.
var boxSKey, boxVKey = testkeys.Key("zkvote.test/web")

// Options describe the election; zero fields take the defaults.
type Options struct {
	// Keys are the vote keys: of statement.Vote, or of statement.SecretVote
	// for a secret election. nil: development keys of statement.Vote(4, 3).
	Keys *prover.Keys
	// KeyDir is a directory that already holds Keys' files (a cache);
	// "" writes them to a temporary directory.
	KeyDir string
	// Voters is the census size; 0 is 8. Citizen i is
	// membershiptest.Identity(i).
	Voters int
	// Options are the election's options; nil is yes, no, abstain.
	Options []string
	// Rules are the ballot rules; zero is election.SingleChoice.
	Rules election.Rules
	// Web, if not nil, is served at /.
	Web fs.FS
	// KDF are the argon2id parameters of the identity files written;
	// nil is the cheapest the format allows (tests do not measure it).
	KDF *membership.KDFParams
}

// Election is a served election.
type Election struct {
	Params *election.Params
	Keys   *prover.Keys
	Tree   *membership.Tree
	Box    *election.Box
	URL    string // the server's base URL, without a trailing slash
	Digest string // the parameters' digest, hex

	kdf   *membership.KDFParams
	files string
}

// New serves an election for t; everything stops when t ends.
func New(t testing.TB, o Options) *Election {
	t.Helper()
	ctx := context.Background()
	k := o.Keys
	if k == nil {
		var err error
		if k, err = prover.SetupInsecure(ctx, statement.Vote(4, 3)); err != nil {
			t.Fatal(err)
		}
	}
	s := k.Statement()
	keyDir := o.KeyDir
	if keyDir == "" {
		keyDir = t.TempDir()
		if err := k.WriteFiles(keyDir); err != nil {
			t.Fatal(err)
		}
	}
	voters := o.Voters
	if voters == 0 {
		voters = 8
	}
	options := o.Options
	if options == nil {
		options = []string{"yes", "no", "abstain"}
	}
	rules := o.Rules
	if rules == (election.Rules{}) {
		rules = election.SingleChoice()
	}
	tr := membership.NewTree(nil)
	if _, err := tr.InsertMany(ctx, membershiptest.Commitments(0, voters)); err != nil {
		t.Fatal(err)
	}
	p := &election.Params{
		Log:          election.LogKeys{Box: boxVKey},
		DeploymentID: fe(1), ElectionID: fe(2),
		Question: "Adopt the constitution?", Options: options,
		Census: []membership.Head{tr.Head()}, Rules: rules,
		Depth: s.Depth(), MaxOptions: s.Options(),
		VoteKey: election.PinKey(k.VerifyingKey()),
	}
	if s.Kind() == statement.KindSecretVote {
		// One trustee, whose key nobody here keeps: the tests never decrypt.
		sk, err := trustee.RandomScalar(nil)
		if err != nil {
			t.Fatal(err)
		}
		pk := trustee.BaseMul(sk)
		p.Secret = &election.SecretMode{Key: pk, Threshold: 1, Shares: []trustee.Point{pk}, Pack: s.Pack()}
	} else {
		// A stand-in tally pin: these elections are never tallied.
		p.TallyKey = election.KeyPin{Backend: verifier.Groth16, ID: [32]byte{1}}
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := p.Digest()
	if err != nil {
		t.Fatal(err)
	}
	db := d.Bytes()

	boxDir := t.TempDir()
	box, err := election.OpenBox(ctx, boxDir, p, k.VerifyingKey(), election.BoxOptions{Key: boxSKey, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pkName, ccsName, vkName := prover.KeyFiles(s, k.Backend())
	h, err := httpbox.NewHandler(box, p, &httpbox.Options{
		LogDir: filepath.Join(boxDir, "log"), KeyDir: keyDir,
		KeyFiles: []string{pkName, ccsName, vkName}, Web: o.Web,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		box.Close()
	})
	kdf := o.KDF
	if kdf == nil {
		kdf = &membership.KDFParams{Time: 1, Memory: 8, Threads: 1}
	}
	return &Election{Params: p, Keys: k, Tree: tr, Box: box, URL: srv.URL, Digest: fmt.Sprintf("%x", db[:]),
		kdf: kdf, files: t.TempDir()}
}

// IdentityFile writes citizen i's identity file, sealed under passphrase,
// and returns its path. Citizens at or past the census size are not in the
// census.
func (e *Election) IdentityFile(t testing.TB, i uint64, passphrase string) string {
	t.Helper()
	data, err := membershiptest.Identity(i).Encrypt([]byte(passphrase), e.kdf)
	if err != nil {
		t.Fatal(err)
	}
	return e.write(t, fmt.Sprintf("citizen-%d-%d.zkid", i, time.Now().UnixNano()), data)
}

// ProofFile writes citizen i's census proof file and returns its path.
func (e *Election) ProofFile(t testing.TB, i uint64) string {
	t.Helper()
	p, err := e.Tree.Proof(i)
	if err != nil {
		t.Fatal(err)
	}
	return e.write(t, fmt.Sprintf("citizen-%d.proof", i), p.Bytes())
}

// OutsiderProofFile writes the census proof file of citizen i in another
// census, which holds citizen i and the election does not accept.
func (e *Election) OutsiderProofFile(t testing.TB, i uint64) string {
	t.Helper()
	tr := membership.NewTree(nil)
	if _, err := tr.Insert(membershiptest.Identity(i).Commitment()); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Insert(membershiptest.Identity(i + 1).Commitment()); err != nil {
		t.Fatal(err)
	}
	p, err := tr.Proof(0)
	if err != nil {
		t.Fatal(err)
	}
	return e.write(t, fmt.Sprintf("outsider-%d.proof", i), p.Bytes())
}

func (e *Election) write(t testing.TB, name string, data []byte) string {
	path := filepath.Join(e.files, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func fe(v uint64) fr.Element { var x fr.Element; x.SetUint64(v); return x }
