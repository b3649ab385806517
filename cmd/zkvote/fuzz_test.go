package main

import (
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// The command line's own decoders of what users and organisers hand it:
// rules, IDs, census heads, beacons and chain heads, and the JSON spec.
// None panics, and each value it accepts is one it prints back.

func FuzzParseRules(f *testing.F) {
	for _, s := range []string{"single-choice", "approval:2", "budget:3,10", "quadratic:100", "approval:", "budget:1", "quadratic:18446744073709551615", "single-choice:1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRules(s)
		if err != nil {
			return
		}
		text := rulesText(r)
		again, err := parseRules(text)
		if err != nil || again != r {
			t.Fatalf("%q parses to %+v, printed %q, which parses to %+v (%v)", s, r, text, again, err)
		}
	})
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"0", "1", "0x2026", "007", "0x", fr.Modulus().String(), "0x" + fr.Modulus().Text(16), "-1", "1e5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := parseID("id", s)
		if err != nil {
			return
		}
		want, ok := new(big.Int), false
		if h, hex := strings.CutPrefix(s, "0x"); hex {
			_, ok = want.SetString(h, 16)
		} else {
			_, ok = want.SetString(s, 10)
		}
		var got big.Int
		if !ok || x.BigInt(&got).Cmp(want) != 0 {
			t.Fatalf("%q parsed to %s, not its value", s, x.String())
		}
	})
}

func FuzzParseHead(f *testing.F) {
	f.Add("3:0x" + strings.Repeat("0", 63) + "7")
	f.Add("3:0x" + fr.Modulus().Text(16))
	f.Add("18446744073709551616:0x07")
	f.Add(":")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHead(s)
		if err == nil && h.Root.IsZero() {
			t.Fatalf("%q: a zero root", s)
		}
	})
}

func FuzzParseBeacon(f *testing.F) {
	f.Add(strings.Repeat("ab", 32))
	f.Add(strings.Repeat("ab", 31))
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		if b, err := parseBeacon(s); err == nil && len(b) < 32 {
			t.Fatalf("%q: a beacon of %d bytes", s, len(b))
		}
		_, _ = parseHeadHex(s)
		_, _ = parsePointHex(s)
	})
}

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(`{"deployment": 1, "election": "0x2026", "question": "q", "options": ["a", "b"], "rules": "approval:1",
		"heads": ["1:0x07"], "keys": "keys", "box_key": "box.vkey", "witness_keys": ["w"], "quorum": 1, "election_key": "/k", "pack": 2}`))
	f.Add([]byte(`{"census": "../census"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{}]`))
	f.Add([]byte(`{"deployment": -1}`))
	f.Add([]byte(`{"unknown": 1}`))
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSpec(b, base)
		if err != nil {
			return
		}
		for _, p := range []string{s.Census, s.Keys, s.ElectionKey} {
			if p != "" && !strings.HasPrefix(p, "/") {
				t.Fatalf("a relative path %q left relative to the working directory", p)
			}
		}
	})
}
