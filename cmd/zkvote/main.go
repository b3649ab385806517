// Command zkvote runs the roles of a zkvote election from the command line.
//
//	go install github.com/netstate/zkvote/cmd/zkvote@latest
//	zkvote identity new --out me.zkid
//	zkvote witness keygen --name witness.example.net --out witness.key
//	zkvote witness serve --key witness.key --dir state --log "$(cat box.vkey)"
//
// Every subcommand takes -h, with an example. Errors go to stderr with a
// non-zero exit status.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/consensys/gnark/logger"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

func main() {
	// Trillian Tessera, which keeps ballot logs, reports through klog.
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
	// gnark logs its circuit compilations to stdout, which is for results.
	logger.Disable()
	if err := root().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "zkvote:", err)
		os.Exit(1)
	}
}

// root is the command tree.
func root() *cobra.Command {
	c := &cobra.Command{
		Use:           "zkvote",
		Short:         "Anonymous, verifiable elections with zero-knowledge proofs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	c.AddCommand(
		identityCommand(), censusCommand(), keysCommand(), trusteeCommand(),
		electionCommand(), boxCommand(), voteCommand(), tallyCommand(),
		auditCommand(), witnessCommand(), webCommand(),
	)
	return c
}
