//go:build !js

package session_test

// Adversarial review of the session's use of a helper: keys read Checked
// (another origin), and a helper that still holds another election's
// bases (the page has one helper worker for every election it opens).

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/prover/msm"
	"github.com/netstate/zkvote/prover/msm/msmtest"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/web/internal/session"
	"github.com/netstate/zkvote/web/internal/webtest"
)

// TestAttackHelperCheckedKeys: keys read Checked (the circuit compiled
// here, every point checked: keys from another origin) prove with the
// helper, and the ballot goes through.
func TestAttackHelperCheckedKeys(t *testing.T) {
	ctx := context.Background()
	e := webtest.New(t, webtest.Options{Keys: keysFor(t, statement.Vote(4, 3))})
	s, err := session.New(e.URL, nil)
	require.NoError(t, err)
	_, err = s.Open(ctx, e.Digest)
	require.NoError(t, err)
	h := goHelper()
	st, err := s.LoadKeys(ctx, prover.Checked, &session.KeyOptions{Helper: h})
	require.NoError(t, err)
	require.Empty(t, st.HelperError)
	require.Contains(t, st.Helper, msm.B2.String())
	require.NoError(t, s.Census(read(t, e.ProofFile(t, 0))))
	_, err = s.Unlock(read(t, e.IdentityFile(t, 0, "pass")), []byte("pass"))
	require.NoError(t, err)
	v, err := s.Vote(ctx, []uint64{0, 0, 1})
	require.NoError(t, err)
	require.True(t, v.Helper)
	_, err = election.ParseReceipt(v.Receipt)
	require.NoError(t, err)
	require.Equal(t, uint64(1), e.Box.Results().Ballots)
}

// stickyHelper keeps the first bases it is given for each part and
// acknowledges later loads without taking them: a helper that still holds
// another election's keys.
type stickyHelper struct{ *msmtest.Helper }

func (h stickyHelper) Load(ctx context.Context, p msm.Part, data []byte) error {
	if h.Holds(p) {
		return nil
	}
	return h.Helper.Load(ctx, p, data)
}

// TestAttackHelperStaleElection: a helper that proves with the bases of
// the election opened before (same statement, other keys) makes the
// second election's ballot fail with CodeHelper before anything is sent;
// the next attempt proves alone and goes through.
func TestAttackHelperStaleElection(t *testing.T) {
	ctx := context.Background()
	s := statement.Vote(4, 3)
	e1 := webtest.New(t, webtest.Options{Keys: keysFor(t, s)})
	other, err := prover.SetupInsecure(ctx, s)
	require.NoError(t, err)
	e2 := webtest.New(t, webtest.Options{Keys: other})
	base2, posts := countingBox(t, e2)

	h := stickyHelper{goHelper()}
	sess, st := readyWith(t, e1, e1.URL, 0, h)
	require.NotEmpty(t, st.Helper)
	v, err := sess.Vote(ctx, []uint64{1, 0, 0})
	require.NoError(t, err)
	require.True(t, v.Helper)

	sess, st = readyWith(t, e2, base2, 0, h)
	require.NotEmpty(t, st.Helper)
	require.Empty(t, st.HelperError)
	_, err = sess.Vote(ctx, []uint64{1, 0, 0})
	requireCode(t, session.CodeHelper, err)
	require.ErrorContains(t, err, "nothing was sent")
	require.Zero(t, posts.Load(), "nothing was sent to the second box")
	v, err = sess.Vote(ctx, []uint64{1, 0, 0})
	require.NoError(t, err)
	require.False(t, v.Helper)
	require.Equal(t, int64(1), posts.Load())
	require.Equal(t, uint64(1), e1.Box.Results().Ballots)
	require.Equal(t, uint64(1), e2.Box.Results().Ballots)
}
