package verifier_test

// Fuzz targets for every decoder of the verifier (no panic,
// bounded allocation, decode→encode reproduces the input exactly), seeded
// from real artefacts and from the 132-byte input that crashes gnark's own
// Proof.ReadFrom. A 256 GiB allocation attempt kills the fuzzing process,
// which the fuzzer reports as a crash.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"

	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// malAddSeeds adds seeds to f and fails if there are none.
func malAddSeeds(f *testing.F, seeds [][]byte) {
	f.Helper()
	if len(seeds) == 0 {
		f.Fatal("empty seed corpus")
	}
	for _, s := range seeds {
		f.Add(s)
	}
}

// malProofSeeds are proof files: valid ones and one of each malformed kind.
func malProofSeeds(f *testing.F) [][]byte {
	fx := malArtefacts(f)
	var raw bytes.Buffer
	if _, err := fx.g16.WriteRawTo(&raw); err != nil {
		f.Fatal(err)
	}
	var inf bn254.G1Affine
	ib := inf.Bytes()
	crash := malCrashData(fx)
	return [][]byte{
		fx.enc,
		fx.other.Bytes(),
		fx.withData(malNegated(f, fx.proof.Data)),
		fx.enc[:len(fx.enc)-1],
		fx.enc[:39],
		append(bytes.Clone(fx.enc), 0),
		fx.withData(crash),
		fx.withData(append(bytes.Clone(crash), ib[:]...)),
		crash,
		fx.withData(raw.Bytes()),
		fx.withData(malPatch(fx.proof.Data, 0, ib[:])),
		fx.withData(malPatch(fx.proof.Data, 128, []byte{0, 0, 0, 1})),
		malPatch(fx.enc, 38, []byte{65}),
		{},
	}
}

// FuzzParseProof: ParseProof never panics, returns only ErrMalformed errors,
// and whatever it accepts it re-encodes byte for byte.
func FuzzParseProof(f *testing.F) {
	malAddSeeds(f, malProofSeeds(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := verifier.ParseProof(b)
		if err != nil {
			if !errors.Is(err, verifier.ErrMalformed) {
				t.Fatalf("error not wrapping ErrMalformed: %v", err)
			}
			return
		}
		if got := p.Bytes(); !bytes.Equal(got, b) {
			t.Fatalf("accepted a non-canonical encoding:\n in  %x\n out %x", b, got)
		}
		if len(p.Data) != verifier.Groth16ProofSize || len(p.Public) < 1 || len(p.Public) > statement.MaxPublic {
			t.Fatalf("accepted %d public signals and %d data bytes", len(p.Public), len(p.Data))
		}
	})
}

// FuzzProofJSON: UnmarshalJSON never panics, returns only ErrMalformed
// errors, and whatever it accepts re-marshals to JSON that parses to the
// same proof (and marshals to itself).
func FuzzProofJSON(f *testing.F) {
	fx := malArtefacts(f)
	var seeds [][]byte
	for _, b := range malProofSeeds(f) {
		// The JSON form of every binary seed that parses.
		p, err := verifier.ParseProof(b)
		if err != nil {
			continue
		}
		js, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, js)
	}
	good, err := json.Marshal(fx.proof)
	if err != nil {
		f.Fatal(err)
	}
	crash := fx.proofWith(malCrashData(fx))
	crashJS, err := json.Marshal(crash)
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds,
		crashJS,
		append(bytes.Clone(good), '}'),
		bytes.Replace(good, []byte(`"backend"`), []byte(`"Backend"`), 1),
		bytes.Replace(good, []byte(`"0x`), []byte(`"0X`), 1),
		[]byte(`{"backend":"groth16","key":"","public":["0x0"],"proof":""}`),
		[]byte(`null`),
		[]byte(`{}`),
	)
	malAddSeeds(f, seeds)
	f.Fuzz(func(t *testing.T, b []byte) {
		var p verifier.Proof
		if err := p.UnmarshalJSON(b); err != nil {
			if !errors.Is(err, verifier.ErrMalformed) {
				t.Fatalf("error not wrapping ErrMalformed: %v", err)
			}
			return
		}
		js, err := json.Marshal(&p)
		if err != nil {
			t.Fatalf("accepted proof does not marshal: %v", err)
		}
		var q verifier.Proof
		if err := q.UnmarshalJSON(js); err != nil {
			t.Fatalf("own JSON does not parse: %v\n%s", err, js)
		}
		if !bytes.Equal(p.Bytes(), q.Bytes()) {
			t.Fatalf("JSON round trip changed the proof:\n%x\n%x", p.Bytes(), q.Bytes())
		}
		js2, err := json.Marshal(&q)
		if err != nil || !bytes.Equal(js, js2) {
			t.Fatalf("marshal is not stable: %v\n%s\n%s", err, js, js2)
		}
		// The binary form of anything the JSON form accepts parses too.
		r, err := verifier.ParseProof(p.Bytes())
		if err != nil {
			t.Fatalf("JSON accepted a proof the binary form rejects: %v", err)
		}
		if !bytes.Equal(r.Bytes(), p.Bytes()) {
			t.Fatal("binary round trip changed the proof")
		}
	})
}

