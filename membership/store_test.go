package membership

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/internal/crashtest"
	"github.com/netstate/zkvote/internal/wal"
)

func openT(t *testing.T, dir string, opts *TreeOptions) *Tree {
	t.Helper()
	tr, err := OpenTree(context.Background(), dir, opts)
	require.NoError(t, err)
	return tr
}

// buildPersistent makes a tree with inserts, updates and removals, closed
// without a snapshot when snap is false (so the state lives in the log).
func buildPersistent(t *testing.T, dir string, snap bool) []fr.Element {
	t.Helper()
	tr := openT(t, dir, nil)
	cs := testLeaves(0, 10)
	_, err := tr.InsertMany(context.Background(), cs[:6])
	require.NoError(t, err)
	for _, c := range cs[6:] {
		_, err := tr.Insert(c)
		require.NoError(t, err)
	}
	up := testLeaves(100, 1)[0]
	require.NoError(t, tr.Update(3, up))
	require.NoError(t, tr.Remove(5))
	leaves := elems(cs)
	leaves[3] = fr.Element(up)
	leaves[5] = fr.Element{}
	if snap {
		require.NoError(t, tr.Close())
	} else {
		// Drop the tree without Close: as after a crash.
		tr.store.log.Close()
		wal.Unlock(tr.store.lock)
	}
	return leaves
}

func TestPersistReopen(t *testing.T) {
	for _, snap := range []bool{false, true} {
		t.Run(fmt.Sprintf("snapshot=%v", snap), func(t *testing.T) {
			dir := t.TempDir()
			leaves := buildPersistent(t, dir, snap)
			tr := openT(t, dir, nil)
			checkTree(t, tr, leaves)
			require.Equal(t, uint64(7), tr.seq)
			// It keeps working after reopening, and again after that.
			c := testLeaves(200, 1)[0]
			_, err := tr.Insert(c)
			require.NoError(t, err)
			leaves = append(leaves, fr.Element(c))
			require.NoError(t, tr.Close())
			_, err = tr.Insert(testLeaves(201, 1)[0])
			require.ErrorIs(t, err, ErrClosed)
			tr = openT(t, dir, nil)
			defer tr.Close()
			checkTree(t, tr, leaves)
		})
	}
}

// TestOpenExisting: with Existing, a directory that holds no tree (empty,
// missing, or holding other files) is ErrNoTree and is left as it was; one
// that holds a tree, with or without a snapshot, opens as usual.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	existing := &TreeOptions{Existing: true}
	empty := t.TempDir()
	_, err := OpenTree(ctx, empty, existing)
	require.ErrorIs(t, err, ErrNoTree)
	entries, err := os.ReadDir(empty)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing created")

	missing := filepath.Join(t.TempDir(), "census")
	_, err = OpenTree(ctx, missing, existing)
	require.ErrorIs(t, err, ErrNoTree)
	_, err = os.Stat(missing)
	require.ErrorIs(t, err, os.ErrNotExist, "the directory is not created")

	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o600))
	_, err = OpenTree(ctx, other, existing)
	require.ErrorIs(t, err, ErrNoTree)

	for _, snap := range []bool{false, true} {
		dir := t.TempDir()
		leaves := buildPersistent(t, dir, snap)
		tr := openT(t, dir, existing)
		checkTree(t, tr, leaves)
		require.NoError(t, tr.Close())
	}
	// A snapshot without its log is a damaged tree, not no tree.
	dir := t.TempDir()
	buildPersistent(t, dir, true)
	require.NoError(t, os.Remove(filepath.Join(dir, logName)))
	_, err = OpenTree(ctx, dir, existing)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestPersistHistory(t *testing.T) {
	dir := t.TempDir()
	tr := openT(t, dir, &TreeOptions{RootHistory: 4})
	var roots []fr.Element
	for _, c := range testLeaves(0, 6) {
		_, err := tr.Insert(c)
		require.NoError(t, err)
		roots = append(roots, tr.Root())
	}
	require.NoError(t, tr.Close())
	tr = openT(t, dir, &TreeOptions{RootHistory: 4})
	defer tr.Close()
	for i, r := range roots {
		require.Equal(t, i >= 2, tr.KnownRoot(r), "root %d", i)
	}
}

