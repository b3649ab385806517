package main

import "github.com/spf13/cobra"

// boxCommand is a placeholder until its role lands.
func boxCommand() *cobra.Command {
	return &cobra.Command{Use: "box", Short: "(not yet built)", Hidden: true}
}
