package election_test

// Ballot logs (ReadLog, and OpenBox on a log file), parameters, ballots and
// tally files are untrusted bytes: a box operator's disk, an auditor's
// download, a voter's submission. Each crafted input below (length and
// count headers up to 2^32-1 over a few bytes, truncations, proofs whose
// inner counts gnark's decoder would trust) runs under an address-space
// limit in a child process (internal/memlimit) and must be refused with an
// error quickly, never by a crash. The bytes are built from the formats
// documented in election/box.go, params.go and tally.go, independently of
// the decoders.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/internal/memlimit"
	"github.com/netstate/zkvote/internal/wal"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

const (
	emQuick   = time.Second
	emDepth   = 4
	emOptions = 4
	emPublic  = 9 + emOptions // a vote statement's public inputs
)

// emCircuit is a stand-in with a vote statement's number of public inputs:
// its key carries the vote circuit's name, so OpenBox takes it, and its
// proofs are well-formed ballots (that no honest verifier would accept as
// votes). Setting it up takes milliseconds.
type emCircuit struct {
	X  [emPublic]frontend.Variable `gnark:",public"`
	Sq [emPublic]frontend.Variable
}

func (c *emCircuit) Define(api frontend.API) error {
	for i := range c.X {
		api.AssertIsEqual(api.Mul(c.X[i], c.X[i]), c.Sq[i])
	}
	return nil
}

// emFixture is a key named as the vote circuit, parameters pinning it, and
// one well-formed ballot proof (valid points, public signals chosen by the
// test).
type emFixture struct {
	vk     *verifier.VerifyingKey
	params *election.Params
	enc    []byte // the parameters' encoding
	data   []byte // a canonical Groth16 proof body
}

func emSetup(t *testing.T) *emFixture {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &emCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	pk, gvk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	var a emCircuit
	for i := range a.X {
		a.X[i], a.Sq[i] = i, i*i
	}
	wit, err := frontend.NewWitness(&a, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, wit)
	if err != nil {
		t.Fatal(err)
	}
	var data bytes.Buffer
	if _, err := proof.WriteTo(&data); err != nil {
		t.Fatal(err)
	}
	name := statement.Vote(emDepth, emOptions).Name()
	vk, err := verifier.NewGroth16VerifyingKey(name, emPublic, gvk.(*groth16bn254.VerifyingKey))
	if err != nil {
		t.Fatal(err)
	}
	var root fr.Element
	root.SetUint64(77)
	p := &election.Params{
		Question: "Adopt the constitution?", Options: []string{"yes", "no", "abstain"},
		Census: []membership.Head{{Size: 3, Root: root}}, Rules: election.SingleChoice(),
		Depth: emDepth, MaxOptions: emOptions,
		VoteKey: election.PinKey(vk), TallyKey: election.KeyPin{Backend: verifier.Groth16, ID: [32]byte{2}},
	}
	p.DeploymentID.SetUint64(1)
	p.ElectionID.SetUint64(2)
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if data.Len() != verifier.Groth16ProofSize {
		t.Fatalf("proof body of %d bytes", data.Len())
	}
	return &emFixture{vk: vk, params: p, enc: enc, data: data.Bytes()}
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
	pub := make([]fr.Element, emPublic)
	pub[0] = f.params.Census[0].Root
	pub[1].SetUint64(nullifier)
	pub[2] = f.params.Scope()
	pub[3], _ = f.params.Digest()
	pub[4].SetUint64(uint64(len(f.params.Options)))
	pub[5].SetUint64(f.params.Rules.MaxPerOption)
	pub[6].SetUint64(f.params.Rules.MinTotal)
	pub[7].SetUint64(f.params.Rules.MaxTotal)
	pub[8].SetUint64(uint64(f.params.Rules.CostExponent))
	pub[9+vote].SetUint64(1)
	return emProof(verifier.Groth16, emPublic, pub, f.data)
}

// emLogHeader is a ballot log's header: "ZKVOTEBX" | version 1 | params
// length uint32 | params.
func emLogHeader(n uint32, enc []byte) []byte {
	b := append([]byte("ZKVOTEBX"), 1)
	b = binary.BigEndian.AppendUint32(b, n)
	return append(b, enc...)
}

// emRecordHeader is an internal/wal record header claiming n bytes that
// passes its checksum.
func emRecordHeader(n uint32) []byte { return wal.Header(n) }

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

