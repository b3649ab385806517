package witness

import (
	"errors"
	"fmt"

	"filippo.io/torchwood"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Policy is what a client of a log (a voter checking a receipt, an
// auditor) requires of a checkpoint before trusting it: the log's own
// signature, and cosignatures from at least Quorum of Witnesses, so that
// the log could show a different history to someone else only if Quorum
// witnesses colluded with it.
type Policy struct {
	Log       note.Verifier   // the log's checkpoint key; its name is the origin
	Witnesses []note.Verifier // the witnesses' cosignature keys ([Witness.Verifier])
	Quorum    int             // how many distinct witnesses must have cosigned
}

// ErrQuorum: fewer than the policy's quorum of its witnesses cosigned the
// checkpoint.
var ErrQuorum = errors.New("witness: too few witnesses cosigned the checkpoint")

// Verify checks a checkpoint note against the policy and returns the tree
// it commits to. Signatures from keys the policy does not name are
// ignored; a signature from a named key that does not verify is refused
// (ErrSignature), as is a checkpoint without the log's signature; fewer
// than Quorum distinct witnesses is ErrQuorum.
func (p Policy) Verify(checkpoint []byte) (tlog.Tree, error) {
	if err := p.Check(); err != nil {
		return tlog.Tree{}, err
	}
	if len(checkpoint) > MaxCheckpointSize {
		return tlog.Tree{}, fmt.Errorf("%w: checkpoint of %d bytes", ErrMalformed, len(checkpoint))
	}
	n, err := note.Open(checkpoint, note.VerifierList(append([]note.Verifier{p.Log}, p.Witnesses...)...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			return tlog.Tree{}, fmt.Errorf("%w: %v", ErrSignature, err)
		}
		return tlog.Tree{}, fmt.Errorf("%w: checkpoint note: %v", ErrMalformed, err)
	}
	logSigned, cosigners := false, 0
	for _, s := range n.Sigs {
		if s.Name == p.Log.Name() && s.Hash == p.Log.KeyHash() {
			logSigned = true
			continue
		}
		cosigners++ // note.Open keeps one verified signature per key
	}
	if !logSigned {
		return tlog.Tree{}, fmt.Errorf("%w: no signature of the log", ErrSignature)
	}
	c, err := torchwood.ParseCheckpoint(n.Text)
	if err != nil || c.Origin != p.Log.Name() {
		return tlog.Tree{}, fmt.Errorf("%w: checkpoint body", ErrMalformed)
	}
	if cosigners < p.Quorum {
		return tlog.Tree{}, fmt.Errorf("%w: %d of the %d needed", ErrQuorum, cosigners, p.Quorum)
	}
	return c.Tree, nil
}

// Check refuses a policy that could count one key twice or never be met:
// no log key, a key named twice (or the log's as a witness), or a quorum
// outside 0 to len(Witnesses).
func (p Policy) Check() error {
	if p.Log == nil {
		return errors.New("witness: the policy names no log key")
	}
	if p.Quorum < 0 || p.Quorum > len(p.Witnesses) {
		return fmt.Errorf("witness: a quorum of %d among %d witnesses", p.Quorum, len(p.Witnesses))
	}
	type id struct {
		name string
		hash uint32
	}
	seen := map[id]bool{{p.Log.Name(), p.Log.KeyHash()}: true}
	for _, w := range p.Witnesses {
		if w == nil || seen[id{w.Name(), w.KeyHash()}] {
			return errors.New("witness: the policy names a key twice, or the log's key as a witness")
		}
		seen[id{w.Name(), w.KeyHash()}] = true
	}
	return nil
}

// ParseWitnessKey parses a witness's public key as a note verifier key
// string ([Witness.VerifierKey], or the witness's plain Ed25519 note key,
// which names the same key) into the verifier of its cosignatures.
func ParseWitnessKey(vkey string) (note.Verifier, error) {
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		return nil, fmt.Errorf("witness: witness key %q: %v", vkey, err)
	}
	return v, nil
}
