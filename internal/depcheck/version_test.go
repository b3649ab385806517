package depcheck

import (
	"testing"

	"github.com/netstate/zkvote/prover"
)

func proverGnarkVersion(t *testing.T) string { return prover.GnarkVersion }
