// Command probe times the browser voter's proof outside a browser: built
// with GOOS=js GOARCH=wasm it runs under node (go_js_wasm_exec), which has
// one thread as a browser's Web Worker does.
//
//	GOOS=js GOARCH=wasm go build -o /tmp/probe.wasm ./web/internal/probe
//	node $(go env GOROOT)/lib/wasm/wasm_exec_node.js /tmp/probe.wasm -keys ~/.cache/zkvote-bench-keys
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/logger"

	"github.com/netstate/zkvote/circuits"
	"github.com/netstate/zkvote/membership"
	"github.com/netstate/zkvote/membership/membershiptest"
	"github.com/netstate/zkvote/prover"
	"github.com/netstate/zkvote/statement"
	"github.com/netstate/zkvote/verifier"
)

func main() {
	dir := flag.String("keys", "", "directory of the key files (prover.Load)")
	secret := flag.Bool("secret", false, "the secret ballot's statement")
	n := flag.Int("n", 3, "proofs")
	gc := flag.Int("gc", -2, "debug.SetGCPercent (-2: leave)")
	flag.Parse()
	logger.Disable()
	if *gc != -2 {
		debug.SetGCPercent(*gc)
	}
	ctx := context.Background()
	s := statement.Vote(statement.DefaultDepth, statement.DefaultOptions)
	if *secret {
		s = statement.SecretVote(statement.DefaultDepth, statement.DefaultOptions, statement.DefaultPack)
	}
	start := time.Now()
	keys, err := prover.Load(ctx, *dir, s, verifier.Groth16, prover.Trusted)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("load %v\n", time.Since(start))
	tr := membership.NewTree(nil)
	if _, err := tr.InsertMany(ctx, membershiptest.Commitments(0, 4)); err != nil {
		log.Fatal(err)
	}
	path, err := tr.Proof(1)
	if err != nil {
		log.Fatal(err)
	}
	var scope, digest fr.Element
	scope.SetUint64(7)
	digest.SetUint64(9)
	vw := circuits.VoteWitness{
		Membership:   circuits.MembershipWitness{Root: path.Root, Scope: scope, Secret: membershiptest.Identity(1).Secret(), Siblings: path.Siblings, PathBits: path.PathBits},
		ParamsDigest: digest, NumOptions: 3, MaxPerOption: 1, MinTotal: 1, MaxTotal: 1, CostExponent: 1,
		Votes: []uint64{0, 1, 0},
	}
	var w circuits.Witness = &vw
	if *secret {
		_ = w
		log.Fatal("secret: not yet")
	}
	for i := range *n {
		var ms runtime.MemStats
		start, cpu := time.Now(), cpuTime()
		if _, err := keys.Prove(ctx, w); err != nil {
			log.Fatal(err)
		}
		d, dc := time.Since(start), cpuTime()-cpu
		runtime.ReadMemStats(&ms)
		fmt.Printf("prove %d: %.0f ms wall, %.0f ms cpu (heap sys %d MiB, gc %d)\n", i, ms_(d), ms_(dc), ms.HeapSys>>20, ms.NumGC)
	}
}

func ms_(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
