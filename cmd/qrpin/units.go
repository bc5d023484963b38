package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// usersCmd is `qrpin users`: local operations on users' QR code + PIN
// methods, through the management service (authorized, audited).
func usersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Operate on users' QR code + PIN methods"}
	var c common
	var user string
	unlock := &cobra.Command{
		Use:   "unlock-pin",
		Short: "Unlock a user's locked PIN, keeping the PIN (audited)",
		Long: "unlock-pin clears the user's count of wrong PINs and lifts the timed lock: the user signs in again with\n" +
			"the PIN they know. A PIN disabled after too many wrong PINs cannot be unlocked (it stays disabled until\n" +
			"a reset): reset it instead (PATCH .../qrCodePinMethod/pin), which gives the user a new PIN. The Graph API\n" +
			"offers the same operation as qrpin's extension POST /beta/users/{id}/authentication/qrCodePinMethod/pin/unlock.",
		Example: `  qrpin users unlock-pin --user ann.lee@contoso.com`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(cmd, &c, func(_ *deps, svc *admin.Service, p auth.Principal) error {
				u, err := svc.UnlockPIN(ctx, p, admin.UserRef{Key: user})
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout(), "unlocked the PIN of %s\n", u.UPN)
				return nil
			})
		},
	}
	c.flags(unlock.Flags())
	unlock.Flags().StringVar(&user, "user", "", "the user (UPN or object id)")
	unlock.MarkFlagRequired("user")
	cmd.AddCommand(unlock)
	return cmd
}

// unitsCmd is `qrpin units`: local administration of administrative units
// (a store's team, say), through the same service as the Graph API's
// /directory/administrativeUnits.
func unitsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "units",
		Short: "Manage administrative units: the teams a scoped administrator manages",
		Long: "An administrative unit holds users and groups. A role assigned over a unit (qrpin roles assign --unit)\n" +
			"applies to the users who are members of the unit themselves: members of a group in the unit are not\n" +
			"(as in Microsoft Entra).",
	}
	cmd.AddCommand(unitsCreateCmd(), unitsListCmd(), unitsMemberCmd(true), unitsMemberCmd(false))
	return cmd
}

func unitsCreateCmd() *cobra.Command {
	var c common
	var name, description string
	var hidden bool
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Create an administrative unit",
		Example: `  qrpin units create --name "Store 12"`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(cmd, &c, func(_ *deps, svc *admin.Service, p auth.Principal) error {
				in := admin.UnitInput{DisplayName: &name, Description: &description}
				if hidden {
					v := admin.VisibilityHidden
					in.Visibility = &v
				}
				u, err := svc.CreateUnit(ctx, p, in)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout(), "created %s (%s)\n", u.ID, u.DisplayName)
				return nil
			})
		},
	}
	c.flags(cmd.Flags())
	cmd.Flags().StringVar(&name, "name", "", "the unit's display name")
	cmd.Flags().StringVar(&description, "description", "", "its description")
	cmd.Flags().BoolVar(&hidden, "hidden", false, "hide its membership from users who are not members (HiddenMembership)")
	cmd.MarkFlagRequired("name")
	return cmd
}

func unitsListCmd() *cobra.Command {
	var c common
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the administrative units with their member counts",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(cmd, &c, func(_ *deps, svc *admin.Service, p auth.Principal) error {
				units, err := svc.ListUnits(ctx, p, "", 0)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(c.stdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tMEMBERS")
				for _, u := range units {
					ms, err := svc.ListUnitMembers(ctx, p, u.ID, "", 0)
					if err != nil {
						return err
					}
					fmt.Fprintf(w, "%s\t%s\t%d\n", u.ID, u.DisplayName, len(ms))
				}
				return w.Flush()
			})
		},
	}
	c.flags(cmd.Flags())
	return cmd
}

// unitsMemberCmd is `qrpin units add-member` (add) or `remove-member`.
func unitsMemberCmd(add bool) *cobra.Command {
	var c common
	var unit, user, group string
	use, short := "add-member", "Add a user or a group to an administrative unit"
	if !add {
		use, short = "remove-member", "Remove a user or a group from an administrative unit"
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: `  qrpin units ` + use + ` --unit "Store 12" --user ann.lee@contoso.com`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (user == "") == (group == "") {
				return errors.New("give one of --user and --group")
			}
			ctx := cmd.Context()
			return withService(cmd, &c, func(_ *deps, svc *admin.Service, p auth.Principal) error {
				u, err := findUnit(ctx, svc.Store, unit)
				if err != nil {
					return err
				}
				member, name := group, group
				if user != "" {
					m, err := findUser(ctx, svc.Store, user)
					if err != nil {
						return err
					}
					member, name = m.ID, m.UPN
				}
				if add {
					err = svc.AddUnitMember(ctx, p, u.ID, member)
				} else {
					err = svc.RemoveUnitMember(ctx, p, u.ID, member)
				}
				if err != nil {
					return err
				}
				verb := "added %s to %s\n"
				if !add {
					verb = "removed %s from %s\n"
				}
				fmt.Fprintf(c.stdout(), verb, name, u.DisplayName)
				return nil
			})
		},
	}
	c.flags(cmd.Flags())
	cmd.Flags().StringVar(&unit, "unit", "", "the unit (its id or display name)")
	cmd.Flags().StringVar(&user, "user", "", "the user (UPN or object id)")
	cmd.Flags().StringVar(&group, "group", "", "the group (object id)")
	cmd.MarkFlagRequired("unit")
	return cmd
}

// findUnit finds an administrative unit by id or, when no id matches, by
// its display name (case-insensitive; it must name one unit only).
func findUnit(ctx context.Context, st store.Store, key string) (store.AdministrativeUnit, error) {
	key = strings.TrimSpace(key)
	u, err := st.GetUnit(ctx, strings.ToLower(key))
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return u, err
	}
	units, err := st.ListUnits(ctx, "", 0)
	if err != nil {
		return store.AdministrativeUnit{}, err
	}
	var found []store.AdministrativeUnit
	for _, u := range units {
		if strings.EqualFold(u.DisplayName, key) {
			found = append(found, u)
		}
	}
	switch len(found) {
	case 0:
		return store.AdministrativeUnit{}, fmt.Errorf("no administrative unit %q (qrpin units list shows them)", key)
	case 1:
		return found[0], nil
	}
	return store.AdministrativeUnit{}, fmt.Errorf("%d administrative units are named %q: give the unit's id", len(found), key)
}
