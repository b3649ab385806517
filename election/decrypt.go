package election

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/trustee"
	"github.com/netstate/zkvote/verifier"
)

// DecryptionShare is one trustee's part of decrypting a secret election:
// a partial decryption, with its DLEQ proof against the trustee's
// verification share, of each ciphertext of the encrypted sum. Any
// threshold of valid shares decrypt the totals; a share reveals nothing
// else. Make one with [PartialDecrypt]; publish its [DecryptionShare.Bytes].
type DecryptionShare struct {
	Trustee  int                         // the trustee's index, from 1
	Partials []trustee.PartialDecryption // one per ciphertext of the sum, in order
}

// A decryption share's encoding:
//
//	magic "ZKDS" | version 1 | trustee (1) | count (1)
//	| count × (D (32) | DLEQ proof (64))
const (
	shareMagic   = "ZKDS"
	shareVersion = 1
	partialSize  = trustee.PointSize + trustee.DLEQProofSize
)

// ErrMalformedShare is wrapped by every decoding error of a decryption
// share.
var ErrMalformedShare = errors.New("election: malformed decryption share")

// Bytes returns the share's canonical encoding.
func (d *DecryptionShare) Bytes() []byte {
	b := append([]byte(shareMagic), shareVersion, byte(d.Trustee), byte(len(d.Partials)))
	for _, p := range d.Partials {
		e, pr := p.D.Bytes(), p.Proof.Bytes()
		b = append(append(b, e[:]...), pr[:]...)
	}
	return b
}

// ParseDecryptionShare decodes a share strictly: every point canonical, on
// the curve and in the prime-order subgroup, every scalar canonical,
// nothing trailing. It checks no proof: [AuditSecret] does.
func ParseDecryptionShare(b []byte) (*DecryptionShare, error) {
	bad := func(what string) (*DecryptionShare, error) {
		return nil, fmt.Errorf("%w: %s", ErrMalformedShare, what)
	}
	if len(b) < len(shareMagic)+3 || string(b[:len(shareMagic)]) != shareMagic {
		return bad("magic")
	}
	h := b[len(shareMagic):]
	if h[0] != shareVersion {
		return bad(fmt.Sprintf("version %d", h[0]))
	}
	d := &DecryptionShare{Trustee: int(h[1])}
	n := int(h[2])
	body := h[3:]
	if d.Trustee < 1 || d.Trustee > trustee.MaxTrustees {
		return bad(fmt.Sprintf("trustee %d", d.Trustee))
	}
	if n < 1 || len(body) != n*partialSize {
		return bad("length")
	}
	for i := range n {
		e := body[i*partialSize : (i+1)*partialSize]
		pt, err := trustee.ParsePoint(e[:trustee.PointSize])
		if err != nil {
			return bad(fmt.Sprintf("partial decryption %d: %v", i, err))
		}
		pr, err := trustee.ParseDLEQProof(e[trustee.PointSize:])
		if err != nil {
			return bad(fmt.Sprintf("partial decryption %d: %v", i, err))
		}
		d.Partials = append(d.Partials, trustee.PartialDecryption{Index: d.Trustee, D: pt, Proof: pr})
	}
	return d, nil
}

// decryptContext binds a partial decryption to the election (its
// parameters' digest), to the one sum it decrypts (the chain head of the
// log it was computed from) and to the ciphertext's position in that sum.
func decryptContext(digest, head fr.Element, i int) []byte {
	d, h := digest.Bytes(), head.Bytes()
	b := append([]byte("zkvote/v2/decrypt;"), d[:]...)
	b = append(b, h[:]...)
	return binary.BigEndian.AppendUint16(b, uint16(i))
}

// Errors of PartialDecrypt.
var (
	// ErrOpenElection: trustees decrypt only the sum of an ended election.
	ErrOpenElection = errors.New("election: the log has no close entry; the election may still take ballots")
	// ErrHeadMismatch: the log handed to a trustee is not the one whose
	// final chain head the trustee was given.
	ErrHeadMismatch = errors.New("election: the log's final chain head is not the election's")
	// ErrAlreadyDecrypted: the trustee's journal shows it decrypted
	// another sum under this election key: another head of this
	// election, or another election under the same key.
	ErrAlreadyDecrypted = errors.New("election: this trustee already decrypted another sum under this election key")
)

