package main

import "github.com/spf13/cobra"

// auditCommand is a placeholder until its role lands.
func auditCommand() *cobra.Command {
	return &cobra.Command{Use: "audit", Short: "(not yet built)", Hidden: true}
}
