package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

func rolesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "roles", Short: "Manage directory role assignments"}
	var c common
	var user, role string
	assign := &cobra.Command{
		Use:     "assign",
		Short:   "Give a user a directory role (for example \"Global Administrator\")",
		Example: `  qrpin roles assign --user admin@contoso.com --role "Authentication Administrator"`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, ok := auth.RoleByName(role)
			if !ok {
				return fmt.Errorf("unknown role %q; known roles: %s", role, roleNames())
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
	cmd.AddCommand(assign, rolesListCmd())
	return cmd
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
