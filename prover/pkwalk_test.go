package prover

import (
	"bytes"
	"testing"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"

	"github.com/netstate/zkvote/verifier"
)

// FuzzWalkProvingKey: whatever walkProvingKey accepts, gnark's decoder
// reads along the same slots: it consumes exactly the input (or refuses a
// value, such as a coordinate ≥ p, that the walk leaves to it), never
// panics, and what it decodes re-encodes to exactly the input, so the walk
// admits one encoding per key. The seeds are honest proving keys of both
// backends (depth testDepth), which the walk must accept.
func FuzzWalkProvingKey(f *testing.F) {
	ccs := map[verifier.Backend]constraint.ConstraintSystem{}
	for _, k := range []*Keys{testKeys(f), testPLONKKeys(f, testDepth)} {
		var body bytes.Buffer
		var err error
		if k.pk != nil {
			_, err = k.pk.WriteRawTo(&body)
		} else {
			_, err = k.ppk.WriteRawTo(&body)
		}
		if err != nil {
			f.Fatal(err)
		}
		b := k.Backend()
		ccs[b] = k.ccs
		if err := walkProvingKey(body.Bytes(), k.ccs, b); err != nil {
			f.Fatalf("%v: the walk refuses an honest key: %v", b, err)
		}
		f.Add(byte(b), body.Bytes())
		f.Add(byte(b), body.Bytes()[:len(body.Bytes())/2])
	}
	f.Fuzz(func(t *testing.T, backend byte, body []byte) {
		b := verifier.Backend(backend)
		cs, ok := ccs[b]
		if !ok || walkProvingKey(body, cs, b) != nil {
			return
		}
		var (
			n   int64
			err error
			out bytes.Buffer
		)
		r := bytes.NewReader(body)
		if b == verifier.Groth16 {
			pk := new(groth16bn254.ProvingKey)
			if n, err = pk.UnsafeReadFrom(r); err == nil {
				_, err = pk.WriteRawTo(&out)
			}
		} else {
			pk := new(plonkbn254.ProvingKey)
			if n, err = pk.UnsafeReadFrom(r); err == nil {
				_, err = pk.WriteRawTo(&out)
			}
		}
		if err != nil {
			return
		}
		if n != int64(len(body)) {
			t.Fatalf("%v: walked %d bytes, decoded %d", b, len(body), n)
		}
		if !bytes.Equal(out.Bytes(), body) {
			t.Fatalf("%v: the walk accepted a non-canonical encoding", b)
		}
	})
}
