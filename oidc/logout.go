package oidc

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"

	zop "github.com/zitadel/oidc/v3/pkg/op"

	"github.com/qrpin/qrpin/redirect"
	"github.com/qrpin/qrpin/store"
)

var signedOutPage = template.Must(template.New("signedout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signed out</title></head>
<body><h1>You are signed out</h1><p>You can close this window.</p></body></html>
`))

// serveLogout answers GET and POST /{tenant}/oauth2/v2.0/logout
// (OpenID Connect RP-Initiated Logout). It ends the browser's single
// sign-on session, if it has one, and notifies the applications the
// session served by back-channel logout (signOut); the browser goes back to
// post_logout_redirect_uri (with state) when it is one of the
// application's redirect URIs or its web.logoutUrl (the application named
// by client_id or id_token_hint), and otherwise to a "signed out" page.
func (p *Provider) serveLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	req, err := zop.ParseEndSessionRequest(r, p.op.Decoder())
	if err != nil {
		p.writeErrorPage(w, err)
		return
	}
	if err := p.signOut(w, r); err != nil {
		p.writeErrorPage(w, err)
		return
	}
	back := req.PostLogoutRedirectURI
	req.PostLogoutRedirectURI = "" // checked below, with redirect.Match
	session, err := zop.ValidateEndSessionRequest(r.Context(), req, p.op)
	if err != nil {
		p.writeErrorPage(w, err)
		return
	}
	if back != "" && session.ClientID != "" {
		app, err := p.cfg.Store.GetApplicationByAppID(r.Context(), session.ClientID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			p.writeErrorPage(w, err)
			return
		}
		if err == nil && redirect.Match(p.clientFor(app, platformWeb).PostLogoutRedirectURIs(), back) {
			if req.State != "" {
				u, err := url.Parse(back)
				if err == nil {
					q := u.Query()
					q.Set("state", req.State)
					u.RawQuery = q.Encode()
					back = u.String()
				}
			}
			http.Redirect(w, r, back, http.StatusFound)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pageHeaders(w, pageCSP)
	signedOutPage.Execute(w, nil)
}