func TestSnapshotEveryAndReplayAfterSnapshot(t *testing.T) {
	dir := t.TempDir()
	tr := openT(t, dir, &TreeOptions{SnapshotBytes: 200})
	var leaves []fr.Element
	for i := range 40 {
		cs := testLeaves(i*3, 3)
		_, err := tr.InsertMany(context.Background(), cs)
		require.NoError(t, err)
		leaves = append(leaves, elems(cs)...)
	}
	// Drop without Close: state = last snapshot + log tail.
	tr.store.log.Close()
	wal.Unlock(tr.store.lock)
	st, err := os.Stat(filepath.Join(dir, snapName))
	require.NoError(t, err)
	require.Positive(t, st.Size())
	re := openT(t, dir, nil)
	defer re.Close()
	checkTree(t, re, leaves)
}

func TestLockExclusive(t *testing.T) {
	dir := t.TempDir()
	tr := openT(t, dir, nil)
	_, err := OpenTree(context.Background(), dir, nil)
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, tr.Close())
	tr = openT(t, dir, nil)
	require.NoError(t, tr.Close())
}

func readFile(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// TestCorruptSnapshot: every damaged snapshot is a clear error, and the files
// are left as they were.
func TestCorruptSnapshot(t *testing.T) {
	base := t.TempDir()
	buildPersistent(t, base, true)
	good := readFile(t, filepath.Join(base, snapName))
	goodLog := readFile(t, filepath.Join(base, logName))
	cases := map[string][]byte{
		"empty":     {},
		"header":    good[:10],
		"truncated": good[:len(good)-1],
		"trailing":  append(append([]byte(nil), good...), 0),
		"magic":     append([]byte("XKVTSNAP"), good[8:]...),
	}
	v := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(v[8:], 1)
	cases["version"] = v
	sz := append([]byte(nil), good...)
	binary.BigEndian.PutUint64(sz[20:], 1<<40)
	cases["huge size"] = sz
	for i := 0; i < len(good); i += 7 {
		b := append([]byte(nil), good...)
		b[i] ^= 1 << (i % 8)
		cases[fmt.Sprintf("flip %d", i)] = b
	}
	for name, data := range cases {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, snapName), data)
		writeFile(t, filepath.Join(dir, logName), goodLog)
		_, err := OpenTree(context.Background(), dir, nil)
		require.ErrorIs(t, err, ErrCorrupt, name)
		require.Equal(t, data, readFile(t, filepath.Join(dir, snapName)), name)
		_, err = ReadTreeSnapshot(data, nil)
		require.ErrorIs(t, err, ErrCorrupt, name)
	}
}

