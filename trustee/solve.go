package trustee

import (
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/netstate/zkvote/statement"
)

// A packed plaintext is Σ_j a_j·2^(SlotBits·j) over at most two slots, and
// fits a uint64.
const (
	_ = uint(2 - statement.MaxPack)
	_ = uint(64 - statement.MaxPack*statement.SlotBits)
)

// MaxSearch bounds the values a [Solver] searches per ciphertext:
// (max+1)^slots. Its table holds about √(MaxSearch/2) points, 32 MiB at
// the bound. Two slots of totals up to 2^20 fit: a full census of depth 20
// voting one choice each.
const MaxSearch = 1 << 41

// MaxBound bounds the totals [Solve] and [Combine] search for. It is below
// [MaxSearch] because they build their table anew on every call; an
// election that decrypts many ciphertexts builds one [Solver] instead.
const MaxBound = 1 << 36

// ErrNoSolution is returned when a decrypted value is not an integer within
// the search bound.
var ErrNoSolution = errors.New("trustee: decrypted value is outside the search bound")

// Solver recovers packed plaintexts from v·G: v = Σ_j a_j·2^(SlotBits·j)
// (SlotBits from package statement) with every slot's a_j in [0, max]. It
// holds a baby-step table built once, so an election builds one Solver
// and solves each of its summed ciphertexts with it. A Solver is safe for
// concurrent use.
//
// # Cost
//
// The search is baby-step giant-step over the box [0, max]^slots. The
// table holds the points u·G + w·2^SlotBits·G of a rectangle centred on 0,
// one of each pair ±P (a point and its negation share their y, which is
// what the table is keyed by), and every giant step covers a whole
// rectangle of the box; the rectangle is shaped so that table entries and
// giant steps are about equal, each about √((max+1)^slots/2). The table
// is a hash table of 8-byte words, at most half full.
type Solver struct {
	slots int
	max   uint64
	bs    *bsgs
}

// NewSolver returns a solver for plaintexts of slots slots (1 or
// statement.MaxPack), each in [0, max]. It refuses max ≥ 2^SlotBits (a slot
// would carry into the next) and a search space (max+1)^slots above
// [MaxSearch].
func NewSolver(slots int, max uint64) (*Solver, error) {
	if slots < 1 || slots > statement.MaxPack {
		return nil, fmt.Errorf("trustee: %d slots per plaintext, want 1 to %d", slots, statement.MaxPack)
	}
	if max >= 1<<statement.SlotBits {
		return nil, fmt.Errorf("trustee: slot bound %d not below 2^%d", max, statement.SlotBits)
	}
	n1 := uint64(1)
	if slots == 2 {
		n1 = max + 1
		if hi, lo := bits.Mul64(max+1, max+1); hi != 0 || lo > MaxSearch {
			return nil, fmt.Errorf("trustee: search space (%d+1)^2 above MaxSearch = 2^%d", max, bits.Len64(MaxSearch)-1)
		}
	}
	return &Solver{slots: slots, max: max, bs: newBSGS(max+1, n1)}, nil
}

// Solve returns the slots' values a_0, …, a_{slots−1} with m = Σ_j
// a_j·2^(SlotBits·j)·G, or ErrNoSolution when there are none in [0, max]:
// a value above max in any slot is ErrNoSolution, whatever the other
// slots hold. The search is bounded; its answer is checked by recomputing
// v·G.
func (s *Solver) Solve(m Point) ([]uint64, error) {
	v, ok := s.bs.search(m)
	if !ok {
		return nil, ErrNoSolution
	}
	out := make([]uint64, s.slots)
	for j := range out {
		out[j] = v & (1<<statement.SlotBits - 1)
		if out[j] > s.max {
			return nil, ErrNoSolution
		}
		v >>= statement.SlotBits
	}
	if v != 0 {
		return nil, ErrNoSolution
	}
	return out, nil
}

// Solve returns v in [0, bound] with v·G = m, by baby-step giant-step: about
// √(2·(bound+1)) point additions and a table of √((bound+1)/2) points,
// built anew on every call (a [Solver] keeps its table). It returns
// ErrNoSolution when there is none; bound must be at most MaxBound.
func Solve(m Point, bound uint64) (uint64, error) {
	if bound > MaxBound {
		return 0, fmt.Errorf("trustee: search bound %d above %d", bound, uint64(MaxBound))
	}
	v, ok := newBSGS(bound+1, 1).search(m)
	if !ok || v > bound {
		return 0, ErrNoSolution
	}
	return v, nil
}

