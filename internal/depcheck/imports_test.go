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

// TestImportBoundaries enforces DESIGN.md's package table:
//   - statement, membership and trustee never reach gnark: they describe
//     statements, the citizen tree and the trustees' threshold keys
//     natively;
//   - circuits never reaches a proving backend, the prover or the verifier;
//   - the verifier never reaches the prover, the circuits or a circuit
//     compiler (it is deployed alone);
//   - election (the ballot box and the audit) never reaches the prover, the
//     circuits, gnark's constraint compilers, the circuits' hash gadget or the
//     ceremony code (mpcsetup): a box or an auditor links only what it
//     verifies with;
//     nor does it link a Tessera storage driver but the POSIX one (an
//     operator who wants MySQL or a cloud passes the driver in);
//   - httpbox, the box over HTTP, keeps election's rules;
//   - the witness links none of zkvote's cryptography and no gnark: it
//     runs alone, for anyone, and checks only signed notes and hashes;
//   - prover/msm, what a proof's helper runs (a second Web Worker in a
//     browser), links no gnark and nothing else of zkvote: only
//     gnark-crypto, so that the helper's WebAssembly stays small.
func TestImportBoundaries(t *testing.T) {
	const mod = "github.com/netstate/zkvote/"
	const gnark = "github.com/consensys/gnark/"
	compilers := []string{gnark + "frontend/cs/r1cs", gnark + "frontend/cs/scs"}
	rules := map[string][]string{
		mod + "statement":  {mod + "prover", mod + "verifier", mod + "circuits", mod + "election", gnark},
		mod + "circuits":   {mod + "prover", mod + "verifier", mod + "election", gnark + "backend/groth16", gnark + "backend/plonk"},
		mod + "verifier":   append([]string{mod + "prover", mod + "circuits", mod + "membership", mod + "election"}, compilers...),
		mod + "membership": {mod + "prover", mod + "verifier", mod + "circuits", gnark},
		mod + "trustee":    {mod + "prover", mod + "verifier", mod + "circuits", mod + "election", gnark},
		mod + "witness": {mod + "prover", mod + "verifier", mod + "circuits", mod + "election", mod + "membership",
			mod + "trustee", mod + "statement", gnark, "github.com/consensys/gnark-crypto/"},
		mod + "election": append([]string{mod + "prover", mod + "circuits", gnark + "std/permutation",
			gnark + "backend/groth16/bn254/mpcsetup", gnark + "backend/groth16/mpcsetup",
			"github.com/transparency-dev/tessera/storage/mysql", "github.com/transparency-dev/tessera/storage/gcp",
			"github.com/transparency-dev/tessera/storage/aws", "github.com/go-sql-driver/", "cloud.google.com/", "github.com/aws/"}, compilers...),
	}
	rules[mod+"prover/msm"] = []string{gnark, mod + "circuits", mod + "verifier", mod + "statement", mod + "membership",
		mod + "election", mod + "trustee", mod + "witness", mod + "internal"}
	// The HTTP box is the box's verifying side on a network: the same rules.
	rules[mod+"httpbox"] = rules[mod+"election"]
	for pkg, banned := range rules {
		for _, d := range deps(t, pkg) {
			for _, b := range banned {
				require.False(t, d == b || strings.HasPrefix(d, b+"/") || strings.HasSuffix(b, "/") && strings.HasPrefix(d, b),
					"%s imports %s (banned: %s)", pkg, d, b)
			}
		}
	}
}

// TestElectionLinksNoMoreGnarkThanVerifier: every gnark package the ballot
// box and the audit link is one the verifier needs anyway.
func TestElectionLinksNoMoreGnarkThanVerifier(t *testing.T) {
	const mod = "github.com/netstate/zkvote/"
	need := map[string]bool{}
	for _, d := range deps(t, mod+"verifier") {
		need[d] = true
	}
	n := 0
	for _, d := range deps(t, mod+"election") {
		if strings.HasPrefix(d, "github.com/consensys/gnark/") {
			n++
			require.True(t, need[d], "election links %s, which the verifier does not", d)
		}
	}
	t.Logf("election links %d gnark packages, all of them the verifier's", n)
}

// TestProverGnarkVersion: the version recorded in key files is the one built.
func TestProverGnarkVersion(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "github.com/consensys/gnark").CombinedOutput()
	require.NoError(t, err, string(out))
	fields := strings.Fields(string(out))
	require.Equal(t, fields[len(fields)-1], proverGnarkVersion(t))
}
