package circuits

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/counts"
	"github.com/netstate/zkvote/statement"
)

var updateCounts = flag.Bool("update-constraints", false, "rewrite testdata/constraints.txt with the current counts")

const countsFile = "testdata/constraints.txt"

// countedCircuits lists every circuit whose size is snapshotted.
func countedCircuits() map[string]frontend.Circuit {
	out := map[string]frontend.Circuit{}
	for _, d := range []int{10, 16, 20, 32} {
		c, err := shapeMembership(d)
		if err != nil {
			panic(err)
		}
		out[fmt.Sprintf("membership depth=%d", d)] = c
	}
	for _, d := range []int{20, 32} {
		v, err := shapeVote(d, statement.DefaultOptions)
		if err != nil {
			panic(err)
		}
		out[fmt.Sprintf("vote depth=%d options=%d", d, statement.DefaultOptions)] = v
	}
	for _, pack := range []int{1, 2} {
		sv, err := New(statement.SecretVote(20, statement.DefaultOptions, pack))
		if err != nil {
			panic(err)
		}
		out[fmt.Sprintf("secret-vote depth=20 options=%d pack=%d", statement.DefaultOptions, pack)] = sv
	}
	for _, b := range []int{64, 256} {
		c, err := shapeTally(b, statement.DefaultOptions)
		if err != nil {
			panic(err)
		}
		out[fmt.Sprintf("tally batch=%d options=%d", b, statement.DefaultOptions)] = c
	}
	return out
}

func readCounts(t *testing.T) map[string]int {
	m, err := counts.Read(countsFile)
	if os.IsNotExist(err) {
		return map[string]int{}
	}
	require.NoError(t, err)
	return m
}

// TestConstraintCounts compiles every circuit for both backends and compares
// the sizes with the checked-in table: a change in circuit size must be a
// deliberate one (go test ./circuits -run ConstraintCounts -update-constraints).
func TestConstraintCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every circuit")
	}
	got := map[string]int{}
	for name, c := range countedCircuits() {
		r, err := frontend.Compile(field, r1cs.NewBuilder, c)
		require.NoError(t, err)
		got[name+" backend=groth16"] = r.GetNbConstraints()
		p, err := frontend.Compile(field, scs.NewBuilder, c)
		require.NoError(t, err)
		got[name+" backend=plonk"] = p.GetNbConstraints()
	}
	if *updateCounts {
		table := counts.Format([]string{
			"Constraint counts per circuit, parameter and backend (gnark v0.16.3, BN254).",
			"Regenerate deliberately: go test ./circuits -run ConstraintCounts -update-constraints",
		}, got)
		require.NoError(t, os.WriteFile(countsFile, []byte(table), 0o644))
		return
	}
	require.Equal(t, readCounts(t), got, "constraint counts drifted from %s", countsFile)
}
