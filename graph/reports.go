package graph

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
)

// The authentication methods reports (issue 13, item 4).
const reportsRoot = "reports/authenticationMethods"

// qrMethodName is the QR code + PIN method's name in the reports'
// methodsRegistered and userRegistrationMethodCounts, as beta's
// usageAuthMethod names it.
const qrMethodName = "qrCode"

func (s *Server) registerReports(r *router) {
	r.add(http.MethodGet, reportsRoot+"/userRegistrationDetails", s.listRegistrations)
	r.add(http.MethodGet, reportsRoot+"/userRegistrationDetails/{id}", s.getRegistration)
	for _, p := range []string{"usersRegisteredByMethod", "usersRegisteredByMethod()", "usersRegisteredByMethod({args})"} {
		r.add(http.MethodGet, reportsRoot+"/"+p, s.usersRegisteredByMethod)
	}
}

// registrationJSON is Graph's userRegistrationDetails. qrpin serves one
// method, a single factor: nobody is registered for or capable of MFA,
// SSPR or passwordless sign-in.
type registrationJSON struct {
	Context                string    `json:"@odata.context,omitempty"`
	ID                     string    `json:"id"`
	UPN                    string    `json:"userPrincipalName"`
	DisplayName            string    `json:"userDisplayName"`
	UserType               string    `json:"userType"`
	IsAdmin                bool      `json:"isAdmin"`
	IsSsprRegistered       bool      `json:"isSsprRegistered"`
	IsSsprEnabled          bool      `json:"isSsprEnabled"`
	IsSsprCapable          bool      `json:"isSsprCapable"`
	IsMfaRegistered        bool      `json:"isMfaRegistered"`
	IsMfaCapable           bool      `json:"isMfaCapable"`
	IsPasswordlessCapable  bool      `json:"isPasswordlessCapable"`
	IsSystemPreferred      bool      `json:"isSystemPreferredAuthenticationMethodEnabled"`
	LastUpdated            graphTime `json:"lastUpdatedDateTime"`
	MethodsRegistered      []string  `json:"methodsRegistered"`
	SystemPreferredMethods []string  `json:"systemPreferredAuthenticationMethods"`
	PreferredSecondary     string    `json:"userPreferredMethodForSecondaryAuthentication"`
}

func toRegistration(r admin.Registration) *registrationJSON {
	j := &registrationJSON{ID: r.User.ID, UPN: r.User.UPN, DisplayName: r.User.DisplayName, UserType: "member",
		IsAdmin: r.IsAdmin, LastUpdated: graphTime(r.LastUpdated), MethodsRegistered: []string{},
		SystemPreferredMethods: []string{}, PreferredSecondary: "none"}
	if r.HasMethod {
		j.MethodsRegistered = []string{qrMethodName}
	}
	return j
}

func (s *Server) listRegistrations(c *call) (int, any, error) {
	f, err := parseRegistrationFilter(c.r.URL.Query().Get("$filter"))
	if err != nil {
		return 0, nil, err
	}
	after, top, err := c.page()
	if err != nil {
		return 0, nil, err
	}
	rs, next, err := s.Admin.ListRegistrations(c.r.Context(), c.p, f, after, top)
	if err != nil {
		return 0, nil, err
	}
	out := pageOf(c, reportsRoot+"/userRegistrationDetails", rs, toRegistration, top, nil)
	if next != "" {
		out.NextLink = c.nextLink(top, top, next)
	}
	return http.StatusOK, out, nil
}

// getRegistration is GET userRegistrationDetails/{id}: one user's entry.
func (s *Server) getRegistration(c *call) (int, any, error) {
	r, err := s.Admin.GetRegistration(c.r.Context(), c.p, c.vars["id"])
	if err != nil {
		return 0, nil, err
	}
	j := toRegistration(r)
	j.Context = c.context(reportsRoot + "/userRegistrationDetails/$entity")
	return http.StatusOK, j, nil
}

type methodCountJSON struct {
	Method    string `json:"authenticationMethod"`
	UserCount int    `json:"userCount"`
}

type registeredByMethodJSON struct {
	Context      string            `json:"@odata.context"`
	TotalUsers   int               `json:"totalUserCount"`
	MethodCounts []methodCountJSON `json:"userRegistrationMethodCounts"`
	UserTypes    string            `json:"userTypes"`
	UserRoles    string            `json:"userRoles"`
}

// usersRegisteredByMethod is Graph's function of that name. Its
// includedUserTypes may be all or member (every qrpin user is a member)
// and guest (none is); includedUserRoles only all: qrpin does not split
// the counts by role.
func (s *Server) usersRegisteredByMethod(c *call) (int, any, error) {
	types, roles, err := registeredByMethodArgs(c.vars["args"])
	if err != nil {
		return 0, nil, err
	}
	n, err := s.Admin.CountRegistrations(c.r.Context(), c.p)
	if err != nil {
		return 0, nil, err
	}
	if types == "guest" {
		n = admin.RegisteredByMethod{}
	}
	return http.StatusOK, &registeredByMethodJSON{
		Context:      c.context("microsoft.graph.userRegistrationMethodSummary"),
		TotalUsers:   n.Users,
		MethodCounts: []methodCountJSON{{Method: qrMethodName, UserCount: n.WithMethod}},
		UserTypes:    types, UserRoles: roles,
	}, nil
}

