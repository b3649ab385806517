package trustee

// Sum is a running sum of ciphertexts under one key: the ciphertext of the
// sum of their values. It adds without inversions (in extended
// coordinates), so summing a large ballot box costs a few multiplications
// per point; [Sum.Ciphertext] normalises once at the end. The zero Sum is
// the ciphertext of 0 and ready to use. A Sum is a plain value: copy it
// to keep a snapshot. It is not safe for concurrent use.
type Sum struct {
	c1, c2  extPoint
	started bool // c1 and c2 hold points (the zero extPoint is not one)
}

func (s *Sum) start() {
	if !s.started {
		s.c1, s.c2, s.started = extIdentity(), extIdentity(), true
	}
}

// Add adds c to the sum.
func (s *Sum) Add(c Ciphertext) { s.add(&c, false) }

// Sub subtracts c from the sum: what replacing a ballot by a newer one
// does to the old one's ciphertexts.
func (s *Sum) Sub(c Ciphertext) { s.add(&c, true) }

func (s *Sum) add(c *Ciphertext, sub bool) {
	s.start()
	d2 := doubleD()
	s.c1.addAffine(&c.C1, sub, &d2)
	s.c2.addAffine(&c.C2, sub, &d2)
}

// Ciphertext returns the sum, equal to folding [Ciphertext.Add] and
// [Ciphertext.Sub] over the same ciphertexts from [Zero].
func (s *Sum) Ciphertext() Ciphertext {
	if !s.started {
		return Zero()
	}
	p := affine(&s.c1, &s.c2)
	return Ciphertext{C1: p[0], C2: p[1]}
}
