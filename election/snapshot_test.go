package election_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
)

// TestBoxState: the state file a closed box leaves is only a cache. A box
// reopened with it, without it, with a damaged one, with an older one (the
// box took ballots after it was written, then died), with another log's of
// the same election, or with one of impossible size, has the same results
// and refuses the same ballots; none of these opens fails.
func TestBoxState(t *testing.T) {
	ctx := context.Background()
	t.Run("open", func(t *testing.T) {
		w := testWorld(t)
		open := func(dir string) *Box { return openTestBox(t, w, dir) }
		ballot := func(i int) []byte { return ballotOf(t, w, i).Bytes() }
		checkState(t, ctx, open, ballot)
	})
	t.Run("secret", func(t *testing.T) {
		w := testSecretWorld(t)
		open := func(dir string) *Box { return openSecretBox(t, w, dir) }
		ballot := func(i int) []byte { return secretBallotOf(t, w, i%5, i%2, uint64(1+i/5)).Bytes() }
		checkState(t, ctx, open, ballot)
	})
}

func checkState(t *testing.T, ctx context.Context, open func(string) *Box, ballot func(int) []byte) {
	submit := func(box *Box, from, to int) {
		for i := from; i < to; i++ {
			_, err := box.Submit(ctx, ballot(i))
			require.NoError(t, err, i)
		}
	}
	// A box with 4 ballots, closed (state written), then 3 more, closed
	// again; keep both state files.
	dir := t.TempDir()
	box := open(dir)
	submit(box, 0, 4)
	require.NoError(t, box.Close())
	older, err := os.ReadFile(filepath.Join(dir, StateFile))
	require.NoError(t, err)
	box = open(dir)
	submit(box, 4, 7)
	want := box.Results()
	require.NoError(t, box.Close())
	current, err := os.ReadFile(filepath.Join(dir, StateFile))
	require.NoError(t, err)
	require.NotEqual(t, older, current)

	// Another box of the same election with other ballots: its state is
	// another log's.
	otherDir := t.TempDir()
	other := open(otherDir)
	submit(other, 7, 10)
	require.NoError(t, other.Close())
	foreign, err := os.ReadFile(filepath.Join(otherDir, StateFile))
	require.NoError(t, err)

	flipped := bytes.Clone(current)
	flipped[len(flipped)/2] ^= 1
	huge := append(bytes.Clone(current), make([]byte, 64<<20)...)
	// Entries: the header and the ballots (4 when the older state was
	// written, 7 now).
	for name, c := range map[string]struct {
		state   []byte
		covered uint64
	}{
		"current": {current, 8}, "none": {nil, 0}, "damaged": {flipped, 0}, "older": {older, 5},
		"another log's": {foreign, 0}, "truncated": {current[:len(current)-40], 0}, "huge": {huge, 0},
	} {
		state := c.state
		path := filepath.Join(dir, StateFile)
		if state == nil {
			require.NoError(t, os.Remove(path))
		} else {
			require.NoError(t, os.WriteFile(path, state, 0o600))
		}
		box := open(dir)
		require.Equal(t, c.covered, box.StateCovered(), name)
		require.Equal(t, want, box.Results(), name)
		_, err := box.Submit(ctx, ballot(2))
		require.Error(t, err, "%s: a ballot of the log is refused again", name)
		require.NoError(t, box.Close(), name)
	}
}
