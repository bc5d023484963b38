package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
)

// appsCmd is `qrpin apps`: local administration of client applications,
// through the same service (and rules) as the Graph API's /applications.
func appsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apps",
		Short: "Manage client applications: their secrets, permissions and sign-in redirect URIs",
		Long: "Manage the applications that get tokens from the token endpoint (client credentials)\n" +
			"and that sign workers in with QR code + PIN (their redirect URIs).\n" +
			"Known permissions: " + permissionNames() + ".",
	}
	cmd.AddCommand(appsCreateCmd(), appsUpdateCmd(), appsListCmd(), appsGrantCmd(), appsAddSecretCmd(), appsDeleteCmd())
	return cmd
}

// withService opens the data directory and runs fn with the management
// service and the local administrator principal; the command prints to
// cmd's output.
func withService(cmd *cobra.Command, c *common, fn func(d *deps, svc *admin.Service, p auth.Principal) error) error {
	c.out = cmd.OutOrStdout()
	d, err := c.open(cmd.Context())
	if err != nil {
		return err
	}
	defer d.store.Close()
	svc := &admin.Service{Config: pinflow.Config{Store: d.store, Pepper: d.pepper, TenantID: d.tenantID}}
	return fn(d, svc, admin.Local(d.tenantID))
}

// findApp finds an application by client id or object id.
func findApp(ctx context.Context, st store.Store, key string) (store.Application, error) {
	key = strings.ToLower(strings.TrimSpace(key))
	a, err := st.GetApplicationByAppID(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		a, err = st.GetApplication(ctx, key)
	}
	if errors.Is(err, store.ErrNotFound) {
		return a, fmt.Errorf("no application with client id %q (qrpin apps list shows them)", key)
	}
	return a, err
}

// grant grants each named permission (name or app role id) to a.
func grant(ctx context.Context, svc *admin.Service, p auth.Principal, a store.Application, perms []string) error {
	for _, name := range perms {
		r, ok := auth.AppRoleByValue(name)
		if !ok {
			return fmt.Errorf("unknown permission %q; known: %s", name, permissionNames())
		}
		_, err := svc.GrantAppRole(ctx, p, admin.SPRef{ID: a.ServicePrincipalID}, false, admin.GrantInput{
			PrincipalID: a.ServicePrincipalID, ResourceID: admin.GraphServicePrincipalID, AppRoleID: r.ID})
		if err != nil {
			return fmt.Errorf("grant %s: %w", r.Value, err)
		}
	}
	return nil
}

// printSecret prints a new client secret, the one time it is shown.
func printSecret(c *common, d *deps, a store.Application, pw admin.NewPassword) {
	fmt.Fprintf(c.stdout(), "client id:      %s\nclient secret:  %s\n  (shown once; key id %s, valid until %s)\ntoken endpoint: %s/%s/oauth2/v2.0/token\n",
		a.AppID, pw.Secret, pw.KeyID, pw.End.UTC().Format(time.RFC3339), c.server, d.tenantID)
}

// signInFlags are the flags of an application's sign-in registration,
// shared by apps create and apps update.
type signInFlags struct {
	web, spa, public []string
	logout           string
	backchannel      string
	publicFlows      bool
}

func (f *signInFlags) add(fs *pflag.FlagSet, update bool) {
	list := func(what, name string) string {
		if update {
			return what + `; replaces the registered ones, --` + name + ` "" removes them all`
		}
		return what
	}
	fs.StringArrayVar(&f.web, "redirect-uri", nil, list("a web redirect URI (a server-side app with a client secret); repeatable", "redirect-uri"))
	fs.StringArrayVar(&f.spa, "spa-redirect-uri", nil, list("a single-page app's redirect URI (public client, PKCE); repeatable", "spa-redirect-uri"))
	fs.StringArrayVar(&f.public, "public-redirect-uri", nil,
		list("a native or mobile app's redirect URI, such as myapp://callback or http://localhost (public client, PKCE); repeatable", "public-redirect-uri"))
	logout := "where the app is sent when a worker signs out (web.logoutUrl)"
	if update {
		logout += `; "" removes it`
	}
	fs.StringVar(&f.logout, "logout-url", "", logout)
	backchannel := "where qrpin POSTs a logout_token when a worker's single sign-on session that signed them in to the app ends (OpenID Connect Back-Channel Logout; qrpin's own property, not in Graph)"
	if update {
		backchannel += `; "" removes it`
	}
	fs.StringVar(&f.backchannel, "backchannel-logout-uri", "", backchannel)
	fs.BoolVar(&f.publicFlows, "allow-public-client-flows", false,
		"allow public client flows without a redirect URI: the device code flow (isFallbackPublicClient; off by default)")
}

