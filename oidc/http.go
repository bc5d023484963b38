package oidc

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/go-chi/httprate"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"github.com/qrpin/qrpin/internal/clientaddr"
	"github.com/qrpin/qrpin/internal/httperr"
	"github.com/qrpin/qrpin/issuer"
)

// tenantOnly answers a {tenant} other than ours with Entra's AADSTS90002
// error (as discovery does), and gives op the issuer.
func (p *Provider) tenantOnly(h http.HandlerFunc) http.HandlerFunc {
	d := &issuer.Discovery{BaseURL: p.base, TenantID: p.cfg.TenantID, Keys: p.cfg.Keys, Now: p.cfg.Now}
	return p.withIssuer(func(w http.ResponseWriter, r *http.Request) {
		if d.KnownTenant(w, r) {
			h(w, r)
		}
	})
}

func (p *Provider) withIssuer(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h(w, r.WithContext(zop.ContextWithIssuer(r.Context(), p.issuer)))
	}
}

// limited applies the per-address rate limit of the endpoints anonymous
// callers make rows with (authorize, devicecode).
func (p *Provider) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if p.overLimit(w, r, p.rate) {
			return
		}
		h(w, r)
	}
}

// overLimit answers 429 when the request's address is over rl's limit.
func (p *Provider) overLimit(w http.ResponseWriter, r *http.Request, rl *httprate.RateLimiter) bool {
	if rl == nil || !rl.OnLimit(w, r, "addr:"+clientaddr.Bucket(clientaddr.Of(r))) {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(p.cfg.RateWindow.Seconds())))
	writeJSON(w, http.StatusTooManyRequests, &zoidc.Error{ErrorType: "temporarily_unavailable",
		Description: "Too many requests from this address; retry after the Retry-After header's seconds."})
	return true
}

// oauthError returns what a client sees of err, and its status: an op
// error as it is (401 for invalid_client); a store that cannot be reached
// (or any transient error, classified by httperr) temporarily_unavailable,
// 503, with its Retry-After, wherever it surfaces (also inside op's
// errors); another client-facing error invalid_request with its message.
// Anything else is a bug: logged, server_error 500.
func (p *Provider) oauthError(w http.ResponseWriter, err error) (*zoidc.Error, int) {
	ae, status, ok := httperr.Classify(err)
	if ok && (status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests) {
		if ae.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((ae.RetryAfter.Seconds()))))
		}
		return &zoidc.Error{ErrorType: "temporarily_unavailable", Description: ae.Message}, status
	}
	var oe *zoidc.Error
	if errors.As(err, &oe) && oe.ErrorType != zoidc.ServerError {
		e := *oe
		e.Parent = nil
		switch e.ErrorType {
		case zoidc.InvalidClient:
			return &e, http.StatusUnauthorized
		}
		return &e, http.StatusBadRequest
	}
	if ok {
		return &zoidc.Error{ErrorType: zoidc.InvalidRequest, Description: ae.Message}, status
	}
	p.log().Error("oidc: internal error", "err", err.Error())
	return zoidc.ErrServerError().WithDescription("An internal error occurred."), http.StatusInternalServerError
}

// writeTokenError answers a token (or device code) request's error as
// JSON (RFC 6749, section 5.2), and returns its error code.
func (p *Provider) writeTokenError(w http.ResponseWriter, err error) string {
	e, status := p.oauthError(w, err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="qrpin"`)
	}
	writeJSON(w, status, e)
	return string(e.ErrorType)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // our own types always marshal
		panic(fmt.Sprintf("oidc: encode response: %v", err))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in error</title></head>
<body><h1>Sign-in error</h1><p>The application's sign-in request cannot be served.</p>
<p><code>{{.ErrorType}}</code>: {{.Description}}</p></body></html>
`))

// pageCSP is the Content-Security-Policy of the provider's own pages: they
// load nothing and may not be framed (frame-ancestors, with
// X-Frame-Options for older browsers).
const pageCSP = "default-src 'none'; frame-ancestors 'none'"

// pageHeaders sets the headers of a page the provider writes: csp (which
// must hold frame-ancestors 'none'), X-Frame-Options DENY and nosniff.
func pageHeaders(w http.ResponseWriter, csp string) {
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

// writeErrorPage answers an error that must not go back to the
// application, because its redirect URI is not verified (unknown client,
// unregistered redirect URI, unknown request): a page for the browser,
// never a redirect.
func (p *Provider) writeErrorPage(w http.ResponseWriter, err error) {
	e, status := p.oauthError(w, err)
	if status == http.StatusUnauthorized { // an unknown client: a page is no HTTP authentication
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	pageHeaders(w, pageCSP)
	w.WriteHeader(status)
	errorPage.Execute(w, e)
}

// redirectError sends an error back to the application, at a redirect URI
// verified as registered, with the request's state, in the request's
// response mode (query unless fragment was asked; op encodes it). Unlike
// op's AuthRequestError it logs nothing: anonymous callers choose these
// requests.
func (p *Provider) redirectError(w http.ResponseWriter, r *http.Request, ar zop.ErrAuthRequest, err error) {
	e, _ := p.oauthError(w, err)
	w.Header().Del("Retry-After")
	e.State = ar.GetState()
	mode := zoidc.ResponseModeQuery
	if m, ok := ar.(interface{ GetResponseMode() zoidc.ResponseMode }); ok && m.GetResponseMode() == zoidc.ResponseModeFragment {
		mode = zoidc.ResponseModeFragment
	}
	to, uerr := zop.AuthResponseURL(ar.GetRedirectURI(), ar.GetResponseType(), mode, e, p.op.Encoder())
	if uerr != nil {
		p.writeErrorPage(w, e)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}
