package election

// Hooks for the package's tests, which are external (package election_test)
// because they need package prover, and prover imports election. Each hook
// exposes one unexported name of the package, as an alias or in a wrapper of
// a few lines; this file is compiled only into the test binary.

import (
	"context"
	"encoding/binary"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera"
	"golang.org/x/mod/sumdb/note"

	"github.com/netstate/zkvote/internal/tiles"
	"github.com/netstate/zkvote/verifier"
)

// The ballot log's layout (box.go) and the parameters' magic (params.go),
// which tests use to build and damage logs and encodings by hand.
const (
	LogDirName  = logDir
	ParamsFile  = paramsFile
	BoxMagic    = boxMagic
	RecBallot   = recBallot
	RecClosed   = recClosed
	ParamsMagic = paramsMagic
)

// Header is the log's first entry for parameters of this digest.
func Header(digest fr.Element) []byte { return header(digest) }

// BuildExport builds an exported log by hand, as a box (or a forger)
// would: the parameters, a checkpoint of the entries' tree signed by
// signers (the first names the origin), and the entries.
func BuildExport(p *Params, entries [][]byte, signers ...note.Signer) ([]byte, error) {
	enc, err := p.Encode()
	if err != nil {
		return nil, err
	}
	var h tiles.Hasher
	for _, e := range entries {
		h.Append(e)
	}
	root := h.Root()
	cp, err := note.Sign(&note.Note{Text: string(log.Checkpoint{Origin: signers[0].Name(), Size: uint64(len(entries)), Hash: root[:]}.Marshal())}, signers...)
	if err != nil {
		return nil, err
	}
	out := exportHeader(enc, cp)
	for _, e := range entries {
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out, nil
}

// AddTotals is addTotals, and ErrTotalOverflow the cause of its (and
// Submit's) error for a total that would pass 2^64 − 1.
var (
	AddTotals        = addTotals
	ErrTotalOverflow = errTotalOverflow
)

// ParamsEqual is p.equal(q): both are valid and encode identically.
func ParamsEqual(p, q *Params) bool { return p.equal(q) }

// OpenBoxWrapped opens the box for params in dir as openBox does, with
// vk and without OpenBox's key checks, and with Tessera's Add wrapped by
// wrap (to inject failures).
func OpenBoxWrapped(dir string, params *Params, vk *verifier.VerifyingKey, opts BoxOptions, wrap func(tessera.AddFn) tessera.AddFn) (*Box, error) {
	enc, err := params.Encode()
	if err != nil {
		return nil, err
	}
	digest, err := params.Digest()
	if err != nil {
		return nil, err
	}
	return openBox(context.Background(), dir, params, vk, enc, digest, opts, wrap)
}

// SetTotal sets the box's running total of option i (pending ballots
// included), as if ballots summing to v had been counted.
func (b *Box) SetTotal(i int, v uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.totals[i] = v
}
