package depcheck

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	require.NoError(t, err, string(out))
	return strings.Fields(string(out))
}

// TestImportBoundaries enforces DESIGN.md's package table: circuits never
// reaches a proving backend, the prover or the verifier; the verifier never
// reaches the prover or a circuit compiler (it is deployed alone);
// membership never reaches gnark.
func TestImportBoundaries(t *testing.T) {
	const mod = "github.com/netstate/zkvote/"
	rules := map[string][]string{
		mod + "circuits":   {mod + "prover", mod + "verifier", mod + "election", "github.com/consensys/gnark/backend/groth16", "github.com/consensys/gnark/backend/plonk"},
		mod + "verifier":   {mod + "prover", mod + "circuits", mod + "membership", mod + "election", "github.com/consensys/gnark/frontend/cs/r1cs", "github.com/consensys/gnark/frontend/cs/scs"},
		mod + "membership": {mod + "prover", mod + "verifier", mod + "circuits", "github.com/consensys/gnark/"},
	}
	for pkg, banned := range rules {
		for _, d := range deps(t, pkg) {
			for _, b := range banned {
				require.False(t, d == b || strings.HasPrefix(d, b+"/") || strings.HasSuffix(b, "/") && strings.HasPrefix(d, b),
					"%s imports %s (banned: %s)", pkg, d, b)
			}
		}
	}
}

// TestProverGnarkVersion: the version recorded in key files is the one built.
func TestProverGnarkVersion(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "github.com/consensys/gnark").CombinedOutput()
	require.NoError(t, err, string(out))
	fields := strings.Fields(string(out))
	require.Equal(t, fields[len(fields)-1], proverGnarkVersion(t))
}
