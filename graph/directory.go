package graph

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/store"
)

// defaultPageSize is the page size of a list without $top.
const defaultPageSize = 100

// page reads $top and $skiptoken. The skip token is opaque to clients: the
// last id of the previous page.
func (c *call) page() (after string, top int, err error) {
	q := c.r.URL.Query()
	top = defaultPageSize
	if v := q.Get("$top"); v != "" {
		top, err = strconv.Atoi(v)
		if err != nil || top < 1 || top > admin.MaxPageSize {
			return "", 0, apperr.BadRequest("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, admin.MaxPageSize)
		}
	}
	if v := q.Get("$skiptoken"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			return "", 0, apperr.BadRequest("Invalid $skiptoken.")
		}
		after = string(b)
	}
	return after, top, nil
}

// nextLink returns the URL of the page after lastID, or "" when the page
// was not full. It keeps the request's other query options ($filter,
// $select, ...), as Graph's next links do, so that every page answers the
// same query; but not $count: the count is the first page's, and an SDK's
// page iterator follows the link without the ConsistencyLevel header that
// $count needs.
func (c *call) nextLink(got, top int, lastID string) string {
	if got < top {
		return ""
	}
	q := c.r.URL.Query()
	q.Del("$count")
	q.Set("$top", strconv.Itoa(top))
	q.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte(lastID)))
	return c.base + strings.TrimSuffix(c.r.URL.Path, "/") + "?" + q.Encode()
}

// listed answers a list request: the page $top and $skiptoken ask for, of
// what list returns, each item in its JSON shape, with the next page's link
// keyed by the last item's key.
func listed[T, J any](c *call, contextPath string, list func(after string, top int) ([]T, error), toJSON func(T) J, key func(T) string) (int, any, error) {
	after, top, err := c.page()
	if err != nil {
		return 0, nil, err
	}
	items, err := list(after, top)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pageOf(c, contextPath, items, toJSON, top, key), nil
}

// pageOf is the collection answer for one page of items; with a nil key it
// has no next link.
func pageOf[T, J any](c *call, contextPath string, items []T, toJSON func(T) J, top int, key func(T) string) collection[J] {
	out := collection[J]{Context: c.context("%s", contextPath), Value: make([]J, 0, len(items))}
	for _, it := range items {
		out.Value = append(out.Value, toJSON(it))
	}
	if len(items) > 0 && key != nil {
		out.NextLink = c.nextLink(len(items), top, key(items[len(items)-1]))
	}
	return out
}

func userKey(u store.User) string   { return u.ID }
func groupKey(g store.Group) string { return g.ID }

type userBody struct {
	UPN            *string       `json:"userPrincipalName"`
	DisplayName    *string       `json:"displayName"`
	AccountEnabled *bool         `json:"accountEnabled"`
	EmployeeID     clearableText `json:"employeeId"`
}

func (b userBody) input() admin.UserInput {
	return admin.UserInput{UPN: b.UPN, DisplayName: b.DisplayName, AccountEnabled: b.AccountEnabled,
		EmployeeID: b.EmployeeID.value()}
}

func (s *Server) createUser(c *call) (int, any, error) {
	var body userBody
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	u, err := s.Admin.CreateUser(c.r.Context(), c.p, body.input())
	if err != nil {
		return 0, nil, err
	}
	j := toUser(u)
	j.Context = c.context("users/$entity")
	return http.StatusCreated, j, nil
}

func (s *Server) getUser(c *call) (int, any, error) {
	u, err := s.Admin.GetUser(c.r.Context(), c.p, c.userRef())
	if err != nil {
		return 0, nil, err
	}
	j := toUser(u)
	j.Context = c.context("users/$entity")
	return http.StatusOK, j, nil
}

