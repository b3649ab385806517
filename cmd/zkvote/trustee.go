package main

import "github.com/spf13/cobra"

// trusteeCommand is a placeholder until its role lands.
func trusteeCommand() *cobra.Command {
	return &cobra.Command{Use: "trustee", Short: "(not yet built)", Hidden: true}
}