// bsgs finds v·G = m for v = a0 + a1·2^SlotBits with (a0, a1) in the box
// [0, n0) × [0, n1), by baby-step giant-step in two dimensions with bases
// G and H = 2^SlotBits·G.
//
// The table holds E(u, w) = u·G + w·H for the half rectangle
// {w = 0, 0 ≤ u ≤ m0} ∪ {1 ≤ w ≤ m1, |u| ≤ m0}; with the negations of
// its points it is the whole rectangle R = [−m0, m0] × [−m1, m1], since
// E(−u, −w) = −E(u, w) has the same y. Giant step (i, k) looks up
// P = m − c0·G − c1·H for the centre (c0, c1) = (m0 + i·w0, m1 + k·w1) of
// the cell [i·w0, (i+1)·w0) × [k·w1, (k+1)·w1), with w = 2m + 1; the cells
// tile a superset of the box. P = ±E(u, w) means v ≡ (c0 ± u) +
// (c1 ± w)·2^SlotBits (mod l), both terms nonnegative, with c0 + u below
// q0·w0 < 2·n0 + 1 and c1 + w below 2·n1 + 1. newBSGS's preconditions
// (n0 ≤ 2^37, n1 ≤ 2^21) keep every such v below 2^64, far below l; the
// discrete logarithm of m below l is unique, so the first confirmed hit is
// the only candidate, and when it is outside the box, nothing is inside.
type bsgs struct {
	n0, n1 uint64
	m0, m1 uint64 // half widths of a cell
	w0, w1 uint64 // widths of a cell: 2m + 1
	q0, q1 uint64 // giant steps along each dimension

	table   []uint64 // open addressing, linear probing: key bits | index+1, 0 empty
	idxBits uint     // low bits of an entry holding index+1
	logSize uint     // len(table) = 2^logSize

	start cachedPoint // −(m0·G + m1·H)
	step0 cachedPoint // −w0·G
	step1 cachedPoint // −w1·H
}

// batchSize is how many points share one inversion.
const batchSize = 512

// newBSGS builds the table for the box [0, n0) × [0, n1). Its callers
// keep n0·n1 within MaxSearch or MaxBound + 1, so n0 ≤ 2^37 and
// n1 ≤ 2^21.
func newBSGS(n0, n1 uint64) *bsgs {
	if n0 < 1 || n1 < 1 || n0 > 1<<37 || n1 > 1<<21 || n0*n1 > 1<<41 {
		panic(fmt.Sprintf("trustee: search box %d × %d", n0, n1)) // unreachable from the API
	}
	s := &bsgs{n0: n0, n1: n1}
	s.w0, s.w1 = shape(n0, n1)
	s.m0, s.m1 = s.w0/2, s.w1/2
	s.q0, s.q1 = ceilDiv(n0, s.w0), ceilDiv(n1, s.w1)
	g := Generator()
	h := BaseMul(NewScalar(1 << statement.SlotBits))
	off := BaseMul(NewScalar(s.m0)).Add(h.Mul(NewScalar(s.m1))).cached()
	s.start = off.neg()
	st0 := BaseMul(NewScalar(s.w0)).cached()
	s.step0 = st0.neg()
	st1 := h.Mul(NewScalar(s.w1)).cached()
	s.step1 = st1.neg()

	entries := s.entries()
	s.idxBits = uint(bits.Len64(entries))
	s.logSize = uint(bits.Len64(2*entries - 1)) // at most half full
	s.table = make([]uint64, 1<<s.logSize)

	gc, hc := g.cached(), h.cached()
	mg := BaseMul(NewScalar(s.m0)).cached()
	mg = mg.neg()
	batch := make([]extPoint, 0, batchSize)
	ys := make([]fr.Element, batchSize)
	scratch := make([]fr.Element, batchSize)
	next := uint64(0) // index of batch[0]
	emit := func(p *extPoint) {
		batch = append(batch, *p)
		if len(batch) == batchSize {
			batchY(batch, ys, scratch)
			for i := range batch {
				s.insert(ys[i][0], next+uint64(i))
			}
			next += uint64(len(batch))
			batch = batch[:0]
		}
	}
	cur := extIdentity()
	for u := uint64(0); u <= s.m0; u++ { // row w = 0: E(u, 0), u ≥ 0
		emit(&cur)
		cur.addCached(&gc)
	}
	row := extIdentity()
	row.addCached(&mg)
	for range s.m1 { // rows w ≥ 1: E(−m0, w) … E(m0, w)
		row.addCached(&hc)
		cur = row
		for range s.w0 {
			emit(&cur)
			cur.addCached(&gc)
		}
	}
	batchY(batch, ys, scratch)
	for i := range batch {
		s.insert(ys[i][0], next+uint64(i))
	}
	return s
}

