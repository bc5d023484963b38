package admin

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// StaffAppID is the client id of the staff page (package staff), the
// first-party application through which managers sign in to it with the
// OpenID provider, as Entra's My Staff is a first-party application of
// Microsoft's. It is the same in every tenant; EnsureStaffApplication
// registers it.
const StaffAppID = "2d1bc404-d02d-4839-a151-74c8cd16ffb0"

// StaffAppName is the staff page application's display name, which the
// sign-in logs and the sign-in page show.
const StaffAppName = "qrpin My Staff"

// StaffScopes are the delegated permissions of a manager on the staff
// page: the QR code + PIN method of the users their directory roles reach
// (the roles decide who: the permission alone manages nobody).
var StaffScopes = []string{"UserAuthMethod-QR.ReadWrite.All"}

// EnsureStaffApplication registers the staff page's application when no
// application has its client id yet: a public client (PKCE, no secret)
// whose redirect URI is callback, and whose logout URL (where the OpenID
// provider sends a browser back after a sign-out) is signedOut. When it
// exists, the two URLs are added to it if missing (a server reached at
// another public URL), and nothing else changes. Processes that start at
// once on one store each try; the store's unique client id keeps one.
func (s *Service) EnsureStaffApplication(ctx context.Context, callback, signedOut string) (store.Application, error) {
	a, err := s.Store.GetApplicationByAppID(ctx, StaffAppID)
	if errors.Is(err, store.ErrNotFound) {
		a = store.Application{ID: newID(), AppID: StaffAppID, ServicePrincipalID: newID(), DisplayName: StaffAppName,
			Created: s.Time(), SignIn: store.AppSignIn{PublicRedirectURIs: []string{callback}, WebLogoutURL: signedOut}}
		err = s.Store.CreateApplication(ctx, a)
		if !errors.Is(err, store.ErrConflict) {
			return a, err
		}
		a, err = s.Store.GetApplicationByAppID(ctx, StaffAppID)
	}
	if err != nil {
		return store.Application{}, err
	}
	if slices.Contains(a.SignIn.PublicRedirectURIs, callback) && a.SignIn.WebLogoutURL == signedOut {
		return a, nil
	}
	return s.Store.UpdateApplication(ctx, a.ID, func(a *store.Application) error {
		if !slices.Contains(a.SignIn.PublicRedirectURIs, callback) {
			a.SignIn.PublicRedirectURIs = append(a.SignIn.PublicRedirectURIs, callback)
		}
		a.SignIn.WebLogoutURL = signedOut
		return nil
	})
}

// StaffPrincipal returns the manager a staff page session names as a
// delegated caller of this service: the user (who must still exist and be
// enabled), through the staff application, with StaffScopes, their
// directory roles over the tenant as they are now (a token's wids), their
// roles over administrative units, and authTime, when they last signed in
// with badge and PIN. It is read on every request, so a role removed or a
// user disabled takes effect at once; a method created or a PIN set since
// authTime (method.ChangedSince) is InvalidAuthenticationToken, as for a
// disabled user: the session must end.
func (s *Service) StaffPrincipal(ctx context.Context, userID string, authTime time.Time) (auth.Principal, error) {
	u, err := s.Store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || err == nil && !u.AccountEnabled {
		return auth.Principal{}, apperr.New(apperr.Unauthenticated, "InvalidAuthenticationToken",
			"The signed-in user does not exist or is disabled.")
	}
	if err != nil {
		return auth.Principal{}, err
	}
	// A reset PIN or a new method ends the sessions its old sign-ins opened,
	// as it ends refresh tokens (a stolen badge and PIN stop at the reset).
	m, err := s.Store.GetMethod(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) || err == nil && m.ChangedSince(authTime) {
		return auth.Principal{}, apperr.New(apperr.Unauthenticated, "InvalidAuthenticationToken",
			"The signed-in user's QR code + PIN method changed after the sign-in: sign in again.")
	}
	if err != nil {
		return auth.Principal{}, err
	}
	tenant, scoped, err := s.roles(ctx, u.ID)
	if err != nil {
		return auth.Principal{}, err
	}
	if scoped == nil {
		scoped = []auth.ScopedRole{} // read: none (nil would be read again)
	}
	return auth.Principal{
		Kind:           auth.Delegated,
		ObjectID:       u.ID,
		AppID:          StaffAppID,
		TenantID:       s.TenantID,
		UPN:            u.UPN,
		Scopes:         slices.Clone(StaffScopes),
		DirectoryRoles: tenant,
		AuthTime:       authTime,
		ScopedRoles:    scoped,
	}, nil
}
