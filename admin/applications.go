package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// The built-in Microsoft Graph service principal: the resource whose app
// roles (application permissions) applications are granted. Its appId is
// Microsoft's; its object id is qrpin's own, the same on every server.
const (
	GraphServicePrincipalID   = "a1b2c3d4-0003-4000-8000-00000000c000"
	GraphDisplayName          = "Microsoft Graph"
	microsoftServicesTenantID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a" // appOwnerOrganizationId of Microsoft's first-party apps
)

// Client secret rules.
const (
	// SecretLength is the length of a generated client secret: 40
	// characters of [A-Za-z0-9], about 238 bits.
	SecretLength = 40
	// HintLength is how many leading characters of a secret are kept, to
	// tell secrets apart, as Entra's passwordCredential hint does.
	HintLength = 3
	// MaxPasswords is how many client secrets one application may hold.
	MaxPasswords = 20
	maxNameLen   = 256
)

// MaxSecretLifetime is the longest a client secret may be valid (from its
// startDateTime), and its validity when no endDateTime is given, as
// Graph's addPassword default.
const MaxSecretLifetime = 2 * 365 * 24 * time.Hour

// Reasons ClientCredentials refuses a client. The token endpoint turns each
// into its OAuth error; none says more than which of these it is.
var (
	ErrUnknownClient = errors.New("admin: no application with that client id")
	ErrInvalidSecret = errors.New("admin: the client secret does not match")
	ErrExpiredSecret = errors.New("admin: the client secret is expired or not yet valid")
)

// AppRef names an application by object id or, from
// /applications(appId='...'), by client id.
type AppRef struct {
	ID    string
	AppID string
}

// SPRef names a service principal by object id or, from
// /servicePrincipals(appId='...'), by its application's client id.
type SPRef struct {
	ID    string
	AppID string
}

// ServicePrincipal is an application's service principal, as Graph shows it.
type ServicePrincipal struct {
	ID                     string
	AppID                  string
	DisplayName            string
	AppOwnerOrganizationID string
	Names                  []string       // servicePrincipalNames
	AppRoles               []auth.AppRole // the permissions it defines (Microsoft Graph's)
	// PageKey places it in lists of service principals, which page in
	// application order after Microsoft Graph's: its application's object
	// id, or graphPageKey. The next page starts after the last PageKey.
	PageKey string
}

// graphPageKey is Microsoft Graph's PageKey: it sorts before every object
// id, and a page after it starts with the first application.
const graphPageKey = "-"

// AppRoleAssignment is one application permission granted to an
// application's service principal, as Graph shows it.
type AppRoleAssignment struct {
	ID                   string
	AppRoleID            string
	PrincipalID          string
	PrincipalDisplayName string
	ResourceID           string
	ResourceDisplayName  string
	Created              time.Time
}

// NewPassword is a client secret just added: its record and the secret,
// which is never shown again.
type NewPassword struct {
	store.Password
	Secret string
}

// PasswordInput is the passwordCredential of addPassword; zero fields were
// not sent.
type PasswordInput struct {
	DisplayName string
	Start, End  time.Time
}

// GrantInput is the body of an app role assignment.
type GrantInput struct {
	PrincipalID string
	ResourceID  string
	AppRoleID   string
}

// Local is the caller of local administration (the qrpin command line and
// the first start): an application holding every permission qrpin knows.
// Whoever can read the data directory can do everything anyway.
func Local(tenantID string) auth.Principal {
	p := auth.Principal{Kind: auth.Application, ObjectID: "local", AppID: "local", TenantID: tenantID}
	for _, r := range auth.AppRoles {
		p.Roles = append(p.Roles, r.Value)
	}
	return p
}

// graphSP is the built-in Microsoft Graph service principal.
func graphSP() ServicePrincipal {
	return ServicePrincipal{
		ID:                     GraphServicePrincipalID,
		AppID:                  auth.GraphAppID,
		DisplayName:            GraphDisplayName,
		AppOwnerOrganizationID: microsoftServicesTenantID,
		Names:                  []string{auth.GraphAppID, "https://graph.microsoft.com"},
		AppRoles:               auth.AppRoles,
		PageKey:                graphPageKey,
	}
}

