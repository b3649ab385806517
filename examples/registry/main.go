// Command registry shows a community's citizen registry end to end: citizens
// create identities, the registrar records their commitments in a durable
// citizen tree, the tree is closed and reopened from disk, and one citizen's
// membership proof is checked against the published root.
//
//	go run ./examples/registry [-citizens 1000] [-dir path]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/netstate/zkvote/membership"
)

func main() {
	citizens := flag.Int("citizens", 1000, "number of citizens to register")
	dir := flag.String("dir", "", "registry directory (default: a temporary one, removed on exit)")
	flag.Parse()
	if *citizens < 1 {
		log.Fatal("registry: -citizens must be at least 1")
	}
	if err := run(*citizens, *dir); err != nil {
		log.Fatal(err)
	}
}

func run(n int, dir string) error {
	ctx := context.Background()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "zkvote-registry")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}

	// Citizens generate identities on their own devices; only commitments
	// reach the registrar. Alice keeps hers in a passphrase-sealed file.
	start := time.Now()
	ids := make([]*membership.Identity, n)
	commitments := make([]membership.Commitment, n)
	for i := range ids {
		id, err := membership.GenerateIdentity()
		if err != nil {
			return err
		}
		ids[i], commitments[i] = id, id.Commitment()
	}
	alice := ids[n/2]
	sealed, err := alice.Encrypt([]byte("alice's long passphrase"), nil)
	if err != nil {
		return err
	}
	fmt.Printf("%d citizens created identities (%v)\n", n, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	tree, err := membership.OpenTree(ctx, dir, nil)
	if err != nil {
		return err
	}
	if _, err := tree.InsertMany(ctx, commitments); err != nil {
		return err
	}
	root := tree.Root()
	fmt.Printf("registrar recorded them: depth %d, root %s (%v)\n",
		tree.Depth(), membership.Commitment(root), time.Since(start).Round(time.Millisecond))
	if _, err := tree.Insert(commitments[0]); err != nil {
		fmt.Println("a second registration of the same commitment is refused:", err)
	}
	if err := tree.Close(); err != nil {
		return err
	}

	// Later: the registry reopens from disk, exactly as it was.
	start = time.Now()
	tree, err = membership.OpenTree(ctx, dir, nil)
	if err != nil {
		return err
	}
	defer tree.Close()
	reopened := tree.Root()
	fmt.Printf("registry reopened from %s: %d citizens, same root: %v (%v)\n",
		dir, tree.Size(), reopened.Equal(&root), time.Since(start).Round(time.Millisecond))

	// Alice recovers her identity and checks her membership proof.
	back, err := membership.DecryptIdentity(sealed, []byte("alice's long passphrase"))
	if err != nil {
		return err
	}
	i, ok := tree.IndexOf(back.Commitment())
	if !ok {
		return fmt.Errorf("registry: alice is not registered")
	}
	proof, err := tree.Proof(i)
	if err != nil {
		return err
	}
	fmt.Printf("alice's proof: %d hashed levels, verifies against the root: %v\n",
		len(proof.Siblings), proof.Verify(reopened) == nil)
	return nil
}