// PartialDecrypt is a trustee's step after the election ends. head is the
// election's final chain head (Results.Head of the ended box), which the
// trustee takes from the box's publication and checks with the other
// trustees and auditors: it names the one sum the trustees decrypt.
// PartialDecrypt audits the exported log as [AuditSecret] does (without
// decryption shares) and refuses a log without its close entry
// (ErrOpenElection) or whose final head is not head (ErrHeadMismatch):
// otherwise anyone could hand trustees a log of their choosing, the
// running log of an open election or a log of one citizen's ballot, and
// have its sum, a partial result or that citizen's vote, decrypted. It
// then returns the trustee's partial decryption of the encrypted sum, its
// proofs bound to the election's digest and to head.
//
// journal is a directory the trustee keeps for good (one per trustee):
// PartialDecrypt records in it, durably and before returning, the
// election (its digest) and the head it decrypts under the election key
// (p.Secret.Key), and refuses to decrypt any other sum under that key
// (ErrAlreadyDecrypted): another head, or another election's parameters
// naming the same key; decrypting the same sum again is allowed. So even
// a trustee misled about the head, or about the parameters, decrypts at
// most one sum per election key. An election key therefore serves one
// election: parameters are anyone's to write, and a second "election"
// under the key, with a vote key its organiser made, could hold a forged
// ballot that copies a citizen's ciphertexts, whose sum is that citizen's
// vote. key is the trustee's share (trustee.LongTermKey.Share);
// its verification share must be the one the parameters list for its
// index. r supplies the proofs' nonces (crypto/rand if nil).
func PartialDecrypt(ctx context.Context, p *Params, voteVK *verifier.VerifyingKey, logData []byte, head fr.Element, key *trustee.KeyShare, journal string, r io.Reader) (*DecryptionShare, error) {
	if p == nil || p.Secret == nil {
		return nil, errors.New("election: not a secret election")
	}
	if key == nil || key.Index < 1 || key.Index > len(p.Secret.Shares) || !key.VerificationShare().Equal(p.Secret.Shares[key.Index-1]) {
		return nil, errors.New("election: the key share is not one of this election's trustees'")
	}
	if journal == "" {
		return nil, errors.New("election: a trustee needs a journal directory")
	}
	res, err := AuditSecret(ctx, p, voteVK, logData, nil)
	if err != nil {
		return nil, err
	}
	if !res.Closed {
		return nil, ErrOpenElection
	}
	if !res.Head.Equal(&head) {
		return nil, ErrHeadMismatch
	}
	digest, err := p.Digest()
	if err != nil {
		return nil, err
	}
	if err := recordDecryption(journal, p.Secret.Key, digest, head); err != nil {
		return nil, err
	}
	d := &DecryptionShare{Trustee: key.Index}
	for i, c := range res.Encrypted {
		pd, err := key.PartialDecrypt(c, decryptContext(digest, head, i), r)
		if err != nil {
			return nil, err
		}
		d.Partials = append(d.Partials, pd)
	}
	return d, nil
}

// recordDecryption records in the journal that the trustee decrypts the
// sum with head for the election with digest under the election key,
// unless it recorded another sum under that key (ErrAlreadyDecrypted).
// The journal's lock makes the check and the record one step. Journals
// written before the record was per key named the election's digest
// alone: such a record, for another head, still refuses.
func recordDecryption(journal string, key trustee.Point, digest, head fr.Element) error {
	if err := os.MkdirAll(journal, 0o700); err != nil {
		return fmt.Errorf("election: journal: %v", err)
	}
	lock, err := wal.Lock(filepath.Join(journal, lockFile))
	if err != nil {
		return fmt.Errorf("election: journal: %w", err)
	}
	defer wal.Unlock(lock)
	d, h, k := digest.Bytes(), head.Bytes(), key.Bytes()
	record := append(d[:], h[:]...)
	read := func(name string, size int) ([]byte, error) {
		f, err := os.Open(filepath.Join(journal, name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, int64(size)+1))
	}
	switch prev, err := read(fmt.Sprintf("decrypted-%x", d), len(h)); {
	case err == nil && !bytes.Equal(prev, h[:]):
		return fmt.Errorf("%w: the journal holds head %x… for this election", ErrAlreadyDecrypted, prev[:min(8, len(prev))])
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("election: journal: %v", err)
	}
	name := fmt.Sprintf("decrypted-key-%x", k)
	switch prev, err := read(name, len(record)); {
	case err == nil && bytes.Equal(prev, record):
		return nil
	case err == nil:
		return fmt.Errorf("%w: the journal holds election %x…, head %x…", ErrAlreadyDecrypted, prev[:min(8, len(prev))], prev[min(32, len(prev)):min(40, len(prev))])
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("election: journal: %v", err)
	}
	if err := wal.WriteFileAtomic(journal, name, func(w io.Writer) error { _, err := w.Write(record); return err }); err != nil {
		return fmt.Errorf("election: journal: %v", err)
	}
	return nil
}

