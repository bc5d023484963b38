package signin

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/store"
)

// Authorizations is the OpenID provider as the sign-in page sees it: the
// authorization request a worker signs in for.
type Authorizations interface {
	// Pending describes the request: the application's display name and,
	// when the request names one (login_hint), the user it is for.
	// An unknown, expired or completed request is an apperr NotFound-kind
	// error (see apperr/).
	Pending(ctx context.Context, requestID string) (Pending, error)
	// Complete records that user (as the sign-in has just read them)
	// signed in at authTime for the request and returns the URL the
	// browser goes to next (the provider's callback, which redirects to
	// the application with its code).
	Complete(ctx context.Context, requestID string, user store.User, authTime time.Time) (string, error)
}

// Pending is an authorization request waiting for a worker.
type Pending struct {
	AppName string
	UserID  string // login_hint resolved to a user ("" when none; a hint naming no user: the request still shows, but no badge matches)
	UPN     string
	// AppID is the application's client id, for the sign-in logs (added
	// by the sign-in page: store.SignInLog names the application by id
	// and name).
	AppID string
	// Resource and Flow are, for the sign-in logs, the resource the
	// application asks a token for (its display name: "Microsoft Graph",
	// or the application's own) and the provider's flow
	// ("authorizationCode", "deviceCode").
	Resource, Flow string
}

// hinted reports whether the request names the user it is for (a login
// hint, resolved to a user or not).
func (p Pending) hinted() bool { return p.UserID != "" || p.UPN != "" }

// StageRedirect is the answer of a last step in an authorization request's
// context: the browser goes to Step.Location.
const StageRedirect = "redirect"

// MaxRequestIDLen bounds an authorization request id.
const MaxRequestIDLen = 128

// CodeAuthRequest is the sign-in log code of a step whose authorization
// request is gone (expired or completed meanwhile); our own number.
const CodeAuthRequest = 50000 + 1253

// codeUnknownRequest is the error code of an authorization request that is
// unknown, expired or completed.
const codeUnknownRequest = "authRequestNotFound"

func errUnknownRequest() error {
	return apperr.New(apperr.NotFound, codeUnknownRequest,
		"This sign-in request is unknown or has expired. Go back to the application and sign in again.")
}

// errOtherUser refuses a badge that is not the badge of the user the
// request is for (upn, "" when the hint named no user). It names the
// expected user only, never the badge's.
func errOtherUser(upn string) error {
	if upn == "" {
		return apperr.New(apperr.Invalid, "unexpectedUser", "This is not the badge of the user this sign-in is for.")
	}
	return apperr.New(apperr.Invalid, "unexpectedUser", "This is not the badge of %s.", upn)
}

// unknownRequest reports whether err is errUnknownRequest's.
func unknownRequest(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == codeUnknownRequest
}

// requestIDShaped reports whether id could be an authorization request id:
// 1 to MaxRequestIDLen characters of [A-Za-z0-9_-]. Nothing else is looked
// up.
func requestIDShaped(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Pending describes the authorization request requestID for the sign-in
// page. A malformed id (see MaxRequestIDLen), an unknown, expired or
// completed request, or a service with no Authorizations is the
// authRequestNotFound error (NotFound); a malformed id is not looked up.
func (s *Service) Pending(ctx context.Context, requestID string) (Pending, error) {
	if s.Authorizations == nil || !requestIDShaped(requestID) {
		return Pending{}, errUnknownRequest()
	}
	p, err := s.Authorizations.Pending(ctx, requestID)
	if gone(err) {
		return Pending{}, errUnknownRequest()
	}
	return p, err
}

// gone reports whether err, from Authorizations, is a NotFound-kind error:
// the request is unknown, expired or completed.
func gone(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.NotFound
}

// complete completes the authorization request for u at now and returns
// where the browser goes next.
func (s *Service) complete(ctx context.Context, requestID string, u store.User, now time.Time) (string, error) {
	if s.Authorizations == nil {
		return "", errUnknownRequest()
	}
	loc, err := s.Authorizations.Complete(ctx, requestID, u, now)
	if gone(err) {
		return "", errUnknownRequest()
	}
	if err != nil {
		return "", err
	}
	if !navigable(loc) {
		return "", fmt.Errorf("signin: the provider's next URL for a request is not an http(s) URL or a path")
	}
	return loc, nil
}

// navigable reports whether loc is somewhere the page may send the browser:
// an absolute http or https URL without userinfo, or a path on this host.
// It keeps a script (javascript:) or a protocol-relative URL from a faulty
// provider out of location.replace.
func navigable(loc string) bool {
	u, err := url.Parse(loc)
	if err != nil || u.User != nil || strings.ContainsAny(loc, "\\\x00\r\n\t") {
		return false
	}
	switch u.Scheme {
	case "http", "https":
		return u.Host != ""
	case "":
		return u.Host == "" && strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//")
	}
	return false
}