// input is what the flags given on the command line change; a list given
// as one empty value is emptied.
func (f *signInFlags) input(fs *pflag.FlagSet) admin.SignInInput {
	var in admin.SignInInput
	list := func(name string, l []string) *[]string {
		if !fs.Changed(name) {
			return nil
		}
		if len(l) == 1 && l[0] == "" {
			return &[]string{}
		}
		return &l
	}
	in.WebRedirectURIs = list("redirect-uri", f.web)
	in.SPARedirectURIs = list("spa-redirect-uri", f.spa)
	in.PublicRedirectURIs = list("public-redirect-uri", f.public)
	if fs.Changed("logout-url") {
		in.WebLogoutURL = &f.logout
	}
	if fs.Changed("backchannel-logout-uri") {
		in.BackchannelLogoutURL = &f.backchannel
	}
	if fs.Changed("allow-public-client-flows") {
		in.FallbackPublicClient = &f.publicFlows
	}
	return in
}

// signInFlagOf names the flag of each sign-in property, for errors.
var signInFlagOf = []struct{ prop, flag string }{
	{"'web.redirectUris", "--redirect-uri"},
	{"'spa.redirectUris", "--spa-redirect-uri"},
	{"'publicClient.redirectUris", "--public-redirect-uri"},
	{"'web.logoutUrl'", "--logout-url"},
	{"'backchannelLogoutUri'", "--backchannel-logout-uri"},
	{"'displayName'", "--name"},
}

// flagError names the flag behind the property a refusal names.
func flagError(err error) error {
	for _, f := range signInFlagOf {
		if strings.Contains(err.Error(), f.prop) {
			return fmt.Errorf("%s: %w", f.flag, err)
		}
	}
	return err
}

// printSignIn prints an application's sign-in registration.
func printSignIn(c *common, d *deps, a store.Application) {
	si := a.SignIn
	w := c.stdout()
	for _, l := range []struct {
		what string
		uris []string
	}{{"web redirect URIs", si.WebRedirectURIs}, {"spa redirect URIs", si.SPARedirectURIs}, {"public client redirect URIs", si.PublicRedirectURIs}} {
		if len(l.uris) > 0 {
			fmt.Fprintf(w, "%s:\n", l.what)
			for _, u := range l.uris {
				fmt.Fprintf(w, "  %s\n", u)
			}
		}
	}
	if si.WebLogoutURL != "" {
		fmt.Fprintf(w, "logout URL:     %s\n", si.WebLogoutURL)
	}
	if si.BackchannelLogoutURL != "" {
		fmt.Fprintf(w, "back-channel logout URI: %s\n", si.BackchannelLogoutURL)
	}
	if si.FallbackPublicClient {
		fmt.Fprintln(w, "public client flows (device code): allowed")
	}
	if len(si.WebRedirectURIs)+len(si.SPARedirectURIs)+len(si.PublicRedirectURIs) > 0 || si.FallbackPublicClient {
		fmt.Fprintf(w, "issuer:         %s/%s/v2.0\n", c.server, d.tenantID)
	}
}

