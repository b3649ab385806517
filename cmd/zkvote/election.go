package main

import "github.com/spf13/cobra"

// electionCommand is a placeholder until its role lands.
func electionCommand() *cobra.Command {
	return &cobra.Command{Use: "election", Short: "(not yet built)", Hidden: true}
}
