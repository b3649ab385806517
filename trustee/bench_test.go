package trustee

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/netstate/zkvote/statement"
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

// BenchmarkDecrypt times decrypting summed ciphertexts: one trustee's
// partial decryption with its proof (op=partial); combining a threshold of
// them, verifying each, with the search over a bound (op=combine); and
// recovering an 8-option ballot box's totals from 3 trustees' partial
// decryptions (op=recover): building the election's Solver, then
// CombinePoint and Solver.Solve for each ciphertext, with options packed
// pack to a ciphertext and every total a random value in [0, max].
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
	const options = 8
	for _, r := range []struct {
		pack int
		max  uint64
	}{{1, 1<<statement.SlotBits - 1}, {2, 1<<20 - 1}} {
		b.Run(fmt.Sprintf("op=recover/options=%d/pack=%d/max=%d", options, r.pack, r.max), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(uint64(r.pack), r.max))
			totals := make([]uint64, options)
			var cts []Ciphertext
			var parts [][]PartialDecryption
			for i := 0; i < options; i += r.pack {
				var m uint64
				for j := range r.pack {
					totals[i+j] = rng.Uint64N(r.max + 1)
					m |= totals[i+j] << (statement.SlotBits * j)
				}
				k, err := RandomScalar(nil)
				if err != nil {
					b.Fatal(err)
				}
				c := EncryptWith(pk, m, k)
				ctx := fmt.Appendf(nil, "ciphertext %d", len(cts))
				var ps []PartialDecryption
				for _, s := range shares[2:5] { // trustees 3, 4, 5
					p, err := s.PartialDecrypt(c, ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					ps = append(ps, p)
				}
				cts, parts = append(cts, c), append(parts, ps)
			}
			var table int
			for b.Loop() {
				s, err := NewSolver(r.pack, r.max)
				if err != nil {
					b.Fatal(err)
				}
				table = len(s.bs.table) * 8
				for i, c := range cts {
					_, m, err := CombinePoint(3, vks, c, parts[i], fmt.Appendf(nil, "ciphertext %d", i))
					if err != nil {
						b.Fatal(err)
					}
					got, err := s.Solve(m)
					if err != nil {
						b.Fatal(err)
					}
					for j, v := range got {
						if v != totals[i*r.pack+j] {
							b.Fatalf("option %d: %d, want %d", i*r.pack+j, v, totals[i*r.pack+j])
						}
					}
				}
			}
			b.ReportMetric(float64(table), "table-bytes")
		})
	}
}

// BenchmarkSum times summing a ballot box: ballots ballots of ciphertexts
// ciphertexts each, into one Sum per ciphertext. The ballots cycle through
// 1,000 distinct random ciphertexts, made before the timer starts.
func BenchmarkSum(b *testing.B) {
	const ballots, distinct = 1_000_000, 1000
	rng := rand.New(rand.NewPCG(7, 8))
	pk := BaseMul(NewScalar(12345))
	pool := make([]Ciphertext, distinct)
	for i := range pool {
		pool[i] = randomCiphertext(b, pk, rng)
	}
	for _, n := range []int{4, 8} {
		b.Run(fmt.Sprintf("ballots=%d/ciphertexts=%d", ballots, n), func(b *testing.B) {
			var sums []Sum
			start := time.Now()
			for b.Loop() {
				sums = make([]Sum, n)
				k := 0
				for range ballots {
					for j := range sums {
						sums[j].Add(pool[k])
						if k++; k == distinct {
							k = 0
						}
					}
				}
				for j := range sums {
					_ = sums[j].Ciphertext()
				}
			}
			adds := float64(b.N) * ballots * float64(n) * 2
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/adds, "ns/point-add")
		})
	}
}

// BenchmarkParsePoint times decoding one point: decompression, the
// canonical-form check and the subgroup check.
func BenchmarkParsePoint(b *testing.B) {
	enc := BaseMul(NewScalar(123456789)).Bytes()
	for b.Loop() {
		if _, err := ParsePoint(enc[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCiphertext times decoding one ciphertext in each encoding:
// compressed (two square roots and two subgroup tests), uncompressed
// (two subgroup tests) and uncompressed without the subgroup test.
func BenchmarkParseCiphertext(b *testing.B) {
	c := EncryptWith(BaseMul(NewScalar(987654321)), 3, NewScalar(123456789))
	compressed, xy := c.Bytes(), c.XY()
	for _, bc := range []struct {
		form  string
		enc   []byte
		parse func([]byte) (Ciphertext, error)
	}{
		{"compressed", compressed[:], ParseCiphertext},
		{"xy", xy[:], ParseCiphertextXY},
		{"xy-oncurve", xy[:], ParseCiphertextXYOnCurve},
	} {
		b.Run("form="+bc.form, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.parse(bc.enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
