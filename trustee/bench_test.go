package trustee

import (
	"fmt"
	"testing"
)

// BenchmarkDKG times one trustee's work in a key generation of n trustees:
// dealing, then checking every deal it received.
func BenchmarkDKG(b *testing.B) {
	for _, n := range []int{5, 16} {
		b.Run(fmt.Sprintf("trustees=%d/threshold=%d", n, n/2+1), func(b *testing.B) {
			s := &Setup{Threshold: n/2 + 1}
			var keys []*LongTermKey
			for range n {
				k, _ := GenerateLongTermKey(nil)
				keys = append(keys, k)
				s.Keys = append(s.Keys, k.Public())
			}
			var deals []*Deal
			for _, k := range keys {
				d, err := k.Deal(s, nil)
				if err != nil {
					b.Fatal(err)
				}
				deals = append(deals, d)
			}
			for b.Loop() {
				if _, err := keys[0].Deal(s, nil); err != nil {
					b.Fatal(err)
				}
				if cs, err := keys[0].Check(s, deals, nil); err != nil || len(cs) != 0 {
					b.Fatal(err, len(cs))
				}
			}
		})
	}
}

// BenchmarkDecrypt times decrypting one summed ciphertext: one trustee's
// partial decryption with its proof, and combining a threshold of them
// (verifying each) with the search over the bound.
func BenchmarkDecrypt(b *testing.B) {
	_, shares, vks := deal(b, 5, 3)
	pk := Identity()
	for i, s := range shares[:3] {
		pk = pk.Add(s.VerificationShare().Mul(lagrangeAtZero(i+1, []int{1, 2, 3})))
	}
	c, _, err := Encrypt(pk, 1000, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=partial", func(b *testing.B) {
		for b.Loop() {
			if _, err := shares[0].PartialDecrypt(c, nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	var partials []PartialDecryption
	for _, s := range shares[:3] {
		p, _ := s.PartialDecrypt(c, nil, nil)
		partials = append(partials, p)
	}
	for _, bound := range []uint64{1 << 10, 1 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("op=combine/threshold=3/bound=%d", bound), func(b *testing.B) {
			for b.Loop() {
				res, err := Combine(3, vks, c, partials, nil, bound)
				if err != nil || res.Value != 1000 {
					b.Fatal(err)
				}
			}
		})
	}
}
