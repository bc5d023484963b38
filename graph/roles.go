package graph

import (
	"net/http"
	"strings"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// Directory role paths (Graph's unified role management, directory provider).
const (
	roleDefinitions = "roleManagement/directory/roleDefinitions"
	roleAssignments = "roleManagement/directory/roleAssignments"
)

// OData type names of directory roles.
const (
	typeRoleDefinition = "#microsoft.graph.unifiedRoleDefinition"
	typeRoleAssignment = "#microsoft.graph.unifiedRoleAssignment"
)

// registerRoles adds the directory role routes.
func (s *Server) registerRoles(r *router) {
	r.add(http.MethodGet, roleDefinitions, s.listRoleDefinitions)
	r.add(http.MethodGet, roleDefinitions+"/{roleDefinition}", s.getRoleDefinition)
	r.add(http.MethodGet, roleAssignments, s.listRoleAssignments)
	r.add(http.MethodPost, roleAssignments, s.createRoleAssignment)
	r.add(http.MethodGet, roleAssignments+"/{roleAssignment}", s.getRoleAssignment)
	r.add(http.MethodDelete, roleAssignments+"/{roleAssignment}", s.deleteRoleAssignment)
}

type roleDefinitionJSON struct {
	Context         string   `json:"@odata.context,omitempty"`
	Type            string   `json:"@odata.type"`
	ID              string   `json:"id"`
	TemplateID      string   `json:"templateId"`
	DisplayName     string   `json:"displayName"`
	Description     string   `json:"description"`
	IsBuiltIn       bool     `json:"isBuiltIn"`
	IsEnabled       bool     `json:"isEnabled"`
	ResourceScopes  []string `json:"resourceScopes"`
	RolePermissions []any    `json:"rolePermissions"`
}

func toRoleDefinition(r auth.Role) *roleDefinitionJSON {
	return &roleDefinitionJSON{Type: typeRoleDefinition, ID: r.ID, TemplateID: r.ID, DisplayName: r.DisplayName,
		Description: r.Description, IsBuiltIn: true, IsEnabled: true,
		ResourceScopes: []string{admin.DirectoryScopeRoot}, RolePermissions: []any{}}
}

type roleAssignmentJSON struct {
	Context          string `json:"@odata.context,omitempty"`
	Type             string `json:"@odata.type"`
	ID               string `json:"id"`
	PrincipalID      string `json:"principalId"`
	RoleDefinitionID string `json:"roleDefinitionId"`
	DirectoryScopeID string `json:"directoryScopeId"`
}

func toRoleAssignment(a store.RoleAssignment) *roleAssignmentJSON {
	return &roleAssignmentJSON{Type: typeRoleAssignment, ID: a.ID, PrincipalID: a.PrincipalID,
		RoleDefinitionID: a.RoleDefinitionID, DirectoryScopeID: admin.DirectoryScope(a)}
}

func (s *Server) listRoleDefinitions(c *call) (int, any, error) {
	rs, err := s.Admin.ListRoleDefinitions(c.r.Context(), c.p)
	if err != nil {
		return 0, nil, err
	}
	out := collection[*roleDefinitionJSON]{Context: c.context(roleDefinitions), Value: []*roleDefinitionJSON{}}
	for _, r := range rs {
		out.Value = append(out.Value, toRoleDefinition(r))
	}
	return http.StatusOK, out, nil
}

func (s *Server) getRoleDefinition(c *call) (int, any, error) {
	r, err := s.Admin.GetRoleDefinition(c.r.Context(), c.p, c.vars["roleDefinition"])
	if err != nil {
		return 0, nil, err
	}
	j := toRoleDefinition(r)
	j.Context = c.context(roleDefinitions + "/$entity")
	return http.StatusOK, j, nil
}

func (s *Server) createRoleAssignment(c *call) (int, any, error) {
	var body struct {
		PrincipalID      *string `json:"principalId"`
		RoleDefinitionID *string `json:"roleDefinitionId"`
		DirectoryScopeID *string `json:"directoryScopeId"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	a, err := s.Admin.CreateRoleAssignment(c.r.Context(), c.p, admin.RoleAssignmentInput(body))
	if err != nil {
		return 0, nil, err
	}
	j := toRoleAssignment(a)
	j.Context = c.context(roleAssignments + "/$entity")
	return http.StatusCreated, j, nil
}

func (s *Server) listRoleAssignments(c *call) (int, any, error) {
	filter := c.r.URL.Query().Get("$filter")
	f, err := parseRoleAssignmentFilter(filter)
	if err != nil {
		return 0, nil, err
	}
	return listed(c, roleAssignments, func(after string, top int) ([]store.RoleAssignment, error) {
		return s.Admin.ListRoleAssignments(c.r.Context(), c.p, f, after, top)
	}, toRoleAssignment, func(a store.RoleAssignment) string { return a.ID })
}

func (s *Server) getRoleAssignment(c *call) (int, any, error) {
	a, err := s.Admin.GetRoleAssignment(c.r.Context(), c.p, c.vars["roleAssignment"])
	if err != nil {
		return 0, nil, err
	}
	j := toRoleAssignment(a)
	j.Context = c.context(roleAssignments + "/$entity")
	return http.StatusOK, j, nil
}

func (s *Server) deleteRoleAssignment(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.DeleteRoleAssignment(c.r.Context(), c.p, c.vars["roleAssignment"])
}

// parseRoleAssignmentFilter reads the $filter role assignment lists
// support: "principalId eq '...'", "roleDefinitionId eq '...'",
// "directoryScopeId eq '...'", or several of them joined by "and". Property names and operators are case-insensitive;
// a quote inside a value is doubled, as OData writes it.
func parseRoleAssignmentFilter(s string) (admin.RoleAssignmentFilter, error) {
	var f admin.RoleAssignmentFilter
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	unsupported := func(why string) error {
		return apperr.New(apperr.Invalid, "Request_UnsupportedQuery",
			"Unsupported $filter '%s': %s. Role assignments can be filtered by principalId eq '{id}', roleDefinitionId eq '{id}' and directoryScopeId eq '{scope}', joined by 'and'.", s, why)
	}
	rest := s
	for i := 0; ; i++ {
		var prop, op, val string
		var ok bool
		if prop, rest, ok = filterWord(rest); !ok {
			return f, unsupported("a property name is missing")
		}
		if op, rest, ok = filterWord(rest); !ok || !strings.EqualFold(op, "eq") {
			return f, unsupported("only the 'eq' operator is supported")
		}
		if val, rest, ok = filterString(rest); !ok {
			return f, unsupported("the value must be a string in single quotes")
		}
		var dst *string
		switch {
		case strings.EqualFold(prop, "principalId"):
			dst = &f.PrincipalID
		case strings.EqualFold(prop, "roleDefinitionId"):
			dst = &f.RoleDefinitionID
		case strings.EqualFold(prop, "directoryScopeId"):
			dst = &f.DirectoryScopeID
		default:
			return f, unsupported("filtering on '" + prop + "' is not supported")
		}
		if *dst != "" || val == "" {
			return f, unsupported("'" + prop + "' must be given once, with a value")
		}
		*dst = val
		if strings.TrimSpace(rest) == "" {
			return f, nil
		}
		var and string
		if and, rest, ok = filterWord(rest); !ok || !strings.EqualFold(and, "and") || i > 1 {
			return f, unsupported("only 'and' of principalId, roleDefinitionId and directoryScopeId is supported")
		}
	}
}

// filterWord returns the next space-delimited word of s and the rest.
func filterWord(s string) (word, rest string, ok bool) {
	s = strings.TrimLeft(s, " ")
	i := strings.IndexAny(s, " '")
	if i < 0 {
		i = len(s)
	}
	return s[:i], s[i:], i > 0
}

// filterString reads a single-quoted OData string literal, in which a
// doubled quote stands for one quote.
func filterString(s string) (val, rest string, ok bool) {
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, "'") {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		rest = s[i+1:]
		if rest != "" && rest[0] != ' ' {
			return "", s, false
		}
		return b.String(), rest, true
	}
	return "", s, false
}
