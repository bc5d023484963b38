package graph

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// OData type names of applications and service principals.
const (
	typeApplication = "#microsoft.graph.application"
	typePassword    = "#microsoft.graph.passwordCredential"
	typeSP          = "#microsoft.graph.servicePrincipal"
	typeAssignment  = "#microsoft.graph.appRoleAssignment"
)

// registerApplications adds the routes of applications, service
// principals and app role assignments. Both are addressed by object id or,
// in Graph's alternate-key form, by appId.
func (s *Server) registerApplications() {
	r := &s.routes
	r.add(http.MethodGet, "applications", s.listApplications)
	r.add(http.MethodPost, "applications", s.createApplication)
	for _, app := range []string{"applications/{app}", "applications(appId='{appId}')"} {
		r.add(http.MethodGet, app, s.getApplication)
		r.add(http.MethodPatch, app, s.updateApplication)
		r.add(http.MethodDelete, app, s.deleteApplication)
		r.add(http.MethodPost, app+"/addPassword", s.addPassword)
		r.add(http.MethodPost, app+"/removePassword", s.removePassword)
	}
	r.add(http.MethodGet, "servicePrincipals", s.listServicePrincipals)
	r.add(http.MethodPost, "servicePrincipals", s.createServicePrincipal)
	for _, sp := range []string{"servicePrincipals/{sp}", "servicePrincipals(appId='{spAppId}')"} {
		r.add(http.MethodGet, sp, s.getServicePrincipal)
		r.add(http.MethodGet, sp+"/appRoleAssignments", s.listAppRoleAssignments)
		r.add(http.MethodPost, sp+"/appRoleAssignments", s.grantAppRole)
		r.add(http.MethodDelete, sp+"/appRoleAssignments/{assignment}", s.revokeAppRole)
		r.add(http.MethodGet, sp+"/appRoleAssignedTo", s.listAppRoleAssignedTo)
		r.add(http.MethodPost, sp+"/appRoleAssignedTo", s.grantAppRoleAsResource)
		r.add(http.MethodDelete, sp+"/appRoleAssignedTo/{assignment}", s.revokeAppRoleAsResource)
	}
}

func (c *call) appRef() admin.AppRef {
	return admin.AppRef{ID: c.vars["app"], AppID: c.vars["appId"]}
}

func (c *call) spRef() admin.SPRef {
	return admin.SPRef{ID: c.vars["sp"], AppID: c.vars["spAppId"]}
}

type passwordJSON struct {
	Context             string    `json:"@odata.context,omitempty"`
	Type                string    `json:"@odata.type,omitempty"`
	CustomKeyIdentifier *string   `json:"customKeyIdentifier"`
	DisplayName         *string   `json:"displayName"`
	EndDateTime         graphTime `json:"endDateTime"`
	Hint                string    `json:"hint"`
	KeyID               string    `json:"keyId"`
	SecretText          *string   `json:"secretText"`
	StartDateTime       graphTime `json:"startDateTime"`
}

func toPassword(p store.Password, secret *string) passwordJSON {
	j := passwordJSON{EndDateTime: graphTime(p.End), Hint: p.Hint, KeyID: p.KeyID, SecretText: secret,
		StartDateTime: graphTime(p.Start)}
	if p.DisplayName != "" {
		j.DisplayName = &p.DisplayName
	}
	return j
}

type resourceAccessJSON struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type requiredResourceAccessJSON struct {
	ResourceAppID  string               `json:"resourceAppId"`
	ResourceAccess []resourceAccessJSON `json:"resourceAccess"`
}

type applicationJSON struct {
	Context                string                       `json:"@odata.context,omitempty"`
	Type                   string                       `json:"@odata.type"`
	ID                     string                       `json:"id"`
	DeletedDateTime        *string                      `json:"deletedDateTime"`
	AppID                  string                       `json:"appId"`
	DisplayName            string                       `json:"displayName"`
	CreatedDateTime        graphTime                    `json:"createdDateTime"`
	SignInAudience         string                       `json:"signInAudience"`
	IdentifierURIs         []string                     `json:"identifierUris"`
	KeyCredentials         []struct{}                   `json:"keyCredentials"`
	PasswordCredentials    []passwordJSON               `json:"passwordCredentials"`
	RequiredResourceAccess []requiredResourceAccessJSON `json:"requiredResourceAccess"`
	appSignInJSON
}

