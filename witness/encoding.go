package witness

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// The pieces the receipt and misbehaviour encodings share: a checkpoint
// note with a 4-byte length, and a proof as a 1-byte count of 32-byte
// hashes that ends the encoding.

func appendNote(out, n []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(n)))
	return append(out, n...)
}

func appendProof(out []byte, proof []tlog.Hash) []byte {
	out = append(out, byte(len(proof)))
	for _, h := range proof {
		out = append(out, h[:]...)
	}
	return out
}

// cutNote reads a length-prefixed note of at most MaxCheckpointSize bytes.
func cutNote(b []byte) (n, rest []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: truncated", ErrMalformed)
	}
	size := binary.BigEndian.Uint32(b)
	b = b[4:]
	if size > MaxCheckpointSize || uint64(size) > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: checkpoint of %d bytes", ErrMalformed, size)
	}
	return bytes.Clone(b[:size]), b[size:], nil
}

// parseProof reads a proof that is all of b: a count of at most
// MaxProofHashes, then exactly that many hashes.
func parseProof(b []byte) ([]tlog.Hash, error) {
	if len(b) < 1 {
		return nil, fmt.Errorf("%w: truncated", ErrMalformed)
	}
	count := int(b[0])
	b = b[1:]
	if count > MaxProofHashes || len(b) != count*tlog.HashSize {
		return nil, fmt.Errorf("%w: %d proof hashes in %d bytes", ErrMalformed, count, len(b))
	}
	var proof []tlog.Hash
	for i := range count {
		var h tlog.Hash
		copy(h[:], b[i*tlog.HashSize:])
		proof = append(proof, h)
	}
	return proof, nil
}