func TestCorruptLog(t *testing.T) {
	base := t.TempDir()
	leaves := buildPersistent(t, base, false)
	good := readFile(t, filepath.Join(base, logName))
	wantRoot := refRoot(leaves)

	open := func(data []byte) (*Tree, error) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, logName), data)
		return OpenTree(context.Background(), dir, nil)
	}
	// Every complete-record prefix and every cut inside a record recovers
	// to a prefix of the operations, never to anything else.
	prefixRoots := map[fr.Element]bool{}
	for cut := logHeaderSize; cut <= len(good); cut++ {
		tr, err := open(good[:cut])
		require.NoError(t, err, "cut at %d", cut)
		root := tr.Root()
		prefixRoots[root] = true
		if cut == len(good) {
			require.True(t, wantRoot.Equal(&root))
			require.Zero(t, tr.store.recovered)
		}
		require.NoError(t, tr.Close())
	}
	// Seven operations: the cuts may only produce the eight prefix roots.
	require.Len(t, prefixRoots, 8, "cuts produced roots of no prefix")

	bad := map[string][]byte{
		"empty":    {},
		"header":   good[:5],
		"magic":    append([]byte("XKVTLOG\x00"), good[8:]...),
		"trailing": append(append([]byte(nil), good...), 1, 2, 3, 4, 5, 6, 7, 8, 9), // zeros would be a torn tail
	}
	v := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(v[8:], 9)
	bad["version"] = v
	for i := logHeaderSize; i < len(good); i++ {
		b := append([]byte(nil), good...)
		b[i] ^= 0x10
		bad[fmt.Sprintf("flip %d", i)] = b
	}
	for name, data := range bad {
		tr, err := open(data)
		if err == nil {
			// A flip can only be accepted if it hit a torn tail that was
			// then dropped; it must never yield a different full root.
			root := tr.Root()
			require.False(t, wantRoot.Equal(&root) && name != "", name)
			require.True(t, prefixRoots[root], "%s: root of no prefix", name)
			tr.Close()
			continue
		}
		require.ErrorIs(t, err, ErrCorrupt, name)
	}
}