// malVKSeeds are verifying-key files: the valid ones (Groth16 and PLONK)
// and one of each malformed kind, among them keys whose uncompressed points
// or legacy layout move the length words gnark trusts.
func malVKSeeds(f *testing.F) [][]byte {
	fx := malArtefacts(f)
	body := fx.vkFile[fx.vkHdr():]
	var raw bytes.Buffer
	if _, err := fx.vk.Groth16Key().WriteRawTo(&raw); err != nil {
		f.Fatal(err)
	}
	huge := bytes.Clone(body)
	binary.BigEndian.PutUint32(huge[288:], 0xFFFFFFFF)
	return [][]byte{
		fx.vkFile,
		fx.vkFile[:len(fx.vkFile)-1],
		append(bytes.Clone(fx.vkFile), 0),
		malPatch(fx.vkFile, 10, []byte{5}),
		malPatch(fx.vkFile, 11, []byte{0}),
		malVKFile(fx, 4, raw.Bytes()),
		malVKFile(fx, 4, huge),
		malPatch(fx.vkFile, fx.vkHdr(), []byte{fx.vkFile[fx.vkHdr()] ^ 0x40}),
		fx.vkFile[:12],
		{},
		keyFile(verifier.Groth16, 4, craftedGroth16Key(f)),
		keyFile(verifier.PLONK, 4, craftedPLONKLegacyKey(f, 4)),
		keyFile(verifier.PLONK, 4, craftedPLONKRawKey(f, 4)),
		syntheticPLONKKey(f).Bytes(),
	}
}

// FuzzParseVerifyingKey: ParseVerifyingKey never panics, returns only
// ErrMalformedKey errors, and whatever it accepts it re-encodes byte for
// byte, with the header's fields and the file's hash as its ID. A key it
// accepts refuses the fixture proof unless it is the fixture key.
func FuzzParseVerifyingKey(f *testing.F) {
	fx := malArtefacts(f)
	malAddSeeds(f, malVKSeeds(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		vk, err := verifier.ParseVerifyingKey(b)
		if err != nil {
			if !errors.Is(err, verifier.ErrMalformedKey) {
				t.Fatalf("error not wrapping ErrMalformedKey: %v", err)
			}
			return
		}
		if !bytes.Equal(vk.Bytes(), b) {
			t.Fatalf("accepted a non-canonical key:\n in  %x\n out %x", b, vk.Bytes())
		}
		if vk.ID() != sha256.Sum256(b) {
			t.Fatal("ID is not the file's SHA-256")
		}
		if vk.NbPublic() != int(b[10]) || vk.Backend() != verifier.Backend(b[9]) || vk.Circuit() != string(b[12:12+int(b[11])]) {
			t.Fatal("header fields do not match the file")
		}
		if g := vk.Groth16Key(); (g == nil) != (vk.Backend() != verifier.Groth16) || g != nil && g.NbPublicWitness() != vk.NbPublic() {
			t.Fatal("gnark key does not match the header")
		}
		err = verifier.Verify(vk, fx.proof)
		if vk.ID() == fx.vk.ID() {
			if err != nil {
				t.Fatalf("fixture key refuses the fixture proof: %v", err)
			}
		} else if !errors.Is(err, verifier.ErrKeyMismatch) {
			t.Fatalf("another key answered %v, want ErrKeyMismatch", err)
		}
	})
}

// FuzzVerify: mutated proof files, parsed and verified against the fixture
// key. Verify never panics, answers with one of its sentinels, and returns
// nil only for the fixture's own proofs or their (−A, −B, C) twins, which
// carry the same statement (SECURITY.md, fact 4).
func FuzzVerify(f *testing.F) {
	fx := malArtefacts(f)
	valid := [][]byte{fx.enc, fx.other.Bytes()}
	original := map[string]bool{string(valid[0]): true, string(valid[1]): true}
	accept := map[string]bool{}
	for _, b := range valid {
		accept[string(b)] = true
		off := len(b) - verifier.Groth16ProofSize
		accept[string(append(bytes.Clone(b[:off]), malNegated(f, b[off:])...))] = true
	}
	seeds := malProofSeeds(f)
	for i, b := range valid {
		// Single-byte changes spread over the file.
		for _, at := range []int{0, 5, 6 + i, 38, 39, 71 + i, len(b) - 164, len(b) - 100, len(b) - 40, len(b) - 1} {
			seeds = append(seeds, malPatch(b, at, []byte{b[at] ^ 1}))
		}
	}
	malAddSeeds(f, seeds)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := verifier.ParseProof(b)
		if err != nil {
			return
		}
		err = verifier.Verify(fx.vk, p)
		switch {
		case err == nil:
			if !accept[string(b)] {
				t.Fatalf("Verify accepted a proof that is not the fixture's:\n%x", b)
			}
		case original[string(b)]:
			t.Fatalf("Verify refused a fixture proof: %v", err)
		case errors.Is(err, verifier.ErrInvalidProof), errors.Is(err, verifier.ErrKeyMismatch), errors.Is(err, verifier.ErrMalformed):
		default:
			t.Fatalf("Verify answered an error outside its sentinels: %v", err)
		}
	})
}
