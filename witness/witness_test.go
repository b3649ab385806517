package witness

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"filippo.io/torchwood"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// testLog is an in-memory log of C2SP checkpoints over RFC 6962 hashes, as
// a ballot box's transparency log would sign them.
type testLog struct {
	origin string
	signer note.Signer
	key    note.Verifier
	hashes []tlog.Hash // stored hashes, by storage index
	n      int64
}

func newTestLog(t testing.TB, origin string) *testLog {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	require.NoError(t, err)
	signer, err := note.NewSigner(skey)
	require.NoError(t, err)
	key, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	return &testLog{origin: origin, signer: signer, key: key}
}

func (l *testLog) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= int64(len(l.hashes)) {
				return nil, fmt.Errorf("hash %d not stored", x)
			}
			out[i] = l.hashes[x]
		}
		return out, nil
	})
}

// append adds entries to the log.
func (l *testLog) append(t testing.TB, entries ...string) {
	for _, e := range entries {
		hs, err := tlog.StoredHashes(l.n, []byte(e), l.reader())
		require.NoError(t, err)
		l.hashes = append(l.hashes, hs...)
		l.n++
	}
}

// checkpoint signs the log's checkpoint at its current size.
func (l *testLog) checkpoint(t testing.TB) []byte {
	return l.checkpointAt(t, l.n)
}

func (l *testLog) checkpointAt(t testing.TB, n int64) []byte {
	h, err := tlog.TreeHash(n, l.reader())
	require.NoError(t, err)
	text := torchwood.Checkpoint{Origin: l.origin, Tree: tlog.Tree{N: n, Hash: h}}.String()
	b, err := note.Sign(&note.Note{Text: text}, l.signer)
	require.NoError(t, err)
	return b
}

// proof returns the consistency proof from size m to the current size.
func (l *testLog) proof(t testing.TB, m int64) []tlog.Hash {
	if m == 0 || m == l.n {
		return nil
	}
	p, err := tlog.ProveTree(l.n, m, l.reader())
	require.NoError(t, err)
	return p
}

func entries(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("ballot %d", i))
	}
	return out
}

func newKey(t testing.TB) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return k
}

func openWitness(t testing.TB, dir string, key ed25519.PrivateKey, logs ...*testLog) *Witness {
	c := Config{Dir: dir, Name: "witness.example/w1", Key: key}
	for _, l := range logs {
		c.Logs = append(c.Logs, Log{Origin: l.origin, Key: l.key})
	}
	w, err := Open(c)
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	return w
}

// cosigned checks that sigs are the witness's valid cosignature of the
// checkpoint, next to the log's signature.
func cosigned(t testing.TB, w *Witness, l *testLog, checkpoint, sigs []byte) {
	n, err := note.Open(append(append([]byte(nil), checkpoint...), sigs...), note.VerifierList(l.key, w.Verifier()))
	require.NoError(t, err)
	require.Len(t, n.Sigs, 2)
	var names []string
	for _, s := range n.Sigs {
		names = append(names, s.Name)
	}
	require.ElementsMatch(t, []string{l.origin, "witness.example/w1"}, names)
	for _, s := range n.Sigs {
		if s.Name == "witness.example/w1" {
			_, err := torchwood.CosignatureTimestamp(s)
			require.NoError(t, err)
		}
	}
}

// TestWitnessFollowsLog: the witness cosigns the first checkpoint it sees,
// then each checkpoint that extends the last by a valid proof, and the same
// checkpoint again; its cosignatures verify with its key.
func TestWitnessFollowsLog(t *testing.T) {
	l := newTestLog(t, "box.example/election-1")
	w := openWitness(t, t.TempDir(), newKey(t), l)
	require.Contains(t, w.VerifierKey(), "witness.example/w1+")
	_, _, ok := w.Latest(l.origin)
	require.False(t, ok)

	l.append(t, entries(0, 10)...)
	cp := l.checkpoint(t)
	sigs, err := w.AddCheckpoint(0, nil, cp)
	require.NoError(t, err)
	cosigned(t, w, l, cp, sigs)

	for _, grow := range []int{1, 7, 256, 3} {
		old := l.n
		l.append(t, entries(int(old), int(old)+grow)...)
		cp = l.checkpoint(t)
		sigs, err := w.AddCheckpoint(old, l.proof(t, old), cp)
		require.NoError(t, err, "from %d to %d", old, l.n)
		cosigned(t, w, l, cp, sigs)
	}
	sigs, err = w.AddCheckpoint(l.n, nil, cp)
	require.NoError(t, err, "the same checkpoint again")
	cosigned(t, w, l, cp, sigs)
	got, size, ok := w.Latest(l.origin)
	require.True(t, ok)
	require.Equal(t, l.n, size)
	require.Equal(t, cp, got)
}

