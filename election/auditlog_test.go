package election_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/witness"
)

// TestAuditLog: the streaming audit over the box's published tiles, read
// from the directory and over HTTP, agrees with Audit of the exported
// file, whatever the chunk size; FetchLog rebuilds that file exactly.
func TestAuditLog(t *testing.T) {
	w := testWorld(t)
	ctx := context.Background()
	dir := t.TempDir()
	box := openTestBox(t, w, dir)
	for i := range 6 {
		_, err := box.Submit(ctx, ballotOf(t, w, i).Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, box.End())
	var exported bytes.Buffer
	require.NoError(t, box.ExportLog(ctx, &exported))
	l, err := ReadLog(exported.Bytes())
	require.NoError(t, err)
	tallies, err := prover.ProveTally(ctx, testTallyKeys(t), w.params, l.Ballots, nil)
	require.NoError(t, err)
	file := EncodeTallyProofs(tallies)
	want, err := Audit(ctx, w.params, w.keys.VerifyingKey(), testTallyKeys(t).VerifyingKey(), exported.Bytes(), file)
	require.NoError(t, err)
	require.True(t, want.Closed)

	logDir := filepath.Join(dir, LogDirName)
	srv := httptest.NewServer(http.FileServer(http.Dir(logDir)))
	defer srv.Close()
	remote, err := LogURL(srv.URL, srv.Client())
	require.NoError(t, err)
	for name, r := range map[string]LogReader{"dir": LogDir(logDir), "url": remote} {
		for _, chunk := range []int{1, 2, 4, 2048} {
			restore := SetAuditChunk(chunk)
			got, err := AuditLog(ctx, w.params, w.keys.VerifyingKey(), testTallyKeys(t).VerifyingKey(), r, file)
			restore()
			require.NoError(t, err, "%s chunk %d", name, chunk)
			require.Equal(t, want, got, "%s chunk %d", name, chunk)
		}
		fetched, err := FetchLog(ctx, w.params, r)
		require.NoError(t, err, name)
		require.Equal(t, exported.Bytes(), fetched, name)
	}

	// Another election's parameters: the header is not theirs.
	other := *w.params
	other.Question = "Something else?"
	_, err = FetchLog(ctx, &other, LogDir(logDir))
	require.ErrorIs(t, err, ErrWrongElection)

	// Parameters naming another box key: the log's checkpoint fails
	// their policy.
	foreign := *w.params
	_, vkey := testkeys.Key("zkvote.test/other-box")
	foreign.Log = LogKeys{Box: vkey}
	_, err = AuditLog(ctx, &foreign, w.keys.VerifyingKey(), testTallyKeys(t).VerifyingKey(), LogDir(logDir), file)
	require.ErrorIs(t, err, witness.ErrSignature)

	// Damage: a flipped byte in the entry bundle, a truncated bundle, a
	// missing one: each an *AuditError "log" wrapping ErrCorrupt.
	bundle := filepath.Join(logDir, "tile", "entries", "000.p", "8")
	good, err := os.ReadFile(bundle)
	require.NoError(t, err)
	for name, damage := range map[string][]byte{
		"flip":      func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 1; return b }(),
		"truncated": good[:len(good)-7],
		"extra":     append(bytes.Clone(good), 0, 1, 9),
	} {
		require.NoError(t, os.WriteFile(bundle, damage, 0o600))
		_, err := AuditLog(ctx, w.params, w.keys.VerifyingKey(), testTallyKeys(t).VerifyingKey(), LogDir(logDir), file)
		var ae *AuditError
		require.ErrorAs(t, err, &ae, name)
		require.Equal(t, "log", ae.What, name)
		require.ErrorIs(t, err, ErrCorrupt, name)
		_, err = FetchLog(ctx, w.params, LogDir(logDir))
		require.ErrorIs(t, err, ErrCorrupt, name)
	}
	require.NoError(t, os.Remove(bundle))
	_, err = AuditLog(ctx, w.params, w.keys.VerifyingKey(), testTallyKeys(t).VerifyingKey(), LogDir(logDir), file)
	require.ErrorIs(t, err, ErrCorrupt)
	require.NoError(t, os.WriteFile(bundle, good, 0o600))

	// A checkpoint the box signed over another tree of the same size:
	// the tiles do not hash to it.
	signer, err := note.NewSigner(testBoxSKey)
	require.NoError(t, err)
	cpFile := filepath.Join(logDir, "checkpoint")
	real, err := os.ReadFile(cpFile)
	require.NoError(t, err)
	forged, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: signer.Name(), Size: 8, Hash: make([]byte, 32)}.Marshal())}, signer)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cpFile, forged, 0o600))
	_, err = AuditLog(ctx, w.params, w.keys.VerifyingKey(), testTallyKeys(t).VerifyingKey(), LogDir(logDir), file)
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "do not hash to its checkpoint's root")
	require.NoError(t, os.WriteFile(cpFile, real, 0o600))
	_, err = AuditLog(ctx, w.params, w.keys.VerifyingKey(), testTallyKeys(t).VerifyingKey(), LogDir(logDir), file)
	require.NoError(t, err, "the published log, restored, audits")
}

// TestAuditSecretLog: the streaming secret audit over the box's published
// tiles agrees with AuditSecret of the exported file, decryption
// included, whatever the chunk size, re-votes across chunks included.
func TestAuditSecretLog(t *testing.T) {
	w := testSecretWorld(t)
	ctx := context.Background()
	dir := t.TempDir()
	box := openSecretBox(t, w, dir)
	for _, c := range []struct{ voter, option, counter int }{{0, 0, 1}, {1, 1, 1}, {2, 0, 1}, {0, 1, 2}, {3, 2, 1}, {1, 0, 2}, {0, 2, 3}} {
		_, err := box.Submit(ctx, secretBallotOf(t, w, c.voter, c.option, uint64(c.counter)).Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, box.End())
	exported := exportLog(t, box)
	shares := shareBytes(t, w, exported, 1, 2, 4)
	want, err := AuditSecret(ctx, w.params, w.keys.VerifyingKey(), exported, shares)
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 0, 2}, want.Totals, "voters 0, 1, 2, 3 last chose Edsger, Ada, Ada, Edsger")
	require.Equal(t, uint64(4), want.Voters)
	src := LogDir(filepath.Join(dir, LogDirName))
	for _, chunk := range []int{1, 2, 3, 2048} {
		restore := SetAuditChunk(chunk)
		got, err := AuditSecretLog(ctx, w.params, w.keys.VerifyingKey(), src, shares)
		again, err2 := AuditSecret(ctx, w.params, w.keys.VerifyingKey(), exported, shares)
		restore()
		require.NoError(t, err, "chunk %d", chunk)
		require.NoError(t, err2, "chunk %d", chunk)
		require.Equal(t, want, got, "chunk %d", chunk)
		require.Equal(t, want, again, "chunk %d", chunk)
	}
	_, err = AuditSecretLog(ctx, w.params, w.keys.VerifyingKey(), LogDir(t.TempDir()), nil)
	require.Error(t, err, "no log there")
}
