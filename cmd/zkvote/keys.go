package main

import "github.com/spf13/cobra"

// keysCommand is a placeholder until its role lands.
func keysCommand() *cobra.Command {
	return &cobra.Command{Use: "keys", Short: "(not yet built)", Hidden: true}
}