// Decryption says how a secret election's totals were decrypted.
type Decryption struct {
	Used    []int         // the threshold's worth of trustees whose shares were combined, ascending
	Refused []*ShareError // the shares refused, in the order given
}

// ShareError says why a decryption share was refused.
type ShareError struct {
	Position int // the share's position in the list given
	Trustee  int // the trustee it names (0 if it does not decode)
	Err      error
}

func (e *ShareError) Error() string {
	return fmt.Sprintf("election: decryption share %d (trustee %d): %v", e.Position, e.Trustee, e.Err)
}

func (e *ShareError) Unwrap() error { return e.Err }

// decrypt decrypts sum (the encrypted totals of p's election) from the
// published shares and returns the totals, one per option.
func decrypt(p *Params, digest, head fr.Element, sum []trustee.Ciphertext, shares [][]byte) ([]uint64, *Decryption, error) {
	m := p.Secret
	dec := &Decryption{}
	valid := map[int]*DecryptionShare{}
	for pos, b := range shares {
		d, err := ParseDecryptionShare(b)
		refuse := func(err error) {
			t := 0
			if d != nil {
				t = d.Trustee
			}
			dec.Refused = append(dec.Refused, &ShareError{Position: pos, Trustee: t, Err: err})
		}
		switch {
		case err != nil:
			refuse(err)
			continue
		case d.Trustee > len(m.Shares):
			refuse(fmt.Errorf("the election has %d trustees", len(m.Shares)))
			continue
		case len(d.Partials) != len(sum):
			refuse(fmt.Errorf("%d partial decryptions of %d ciphertexts", len(d.Partials), len(sum)))
			continue
		case valid[d.Trustee] != nil:
			refuse(errors.New("a second share of this trustee"))
			continue
		}
		if err := checkShare(m.Shares[d.Trustee-1], d, sum, digest, head); err != nil {
			refuse(err)
			continue
		}
		valid[d.Trustee] = d
	}
	if len(valid) < m.Threshold {
		return nil, dec, fmt.Errorf("%w: %d valid of %d needed", trustee.ErrTooFewShares, len(valid), m.Threshold)
	}
	for i := range valid {
		dec.Used = append(dec.Used, i)
	}
	slices.Sort(dec.Used)
	dec.Used = dec.Used[:m.Threshold]
	max := p.MaxOptionTotal().Uint64() // below 2^32: Validate checked
	solver, err := trustee.NewSolver(m.pack(), max)
	if err != nil {
		return nil, dec, err
	}
	opts := p.maxOptions()
	totals := make([]uint64, opts)
	for i, c := range sum {
		// Every partial decryption of the used shares was verified above
		// (checkShare): interpolate their s_i·C1 to s·C1.
		ds := make(map[int]trustee.Point, len(dec.Used))
		for _, t := range dec.Used {
			ds[t] = valid[t].Partials[i].D
		}
		sC1, err := trustee.Interpolate(ds)
		if err != nil {
			return nil, dec, fmt.Errorf("election: decrypting ciphertext %d: %w", i, err)
		}
		vG := c.C2.Sub(sC1)
		slots, err := solver.Solve(vG)
		if err != nil {
			return nil, dec, fmt.Errorf("election: decrypting ciphertext %d: %w", i, err)
		}
		for j, v := range slots {
			if o := i*m.pack() + j; o < opts {
				totals[o] = v
			} else if v != 0 {
				return nil, dec, fmt.Errorf("election: ciphertext %d has a total in a slot past the options", i)
			}
		}
	}
	for o, v := range totals[len(p.Options):] {
		if v != 0 {
			return nil, dec, fmt.Errorf("election: option %d past the election's has a total", len(p.Options)+o)
		}
	}
	return totals[:len(p.Options)], dec, nil
}

// checkShare verifies every partial decryption of a share.
func checkShare(vk trustee.Point, d *DecryptionShare, sum []trustee.Ciphertext, digest, head fr.Element) error {
	for i, pd := range d.Partials {
		if err := trustee.VerifyPartial(pd, vk, sum[i], decryptContext(digest, head, i)); err != nil {
			return fmt.Errorf("partial decryption %d: %w", i, err)
		}
	}
	return nil
}
