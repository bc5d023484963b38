package graph

import (
	"encoding/json"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/store"
)

// The sign-in properties of an application, as Graph shows them: web, spa,
// publicClient and isFallbackPublicClient.

type implicitGrantJSON struct {
	EnableAccessTokenIssuance bool `json:"enableAccessTokenIssuance"`
	EnableIDTokenIssuance     bool `json:"enableIdTokenIssuance"`
}

type redirectURISettingJSON struct {
	URI   string `json:"uri"`
	Index *int   `json:"index"`
}

type webJSON struct {
	HomePageURL           *string                  `json:"homePageUrl"`
	ImplicitGrantSettings implicitGrantJSON        `json:"implicitGrantSettings"`
	LogoutURL             *string                  `json:"logoutUrl"`
	RedirectURISettings   []redirectURISettingJSON `json:"redirectUriSettings"`
	RedirectURIs          []string                 `json:"redirectUris"`
}

type redirectURIsJSON struct {
	RedirectURIs []string `json:"redirectUris"`
}

// appSignInJSON holds the sign-in properties of applicationJSON.
type appSignInJSON struct {
	// IsFallbackPublicClient is null until set, as Graph shows it; qrpin
	// keeps only whether it is true, so false shows as null too.
	IsFallbackPublicClient *bool            `json:"isFallbackPublicClient"`
	PublicClient           redirectURIsJSON `json:"publicClient"`
	Spa                    redirectURIsJSON `json:"spa"`
	Web                    webJSON          `json:"web"`
}

// toAppSignIn shapes a sign-in registration; lists are [] when empty.
func toAppSignIn(si store.AppSignIn) appSignInJSON {
	j := appSignInJSON{
		PublicClient: redirectURIsJSON{RedirectURIs: nonNil(si.PublicRedirectURIs)},
		Spa:          redirectURIsJSON{RedirectURIs: nonNil(si.SPARedirectURIs)},
		Web: webJSON{RedirectURIs: nonNil(si.WebRedirectURIs),
			RedirectURISettings: make([]redirectURISettingJSON, 0, len(si.WebRedirectURIs))},
	}
	if si.FallbackPublicClient {
		j.IsFallbackPublicClient = &si.FallbackPublicClient
	}
	if si.WebLogoutURL != "" {
		j.Web.LogoutURL = &si.WebLogoutURL
	}
	for _, u := range si.WebRedirectURIs {
		j.Web.RedirectURISettings = append(j.Web.RedirectURISettings, redirectURISettingJSON{URI: u})
	}
	return j
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// sent is a property of a request body that may be absent, null or a
// value: Set tells absent from null, which a pointer alone cannot.
type sent[T any] struct {
	Set   bool
	Value *T // nil for null
}

func (s *sent[T]) UnmarshalJSON(b []byte) error {
	s.Set = true
	if string(b) == "null" {
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	s.Value = &v
	return nil
}

// list is what a sent list changes: nil when absent, an empty list when
// null, the list otherwise.
func list(s sent[[]string]) *[]string {
	switch {
	case !s.Set:
		return nil
	case s.Value == nil:
		return &[]string{}
	}
	return s.Value
}

// text is what a sent string changes: nil when absent, "" when null.
func text(s sent[string]) *string {
	switch {
	case !s.Set:
		return nil
	case s.Value == nil:
		return new(string)
	}
	return s.Value
}

type redirectURIsBody struct {
	RedirectURIs sent[[]string] `json:"redirectUris"`
}

// applicationBody is the body of POST /applications and PATCH
// /applications/{id}. A complex property (web, spa, publicClient) changes
// only the sub-properties sent; sent as null, it removes them all.
type applicationBody struct {
	DisplayName *string `json:"displayName"`
	Web         sent[struct {
		RedirectURIs          sent[[]string] `json:"redirectUris"`
		LogoutURL             sent[string]   `json:"logoutUrl"`
		HomePageURL           *string        `json:"homePageUrl"`
		ImplicitGrantSettings *struct {
			EnableIDTokenIssuance     *bool `json:"enableIdTokenIssuance"`
			EnableAccessTokenIssuance *bool `json:"enableAccessTokenIssuance"`
		} `json:"implicitGrantSettings"`
	}] `json:"web"`
	Spa                    sent[redirectURIsBody] `json:"spa"`
	PublicClient           sent[redirectURIsBody] `json:"publicClient"`
	IsFallbackPublicClient sent[bool]             `json:"isFallbackPublicClient"`
}

// input is what the body asks of the management service.
func (b applicationBody) input() admin.ApplicationInput {
	in := admin.ApplicationInput{DisplayName: b.DisplayName}
	si := &in.SignIn
	if b.Web.Set {
		if w := b.Web.Value; w == nil {
			si.WebRedirectURIs, si.WebLogoutURL = &[]string{}, new(string)
		} else {
			si.WebRedirectURIs, si.WebLogoutURL, si.WebHomePageURL = list(w.RedirectURIs), text(w.LogoutURL), w.HomePageURL
			if g := w.ImplicitGrantSettings; g != nil {
				si.ImplicitIDTokens, si.ImplicitAccessTokens = g.EnableIDTokenIssuance, g.EnableAccessTokenIssuance
			}
		}
	}
	si.SPARedirectURIs = redirectURIs(b.Spa)
	si.PublicRedirectURIs = redirectURIs(b.PublicClient)
	if b.IsFallbackPublicClient.Set {
		si.FallbackPublicClient = new(bool)
		if v := b.IsFallbackPublicClient.Value; v != nil {
			si.FallbackPublicClient = v
		}
	}
	return in
}

// redirectURIs is what a sent spa or publicClient changes.
func redirectURIs(s sent[redirectURIsBody]) *[]string {
	switch {
	case !s.Set:
		return nil
	case s.Value == nil:
		return &[]string{}
	}
	return list(s.Value.RedirectURIs)
}
