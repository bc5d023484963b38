package graph

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// A route is one verb on one path pattern. Literal segments match
// case-insensitively (spec D1); a segment in braces captures a value, and
// so does a brace part inside a segment, between a literal prefix and
// suffix (OData's alternate keys: "applications(appId='{appId}')").
type route struct {
	verb     string
	pattern  []string
	handle   handlerFunc
	template string // "/{version}/" and the pattern: the route's name in logs and metrics
}

// router finds the route for a path below the API version.
type router struct {
	routes []route
}

// add registers a route. A pattern that starts with "users/{user}/" is also
// registered as "me/...", and the handler learns which form was used.
func (rt *router) add(verb, pattern string, h handlerFunc) {
	rt.routes = append(rt.routes, route{verb, strings.Split(pattern, "/"), h, "/{version}/" + pattern})
	if rest, ok := strings.CutPrefix(pattern, "users/{user}"); ok {
		rt.routes = append(rt.routes, route{verb, strings.Split("me"+rest, "/"), h, "/{version}/me" + rest})
	}
}

// match returns the route for verb and the path's segments, the values of
// its captured segments, and the verbs the path allows (for 405).
func (rt *router) match(verb string, segs []string) (*route, map[string]string, []string) {
	var allowed []string
	for i := range rt.routes {
		r := &rt.routes[i]
		vars, ok := matchPattern(r.pattern, segs)
		if !ok {
			continue
		}
		if r.verb == verb {
			return r, vars, nil
		}
		if !slices.Contains(allowed, r.verb) {
			allowed = append(allowed, r.verb)
		}
	}
	return nil, nil, allowed
}

func matchPattern(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var vars map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[p[1:len(p)-1]] = segs[i]
			continue
		}
		if open := strings.IndexByte(p, '{'); open > 0 {
			name, suffix, _ := strings.Cut(p[open+1:], "}")
			prefix, seg := p[:open], segs[i]
			if len(seg) <= len(prefix)+len(suffix) ||
				!strings.EqualFold(seg[:len(prefix)], prefix) || !strings.EqualFold(seg[len(seg)-len(suffix):], suffix) {
				return nil, false
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[name] = seg[len(prefix) : len(seg)-len(suffix)]
			continue
		}
		if !strings.EqualFold(p, segs[i]) {
			return nil, false
		}
	}
	if pattern[0] == "me" {
		if vars == nil {
			vars = map[string]string{}
		}
		vars["me"] = "1"
	}
	return vars, true
}

// splitPath splits an escaped URL path into its unescaped segments, so an
// escaped slash stays inside its segment. A trailing slash is ignored.
func splitPath(r *http.Request) ([]string, bool) {
	p := strings.Trim(r.URL.EscapedPath(), "/")
	parts := strings.Split(p, "/")
	for i, s := range parts {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}
