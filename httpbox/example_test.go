//go:build !js

package httpbox_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"golang.org/x/mod/sumdb/note"

	"github.com/netstate/zkvote/election"
	"github.com/netstate/zkvote/httpbox"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

// Example serves a ballot box over HTTP and votes through it: a ballot
// submitted, its receipt proven and checked offline, a second ballot of
// the same citizen refused with the box's own error.
func Example() {
	ctx := context.Background()
	tree := membership.NewTree(nil)
	alice, _ := membership.GenerateIdentity()
	tree.Insert(alice.Commitment())
	keys, err := prover.SetupInsecure(ctx, statement.Vote(4, 2)) // a ceremony's keys in a real election
	if err != nil {
		panic(err)
	}
	boxKey, boxVerifierKey, _ := note.GenerateKey(rand.Reader, "ballots.example.org/referendum-1")
	params := &election.Params{
		ElectionID: fr.NewElement(1), Question: "Adopt the constitution?", Options: []string{"yes", "no"},
		Census: []membership.Head{tree.Head()}, Rules: election.SingleChoice(), Depth: 4, MaxOptions: 2,
		VoteKey:  election.PinKey(keys.VerifyingKey()),
		TallyKey: election.KeyPin{Backend: verifier.Groth16, ID: [32]byte{1}}, // the tally key's pin
		Log:      election.LogKeys{Box: boxVerifierKey},
	}

	// The box's server: the box, and its log directory served under /log/.
	dir, _ := os.MkdirTemp("", "box")
	defer os.RemoveAll(dir)
	box, err := election.OpenBox(ctx, dir, params, keys.VerifyingKey(), election.BoxOptions{Key: boxKey})
	if err != nil {
		panic(err)
	}
	defer box.Close()
	h, err := httpbox.NewHandler(box, params, &httpbox.Options{LogDir: filepath.Join(dir, "log")})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h) // httpbox.NewServer in production: it sets timeouts
	defer srv.Close()

	// A voter's device.
	c, _ := httpbox.NewClient(srv.URL, srv.Client())
	path, _ := tree.Proof(0)
	ballot, err := prover.Cast(ctx, keys, params, alice, path, []uint64{1, 0})
	if err != nil {
		panic(err)
	}
	receipt, err := c.Submit(ctx, ballot.Bytes())
	if err != nil {
		panic(err)
	}
	fmt.Println("accepted at position", receipt.Position)
	receipt, err = c.Prove(ctx, receipt)
	if err != nil {
		panic(err)
	}
	fmt.Println("receipt verified:", election.VerifyReceipt(params, receipt, ballot) == nil)
	_, err = c.Submit(ctx, ballot.Bytes())
	fmt.Println("second ballot refused:", errors.Is(err, election.ErrDuplicateNullifier))
	// Output:
	// accepted at position 0
	// receipt verified: true
	// second ballot refused: true
}
