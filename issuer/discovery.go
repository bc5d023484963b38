// Package issuer is qrpin's token-issuing side, shaped like Microsoft
// Entra's v2.0 endpoints under /{tenant}: OpenID Connect discovery, the
// signing keys (JWKS) and the token endpoint.
package issuer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/auth"
)

// Discovery serves a tenant's OpenID Provider metadata and the public keys
// that verify its tokens, at Entra's v2.0 paths.
type Discovery struct {
	// BaseURL is the server's public URL, as clients reach it; the issuer
	// and every endpoint URL derive from it (auth.Issuer).
	BaseURL  string
	TenantID string
	Keys     *auth.KeySet
	// Now is the clock for error timestamps; nil means time.Now.
	Now func() time.Time
}

// Paths Discovery serves, below the server root.
const (
	DiscoveryPath = "/{tenant}/v2.0/.well-known/openid-configuration"
	KeysPath      = "/{tenant}/discovery/v2.0/keys"
)

// Register adds GET DiscoveryPath and GET KeysPath to mux. A {tenant}
// other than TenantID (compared case-insensitively) is answered 400 with
// Entra's AADSTS90002 "tenant not found" error.
func (d *Discovery) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+DiscoveryPath, d.serveConfiguration)
	mux.HandleFunc("GET "+KeysPath, d.serveKeys)
}

// Configuration is the OpenID Provider metadata document (OpenID Connect
// Discovery 1.0), with the fields and values of Entra's v2.0 document that
// apply to qrpin, whose OpenID provider (package oidc) serves the
// authorization, token, userinfo, logout and device code endpoints named.
// Entra's Kerberos endpoint is left out.
type Configuration struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	// OpenID Connect Back-Channel Logout 1.0: the provider notifies the
	// applications a single sign-on session served, with its sid.
	BackchannelLogoutSupported        bool    `json:"backchannel_logout_supported"`
	BackchannelLogoutSessionSupported bool    `json:"backchannel_logout_session_supported"`
	TenantRegionScope                 *string `json:"tenant_region_scope"`
	CloudInstanceName                 string  `json:"cloud_instance_name"`
	CloudGraphHostName                string  `json:"cloud_graph_host_name"`
	MSGraphHost                       string  `json:"msgraph_host"`
}

// Configuration returns the metadata document of the tenant.
func (d *Discovery) Configuration() Configuration {
	base := strings.TrimRight(d.BaseURL, "/")
	tenant := base + "/" + d.TenantID
	host := base
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		host = u.Host
	}
	return Configuration{
		Issuer:                      auth.Issuer(d.BaseURL, d.TenantID),
		AuthorizationEndpoint:       tenant + "/oauth2/v2.0/authorize",
		TokenEndpoint:               tenant + "/oauth2/v2.0/token",
		JWKSURI:                     tenant + "/discovery/v2.0/keys",
		UserinfoEndpoint:            base + "/oidc/userinfo", // Entra's is on its Graph host: ours is the public URL
		EndSessionEndpoint:          tenant + "/oauth2/v2.0/logout",
		DeviceAuthorizationEndpoint: tenant + "/oauth2/v2.0/devicecode",
		GrantTypesSupported: []string{"authorization_code", "refresh_token", "client_credentials",
			"urn:ietf:params:oauth:grant-type:device_code"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "client_secret_basic"},
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		// The authorization code flow only: no implicit or hybrid flow.
		ResponseTypesSupported: []string{"code"},
		// As Entra: an ID token's sub differs for every application.
		SubjectTypesSupported:            []string{"pairwise"},
		IDTokenSigningAlgValuesSupported: []string{"RS256"},
		ScopesSupported:                  []string{"openid", "profile", "email", "offline_access"},
		ClaimsSupported: []string{"sub", "iss", "aud", "exp", "iat", "nbf", "auth_time", "jti", "ver",
			"tid", "oid", "azp", "appid", "idtyp", "upn", "preferred_username", "name", "nonce", "amr",
			"c_hash", "at_hash", "scp", "roles", "wids", "sid"},
		BackchannelLogoutSupported:        true,
		BackchannelLogoutSessionSupported: true,
		CloudInstanceName:                 host,
		CloudGraphHostName:                host,
		MSGraphHost:                       host,
	}
}

// JWKS returns the JSON Web Key Set of every key that still verifies.
func (d *Discovery) JWKS() jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range d.Keys.PublicKeys() {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Key, KeyID: k.KID, Algorithm: "RS256", Use: "sig"})
	}
	return set
}

func (d *Discovery) serveConfiguration(w http.ResponseWriter, r *http.Request) {
	if d.KnownTenant(w, r) {
		writeDiscoveryJSON(w, http.StatusOK, d.Configuration())
	}
}

func (d *Discovery) serveKeys(w http.ResponseWriter, r *http.Request) {
	if d.KnownTenant(w, r) {
		writeDiscoveryJSON(w, http.StatusOK, d.JWKS())
	}
}

// KnownTenant reports whether the request's {tenant} is ours (compared
// case-insensitively), answering Entra's AADSTS90002 error when it is not.
// The OpenID provider's endpoints (package oidc) answer it too.
func (d *Discovery) KnownTenant(w http.ResponseWriter, r *http.Request) bool {
	tenant := r.PathValue("tenant")
	if strings.EqualFold(tenant, d.TenantID) {
		return true
	}
	if len(tenant) > 64 {
		tenant = tenant[:64] + "..."
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	ts := now().UTC()
	trace, corr := uuid.NewString(), r.Header.Get("client-request-id")
	if _, err := uuid.Parse(corr); err != nil {
		corr = uuid.NewString()
	}
	writeDiscoveryJSON(w, http.StatusBadRequest, discoveryError{
		Error: "invalid_tenant",
		Description: fmt.Sprintf("AADSTS90002: Tenant '%s' not found. Check to make sure you have the correct tenant ID "+
			"and are signing into the correct cloud. Trace ID: %s Correlation ID: %s Timestamp: %s",
			tenant, trace, corr, ts.Format("2006-01-02 15:04:05Z")),
		Codes:         []int{90002},
		Timestamp:     ts.Format("2006-01-02 15:04:05Z"),
		TraceID:       trace,
		CorrelationID: corr,
		URI:           "https://login.microsoftonline.com/error?code=90002", // Entra's page for the code
	})
	return false
}

// discoveryError is Entra's OAuth 2.0 error response body.
type discoveryError struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	Codes         []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
	URI           string `json:"error_uri"`
}

// writeDiscoveryJSON writes v with the headers Entra sends on these
// endpoints: JSON, cacheable for an hour when successful, readable from
// any origin (browser applications fetch them).
func writeDiscoveryJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // our own types always marshal
		panic(fmt.Sprintf("issuer: encode response: %v", err))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Access-Control-Allow-Origin", "*")
	if status == http.StatusOK {
		h.Set("Cache-Control", "max-age=3600, public")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write(b)
}
