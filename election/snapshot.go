package election

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/netstate/zkvote/internal/chain"
	"github.com/netstate/zkvote/internal/field"
	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/trustee"
)

// The box's state file, written when the box closes, so that reopening a
// large log does not decode every ballot and rehash the chain again:
//
//	magic "ZKVOTEST" | version 1 | params digest (32)
//	| entries covered S (8) | the log's tree root at S (32)
//	| chain head (32) | ballots (8) | voters (8) | closed (1)
//	| totals: count (1), then 8 bytes each
//	| open mode: nullifier count (8), then 32 bytes each
//	| secret mode: sum count (1), then each sum's compressed ciphertext
//	  (64); latest count (8), then each: nullifier (32) | counter (8)
//	  | compressed ciphertexts (64 per ciphertext of the election)
//	| HMAC-SHA-256 of everything before (32), keyed by the box's key
//
// It is a cache, never the truth, and only the box writes it: its MAC is
// keyed by a hash of the box's checkpoint signing key, so whoever can write
// to the box's directory but does not hold that key cannot forge one (a
// forged nullifier set would let a citizen's second ballot in, or show false
// totals). Opening still reads every entry of the
// log and checks it against the tiles and the checkpoint, and uses the
// state only if the entries' tree at S has the root it names; the entries
// after S are replayed in full. A state file that is missing, damaged, of
// another election or of another log is ignored: the box replays the
// whole log, as it does after a crash that left an older state.
const (
	stateFile    = "state"
	stateMagic   = "ZKVOTEST"
	stateVersion = 1
)

// snapshot is a state file's content.
type snapshot struct {
	size   uint64
	root   tlog.Hash
	head   fr.Element
	res    Results // Ballots, Voters, Closed, Totals
	pos    uint64
	used   []fr.Element
	sums   []trustee.Ciphertext
	latest map[fr.Element]*latest
}

// saveState writes the state of the box's durable entries; the caller is
// the commit goroutine, after the log is shut down, when nothing is
// pending. A box that failed holds reservations whose outcome is unknown:
// it writes nothing, and the next open replays the whole log.
func (b *Box) saveState() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed != nil {
		return nil
	}
	d := b.digest.Bytes()
	out := append([]byte(stateMagic), stateVersion)
	out = append(out, d[:]...)
	out = binary.BigEndian.AppendUint64(out, b.size)
	root := b.tree.Root()
	out = append(out, root[:]...)
	h := b.durable.Head.Bytes()
	out = append(out, h[:]...)
	out = binary.BigEndian.AppendUint64(out, b.durable.Ballots)
	out = binary.BigEndian.AppendUint64(out, b.durable.Voters)
	if b.durable.Closed {
		out = append(out, 1)
	} else {
		out = append(out, 0)
	}
	out = append(out, byte(len(b.durable.Totals)))
	for _, t := range b.durable.Totals {
		out = binary.BigEndian.AppendUint64(out, t)
	}
	if b.params.Secret == nil {
		out = binary.BigEndian.AppendUint64(out, uint64(len(b.used)))
		for n := range b.used {
			e := n.Bytes()
			out = append(out, e[:]...)
		}
	} else {
		out = append(out, byte(len(b.sums)))
		for i := range b.sums {
			c := b.sums[i].Ciphertext().Bytes()
			out = append(out, c[:]...)
		}
		out = binary.BigEndian.AppendUint64(out, uint64(len(b.latest)))
		for n, l := range b.latest {
			e := n.Bytes()
			out = append(out, e[:]...)
			out = binary.BigEndian.AppendUint64(out, l.counter)
			out = append(out, l.cts...)
		}
	}
	out = b.stateMAC(out)
	return wal.WriteFileAtomic(b.dir, stateFile, func(w io.Writer) error {
		_, err := w.Write(out)
		return err
	})
}

// stateMAC returns body followed by its MAC under the box's state key.
func (b *Box) stateMAC(body []byte) []byte {
	m := hmac.New(sha256.New, b.stateKey[:])
	m.Write(body)
	return m.Sum(bytes.Clone(body))
}

// stateKey derives the state file's MAC key from the box's checkpoint
// signing key (a note signer key string).
func stateKey(boxKey string) [32]byte {
	return sha256.Sum256([]byte("zkvote/v1/box-state\x00" + boxKey))
}

// errNoState: the state file is absent or unusable; the box replays the
// whole log.
var errNoState = errors.New("election: no usable state file")

