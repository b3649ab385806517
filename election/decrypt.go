package election

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

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
// parameters' digest) and to the ciphertext's position in the sum.
func decryptContext(digest fr.Element, i int) []byte {
	d := digest.Bytes()
	b := append([]byte("zkvote/v2/decrypt;"), d[:]...)
	return binary.BigEndian.AppendUint16(b, uint16(i))
}

// ErrOpenElection: trustees decrypt only the sum of an ended election.
var ErrOpenElection = errors.New("election: the log has no close record; the election may still take ballots")

// PartialDecrypt is a trustee's step after the election ends: it audits the
// exported log as [AuditSecret] does (without decryption shares), refuses
// a log without its close record (ErrOpenElection: decrypting a running sum
// would publish a partial result), and returns the trustee's partial
// decryption of the encrypted sum it recomputed. key is the trustee's share
// (trustee.LongTermKey.Share); its verification share must be the one the
// parameters list for its index. r supplies the proofs' nonces
// (crypto/rand if nil).
func PartialDecrypt(ctx context.Context, p *Params, voteVK *verifier.VerifyingKey, logData []byte, key *trustee.KeyShare, r io.Reader) (*DecryptionShare, error) {
	if p == nil || p.Secret == nil {
		return nil, errors.New("election: not a secret election")
	}
	if key == nil || key.Index < 1 || key.Index > len(p.Secret.Shares) || !key.VerificationShare().Equal(p.Secret.Shares[key.Index-1]) {
		return nil, errors.New("election: the key share is not one of this election's trustees'")
	}
	res, err := AuditSecret(ctx, p, voteVK, logData, nil)
	if err != nil {
		return nil, err
	}
	if !res.Closed {
		return nil, ErrOpenElection
	}
	digest, err := p.Digest()
	if err != nil {
		return nil, err
	}
	d := &DecryptionShare{Trustee: key.Index}
	for i, c := range res.Encrypted {
		pd, err := key.PartialDecrypt(c, decryptContext(digest, i), r)
		if err != nil {
			return nil, err
		}
		d.Partials = append(d.Partials, pd)
	}
	return d, nil
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
func decrypt(p *Params, digest fr.Element, sum []trustee.Ciphertext, shares [][]byte) ([]uint64, *Decryption, error) {
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
		if err := checkShare(m.Shares[d.Trustee-1], d, sum, digest); err != nil {
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
	vks := make(map[int]trustee.Point, len(m.Shares))
	for i, s := range m.Shares {
		vks[i+1] = s
	}
	max := p.MaxOptionTotal().Uint64() // below 2^32: Validate checked
	solver, err := trustee.NewSolver(m.pack(), max)
	if err != nil {
		return nil, dec, err
	}
	opts := p.maxOptions()
	totals := make([]uint64, opts)
	for i, c := range sum {
		var partials []trustee.PartialDecryption
		for _, t := range dec.Used {
			partials = append(partials, valid[t].Partials[i])
		}
		_, vG, err := trustee.CombinePoint(m.Threshold, vks, c, partials, decryptContext(digest, i))
		if err != nil {
			return nil, dec, fmt.Errorf("election: decrypting ciphertext %d: %w", i, err)
		}
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
func checkShare(vk trustee.Point, d *DecryptionShare, sum []trustee.Ciphertext, digest fr.Element) error {
	for i, pd := range d.Partials {
		if err := trustee.VerifyPartial(pd, vk, sum[i], decryptContext(digest, i)); err != nil {
			return fmt.Errorf("partial decryption %d: %w", i, err)
		}
	}
	return nil
}
