package witness

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/client"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// TestTesseraLogWitnessed runs a Trillian Tessera log (its POSIX storage,
// the engine the ballot box's transparency log is built on) with this
// witness as its only witness, over HTTP: Tessera publishes a checkpoint
// only once the witness cosigned it, the checkpoint passes a Policy with a
// quorum of one, an entry's receipt (with the inclusion proof from the
// log's tiles) verifies against it, and as the log grows the witness follows it through
// consistency proofs.
func TestTesseraLogWitnessed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const origin = "box.example/election-1"
	l := newTestLog(t, origin) // only its keys: Tessera keeps the log
	signer, logKey := l.signer, l.key

	w := openWitness(t, t.TempDir(), newKey(t), l)
	srv := httptest.NewServer(w)
	defer srv.Close()
	root, err := url.Parse(srv.URL)
	require.NoError(t, err)
	tw, err := tessera.NewWitness(w.VerifierKey(), root)
	require.NoError(t, err)

	drv, err := posix.New(ctx, posix.Config{Path: t.TempDir(), HTTPClient: srv.Client()})
	require.NoError(t, err)
	app, shutdown, reader, err := tessera.NewAppender(ctx, drv, tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithBatching(64, 5*time.Millisecond).
		WithCheckpointInterval(100*time.Millisecond).
		WithWitnesses(tessera.NewWitnessGroup(1, tw), &tessera.WitnessOptions{Timeout: 10 * time.Second}))
	require.NoError(t, err)
	defer shutdown(context.Background())
	awaiter := tessera.NewPublicationAwaiter(ctx, reader.ReadCheckpoint, 10*time.Millisecond)
	policy := Policy{Log: logKey, Witnesses: []note.Verifier{w.Verifier()}, Quorum: 1}

	var last int64
	for round, n := range []int{40, 25} {
		var futures []tessera.IndexFuture
		for i := range n {
			futures = append(futures, app.Add(ctx, tessera.NewEntry(fmt.Appendf(nil, "ballot %d.%d", round, i))))
		}
		for i, f := range futures {
			idx, cp, err := awaiter.Await(ctx, f)
			require.NoError(t, err)
			tree, err := policy.Verify(cp)
			require.NoError(t, err, "round %d entry %d", round, i)
			require.Greater(t, tree.N, int64(idx.Index))
			pb, err := client.NewProofBuilder(ctx, uint64(tree.N), reader.ReadTile)
			require.NoError(t, err)
			raw, err := pb.InclusionProof(ctx, idx.Index)
			require.NoError(t, err)
			r := &Receipt{Index: int64(idx.Index), Checkpoint: cp, Proof: make([]tlog.Hash, len(raw))}
			for j, h := range raw {
				copy(r.Proof[j][:], h)
			}
			_, err = policy.VerifyReceipt(r, fmt.Appendf(nil, "ballot %d.%d", round, i))
			require.NoError(t, err, "round %d entry %d", round, i)
			_, err = policy.VerifyReceipt(r, []byte("a ballot that is not there"))
			require.ErrorIs(t, err, ErrInclusion)
		}
		_, size, ok := w.Latest(origin)
		require.True(t, ok)
		require.GreaterOrEqual(t, size, last+int64(n), "the witness followed the log")
		last = size
	}
}
