package graph

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/qrpin/qrpin/apperr"
)

// OData query options that apply to several resources (issue 13, item 6):
// $select and $count. $top, $skiptoken and $filter are read by each list
// (page, nextLink and the lists' filter parsers).

// selectable are the resources whose answers honour $select, as Graph's do
// ("*" matches any one segment). Elsewhere $select is ignored: the QR code
// + PIN method's pages say those requests take no query options, and the
// policy's say the same.
var selectable = [][]string{
	{"users"}, {"users", "*"}, {"me"},
	{"groups"}, {"groups", "*"}, {"groups", "*", "members"},
	{"auditLogs", "signIns"}, {"auditLogs", "directoryAudits"},
	{"reports", "authenticationMethods", "userRegistrationDetails"},
	{"reports", "authenticationMethods", "userRegistrationDetails", "*"},
}

// countable are the lists that answer $count=true with @odata.count:
// Graph's directory collections, which need the ConsistencyLevel:
// eventual header for it (an advanced query).
var countable = [][]string{{"users"}, {"groups"}, {"groups", "*", "members"}}

func matchSegments(patterns [][]string, segs []string) bool {
	return slices.ContainsFunc(patterns, func(p []string) bool {
		if len(p) != len(segs) {
			return false
		}
		for i := range p {
			if p[i] != "*" && !strings.EqualFold(p[i], segs[i]) {
				return false
			}
		}
		return true
	})
}

// queryOptions applies $count and $select to a GET's answer body, for the
// path's segments below the version. It re-encodes the body only when one
// of them is asked for.
func (s *Server) queryOptions(c *call, segs []string, body any) (any, error) {
	if c.r.Method != http.MethodGet || body == nil {
		return body, nil
	}
	q := c.r.URL.Query()
	sel, count := q.Get("$select"), q.Get("$count")
	countIt := false
	if count != "" && matchSegments(countable, segs) {
		if !strings.EqualFold(count, "true") && !strings.EqualFold(count, "false") {
			return nil, apperr.BadRequest("Invalid value for $count: '%s'. It must be true or false.", count)
		}
		countIt = strings.EqualFold(count, "true")
	}
	selectIt := sel != "" && matchSegments(selectable, segs)
	if !countIt && !selectIt {
		return body, nil
	}
	var m map[string]any
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if countIt {
		if !strings.EqualFold(c.r.Header.Get("ConsistencyLevel"), "eventual") {
			return nil, apperr.New(apperr.Invalid, "Request_BadRequest",
				"$count=true on this collection is an advanced query: send the header 'ConsistencyLevel: eventual'.")
		}
		n, err := s.count(c, segs)
		if err != nil {
			return nil, err
		}
		m["@odata.count"] = n
	}
	if selectIt {
		if err := project(m, sel); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// count counts the collection segs names.
func (s *Server) count(c *call, segs []string) (int, error) {
	switch {
	case strings.EqualFold(segs[0], "users"):
		// The count of a filtered list is of the users the filter finds.
		employeeID, filtered, err := parseUserFilter(c.r.URL.Query().Get("$filter"))
		if err != nil {
			return 0, err
		}
		if !filtered {
			return s.Admin.CountUsers(c.r.Context(), c.p)
		}
		us, err := s.Admin.ListUsersByEmployeeID(c.r.Context(), c.p, employeeID, "", 0)
		return len(us), err
	case len(segs) == 1:
		return s.Admin.CountGroups(c.r.Context(), c.p)
	}
	return s.Admin.CountMembers(c.r.Context(), c.p, segs[1])
}

// maxSelect bounds the properties $select may name.
const maxSelect = 64

// project keeps, in an entity or in each entity of a collection's value,
// the properties $select names (and OData's annotations). A property no
// entity has is 400, as Graph answers it; an empty collection checks
// nothing.
func project(m map[string]any, sel string) error {
	names := strings.Split(sel, ",")
	if len(names) > maxSelect {
		return apperr.BadRequest("$select names more than %d properties.", maxSelect)
	}
	entities := []map[string]any{m}
	if v, ok := m["value"].([]any); ok {
		entities = entities[:0]
		for _, e := range v {
			if em, ok := e.(map[string]any); ok {
				entities = append(entities, em)
			}
		}
	}
	keep := map[string]string{} // lower-case name -> the property's own spelling
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "*" {
			return nil
		}
		found := len(entities) == 0
		for _, e := range entities {
			for k := range e {
				if strings.EqualFold(k, n) {
					keep[strings.ToLower(k)], found = k, true
				}
			}
		}
		if !found {
			return apperr.BadRequest("Could not find a property named '%s' on the resource: $select names properties of the answer.", n)
		}
	}
	for _, e := range entities {
		for k := range e {
			if _, ok := keep[strings.ToLower(k)]; !ok && !strings.HasPrefix(k, "@odata.") {
				delete(e, k)
			}
		}
	}
	return nil
}