// loadState reads the state file for a log of size entries, or returns
// errNoState (wrapped, saying why) if there is none it can use.
func (b *Box) loadState(size uint64) (*snapshot, error) {
	nCts := 0
	if b.params.Secret != nil {
		nCts = b.params.VoteStatement().Ciphertexts()
	}
	// A state holds at most one record per ballot of the log.
	limit := int64(4096 + size*uint64(32+8+nCts*trustee.CiphertextSize) + uint64(nCts*trustee.CiphertextSize))
	raw, err := readAtMost(filepath.Join(b.dir, stateFile), limit)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errNoState
		}
		return nil, fmt.Errorf("%w: %v", errNoState, err)
	}
	bad := func(what string) (*snapshot, error) { return nil, fmt.Errorf("%w: %s", errNoState, what) }
	if len(raw) < sha256.Size {
		return bad("truncated")
	}
	body := raw[:len(raw)-sha256.Size]
	if !hmac.Equal(b.stateMAC(body), raw) {
		return bad("its MAC: written by another box key, or damaged")
	}
	r := &reader{b: body}
	d := b.digest.Bytes()
	if string(r.next(len(stateMagic))) != stateMagic || r.byte() != stateVersion || !bytes.Equal(r.next(32), d[:]) {
		return bad("another election's, or another version")
	}
	s := &snapshot{size: r.u64()}
	copy(s.root[:], r.next(32))
	var err2 error
	if s.head, err2 = field.FromBytes(r.next(32)); err2 != nil && !r.short {
		return bad("head")
	}
	s.res.Ballots, s.res.Voters = r.u64(), r.u64()
	s.res.Closed = r.byte() == 1
	nt := int(r.byte())
	if nt != len(b.durable.Totals) {
		return bad("totals")
	}
	if nt > 0 {
		s.res.Totals = make([]uint64, nt)
		for i := range s.res.Totals {
			s.res.Totals[i] = r.u64()
		}
	}
	switch {
	case s.size == 0 || s.size > size:
		return bad(fmt.Sprintf("it covers %d entries, the log has %d", s.size, size))
	case s.res.Ballots > s.size:
		return bad("ballots")
	}
	if b.params.Secret == nil {
		n := r.u64()
		if n != s.res.Ballots {
			return bad("nullifiers")
		}
		s.used = make([]fr.Element, 0, n)
		seen := make(map[fr.Element]struct{}, n)
		for range n {
			x, err := field.FromBytes(r.next(32))
			if _, dup := seen[x]; err != nil || dup {
				return bad("nullifier")
			}
			seen[x] = struct{}{}
			s.used = append(s.used, x)
		}
		s.pos = s.res.Ballots
	} else {
		if int(r.byte()) != nCts {
			return bad("sums")
		}
		for range nCts {
			c, err := trustee.ParseCiphertext(r.next(trustee.CiphertextSize))
			if err != nil {
				return bad("sum")
			}
			s.sums = append(s.sums, c)
		}
		n := r.u64()
		if n != s.res.Voters || n > s.res.Ballots {
			return bad("latest ballots")
		}
		s.latest = make(map[fr.Element]*latest, n)
		for range n {
			x, err := field.FromBytes(r.next(32))
			if err != nil {
				return bad("nullifier")
			}
			l := &latest{counter: r.u64(), cts: bytes.Clone(r.next(nCts * trustee.CiphertextSize))}
			if _, dup := s.latest[x]; r.short || dup {
				return bad("latest ballots")
			}
			s.latest[x] = l
		}
		s.pos = s.res.Ballots
	}
	if r.short || len(r.b) != 0 {
		return bad("length")
	}
	return s, nil
}

// apply sets the box's state to the snapshot's, before the entries after
// it are replayed.
func (b *Box) apply(s *snapshot) {
	for _, n := range s.used {
		b.used[n] = struct{}{}
	}
	for n, l := range s.latest {
		b.latest[n] = l
	}
	for i, c := range s.sums {
		b.sums[i] = trustee.Sum{}
		b.sums[i].Add(c)
	}
	b.head, b.pos = s.head, s.pos
	copy(b.totals, s.res.Totals)
	b.durable.Ballots, b.durable.Voters, b.durable.Head = s.res.Ballots, s.res.Voters, s.head
	copy(b.durable.Totals, s.res.Totals)
}

// errStaleState: the state file does not describe the log's first
// entries (their tree has another root).
var errStaleState = errors.New("election: the state file is not this log's")

// resetState clears what replay builds, for a replay from the start.
func (b *Box) resetState() {
	b.used = make(map[fr.Element]struct{})
	b.latest = make(map[fr.Element]*latest)
	b.head = chain.Genesis(b.scope)
	b.durable.Head = b.head
	b.pos = 0
	b.durable.Ballots, b.durable.Voters, b.durable.Closed = 0, 0, false
	for i := range b.totals {
		b.totals[i] = 0
	}
	for i := range b.durable.Totals {
		b.durable.Totals[i] = 0
	}
	for i := range b.sums {
		b.sums[i] = trustee.Sum{}
	}
}
