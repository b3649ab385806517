package election_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/crashtest"
	"github.com/netstate/zkvote/verifier"
)

// TestBoxCrashHelper is the submitting subprocess of TestBoxKillSubmitter:
// it loads the keys, parameters and ballots the parent wrote, submits them
// from four goroutines with small pauses, and prints "ack <voter>" after
// each receipt.
func TestBoxCrashHelper(t *testing.T) {
	dir := os.Getenv("ZKVOTE_BOX_CRASH")
	if dir == "" {
		t.Skip("subprocess of TestBoxKillSubmitter")
	}
	ctx := context.Background()
	encParams, err := os.ReadFile(filepath.Join(dir, "params"))
	if err != nil {
		os.Exit(2)
	}
	p, err := ParseParams(encParams)
	if err != nil {
		os.Exit(2)
	}
	vkBytes, _ := os.ReadFile(filepath.Join(dir, "vote.vk"))
	vk, err := verifier.ParseVerifyingKey(vkBytes)
	if err != nil {
		os.Exit(2)
	}
	var ballots [][]byte
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("ballot-%d", i)))
		if err != nil {
			break
		}
		ballots = append(ballots, b)
	}
	box, err := OpenBox(ctx, filepath.Join(dir, "box"), p, vk)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(ballots); i += 4 {
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				_, err := box.Submit(ctx, ballots[i])
				if errors.Is(err, ErrDuplicateNullifier) {
					continue
				}
				mu.Lock()
				if err != nil {
					fmt.Fprintln(out, "error:", err)
				} else {
					fmt.Fprintf(out, "ack %d\n", i)
				}
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	time.Sleep(time.Hour) // wait to be killed
}

// TestBoxKillSubmitter kills a submitting process with SIGKILL at random
// moments and checks that the reopened box holds every acknowledged ballot,
// and a log that is well formed and audits as a prefix of the submissions.
func TestBoxKillSubmitter(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns subprocesses")
	}
	w := testWorld(t)
	dir := t.TempDir()
	enc, err := w.params.Encode()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "params"), enc, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "vote.vk"), w.keys.VerifyingKey().Bytes(), 0o600))
	nullifiers := map[int]fr.Element{}
	for i := range tVoters {
		b := ballotOf(t, w, i)
		nullifiers[i] = b.Nullifier()
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("ballot-%d", i)), b.Bytes(), 0o600))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 6 {
		boxDir := filepath.Join(dir, "box")
		require.NoError(t, os.RemoveAll(boxDir))
		d := time.Duration(5+rng.IntN(40)) * time.Millisecond
		acked := map[int]bool{}
		for _, n := range crashtest.Acks(t, "TestBoxCrashHelper", []string{"ZKVOTE_BOX_CRASH=" + dir}, d) {
			acked[int(n)] = true
		}
		// A stale LOCK file is fine: flock died with the process.
		box, err := OpenBox(context.Background(), boxDir, w.params, w.keys.VerifyingKey())
		require.NoError(t, err, "round %d", round)
		var log strings.Builder
		require.NoError(t, box.ExportLog(&log))
		res := box.Results()
		require.NoError(t, box.Close())
		l, err := ReadLog([]byte(log.String()))
		require.NoError(t, err)
		require.Equal(t, res.Ballots, uint64(len(l.Ballots)))
		inLog := map[fr.Element]bool{}
		for _, b := range l.Ballots {
			inLog[b.Nullifier()] = true
		}
		for i := range acked {
			require.True(t, inLog[nullifiers[i]], "round %d: acknowledged ballot %d lost", round, i)
		}
		// Every logged ballot verifies and the chain replays.
		vs := make([]*verifier.Proof, len(l.Ballots))
		for i, b := range l.Ballots {
			vs[i] = b.Proof()
		}
		require.NoError(t, verifier.VerifyBatch(context.Background(), w.keys.VerifyingKey(), vs))
		t.Logf("round %d: %d acknowledged, %d in the log", round, len(acked), len(l.Ballots))
	}
}
