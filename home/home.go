// Package home answers GET / of a qrpin server: where the sign-in page, the
// staff page, the Graph API and the identity endpoints are, and where the documentation is.
// Browsers (an Accept header naming text/html) get a page; everything else
// (curl, scripts, Accept: application/json) gets the same as JSON.
package home

import (
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"strings"
)

// Documentation links: the project's README and Microsoft Graph's
// reference of the QR code + PIN method, whose API qrpin speaks.
const (
	DocsURL  = "https://github.com/qrpin/qrpin#readme"
	GraphURL = "https://learn.microsoft.com/graph/api/resources/qrcodepinauthenticationmethod"
)

// Handler serves GET / (and HEAD) for the server at BaseURL (its public URL,
// without a trailing slash) and tenant TenantID.
type Handler struct {
	BaseURL  string
	TenantID string
}

// Links is what GET / answers as JSON.
type Links struct {
	Service             string `json:"service"`
	TenantID            string `json:"tenantId"`
	SignInPage          string `json:"signInPage"`
	StaffPage           string `json:"staffPage"` // managers look after their team's badges and PINs
	GraphV1             string `json:"graphV1"`
	GraphBeta           string `json:"graphBeta"`
	OpenIDConfiguration string `json:"openidConfiguration"`
	TokenEndpoint       string `json:"tokenEndpoint"`
	Docs                string `json:"docs"`
	GraphDocs           string `json:"graphDocs"`
}

// Links returns the server's addresses.
func (h *Handler) Links() Links {
	tenant := h.BaseURL + "/" + h.TenantID
	return Links{
		Service:             "qrpin",
		TenantID:            h.TenantID,
		SignInPage:          tenant + "/signin",
		StaffPage:           tenant + "/staff",
		GraphV1:             h.BaseURL + "/v1.0",
		GraphBeta:           h.BaseURL + "/beta",
		OpenIDConfiguration: tenant + "/v2.0/.well-known/openid-configuration",
		TokenEndpoint:       tenant + "/oauth2/v2.0/token",
		Docs:                DocsURL,
		GraphDocs:           GraphURL,
	}
}

// Register mounts the handler on mux at exactly "/".
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /{$}", h) // GET patterns match HEAD too
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	links := h.Links()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Add("Vary", "Accept")
	if !wantsHTML(r.Header.Values("Accept")) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(links)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	page.Execute(w, links)
}

// wantsHTML reports whether an Accept header names text/html (browsers'
// do) and does not prefer JSON by naming it first.
func wantsHTML(accept []string) bool {
	for _, v := range accept {
		for _, part := range strings.Split(v, ",") {
			t, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			switch t {
			case "application/json":
				return false
			case "text/html", "application/xhtml+xml":
				return true
			}
		}
	}
	return false
}

var page = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qrpin</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code{font-size:.95em}</style>
</head>
<body>
<h1>qrpin</h1>
<p>QR code + PIN sign-in for frontline workers (tenant <code>{{.TenantID}}</code>).</p>
<ul>
<li><a href="{{.SignInPage}}">Sign in with your badge</a>: <code>{{.SignInPage}}</code></li>
<li><a href="{{.StaffPage}}">My staff</a>, for managers of a team: <code>{{.StaffPage}}</code></li>
<li>Microsoft Graph API: <code>{{.GraphV1}}</code> and <code>{{.GraphBeta}}</code></li>
<li>OpenID Connect discovery: <a href="{{.OpenIDConfiguration}}">{{.OpenIDConfiguration}}</a></li>
<li>Token endpoint: <code>{{.TokenEndpoint}}</code></li>
<li>Documentation: <a href="{{.Docs}}">qrpin's README</a>, and Microsoft Graph's <a href="{{.GraphDocs}}">QR code + PIN method</a></li>
</ul>
</body>
</html>
`))