// toApplication shapes an application; secrets are never part of it.
// requiredResourceAccess lists the Microsoft Graph permissions granted.
func toApplication(a store.Application) *applicationJSON {
	j := &applicationJSON{Type: typeApplication, ID: a.ID, AppID: a.AppID, DisplayName: a.DisplayName,
		CreatedDateTime: graphTime(a.Created), SignInAudience: "AzureADMyOrg", IdentifierURIs: []string{},
		KeyCredentials: []struct{}{}, PasswordCredentials: []passwordJSON{}, RequiredResourceAccess: []requiredResourceAccessJSON{},
		appSignInJSON: toAppSignIn(a.SignIn)}
	for _, p := range a.Passwords {
		j.PasswordCredentials = append(j.PasswordCredentials, toPassword(p, nil))
	}
	if len(a.Grants) > 0 {
		ra := requiredResourceAccessJSON{ResourceAppID: auth.GraphAppID, ResourceAccess: []resourceAccessJSON{}}
		for _, g := range a.Grants {
			ra.ResourceAccess = append(ra.ResourceAccess, resourceAccessJSON{ID: g.AppRoleID, Type: "Role"})
		}
		j.RequiredResourceAccess = append(j.RequiredResourceAccess, ra)
	}
	return j
}

type appRoleJSON struct {
	ID                 string   `json:"id"`
	AllowedMemberTypes []string `json:"allowedMemberTypes"`
	Description        string   `json:"description"`
	DisplayName        string   `json:"displayName"`
	IsEnabled          bool     `json:"isEnabled"`
	Origin             string   `json:"origin"`
	Value              string   `json:"value"`
}

type servicePrincipalJSON struct {
	Context                string        `json:"@odata.context,omitempty"`
	Type                   string        `json:"@odata.type"`
	ID                     string        `json:"id"`
	DeletedDateTime        *string       `json:"deletedDateTime"`
	AccountEnabled         bool          `json:"accountEnabled"`
	AppID                  string        `json:"appId"`
	AppDisplayName         string        `json:"appDisplayName"`
	AppOwnerOrganizationID string        `json:"appOwnerOrganizationId"`
	DisplayName            string        `json:"displayName"`
	ServicePrincipalNames  []string      `json:"servicePrincipalNames"`
	ServicePrincipalType   string        `json:"servicePrincipalType"`
	SignInAudience         string        `json:"signInAudience"`
	AppRoles               []appRoleJSON `json:"appRoles"`
}

func toServicePrincipal(sp admin.ServicePrincipal) *servicePrincipalJSON {
	j := &servicePrincipalJSON{Type: typeSP, ID: sp.ID, AccountEnabled: true, AppID: sp.AppID, AppDisplayName: sp.DisplayName,
		AppOwnerOrganizationID: sp.AppOwnerOrganizationID, DisplayName: sp.DisplayName, ServicePrincipalNames: sp.Names,
		ServicePrincipalType: "Application", SignInAudience: "AzureADMyOrg", AppRoles: []appRoleJSON{}}
	if sp.ID == admin.GraphServicePrincipalID {
		j.SignInAudience = "AzureADMultipleOrgs"
	}
	for _, r := range sp.AppRoles {
		j.AppRoles = append(j.AppRoles, appRoleJSON{ID: r.ID, AllowedMemberTypes: []string{"Application"},
			Description: r.Description, DisplayName: r.DisplayName, IsEnabled: true, Origin: "Application", Value: r.Value})
	}
	return j
}

