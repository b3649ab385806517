package main

import (
	"context"
	"fmt"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// maxParamsFile bounds an election parameters file.
const maxParamsFile = 1 << 20

// readParams reads and checks an election parameters file (the bytes of
// election.Params.Encode, as "zkvote election new" writes them).
func readParams(path string) (*election.Params, error) {
	b, err := readBounded(path, maxParamsFile)
	if err != nil {
		return nil, err
	}
	p, err := election.ParseParams(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// loadKeys loads the keys of statement s from a key directory ("zkvote keys
// setup" or a ceremony's seal wrote it), for the backend pin names, and
// checks the verifying key against the pin. Keys this machine made are
// loaded Trusted when trusted is set; otherwise every point is checked.
func loadKeys(ctx context.Context, dir string, s statement.Statement, pin election.KeyPin, trusted bool) (*prover.Keys, error) {
	mode := prover.Checked
	if trusted {
		mode = prover.Trusted
	}
	k, err := prover.Load(ctx, dir, s, pin.Backend, mode)
	if err != nil {
		return nil, fmt.Errorf("keys for %s in %s: %w", s.Name(), dir, err)
	}
	if !pin.Matches(k.VerifyingKey()) {
		return nil, fmt.Errorf("keys for %s in %s: %w", s.Name(), dir, election.ErrKeyMismatch)
	}
	return k, nil
}

// backendOf is the pin's backend, Groth16 when unset.
func backendOf(pin election.KeyPin) verifier.Backend {
	if pin.Backend == 0 {
		return verifier.Groth16
	}
	return pin.Backend
}