// servicePrincipal is the service principal of a.
func (s *Service) servicePrincipal(a store.Application) ServicePrincipal {
	return ServicePrincipal{ID: a.ServicePrincipalID, AppID: a.AppID, DisplayName: a.DisplayName,
		AppOwnerOrganizationID: s.TenantID, Names: []string{a.AppID}, PageKey: a.ID}
}

// CreateApplication registers an application with its service principal
// (in Entra the service principal is created separately; here it comes with
// the application). It has no secret, no permission and no sign-in
// registration yet: RegisterApplication with a display name only.
func (s *Service) CreateApplication(ctx context.Context, p auth.Principal, displayName string) (store.Application, error) {
	return s.RegisterApplication(ctx, p, ApplicationInput{DisplayName: &displayName})
}

// GetApplication returns an application.
func (s *Service) GetApplication(ctx context.Context, p auth.Principal, ref AppRef) (store.Application, error) {
	if err := auth.Authorize(p, auth.ReadApplications, auth.Target{}, s.Time()); err != nil {
		return store.Application{}, err
	}
	return s.application(ctx, ref)
}

func (s *Service) application(ctx context.Context, ref AppRef) (store.Application, error) {
	var a store.Application
	var err error
	key := ref.ID
	if ref.AppID != "" {
		key = ref.AppID
		a, err = s.Store.GetApplicationByAppID(ctx, strings.ToLower(ref.AppID))
	} else {
		a, err = s.Store.GetApplication(ctx, strings.ToLower(ref.ID))
	}
	return a, resourceErr(err, key)
}

// ListApplications returns a page of applications ordered by id, after the
// given id.
func (s *Service) ListApplications(ctx context.Context, p auth.Principal, after string, limit int) ([]store.Application, error) {
	if err := auth.Authorize(p, auth.ReadApplications, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	return s.Store.ListApplications(ctx, after, limit)
}

// DeleteApplication deletes an application with its service principal,
// secrets and permissions. Its tokens stop working at once: Authenticate
// refuses them.
func (s *Service) DeleteApplication(ctx context.Context, p auth.Principal, ref AppRef) (err error) {
	chg := &change{category: CategoryApplication, activity: "Delete application", op: OpDelete}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteApplications, auth.Target{}, s.Time()); err != nil {
		return err
	}
	a, err := s.application(ctx, ref)
	chg.targets = appTarget(a)
	if err != nil {
		return err
	}
	// Forgotten after the deletion, and before it too: a check that read
	// the store before the deletion is not remembered (see appChecks.put).
	s.apps.forget(a.ServicePrincipalID)
	defer s.apps.forget(a.ServicePrincipalID)
	return resourceErr(s.Store.DeleteApplication(ctx, a.ID), a.ID)
}

// AddPassword adds a client secret to an application and returns it: the
// only time it is shown. Only its verifier is stored. The secret is valid
// from in.Start (now when zero) to in.End (MaxSecretLifetime later when
// zero), at most MaxSecretLifetime, and ends by method.MaxDate.
func (s *Service) AddPassword(ctx context.Context, p auth.Principal, ref AppRef, in PasswordInput) (_ NewPassword, err error) {
	chg := &change{category: CategoryApplication, activity: "Update application – Certificates and secrets management", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteApplications, auth.Target{}, s.Time()); err != nil {
		return NewPassword{}, err
	}
	a, err := s.application(ctx, ref)
	chg.targets = appTarget(a)
	if err != nil {
		return NewPassword{}, err
	}
	now := s.Time()
	start, end := in.Start, in.End
	if start.IsZero() {
		start = now
	}
	if end.IsZero() {
		end = start.Add(MaxSecretLifetime)
	}
	if err := method.CheckDate("endDateTime", end); err != nil {
		return NewPassword{}, err
	}
	name := strings.TrimSpace(in.DisplayName)
	switch {
	case len(name) > maxNameLen || !plainText(name):
		return NewPassword{}, apperr.New(apperr.Invalid, "Request_BadRequest",
			"Invalid value specified for property 'displayName' of resource 'PasswordCredential'.")
	case !end.After(start) || !end.After(now):
		return NewPassword{}, apperr.New(apperr.Invalid, "Request_BadRequest",
			"The passwordCredential's endDateTime must be later than its startDateTime and than now.")
	case end.Sub(start) > MaxSecretLifetime:
		return NewPassword{}, apperr.New(apperr.Invalid, "Request_BadRequest",
			"The passwordCredential's endDateTime may be at most %d days after its startDateTime.", int(MaxSecretLifetime/(24*time.Hour)))
	}
	secret, err := newSecret()
	if err != nil {
		return NewPassword{}, err
	}
	pw := store.Password{KeyID: newID(), DisplayName: name, Hint: secret[:HintLength], Start: start, End: end}
	pw.Verifier = s.secretVerifier(a.AppID, pw.KeyID, secret)
	_, err = s.Store.UpdateApplication(ctx, a.ID, func(a *store.Application) error {
		if len(a.Passwords) >= MaxPasswords {
			return apperr.New(apperr.Invalid, "Request_BadRequest",
				"The application already has %d client secrets, the most it may hold: remove one first.", MaxPasswords)
		}
		a.Passwords = append(a.Passwords, pw)
		return nil
	})
	if err := resourceErr(err, a.ID); err != nil {
		return NewPassword{}, err
	}
	return NewPassword{Password: pw, Secret: secret}, nil
}

