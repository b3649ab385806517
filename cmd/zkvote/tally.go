package main

import "github.com/spf13/cobra"

// tallyCommand is a placeholder until its role lands.
func tallyCommand() *cobra.Command {
	return &cobra.Command{Use: "tally", Short: "(not yet built)", Hidden: true}
}
