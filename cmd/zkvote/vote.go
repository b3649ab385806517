package main

import "github.com/spf13/cobra"

// voteCommand is a placeholder until its role lands.
func voteCommand() *cobra.Command {
	return &cobra.Command{Use: "vote", Short: "(not yet built)", Hidden: true}
}