var funcArg = regexp.MustCompile(`^\s*(\w+)\s*=\s*'([^']*)'\s*$`)

// registeredByMethodArgs reads "includedUserTypes='all',includedUserRoles='all'".
func registeredByMethodArgs(args string) (types, roles string, err error) {
	types, roles = "all", "all"
	if strings.TrimSpace(args) == "" {
		return types, roles, nil
	}
	for _, a := range strings.Split(args, ",") {
		m := funcArg.FindStringSubmatch(a)
		switch {
		case m == nil:
			return "", "", apperr.BadRequest("Invalid function argument %q: write includedUserTypes='all' or includedUserRoles='all'.", a)
		case strings.EqualFold(m[1], "includedUserTypes"):
			types = strings.ToLower(m[2])
			if types != "all" && types != "member" && types != "guest" {
				return "", "", apperr.BadRequest("includedUserTypes must be 'all', 'member' or 'guest'.")
			}
		case strings.EqualFold(m[1], "includedUserRoles"):
			roles = strings.ToLower(m[2])
			if roles != "all" {
				return "", "", apperr.New(apperr.Invalid, "Request_UnsupportedQuery",
					"includedUserRoles '%s' is not supported: qrpin counts all users ('all').", m[2])
			}
		default:
			return "", "", apperr.BadRequest("Unknown function argument '%s'.", m[1])
		}
	}
	return types, roles, nil
}

// maxFilter bounds the $filter a report reads.
const maxFilter = 1000

var (
	clauseStrEq      = regexp.MustCompile(`(?i)^(\w+)\s+eq\s+'((?:[^']|'')*)'$`)
	clauseStartsWith = regexp.MustCompile(`(?i)^startswith\(\s*(\w+)\s*,\s*'((?:[^']|'')*)'\s*\)$`)
	clauseBoolEq     = regexp.MustCompile(`(?i)^(\w+)\s+eq\s+(true|false)$`)
	clauseAny        = regexp.MustCompile(`(?i)^methodsRegistered/any\(\s*(\w+)\s*:\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*\)$`)
)

// parseRegistrationFilter reads userRegistrationDetails' $filter: clauses
// joined by "and", each userPrincipalName or userDisplayName eq or
// startsWith a string, id eq a string, isAdmin (or another of the
// is... flags) eq true or false, or methodsRegistered/any(m: m eq '...').
func parseRegistrationFilter(s string) (admin.RegistrationFilter, error) {
	var f admin.RegistrationFilter
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	unsupported := func(why string) error {
		return apperr.New(apperr.Invalid, "Request_UnsupportedQuery",
			"Unsupported $filter: %s. userRegistrationDetails can be filtered by userPrincipalName and userDisplayName (eq, startsWith), "+
				"id (eq), isAdmin and the other is... properties (eq true or false) and methodsRegistered/any(m: m eq '%s'), joined by 'and'.",
			why, qrMethodName)
	}
	if len(s) > maxFilter {
		return f, unsupported("it is longer than 1000 characters")
	}
	for _, clause := range splitAnd(s) {
		clause = strings.TrimSpace(clause)
		if m := clauseAny.FindStringSubmatch(clause); m != nil {
			if !strings.EqualFold(m[1], m[2]) {
				return f, unsupported("the lambda must compare its own variable")
			}
			if strings.EqualFold(unquote(m[3]), qrMethodName) {
				t := true
				f.HasMethod = &t
			} else {
				f.NoneMatches = true // qrpin registers no other method
			}
			continue
		}
		if m := clauseStrEq.FindStringSubmatch(clause); m != nil {
			v := unquote(m[2])
			switch strings.ToLower(m[1]) {
			case "userprincipalname":
				f.UPN = v
			case "userdisplayname":
				f.Name = v
			case "id":
				f.ID = v
			default:
				return f, unsupported("'" + m[1] + "' cannot be compared with a string")
			}
			continue
		}
		if m := clauseStartsWith.FindStringSubmatch(clause); m != nil {
			v := unquote(m[2])
			switch strings.ToLower(m[1]) {
			case "userprincipalname":
				f.UPNPrefix = v
			case "userdisplayname":
				f.NamePrefix = v
			default:
				return f, unsupported("startsWith is not supported on '" + m[1] + "'")
			}
			continue
		}
		if m := clauseBoolEq.FindStringSubmatch(clause); m != nil {
			want := strings.EqualFold(m[2], "true")
			switch strings.ToLower(m[1]) {
			case "isadmin":
				f.IsAdmin = &want
			case "ismfaregistered", "ismfacapable", "isssprregistered", "isssprenabled", "isssprcapable",
				"ispasswordlesscapable", "issystempreferredauthenticationmethodenabled":
				f.NoneMatches = f.NoneMatches || want // always false here
			default:
				return f, unsupported("'" + m[1] + "' is not a Boolean property")
			}
			continue
		}
		return f, unsupported("'" + clause + "' is not a clause it supports")
	}
	return f, nil
}

// splitAnd splits a filter at the " and " outside single-quoted strings.
func splitAnd(s string) []string {
	var out []string
	inQuote, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			inQuote = !inQuote // a doubled quote toggles twice
		case !inQuote && i+5 <= len(s) && strings.EqualFold(s[i:i+5], " and "):
			out = append(out, s[start:i])
			start = i + 5
			i += 4
		}
	}
	return append(out, s[start:])
}

func unquote(s string) string { return strings.ReplaceAll(s, "''", "'") }
