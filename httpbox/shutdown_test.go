//go:build !js

package httpbox_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
)

// TestShutdown: the server is shut down (as on SIGTERM: Shutdown, then the
// box's Close) while clients submit; after the box is reopened, every
// ballot acknowledged to a client is in its log, at its receipt's position.
func TestShutdown(t *testing.T) {
	w := testWorld(t)
	castAll(t, w, 0, tVoters)
	dir := t.TempDir()
	s := serve(t, w.params, w, dir, boxOptions(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var mu sync.Mutex
	var acked []*election.Receipt
	started := make(chan struct{})
	next := make(chan int, tVoters)
	for i := range tVoters {
		next <- i
	}
	close(next)
	var clients sync.WaitGroup
	for range 8 {
		clients.Go(func() {
			for i := range next {
				r, err := s.client.Submit(ctx, ballotOf(t, w, i).Bytes())
				if err != nil {
					continue // refused, or the server went away: not acknowledged
				}
				mu.Lock()
				acked = append(acked, r)
				if len(acked) == 3 {
					close(started)
				}
				mu.Unlock()
			}
		})
	}
	<-started
	require.NoError(t, s.srv.Shutdown(ctx))
	require.NoError(t, s.box.Close())
	clients.Wait()
	t.Logf("%d of %d ballots acknowledged before the shutdown", len(acked), tVoters)

	box, err := election.OpenBox(ctx, dir, w.params, w.keys.VerifyingKey(), boxOptions())
	require.NoError(t, err)
	defer box.Close()
	require.GreaterOrEqual(t, box.Results().Ballots, uint64(len(acked)))
	var exported bytes.Buffer
	require.NoError(t, box.ExportLog(ctx, &exported))
	lg, err := election.ReadLog(exported.Bytes())
	require.NoError(t, err)
	for _, r := range acked {
		require.NoError(t, lg.CheckReceipt(r), "an acknowledged ballot is in the log")
	}
}
