package verifier

import "errors"

var (
	// ErrInvalidProof is the one answer to a well-formed proof that does not
	// verify, whatever the reason.
	ErrInvalidProof = errors.New("verifier: invalid proof")
	// ErrMalformed is wrapped by every error about input that could not be
	// decoded: proofs, keys, public signals.
	ErrMalformed = errors.New("verifier: malformed input")
	// ErrMalformedProof: proof bytes of the wrong length or encoding.
	ErrMalformedProof = wrapMalformed("proof")
	// ErrMalformedKey: a verifying-key file that does not decode.
	ErrMalformedKey = wrapMalformed("verifying key")
	// ErrMalformedPublic: public signals of the wrong count or not canonical.
	ErrMalformedPublic = wrapMalformed("public signals")
	// ErrKeyMismatch: the proof names another verifying key or backend.
	ErrKeyMismatch = errors.New("verifier: proof is for another verifying key")
)

type malformedError struct{ what string }

func (e *malformedError) Error() string        { return "verifier: malformed " + e.what }
func (e *malformedError) Is(target error) bool { return target == ErrMalformed }

func wrapMalformed(what string) error { return &malformedError{what} }