func appsCreateCmd() *cobra.Command {
	var c common
	var name, perms string
	var si signInFlags
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Register an application with a client secret, optionally granting it permissions and sign-in redirect URIs",
		Example: `  qrpin apps create --name "badge printer" --grant UserAuthMethod-QR.ReadWrite.All,User.Read.All
  qrpin apps create --name timesheet --redirect-uri https://timesheet.contoso.com/signin-oidc \
      --logout-url https://timesheet.contoso.com/signout-oidc
  qrpin apps create --name "warehouse scanner" --public-redirect-uri http://localhost --allow-public-client-flows`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(cmd, &c, func(d *deps, svc *admin.Service, p auth.Principal) error {
				var err error
				if c.server, err = c.serverURL(cmd.Flags()); err != nil {
					return err
				}
				for _, perm := range split(perms) { // check all before creating anything
					if _, ok := auth.AppRoleByValue(perm); !ok {
						return fmt.Errorf("unknown permission %q; known: %s", perm, permissionNames())
					}
				}
				a, err := svc.RegisterApplication(ctx, p, admin.ApplicationInput{DisplayName: &name, SignIn: si.input(cmd.Flags())})
				if err != nil {
					return flagError(err)
				}
				if err := grant(ctx, svc, p, a, split(perms)); err != nil {
					return err
				}
				pw, err := svc.AddPassword(ctx, p, admin.AppRef{ID: a.ID}, admin.PasswordInput{DisplayName: "qrpin apps create"})
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout(), "application %q (object id %s)\n", a.DisplayName, a.ID)
				printSecret(&c, d, a, pw)
				printSignIn(&c, d, a)
				return nil
			})
		},
	}
	c.flags(cmd.Flags())
	c.clientFlags(cmd.Flags())
	cmd.Flags().StringVar(&name, "name", "", "the application's display name")
	cmd.Flags().StringVar(&perms, "grant", "", "comma-separated application permissions to grant, for example User.ReadWrite.All")
	si.add(cmd.Flags(), false)
	cmd.MarkFlagRequired("name")
	return cmd
}

func appsUpdateCmd() *cobra.Command {
	var c common
	var app, name string
	var si signInFlags
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Change an application's name or sign-in registration; what is not given stays as it is",
		Example: `  qrpin apps update --app 6f1c2d3e-... --redirect-uri https://timesheet.contoso.com/signin-oidc \
      --redirect-uri https://timesheet-test.contoso.com/signin-oidc
  qrpin apps update --app 6f1c2d3e-... --spa-redirect-uri "" --allow-public-client-flows=false`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(cmd, &c, func(d *deps, svc *admin.Service, p auth.Principal) error {
				var err error
				if c.server, err = c.serverURL(cmd.Flags()); err != nil {
					return err
				}
				a, err := findApp(ctx, svc.Store, app)
				if err != nil {
					return err
				}
				in := admin.ApplicationInput{SignIn: si.input(cmd.Flags())}
				if cmd.Flags().Changed("name") {
					in.DisplayName = &name
				}
				a, err = svc.UpdateApplication(ctx, p, admin.AppRef{ID: a.ID}, in)
				if err != nil {
					return flagError(err)
				}
				fmt.Fprintf(c.stdout(), "updated %s (%s)\n", a.AppID, a.DisplayName)
				printSignIn(&c, d, a)
				return nil
			})
		},
	}
	c.flags(cmd.Flags())
	c.clientFlags(cmd.Flags())
	cmd.Flags().StringVar(&app, "app", "", "the application's client id")
	cmd.Flags().StringVar(&name, "name", "", "a new display name")
	si.add(cmd.Flags(), true)
	cmd.MarkFlagRequired("app")
	return cmd
}

func appsListCmd() *cobra.Command {
	var c common
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the applications, their permissions and secrets (hints only)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(cmd, &c, func(_ *deps, svc *admin.Service, p auth.Principal) error {
				apps, err := svc.ListApplications(ctx, p, "", 0)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(c.stdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "CLIENT ID\tNAME\tPERMISSIONS\tSIGN-IN\tSECRETS (hint, key id, expires)")
				for _, a := range apps {
					var secrets []string
					for _, pw := range a.Passwords {
						secrets = append(secrets, fmt.Sprintf("%s... %s %s", pw.Hint, pw.KeyID, pw.End.UTC().Format("2006-01-02")))
					}
					perms := strings.Join(admin.GrantedRoles(a), ",")
					if len(admin.GrantedRoles(a)) == len(auth.AppRoles) {
						perms = fmt.Sprintf("all %d", len(auth.AppRoles))
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", a.AppID, a.DisplayName, orNone(perms), orNone(signInSummary(a.SignIn)),
						orNone(strings.Join(secrets, "; ")))
				}
				return w.Flush()
			})
		},
	}
	c.flags(cmd.Flags())
	return cmd
}