type assignmentJSON struct {
	Context              string    `json:"@odata.context,omitempty"`
	Type                 string    `json:"@odata.type"`
	ID                   string    `json:"id"`
	DeletedDateTime      *string   `json:"deletedDateTime"`
	AppRoleID            string    `json:"appRoleId"`
	CreatedDateTime      graphTime `json:"createdDateTime"`
	PrincipalDisplayName string    `json:"principalDisplayName"`
	PrincipalID          string    `json:"principalId"`
	PrincipalType        string    `json:"principalType"`
	ResourceDisplayName  string    `json:"resourceDisplayName"`
	ResourceID           string    `json:"resourceId"`
}

func toAssignment(a admin.AppRoleAssignment) *assignmentJSON {
	return &assignmentJSON{Type: typeAssignment, ID: a.ID, AppRoleID: a.AppRoleID, CreatedDateTime: graphTime(a.Created),
		PrincipalDisplayName: a.PrincipalDisplayName, PrincipalID: a.PrincipalID, PrincipalType: "ServicePrincipal",
		ResourceDisplayName: a.ResourceDisplayName, ResourceID: a.ResourceID}
}

func (s *Server) createApplication(c *call) (int, any, error) {
	var body applicationBody
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	a, err := s.Admin.RegisterApplication(c.r.Context(), c.p, body.input())
	if err != nil {
		return 0, nil, err
	}
	j := toApplication(a)
	j.Context = c.context("applications/$entity")
	return http.StatusCreated, j, nil
}

func (s *Server) getApplication(c *call) (int, any, error) {
	a, err := s.Admin.GetApplication(c.r.Context(), c.p, c.appRef())
	if err != nil {
		return 0, nil, err
	}
	j := toApplication(a)
	j.Context = c.context("applications/$entity")
	return http.StatusOK, j, nil
}

func (s *Server) updateApplication(c *call) (int, any, error) {
	var body applicationBody
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	_, err := s.Admin.UpdateApplication(c.r.Context(), c.p, c.appRef(), body.input())
	return http.StatusNoContent, nil, err
}

func (s *Server) listApplications(c *call) (int, any, error) {
	return listed(c, "applications", func(after string, top int) ([]store.Application, error) {
		return s.Admin.ListApplications(c.r.Context(), c.p, after, top)
	}, toApplication, func(a store.Application) string { return a.ID })
}

func (s *Server) deleteApplication(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.DeleteApplication(c.r.Context(), c.p, c.appRef())
}

func (s *Server) addPassword(c *call) (int, any, error) {
	var body struct {
		PasswordCredential struct {
			DisplayName   string  `json:"displayName"`
			StartDateTime *string `json:"startDateTime"`
			EndDateTime   *string `json:"endDateTime"`
		} `json:"passwordCredential"`
	}
	if err := c.decode(&body, true); err != nil {
		return 0, nil, err
	}
	in := admin.PasswordInput{DisplayName: body.PasswordCredential.DisplayName}
	var err error
	if in.Start, err = parseTime("startDateTime", body.PasswordCredential.StartDateTime); err != nil {
		return 0, nil, err
	}
	if in.End, err = parseTime("endDateTime", body.PasswordCredential.EndDateTime); err != nil {
		return 0, nil, err
	}
	pw, err := s.Admin.AddPassword(c.r.Context(), c.p, c.appRef(), in)
	if err != nil {
		return 0, nil, err
	}
	j := toPassword(pw.Password, &pw.Secret)
	j.Context = c.context("microsoft.graph.passwordCredential")
	return http.StatusOK, j, nil
}

func (s *Server) removePassword(c *call) (int, any, error) {
	var body struct {
		KeyID string `json:"keyId"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(body.KeyID) == "" {
		return 0, nil, apperr.New(apperr.Invalid, "Request_BadRequest", "Property 'keyId' is required.")
	}
	return http.StatusNoContent, nil, s.Admin.RemovePassword(c.r.Context(), c.p, c.appRef(), body.KeyID)
}

// appIDFilter matches the $filter service principal lists understand.
var appIDFilter = regexp.MustCompile(`(?i)^\s*appId\s+eq\s+'([^']*)'\s*$`)

