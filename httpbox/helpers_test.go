//go:build !js

package httpbox_test

// Fixtures: a census of test identities, an election over it with
// development keys of small statements, cached ballots, and a box served
// by the handler on a loopback listener.

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
)

const (
	tDepth   = 4
	tOptions = 3
	tBatch   = 4
	tVoters  = 16
)

func fe(v uint64) fr.Element { var x fr.Element; x.SetUint64(v); return x }

// The test box's checkpoint key, the same in every run.
var testBoxSKey, testBoxVKey = testkeys.Key("zkvote.test/httpbox")

// world is a census of test identities, an election over it, and keys.
type world struct {
	tree      *membership.Tree
	params    *election.Params
	keys      *prover.Keys
	tallyKeys *prover.Keys
}

var (
	worldOnce sync.Once
	shared    *world
	ballots   sync.Map // voter index → *election.Ballot (option voter%3)
)

func testWorld(t testing.TB) *world {
	worldOnce.Do(func() {
		logger.Disable()
		ctx := context.Background()
		tr := membership.NewTree(nil)
		_, err := tr.InsertMany(ctx, membershiptest.Commitments(0, tVoters))
		require.NoError(t, err)
		var k, tk *prover.Keys
		var kerr, tkerr error
		var wg sync.WaitGroup
		wg.Go(func() { k, kerr = prover.SetupInsecure(ctx, statement.Vote(tDepth, tOptions)) })
		wg.Go(func() { tk, tkerr = prover.SetupInsecure(ctx, statement.Tally(tBatch, tOptions)) })
		wg.Wait()
		require.NoError(t, kerr)
		require.NoError(t, tkerr)
		p := &election.Params{Log: election.LogKeys{Box: testBoxVKey}, DeploymentID: fe(1), ElectionID: fe(2),
			Question: "Adopt the constitution?", Options: []string{"yes", "no", "abstain"},
			Census: []membership.Head{tr.Head()}, Rules: election.SingleChoice(), Depth: tDepth, MaxOptions: tOptions,
			VoteKey: election.PinKey(k.VerifyingKey()), TallyKey: election.PinKey(tk.VerifyingKey())}
		require.NoError(t, p.Validate())
		shared = &world{tree: tr, params: p, keys: k, tallyKeys: tk}
	})
	require.NotNil(t, shared)
	return shared
}

// ballotOf returns voter i's (cached) ballot, a vote for option i%3.
func ballotOf(t testing.TB, w *world, i int) *election.Ballot {
	if b, ok := ballots.Load(i); ok {
		return b.(*election.Ballot)
	}
	path, err := w.tree.Proof(uint64(i))
	require.NoError(t, err)
	votes := make([]uint64, tOptions)
	votes[i%3] = 1
	b, err := prover.Cast(context.Background(), w.keys, w.params, membershiptest.Identity(uint64(i)), path, votes)
	require.NoError(t, err)
	ballots.Store(i, b)
	return b
}

// castAll proves the ballots of voters from to to-1 on two goroutines (the
// cache keeps them).
func castAll(t testing.TB, w *world, from, to int) {
	var wg sync.WaitGroup
	next := make(chan int, to-from)
	for i := from; i < to; i++ {
		next <- i
	}
	close(next)
	for range 2 {
		wg.Go(func() {
			for i := range next {
				ballotOf(t, w, i)
			}
		})
	}
	wg.Wait()
}

// boxOptions open the test box with the shortest checkpoint interval
// Tessera's POSIX driver allows.
func boxOptions() election.BoxOptions {
	return election.BoxOptions{Key: testBoxSKey, CheckpointInterval: 100 * time.Millisecond}
}

// served is a box behind the handler on a loopback listener.
type served struct {
	dir    string
	box    *election.Box
	srv    *http.Server
	url    string
	client *httpbox.Client
	done   chan error // Serve's result
}

// serve opens the box in dir for p and serves it; tune, if not nil,
// adjusts the handler's options and the server before it starts. The
// server and box are stopped at the test's end (if the test did not).
func serve(t testing.TB, p *election.Params, vkw *world, dir string, opts election.BoxOptions, tune func(*httpbox.Options, *http.Server)) *served {
	t.Helper()
	box, err := election.OpenBox(context.Background(), dir, p, vkw.keys.VerifyingKey(), opts)
	require.NoError(t, err)
	ho := &httpbox.Options{LogDir: filepath.Join(dir, "log")}
	srv := httpbox.NewServer("", nil)
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if tune != nil {
		tune(ho, srv)
	}
	h, err := httpbox.NewHandler(box, p, ho)
	require.NoError(t, err)
	srv.Handler = h
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &served{dir: dir, box: box, srv: srv, url: "http://" + ln.Addr().String(), done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ln) }()
	s.client, err = httpbox.NewClient(s.url, &http.Client{Timeout: time.Minute})
	require.NoError(t, err)
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop shuts the server down gracefully, then closes the box.
func (s *served) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	s.box.Close()
}

// identity is test citizen i's identity.
func identity(i int) *membership.Identity { return membershiptest.Identity(uint64(i)) }
