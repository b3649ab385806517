//go:build !js

package httpbox

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/trustee"
)

// TestResultsOf: an open election's results name each option's total; a
// secret election's show counts, the encrypted sums and the note that
// the trustees give the totals; both decode as the client reads them.
func TestResultsOf(t *testing.T) {
	p := &election.Params{Question: "Q?", Options: []string{"yes", "no"}}
	res := &election.Results{Ballots: 3, Totals: []uint64{2, 1, 0}, Closed: true}
	res.Head.SetUint64(5)
	got := resultsOf(p, res)
	require.Equal(t, []Total{{"yes", 2}, {"no", 1}}, got.Totals, "the compiled options beyond the election's are left out")
	require.Equal(t, uint64(3), got.Voters)
	require.Equal(t, "0x"+"00000000000000000000000000000000000000000000000000000000000000"+"05", got.Head)
	round(t, got)

	p.Secret = &election.SecretMode{}
	z := trustee.Zero()
	sres := &election.Results{Ballots: 4, Voters: 3, Closed: true, Encrypted: []trustee.Ciphertext{z, z}}
	got = resultsOf(p, sres)
	require.True(t, got.Secret)
	require.Nil(t, got.Totals)
	require.Equal(t, uint64(3), got.Voters)
	require.Equal(t, secretNote, got.Note)
	zb := z.Bytes()
	require.Equal(t, []string{hex.EncodeToString(zb[:]), hex.EncodeToString(zb[:])}, got.Encrypted)
	round(t, got)
}

func round(t *testing.T, r *Results) {
	b, err := json.Marshal(r)
	require.NoError(t, err)
	back, err := parseResults(b)
	require.NoError(t, err)
	require.Equal(t, r, back)
}
