package main

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
)

// runApps runs `qrpin apps args...` and returns what it printed.
func runApps(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := appsCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestAppsCommands(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	out, err := runApps(t, "create", "--data", data, "--name", "badge printer", "--grant", "UserAuthMethod-QR.ReadWrite.All,user.read.all")
	if err != nil {
		t.Fatalf("apps create: %v\n%s", err, out)
	}
	clientID := regexp.MustCompile(`client id:\s+(\S+)`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`client secret:\s+(\S+)`).FindStringSubmatch(out)
	if clientID == nil || secret == nil || len(secret[1]) != admin.SecretLength {
		t.Fatalf("apps create prints no credentials:\n%s", out)
	}

	c := common{data: data}
	check := func(wantRoles []string, wantSecrets int) {
		t.Helper()
		d, err := c.open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer d.store.Close()
		svc := &admin.Service{Config: pinflow.Config{Store: d.store, Pepper: d.pepper, TenantID: d.tenantID}}
		a, err := d.store.GetApplicationByAppID(context.Background(), clientID[1])
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(admin.GrantedRoles(a), ","); got != strings.Join(wantRoles, ",") || len(a.Passwords) != wantSecrets {
			t.Fatalf("roles %s and %d secrets, want %v and %d", got, len(a.Passwords), wantRoles, wantSecrets)
		}
		// The printed secret works.
		if _, err := svc.ClientCredentials(context.Background(), clientID[1], secret[1]); err != nil {
			t.Fatalf("the printed secret: %v", err)
		}
	}
	check([]string{"User.Read.All", "UserAuthMethod-QR.ReadWrite.All"}, 1)

	if out, err := runApps(t, "grant", "--data", data, "--app", clientID[1], "--permission", "Policy.ReadWrite.AuthenticationMethod"); err != nil {
		t.Fatalf("apps grant: %v\n%s", err, out)
	}
	out, err = runApps(t, "add-secret", "--data", data, "--app", clientID[1], "--days", "30")
	if err != nil || !strings.Contains(out, "client secret:") {
		t.Fatalf("apps add-secret: %v\n%s", err, out)
	}
	check([]string{"Policy.ReadWrite.AuthenticationMethod", "User.Read.All", "UserAuthMethod-QR.ReadWrite.All"}, 2)

	out, err = runApps(t, "list", "--data", data)
	if err != nil || !strings.Contains(out, clientID[1]) || !strings.Contains(out, "badge printer") ||
		!strings.Contains(out, secret[1][:admin.HintLength]+"...") || strings.Contains(out, secret[1]) {
		t.Fatalf("apps list: %v\n%s", err, out)
	}

	for _, args := range [][]string{
		{"create", "--data", data, "--name", "x", "--grant", "Mail.Send"},
		{"grant", "--data", data, "--app", clientID[1], "--permission", "Nope.All"},
		{"grant", "--data", data, "--app", "no-such-app", "--permission", "User.Read.All"},
		{"grant", "--data", data, "--app", clientID[1], "--permission", "User.Read.All"}, // granted already
		{"add-secret", "--data", data, "--app", clientID[1], "--days", "1000"},
		{"create", "--data", data},
	} {
		if out, err := runApps(t, args...); err == nil {
			t.Fatalf("apps %v: no error\n%s", args, out)
		}
	}
	// A refused create creates nothing.
	out, _ = runApps(t, "list", "--data", data)
	if strings.Count(out, "\n") != 2 {
		t.Fatalf("applications after refused commands:\n%s", out)
	}

	if out, err := runApps(t, "delete", "--data", data, "--app", clientID[1]); err != nil {
		t.Fatalf("apps delete: %v\n%s", err, out)
	}
	out, _ = runApps(t, "list", "--data", data)
	if strings.Contains(out, clientID[1]) {
		t.Fatalf("a deleted application is listed:\n%s", out)
	}
	if len(auth.AppRoles) < 20 {
		t.Fatal("fewer permissions than the brief's twenty")
	}
}

// TestAppsSignInFlags: apps create registers the redirect URIs, logout
// URL and public client flows it is given, in their order; apps update
// replaces what it is given and leaves the rest; refusals name the flag
// and store nothing.
func TestAppsSignInFlags(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	stored := func(clientID string) store.Application {
		t.Helper()
		d, err := (&common{data: data}).open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer d.store.Close()
		a, err := d.store.GetApplicationByAppID(context.Background(), clientID)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	want := store.AppSignIn{
		WebRedirectURIs:      []string{"https://timesheet.contoso.com/signin-oidc", "http://localhost:5000/cb,with,commas"},
		WebLogoutURL:         "https://timesheet.contoso.com/signout-oidc",
		SPARedirectURIs:      []string{"https://spa.contoso.com/"},
		PublicRedirectURIs:   []string{"myapp://callback", "http://localhost"},
		FallbackPublicClient: true,
		BackchannelLogoutURL: "https://timesheet.contoso.com/backchannel-logout",
	}
	out, err := runApps(t, "create", "--data", data, "--name", "timesheet",
		"--redirect-uri", want.WebRedirectURIs[0], "--redirect-uri", want.WebRedirectURIs[1], "--logout-url", want.WebLogoutURL,
		"--backchannel-logout-uri", want.BackchannelLogoutURL,
		"--spa-redirect-uri", want.SPARedirectURIs[0],
		"--public-redirect-uri", want.PublicRedirectURIs[0], "--public-redirect-uri", want.PublicRedirectURIs[1], "--allow-public-client-flows")
	if err != nil {
		t.Fatalf("apps create: %v\n%s", err, out)
	}
	clientID := regexp.MustCompile(`client id:\s+(\S+)`).FindStringSubmatch(out)
	if clientID == nil {
		t.Fatalf("apps create prints no client id:\n%s", out)
	}
	for _, s := range append(slices.Concat(want.WebRedirectURIs, want.SPARedirectURIs, want.PublicRedirectURIs),
		want.WebLogoutURL, "back-channel logout URI: "+want.BackchannelLogoutURL, "public client flows (device code): allowed", "/v2.0") {
		if !strings.Contains(out, s) {
			t.Errorf("apps create does not print %q:\n%s", s, out)
		}
	}
	a := stored(clientID[1])
	if !reflect.DeepEqual(a.SignIn, want) || len(a.Passwords) != 1 {
		t.Fatalf("stored registration %+v with %d secrets, want %+v and 1", a.SignIn, len(a.Passwords), want)
	}

	// Without the flags: no registration; the device code flow off.
	out, err = runApps(t, "create", "--data", data, "--name", "printer")
	if err != nil {
		t.Fatalf("apps create: %v\n%s", err, out)
	}
	plain := regexp.MustCompile(`client id:\s+(\S+)`).FindStringSubmatch(out)[1]
	if got := stored(plain).SignIn; !reflect.DeepEqual(got, store.AppSignIn{}) || strings.Contains(out, "redirect URIs") {
		t.Fatalf("registration of an app created without sign-in flags: %+v\n%s", got, out)
	}

	out, err = runApps(t, "list", "--data", data)
	if err != nil || !strings.Contains(out, "web 2, spa 1, public 2, device code") {
		t.Fatalf("apps list: %v\n%s", err, out)
	}

	// Update replaces the lists it is given, in the order given, and leaves the others.
	for _, step := range []struct {
		args  []string
		apply func()
	}{
		{[]string{"--spa-redirect-uri", "https://b.contoso.com/", "--spa-redirect-uri", "https://a.contoso.com/"},
			func() { want.SPARedirectURIs = []string{"https://b.contoso.com/", "https://a.contoso.com/"} }},
		{[]string{"--name", "timesheet 2"}, func() {}},
		{[]string{"--allow-public-client-flows=false", "--logout-url", ""}, func() { want.FallbackPublicClient, want.WebLogoutURL = false, "" }},
		{[]string{"--redirect-uri", ""}, func() { want.WebRedirectURIs = nil }},
		{[]string{"--backchannel-logout-uri", "https://t.contoso.com/bc"}, func() { want.BackchannelLogoutURL = "https://t.contoso.com/bc" }},
		{[]string{"--backchannel-logout-uri", ""}, func() { want.BackchannelLogoutURL = "" }},
		{[]string{"--public-redirect-uri", "msal" + clientID[1] + "://auth", "--logout-url", "https://t.contoso.com/bye"},
			func() {
				want.PublicRedirectURIs, want.WebLogoutURL = []string{"msal" + clientID[1] + "://auth"}, "https://t.contoso.com/bye"
			}},
	} {
		out, err := runApps(t, append([]string{"update", "--data", data, "--app", clientID[1]}, step.args...)...)
		if err != nil {
			t.Fatalf("apps update %v: %v\n%s", step.args, err, out)
		}
		step.apply()
		if got := stored(clientID[1]).SignIn; !reflect.DeepEqual(got, want) {
			t.Fatalf("after apps update %v: %+v, want %+v", step.args, got, want)
		}
	}
	if a := stored(clientID[1]); a.DisplayName != "timesheet 2" || len(a.Passwords) != 1 {
		t.Fatalf("after the updates: %q with %d secrets", a.DisplayName, len(a.Passwords))
	}

	// Refusals name the flag and change nothing.
	before := stored(clientID[1])
	list, _ := runApps(t, "list", "--data", data)
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"update", "--redirect-uri", "http://contoso.com/cb"}, "--redirect-uri"},
		{[]string{"update", "--redirect-uri", "https://a.contoso.com/", "--redirect-uri", "https://a.contoso.com/"}, "--redirect-uri"},
		{[]string{"update", "--spa-redirect-uri", "myapp://x"}, "--spa-redirect-uri"},
		{[]string{"update", "--public-redirect-uri", "https://ok.contoso.com/", "--public-redirect-uri", "https://a.contoso.com/#frag"}, "--public-redirect-uri"},
		{[]string{"update", "--logout-url", "http://contoso.com/out", "--spa-redirect-uri", "https://fine.contoso.com/"}, "--logout-url"},
		{[]string{"update", "--name", " "}, "--name"},
		{[]string{"update", "--backchannel-logout-uri", "http://contoso.com/bc"}, "--backchannel-logout-uri"},
		{[]string{"update", "--backchannel-logout-uri", "https://contoso.com/bc#x"}, "--backchannel-logout-uri"},
		{[]string{"create", "--name", "refused", "--redirect-uri", "https://*.contoso.com/"}, "--redirect-uri"},
		{[]string{"create", "--name", "refused", "--public-redirect-uri", "javascript:alert(1)"}, "--public-redirect-uri"},
	} {
		args := append([]string{tc.args[0], "--data", data}, tc.args[1:]...)
		if tc.args[0] == "update" {
			args = append(args, "--app", clientID[1])
		}
		out, err := runApps(t, args...)
		if err == nil || !strings.HasPrefix(err.Error(), tc.flag+": ") || !strings.Contains(err.Error(), "Invalid value") {
			t.Fatalf("apps %v: %v, want an error naming %s\n%s", tc.args, err, tc.flag, out)
		}
		if got := stored(clientID[1]); !reflect.DeepEqual(got, before) {
			t.Fatalf("apps %v changed the application: %+v", tc.args, got)
		}
		if got, _ := runApps(t, "list", "--data", data); got != list {
			t.Fatalf("apps %v changed the applications:\n%s\nwas\n%s", tc.args, got, list)
		}
	}
	if _, err := runApps(t, "update", "--data", data, "--app", "no-such-app", "--name", "x"); err == nil {
		t.Fatal("apps update of an unknown app: no error")
	}
}
