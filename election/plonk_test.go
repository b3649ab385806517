package election_test

// An election proven end to end with PLONK keys for both the vote and the
// tally circuit, from a test KZG SRS: the box takes the ballots, the tally
// is proven in batches, and Audit accepts the log and the tally proofs
// (verifier.VerifyBatch for PLONK keys); a tampered ballot, a tampered
// tally proof or the other backend's keys make it fail.

import (
	"context"
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/test/unsafekzg"
	"github.com/stretchr/testify/require"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

const (
	plDepth   = 4
	plOptions = 4
	plBatch   = 4
	plVoters  = 7 // two tally batches: 4 + 3
)

// plSRS returns a test SRS (its toxic value is known to this process:
// tests only) large enough for the PLONK vote and tally circuits.
func plSRS(t *testing.T) *kzg.SRS {
	t.Helper()
	vote, err := circuits.New(statement.Vote(plDepth, plOptions))
	require.NoError(t, err)
	tally, err := circuits.New(statement.Tally(plBatch, plOptions))
	require.NoError(t, err)
	var big constraint.ConstraintSystem
	for _, c := range []frontend.Circuit{vote, tally} {
		ccs, err := frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, c)
		require.NoError(t, err)
		if big == nil || ccs.GetNbConstraints() > big.GetNbConstraints() {
			big = ccs
		}
	}
	srs, _, err := unsafekzg.NewSRS(big)
	require.NoError(t, err)
	return srs.(*kzg.SRS)
}

// plRebuild returns the exported log with its ballots replaced by
// ballots (canonical bytes), entries "kind 1 | ballot" after its header,
// and if closed the close entry "kind 2", under a checkpoint the box's key
// signs: what the box would have exported for those ballots.
func plRebuild(t *testing.T, log []byte, ballots [][]byte, closed bool) []byte {
	t.Helper()
	enc, _, entries := exportParts(t, log)
	p, err := election.ParseParams(enc)
	require.NoError(t, err)
	out := [][]byte{entries[0]}
	for _, b := range ballots {
		out = append(out, append([]byte{election.RecBallot}, b...))
	}
	if closed {
		out = append(out, []byte{election.RecClosed})
	}
	return reExport(t, p, out)
}

