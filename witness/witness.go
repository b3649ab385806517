// Package witness is a transparency-log witness: it follows the logs it is
// configured for (zkvote's ballot logs, or any log of C2SP signed
// checkpoints), accepts a log's new checkpoint only if the log's key signed
// it and it extends the last checkpoint the witness cosigned, and then
// cosigns it. A log that shows two different histories (a split view: one
// ballot log to voters and another to auditors, or a log that drops a
// ballot after the fact) cannot get both cosigned by one honest witness,
// and a ballot box that collects cosignatures from k of m witnesses before
// it publishes a checkpoint can only fork if k witnesses collude.
//
// The protocol is C2SP tlog-witness (https://c2sp.org/tlog-witness): a log
// posts "old N", an RFC 6962 consistency proof from size N and its new
// checkpoint (https://c2sp.org/tlog-checkpoint, a signed note), and gets
// back timestamped cosignatures (https://c2sp.org/tlog-cosignature).
// [Witness.AddCheckpoint] is the call; [Witness.ServeHTTP] serves it over
// HTTP with the specification's status codes.
//
// When a log signs a checkpoint of the size the witness last cosigned but
// with another root, the witness refuses it and returns a [Misbehaviour]:
// the two checkpoints, both signed by the log, which anyone holding the
// log's public key can check with [VerifyMisbehaviour]. A checkpoint that
// does not extend the last one by a valid proof is refused too; proving
// that one to a third party needs the log's own hashes ([ProveFork]).
//
// The witness keeps, for each log, the last checkpoint it cosigned, in one
// file per log written atomically (temporary file, fsync, rename, directory
// fsync) before it answers; the check and the update happen under one lock,
// so concurrent requests cannot roll the state back. Losing the state
// directory resets the witness to trust on first use for every log: a
// witness whose state is lost should be retired and replaced by a new key.
package witness

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/netstate/zkvote/internal/wal"
)

// Log is a log the witness follows: the origin line of its checkpoints and
// the key that signs them. The key's name must be the origin, as C2SP
// checkpoints require.
type Log struct {
	Origin string
	Key    note.Verifier
}

// Config configures a witness.
type Config struct {
	// Dir holds the witness's state; it is created if missing and locked
	// against a second witness process.
	Dir string
	// Name is the witness's name in its cosignatures, a note key name
	// (no spaces or plus signs), conventionally a URL without scheme.
	Name string
	// Key is the witness's Ed25519 signing key.
	Key ed25519.PrivateKey
	// Logs are the logs the witness follows.
	Logs []Log
}

// Limits on what a request may carry.
const (
	// MaxProofHashes is the most consistency proof lines a request may
	// carry (C2SP tlog-witness: 63).
	MaxProofHashes = 63
	// MaxCheckpointSize bounds a checkpoint note, signatures included.
	MaxCheckpointSize = 64 << 10
)

// Errors, each with the HTTP status C2SP tlog-witness gives it.
var (
	// ErrMalformed: the request cannot be parsed (400).
	ErrMalformed = errors.New("witness: malformed request")
	// ErrUnknownLog: the checkpoint's origin is not a log the witness
	// follows (404).
	ErrUnknownLog = errors.New("witness: unknown log")
	// ErrSignature: no signature on the checkpoint verifies against the
	// log's key (403).
	ErrSignature = errors.New("witness: the checkpoint is not signed by the log's key")
	// ErrProof: the consistency proof from the old size to the
	// checkpoint does not verify (422).
	ErrProof = errors.New("witness: the consistency proof does not verify")
)

// ConflictError: the request's old size is not the size of the last
// checkpoint the witness cosigned for the log (409, with that size).
type ConflictError struct {
	Size int64 // the witness's latest size for the log
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("witness: the last checkpoint cosigned for the log has size %d", e.Size)
}

