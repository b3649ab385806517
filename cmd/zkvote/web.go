package main

import "github.com/spf13/cobra"

// webCommand is a placeholder until its role lands.
func webCommand() *cobra.Command {
	return &cobra.Command{Use: "web", Short: "(not yet built)", Hidden: true}
}