// TestWitnessRefuses: every refusal of the specification, each with its
// error, and none changes what the witness holds.
func TestWitnessRefuses(t *testing.T) {
	l := newTestLog(t, "box.example/election-1")
	other := newTestLog(t, "box.example/election-2")
	impostor := newTestLog(t, l.origin) // same name, another key
	w := openWitness(t, t.TempDir(), newKey(t), l)
	l.append(t, entries(0, 10)...)
	first := l.checkpoint(t)
	_, err := w.AddCheckpoint(0, nil, first)
	require.NoError(t, err)
	l.append(t, entries(10, 20)...)
	next := l.checkpoint(t)

	other.append(t, "x")
	impostor.append(t, entries(0, 20)...)
	unsigned := []byte(torchwood.Checkpoint{Origin: l.origin, Tree: tlog.Tree{N: 20}}.String())
	badProof := l.proof(t, 10)
	badProof[0][0] ^= 1

	errConflict := errors.New("conflict") // marks the cases that expect a *ConflictError
	for name, c := range map[string]struct {
		old   int64
		proof []tlog.Hash
		cp    []byte
		want  error
	}{
		"unknown log":             {0, nil, other.checkpoint(t), ErrUnknownLog},
		"impostor key":            {10, l.proof(t, 10), impostor.checkpoint(t), ErrSignature},
		"unsigned":                {10, l.proof(t, 10), unsigned, ErrMalformed},
		"old size above":          {21, nil, next, ErrMalformed},
		"stale old size":          {0, nil, next, errConflict},
		"old size ahead":          {15, l.proof(t, 15), next, errConflict},
		"bad proof":               {10, badProof, next, ErrProof},
		"proof of another size":   {10, l.proof(t, 11), next, ErrProof},
		"no proof":                {10, nil, next, ErrProof},
		"too long a proof":        {10, make([]tlog.Hash, MaxProofHashes+1), next, ErrMalformed},
		"negative old size":       {-1, nil, next, ErrMalformed},
		"no newline":              {10, nil, []byte("box.example/election-1"), ErrMalformed},
		"oversized":               {10, nil, make([]byte, MaxCheckpointSize+1), ErrMalformed},
		"proof between one size":  {10, l.proof(t, 11), first, ErrMalformed},
		"checkpoint body garbage": {10, nil, signBody(t, l, "box.example/election-1\n-3\nxx\n"), ErrMalformed},
	} {
		_, err := w.AddCheckpoint(c.old, c.proof, c.cp)
		if c.want == errConflict {
			var conflict *ConflictError
			require.ErrorAs(t, err, &conflict, name)
			require.Equal(t, int64(10), conflict.Size, name)
		} else {
			require.ErrorIs(t, err, c.want, name)
		}
		got, size, _ := w.Latest(l.origin)
		require.Equal(t, int64(10), size, name)
		require.Equal(t, first, got, name)
	}
	// A proof from 0 is refused even to a witness that has seen nothing.
	w2 := openWitness(t, t.TempDir(), newKey(t), l)
	_, err = w2.AddCheckpoint(0, l.proof(t, 10), next)
	require.ErrorIs(t, err, ErrMalformed)
}

func signBody(t testing.TB, l *testLog, text string) []byte {
	b, err := note.Sign(&note.Note{Text: text}, l.signer)
	require.NoError(t, err)
	return b
}

// cosignedLog returns a log of 10 ballots and a witness that cosigned its
// checkpoint, honest.
func cosignedLog(t *testing.T) (l *testLog, w *Witness, honest []byte) {
	l = newTestLog(t, "box.example/election-1")
	w = openWitness(t, t.TempDir(), newKey(t), l)
	l.append(t, entries(0, 10)...)
	honest = l.checkpoint(t)
	_, err := w.AddCheckpoint(0, nil, honest)
	require.NoError(t, err)
	return l, w, honest
}

// forkWithout returns a log under the same key as l with the ballots below
// end except ballot drop: a fork that dropped one.
func (l *testLog) forkWithout(t *testing.T, drop, end int) *testLog {
	fork := newTestLog(t, l.origin)
	fork.signer, fork.key = l.signer, l.key
	fork.append(t, append(entries(0, drop), entries(drop+1, end)...)...)
	return fork
}