// EquivocationError: the log signed a checkpoint of the size the witness
// last cosigned with another root hash (409). Evidence proves it to anyone.
type EquivocationError struct {
	Evidence *Misbehaviour
}

func (e *EquivocationError) Error() string {
	return "witness: the log signed two checkpoints of one size with different roots"
}

// Witness is a transparency-log witness; its methods are safe for
// concurrent use.
type Witness struct {
	dir      string
	lock     *os.File
	cosigner *torchwood.CosignatureSigner
	logs     map[string]note.Verifier

	mu     sync.Mutex
	latest map[string]*state
}

// state is what the witness knows of one log: the last checkpoint it
// cosigned, as the log signed it.
type state struct {
	tree tlog.Tree
	text string // the checkpoint's body
	note []byte // the body with the log's verified signatures
}

// Open opens (or creates) the witness state in c.Dir and loads the last
// checkpoint of every configured log. A state file that is damaged, or
// whose checkpoint no longer verifies under the configured key, is an
// error: the witness never silently forgets what it cosigned.
func Open(c Config) (*Witness, error) {
	if len(c.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("witness: the key is not an Ed25519 private key")
	}
	cosigner, err := torchwood.NewCosignatureSigner(c.Name, crypto.Signer(c.Key))
	if err != nil {
		return nil, fmt.Errorf("witness: name %q: %v", c.Name, err)
	}
	logs := map[string]note.Verifier{}
	for _, l := range c.Logs {
		if l.Key == nil || l.Key.Name() != l.Origin {
			return nil, fmt.Errorf("witness: log %q: its key must be named after its origin", l.Origin)
		}
		if _, dup := logs[l.Origin]; dup {
			return nil, fmt.Errorf("witness: log %q configured twice", l.Origin)
		}
		logs[l.Origin] = l.Key
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("witness: %v", err)
	}
	lock, err := wal.Lock(filepath.Join(c.Dir, "LOCK"))
	if err != nil {
		return nil, fmt.Errorf("witness: %s: %w", c.Dir, err)
	}
	w := &Witness{dir: c.Dir, lock: lock, cosigner: cosigner, logs: logs, latest: map[string]*state{}}
	for origin, key := range logs {
		data, err := os.ReadFile(filepath.Join(c.Dir, stateFile(origin)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("witness: %v", err)
		}
		s, err := openCheckpoint(data, origin, key)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("witness: state of log %q: %w", origin, err)
		}
		w.latest[origin] = s
	}
	return w, nil
}

// Close releases the state directory.
func (w *Witness) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lock == nil {
		return nil
	}
	wal.Unlock(w.lock)
	w.lock = nil
	return nil
}

// VerifierKey returns the witness's public key as a note verifier key
// (C2SP signed-note, cosignature/v1 algorithm): what a ballot box's
// parameters name.
func (w *Witness) VerifierKey() string { return w.cosigner.Verifier().String() }

// Verifier returns the witness's cosignature verifier.
func (w *Witness) Verifier() note.Verifier { return w.cosigner.Verifier() }

// Latest returns the last checkpoint the witness cosigned for origin, as
// the log signed it, and its size; ok is false before the first.
func (w *Witness) Latest(origin string) (checkpoint []byte, size int64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.latest[origin]
	if s == nil {
		return nil, 0, false
	}
	return append([]byte(nil), s.note...), s.tree.N, true
}

