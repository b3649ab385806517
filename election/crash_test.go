package election_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/crashtest"
	"github.com/netstate/zkvote/verifier"
)

// The crash test's files, in the directory the parent names in
// $ZKVOTE_BOX_CRASH: the election's parameters and vote key, the ballots
// (each a uint16 length and its bytes), and the box's directory.
const (
	crashEnv     = "ZKVOTE_BOX_CRASH"
	crashParams  = "election.params"
	crashKey     = "vote.vk"
	crashBallots = "ballots"
	crashBox     = "box"
	crashClients = 32
)

// TestBoxCrashHelper is the box process of TestBoxKillStorm: it opens the
// box for the parameters and vote key the parent wrote and submits the
// parent's ballots from crashClients concurrent clients, each also
// submitting some other client's ballot again, and prints "ack <i>" once
// ballot i has a receipt. Any error but ErrDuplicateNullifier is printed
// too, which fails the parent. Then it waits to be killed.
func TestBoxCrashHelper(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("the box process of TestBoxKillStorm")
	}
	fail := func(what string, err error) {
		fmt.Printf("%s: %v\n", what, err)
		os.Exit(2)
	}
	enc, err := os.ReadFile(filepath.Join(dir, crashParams))
	if err != nil {
		fail("params", err)
	}
	p, err := ParseParams(enc)
	if err != nil {
		fail("params", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, crashKey))
	if err != nil {
		fail("key", err)
	}
	vk, err := verifier.ParseVerifyingKey(raw)
	if err != nil {
		fail("key", err)
	}
	all, err := os.ReadFile(filepath.Join(dir, crashBallots))
	if err != nil {
		fail("ballots", err)
	}
	var ballots [][]byte
	for len(all) >= 2 {
		n := int(binary.BigEndian.Uint16(all))
		ballots = append(ballots, all[2:2+n])
		all = all[2+n:]
	}
	ctx := context.Background()
	box, err := OpenBox(ctx, filepath.Join(dir, crashBox), p, vk, testBoxOptions())
	if err != nil {
		fail("open", err)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for c := range crashClients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			submit := func(i int) {
				_, err := box.Submit(ctx, ballots[i])
				if errors.Is(err, ErrDuplicateNullifier) {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					fmt.Fprintf(out, "error: ballot %d: %v\n", i, err)
				} else {
					fmt.Fprintf(out, "ack %d\n", i)
				}
				out.Flush()
			}
			for i := c; i < len(ballots); i += crashClients {
				time.Sleep(time.Duration(rng.IntN(500)) * time.Microsecond)
				submit(i)
				if rng.IntN(4) == 0 {
					submit(rng.IntN(len(ballots)))
				}
			}
		})
	}
	wg.Wait()
	time.Sleep(time.Hour)
}

// TestBoxKillStorm kills the box's process (SIGKILL) during a storm of
// concurrent submissions, at several moments, and reopens the box: every
// ballot the process acknowledged is in the log and counted, the box's
// results are a recount of the log, its chain head is the log's, no
// nullifier is in it twice, and every proof in it verifies. Resubmitting
// every ballot then gives ErrDuplicateNullifier for the ballots in the log
// and a receipt for the others, after which the log holds each ballot once
// and the recount still matches.
func TestBoxKillStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("runs and kills box processes")
	}
	s := newStubWorld(t, testLogKeys())
	ctx := context.Background()
	const n = 300
	ballots := s.ballots(t, n)
	dir := t.TempDir()
	enc, err := s.params.Encode()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, crashParams), enc, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, crashKey), s.vk.Bytes(), 0o600))
	var file []byte
	nullifiers := map[fr.Element]int{}
	for i, b := range ballots {
		file = binary.BigEndian.AppendUint16(file, uint16(len(b)))
		file = append(file, b...)
		nullifiers[nullifierOf(t, b)] = i
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, crashBallots), file, 0o600))

	// The kills come later each round, until one lands after the storm
	// (every ballot acknowledged): on any machine some land during it.
	midStorm := 0
	d := 80 * time.Millisecond
	for round := 0; round < 6; round, d = round+1, d*9/5 {
		boxDir := filepath.Join(dir, crashBox)
		require.NoError(t, os.RemoveAll(boxDir))
		acked := map[int]bool{}
		for _, a := range crashtest.Acks(t, "TestBoxCrashHelper", []string{crashEnv + "=" + dir}, d) {
			acked[int(a)] = true
		}
		if len(acked) > 0 && len(acked) < n {
			midStorm++
		}
		// A stale LOCK file is fine: the lock died with the process.
		box := s.open(t, boxDir)
		inLog := recount(t, s, box, nullifiers)
		for i := range acked {
			require.True(t, inLog[i], "round %d: acknowledged ballot %d was lost", round, i)
		}
		t.Logf("round %d, killed after %v: %d acknowledged, %d in the log", round, d, len(acked), len(inLog))

		errs := make([]error, n)
		var wg sync.WaitGroup
		for c := range 8 {
			wg.Go(func() {
				for i := c; i < n; i += 8 {
					_, errs[i] = box.Submit(ctx, ballots[i])
				}
			})
		}
		wg.Wait()
		for i, err := range errs {
			if inLog[i] {
				require.ErrorIs(t, err, ErrDuplicateNullifier, "round %d: ballot %d is in the log", round, i)
			} else {
				require.NoError(t, err, "round %d: ballot %d is not in the log", round, i)
			}
		}
		require.Len(t, recount(t, s, box, nullifiers), n, "round %d", round)
		require.NoError(t, box.Close())
		if len(acked) == n {
			break
		}
	}
	require.NotZero(t, midStorm, "no kill landed during the storm: the delays need tuning for this machine")
}

// recount exports box's log, checks it against the box's results, and
// returns which ballots (by index) it holds: the box's count and totals
// are those of the log's ballots, its chain head is the log's (a receipt
// for the last ballot with the box's head checks), no nullifier is in the
// log twice and every proof in it verifies.
func recount(t *testing.T, s *stubWorld, box *Box, nullifiers map[fr.Element]int) map[int]bool {
	t.Helper()
	res := box.Results()
	l, err := ReadLog(exportLog(t, box))
	require.NoError(t, err)
	require.Equal(t, res.Ballots, uint64(len(l.Ballots)))
	in := map[int]bool{}
	totals := make([]uint64, len(s.params.Options))
	proofs := make([]*verifier.Proof, len(l.Ballots))
	for j, b := range l.Ballots {
		i, ok := nullifiers[b.Nullifier()]
		require.True(t, ok, "ballot %d of the log was never submitted", j)
		require.False(t, in[i], "ballot %d is in the log twice", i)
		in[i] = true
		for k, v := range b.Votes(len(s.params.Options)) {
			totals[k] += v
		}
		proofs[j] = b.Proof()
	}
	require.Equal(t, totals, res.Totals, "the box's totals are not the log's")
	if len(l.Ballots) > 0 {
		last := l.Ballots[len(l.Ballots)-1]
		require.NoError(t, l.CheckReceipt(&Receipt{
			Position: uint64(len(l.Ballots) - 1), Nullifier: last.Nullifier(),
			Votes: last.Votes(len(s.params.Options)), Head: res.Head,
		}), "the box's chain head is not the log's")
		require.NoError(t, verifier.VerifyBatch(context.Background(), s.vk, proofs))
	}
	return in
}
