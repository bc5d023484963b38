package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/provision"
	"github.com/qrpin/qrpin/spool"
)

func badgeCmd() *cobra.Command {
	var g graphFlags
	var sf spoolFlags
	var user, out string
	cmd := &cobra.Command{
		Use:   "badge --user UPN --spool staff.spool --out badge.png",
		Short: "Write one worker's badge from the spool as a PNG or SVG image",
		Long: "badge writes the newest badge of one worker (by userPrincipalName, object id or employee id) that\n" +
			"qrpin provision put in the spool, as a PNG or an SVG image (by --out's extension). It reads the spool\n" +
			"only: no server is needed.",
		Example: `  qrpin badge --user ana@contoso.com --spool staff.spool --out ana.png`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" || out == "" || sf.path == "" {
				return errors.New("give --user, --spool and --out")
			}
			ext := strings.ToLower(filepath.Ext(out))
			if ext != ".png" && ext != ".svg" {
				return fmt.Errorf("--out %s: write a .png or an .svg file", out)
			}
			sp, err := sf.open(g.tenantHint())
			if err != nil {
				return err
			}
			defer sp.Close()
			e, ok := findBadge(sp.Entries(), user)
			if !ok {
				return fmt.Errorf("the spool %s holds no badge of %q", sf.path, user)
			}
			img, err := badge.PNG(provision.Badge(e))
			if ext == ".svg" {
				img, err = badge.SVG(provision.Badge(e))
			}
			if err != nil {
				return err
			}
			if err := writeFileAtomic(out, img, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s's badge (expires %s) in %s\n", e.UPN, e.Expires.Format("2006-01-02"), out)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&g.data, "data", env("data", "./qrpin-data"), "the local server's data directory, whose tenant the spool is for (QRPIN_DATA)")
	fs.StringVar(&g.tenant, "tenant", env("tenant", ""), "the tenant id the spool is for (QRPIN_TENANT; default: the data directory's)")
	sf.flags(fs)
	fs.StringVar(&user, "user", "", "the worker: userPrincipalName, object id or employee id")
	fs.StringVar(&out, "out", "", "the image file to write: .png or .svg")
	return cmd
}

// findBadge returns the newest spool entry with a badge of the user named
// by UPN, object id or employee id.
func findBadge(entries []spool.Entry, user string) (spool.Entry, bool) {
	badges, _ := provision.Printable(entries, func(e spool.Entry) bool {
		return strings.EqualFold(e.UPN, user) || e.UserID == user || (e.EmployeeID != "" && e.EmployeeID == user)
	})
	if len(badges) != 1 {
		return spool.Entry{}, false
	}
	return badges[0], true
}