// TestWitnessCatchesEquivocation: a log that signs a second checkpoint of
// the size already cosigned, with another root (it replaced a ballot), is
// refused, and the evidence proves it to anyone with the log's key.
func TestWitnessCatchesEquivocation(t *testing.T) {
	l, w, honest := cosignedLog(t)
	fork := l.forkWithout(t, 7, 11) // ballot 7 dropped, one more at the end
	forged := fork.checkpoint(t)
	_, err := w.AddCheckpoint(10, nil, forged)
	var eq *EquivocationError
	require.ErrorAs(t, err, &eq)
	require.NoError(t, VerifyMisbehaviour(l.key, eq.Evidence))
	parsed, err := ParseMisbehaviour(eq.Evidence.Bytes())
	require.NoError(t, err)
	require.NoError(t, VerifyMisbehaviour(l.key, parsed))
	require.Equal(t, eq.Evidence, parsed)

	got, _, _ := w.Latest(l.origin)
	require.Equal(t, honest, got, "the witness keeps the checkpoint it cosigned")

	// The evidence is worthless under another key, or with one checkpoint
	// twice.
	impostor := newTestLog(t, l.origin)
	require.Error(t, VerifyMisbehaviour(impostor.key, eq.Evidence))
	require.ErrorIs(t, VerifyMisbehaviour(l.key, &Misbehaviour{First: honest, Second: honest}), ErrNotMisbehaviour)
	require.ErrorIs(t, VerifyMisbehaviour(l.key, nil), ErrNotMisbehaviour)
}

// TestForkAcrossSizes: the log drops a ballot it had checkpointed and goes
// on growing. The witness refuses the new checkpoint (no valid proof can
// exist), and a monitor holding the forked log's hashes proves the fork.
// An honest extension is not misbehaviour.
func TestForkAcrossSizes(t *testing.T) {
	l, w, honest := cosignedLog(t)
	fork := l.forkWithout(t, 7, 15)
	forged := fork.checkpoint(t)
	_, err := w.AddCheckpoint(10, fork.proof(t, 10), forged)
	require.ErrorIs(t, err, ErrProof)

	m, err := ProveFork(l.key, honest, forged, fork.reader())
	require.NoError(t, err)
	require.NoError(t, VerifyMisbehaviour(l.key, m))
	back, err := ParseMisbehaviour(m.Bytes())
	require.NoError(t, err)
	require.NoError(t, VerifyMisbehaviour(l.key, back))
	// Tampering with the evidence breaks it.
	bad := *back
	bad.Proof = append([]tlog.Hash(nil), back.Proof...)
	bad.Proof[0][3] ^= 1
	require.ErrorIs(t, VerifyMisbehaviour(l.key, &bad), ErrNotMisbehaviour)
	bad = *back
	bad.Root = func() tlog.Hash { h, _ := tlog.TreeHash(10, l.reader()); return h }()
	require.ErrorIs(t, VerifyMisbehaviour(l.key, &bad), ErrNotMisbehaviour)
	bad = *back
	bad.First, bad.Second = back.Second, back.First
	require.ErrorIs(t, VerifyMisbehaviour(l.key, &bad), ErrNotMisbehaviour)

	l.append(t, entries(10, 15)...)
	_, err = ProveFork(l.key, honest, l.checkpoint(t), l.reader())
	require.ErrorIs(t, err, ErrNotMisbehaviour, "an honest extension")
	_, err = ProveFork(l.key, l.checkpoint(t), honest, l.reader())
	require.ErrorIs(t, err, ErrNotMisbehaviour, "the larger first")
}