// AddCheckpoint is C2SP tlog-witness's add-checkpoint: checkpoint is the
// log's signed note, oldSize the size of the last checkpoint the log knows
// the witness cosigned, and proof a consistency proof from oldSize to the
// checkpoint's size (empty when oldSize is 0 or equals that size). It
// returns the witness's cosignature lines, each "— name base64\n", to
// append to the checkpoint. The checkpoint is persisted before it returns.
func (w *Witness) AddCheckpoint(oldSize int64, proof []tlog.Hash, checkpoint []byte) ([]byte, error) {
	if len(checkpoint) > MaxCheckpointSize || len(proof) > MaxProofHashes || oldSize < 0 {
		return nil, fmt.Errorf("%w: sizes", ErrMalformed)
	}
	origin, _, ok := strings.Cut(string(checkpoint), "\n")
	if !ok {
		return nil, fmt.Errorf("%w: no origin line", ErrMalformed)
	}
	key, ok := w.logs[origin]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLog, origin)
	}
	s, err := openCheckpoint(checkpoint, origin, key)
	if err != nil {
		return nil, err
	}
	if oldSize > s.tree.N {
		return nil, fmt.Errorf("%w: old size %d above the checkpoint's %d", ErrMalformed, oldSize, s.tree.N)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lock == nil {
		return nil, errors.New("witness: closed")
	}
	prev := w.latest[origin]
	var prevSize int64
	if prev != nil {
		prevSize = prev.tree.N
	}
	if oldSize != prevSize {
		return nil, &ConflictError{Size: prevSize}
	}
	switch {
	case oldSize == 0:
		if len(proof) != 0 {
			return nil, fmt.Errorf("%w: a proof from size 0", ErrMalformed)
		}
	case oldSize == s.tree.N:
		if len(proof) != 0 {
			return nil, fmt.Errorf("%w: a proof between equal sizes", ErrMalformed)
		}
		if s.tree.Hash != prev.tree.Hash {
			return nil, &EquivocationError{Evidence: &Misbehaviour{First: prev.note, Second: s.note}}
		}
	default:
		if err := tlog.CheckTree(proof, s.tree.N, s.tree.Hash, prev.tree.N, prev.tree.Hash); err != nil {
			return nil, fmt.Errorf("%w: from %d to %d", ErrProof, prev.tree.N, s.tree.N)
		}
	}
	signed, err := note.Sign(&note.Note{Text: s.text}, w.cosigner)
	if err != nil {
		return nil, fmt.Errorf("witness: cosigning: %v", err)
	}
	// Persist before answering; on failure, nothing changed.
	if prev == nil || prev.tree != s.tree || string(prev.note) != string(s.note) {
		if err := wal.WriteFileAtomic(w.dir, stateFile(origin), func(f io.Writer) error {
			_, err := f.Write(s.note)
			return err
		}); err != nil {
			return nil, fmt.Errorf("witness: persisting the checkpoint: %v", err)
		}
		w.latest[origin] = s
	}
	return signed[len(s.text)+1:], nil
}

// openCheckpoint verifies a checkpoint note signed by key for origin and
// parses its body, keeping only the log's signatures in the stored note.
func openCheckpoint(data []byte, origin string, key note.Verifier) (*state, error) {
	if len(data) > MaxCheckpointSize {
		return nil, fmt.Errorf("%w: checkpoint of %d bytes", ErrMalformed, len(data))
	}
	n, err := note.Open(data, note.VerifierList(key))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return nil, ErrSignature
		}
		var invalid *note.InvalidSignatureError
		if errors.As(err, &invalid) {
			return nil, ErrSignature
		}
		return nil, fmt.Errorf("%w: checkpoint note: %v", ErrMalformed, err)
	}
	c, err := torchwood.ParseCheckpoint(n.Text)
	if err != nil || c.Origin != origin {
		return nil, fmt.Errorf("%w: checkpoint body", ErrMalformed)
	}
	// Keep the checkpoint as the log signed it (its verified signatures
	// only), so stored evidence carries nothing a third party could not check.
	only, err := note.Sign(&note.Note{Text: n.Text, Sigs: n.Sigs})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &state{tree: c.Tree, text: n.Text, note: only}, nil
}

// stateFile names the file of a log's state: a hash of its origin, which
// may hold any character.
func stateFile(origin string) string {
	h := sha256.Sum256([]byte(origin))
	return "log-" + hex.EncodeToString(h[:16]) + ".checkpoint"
}