// entries returns the number of table entries.
func (s *bsgs) entries() uint64 { return s.m0 + 1 + s.m1*s.w0 }

// entry returns (u, w) of table entry idx.
func (s *bsgs) entry(idx uint64) (u, w int64) {
	if idx <= s.m0 {
		return int64(idx), 0
	}
	r := idx - s.m0 - 1
	return int64(r%s.w0) - int64(s.m0), int64(r/s.w0) + 1
}

// slot returns where key's probe sequence starts (Fibonacci hashing, so
// the slot does not come from the bits stored).
func (s *bsgs) slot(key uint64) uint64 { return (key * 0x9e3779b97f4a7c15) >> (64 - s.logSize) }

// The key of a point is the low 64 bits of its affine y in Montgomery
// form: y is canonical, so equal points have equal keys. Keys may collide;
// every candidate is confirmed by recomputation.
func (s *bsgs) insert(key, idx uint64) {
	e := key>>s.idxBits<<s.idxBits | (idx + 1)
	mask := uint64(len(s.table) - 1)
	for i := s.slot(key); ; i = (i + 1) & mask {
		if s.table[i] == 0 {
			s.table[i] = e
			return
		}
	}
}

// search returns the v of the box with v·G = m, or any other small v
// found first (see bsgs), and false when the whole box was searched.
func (s *bsgs) search(m Point) (uint64, bool) {
	batch := make([]extPoint, batchSize)
	ys := make([]fr.Element, batchSize)
	scratch := make([]fr.Element, batchSize)
	row := m.ext()
	row.addCached(&s.start) // centre (m0, m1)
	var cur extPoint
	var i uint64 // cur's giant step along dimension 0
	total := s.q0 * s.q1
	mask := uint64(len(s.table) - 1)
	for base := uint64(0); base < total; base += batchSize {
		n := min(batchSize, total-base)
		for j := range n {
			switch {
			case base+j == 0:
				cur = row
			case i+1 < s.q0:
				cur.addCached(&s.step0)
				i++
			default:
				row.addCached(&s.step1)
				cur = row
				i = 0
			}
			batch[j] = cur
		}
		batchY(batch[:n], ys, scratch)
		i0, k0 := base%s.q0, base/s.q0 // batch[0]'s giant step
		for j := range n {
			key := ys[j][0]
			for t := s.slot(key); s.table[t] != 0; t = (t + 1) & mask {
				e := s.table[t]
				if e>>s.idxBits != key>>s.idxBits {
					continue
				}
				ii, kk := i0+j, k0
				kk += ii / s.q0
				ii %= s.q0
				if v, ok := s.confirm(m, ii, kk, e&(1<<s.idxBits-1)-1); ok {
					return v, true
				}
			}
		}
	}
	return 0, false
}

// confirm checks the two values a hit of giant step (i, k) on table entry
// idx stands for, by computing v·G.
func (s *bsgs) confirm(m Point, i, k, idx uint64) (uint64, bool) {
	c0, c1 := int64(s.m0+i*s.w0), int64(s.m1+k*s.w1)
	u, w := s.entry(idx)
	for _, sign := range []int64{1, -1} {
		a0, a1 := c0+sign*u, c1+sign*w // ≥ 0: |u| ≤ m0 ≤ c0, |w| ≤ m1 ≤ c1
		v := uint64(a0) + uint64(a1)<<statement.SlotBits
		if BaseMul(NewScalar(v)).Equal(m) {
			return v, true
		}
	}
	return 0, false
}

// shape returns odd cell widths (w0, w1) for the box [0, n0) × [0, n1)
// that make table entries, about w0·w1/2, and giant steps,
// ⌈n0/w0⌉·⌈n1/w1⌉, about equal: it minimises their sum.
func shape(n0, n1 uint64) (w0, w1 uint64) {
	best := uint64(math.MaxUint64)
	for c1 := uint64(1); ; c1 += 2 {
		q1 := ceilDiv(n1, c1)
		// entries ≈ giant steps: c0·c1/2 = (n0/c0)·q1
		target := math.Sqrt(2 * float64(n0) * float64(q1) / float64(c1))
		q := uint64(math.Max(1, float64(n0)/target))
		for q0 := q - min(q-1, 2); q0 <= q+2; q0++ {
			c0 := ceilDiv(n0, q0) | 1
			cost := (c0*c1+1)/2 + ceilDiv(n0, c0)*q1
			if cost < best {
				best, w0, w1 = cost, c0, c1
			}
		}
		if c1 >= n1 || c1 > 1<<12 {
			return w0, w1
		}
	}
}

func ceilDiv(a, b uint64) uint64 { return (a + b - 1) / b }