// TestWitnessPersists: the witness reopens with what it cosigned, so a
// rollback is refused after a restart; a second process cannot open its
// state; a damaged state file, or one signed by another key, stops it.
func TestWitnessPersists(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	l := newTestLog(t, "box.example/election-1")
	w := openWitness(t, dir, key, l)
	l.append(t, entries(0, 10)...)
	cp := l.checkpoint(t)
	_, err := w.AddCheckpoint(0, nil, cp)
	require.NoError(t, err)
	_, err = Open(Config{Dir: dir, Name: "witness.example/w1", Key: key, Logs: []Log{{l.origin, l.key}}})
	require.Error(t, err, "a second witness on the same state")
	require.NoError(t, w.Close())
	_, err = w.AddCheckpoint(10, nil, cp)
	require.Error(t, err, "closed")

	w = openWitness(t, dir, key, l)
	got, size, ok := w.Latest(l.origin)
	require.True(t, ok)
	require.Equal(t, int64(10), size)
	require.Equal(t, cp, got)
	var conflict *ConflictError
	_, err = w.AddCheckpoint(0, nil, l.checkpointAt(t, 5))
	require.ErrorAs(t, err, &conflict, "a rollback after restart")
	require.NoError(t, w.Close())

	files, err := filepath.Glob(filepath.Join(dir, "log-*.checkpoint"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	require.NoError(t, os.WriteFile(files[0], []byte("garbage"), 0o600))
	_, err = Open(Config{Dir: dir, Name: "witness.example/w1", Key: key, Logs: []Log{{l.origin, l.key}}})
	require.ErrorIs(t, err, ErrMalformed)
	impostor := newTestLog(t, l.origin)
	impostor.append(t, "x")
	require.NoError(t, os.WriteFile(files[0], impostor.checkpoint(t), 0o600))
	_, err = Open(Config{Dir: dir, Name: "witness.example/w1", Key: key, Logs: []Log{{l.origin, l.key}}})
	require.ErrorIs(t, err, ErrSignature)
}

// TestOpenRefusesConfig: a bad key, name or log list is refused.
func TestOpenRefusesConfig(t *testing.T) {
	l := newTestLog(t, "box.example/election-1")
	for name, c := range map[string]Config{
		"no key":          {Name: "w", Logs: []Log{{l.origin, l.key}}},
		"bad name":        {Name: "a b", Key: newKey(t)},
		"key misnamed":    {Name: "w", Key: newKey(t), Logs: []Log{{"box.example/other", l.key}}},
		"log twice":       {Name: "w", Key: newKey(t), Logs: []Log{{l.origin, l.key}, {l.origin, l.key}}},
		"log without key": {Name: "w", Key: newKey(t), Logs: []Log{{Origin: l.origin}}},
	} {
		c.Dir = t.TempDir()
		_, err := Open(c)
		require.Error(t, err, name)
	}
}

// TestWitnessConcurrent: many clients race to extend the log; whatever the
// interleaving, the witness never rolls back, and what it holds is the
// largest checkpoint it cosigned.
func TestWitnessConcurrent(t *testing.T) {
	l := newTestLog(t, "box.example/election-1")
	w := openWitness(t, t.TempDir(), newKey(t), l)
	l.append(t, entries(0, 200)...)
	var mu sync.Mutex
	var best int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				_, old, _ := w.Latest(l.origin)
				n := min(old+int64(1+(g+i)%5), l.n)
				var proof []tlog.Hash
				if old != 0 && old != n {
					p, err := tlog.ProveTree(n, old, l.reader())
					if err != nil {
						panic(err)
					}
					proof = p
				}
				if _, err := w.AddCheckpoint(old, proof, l.checkpointAt(t, n)); err == nil {
					mu.Lock()
					best = max(best, n)
					mu.Unlock()
				} else {
					var c *ConflictError
					if !errors.As(err, &c) {
						panic(err)
					}
				}
			}
		})
	}
	wg.Wait()
	_, size, _ := w.Latest(l.origin)
	require.Equal(t, best, size)
}