func TestLogMissingWithSnapshot(t *testing.T) {
	dir := t.TempDir()
	buildPersistent(t, dir, true)
	require.NoError(t, os.Remove(filepath.Join(dir, logName)))
	_, err := OpenTree(context.Background(), dir, nil)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestLogGap(t *testing.T) {
	dir := t.TempDir()
	tr := openT(t, dir, nil)
	_, err := tr.InsertMany(context.Background(), testLeaves(0, 2))
	require.NoError(t, err)
	require.NoError(t, tr.Close()) // snapshot at seq 1, empty log
	o := op{seq: 3, kind: opInsert, leaves: testLeaves(5, 1)}
	f, err := os.OpenFile(filepath.Join(dir, logName), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(o.record())
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = OpenTree(context.Background(), dir, nil)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestLogInvalidOperation(t *testing.T) {
	// A well-formed record that the tree would have rejected (a duplicate)
	// is corruption, not something to apply.
	dir := t.TempDir()
	tr := openT(t, dir, nil)
	cs := testLeaves(0, 2)
	_, err := tr.InsertMany(context.Background(), cs)
	require.NoError(t, err)
	tr.store.log.Close()
	wal.Unlock(tr.store.lock)
	o := op{seq: 2, kind: opInsert, leaves: cs[:1]}
	f, err := os.OpenFile(filepath.Join(dir, logName), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(o.record())
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = OpenTree(context.Background(), dir, nil)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestOpenCancelled(t *testing.T) {
	dir := t.TempDir()
	buildPersistent(t, dir, false)
	before := readFile(t, filepath.Join(dir, logName))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := OpenTree(ctx, dir, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, before, readFile(t, filepath.Join(dir, logName)))
	tr := openT(t, dir, nil)
	require.NoError(t, tr.Close())
}

// crashOps is the deterministic operation stream of the crash test: op k
// (1-based) is applied to ref; it returns false when the op is an update or
// remove the tree would reject.
func crashOp(ref *Tree, k int) op {
	rng := rand.New(rand.NewPCG(uint64(k), 99))
	n := ref.size()
	switch {
	case n > 4 && k%7 == 0:
		i := rng.Uint64N(n)
		if ref.commits[i].IsZero() {
			return op{kind: opInsert, leaves: testLeaves(100000+k, 1)}
		}
		return op{kind: opRemove, index: i}
	case n > 4 && k%5 == 0:
		i := rng.Uint64N(n)
		if ref.commits[i].IsZero() {
			return op{kind: opInsert, leaves: testLeaves(100000+k, 1)}
		}
		return op{kind: opUpdate, index: i, leaves: testLeaves(200000+k, 1)}
	default:
		return op{kind: opInsert, leaves: testLeaves(k*16, 1+rng.IntN(16))}
	}
}

func runOp(tr *Tree, o op) error {
	switch o.kind {
	case opInsert:
		_, err := tr.InsertMany(context.Background(), o.leaves)
		return err
	case opUpdate:
		return tr.Update(o.index, o.leaves[0])
	default:
		return tr.Remove(o.index)
	}
}

// TestCrashHelper is the writer subprocess of TestKillWriter.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv("ZKVOTE_CRASH_DIR")
	if dir == "" {
		t.Skip("subprocess of TestKillWriter")
	}
	tr, err := OpenTree(context.Background(), dir, &TreeOptions{SnapshotBytes: 8 << 10})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	for k := int(tr.seq) + 1; ; k++ {
		if err := runOp(tr, crashOp(tr, k)); err != nil {
			fmt.Fprintln(out, "error:", err)
			out.Flush()
			os.Exit(3)
		}
		fmt.Fprintf(out, "ack %d\n", k)
		out.Flush()
	}
}

// TestKillWriter kills a writing subprocess with SIGKILL at random moments
// (snapshots included) and checks that the reopened tree is a prefix of the
// operations that includes every acknowledged one.
func TestKillWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns subprocesses")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 7))
	ref := NewTree(nil)
	roots := []fr.Element{ref.Root()}
	extend := func(upto uint64) {
		for ref.seq < upto {
			k := int(ref.seq) + 1
			require.NoError(t, runOp(ref, crashOp(ref, k)))
			roots = append(roots, ref.Root())
		}
	}
	acked := uint64(0)
	for round := range 8 {
		d := time.Duration(30+rng.IntN(150)) * time.Millisecond
		for _, n := range crashtest.Acks(t, "TestCrashHelper", []string{"ZKVOTE_CRASH_DIR=" + dir}, d) {
			acked = max(acked, n)
		}
		tr := openT(t, dir, nil)
		require.GreaterOrEqual(t, tr.seq, acked, "round %d lost acknowledged operations", round)
		extend(tr.seq)
		got := tr.Root()
		require.True(t, roots[tr.seq].Equal(&got), "round %d: root is not that of prefix %d", round, tr.seq)
		acked = tr.seq
		require.NoError(t, tr.Close())
	}
	require.Positive(t, acked)
}

func FuzzReadTreeSnapshot(f *testing.F) {
	dir := f.TempDir()
	tr, err := OpenTree(context.Background(), dir, nil)
	if err != nil {
		f.Fatal(err)
	}
	_, _ = tr.InsertMany(context.Background(), testLeaves(0, 5))
	var sb strings.Builder
	if err := tr.WriteSnapshot(&sb); err != nil {
		f.Fatal(err)
	}
	tr.Close()
	f.Add([]byte(sb.String()))
	f.Add([]byte{})
	f.Add([]byte(snapMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadTreeSnapshot(data, nil)
		if err != nil {
			return
		}
		if binary.BigEndian.Uint32(data[28:]) > DefaultRootHistory {
			return // the history was cut to the configured length
		}
		var out strings.Builder
		require.NoError(t, tr.WriteSnapshot(&out))
		require.Equal(t, string(data), out.String(), "decode→encode is not exact")
	})
}

func FuzzOpenLog(f *testing.F) {
	dir := f.TempDir()
	tr, err := OpenTree(context.Background(), dir, nil)
	if err != nil {
		f.Fatal(err)
	}
	_, _ = tr.InsertMany(context.Background(), testLeaves(0, 3))
	_ = tr.Update(1, testLeaves(9, 1)[0])
	_ = tr.Remove(0)
	log, _ := os.ReadFile(filepath.Join(dir, logName))
	tr.store.log.Close()
	wal.Unlock(tr.store.lock)
	f.Add(log)
	f.Add(log[:logHeaderSize])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		writeFile(t, filepath.Join(d, logName), data)
		tr, err := OpenTree(context.Background(), d, nil)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		defer tr.Close()
		// Whatever opened is a consistent tree.
		want := refRoot(elems(tr.Leaves()))
		got := tr.Root()
		require.True(t, want.Equal(&got))
	})
}
