package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

func tokenCmd() *cobra.Command {
	var c common
	var user, app, scopes, roles string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Mint an access token for local administration (a user's delegated token, or an application's)",
		Example: `  qrpin token --app 6f1c2d3e-...   # an application's client id (qrpin apps list); its granted permissions
  qrpin token --app 6f1c2d3e-... --roles UserAuthMethod-QR.ReadWrite.All,User.ReadWrite.All
  qrpin token --user admin@contoso.com --scopes UserAuthMethod-QR.ReadWrite.All,User.ReadWrite.All`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (user == "") == (app == "") {
				return errors.New("give exactly one of --user and --app")
			}
			d, err := c.open(cmd.Context())
			if err != nil {
				return err
			}
			defer d.store.Close()
			p, err := principal(cmd.Context(), d, user, app, scopes, roles)
			if err != nil {
				return err
			}
			base, err := c.serverURL(cmd.Flags())
			if err != nil {
				return err
			}
			tok, err := d.tokens(base).Mint(p, ttl)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	c.flags(cmd.Flags())
	fs := cmd.Flags()
	fs.StringVar(&user, "user", "", "mint a delegated token for this user (UPN or object id); their directory roles become wids")
	fs.StringVar(&app, "app", "", "mint an application token for the application with this client id (see qrpin apps list)")
	fs.StringVar(&scopes, "scopes", "", "comma-separated delegated scopes (with --user)")
	fs.StringVar(&roles, "roles", "", "comma-separated application permissions (with --app; default: the permissions granted to it)")
	c.clientFlags(fs) // the token's issuer is the server's
	fs.DurationVar(&ttl, "ttl", time.Hour, "lifetime of the token")
	return cmd
}

func principal(ctx context.Context, d *deps, user, app, scopes, roles string) (auth.Principal, error) {
	if app != "" {
		// The API refuses tokens of applications that do not exist.
		a, err := findApp(ctx, d.store, app)
		if err != nil {
			return auth.Principal{}, err
		}
		p := auth.Principal{Kind: auth.Application, ObjectID: a.ServicePrincipalID, AppID: a.AppID, TenantID: d.tenantID,
			Roles: split(roles)}
		if roles == "" {
			p.Roles = admin.GrantedRoles(a)
		}
		return p, nil
	}
	u, err := findUser(ctx, d.store, user)
	if err != nil {
		return auth.Principal{}, err
	}
	as, err := d.store.ListRoleAssignments(ctx, u.ID)
	if err != nil {
		return auth.Principal{}, err
	}
	p := auth.Principal{Kind: auth.Delegated, ObjectID: u.ID, UPN: u.UPN, TenantID: d.tenantID,
		AppID:  uuid.NewSHA1(uuid.NameSpaceURL, []byte("qrpin-cli")).String(),
		Scopes: split(scopes), AuthTime: time.Now()}
	for _, a := range as {
		if a.UnitID == "" { // wids carry tenant-wide roles only, as Entra's do
			p.DirectoryRoles = append(p.DirectoryRoles, a.RoleDefinitionID)
		}
	}
	return p, nil
}

func findUser(ctx context.Context, st store.Store, key string) (store.User, error) {
	var u store.User
	var err error
	if strings.Contains(key, "@") {
		u, err = st.GetUserByUPN(ctx, key)
	} else {
		u, err = st.GetUser(ctx, key)
	}
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("no user %q", key)
	}
	return u, err
}

func split(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