// TestHTTP: the handler and Submit speak C2SP tlog-witness, status codes
// included.
func TestHTTP(t *testing.T) {
	l := newTestLog(t, "box.example/election-1")
	other := newTestLog(t, "box.example/election-2")
	w := openWitness(t, t.TempDir(), newKey(t), l)
	srv := httptest.NewServer(w)
	defer srv.Close()
	ctx := t.Context()
	l.append(t, entries(0, 10)...)
	cp := l.checkpoint(t)
	sigs, err := Submit(ctx, srv.Client(), srv.URL, 0, nil, cp)
	require.NoError(t, err)
	cosigned(t, w, l, cp, sigs)

	var conflict *ConflictError
	_, err = Submit(ctx, srv.Client(), srv.URL, 0, nil, cp)
	require.ErrorAs(t, err, &conflict)
	require.Equal(t, int64(10), conflict.Size)
	other.append(t, "x")
	_, err = Submit(ctx, srv.Client(), srv.URL, 0, nil, other.checkpoint(t))
	require.ErrorIs(t, err, ErrUnknownLog)
	impostor := newTestLog(t, l.origin)
	impostor.append(t, "x")
	_, err = Submit(ctx, srv.Client(), srv.URL, 10, nil, impostor.checkpointAt(t, 1))
	require.ErrorIs(t, err, ErrSignature)
	l.append(t, entries(10, 12)...)
	_, err = Submit(ctx, srv.Client(), srv.URL, 10, nil, l.checkpoint(t))
	require.ErrorIs(t, err, ErrProof)
	_, err = Submit(ctx, srv.Client(), srv.URL, 13, nil, l.checkpoint(t))
	require.ErrorIs(t, err, ErrMalformed)
	sigs, err = Submit(ctx, srv.Client(), srv.URL+"/", 10, l.proof(t, 10), l.checkpoint(t))
	require.NoError(t, err)
	cosigned(t, w, l, l.checkpoint(t), sigs)

	resp, err := srv.Client().Get(srv.URL + "/add-checkpoint")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	resp, err = srv.Client().Post(srv.URL+"/other", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestRequestRoundTrip: FormatRequest and ParseRequest are inverses, and
// ParseRequest refuses non-canonical forms.
func TestRequestRoundTrip(t *testing.T) {
	l := newTestLog(t, "box.example/election-1")
	l.append(t, entries(0, 20)...)
	proof := l.proof(t, 7)
	body := FormatRequest(7, proof, l.checkpoint(t))
	old, p, cp, err := ParseRequest(body)
	require.NoError(t, err)
	require.Equal(t, int64(7), old)
	require.Equal(t, proof, p)
	require.Equal(t, l.checkpoint(t), cp)
	for _, bad := range []string{
		"", "old 7", "old 07\n\n", "old -1\n\n", "old +7\n\n", "new 7\n\n", "old 7\nnot base64\n\n",
		"old 7\n" + "AAAA\n\n", "old 7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"old 99999999999999999999\n\n",
	} {
		_, _, _, err := ParseRequest([]byte(bad))
		require.ErrorIs(t, err, ErrMalformed, "%q", bad)
	}
	many := FormatRequest(7, make([]tlog.Hash, MaxProofHashes+1), nil)
	_, _, _, err = ParseRequest(many)
	require.ErrorIs(t, err, ErrMalformed)
}

func FuzzParseRequest(f *testing.F) {
	l := newTestLog(f, "box.example/election-1")
	l.append(f, entries(0, 20)...)
	f.Add(FormatRequest(7, l.proof(f, 7), l.checkpoint(f)))
	f.Add(FormatRequest(0, nil, l.checkpoint(f)))
	f.Add([]byte("old 1\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		old, proof, cp, err := ParseRequest(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, b, FormatRequest(old, proof, cp), "the encoding is canonical")
	})
}

func FuzzParseMisbehaviour(f *testing.F) {
	l := newTestLog(f, "box.example/election-1")
	l.append(f, entries(0, 10)...)
	a := l.checkpoint(f)
	l.append(f, entries(10, 12)...)
	f.Add((&Misbehaviour{First: a, Second: l.checkpoint(f)}).Bytes())
	f.Add((&Misbehaviour{First: a, Second: a, Root: tlog.Hash{1}, Proof: l.proof(f, 10)}).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMisbehaviour(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, b, m.Bytes(), "the encoding is canonical")
		_ = VerifyMisbehaviour(l.key, m) // must not panic
	})
}

// BenchmarkCosign measures what a witness does per checkpoint of a
// growing log: verify the log's signature and a consistency proof, cosign,
// and persist durably (fsync); op=verify is the client's side, a
// checkpoint with the log's signature and one cosignature.
func BenchmarkCosign(b *testing.B) {
	l := newTestLog(b, "box.example/election-1")
	l.append(b, entries(0, 100000)...)
	var cps [][]byte
	var proofs [][]tlog.Hash
	const step = 16
	for n := int64(step); n <= l.n; n += step {
		cps = append(cps, l.checkpointAt(b, n))
		if n > step {
			p, err := tlog.ProveTree(n, n-step, l.reader())
			require.NoError(b, err)
			proofs = append(proofs, p)
		} else {
			proofs = append(proofs, nil)
		}
	}
	var last []byte
	var w *Witness
	b.Run("op=cosign", func(b *testing.B) {
		w = openWitness(b, b.TempDir(), newKey(b), l)
		i := 0
		for b.Loop() {
			if i == len(cps) {
				b.Fatal("out of checkpoints")
			}
			sigs, err := w.AddCheckpoint(int64(i*step), proofs[i], cps[i])
			if err != nil {
				b.Fatal(err)
			}
			last = append(append([]byte(nil), cps[i]...), sigs...)
			i++
		}
	})
	b.Run("op=verify", func(b *testing.B) {
		if w == nil {
			w = openWitness(b, b.TempDir(), newKey(b), l)
			sigs, err := w.AddCheckpoint(0, nil, cps[0])
			require.NoError(b, err)
			last = append(append([]byte(nil), cps[0]...), sigs...)
		}
		vs := note.VerifierList(l.key, w.Verifier())
		for b.Loop() {
			if _, err := note.Open(last, vs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestPolicy: a checkpoint counts only with the log's signature and a
// quorum of distinct named witnesses; unknown cosigners do not count, a
// bad signature from a named key is refused, and a policy that could count
// a key twice is refused.
func TestPolicy(t *testing.T) {
	l := newTestLog(t, "box.example/election-1")
	l.append(t, entries(0, 10)...)
	cp := l.checkpoint(t)
	var ws []*Witness
	var cosigs [][]byte
	for i := range 3 {
		w, err := Open(Config{Dir: t.TempDir(), Name: fmt.Sprintf("witness.example/w%d", i), Key: newKey(t), Logs: []Log{{l.origin, l.key}}})
		require.NoError(t, err)
		t.Cleanup(func() { w.Close() })
		sigs, err := w.AddCheckpoint(0, nil, cp)
		require.NoError(t, err)
		ws = append(ws, w)
		cosigs = append(cosigs, sigs)
	}
	stranger := openWitness(t, t.TempDir(), newKey(t), l)
	strangerSigs, err := stranger.AddCheckpoint(0, nil, cp)
	require.NoError(t, err)
	with := func(sigs ...[]byte) []byte {
		out := append([]byte(nil), cp...)
		for _, s := range sigs {
			out = append(out, s...)
		}
		return out
	}
	p := Policy{Log: l.key, Witnesses: []note.Verifier{ws[0].Verifier(), ws[1].Verifier(), ws[2].Verifier()}, Quorum: 2}
	tree, err := p.Verify(with(cosigs[0], cosigs[2]))
	require.NoError(t, err)
	require.Equal(t, l.n, tree.N)
	_, err = p.Verify(with(cosigs[0], cosigs[1], cosigs[2], strangerSigs))
	require.NoError(t, err)
	for name, c := range map[string]struct {
		cp   []byte
		want error
	}{
		"one witness":               {with(cosigs[1]), ErrQuorum},
		"one witness twice":         {with(cosigs[1], cosigs[1]), ErrQuorum},
		"a stranger does not count": {with(cosigs[1], strangerSigs), ErrQuorum},
		"none":                      {cp, ErrQuorum},
		"bad cosignature":           {with(cosigs[0], flipLast(cosigs[1])), ErrSignature},
		"cosignatures only":         {append(append([]byte(l.checkpoint(t)[:len(cp)-len(lastLine(cp))]), cosigs[0]...), cosigs[1]...), ErrSignature},
		"oversized":                 {make([]byte, MaxCheckpointSize+1), ErrMalformed},
	} {
		_, err := p.Verify(c.cp)
		require.ErrorIs(t, err, c.want, name)
	}
	for name, bad := range map[string]Policy{
		"no log":               {Witnesses: p.Witnesses, Quorum: 1},
		"quorum too high":      {Log: l.key, Witnesses: p.Witnesses, Quorum: 4},
		"negative quorum":      {Log: l.key, Witnesses: p.Witnesses, Quorum: -1},
		"a witness twice":      {Log: l.key, Witnesses: []note.Verifier{ws[0].Verifier(), ws[0].Verifier()}, Quorum: 1},
		"the log as a witness": {Log: l.key, Witnesses: []note.Verifier{l.key}, Quorum: 1},
	} {
		_, err := bad.Verify(with(cosigs...))
		require.Error(t, err, name)
	}
}

// lastLine returns the last line of a note, its newline included.
func lastLine(b []byte) []byte {
	i := len(b) - 2
	for i >= 0 && b[i] != '\n' {
		i--
	}
	return b[i+1:]
}

// flipLast changes one base64 character of a signature line's signature.
func flipLast(line []byte) []byte {
	out := append([]byte(nil), line...)
	i := len(out) - 6
	if out[i] == 'A' {
		out[i] = 'B'
	} else {
		out[i] = 'A'
	}
	return out
}

// receiptFor returns the receipt of entry i of l at its current size,
// with the log's checkpoint cosigned by w.
func receiptFor(t testing.TB, l *testLog, w *Witness, old int64, i int64) *Receipt {
	cp := l.checkpoint(t)
	sigs, err := w.AddCheckpoint(old, l.proof(t, old), cp)
	require.NoError(t, err)
	proof, err := tlog.ProveRecord(l.n, i, l.reader())
	require.NoError(t, err)
	return &Receipt{Index: i, Checkpoint: append(cp, sigs...), Proof: proof}
}

// TestReceipt: a receipt proves its entry, offline, under the policy; any
// other entry, index or a tampered proof is refused, and so is a receipt
// whose checkpoint lacks the quorum. A later checkpoint is consistent
// with the receipt's; a fork that dropped the entry is not, and the
// evidence proves it.
func TestReceipt(t *testing.T) {
	l := newTestLog(t, "box.example/election-1")
	w := openWitness(t, t.TempDir(), newKey(t), l)
	l.append(t, entries(0, 10)...)
	r := receiptFor(t, l, w, 0, 7)
	p := Policy{Log: l.key, Witnesses: []note.Verifier{w.Verifier()}, Quorum: 1}
	tree, err := p.VerifyReceipt(r, []byte("ballot 7"))
	require.NoError(t, err)
	require.Equal(t, int64(10), tree.N)
	back, err := ParseReceipt(r.Bytes())
	require.NoError(t, err)
	require.Equal(t, r, back)
	_, err = p.VerifyReceipt(back, []byte("ballot 7"))
	require.NoError(t, err)

	bad := *r
	_, err = p.VerifyReceipt(&bad, []byte("ballot 6"))
	require.ErrorIs(t, err, ErrInclusion, "another entry")
	bad.Index = 6
	_, err = p.VerifyReceipt(&bad, []byte("ballot 7"))
	require.ErrorIs(t, err, ErrInclusion, "another index")
	bad.Index = 10
	_, err = p.VerifyReceipt(&bad, []byte("ballot 7"))
	require.ErrorIs(t, err, ErrInclusion, "beyond the tree")
	bad = *r
	bad.Proof = append([]tlog.Hash(nil), r.Proof...)
	bad.Proof[1][0] ^= 1
	_, err = p.VerifyReceipt(&bad, []byte("ballot 7"))
	require.ErrorIs(t, err, ErrInclusion, "tampered proof")
	_, err = Policy{Log: l.key, Witnesses: []note.Verifier{w.Verifier(), newTestLog(t, "w2").key}, Quorum: 2}.VerifyReceipt(r, []byte("ballot 7"))
	require.ErrorIs(t, err, ErrQuorum)
	_, err = p.VerifyReceipt(nil, nil)
	require.ErrorIs(t, err, ErrMalformed)

	// The log grows: the later checkpoint extends the receipt's.
	l.append(t, entries(10, 30)...)
	later := receiptFor(t, l, w, 10, 20)
	require.NoError(t, p.VerifyConsistent(r.Checkpoint, later.Checkpoint, l.proof(t, 10)))
	require.ErrorIs(t, p.VerifyConsistent(later.Checkpoint, r.Checkpoint, nil), ErrProof)
	require.ErrorIs(t, p.VerifyConsistent(r.Checkpoint, later.Checkpoint, l.proof(t, 11)), ErrProof)

	// A fork that dropped ballot 7, signed by the log: a monitor with its
	// hashes proves it inconsistent with the receipt's checkpoint.
	fork := l.forkWithout(t, 7, 30)
	m, err := ProveFork(l.key, r.Checkpoint, fork.checkpoint(t), fork.reader())
	require.NoError(t, err)
	require.NoError(t, VerifyMisbehaviour(l.key, m))
}

func FuzzParseReceipt(f *testing.F) {
	l := newTestLog(f, "box.example/election-1")
	w := openWitness(f, f.TempDir(), newKey(f), l)
	l.append(f, entries(0, 10)...)
	r := receiptFor(f, l, w, 0, 3)
	f.Add(r.Bytes())
	f.Add((&Receipt{Index: 0, Checkpoint: []byte("x")}).Bytes())
	p := Policy{Log: l.key, Witnesses: []note.Verifier{w.Verifier()}, Quorum: 1}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReceipt(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, b, r.Bytes(), "the encoding is canonical")
		_, _ = p.VerifyReceipt(r, []byte("ballot 3")) // must not panic
	})
}

// BenchmarkVerifyReceipt measures a voter checking a receipt offline: the
// log's signature and two witnesses' cosignatures on the checkpoint, and
// an inclusion proof in a log of 100,000 entries.
func BenchmarkVerifyReceipt(b *testing.B) {
	l := newTestLog(b, "box.example/election-1")
	l.append(b, entries(0, 100000)...)
	var ws []note.Verifier
	cp := l.checkpoint(b)
	for i := range 2 {
		w, err := Open(Config{Dir: b.TempDir(), Name: fmt.Sprintf("witness.example/w%d", i), Key: newKey(b), Logs: []Log{{l.origin, l.key}}})
		require.NoError(b, err)
		b.Cleanup(func() { w.Close() })
		sigs, err := w.AddCheckpoint(0, nil, cp)
		require.NoError(b, err)
		cp = append(cp, sigs...)
		ws = append(ws, w.Verifier())
	}
	proof, err := tlog.ProveRecord(l.n, 12345, l.reader())
	require.NoError(b, err)
	r := &Receipt{Index: 12345, Checkpoint: cp, Proof: proof}
	p := Policy{Log: l.key, Witnesses: ws, Quorum: 2}
	b.Run("entries=100000/witnesses=2", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.VerifyReceipt(r, []byte("ballot 12345")); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestParseWitnessKey: a witness's published key parses into a verifier of
// its cosignatures, the one Tessera's witness client uses too; garbage and
// another algorithm's key are refused.
func TestParseWitnessKey(t *testing.T) {
	l := newTestLog(t, "box.example/election-1")
	w := openWitness(t, t.TempDir(), newKey(t), l)
	l.append(t, entries(0, 3)...)
	cp := l.checkpoint(t)
	sigs, err := w.AddCheckpoint(0, nil, cp)
	require.NoError(t, err)
	v, err := ParseWitnessKey(w.VerifierKey())
	require.NoError(t, err)
	require.Equal(t, w.Verifier().KeyHash(), v.KeyHash())
	_, err = Policy{Log: l.key, Witnesses: []note.Verifier{v}, Quorum: 1}.Verify(append(cp, sigs...))
	require.NoError(t, err)
	for _, bad := range []string{"", "witness.example/w1", "witness.example/w1+00000000+AAAA", "a b+00000000+BAAA"} {
		_, err := ParseWitnessKey(bad)
		require.Error(t, err, "%q", bad)
	}
}

func FuzzParseWitnessKey(f *testing.F) {
	l := newTestLog(f, "box.example/election-1")
	w := openWitness(f, f.TempDir(), newKey(f), l)
	f.Add(w.VerifierKey())
	f.Add("witness.example/w1+00000000+BAAA")
	f.Fuzz(func(t *testing.T, vkey string) {
		if v, err := ParseWitnessKey(vkey); err == nil {
			require.NotNil(t, v)
			require.False(t, v.Verify([]byte("x\n"), make([]byte, 72)), "a zero cosignature verifies nothing")
		}
	})
}

// FuzzAddCheckpoint: a log may sign any text as its checkpoint; whatever
// it signs, and whatever old size and proof come with it, the witness
// answers with an error or a cosignature, never panics, and cosigns only
// a well-formed checkpoint of its log.
func FuzzAddCheckpoint(f *testing.F) {
	l := newTestLog(f, "box.example/election-1")
	l.append(f, entries(0, 5)...)
	good := l.checkpoint(f)
	body := good[:bytes.Index(good, []byte("\n\n"))+1]
	f.Add(string(body), int64(0), []byte(nil))
	f.Add("box.example/election-1\n5\nnot base64\n", int64(0), []byte(nil))
	f.Add("box.example/election-1\n07\n"+string(body[len("box.example/election-1\n5\n"):]), int64(0), []byte(nil))
	f.Add(string(body)+"extension line\n", int64(3), make([]byte, 64))
	key := newKey(f)
	f.Fuzz(func(t *testing.T, text string, old int64, proof []byte) {
		w, err := Open(Config{Dir: t.TempDir(), Name: "witness.example/w1", Key: key, Logs: []Log{{l.origin, l.key}}})
		require.NoError(t, err)
		defer w.Close()
		signed, err := note.Sign(&note.Note{Text: text}, l.signer)
		if err != nil {
			return // not a note text at all
		}
		var hashes []tlog.Hash
		for i := 0; i+tlog.HashSize <= len(proof) && len(hashes) < MaxProofHashes+1; i += tlog.HashSize {
			var h tlog.Hash
			copy(h[:], proof[i:])
			hashes = append(hashes, h)
		}
		sigs, err := w.AddCheckpoint(old, hashes, signed)
		if err != nil {
			return
		}
		c, err := torchwood.ParseCheckpoint(text)
		require.NoError(t, err, "cosigned a malformed checkpoint")
		require.Equal(t, l.origin, c.Origin)
		cosigned(t, w, l, signed, sigs)
	})
}