// signInSummary counts an application's redirect URIs of each kind.
func signInSummary(si store.AppSignIn) string {
	var parts []string
	for _, l := range []struct {
		kind string
		n    int
	}{{"web", len(si.WebRedirectURIs)}, {"spa", len(si.SPARedirectURIs)}, {"public", len(si.PublicRedirectURIs)}} {
		if l.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", l.kind, l.n))
		}
	}
	if si.FallbackPublicClient {
		parts = append(parts, "device code")
	}
	return strings.Join(parts, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func appsGrantCmd() *cobra.Command {
	var c common
	var app, perms string
	cmd := &cobra.Command{
		Use:     "grant",
		Short:   "Grant application permissions to an application (as admin consent does)",
		Example: `  qrpin apps grant --app 6f1c2d3e-... --permission Policy.ReadWrite.AuthenticationMethod`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(cmd, &c, func(_ *deps, svc *admin.Service, p auth.Principal) error {
				a, err := findApp(ctx, svc.Store, app)
				if err != nil {
					return err
				}
				if err := grant(ctx, svc, p, a, split(perms)); err != nil {
					return err
				}
				fmt.Fprintf(c.stdout(), "granted %s to %s (%s); its next tokens carry them\n", strings.Join(split(perms), ", "), a.AppID, a.DisplayName)
				return nil
			})
		},
	}
	c.flags(cmd.Flags())
	cmd.Flags().StringVar(&app, "app", "", "the application's client id")
	cmd.Flags().StringVar(&perms, "permission", "", "comma-separated application permissions")
	cmd.MarkFlagRequired("app")
	cmd.MarkFlagRequired("permission")
	return cmd
}

func appsAddSecretCmd() *cobra.Command {
	var c common
	var app, name string
	var days int
	cmd := &cobra.Command{
		Use:   "add-secret",
		Short: "Add a client secret to an application; it is shown once",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(cmd, &c, func(d *deps, svc *admin.Service, p auth.Principal) error {
				var err error
				if c.server, err = c.serverURL(cmd.Flags()); err != nil {
					return err
				}
				a, err := findApp(ctx, svc.Store, app)
				if err != nil {
					return err
				}
				in := admin.PasswordInput{DisplayName: name}
				if days > 0 {
					in.Start = time.Now().UTC().Truncate(time.Microsecond)
					in.End = in.Start.Add(time.Duration(days) * 24 * time.Hour)
				}
				pw, err := svc.AddPassword(ctx, p, admin.AppRef{ID: a.ID}, in)
				if err != nil {
					return err
				}
				printSecret(&c, d, a, pw)
				return nil
			})
		},
	}
	c.flags(cmd.Flags())
	c.clientFlags(cmd.Flags())
	cmd.Flags().StringVar(&app, "app", "", "the application's client id")
	cmd.Flags().StringVar(&name, "name", "", "a name for the secret")
	cmd.Flags().IntVar(&days, "days", 0, fmt.Sprintf("days the secret is valid (default and most: %d)", int(admin.MaxSecretLifetime/(24*time.Hour))))
	cmd.MarkFlagRequired("app")
	return cmd
}

func appsDeleteCmd() *cobra.Command {
	var c common
	var app string
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete an application: its secrets and tokens stop working at once",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return withService(cmd, &c, func(_ *deps, svc *admin.Service, p auth.Principal) error {
				a, err := findApp(ctx, svc.Store, app)
				if err != nil {
					return err
				}
				if err := svc.DeleteApplication(ctx, p, admin.AppRef{ID: a.ID}); err != nil {
					return err
				}
				fmt.Fprintf(c.stdout(), "deleted %s (%s)\n", a.AppID, a.DisplayName)
				return nil
			})
		},
	}
	c.flags(cmd.Flags())
	cmd.Flags().StringVar(&app, "app", "", "the application's client id")
	cmd.MarkFlagRequired("app")
	return cmd
}

// permissionNames lists the application permissions qrpin knows.
func permissionNames() string {
	names := make([]string, len(auth.AppRoles))
	for i, r := range auth.AppRoles {
		names[i] = r.Value
	}
	return strings.Join(names, ", ")
}