func (s *Server) listServicePrincipals(c *call) (int, any, error) {
	after, top, err := c.page()
	if err != nil {
		return 0, nil, err
	}
	var f admin.ServicePrincipalFilter
	if v := c.r.URL.Query().Get("$filter"); v != "" {
		m := appIDFilter.FindStringSubmatch(v)
		if m == nil {
			return 0, nil, apperr.New(apperr.Invalid, "Request_UnsupportedQuery",
				"Unsupported query: the only $filter on servicePrincipals is appId eq '{appId}'.")
		}
		f.AppID = m[1]
	}
	sps, err := s.Admin.ListServicePrincipals(c.r.Context(), c.p, after, top, f)
	if err != nil {
		return 0, nil, err
	}
	key := func(sp admin.ServicePrincipal) string { return sp.PageKey }
	if f.AppID != "" {
		key = nil // at most one: no next page
	}
	return http.StatusOK, pageOf(c, "servicePrincipals", sps, toServicePrincipal, top, key), nil
}

func (s *Server) getServicePrincipal(c *call) (int, any, error) {
	sp, err := s.Admin.GetServicePrincipal(c.r.Context(), c.p, c.spRef())
	if err != nil {
		return 0, nil, err
	}
	j := toServicePrincipal(sp)
	j.Context = c.context("servicePrincipals/$entity")
	return http.StatusOK, j, nil
}

func (s *Server) createServicePrincipal(c *call) (int, any, error) {
	var body struct {
		AppID string `json:"appId"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	sp, err := s.Admin.CreateServicePrincipal(c.r.Context(), c.p, body.AppID)
	if err != nil {
		return 0, nil, err
	}
	j := toServicePrincipal(sp)
	j.Context = c.context("servicePrincipals/$entity")
	return http.StatusCreated, j, nil
}

func (s *Server) listAppRoleAssignments(c *call) (int, any, error) {
	as, err := s.Admin.ListAppRoleAssignments(c.r.Context(), c.p, c.spRef())
	return c.assignments(as, "appRoleAssignments", err)
}

func (s *Server) listAppRoleAssignedTo(c *call) (int, any, error) {
	as, err := s.Admin.ListAppRoleAssignedTo(c.r.Context(), c.p, c.spRef())
	return c.assignments(as, "appRoleAssignedTo", err)
}

// assignments answers a list of app role assignments of the service
// principal in the path, under its navigation property nav.
func (c *call) assignments(as []admin.AppRoleAssignment, nav string, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	out := collection[*assignmentJSON]{Context: c.context("servicePrincipals('%s')/%s", c.spKey(), nav), Value: []*assignmentJSON{}}
	for _, a := range as {
		out.Value = append(out.Value, toAssignment(a))
	}
	return http.StatusOK, out, nil
}

// spKey is the service principal key of the path, for @odata.context.
func (c *call) spKey() string {
	if id := c.vars["sp"]; id != "" {
		return id
	}
	return c.vars["spAppId"]
}

func (s *Server) grantAppRole(c *call) (int, any, error) {
	return s.grant(c, false, "appRoleAssignments")
}

func (s *Server) grantAppRoleAsResource(c *call) (int, any, error) {
	return s.grant(c, true, "appRoleAssignedTo")
}

func (s *Server) grant(c *call, asResource bool, nav string) (int, any, error) {
	var body struct {
		PrincipalID string `json:"principalId"`
		ResourceID  string `json:"resourceId"`
		AppRoleID   string `json:"appRoleId"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	a, err := s.Admin.GrantAppRole(c.r.Context(), c.p, c.spRef(), asResource, admin.GrantInput(body))
	if err != nil {
		return 0, nil, err
	}
	j := toAssignment(a)
	j.Context = c.context("servicePrincipals('%s')/%s/$entity", c.spKey(), nav)
	return http.StatusCreated, j, nil
}

func (s *Server) revokeAppRole(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.RevokeAppRole(c.r.Context(), c.p, c.spRef(), false, c.vars["assignment"])
}

func (s *Server) revokeAppRoleAsResource(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.RevokeAppRole(c.r.Context(), c.p, c.spRef(), true, c.vars["assignment"])
}
