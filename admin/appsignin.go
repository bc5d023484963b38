package admin

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/redirect"
	"github.com/qrpin/qrpin/store"
)

// ApplicationInput is the body of an application create or update; nil
// fields were not sent and, on an update, stay as they are.
type ApplicationInput struct {
	DisplayName *string
	SignIn      SignInInput
}

// SignInInput changes an application's sign-in registration: Graph's web,
// spa and publicClient properties and isFallbackPublicClient. Nil fields
// were not sent and stay as they are; a list sent empty (or null) removes
// every redirect URI of its kind, an empty logout URL removes it.
type SignInInput struct {
	WebRedirectURIs *[]string // web.redirectUris
	WebLogoutURL    *string   // web.logoutUrl
	// WebHomePageURL is web.homePageUrl, which qrpin does not keep: only
	// empty is accepted.
	WebHomePageURL *string
	// ImplicitIDTokens and ImplicitAccessTokens are
	// web.implicitGrantSettings: qrpin offers no implicit grant, so only
	// false is accepted.
	ImplicitIDTokens     *bool
	ImplicitAccessTokens *bool
	SPARedirectURIs      *[]string // spa.redirectUris
	PublicRedirectURIs   *[]string // publicClient.redirectUris
	FallbackPublicClient *bool     // isFallbackPublicClient
	// BackchannelLogoutURL is qrpin's own property (Graph has none): where
	// the OpenID provider POSTs a logout_token when a single sign-on
	// session that served the application ends. "" removes it.
	BackchannelLogoutURL *string
}

// RegisterApplication registers an application with its service principal,
// as CreateApplication does, with the sign-in registration in.SignIn
// (checked by ApplySignIn). in.DisplayName is required.
func (s *Service) RegisterApplication(ctx context.Context, p auth.Principal, in ApplicationInput) (_ store.Application, err error) {
	chg := &change{category: CategoryApplication, activity: "Add application", op: OpAdd}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteApplications, auth.Target{}, s.Time()); err != nil {
		return store.Application{}, err
	}
	a := store.Application{ID: newID(), AppID: newID(), ServicePrincipalID: newID(), Created: s.Time()}
	if in.DisplayName == nil {
		return store.Application{}, errAppDisplayName()
	}
	if err := applyApplication(&a, in); err != nil {
		return store.Application{}, err
	}
	chg.targets = appTarget(a)
	return a, s.Store.CreateApplication(ctx, a)
}

// UpdateApplication changes an application's display name and sign-in
// registration (Graph's PATCH /applications/{id}) and returns it as
// stored. Nothing is stored when any property is refused.
func (s *Service) UpdateApplication(ctx context.Context, p auth.Principal, ref AppRef, in ApplicationInput) (_ store.Application, err error) {
	chg := &change{category: CategoryApplication, activity: "Update application", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteApplications, auth.Target{}, s.Time()); err != nil {
		return store.Application{}, err
	}
	a, err := s.application(ctx, ref)
	chg.targets = appTarget(a)
	if err != nil {
		return store.Application{}, err
	}
	a, err = s.Store.UpdateApplication(ctx, a.ID, func(a *store.Application) error {
		return applyApplication(a, in)
	})
	if err != nil {
		return store.Application{}, resourceErr(err, a.ID)
	}
	chg.targets = appTarget(a)
	return a, nil
}

// applyApplication applies in to a, or returns why it cannot.
func applyApplication(a *store.Application, in ApplicationInput) error {
	if in.DisplayName != nil {
		name := strings.TrimSpace(*in.DisplayName)
		if name == "" || len(name) > maxNameLen || !plainText(name) {
			return errAppDisplayName()
		}
		a.DisplayName = name
	}
	return ApplySignIn(&a.SignIn, in.SignIn)
}

func errAppDisplayName() error {
	return apperr.New(apperr.Invalid, "Request_BadRequest",
		"Invalid value specified for property 'displayName' of resource 'Application'.")
}

