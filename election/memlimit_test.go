package election_test

// Ballot logs (ReadLog of an export, and OpenBox on a box directory),
// parameters, ballots and tally files are untrusted bytes: a box
// operator's disk, an auditor's download, a voter's submission. Each
// crafted input below (length and count headers up to 2^32-1 over a few
// bytes, truncations, files of gigabytes, proofs whose inner counts
// gnark's decoder would trust) runs under an address-space limit in a
// child process (internal/memlimit) and must be refused with an error
// quickly, never by a crash. The bytes are built from the formats
// documented in election/box.go, log.go, params.go and tally.go and the
// C2SP tlog-tiles layout, independently of the decoders.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/memlimit"
	"github.com/netstate/zkvote/internal/testkeys"
	"github.com/netstate/zkvote/verifier"
)

const (
	emQuick  = time.Second
	emPublic = stubPublic // a vote statement's public inputs
)

// emFixture is the stand-in election (stubWorld: a key named as the vote
// circuit, so OpenBox takes it, and parameters pinning it) and one
// well-formed proof body (valid points) to build ballots around with
// public signals chosen by the test.
type emFixture struct {
	*stubWorld
	vk     *verifier.VerifyingKey
	params *election.Params
	enc    []byte // the parameters' encoding
	data   []byte // a canonical Groth16 proof body
}

