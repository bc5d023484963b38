// Command qrpin runs the qrpin service and its administration commands.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "qrpin:", err)
		os.Exit(1)
	}
}

// rootCmd is the qrpin command with every subcommand.
func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "qrpin",
		Short: "QR code + PIN sign-in for frontline workers, with a Microsoft Graph-compatible API",
		Long: "qrpin is a self-hostable implementation of the Microsoft Entra \"QR code + PIN\" authentication method.\n" +
			"Every flag has a QRPIN_* environment variable as its default (for example --data and QRPIN_DATA).",
		SilenceUsage:  true,
		SilenceErrors: true, // main prints the error once, as "qrpin: ..."
	}
	root.AddCommand(serveCmd(), tokenCmd(), rolesCmd(), usersCmd(), unitsCmd(), keysCmd(), appsCmd(), migrateDataCmd(), loadTestUsersCmd(),
		provisionCmd(), badgeCmd(), healthcheckCmd(), benchCmd(), benchBareCmd())
	return root
}
