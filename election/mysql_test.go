package election_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	tmysql "github.com/transparency-dev/tessera/storage/mysql"
	"golang.org/x/mod/sumdb/note"

	. "github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/witness"
)

// mysqlDSN returns the DSN of the MariaDB (or MySQL) server the MySQL
// tests use: $ZKVOTE_MYSQL_DSN, or else the one the project's own script
// .ci/mariadb prints after installing and starting a server (idempotent;
// it needs root and Debian's packages). ZKVOTE_SKIP_MYSQL=1 skips the tests
// instead, loudly.
func mysqlDSN(t *testing.T) string {
	t.Helper()
	if os.Getenv("ZKVOTE_SKIP_MYSQL") == "1" {
		t.Skip("SKIPPED: ZKVOTE_SKIP_MYSQL=1: the ballot box was NOT tested on Tessera's MySQL driver")
	}
	if dsn := os.Getenv("ZKVOTE_MYSQL_DSN"); dsn != "" {
		return dsn
	}
	out, err := exec.Command("../.ci/mariadb").Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("no MySQL server: set ZKVOTE_MYSQL_DSN, or let .ci/mariadb install one (it failed: %v\n%s), or set ZKVOTE_SKIP_MYSQL=1 to skip", err, stderr)
	}
	dsn, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "ZKVOTE_MYSQL_DSN=")
	require.True(t, ok, ".ci/mariadb printed %q", out)
	return dsn
}

// mysqlDatabase creates an empty database for the test with Tessera's
// schema (read from Tessera's module, storage/mysql/schema.sql) and drops
// it when the test ends.
func mysqlDatabase(t *testing.T) *sql.DB {
	t.Helper()
	base, err := gomysql.ParseDSN(mysqlDSN(t))
	require.NoError(t, err)
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/transparency-dev/tessera").Output()
	require.NoError(t, err)
	schema, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "storage", "mysql", "schema.sql"))
	require.NoError(t, err)

	var r [6]byte
	_, _ = rand.Read(r[:])
	name := base.DBName + "_" + hex.EncodeToString(r[:])
	admin := base.Clone()
	admin.DBName = ""
	adb, err := sql.Open("mysql", admin.FormatDSN())
	require.NoError(t, err)
	_, err = adb.Exec("CREATE DATABASE `" + name + "`")
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := adb.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		require.NoError(t, err)
		adb.Close()
	})
	c := base.Clone()
	c.DBName, c.MultiStatements = name, true
	sdb, err := sql.Open("mysql", c.FormatDSN())
	require.NoError(t, err)
	_, err = sdb.Exec(string(schema))
	sdb.Close()
	require.NoError(t, err)
	c.MultiStatements = false
	db, err := sql.Open("mysql", c.FormatDSN())
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// TestBoxOnMySQL: the box keeps its log with Tessera's MySQL driver on a
// real server, witnessed: concurrent ballots, a proven receipt that
// verifies offline, the end, the audit of the log read back through the
// driver, and a reopened box that replays the log from the database.
func TestBoxOnMySQL(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the MySQL integration test runs in the full suite")
	}
	db := mysqlDatabase(t)
	w := testWorld(t)
	ctx := context.Background()

	// A witness with quorum 1, over HTTP.
	wkey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	boxV, err := note.NewVerifier(testBoxVKey)
	require.NoError(t, err)
	wit, err := witness.Open(witness.Config{Dir: t.TempDir(), Name: "witness.test", Key: wkey, Logs: []witness.Log{{Origin: boxV.Name(), Key: boxV}}})
	require.NoError(t, err)
	defer wit.Close()
	srv := httptest.NewServer(wit)
	defer srv.Close()
	p := *w.params
	p.Log = LogKeys{Box: testBoxVKey, Witnesses: []string{wit.VerifierKey()}, Quorum: 1}
	params := &p
	// Ballots are cast for the test world's parameters: a box of these
	// (witnessed) parameters needs its own.
	voteKeys := w.keys

	open := func() *Box {
		drv, err := tmysql.New(ctx, db)
		require.NoError(t, err)
		box, err := OpenBox(ctx, t.TempDir(), params, voteKeys.VerifyingKey(), BoxOptions{
			Key: testBoxSKey, Driver: drv, Witnesses: []string{srv.URL}, HTTPClient: srv.Client(),
			CheckpointInterval: time.Second, // the MySQL driver's minimum
		})
		require.NoError(t, err)
		return box
	}
	box := open()
	ballots := make([][]byte, 6)
	for i := range ballots {
		ballots[i] = castFor(t, w, params, i).Bytes()
	}
	receipts := make([]*Receipt, len(ballots))
	var wg sync.WaitGroup
	for i := range ballots {
		wg.Go(func() {
			r, err := box.Submit(ctx, ballots[i])
			require.NoError(t, err)
			receipts[i] = r
		})
	}
	wg.Wait()
	_, err = box.Submit(ctx, ballots[0])
	require.ErrorIs(t, err, ErrDuplicateNullifier)
	r := receipts[3]
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	require.NoError(t, box.Prove(waitCtx, r))
	cancel()
	kept, err := ParseReceipt(r.Bytes())
	require.NoError(t, err)
	bal, err := ParseBallot(ballots[3])
	require.NoError(t, err)
	require.NoError(t, VerifyReceipt(params, kept, bal), "a receipt from the MySQL log, cosigned by the witness")
	require.NoError(t, box.Close())

	// Reopened on the same database: the log is replayed from MySQL.
	box = open()
	res := box.Results()
	require.Equal(t, uint64(6), res.Ballots)
	_, err = box.Submit(ctx, ballots[5])
	require.ErrorIs(t, err, ErrDuplicateNullifier)
	require.NoError(t, box.End())

	// The auditor reads the log through the driver's reader.
	var exported bytes.Buffer
	require.NoError(t, box.ExportLog(ctx, &exported))
	l, err := ReadLog(exported.Bytes())
	require.NoError(t, err)
	require.True(t, l.Closed)
	tallies, err := prover.ProveTally(ctx, testTallyKeys(t), params, l.Ballots, nil)
	require.NoError(t, err)
	file := EncodeTallyProofs(tallies)
	got, err := AuditLog(ctx, params, voteKeys.VerifyingKey(), testTallyKeys(t).VerifyingKey(), box.LogReader(), file)
	require.NoError(t, err)
	require.Equal(t, res.Head, got.Head)
	require.Equal(t, res.Totals, got.Totals)
	require.True(t, got.Closed)
}

// castFor casts voter i's ballot (option i%3) for params, an election
// over the test world's census.
func castFor(t *testing.T, w *world, params *Params, i int) *Ballot {
	t.Helper()
	path, err := w.tree.Proof(uint64(i))
	require.NoError(t, err)
	votes := make([]uint64, 3)
	votes[i%3] = 1
	b, err := prover.Cast(context.Background(), w.keys, params, membershiptest.Identity(uint64(i)), path, votes)
	require.NoError(t, err)
	return b
}
