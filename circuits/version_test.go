package circuits

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/netstate/zkvote/statement"
	"github.com/stretchr/testify/require"
)

const digestsFile = "testdata/digests.txt"

// digestCircuits are small instances of every circuit: any change to a
// circuit's constraints changes at least one of their compiled forms.
func digestCircuits(t *testing.T) map[string]frontend.Circuit {
	m, err := shapeMembership(4)
	require.NoError(t, err)
	v, err := shapeVote(4, 4)
	require.NoError(t, err)
	ta, err := shapeTally(4, 4)
	require.NoError(t, err)
	sv1, err := New(statement.SecretVote(4, 2, 1))
	require.NoError(t, err)
	sv2, err := New(statement.SecretVote(4, 3, 2))
	require.NoError(t, err)
	sv3, err := New(statement.SecretVote(4, 2, 2)) // one ciphertext: the other plan for the key's multiple
	require.NoError(t, err)
	return map[string]frontend.Circuit{"membership/depth=4": m, "vote/depth=4/options=4": v, "tally/batch=4/options=4": ta,
		"secret-vote/depth=4/options=2/pack=1": sv1, "secret-vote/depth=4/options=3/pack=2": sv2, "secret-vote/depth=4/options=2/pack=2": sv3}
}

func compiledDigest(t *testing.T, c frontend.Circuit) string {
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	require.NoError(t, err)
	var b bytes.Buffer
	_, err = ccs.WriteTo(&b)
	require.NoError(t, err)
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// TestVersionPinsCircuits: a circuit whose compiled form changed without a
// bump of statement.Version fails here. After a deliberate change: bump statement.Version, then
// go test ./circuits -run 'ConstraintCounts|VersionPins' -update-constraints.
func TestVersionPinsCircuits(t *testing.T) {
	type pin struct {
		version int
		digest  string
	}
	pins := map[string]pin{}
	if f, err := os.Open(digestsFile); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			fs := strings.Fields(line)
			require.Len(t, fs, 3, "bad line %q", line)
			v, err := strconv.Atoi(fs[1])
			require.NoError(t, err)
			pins[fs[0]] = pin{v, fs[2]}
		}
		f.Close()
		require.NoError(t, sc.Err())
	} else if !*updateCounts {
		require.NoError(t, err)
	}
	got := map[string]string{}
	for name, c := range digestCircuits(t) {
		got[name] = compiledDigest(t, c)
		require.Equal(t, got[name], compiledDigest(t, c), "compilation of %s is not deterministic", name)
	}
	for name, d := range got {
		p, ok := pins[name]
		switch {
		case ok && p.digest == d:
			continue
		case *updateCounts:
			require.True(t, !ok || p.version < statement.Version,
				"%s changed but statement.Version is still %d: bump statement.Version first", name, statement.Version)
		default:
			t.Errorf("%s compiles to %s…, pinned %s… at version %d: if the change is deliberate, bump statement.Version and run with -update-constraints",
				name, d[:12], p.digest[:min(12, len(p.digest))], p.version)
		}
	}
	if !*updateCounts {
		return
	}
	names := make([]string, 0, len(got))
	for name := range got {
		names = append(names, name)
	}
	sort.Strings(names)
	var out strings.Builder
	out.WriteString("# SHA-256 of the compiled R1CS of small instances, with the statement.Version they were pinned at.\n")
	out.WriteString("# Regenerate only after bumping statement.Version: go test ./circuits -run VersionPins -update-constraints\n")
	for _, name := range names {
		v := statement.Version
		if p, ok := pins[name]; ok && p.digest == got[name] {
			v = p.version
		}
		fmt.Fprintf(&out, "%s %d %s\n", name, v, got[name])
	}
	require.NoError(t, os.WriteFile(digestsFile, []byte(out.String()), 0o644))
}