// ApplySignIn applies in to the registration si, as Entra checks it: each
// redirect URI must pass redirect.Validate for its kind, a list must not
// name a URI twice, the application may hold at most
// redirect.MaxPerApplication redirect URIs of all kinds together, and a
// logout URL must be one a web redirect URI could be. On an error (an
// apperr naming the property) si is left as it was.
func ApplySignIn(si *store.AppSignIn, in SignInInput) error {
	next := *si
	if in.WebHomePageURL != nil && *in.WebHomePageURL != "" {
		return errSignIn("web.homePageUrl", "qrpin does not keep a home page URL")
	}
	if (in.ImplicitIDTokens != nil && *in.ImplicitIDTokens) || (in.ImplicitAccessTokens != nil && *in.ImplicitAccessTokens) {
		return errSignIn("web.implicitGrantSettings",
			"qrpin does not offer the implicit grant; applications sign users in with the authorization code flow (and PKCE)")
	}
	for _, l := range []struct {
		kind redirect.Kind
		prop string
		in   *[]string
		dst  *[]string
	}{
		{redirect.Web, "web.redirectUris", in.WebRedirectURIs, &next.WebRedirectURIs},
		{redirect.SPA, "spa.redirectUris", in.SPARedirectURIs, &next.SPARedirectURIs},
		{redirect.Public, "publicClient.redirectUris", in.PublicRedirectURIs, &next.PublicRedirectURIs},
	} {
		if l.in == nil {
			continue
		}
		uris := *l.in
		if len(uris) > redirect.MaxPerApplication {
			return errTooManyURIs(len(uris))
		}
		for i, uri := range uris {
			if err := redirect.Validate(l.kind, uri); err != nil {
				return errSignIn(indexed(l.prop, i), err.Error())
			}
			if j := slices.Index(uris[:i], uri); j >= 0 {
				return errSignIn(indexed(l.prop, i), "a duplicate of "+indexed(l.prop, j))
			}
		}
		*l.dst = nil
		if len(uris) > 0 {
			*l.dst = slices.Clone(uris)
		}
	}
	if n := len(next.WebRedirectURIs) + len(next.SPARedirectURIs) + len(next.PublicRedirectURIs); n > redirect.MaxPerApplication {
		return errTooManyURIs(n)
	}
	if in.WebLogoutURL != nil {
		u := *in.WebLogoutURL
		if u != "" {
			if err := redirect.Validate(redirect.Web, u); err != nil {
				return errSignIn("web.logoutUrl", strings.ReplaceAll(err.Error(), "redirect URI", "logout URL"))
			}
		}
		next.WebLogoutURL = u
	}
	if in.BackchannelLogoutURL != nil {
		u := *in.BackchannelLogoutURL
		if u != "" {
			if err := redirect.Validate(redirect.Web, u); err != nil {
				return errSignIn("backchannelLogoutUri", strings.ReplaceAll(err.Error(), "redirect URI", "back-channel logout URI"))
			}
		}
		next.BackchannelLogoutURL = u
	}
	if in.FallbackPublicClient != nil {
		next.FallbackPublicClient = *in.FallbackPublicClient
	}
	*si = next
	return nil
}

// indexed names item i of the list property prop, as prop[i].
func indexed(prop string, i int) string {
	return prop + "[" + strconv.Itoa(i) + "]"
}

// errSignIn is Entra's refusal of a sign-in property, with the reason.
func errSignIn(prop, reason string) error {
	return apperr.New(apperr.Invalid, "Request_BadRequest",
		"Invalid value specified for property '%s' of resource 'Application': %s.", prop, reason)
}

func errTooManyURIs(n int) error {
	return apperr.New(apperr.Invalid, "Request_BadRequest",
		"Invalid value specified for properties 'web.redirectUris', 'spa.redirectUris' and 'publicClient.redirectUris' of resource 'Application': "+
			"an application may have at most %d redirect URIs of all kinds together, not %d.", redirect.MaxPerApplication, n)
}