func (s *Server) listUsers(c *call) (int, any, error) {
	filter := c.r.URL.Query().Get("$filter")
	employeeID, filtered, err := parseUserFilter(filter)
	if err != nil {
		return 0, nil, err
	}
	return listed(c, "users", func(after string, top int) ([]store.User, error) {
		if filtered {
			return s.Admin.ListUsersByEmployeeID(c.r.Context(), c.p, employeeID, after, top)
		}
		return s.Admin.ListUsers(c.r.Context(), c.p, after, top)
	}, toUser, userKey)
}

func (s *Server) updateUser(c *call) (int, any, error) {
	var body userBody
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.Admin.UpdateUser(c.r.Context(), c.p, c.userRef(), body.input())
}

func (s *Server) deleteUser(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.DeleteUser(c.r.Context(), c.p, c.userRef())
}

func (s *Server) createGroup(c *call) (int, any, error) {
	var body struct {
		DisplayName  string `json:"displayName"`
		Description  string `json:"description"`
		MailNickname string `json:"mailNickname"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	g, err := s.Admin.CreateGroup(c.r.Context(), c.p, admin.GroupInput(body))
	if err != nil {
		return 0, nil, err
	}
	j := toGroup(g)
	j.Context = c.context("groups/$entity")
	return http.StatusCreated, j, nil
}

func (s *Server) getGroup(c *call) (int, any, error) {
	g, err := s.Admin.GetGroup(c.r.Context(), c.p, c.vars["group"])
	if err != nil {
		return 0, nil, err
	}
	j := toGroup(g)
	j.Context = c.context("groups/$entity")
	return http.StatusOK, j, nil
}

func (s *Server) listGroups(c *call) (int, any, error) {
	return listed(c, "groups", func(after string, top int) ([]store.Group, error) {
		return s.Admin.ListGroups(c.r.Context(), c.p, after, top)
	}, toGroup, groupKey)
}

func (s *Server) deleteGroup(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.DeleteGroup(c.r.Context(), c.p, c.vars["group"])
}

func (s *Server) listMembers(c *call) (int, any, error) {
	return listed(c, "directoryObjects", func(after string, top int) ([]store.User, error) {
		return s.Admin.ListMembers(c.r.Context(), c.p, c.vars["group"], after, top)
	}, toUser, userKey)
}

// addMember takes {"@odata.id": ".../directoryObjects/{id}"} (or
// .../users/{id}, or directoryObjects('{id}')).
func (s *Server) addMember(c *call) (int, any, error) {
	var body struct {
		ID string `json:"@odata.id"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	ref := objectRef(body.ID)
	if ref == "" {
		return 0, nil, apperr.BadRequest("The request body must be {\"@odata.id\": \"https://graph.microsoft.com/v1.0/directoryObjects/{id}\"}.")
	}
	return http.StatusNoContent, nil, s.Admin.AddMember(c.r.Context(), c.p, c.vars["group"], ref)
}

// removeMember takes the member from the path (.../members/{id}/$ref) or
// from $id or @id (.../members/$ref?@id=.../directoryObjects/{id}, the
// form Graph SDKs send).
func (s *Server) removeMember(c *call) (int, any, error) {
	member := c.vars["member"]
	if member == "" {
		q := c.r.URL.Query()
		member = objectRef(q.Get("$id") + q.Get("@id")) // Graph takes both spellings
	}
	if member == "" {
		return 0, nil, apperr.BadRequest("Name the member to remove: .../members/{id}/$ref or .../members/$ref?$id=https://graph.microsoft.com/v1.0/directoryObjects/{id}.")
	}
	return http.StatusNoContent, nil, s.Admin.RemoveMember(c.r.Context(), c.p, c.vars["group"], member)
}

// objectRef returns the object id at the end of an @odata.id reference:
// .../directoryObjects/{id}, .../users/{id} or directoryObjects('{id}').
func objectRef(ref string) string {
	ref = strings.TrimRight(ref, "/")
	ref = ref[strings.LastIndex(ref, "/")+1:]
	if i := strings.Index(ref, "('"); i >= 0 && strings.HasSuffix(ref, "')") {
		ref = ref[i+2 : len(ref)-2]
	}
	return ref
}