func emSetup(t *testing.T) *emFixture {
	t.Helper()
	s := newStubWorld(t, testLogKeys())
	enc, err := s.params.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err := verifier.ParseProof(s.ballot(t, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Data) != verifier.Groth16ProofSize {
		t.Fatalf("proof body of %d bytes", len(p.Data))
	}
	return &emFixture{stubWorld: s, vk: s.vk, params: s.params, enc: enc, data: p.Data}
}

// emProof encodes a proof file: "ZKVP" | version 1 | backend | key ID |
// public count | public signals | data.
func emProof(backend verifier.Backend, count byte, public []fr.Element, data []byte) []byte {
	b := append([]byte("ZKVP"), 1, byte(backend))
	b = append(b, make([]byte, 32)...)
	b = append(b, count)
	for i := range public {
		v := public[i].Bytes()
		b = append(b, v[:]...)
	}
	return append(b, data...)
}

// emBallot is a well-formed ballot for f.params: its statement matches the
// election (scope, digest, rules, an accepted root, a vote for option
// vote) and its proof bytes decode; it is not a valid proof.
func (f *emFixture) emBallot(nullifier uint64, vote int) []byte {
	return emProof(verifier.Groth16, emPublic, f.public(nullifier, vote), f.data)
}

func emCat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func emSet(b []byte, off int, v ...byte) []byte {
	x := bytes.Clone(b)
	copy(x[off:], v)
	return x
}

var emOnes = []byte{0xff, 0xff, 0xff, 0xff}

// emProofCases are crafted proof files (ballots and tally proofs).
func (f *emFixture) emProofCases() map[string][]byte {
	good := f.emBallot(1, 0)
	body := len(good) - verifier.Groth16ProofSize
	plonkData := make([]byte, verifier.PLONKProofSize)
	return map[string][]byte{
		"empty":                           {},
		"magic only":                      []byte("ZKVP"),
		"header only":                     good[:39],
		"255 public signals, none there":  emSet(good[:39], 38, 255),
		"64 public signals, none there":   emSet(good[:39], 38, 64),
		"65 public signals":               emCat(emSet(good[:39], 38, 65), make([]byte, 65*32), f.data),
		"0 public signals":                emSet(good, 38, 0),
		"signal ≥ r":                      emSet(good, 39, bytes.Repeat([]byte{0xff}, 32)...),
		"groth16 commitments 2^32-1":      emSet(good, body+128, emOnes...),
		"groth16 commitments 1":           emSet(good, body+128, 0, 0, 0, 1),
		"groth16 commitments 2^32-1 +1MB": emCat(emSet(good, body+128, emOnes...), make([]byte, 1<<20)),
		"groth16 uncompressed A":          emSet(good, body, good[body]&0x3f),
		"groth16 truncated":               good[:len(good)-1],
		"groth16 trailing byte":           emCat(good, []byte{0}),
		"groth16 data only":               f.data,
		"plonk zeros":                     emCat(emSet(good[:body], 5, byte(verifier.PLONK)), plonkData),
		"plonk claimed 2^32-1":            emCat(emSet(good[:body], 5, byte(verifier.PLONK)), emSet(plonkData, 8*32, emOnes...)),
		"plonk commitments 2^32-1":        emCat(emSet(good[:body], 5, byte(verifier.PLONK)), emSet(plonkData, len(plonkData)-4, emOnes...)),
		"plonk 132 bytes, huge counts":    emCat(emSet(good[:body], 5, byte(verifier.PLONK)), bytes.Repeat([]byte{0xff}, 132)),
		"unknown backend":                 emSet(good, 5, 9),
	}
}

// TestParseBallotBounded: crafted ballots are refused with
// ErrMalformedBallot.
func TestParseBallotBounded(t *testing.T) {
	f := emSetup(t)
	cases := f.emProofCases()
	good := f.emBallot(1, 0)
	for n := 0; n < len(good); n += 5 {
		cases[fmt.Sprintf("cut to %d", n)] = good[:n]
	}
	memlimit.Run(t, "refused", emQuick, func() error {
		if _, err := election.ParseBallot(good); err != nil {
			return fmt.Errorf("the well-formed ballot: %v", err)
		}
		for name, b := range cases {
			if _, err := election.ParseBallot(b); !errors.Is(err, election.ErrMalformedBallot) {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
		return nil
	})
}

// TestParseTallyProofsBounded: tally files claiming 2^32-1 proofs or
// proofs of 2^32-1 bytes over a few bytes, or holding crafted proofs, are
// refused with ErrMalformedTally.
func TestParseTallyProofsBounded(t *testing.T) {
	f := emSetup(t)
	head := func(n uint32) []byte { return binary.BigEndian.AppendUint32(append([]byte("ZKVOTETL"), 1), n) }
	size := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	good := f.emBallot(1, 0)
	cases := map[string][]byte{
		"empty":                         {},
		"magic only":                    []byte("ZKVOTETL"),
		"version 2":                     emSet(head(0), 8, 2),
		"2^32-1 proofs, none":           head(^uint32(0)),
		"2^20 proofs, 4 MiB of zeros":   emCat(head(1<<20), make([]byte, 4<<20)),
		"2^20+1 proofs":                 emCat(head(1<<20+1), make([]byte, 4<<20+4)),
		"2^30 proofs, 1 KiB":            emCat(head(1<<30), make([]byte, 1024)),
		"proof of 2^32-1 bytes":         emCat(head(1), size(^uint32(0)), good),
		"proof of 2^16+1 bytes":         emCat(head(1), size(1<<16+1), make([]byte, 1<<16+1)),
		"proof of 2^16 bytes, short":    emCat(head(1), size(1<<16), good),
		"second proof of 2^32-1 bytes":  emCat(head(2), size(uint32(len(good))), good, size(^uint32(0))),
		"trailing byte":                 emCat(head(1), size(uint32(len(good))), good, []byte{0}),
		"count above the proofs":        emCat(head(3), size(uint32(len(good))), good),
		"2^20 empty proofs, no padding": emCat(head(1<<20), make([]byte, 4<<20)),
	}
	for name, p := range f.emProofCases() {
		cases["holding "+name] = emCat(head(1), size(uint32(len(p))), p)
	}
	memlimit.Run(t, "refused", emQuick, func() error {
		if _, err := election.ParseTallyProofs(emCat(head(1), size(uint32(len(good))), good)); err != nil {
			return fmt.Errorf("a well-formed file: %v", err)
		}
		for name, b := range cases {
			if ps, err := election.ParseTallyProofs(b); !errors.Is(err, election.ErrMalformedTally) {
				return fmt.Errorf("%s: %d proofs, %v", name, len(ps), err)
			}
		}
		return nil
	})
}

// TestParseParamsBounded: parameters whose length fields claim up to 64 KiB
// strings, 255 options of 64 KiB, 65535 census heads, over a few bytes,
// are refused with ErrMalformedParams.
func TestParseParamsBounded(t *testing.T) {
	f := emSetup(t)
	enc := f.enc
	// The fixed part: magic 8, version 1, IDs 64, depth 1, options 1,
	// rules 25, pins 66: the question's length is at 166.
	const q = 8 + 1 + 64 + 2 + 25 + 66
	qlen := int(binary.BigEndian.Uint16(enc[q:]))
	opts := q + 2 + qlen // the options count
	census := opts + 1
	for range int(enc[opts]) {
		census += 2 + int(binary.BigEndian.Uint16(enc[census:]))
	}
	if got := int(binary.BigEndian.Uint16(enc[census:])); got != len(f.params.Census) {
		t.Fatalf("census count at %d is %d: the layout moved", census, got)
	}
	cases := map[string][]byte{
		"empty":                       {},
		"magic only":                  enc[:8],
		"version 1":                   emSet(enc, 8, 1),
		"version 255":                 emSet(enc, 8, 255),
		"question 65535, cut":         emSet(enc[:q+2], q, 0xff, 0xff),
		"question 65535":              emSet(enc, q, 0xff, 0xff),
		"255 options, cut":            emSet(enc[:opts+1], opts, 255),
		"255 options of 65535, cut":   emCat(emSet(enc[:opts+1], opts, 255), []byte{0xff, 0xff}),
		"255 options of 65535, 1 MiB": emCat(emSet(enc[:opts+1], opts, 255), []byte{0xff, 0xff}, bytes.Repeat([]byte{'a'}, 1<<20)),
		"65535 heads, cut":            emSet(enc[:census+2], census, 0xff, 0xff),
		"65535 heads, 1 MiB":          emCat(emSet(enc[:census+2], census, 0xff, 0xff), make([]byte, 1<<20)),
		"1024 heads, cut":             emSet(enc[:census+2], census, 4, 0),
		"1025 heads":                  emCat(emSet(enc[:census+2], census, 4, 1), make([]byte, 1025*40)),
		"depth 255":                   emSet(enc, 8+1+64, 255),
		"options 255":                 emSet(enc, 8+1+64+1, 255),
		"trailing byte":               emCat(enc, []byte{0}),
	}
	for n := 0; n < len(enc); n++ {
		cases[fmt.Sprintf("cut to %d", n)] = enc[:n]
	}
	memlimit.Run(t, "refused", emQuick, func() error {
		if _, err := election.ParseParams(enc); err != nil {
			return fmt.Errorf("the parameters: %v", err)
		}
		for name, b := range cases {
			if _, err := election.ParseParams(b); !errors.Is(err, election.ErrMalformedParams) {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
		return nil
	})
}

// emHeader is the log's first entry for parameters of this digest: kind 0
// | "ZKVOTEBX" | version | digest.
func emHeader(version byte, digest fr.Element) []byte {
	d := digest.Bytes()
	return append(append([]byte{0}, "ZKVOTEBX"...), append([]byte{version}, d[:]...)...)
}

// emEntry is a log entry: kind | payload (kind 1 a ballot, 2 the close).
func emEntry(kind byte, payload []byte) []byte { return append([]byte{kind}, payload...) }

// emExport encodes an exported log: "ZKVOTELG" | version 1 | params
// (uint32 length) | checkpoint (uint32 length) | entries (uint16 length
// each).
func emExport(params, checkpoint []byte, entries ...[]byte) []byte {
	b := append([]byte("ZKVOTELG"), 1)
	b = binary.BigEndian.AppendUint32(b, uint32(len(params)))
	b = append(b, params...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(checkpoint)))
	b = append(b, checkpoint...)
	return append(b, emBundle(entries...)...)
}

// emBundle is entries as an entry bundle (and an export's tail): each a
// uint16 length and its bytes.
func emBundle(entries ...[]byte) []byte {
	var b []byte
	for _, e := range entries {
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	return b
}

// emCheckpoint is a checkpoint of the tree of entries signed by the test
// box key, whose holder wrote them (the box, or a forger with its key).
func emCheckpoint(t testing.TB, entries ...[]byte) []byte {
	return signCheckpoint(t, testBoxSigner, uint64(len(entries)), treeHash(entryHashes(entries)))
}

// emEntries are a good log of f's election: its header and two ballots.
func (f *emFixture) emEntries() [][]byte {
	digest, _ := f.params.Digest()
	return [][]byte{emHeader(2, digest), emEntry(1, f.emBallot(1, 0)), emEntry(1, f.emBallot(2, 1))}
}

// emEntryCases are logs, as their entries, whose checkpoint the box's key
// signs but whose entries are not a ballot log of f's election, each with
// the error that refuses it.
func (f *emFixture) emEntryCases() map[string]struct {
	entries [][]byte
	want    error
} {
	good := f.emEntries()
	digest, _ := f.params.Digest()
	other := *f.params
	other.ElectionID = fe(3)
	otherDigest, _ := other.Digest()
	with := func(extra ...[]byte) [][]byte { return append(append([][]byte{}, good...), extra...) }
	cases := map[string]struct {
		entries [][]byte
		want    error
	}{
		"no entries":                {nil, election.ErrCorrupt},
		"header of another":         {append([][]byte{emHeader(2, otherDigest)}, good[1:]...), election.ErrWrongElection},
		"header version 1":          {append([][]byte{emHeader(1, digest)}, good[1:]...), election.ErrCorrupt},
		"header cut":                {append([][]byte{emHeader(2, digest)[:20]}, good[1:]...), election.ErrCorrupt},
		"empty header":              {append([][]byte{{}}, good[1:]...), election.ErrCorrupt},
		"a ballot first":            {good[1:], election.ErrCorrupt},
		"unknown entry":             {with(emEntry(9, nil)), election.ErrCorrupt},
		"empty entry":               {with([]byte{}), election.ErrCorrupt},
		"ballot after close":        {with(emEntry(2, nil), emEntry(1, f.emBallot(3, 2))), election.ErrCorrupt},
		"garbage ballot":            {with(emEntry(1, bytes.Repeat([]byte{0xff}, 300))), election.ErrCorrupt},
		"a rule value of 2^192":     {with(emEntry(1, emSet(f.emBallot(3, 2), 39+32*4, 0, 0, 0, 0, 0, 0, 0, 1))), election.ErrCorrupt},
		"close entry with payload":  {with(emEntry(2, []byte{0})), election.ErrCorrupt},
		"a second header":           {with(good[0]), election.ErrCorrupt},
		"ballot of 65535 bytes":     {with(emEntry(1, make([]byte, 1<<16-2))), election.ErrCorrupt},
		"header of another, closed": {[][]byte{emHeader(2, otherDigest), emEntry(2, nil)}, election.ErrWrongElection},
	}
	for name, b := range f.emProofCases() {
		cases["ballot "+name] = struct {
			entries [][]byte
			want    error
		}{with(emEntry(1, b)), election.ErrCorrupt}
	}
	return cases
}

// emLogCases are crafted exported logs of f's election that ReadLog must
// refuse, each with ErrCorrupt (or ErrWrongElection for another election's
// header); cut is the good export, every proper prefix of which ReadLog
// refuses with ErrCorrupt.
func (f *emFixture) emLogCases(t testing.TB) (refused map[string][]byte, cut []byte) {
	entries := f.emEntries()
	cp := emCheckpoint(t, entries...)
	good := emExport(f.enc, cp, entries...)
	withParams := func(n uint32, rest []byte) []byte {
		b := binary.BigEndian.AppendUint32(append([]byte("ZKVOTELG"), 1), n)
		return append(b, rest...)
	}
	withCheckpoint := func(n uint32, rest []byte) []byte {
		b := withParams(uint32(len(f.enc)), f.enc)
		return append(binary.BigEndian.AppendUint32(b, n), rest...)
	}
	huge := func(n uint64, tail []byte) []byte {
		c := signCheckpoint(t, testBoxSigner, n, treeHash(entryHashes(entries)))
		return append(emExport(f.enc, c), tail...)
	}
	otherKey, _ := testkeys.Key("zkvote.test/box-other")
	otherSigner, err := note.NewSigner(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	sameName := func() note.Signer {
		skey, _, err := note.GenerateKey(nil, testBoxSigner.Name())
		if err != nil {
			t.Fatal(err)
		}
		s, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	root := treeHash(entryHashes(entries))
	unsigned := fmt.Appendf(nil, "%s\n3\n%s\n\n", testBoxSigner.Name(), base64.StdEncoding.EncodeToString(root[:]))
	flipped := slices.Clone(entries)
	flipped[2] = emSet(flipped[2], 100, flipped[2][100]^1)
	refused = map[string][]byte{
		"empty":                                {},
		"magic only":                           []byte("ZKVOTELG"),
		"version 2":                            emSet(good, 8, 2),
		"params of 2^32-1 bytes":               withParams(^uint32(0), f.enc),
		"params of 2^32-1 bytes, 1 MiB":        withParams(^uint32(0), emCat(f.enc, make([]byte, 1<<20))),
		"params of 2^20+1 bytes":               withParams(1<<20+1, make([]byte, 1<<20+1)),
		"params of 2^20 bytes, short":          withParams(1<<20, f.enc),
		"params one byte short":                withParams(uint32(len(f.enc))+1, emCat(f.enc, good[len(f.enc)+13:])),
		"params one byte long":                 withParams(uint32(len(f.enc))-1, good[13:]),
		"garbage params":                       emExport(bytes.Repeat([]byte{0xff}, len(f.enc)), cp, entries...),
		"checkpoint of 2^32-1 bytes":           withCheckpoint(^uint32(0), cp),
		"checkpoint of 2^32-1 bytes, 1 MiB":    withCheckpoint(^uint32(0), emCat(cp, make([]byte, 1<<20))),
		"checkpoint of 2^16+1 bytes, 1 MiB":    withCheckpoint(1<<16+1, make([]byte, 1<<20)),
		"checkpoint of 2^62 entries":           huge(1<<62, emBundle(entries...)),
		"checkpoint of 2^31 entries, 1 MiB":    huge(1<<31, make([]byte, 1<<20)),
		"checkpoint of 2^19 entries, 1 MiB":    huge(1<<19, make([]byte, 1<<20)),
		"checkpoint of another key":            emExport(f.enc, signCheckpoint(t, otherSigner, 3, root), entries...),
		"checkpoint of another key, same name": emExport(f.enc, signCheckpoint(t, sameName, 3, root), entries...),
		"checkpoint unsigned":                  emExport(f.enc, unsigned, entries...),
		"checkpoint of another root":           emExport(f.enc, emCheckpoint(t, entries[:2]...), entries...),
		"an entry more":                        emExport(f.enc, cp, append(slices.Clone(entries), emEntry(2, nil))...),
		"an entry fewer":                       emExport(f.enc, cp, entries[:2]...),
		"an entry of 65535 bytes, cut":         emCat(good, []byte{0xff, 0xff}, make([]byte, 100)),
		"a flipped byte":                       emExport(f.enc, cp, flipped...),
		"trailing byte":                        emCat(good, []byte{0}),
	}
	for name, c := range f.emEntryCases() {
		refused["entries: "+name] = emExport(f.enc, emCheckpoint(t, c.entries...), c.entries...)
	}
	return refused, good
}

// TestReadLogBounded: crafted exported logs (lengths and counts up to
// 2^62 over a few bytes, checkpoints not signed by the box, entries that
// are not a ballot log) are refused by ReadLog with ErrCorrupt, or
// ErrWrongElection for another election's header, and so is every cut of
// a good one.
func TestReadLogBounded(t *testing.T) {
	f := emSetup(t)
	refused, good := f.emLogCases(t)
	memlimit.Run(t, "refused", emQuick, func() error {
		if _, err := election.ReadLog(good); err != nil {
			return fmt.Errorf("the good log: %v", err)
		}
		var errs []error
		for name, b := range refused {
			if _, err := election.ReadLog(b); !errors.Is(err, election.ErrCorrupt) && !errors.Is(err, election.ErrWrongElection) {
				errs = append(errs, fmt.Errorf("%s: %v", name, err))
			}
		}
		for n := 0; n < len(good); n += 7 {
			if _, err := election.ReadLog(good[:n]); !errors.Is(err, election.ErrCorrupt) {
				errs = append(errs, fmt.Errorf("cut to %d: %v", n, err))
			}
		}
		return errors.Join(errs...)
	})
}

// emBoxCase is a box directory to craft: a log of entries (craftBox),
// then damaged by mutate if not nil.
type emBoxCase struct {
	entries [][]byte
	mutate  func(dir string) error
	want    error // for a refused directory
}

// emBoxCases are crafted box directories for f's election. OpenBox must
// refuse each of refused with its error; torn are states a crash of the
// box leaves (entries written but not integrated, a checkpoint not yet
// published, a temporary file), which it opens with the two ballots the
// tree state holds.
func (f *emFixture) emBoxCases(t testing.TB) (refused, torn map[string]emBoxCase) {
	good := f.emEntries()
	write := func(name string, data []byte) func(dir string) error {
		return func(dir string) error {
			path := filepath.Join(dir, logFile(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return err
			}
			return os.WriteFile(path, data, 0o600)
		}
	}
	remove := func(name string) func(dir string) error {
		return func(dir string) error { return os.Remove(filepath.Join(dir, logFile(name))) }
	}
	bundle := layout.EntriesPath(0, 3)
	root := treeHash(entryHashes(good))
	otherKey, _ := testkeys.Key("zkvote.test/box-other")
	otherSigner, err := note.NewSigner(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	other := *f.params
	other.ElectionID = fe(3)
	otherEnc, err := other.Encode()
	if err != nil {
		t.Fatal(err)
	}
	refused = map[string]emBoxCase{
		"garbage params file": {good, func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "params"), bytes.Repeat([]byte{0xff}, len(f.enc)), 0o600)
		}, election.ErrCorrupt},
		"empty params file":            {good, func(dir string) error { return os.WriteFile(filepath.Join(dir, "params"), nil, 0o600) }, election.ErrCorrupt},
		"another election's params":    {good, func(dir string) error { return os.WriteFile(filepath.Join(dir, "params"), otherEnc, 0o600) }, election.ErrWrongElection},
		"bundle: an entry cut":         {good, write(bundle, emCat(emBundle(good...), []byte{0xff, 0xff}, make([]byte, 10))), election.ErrCorrupt},
		"bundle: a length cut":         {good, write(bundle, emCat(emBundle(good...), []byte{0})), election.ErrCorrupt},
		"bundle: an entry more":        {good, write(bundle, emBundle(append(slices.Clone(good), emEntry(2, nil))...)), election.ErrCorrupt},
		"bundle: an entry fewer":       {good, write(bundle, emBundle(good[:2]...)), election.ErrCorrupt},
		"bundle: 65535-byte entry cut": {good, write(bundle, emCat(emBundle(good[:2]...), []byte{0xff, 0xff}, good[2])), election.ErrCorrupt},
		"bundle: empty":                {good, write(bundle, nil), election.ErrCorrupt},
		"bundle: missing":              {good, remove(bundle), election.ErrCorrupt},
		"bundle: a flipped byte":       {good, write(bundle, emBundle(good[0], good[1], emSet(good[2], 100, good[2][100]^1))), election.ErrCorrupt},
		"tree state of 2^63 entries":   {good, write(logTreeState, treeState(1<<63, root)), election.ErrCorrupt},
		"tree state: an entry more":    {good, write(logTreeState, treeState(4, root)), election.ErrCorrupt},
		"tree state: an entry fewer":   {good, write(logTreeState, treeState(2, treeHash(entryHashes(good[:2])))), election.ErrCorrupt},
		"tree state not JSON":          {good, write(logTreeState, []byte("{\"size\":")), election.ErrCorrupt},
		"tree state missing":           {good, remove(logTreeState), election.ErrCorrupt},
		"checkpoint of another key":    {good, write(logCheckpoint, signCheckpoint(t, otherSigner, 3, root)), election.ErrCorrupt},
		"checkpoint of another root":   {good, write(logCheckpoint, signCheckpoint(t, testBoxSigner, 3, treeHash(entryHashes(good[1:])))), election.ErrCorrupt},
		"checkpoint of 4 entries":      {good, write(logCheckpoint, signCheckpoint(t, testBoxSigner, 4, root)), election.ErrCorrupt},
		"checkpoint of 2^63 entries":   {good, write(logCheckpoint, signCheckpoint(t, testBoxSigner, 1<<63, root)), election.ErrCorrupt},
		"checkpoint garbage":           {good, write(logCheckpoint, bytes.Repeat([]byte{0xff}, 200)), election.ErrCorrupt},
		"checkpoint missing":           {good, remove(logCheckpoint), election.ErrCorrupt},
	}
	// The box also checks each ballot's statement, and its nullifier.
	refused["entries: a ballot of another election"] = emBoxCase{
		entries: append(slices.Clone(good), emEntry(1, emProof(verifier.Groth16, emPublic, (&stubWorld{params: &other}).public(3, 0), f.data))),
		want:    election.ErrCorrupt,
	}
	refused["entries: a repeated nullifier"] = emBoxCase{entries: append(slices.Clone(good), emEntry(1, f.emBallot(1, 2))), want: election.ErrCorrupt}
	for name, c := range f.emEntryCases() {
		if len(c.entries) == 0 {
			continue // an empty log is a new box's
		}
		refused["entries: "+name] = emBoxCase{entries: c.entries, want: c.want}
	}
	third := emEntry(1, f.emBallot(3, 2))
	torn = map[string]emBoxCase{
		"entries past the tree state": {good, func(dir string) error {
			all := append(slices.Clone(good), third)
			if err := write(layout.EntriesPath(0, 4), emBundle(all...))(dir); err != nil {
				return err
			}
			return write(layout.TilePath(0, 0, 4), hashes(entryHashes(all)))(dir)
		}, nil},
		"checkpoint behind the tree state": {good, write(logCheckpoint, emCheckpoint(t, good[0])), nil},
		"checkpoint of the empty tree":     {good, write(logCheckpoint, emCheckpoint(t)), nil},
		"a temporary file":                 {good, write(logCheckpoint+"2093847", []byte("zkvote.test/box\n")), nil},
	}
	return refused, torn
}

// hashes concatenates hashes (a hash tile).
func hashes(hs []tlog.Hash) []byte {
	var b []byte
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}

// TestOpenBoxBounded: OpenBox on a crafted box directory refuses it with
// ErrCorrupt (or ErrWrongElection for another election's), quickly,
// without touching its files; it opens the states a crash leaves with
// the ballots the tree state holds; and files of 1.25 GiB (sparse) where
// the parameters, an entry bundle, the tree state or the checkpoint
// belong are refused within bounded memory.
func TestOpenBoxBounded(t *testing.T) {
	f := emSetup(t)
	refused, torn := f.emBoxCases(t)
	base := t.TempDir()
	craft := func(c emBoxCase) (string, error) {
		dir, err := os.MkdirTemp(base, "box")
		if err != nil {
			return "", err
		}
		craftBox(t, dir, f.enc, c.entries)
		if c.mutate != nil {
			if err := c.mutate(dir); err != nil {
				return "", err
			}
		}
		return dir, nil
	}
	open := func(dir string) (*election.Results, error) {
		box, err := election.OpenBox(context.Background(), dir, f.params, f.vk, testBoxOptions())
		if err != nil {
			return nil, err
		}
		res := box.Results()
		return &res, box.Close()
	}
	memlimit.Run(t, "refused", 2*emQuick, func() error {
		var errs []error
		for name, c := range refused {
			dir, err := craft(c)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			before := dirFiles(t, dir)
			if _, err := open(dir); !errors.Is(err, c.want) {
				errs = append(errs, fmt.Errorf("%s: got %v, want %v", name, err, c.want))
			}
			if !maps.Equal(before, dirFiles(t, dir)) {
				errs = append(errs, fmt.Errorf("%s: the open changed the files", name))
			}
		}
		return errors.Join(errs...)
	})
	memlimit.Run(t, "torn", 2*emQuick, func() error {
		for name, c := range torn {
			dir, err := craft(c)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			res, err := open(dir)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			if res.Ballots != 2 || !slices.Equal(res.Totals, []uint64{1, 1, 0}) {
				return fmt.Errorf("%s: %d ballots, totals %v; want 2, [1 1 0]", name, res.Ballots, res.Totals)
			}
		}
		return nil
	})
	const huge = 1<<30 + 1<<28
	for what, name := range map[string]string{
		"params": "params", "bundle": logFile(layout.EntriesPath(0, 3)),
		"tree state": logFile(logTreeState), "checkpoint": logFile(logCheckpoint),
	} {
		memlimit.Run(t, "huge "+what, 4*emQuick, func() error {
			dir, err := craft(emBoxCase{entries: f.emEntries()})
			if err != nil {
				return err
			}
			if err := os.Truncate(filepath.Join(dir, name), huge); err != nil {
				return err
			}
			if _, err := open(dir); err == nil {
				return errors.New("opened")
			}
			return nil
		})
	}
}
