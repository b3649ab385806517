package election_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	. "github.com/netstate/zkvote/election"
)

// TestBoxModel runs random sequences of operations on one box directory
// against a model (the list of accepted ballots): submits of new ballots,
// alone or several at once, resubmits of accepted ones or of another ballot
// of an accepted citizen, and Close followed by OpenBox. Each receipt's
// position is the model's next; each resubmission is ErrDuplicateNullifier;
// after each reopen the box's results are the model's. At the end the
// exported log is the model's ballots in order, every receipt checks
// against it, and every receipt, proven, verifies.
func TestBoxModel(t *testing.T) {
	s := newStubWorld(t, testLogKeys())
	ctx := context.Background()
	const citizens = 40
	ballots := s.ballots(t, citizens) // citizen i+1's ballot
	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 7))
		dir := t.TempDir()
		box := s.open(t, dir)
		genesis := box.Results().Head
		var model []int // citizens, in the log's order
		accepted := map[int]bool{}
		var receipts []*Receipt
		order := rng.Perm(citizens)
		next := 0
		results := func() Results {
			r := Results{Ballots: uint64(len(model)), Totals: make([]uint64, len(s.params.Options)), Head: genesis}
			for _, c := range model {
				r.Totals[(c+1)%3]++
			}
			if len(receipts) > 0 {
				r.Head = receipts[len(receipts)-1].Head
			}
			return r
		}
		accept := func(c int, r *Receipt, err error) {
			t.Helper()
			require.NoError(t, err, "seed %d, citizen %d", seed, c)
			require.Equal(t, nullifierOf(t, ballots[c]), r.Nullifier)
			accepted[c] = true
			model = append(model, c)
			receipts = append(receipts, r)
		}
		for op := 0; next < citizens; op++ {
			switch k := rng.IntN(10); {
			case k < 4: // one new ballot
				c := order[next]
				next++
				r, err := box.Submit(ctx, ballots[c])
				require.NoError(t, err)
				require.Equal(t, uint64(len(model)), r.Position, "seed %d, op %d", seed, op)
				accept(c, r, err)
			case k < 6: // several at once
				burst := order[next:min(next+1+rng.IntN(6), citizens)]
				next += len(burst)
				rs := make([]*Receipt, len(burst))
				errs := make([]error, len(burst))
				var wg sync.WaitGroup
				for i, c := range burst {
					wg.Go(func() { rs[i], errs[i] = box.Submit(ctx, ballots[c]) })
				}
				wg.Wait()
				byPos := map[uint64]int{}
				for i := range burst {
					require.NoError(t, errs[i], "seed %d, op %d", seed, op)
					byPos[rs[i].Position] = i
				}
				for p := uint64(len(model)); len(byPos) > 0; p++ {
					i, ok := byPos[p]
					require.True(t, ok, "seed %d, op %d: positions %v", seed, op, byPos)
					delete(byPos, p)
					accept(burst[i], rs[i], nil)
				}
			case k < 8 && len(model) > 0: // a resubmission
				c := model[rng.IntN(len(model))]
				data := ballots[c]
				if rng.IntN(2) == 0 { // another ballot of the citizen
					data = s.ballot(t, uint64(c+1), (c+2)%3)
				}
				_, err := box.Submit(ctx, data)
				require.ErrorIs(t, err, ErrDuplicateNullifier, "seed %d, op %d", seed, op)
			case k < 10: // a restart
				require.NoError(t, box.Close())
				box = s.open(t, dir)
				require.Equal(t, results(), box.Results(), "seed %d, op %d", seed, op)
			}
		}
		require.NoError(t, box.End())
		require.Equal(t, len(accepted), len(model))
		want := results()
		want.Closed = true
		require.Equal(t, want, box.Results())
		l, err := ReadLog(exportLog(t, box))
		require.NoError(t, err)
		require.True(t, l.Closed)
		got := make([][]byte, len(l.Ballots))
		for i, b := range l.Ballots {
			got[i] = b.Bytes()
		}
		wantBallots := make([][]byte, len(model))
		for i, c := range model {
			wantBallots[i] = ballots[c]
		}
		require.Equal(t, wantBallots, got, "seed %d: the log is not the model's", seed)
		for i, r := range receipts {
			require.NoError(t, l.CheckReceipt(r), "seed %d, receipt %d", seed, i)
			require.NoError(t, box.Prove(ctx, r), "seed %d, receipt %d", seed, i)
			require.NoError(t, VerifyReceipt(s.params, r, l.Ballots[i]), "seed %d, receipt %d", seed, i)
		}
		require.True(t, slices.IsSortedFunc(receipts, func(a, b *Receipt) int { return int(a.Position) - int(b.Position) }))
	}
}
