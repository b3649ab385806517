package trustee

import (
	"fmt"
)

// Deal and complaint encodings, strict and self-delimiting:
//
//	deal:      "ZKVTDEAL" | version 2 | setup digest (32) | dealer | t | n
//	           | ephemeral point (32) | t commitments (32 each)
//	           | proof of knowledge (64) | n sealed shares (48 each)
//	           | signature (64)
//	complaint: "ZKVTCMPL" | version 1 | setup digest (32) | dealer | complainer
//	           | DH point (32) | proof (64)
const (
	dealMagic      = "ZKVTDEAL"
	complaintMagic = "ZKVTCMPL"
	encVersion     = 2
	headerSize     = 8 + 1 + 32
	complaintSize  = headerSize + 2 + PointSize + DLEQProofSize
)

// Bytes returns the deal's canonical encoding.
func (d *Deal) Bytes() []byte {
	sig := d.Signature.Bytes()
	return append(d.unsignedBytes(), sig[:]...)
}

// unsignedBytes is the encoding without the signature.
func (d *Deal) unsignedBytes() []byte {
	b := append([]byte(dealMagic), encVersion)
	b = append(b, d.setup[:]...)
	b = append(b, byte(d.Dealer), byte(len(d.Commitments)), byte(len(d.Shares)))
	eph := d.Ephemeral.Bytes()
	b = append(b, eph[:]...)
	for _, c := range d.Commitments {
		e := c.Bytes()
		b = append(b, e[:]...)
	}
	pok := d.Knowledge.Bytes()
	b = append(b, pok[:]...)
	for _, s := range d.Shares {
		b = append(b, s...)
	}
	return b
}

// ParseDeal decodes a deal strictly: sizes in range (1 ≤ t ≤ n ≤
// MaxTrustees, dealer in [1, n]), the exact length, and every commitment a
// canonical subgroup point. Whether it belongs to a given key generation is
// checked where it is used.
func ParseDeal(b []byte) (*Deal, error) {
	if len(b) < headerSize+3 || string(b[:8]) != dealMagic || b[8] != encVersion {
		return nil, fmt.Errorf("%w: not a deal", ErrMalformed)
	}
	d := &Deal{setup: [32]byte(b[9:headerSize])}
	dealer, t, n := int(b[headerSize]), int(b[headerSize+1]), int(b[headerSize+2])
	if n < 1 || n > MaxTrustees || t < 1 || t > n || dealer < 1 || dealer > n {
		return nil, fmt.Errorf("%w: deal of dealer %d, threshold %d of %d", ErrMalformed, dealer, t, n)
	}
	body := b[headerSize+3:]
	if len(body) != PointSize+t*PointSize+DLEQProofSize+n*sealedShareSize+DLEQProofSize {
		return nil, fmt.Errorf("%w: deal of %d bytes", ErrMalformed, len(b))
	}
	d.Dealer = dealer
	eph, err := ParsePoint(body[:PointSize])
	if err != nil {
		return nil, fmt.Errorf("deal ephemeral point: %w", err)
	}
	d.Ephemeral = eph
	body = body[PointSize:]
	for i := range t {
		p, err := ParsePoint(body[i*PointSize : (i+1)*PointSize])
		if err != nil {
			return nil, fmt.Errorf("deal commitment %d: %w", i, err)
		}
		d.Commitments = append(d.Commitments, p)
	}
	body = body[t*PointSize:]
	if d.Knowledge, err = ParseDLEQProof(body[:DLEQProofSize]); err != nil {
		return nil, fmt.Errorf("deal proof of knowledge: %w", err)
	}
	body = body[DLEQProofSize:]
	for j := range n {
		d.Shares = append(d.Shares, append([]byte(nil), body[j*sealedShareSize:(j+1)*sealedShareSize]...))
	}
	sig, err := ParseDLEQProof(body[n*sealedShareSize:])
	if err != nil {
		return nil, fmt.Errorf("deal signature: %w", err)
	}
	d.Signature = sig
	return d, nil
}

// Bytes returns the complaint's canonical encoding.
func (c *Complaint) Bytes() []byte {
	b := append([]byte(complaintMagic), encVersion)
	b = append(b, c.setup[:]...)
	b = append(b, byte(c.Dealer), byte(c.Complainer))
	dh, p := c.DH.Bytes(), c.Proof.Bytes()
	b = append(b, dh[:]...)
	return append(b, p[:]...)
}

// ParseComplaint decodes a complaint strictly.
func ParseComplaint(b []byte) (*Complaint, error) {
	if len(b) != complaintSize || string(b[:8]) != complaintMagic || b[8] != encVersion {
		return nil, fmt.Errorf("%w: not a complaint", ErrMalformed)
	}
	c := &Complaint{setup: [32]byte(b[9:headerSize]), Dealer: int(b[headerSize]), Complainer: int(b[headerSize+1])}
	if c.Dealer < 1 || c.Dealer > MaxTrustees || c.Complainer < 1 || c.Complainer > MaxTrustees {
		return nil, fmt.Errorf("%w: complaint by %d against %d", ErrMalformed, c.Complainer, c.Dealer)
	}
	off := headerSize + 2
	var err error
	if c.DH, err = ParsePoint(b[off : off+PointSize]); err != nil {
		return nil, fmt.Errorf("complaint: %w", err)
	}
	if c.Proof, err = ParseDLEQProof(b[off+PointSize:]); err != nil {
		return nil, fmt.Errorf("complaint: %w", err)
	}
	return c, nil
}
