package main

import (
	"errors"
	"fmt"

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
	cmd.AddCommand(assign)
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