// emLogCases are crafted ballot logs for f's election that ReadLog must
// refuse; torn are logs that end in a record cut short, which OpenBox drops
// (a crash during an unacknowledged write) and ReadLog refuses (an export is
// complete), with the ballots before it kept.
func (f *emFixture) emLogCases() (refused, torn map[string][]byte) {
	hdr := emLogHeader(uint32(len(f.enc)), f.enc)
	rec := func(kind byte, b []byte) []byte { return wal.Frame(append([]byte{kind}, b...)) }
	good := emCat(hdr, rec(1, f.emBallot(1, 0)), rec(1, f.emBallot(2, 1)))
	refused = map[string][]byte{
		"empty":                        {},
		"magic only":                   []byte("ZKVOTEBX"),
		"version 2":                    emSet(hdr, 8, 2),
		"params of 2^32-1 bytes":       emLogHeader(^uint32(0), f.enc),
		"params of 2^32-1 bytes, 1MiB": emCat(emLogHeader(^uint32(0), f.enc), make([]byte, 1<<20)),
		"params of 2^20+1 bytes":       emCat(emLogHeader(1<<20+1, f.enc), make([]byte, 1<<20+1)),
		"params of 2^20 bytes, short":  emLogHeader(1<<20, f.enc),
		"params one byte short":        emLogHeader(uint32(len(f.enc))+1, f.enc),
		"params one byte long":         emCat(emLogHeader(uint32(len(f.enc))-1, f.enc)),
		"garbage params":               emLogHeader(uint32(len(f.enc)), bytes.Repeat([]byte{0xff}, len(f.enc))),
		"record of 2^32-1 bytes, then data": emCat(good, emSet(emRecordHeader(^uint32(0)), 7, 0), // header checksum fails
			rec(1, f.emBallot(3, 2))),
		"unknown record":            emCat(good, rec(9, nil)),
		"empty record":              emCat(good, wal.Frame(nil)),
		"ballot after close":        emCat(good, rec(2, nil), rec(1, f.emBallot(3, 2))),
		"garbage ballot":            emCat(good, rec(1, bytes.Repeat([]byte{0xff}, 300))),
		"flipped byte, data after":  emSet(emCat(good, rec(1, f.emBallot(3, 2))), len(hdr)+20, 0xee),
		"a rule value of 2^192":     emCat(good, rec(1, emSet(f.emBallot(3, 2), 39+32*4, 0, 0, 0, 0, 0, 0, 0, 1))),
		"zero-filled, then data":    emCat(good, make([]byte, 100), rec(1, f.emBallot(3, 2))),
		"close record with payload": emCat(good, rec(2, []byte{0})),
	}
	for name, b := range f.emProofCases() {
		refused["ballot "+name] = emCat(good, rec(1, b))
	}
	torn = map[string][]byte{
		"record of 2^32-1 bytes":       emCat(good, emRecordHeader(^uint32(0))),
		"record of 2^32-1 bytes, 1MiB": emCat(good, emRecordHeader(^uint32(0)), bytes.Repeat([]byte{7}, 1<<20)),
		"record of 2^31 bytes, 1 KiB":  emCat(good, emRecordHeader(1<<31), bytes.Repeat([]byte{7}, 1024)),
		"record header cut":            emCat(good, emRecordHeader(300)[:5]),
		"last ballot cut":              emCat(good, rec(1, f.emBallot(3, 2)))[:len(good)+100],
		"zero-filled tail":             emCat(good, make([]byte, 4096)),
	}
	return refused, torn
}

// TestReadLogBounded: crafted ballot logs are refused by ReadLog with
// ErrCorrupt (or, for bytes that are not a log at all, an error).
func TestReadLogBounded(t *testing.T) {
	f := emSetup(t)
	refused, torn := f.emLogCases()
	memlimit.Run(t, "refused", emQuick, func() error {
		for name, b := range refused {
			if _, err := election.ReadLog(b); err == nil {
				return fmt.Errorf("%s: accepted", name)
			}
		}
		for name, b := range torn {
			if _, err := election.ReadLog(b); !errors.Is(err, election.ErrCorrupt) {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
		return nil
	})
}

// TestOpenBoxBounded: OpenBox on a directory holding a crafted ballot log
// refuses it with ErrCorrupt (or ErrWrongElection for another
// election's header), and drops a torn tail keeping the two ballots
// before it.
func TestOpenBoxBounded(t *testing.T) {
	f := emSetup(t)
	refused, torn := f.emLogCases()
	base := t.TempDir()
	open := func(log []byte) (*election.Results, error) {
		dir, err := os.MkdirTemp(base, "box")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "ballots.log"), log, 0o600); err != nil {
			return nil, err
		}
		box, err := election.OpenBox(context.Background(), dir, f.params, f.vk)
		if err != nil {
			return nil, err
		}
		res := box.Results()
		return &res, box.Close()
	}
	memlimit.Run(t, "refused", 2*emQuick, func() error {
		// The box also checks each ballot's statement and nullifier.
		refused["repeated nullifier"] = append(bytes.Clone(torn["zero-filled tail"][:len(torn["zero-filled tail"])-4096]),
			wal.Frame(append([]byte{1}, f.emBallot(1, 2)...))...)
		for name, b := range refused {
			_, err := open(b)
			if !errors.Is(err, election.ErrCorrupt) && !errors.Is(err, election.ErrWrongElection) {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
		return nil
	})
	memlimit.Run(t, "torn", 2*emQuick, func() error {
		for name, b := range torn {
			res, err := open(b)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			if res.Ballots != 2 {
				return fmt.Errorf("%s: %d ballots, want 2", name, res.Ballots)
			}
		}
		return nil
	})
}