func TestAuditPLONK(t *testing.T) {
	if testing.Short() {
		t.Skip("PLONK setup and proofs take seconds")
	}
	ctx := context.Background()
	srs := plSRS(t)
	vk, err := prover.SetupPLONK(ctx, statement.Vote(plDepth, plOptions), srs, nil)
	require.NoError(t, err)
	tk, err := prover.SetupPLONK(ctx, statement.Tally(plBatch, plOptions), srs, nil)
	require.NoError(t, err)
	require.Equal(t, verifier.PLONK, vk.Backend())
	require.Equal(t, verifier.PLONK, tk.Backend())

	tr := membership.NewTree(nil)
	_, err = tr.InsertMany(ctx, membershiptest.Commitments(0, plVoters))
	require.NoError(t, err)
	p := &election.Params{Log: testLogKeys(), Question: "Adopt the constitution?", Options: []string{"yes", "no", "abstain"},
		Census: []membership.Head{tr.Head()}, Rules: election.SingleChoice(), Depth: plDepth, MaxOptions: plOptions,
		VoteKey: election.PinKey(vk.VerifyingKey()), TallyKey: election.PinKey(tk.VerifyingKey())}
	p.DeploymentID.SetUint64(11)
	p.ElectionID.SetUint64(12)
	require.Equal(t, verifier.PLONK, p.VoteKey.Backend)
	require.Equal(t, verifier.PLONK, p.TallyKey.Backend)

	box, err := election.OpenBox(ctx, t.TempDir(), p, vk.VerifyingKey(), testBoxOptions())
	require.NoError(t, err)
	want := []uint64{0, 0, 0}
	for i := range plVoters {
		path, err := tr.Proof(uint64(i))
		require.NoError(t, err)
		votes := make([]uint64, 3)
		votes[i%3] = 1
		want[i%3]++
		b, err := prover.Cast(ctx, vk, p, membershiptest.Identity(uint64(i)), path, votes)
		require.NoError(t, err)
		require.Equal(t, verifier.PLONK, b.Proof().Backend)
		_, err = box.Submit(ctx, b.Bytes())
		require.NoError(t, err, "ballot %d", i)
	}
	require.NoError(t, box.End())
	logData := exportLog(t, box)
	require.NoError(t, box.Close())

	l, err := election.ReadLog(logData)
	require.NoError(t, err)
	require.Len(t, l.Ballots, plVoters)
	tallies, err := prover.ProveTally(ctx, tk, p, l.Ballots, nil)
	require.NoError(t, err)
	require.Len(t, tallies, 2)
	file := election.EncodeTallyProofs(tallies)
	back, err := election.ParseTallyProofs(file)
	require.NoError(t, err)

	res, err := election.Audit(ctx, p, vk.VerifyingKey(), tk.VerifyingKey(), logData, file)
	require.NoError(t, err)
	require.Equal(t, uint64(plVoters), res.Ballots)
	require.Equal(t, want, res.Totals)
	require.True(t, res.Closed)

	auditErr := func(err error) *election.AuditError {
		t.Helper()
		var ae *election.AuditError
		require.True(t, errors.As(err, &ae), "%v", err)
		return ae
	}
	raw := make([][]byte, len(l.Ballots))
	for i, b := range l.Ballots {
		raw[i] = b.Bytes()
	}
	require.Equal(t, logData, plRebuild(t, logData, raw, true), "the log's framing")

	// A ballot whose votes were swapped after proving (voter 5 chose
	// option 2; the tampered ballot says option 0): its proof fails.
	q, err := verifier.ParseProof(raw[5])
	require.NoError(t, err)
	const votes = 9 // the first vote among a ballot's public signals
	q.Public[votes], q.Public[votes+2] = q.Public[votes+2], q.Public[votes]
	tampered := append(append(append([][]byte{}, raw[:5]...), q.Bytes()), raw[6:]...)
	_, err = election.Audit(ctx, p, vk.VerifyingKey(), tk.VerifyingKey(), plRebuild(t, logData, tampered, true), file)
	ae := auditErr(err)
	require.Equal(t, "ballot", ae.What)
	require.Equal(t, 5, ae.Index)
	require.ErrorIs(t, err, verifier.ErrInvalidProof)

	// A ballot whose proof bytes were changed (a claimed evaluation, still
	// a canonical field element): its proof fails.
	q, err = verifier.ParseProof(raw[2])
	require.NoError(t, err)
	off := 8*32 + 4 // the first claimed value of a PLONK proof
	var x fr.Element
	require.NoError(t, x.SetBytesCanonical(q.Data[off:off+32]))
	one := fr.One()
	x.Add(&x, &one)
	xb := x.Bytes()
	copy(q.Data[off:], xb[:])
	changed, err := verifier.ParseProof(q.Bytes())
	require.NoError(t, err)
	tampered = append(append(append([][]byte{}, raw[:2]...), changed.Bytes()), raw[3:]...)
	_, err = election.Audit(ctx, p, vk.VerifyingKey(), tk.VerifyingKey(), plRebuild(t, logData, tampered, true), file)
	ae = auditErr(err)
	require.Equal(t, 2, ae.Index)
	require.ErrorIs(t, err, verifier.ErrInvalidProof)

	// A tally proof with one public input changed: refused.
	tp, err := verifier.ParseProof(back[1].Bytes())
	require.NoError(t, err)
	tp.Public[4].Add(&tp.Public[4], &one)
	_, err = election.Audit(ctx, p, vk.VerifyingKey(), tk.VerifyingKey(), logData, election.EncodeTallyProofs([]*verifier.Proof{back[0], tp}))
	ae = auditErr(err)
	require.Equal(t, "tally proof", ae.What)
	require.Equal(t, 1, ae.Index)

	// A dropped ballot: the tally proofs no longer match.
	dropped := append(append([][]byte{}, raw[:3]...), raw[4:]...)
	_, err = election.Audit(ctx, p, vk.VerifyingKey(), tk.VerifyingKey(), plRebuild(t, logData, dropped, true), file)
	require.ErrorIs(t, err, election.ErrTallyMismatch)

	// Groth16 keys for the same circuits are not the keys the election
	// pins.
	gvk, err := prover.SetupInsecure(ctx, statement.Vote(plDepth, plOptions))
	require.NoError(t, err)
	_, err = election.Audit(ctx, p, gvk.VerifyingKey(), tk.VerifyingKey(), logData, file)
	require.ErrorIs(t, err, election.ErrKeyMismatch)
}
