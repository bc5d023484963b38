package oidc

import (
	"errors"
	"net/http"
	"strings"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// userinfoResponse is the userinfo endpoint's answer (OpenID Connect Core,
// section 5.3.2), with Entra's claims.
type userinfoResponse struct {
	Sub               string `json:"sub"`
	OID               string `json:"oid"`
	TID               string `json:"tid"`
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
}

// serveUserinfo answers GET and POST /oidc/userinfo (Entra's is
// graph.microsoft.com/oidc/userinfo): the signed-in user of a Microsoft
// Graph access token the provider issued, sent as a bearer token in the
// Authorization header or (POST) the access_token form field (RFC 6750).
// The token is checked by auth.Tokens, as qrpin's Graph API checks it.
func (p *Provider) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*") // a bearer token, no cookie: any origin may ask
	token, ok := bearer(w, r)
	if !ok {
		return
	}
	tokens := &auth.Tokens{Keys: p.cfg.Keys, Issuer: p.issuer, Audiences: auth.GraphAudiences, Now: p.cfg.Now}
	pr, err := tokens.Verify(token)
	if err == nil && (pr.Kind != auth.Delegated || pr.AppID == "" || pr.TenantID != p.cfg.TenantID) {
		err = errors.New("not a user's token")
	}
	if err != nil {
		unauthorized(w, "invalid_token", "The access token is invalid, expired, or not a user's token for Microsoft Graph.")
		return
	}
	u, err := p.cfg.Store.GetUser(r.Context(), pr.ObjectID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.AccountEnabled) {
		unauthorized(w, "invalid_token", "The user of the access token is disabled or deleted.")
		return
	}
	if err != nil {
		p.writeTokenError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, userinfoResponse{Sub: p.pairwise(pr.AppID, u.ID), OID: u.ID, TID: p.cfg.TenantID,
		Name: u.DisplayName, PreferredUsername: u.UPN})
}

// bearer returns the request's bearer token: from the Authorization
// header, or a POST body's access_token field, not both.
func bearer(w http.ResponseWriter, r *http.Request) (string, bool) {
	var token string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, value, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(value) == "" {
			unauthorized(w, "invalid_request", "The Authorization header must hold a Bearer token.")
			return "", false
		}
		token = strings.TrimSpace(value)
	}
	if r.Method == http.MethodPost && isForm(r) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			unauthorized(w, "invalid_request", "The request body is not a valid form.")
			return "", false
		}
		if vs := r.PostForm["access_token"]; len(vs) > 0 {
			if token != "" || len(vs) > 1 {
				unauthorized(w, "invalid_request", "Send the access token once: in the Authorization header or the body.")
				return "", false
			}
			token = vs[0]
		}
	}
	if token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="qrpin"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_request", "error_description": "No access token."})
		return "", false
	}
	return token, true
}

// unauthorized answers a bearer token error (RFC 6750, section 3).
func unauthorized(w http.ResponseWriter, code, description string) {
	status := http.StatusUnauthorized
	if code == "invalid_request" {
		status = http.StatusBadRequest
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="qrpin", error="`+code+`"`)
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// preflight answers a CORS preflight of the userinfo endpoint: any origin,
// with the Authorization header, never with credentials.
func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "3600")
	w.WriteHeader(http.StatusNoContent)
}
