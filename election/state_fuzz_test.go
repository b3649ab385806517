package election

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/verifier"
)

// fuzzBox is a box's state for decoding state files: parameters of three
// options, open or secret, and no log.
func fuzzBox(t testing.TB, dir string) *Box {
	t.Helper()
	_, vkey := testkeys.Key("zkvote.test/box")
	var root fr.Element
	root.SetUint64(5)
	p := &Params{Question: "q", Options: []string{"a", "b", "c"}, Census: []membership.Head{{Size: 1, Root: root}},
		Rules: SingleChoice(), Depth: 4, MaxOptions: 4, Log: LogKeys{Box: vkey},
		VoteKey: KeyPin{Backend: verifier.Groth16, ID: [32]byte{1}}, TallyKey: KeyPin{Backend: verifier.Groth16, ID: [32]byte{2}}}
	digest, err := p.Digest()
	require.NoError(t, err)
	skey, _ := testkeys.Key("zkvote.test/box")
	b := &Box{params: p, digest: digest, scope: p.Scope(), dir: dir, stateKey: stateKey(skey),
		used: map[fr.Element]struct{}{}, latest: map[fr.Element]*latest{}, totals: make([]uint64, 3)}
	b.head = chain.Genesis(b.scope)
	b.durable = Results{Totals: make([]uint64, 3), Head: b.head}
	return b
}

// FuzzLoadState: a state file's body, however it decodes, never panics, is
// refused or gives a snapshot within its stated bounds, and the box it is
// applied to counts what it says. (The body is MACed here as the box would:
// the MAC alone refuses any other file.)
func FuzzLoadState(f *testing.F) {
	dir := f.TempDir()
	b := fuzzBox(f, dir)
	b.size = 3
	var n fr.Element
	n.SetUint64(9)
	b.used[n] = struct{}{}
	b.durable.Ballots = 1
	b.durable.Totals[1] = 1
	b.tree.Append([]byte{0})
	require.NoError(f, b.saveState())
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	require.NoError(f, err)
	f.Add(raw[:len(raw)-32], uint64(3))
	f.Add([]byte(stateMagic), uint64(1))
	f.Fuzz(func(t *testing.T, body []byte, size uint64) {
		d := t.TempDir()
		box := fuzzBox(t, d)
		require.NoError(t, os.WriteFile(filepath.Join(d, stateFile), box.stateMAC(body), 0o600))
		s, err := box.loadState(size % (1 << 20))
		if err != nil {
			require.ErrorIs(t, err, errNoState)
			return
		}
		require.LessOrEqual(t, s.size, size%(1<<20))
		require.LessOrEqual(t, s.res.Ballots, s.size)
		require.Len(t, s.used, int(s.res.Ballots))
		box.apply(s)
		require.Len(t, box.used, int(s.res.Ballots), "one nullifier per ballot, none twice")
	})
}

// FuzzReadTreeState: Tessera's tree state file, whatever its bytes, is
// read or refused with ErrCorrupt, never a panic.
func FuzzReadTreeState(f *testing.F) {
	f.Add([]byte(`{"size":3,"root":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Add([]byte(`{"size":30`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(d, ".state"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(d, ".state", "treeState"), data, 0o600))
		_, _, exists, err := readTreeState(d)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			require.False(t, exists)
		}
	})
}