// RemovePassword removes a client secret: it stops working at once.
func (s *Service) RemovePassword(ctx context.Context, p auth.Principal, ref AppRef, keyID string) (err error) {
	chg := &change{category: CategoryApplication, activity: "Update application – Certificates and secrets management", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.WriteApplications, auth.Target{}, s.Time()); err != nil {
		return err
	}
	a, err := s.application(ctx, ref)
	chg.targets = appTarget(a)
	if err != nil {
		return err
	}
	_, err = s.Store.UpdateApplication(ctx, a.ID, func(a *store.Application) error {
		i := slices.IndexFunc(a.Passwords, func(p store.Password) bool { return strings.EqualFold(p.KeyID, keyID) })
		if i < 0 {
			return apperr.New(apperr.Invalid, "Request_BadRequest", "No password credential with keyId '%s' was found on the application.", keyID)
		}
		a.Passwords = slices.Delete(a.Passwords, i, i+1)
		return nil
	})
	return resourceErr(err, a.ID)
}

// newSecret returns a random client secret of SecretLength characters from
// [A-Za-z0-9]: no character a shell, a form or a URL would mangle.
func newSecret() (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	const limit = 256 - 256%len(alphabet) // reject bytes above it: no bias
	out := make([]byte, 0, SecretLength)
	buf := make([]byte, 64)
	for len(out) < SecretLength {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < SecretLength {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// secretVerifier is what is stored for a client secret: HMAC-SHA256 keyed
// with the pepper over the secret, bound to its application and key id.
func (s *Service) secretVerifier(appID, keyID, secret string) []byte {
	m := hmac.New(sha256.New, s.Pepper)
	m.Write([]byte("qrpin client secret v1\x00" + appID + "\x00" + keyID + "\x00"))
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// ClientCredentials checks a client id and secret, as the token endpoint's
// client_credentials grant does, and returns the application's principal:
// its service principal, with the permissions granted to it as roles. It
// fails with ErrUnknownClient, ErrInvalidSecret or ErrExpiredSecret, or a
// store error. The client id is taken as it is, in any case: padded with
// white space it names no application. Every stored secret of the
// application is compared, in constant time.
func (s *Service) ClientCredentials(ctx context.Context, clientID, secret string) (auth.Principal, error) {
	a, err := s.Store.GetApplicationByAppID(ctx, strings.ToLower(clientID))
	if errors.Is(err, store.ErrNotFound) {
		return auth.Principal{}, ErrUnknownClient
	}
	if err != nil {
		return auth.Principal{}, err
	}
	return s.ApplicationCredentials(a, secret)
}

// ApplicationCredentials is ClientCredentials for an application its caller
// has just read from the store (the OpenID provider's code exchange, which
// reads the application for its redirect URIs): it fails with
// ErrInvalidSecret or ErrExpiredSecret.
func (s *Service) ApplicationCredentials(a store.Application, secret string) (auth.Principal, error) {
	match := -1
	for i, pw := range a.Passwords {
		if hmac.Equal(s.secretVerifier(a.AppID, pw.KeyID, secret), pw.Verifier) {
			match = i
		}
	}
	if match < 0 {
		return auth.Principal{}, ErrInvalidSecret
	}
	now := s.Time()
	if pw := a.Passwords[match]; now.Before(pw.Start) || !now.Before(pw.End) {
		return auth.Principal{}, ErrExpiredSecret
	}
	return auth.Principal{Kind: auth.Application, ObjectID: a.ServicePrincipalID, AppID: a.AppID,
		TenantID: s.TenantID, Roles: GrantedRoles(a)}, nil
}

// GrantedRoles returns the names of the Microsoft Graph permissions
// granted to a, sorted: the roles claim of its tokens.
func GrantedRoles(a store.Application) []string {
	var roles []string
	for _, g := range a.Grants {
		if r, ok := auth.AppRoleByID(g.AppRoleID); ok && g.ResourceID == GraphServicePrincipalID {
			roles = append(roles, r.Value)
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}

// authenticateApplication checks that the application an application token
// names still exists, with the client id the token names: deleting an
// application revokes its tokens (within AppCheckTTL).
func (s *Service) authenticateApplication(ctx context.Context, p auth.Principal) error {
	now := s.Time()
	appID, ok, gen := s.apps.get(p.ObjectID, now, s.AppCheckTTL)
	var err error
	if !ok {
		appID, err = s.Store.GetAppIDByServicePrincipal(ctx, p.ObjectID)
		if err == nil && s.AppCheckTTL > 0 {
			s.apps.put(p.ObjectID, appID, now, s.AppCheckTTL, gen)
		}
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && !strings.EqualFold(appID, p.AppID)) {
		return apperr.New(apperr.Unauthenticated, "InvalidAuthenticationToken",
			"The application named by the access token does not exist.")
	}
	return err
}

// ServicePrincipalFilter is the one $filter the service principal list
// understands: appId eq '...'.
type ServicePrincipalFilter struct {
	AppID string
}

// ListServicePrincipals returns a page of service principals: Microsoft
// Graph's first, then one for each application in application order, after
// the application with object id after. With a filter it returns the
// matching one, if any.
func (s *Service) ListServicePrincipals(ctx context.Context, p auth.Principal, after string, limit int, f ServicePrincipalFilter) ([]ServicePrincipal, error) {
	if err := auth.Authorize(p, auth.ReadApplications, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	if f.AppID != "" {
		sp, err := s.servicePrincipalByRef(ctx, SPRef{AppID: f.AppID})
		if ae, ok := apperr.As(err); ok && ae.Kind == apperr.NotFound {
			return []ServicePrincipal{}, nil
		}
		if err != nil {
			return nil, err
		}
		return []ServicePrincipal{sp}, nil
	}
	sps := []ServicePrincipal{}
	if after == "" {
		sps = append(sps, graphSP())
		if limit == 1 {
			return sps, nil
		}
	}
	n := limit
	if n > 0 && after == "" {
		n--
	}
	as, err := s.Store.ListApplications(ctx, after, n)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		sps = append(sps, s.servicePrincipal(a))
	}
	return sps, nil
}

// GetServicePrincipal returns a service principal.
func (s *Service) GetServicePrincipal(ctx context.Context, p auth.Principal, ref SPRef) (ServicePrincipal, error) {
	if err := auth.Authorize(p, auth.ReadApplications, auth.Target{}, s.Time()); err != nil {
		return ServicePrincipal{}, err
	}
	return s.servicePrincipalByRef(ctx, ref)
}

// CreateServicePrincipal returns the service principal of the application
// with client id appID: qrpin creates it with the application, so this
// only finds it (and lets scripts written for Entra, which create it
// separately, run unchanged).
func (s *Service) CreateServicePrincipal(ctx context.Context, p auth.Principal, appID string) (ServicePrincipal, error) {
	if err := auth.Authorize(p, auth.WriteApplications, auth.Target{}, s.Time()); err != nil {
		return ServicePrincipal{}, err
	}
	if strings.TrimSpace(appID) == "" {
		return ServicePrincipal{}, apperr.New(apperr.Invalid, "Request_BadRequest",
			"Property 'appId' is required to create a service principal.")
	}
	sp, err := s.servicePrincipalByRef(ctx, SPRef{AppID: appID})
	if ae, ok := apperr.As(err); ok && ae.Kind == apperr.NotFound {
		return sp, apperr.New(apperr.Invalid, "Request_BadRequest",
			"The appId '%s' of the service principal does not reference a valid application object.", appID)
	}
	return sp, err
}

// servicePrincipalByRef finds a service principal, Microsoft Graph's included.
func (s *Service) servicePrincipalByRef(ctx context.Context, ref SPRef) (ServicePrincipal, error) {
	sp, _, err := s.resolveSP(ctx, ref)
	return sp, err
}

// resolveSP finds a service principal and, unless it is Microsoft Graph's,
// its application.
func (s *Service) resolveSP(ctx context.Context, ref SPRef) (ServicePrincipal, *store.Application, error) {
	key := strings.ToLower(strings.TrimSpace(ref.ID))
	if ref.AppID != "" {
		key = strings.ToLower(strings.TrimSpace(ref.AppID))
		if key == auth.GraphAppID {
			return graphSP(), nil, nil
		}
	} else if key == GraphServicePrincipalID {
		return graphSP(), nil, nil
	}
	var a store.Application
	var err error
	if ref.AppID != "" {
		a, err = s.Store.GetApplicationByAppID(ctx, key)
	} else {
		a, err = s.Store.GetApplicationByServicePrincipal(ctx, key)
	}
	if err != nil {
		return ServicePrincipal{}, nil, resourceErr(err, key)
	}
	return s.servicePrincipal(a), &a, nil
}

// ListAppRoleAssignments lists the permissions granted to a service
// principal (none for Microsoft Graph's).
func (s *Service) ListAppRoleAssignments(ctx context.Context, p auth.Principal, ref SPRef) ([]AppRoleAssignment, error) {
	if err := auth.Authorize(p, auth.ReadApplications, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	_, a, err := s.resolveSP(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := []AppRoleAssignment{}
	if a != nil {
		for _, g := range a.Grants {
			out = append(out, assignment(*a, g))
		}
	}
	return out, nil
}

// ListAppRoleAssignedTo lists the permissions a resource service principal
// has granted: for Microsoft Graph's, every grant of every application.
func (s *Service) ListAppRoleAssignedTo(ctx context.Context, p auth.Principal, ref SPRef) ([]AppRoleAssignment, error) {
	if err := auth.Authorize(p, auth.ReadApplications, auth.Target{}, s.Time()); err != nil {
		return nil, err
	}
	sp, _, err := s.resolveSP(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := []AppRoleAssignment{}
	if sp.ID != GraphServicePrincipalID {
		return out, nil
	}
	as, err := s.Store.ListApplications(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		for _, g := range a.Grants {
			out = append(out, assignment(a, g))
		}
	}
	return out, nil
}

func assignment(a store.Application, g store.Grant) AppRoleAssignment {
	return AppRoleAssignment{ID: g.ID, AppRoleID: g.AppRoleID, PrincipalID: a.ServicePrincipalID,
		PrincipalDisplayName: a.DisplayName, ResourceID: g.ResourceID, ResourceDisplayName: GraphDisplayName,
		Created: g.Created}
}

// GrantAppRole grants an application permission: an app role of Microsoft
// Graph's service principal to an application's service principal. ref is
// the service principal the request's path names: the principal (POST
// .../appRoleAssignments) or, when asResource, the resource (POST
// .../appRoleAssignedTo). An unknown resource or app role, or a permission
// already granted, is 400, as in Graph.
func (s *Service) GrantAppRole(ctx context.Context, p auth.Principal, ref SPRef, asResource bool, in GrantInput) (_ AppRoleAssignment, err error) {
	chg := &change{category: CategoryApplication, activity: "Add app role assignment to service principal", op: OpAssign}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.GrantAppRoles, auth.Target{}, s.Time()); err != nil {
		return AppRoleAssignment{}, err
	}
	pathSP, _, err := s.resolveSP(ctx, ref)
	if err != nil {
		return AppRoleAssignment{}, err
	}
	principalID := strings.ToLower(strings.TrimSpace(in.PrincipalID))
	resourceID := strings.ToLower(strings.TrimSpace(in.ResourceID))
	appRoleID := strings.ToLower(strings.TrimSpace(in.AppRoleID))
	bad := func(format string, args ...any) (AppRoleAssignment, error) {
		return AppRoleAssignment{}, apperr.New(apperr.Invalid, "Request_BadRequest", format, args...)
	}
	switch {
	case principalID == "" || resourceID == "" || appRoleID == "":
		return bad("Properties principalId, resourceId and appRoleId are required to create an appRoleAssignment.")
	case !asResource && principalID != pathSP.ID:
		return bad("The principalId '%s' must be the service principal '%s' the request is made on.", in.PrincipalID, pathSP.ID)
	case asResource && resourceID != pathSP.ID:
		return bad("The resourceId '%s' must be the service principal '%s' the request is made on.", in.ResourceID, pathSP.ID)
	case resourceID != GraphServicePrincipalID:
		return bad("The resource '%s' does not exist or defines no app roles: the only resource is Microsoft Graph ('%s').",
			in.ResourceID, GraphServicePrincipalID)
	}
	role, ok := auth.AppRoleByID(appRoleID)
	if !ok {
		return bad("Permission being assigned was not found on application '%s': the appRoleId '%s' is not an app role of Microsoft Graph.",
			auth.GraphAppID, in.AppRoleID)
	}
	_, a, err := s.resolveSP(ctx, SPRef{ID: principalID})
	if err != nil {
		return AppRoleAssignment{}, err
	}
	if a == nil {
		return bad("Microsoft Graph's service principal cannot be granted permissions.")
	}
	g := store.Grant{ID: newID(), AppRoleID: role.ID, ResourceID: GraphServicePrincipalID, Created: s.Time()}
	updated, err := s.Store.UpdateApplication(ctx, a.ID, func(a *store.Application) error {
		if slices.ContainsFunc(a.Grants, func(x store.Grant) bool { return x.AppRoleID == g.AppRoleID && x.ResourceID == g.ResourceID }) {
			return apperr.New(apperr.Invalid, "Request_BadRequest", "Permission being assigned already exists on the object.")
		}
		a.Grants = append(a.Grants, g)
		return nil
	})
	if err := resourceErr(err, principalID); err != nil {
		return AppRoleAssignment{}, err
	}
	chg.targets = appTarget(updated)
	return assignment(updated, g), nil
}

// RevokeAppRole deletes an app role assignment, by id, of the service
// principal ref names: its principal or, when asResource, its resource.
// The permission leaves the application's next tokens; tokens issued before
// keep it until they expire, as in Entra.
func (s *Service) RevokeAppRole(ctx context.Context, p auth.Principal, ref SPRef, asResource bool, assignmentID string) (err error) {
	chg := &change{category: CategoryApplication, activity: "Remove app role assignment from service principal", op: OpUnassign}
	defer s.audit(ctx, p, &err, chg)
	if err := auth.Authorize(p, auth.GrantAppRoles, auth.Target{}, s.Time()); err != nil {
		return err
	}
	sp, a, err := s.resolveSP(ctx, ref)
	if err != nil {
		return err
	}
	id := strings.ToLower(strings.TrimSpace(assignmentID))
	if asResource && sp.ID == GraphServicePrincipalID {
		as, err := s.Store.ListApplications(ctx, "", 0)
		if err != nil {
			return err
		}
		a = nil
		for i := range as {
			if slices.ContainsFunc(as[i].Grants, func(g store.Grant) bool { return g.ID == id }) {
				a = &as[i]
			}
		}
	} else if asResource {
		a = nil // an application's service principal is no resource
	}
	if a == nil {
		return errResourceNotFound(assignmentID)
	}
	chg.targets = appTarget(*a)
	_, err = s.Store.UpdateApplication(ctx, a.ID, func(a *store.Application) error {
		i := slices.IndexFunc(a.Grants, func(g store.Grant) bool { return g.ID == id })
		if i < 0 {
			return errResourceNotFound(assignmentID)
		}
		a.Grants = slices.Delete(a.Grants, i, i+1)
		return nil
	})
	return resourceErr(err, assignmentID)
}
