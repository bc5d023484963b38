package main

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/auth"
)

func keysCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List, rotate and prune the token signing keys in the data directory",
		Long: "The newest key signs new tokens; older keys keep verifying for " + auth.KeyRetention.String() +
			" after a newer key replaced them (the longest token lifetime plus clock skew), then they are pruned.\n" +
			"Running servers pick up a new key without a restart (within " + auth.SigningKeyCheckInterval.String() + ").",
	}
	cmd.PersistentFlags().StringVar(&data, "data", env("data", "./qrpin-data"), "data directory (QRPIN_DATA)")
	dir := func() string { return filepath.Join(data, "keys") }

	list := &cobra.Command{
		Use:   "list",
		Short: "Show each key's id, dates and status",
		RunE: func(cmd *cobra.Command, _ []string) error {
			infos, err := auth.ListKeys(dir())
			if err != nil {
				return err
			}
			printKeys(cmd, infos, time.Now())
			return nil
		},
	}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new signing key; keep the old ones for verification until their tokens expire, delete expired ones",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(dir(), 0o700); err != nil {
				return err
			}
			now := time.Now()
			kid, err := auth.NewKeyAt(dir(), now)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new signing key %s; running servers sign with it within %s\n", kid, auth.SigningKeyCheckInterval)
			return prune(cmd, dir(), now)
		},
	}
	pruneCmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete the keys that no longer verify any token",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return prune(cmd, dir(), time.Now())
		},
	}
	cmd.AddCommand(list, rotate, pruneCmd)
	return cmd
}

func prune(cmd *cobra.Command, dir string, now time.Time) error {
	pruned, err := auth.PruneKeys(dir, now)
	for _, k := range pruned {
		fmt.Fprintf(cmd.OutOrStdout(), "deleted expired key %s (superseded %s)\n", k.KID, k.Superseded.UTC().Format(time.RFC3339))
	}
	return err
}

func printKeys(cmd *cobra.Command, infos []auth.KeyInfo, now time.Time) {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KID\tCREATED\tSTATUS")
	for _, k := range infos {
		status := "signing"
		switch {
		case k.Signing():
		case k.Verifies(now):
			status = "verifies until " + k.Expires().UTC().Format(time.RFC3339)
		default:
			status = "expired " + k.Expires().UTC().Format(time.RFC3339) + " (prune deletes it)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", k.KID, k.Created.UTC().Format(time.RFC3339), status)
	}
	w.Flush()
}
