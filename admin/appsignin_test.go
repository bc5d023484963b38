package admin_test

import (
	"reflect"
	"testing"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/store"
)

// TestUpdateApplicationSignIn: an update changes what it is given and
// nothing else (secrets, permissions and the other lists stay), returns
// the application as stored, and a later update sees the earlier one.
func TestUpdateApplicationSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := e.fixture()
	ref := admin.AppRef{AppID: f.app.AppID}
	got, err := e.svc.UpdateApplication(e.ctx, e.local(), ref, admin.ApplicationInput{SignIn: admin.SignInInput{
		WebRedirectURIs: &[]string{"https://b.contoso.com/cb", "https://a.contoso.com/cb"}, WebLogoutURL: ptr("https://a.contoso.com/out"),
		PublicRedirectURIs: &[]string{"myapp://callback"}, FallbackPublicClient: ptr(true)}})
	if err != nil {
		t.Fatal(err)
	}
	want := f.app
	want.SignIn = store.AppSignIn{WebRedirectURIs: []string{"https://b.contoso.com/cb", "https://a.contoso.com/cb"},
		WebLogoutURL: "https://a.contoso.com/out", PublicRedirectURIs: []string{"myapp://callback"}, FallbackPublicClient: true}
	check := func(got store.Application, what string) {
		t.Helper()
		stored, err := e.st.GetApplication(e.ctx, f.app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(stored, want) {
			t.Fatalf("%s:\n returned %s\n   stored %s\n     want %s", what, js(got), js(stored), js(want))
		}
	}
	check(got, "first update")

	got, err = e.svc.UpdateApplication(e.ctx, e.local(), admin.AppRef{ID: f.app.ID}, admin.ApplicationInput{DisplayName: ptr(" Renamed "),
		SignIn: admin.SignInInput{SPARedirectURIs: &[]string{"https://spa.contoso.com/"}, PublicRedirectURIs: &[]string{}, FallbackPublicClient: ptr(false)}})
	if err != nil {
		t.Fatal(err)
	}
	want.DisplayName = "Renamed"
	want.SignIn.SPARedirectURIs, want.SignIn.PublicRedirectURIs, want.SignIn.FallbackPublicClient = []string{"https://spa.contoso.com/"}, nil, false
	check(got, "second update")

	// The caller's lists are not the stored ones.
	uris := []string{"https://c.contoso.com/cb"}
	if _, err := e.svc.UpdateApplication(e.ctx, e.local(), ref, admin.ApplicationInput{SignIn: admin.SignInInput{WebRedirectURIs: &uris}}); err != nil {
		t.Fatal(err)
	}
	uris[0] = "https://changed.contoso.com/"
	want.SignIn.WebRedirectURIs = []string{"https://c.contoso.com/cb"}
	stored, _ := e.st.GetApplication(e.ctx, f.app.ID)
	check(stored, "after the caller changed its list")
}

// TestApplySignInLeavesRegistrationOnError: a refused input changes
// nothing of the registration it was applied to, even the parts before the
// refused one.
func TestApplySignInLeavesRegistrationOnError(t *testing.T) {
	t.Parallel()
	si := store.AppSignIn{WebRedirectURIs: []string{"https://a.contoso.com/"}, WebLogoutURL: "https://a.contoso.com/out"}
	before := si
	err := admin.ApplySignIn(&si, admin.SignInInput{WebRedirectURIs: &[]string{}, SPARedirectURIs: &[]string{"https://s.contoso.com/"},
		FallbackPublicClient: ptr(true), WebLogoutURL: ptr("http://contoso.com/out")})
	if err == nil {
		t.Fatal("an http logout URL off loopback was accepted")
	}
	if !reflect.DeepEqual(si, before) {
		t.Fatalf("registration after a refusal: %+v, want %+v", si, before)
	}
}
