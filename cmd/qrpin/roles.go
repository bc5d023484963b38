package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

func rolesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "roles", Short: "Manage directory role assignments"}
	var c common
	var user, role, unit string
	assign := &cobra.Command{
		Use:   "assign",
		Short: "Give a user a directory role (for example \"Global Administrator\"), over the tenant or one administrative unit",
		Example: `  qrpin roles assign --user admin@contoso.com --role "Authentication Administrator"
  qrpin roles assign --user lead@contoso.com --role "Authentication Administrator" --unit "Store 12"`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, ok := auth.RoleByName(role)
			if !ok {
				return fmt.Errorf("unknown role %q; known roles: %s", role, roleNames())
			}
			if unit != "" {
				return assignScoped(cmd, &c, user, r, unit)
			}
			d, err := c.open(cmd.Context())
			if err != nil {
				return err
			}
			defer d.store.Close()
			u, err := findUser(cmd.Context(), d.store, user)
			if err != nil {
				return err
			}
			err = d.store.CreateRoleAssignment(cmd.Context(), store.RoleAssignment{ID: uuid.NewString(), PrincipalID: u.ID, RoleDefinitionID: r.ID})
			if errors.Is(err, store.ErrConflict) {
				fmt.Printf("%s already holds %s\n", u.UPN, r.DisplayName)
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Printf("%s now holds %s\n", u.UPN, r.DisplayName)
			return nil
		},
	}
	c.flags(assign.Flags())
	assign.Flags().StringVar(&user, "user", "", "the user (UPN or object id)")
	assign.Flags().StringVar(&role, "role", "", "the role's display name or template id")
	assign.Flags().StringVar(&unit, "unit", "", "an administrative unit (id or display name): the role applies to its members only")
	cmd.AddCommand(assign, rolesListCmd())
	return cmd
}

// assignScoped gives a user role r over one administrative unit, through
// the management service (which checks that the role can be scoped, and
// audits the assignment).
func assignScoped(cmd *cobra.Command, c *common, user string, r auth.Role, unit string) error {
	ctx := cmd.Context()
	return withService(cmd, c, func(_ *deps, svc *admin.Service, p auth.Principal) error {
		u, err := findUser(ctx, svc.Store, user)
		if err != nil {
			return err
		}
		au, err := findUnit(ctx, svc.Store, unit)
		if err != nil {
			return err
		}
		scope := "/administrativeUnits/" + au.ID
		_, err = svc.CreateRoleAssignment(ctx, p, admin.RoleAssignmentInput{PrincipalID: &u.ID, RoleDefinitionID: &r.ID, DirectoryScopeID: &scope})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout(), "%s now holds %s over %s\n", u.UPN, r.DisplayName, au.DisplayName)
		return nil
	})
}

// rolesListCmd is `qrpin roles list`: the directory roles qrpin knows, as
// Graph's roleDefinitions list them, each with its Entra template id and
// the users who hold it (as Entra's "Roles and administrators" shows).
func rolesListCmd() *cobra.Command {
	var c common
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the directory roles qrpin knows, with their template ids and who holds each",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			d, err := c.open(ctx)
			if err != nil {
				return err
			}
			defer d.store.Close()
			as, err := d.store.ListRoleAssignments(ctx, "")
			if err != nil {
				return err
			}
			holders := map[string][]string{} // role template id: UPNs
			for _, a := range as {
				name := a.PrincipalID
				if u, err := d.store.GetUser(ctx, a.PrincipalID); err == nil {
					name = u.UPN
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				if a.UnitID != "" {
					unit := a.UnitID
					if u, err := d.store.GetUnit(ctx, a.UnitID); err == nil {
						unit = u.DisplayName
					}
					name += " (over " + unit + ")"
				}
				holders[a.RoleDefinitionID] = append(holders[a.RoleDefinitionID], name)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ROLE\tTEMPLATE ID\tASSIGNED TO")
			for _, r := range auth.Roles {
				names := holders[r.ID]
				slices.Sort(names)
				fmt.Fprintf(w, "%s\t%s\t%s\n", r.DisplayName, r.ID, orNone(strings.Join(names, ", ")))
			}
			return w.Flush()
		},
	}
	c.flags(cmd.Flags())
	return cmd
}

func roleNames() string {
	s := ""
	for i, r := range auth.Roles {
		if i > 0 {
			s += ", "
		}
		s += r.DisplayName
	}
	return s
}
