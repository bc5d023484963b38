package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/qrpin/qrpin/apperr"
)

// TrustedIssuer configures an external OpenID provider whose access tokens
// qrpin accepts as delegated (user) tokens, so an organization can
// administer qrpin with identities it already has. Each token is mapped to
// a local user by one claim; what the user may do is decided by that local
// user's directory role assignments, read on every request.
type TrustedIssuer struct {
	// Issuer is the exact iss of the provider's tokens. When empty, it is
	// the issuer of the discovery document.
	Issuer string `json:"issuer,omitempty"`
	// Discovery is the URL of the provider's OpenID configuration; when
	// empty, Issuer + "/.well-known/openid-configuration". It and the
	// jwks_uri it names must be https, except on a loopback address.
	Discovery string `json:"discovery,omitempty"`
	// Audiences are the aud values accepted (at least one): the
	// identifier the provider puts in tokens meant for qrpin. In JSON,
	// "audience" is a string or a list.
	Audiences []string `json:"audience"`
	// Claim maps a token to a local user: "oid" (the default) to the
	// user's object id; "upn", "preferred_username" or "email" to the
	// userPrincipalName, compared case-insensitively in ASCII only. A
	// claim value with any character outside printable ASCII is refused
	// (local userPrincipalNames are ASCII): Unicode case folding would
	// map look-alikes such as the Kelvin sign (U+212A, folded to "k") onto
	// another user's name.
	Claim string `json:"claim,omitempty"`
	// EmailVerified is how a token's email_verified claim is checked when
	// Claim names the user by an address (upn, preferred_username, email):
	//   - "required" (the default for "email"): the token must carry
	//     email_verified true, as Google, Keycloak and most OpenID
	//     providers send it. Also right for upn or preferred_username at a
	//     provider whose users choose those names (Keycloak's "email as
	//     username").
	//   - "if-present" (the default for "upn" and "preferred_username"): a
	//     token whose email_verified is anything but true is refused; one
	//     without it maps. For providers that never send it and vouch for
	//     the name themselves, as Entra ID v2.0 does for upn and
	//     preferred_username. Entra's "email" is not verified by Entra: map
	//     its tokens by oid or upn, not by email.
	// It cannot be set with Claim "oid".
	EmailVerified string `json:"emailVerified,omitempty"`
	// Scopes are the delegated permissions such tokens carry in qrpin; when
	// empty, every delegated permission qrpin knows (DelegatedScopes), so
	// that the local user's directory roles alone decide.
	Scopes []string `json:"scopes,omitempty"`
}

// UnmarshalJSON reads a TrustedIssuer, taking "audience" as a string or a list.
func (t *TrustedIssuer) UnmarshalJSON(b []byte) error {
	type plain TrustedIssuer
	var v struct {
		plain
		Audience json.RawMessage `json:"audience"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*t = TrustedIssuer(v.plain)
	t.Audiences = nil
	if len(v.Audience) == 0 || string(v.Audience) == "null" {
		return nil
	}
	var one string
	if err := json.Unmarshal(v.Audience, &one); err == nil {
		t.Audiences = []string{one}
		return nil
	}
	if err := json.Unmarshal(v.Audience, &t.Audiences); err != nil {
		return errors.New(`"audience" must be a string or a list of strings`)
	}
	return nil
}

// The claims that can map an external token to a local user.
const (
	ClaimObjectID          = "oid"
	ClaimUPN               = "upn"
	ClaimPreferredUsername = "preferred_username"
	ClaimEmail             = "email"
)

// The ways TrustedIssuer.EmailVerified checks email_verified.
const (
	EmailVerifiedRequired  = "required"
	EmailVerifiedIfPresent = "if-present"
)

// DelegatedScopes returns every delegated permission qrpin's permission
// table knows, sorted.
func DelegatedScopes() []string {
	var out []string
	for _, r := range rules {
		for _, s := range append(append([]string(nil), r.self...), r.others...) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	slices.Sort(out)
	return out
}

// ExternalIdentity is the caller a trusted external issuer's token names,
// verified but not yet mapped to a local user (admin does that).
type ExternalIdentity struct {
	Issuer   string
	Claim    string // the claim that maps to a local user (ClaimObjectID, ...)
	Value    string // its value in the token
	AppID    string // azp, else appid, else client_id: the client application
	Scopes   []string
	AuthTime time.Time // auth_time; zero when the token has none (not a recent sign-in)
}

// ErrUntrustedIssuer is returned by External.Verify for a token whose iss
// names none of the trusted issuers: it is no external token of ours.
var ErrUntrustedIssuer = errors.New("auth: the token's issuer is not a trusted external issuer")

// Timing of External's fetches.
const (
	// ExternalRefreshInterval is how often, at most, External fetches a
	// provider's keys again on meeting an unknown key id, or retries a
	// discovery that failed.
	ExternalRefreshInterval = 10 * time.Second
	// ExternalKeysMaxAge is how long fetched keys are used before they
	// are fetched again (on the next token; a failed fetch keeps them).
	ExternalKeysMaxAge = time.Hour
	// maxExternalDocument bounds a discovery or JWKS document.
	maxExternalDocument = 1 << 20
)

// ExternalOptions adjusts NewExternal.
type ExternalOptions struct {
	// Client fetches discovery documents and keys; nil means a client
	// with a 10-second timeout.
	Client *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Skew is the clock skew tolerated on exp, nbf and iat; zero means DefaultSkew.
	Skew time.Duration
	// Log receives fetch failures; nil means slog.Default().
	Log *slog.Logger
}

// External verifies access tokens of trusted external issuers. It fetches
// each provider's discovery document when created (retrying later, at
// most once per ExternalRefreshInterval, if the provider is down) and its
// signing keys (JWKS), fetched again on an unknown key id (at most once per
// ExternalRefreshInterval) and after ExternalKeysMaxAge. It is safe for
// concurrent use.
type External struct {
	providers []*provider
	client    *http.Client
	now       func() time.Time
	skew      time.Duration
	log       *slog.Logger
}

// provider is one trusted issuer and what was fetched from it.
type provider struct {
	cfg       TrustedIssuer
	discovery string

	fetch sync.Mutex // serializes fetches

	mu          sync.RWMutex // guards the fields below
	issuer      string       // the exact iss; "" until known
	jwksURI     string       // "" until discovered
	keys        map[string]jose.JSONWebKey
	fetched     time.Time // when keys were fetched
	lastAttempt time.Time // when a fetch was last tried
}

// NewExternal checks the configuration of the trusted issuers and fetches
// their discovery documents and keys. A configuration error is returned; a
// provider that cannot be reached is logged and tried again when one of
// its tokens arrives.
func NewExternal(ctx context.Context, issuers []TrustedIssuer, opt ExternalOptions) (*External, error) {
	x := &External{client: opt.Client, now: opt.Now, skew: opt.Skew, log: opt.Log}
	if x.client == nil {
		x.client = &http.Client{Timeout: 10 * time.Second}
	}
	if x.now == nil {
		x.now = time.Now
	}
	if x.skew <= 0 {
		x.skew = DefaultSkew
	}
	if x.log == nil {
		x.log = slog.Default()
	}
	known := DelegatedScopes()
	for i, cfg := range issuers {
		p, err := newProvider(cfg, known)
		if err != nil {
			return nil, fmt.Errorf("trusted issuer %d: %w", i+1, err)
		}
		for _, q := range x.providers {
			if p.issuer != "" && p.issuer == q.issuer || p.discovery == q.discovery {
				return nil, fmt.Errorf("trusted issuer %d: %s is configured twice", i+1, p.discovery)
			}
		}
		x.providers = append(x.providers, p)
	}
	for _, p := range x.providers {
		if err := x.refresh(ctx, p, true); err != nil {
			x.log.Warn("trusted issuer: cannot fetch its discovery document or keys now; will retry when one of its tokens arrives",
				"discovery", p.discovery, "error", err)
		}
	}
	return x, nil
}

func newProvider(cfg TrustedIssuer, known []string) (*provider, error) {
	cfg.Issuer = strings.TrimSpace(cfg.Issuer)
	cfg.Discovery = strings.TrimSpace(cfg.Discovery)
	p := &provider{cfg: cfg, issuer: cfg.Issuer, discovery: cfg.Discovery}
	switch {
	case cfg.Issuer == "" && cfg.Discovery == "":
		return nil, errors.New("an issuer or a discovery URL is required")
	case p.discovery == "":
		p.discovery = strings.TrimRight(cfg.Issuer, "/") + "/.well-known/openid-configuration"
	}
	if err := checkFetchURL(p.discovery); err != nil {
		return nil, fmt.Errorf("discovery URL: %w", err)
	}
	if len(cfg.Audiences) == 0 || slices.Contains(cfg.Audiences, "") {
		return nil, fmt.Errorf("%s: an audience is required (the aud the provider puts in tokens for qrpin)", p.discovery)
	}
	switch cfg.Claim {
	case "":
		p.cfg.Claim = ClaimObjectID
	case ClaimObjectID, ClaimUPN, ClaimPreferredUsername, ClaimEmail:
	default:
		return nil, fmt.Errorf("%s: claim %q cannot map to a user; use oid, upn, preferred_username or email", p.discovery, cfg.Claim)
	}
	switch {
	case p.cfg.Claim == ClaimObjectID && cfg.EmailVerified != "":
		return nil, fmt.Errorf("%s: emailVerified applies to the claims upn, preferred_username and email, not oid", p.discovery)
	case p.cfg.Claim == ClaimObjectID:
	case cfg.EmailVerified == "" && p.cfg.Claim == ClaimEmail:
		p.cfg.EmailVerified = EmailVerifiedRequired
	case cfg.EmailVerified == "":
		p.cfg.EmailVerified = EmailVerifiedIfPresent
	case cfg.EmailVerified != EmailVerifiedRequired && cfg.EmailVerified != EmailVerifiedIfPresent:
		return nil, fmt.Errorf("%s: emailVerified %q: use %s or %s", p.discovery, cfg.EmailVerified, EmailVerifiedRequired, EmailVerifiedIfPresent)
	}
	if len(cfg.Scopes) == 0 {
		p.cfg.Scopes = known
	}
	for _, s := range p.cfg.Scopes {
		if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, s) }) {
			return nil, fmt.Errorf("%s: unknown delegated permission %q; known: %s", p.discovery, s, strings.Join(known, ", "))
		}
	}
	return p, nil
}

// checkFetchURL accepts https URLs, and http ones on a loopback address
// (development and tests): keys fetched in clear text could be replaced.
func checkFetchURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%q must use https (http only on a loopback address)", raw)
}

// UnverifiedIssuer returns the iss claim of a JWT without verifying
// anything, or "" when there is none. It only chooses the verifier: own
// tokens or a trusted external issuer's. Nothing else may trust it.
func UnverifiedIssuer(token string) string {
	if len(token) > maxTokenLen {
		return ""
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.Iss
}

// Verify checks a token of a trusted external issuer, chosen by its
// (unverified) iss claim: ErrUntrustedIssuer when it names none. The token
// must be signed with RS256 or ES256 by a key of the provider's JWKS named
// by its kid header; iss must be exact, aud one of the configured
// audiences, exp (required), nbf and iat must hold within the skew, and
// the mapping claim must be a non-empty string of printable ASCII, with
// email_verified as the issuer's EmailVerified asks. auth_time, when
// present, is the sign-in time (iat does not stand in for it). Every other
// failure is an
// *apperr.Error: 401 InvalidAuthenticationToken, or 503 when the
// provider's keys cannot be fetched.
func (x *External) Verify(ctx context.Context, token string) (ExternalIdentity, error) {
	iss := UnverifiedIssuer(token)
	if iss == "" {
		return ExternalIdentity{}, ErrUntrustedIssuer
	}
	p := x.provider(ctx, iss)
	if p == nil {
		return ExternalIdentity{}, ErrUntrustedIssuer
	}
	if p.jwks() == "" {
		if err := x.refresh(ctx, p, false); err != nil && p.jwks() == "" {
			x.log.Warn("trusted issuer: cannot fetch its discovery document", "discovery", p.discovery, "error", err)
			return ExternalIdentity{}, providerDown()
		}
	}

	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg()}),
		jwt.WithIssuer(iss),
		jwt.WithAudience(p.cfg.Audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(x.skew),
		jwt.WithTimeFunc(x.now),
	)
	c := jwt.MapClaims{}
	var down bool
	tok, err := parser.ParseWithClaims(token, c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, err := x.key(ctx, p, kid, t.Method.Alg())
		down = errors.Is(err, errProviderDown)
		return key, err
	})
	if down {
		return ExternalIdentity{}, providerDown()
	}
	if err != nil {
		if tok != nil && !errors.Is(err, jwt.ErrTokenMalformed) {
			if alg := tok.Header["alg"]; alg != jwt.SigningMethodRS256.Alg() && alg != jwt.SigningMethodES256.Alg() {
				err = errAlgorithm
			}
		}
		return ExternalIdentity{}, externalInvalid(err)
	}

	id := ExternalIdentity{Issuer: iss, Claim: p.cfg.Claim, Scopes: slices.Clone(p.cfg.Scopes)}
	id.Value, _ = c[p.cfg.Claim].(string)
	if strings.TrimSpace(id.Value) == "" {
		return ExternalIdentity{}, externalInvalid(fmt.Errorf("%w: the token has no %s claim to map it to a user", errClaims, p.cfg.Claim))
	}
	if strings.ContainsFunc(id.Value, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return ExternalIdentity{}, externalInvalid(fmt.Errorf("%w: the token's %s claim is not printable ASCII, so it names no user here", errClaims, p.cfg.Claim))
	}
	if err := p.checkEmailVerified(c); err != nil {
		return ExternalIdentity{}, externalInvalid(err)
	}
	for _, name := range []string{"azp", "appid", "client_id"} {
		if id.AppID, _ = c[name].(string); id.AppID != "" {
			break
		}
	}
	if v, ok := c["auth_time"].(float64); ok {
		id.AuthTime = time.Unix(int64(v), 0).UTC()
	}
	return id, nil
}

// checkEmailVerified applies the issuer's EmailVerified rule to a token's
// claims. JSON true and the string "true" (which some providers send) are
// verified; anything else is not.
func (p *provider) checkEmailVerified(c jwt.MapClaims) error {
	v, sent := c["email_verified"]
	switch {
	case p.cfg.EmailVerified == "", !sent && p.cfg.EmailVerified == EmailVerifiedIfPresent, v == true, v == "true":
		return nil
	case !sent:
		return fmt.Errorf("%w: the token has no email_verified claim, so its %s cannot map it to a user", errClaims, p.cfg.Claim)
	}
	return fmt.Errorf("%w: the token's %s is not verified (email_verified is not true), so it cannot map it to a user", errClaims, p.cfg.Claim)
}

// errProviderDown: the provider's keys could not be fetched.
var errProviderDown = errors.New("the issuer's signing keys cannot be fetched")

func providerDown() error {
	e := apperr.New(apperr.Unavailable, "serviceNotAvailable",
		"The access token's issuer cannot be reached to fetch its signing keys. Please retry later.")
	e.RetryAfter = ExternalRefreshInterval
	return e
}

// externalInvalid turns a verification failure into the client-facing 401.
func externalInvalid(err error) error {
	e := invalidToken(err)
	if errors.Is(err, errAlgorithm) {
		e.Message = "Access token validation failure. Unsupported signing algorithm; only RS256 and ES256 are accepted."
	}
	if errors.Is(err, errUnknownKey) {
		e.Message = "Access token validation failure. The token's signing key (kid) is not one of its issuer's keys."
	}
	if errors.Is(err, errClaims) {
		e.Message = "Access token validation failure. " + strings.TrimPrefix(err.Error(), errClaims.Error()+": ") + "."
	}
	return e
}

// provider returns the trusted issuer whose iss is iss. When no known
// issuer matches and some providers' discovery is still pending, it tries
// those first (rate-limited).
func (x *External) provider(ctx context.Context, iss string) *provider {
	for pass := 0; pass < 2; pass++ {
		pending := false
		for _, p := range x.providers {
			p.mu.RLock()
			known := p.issuer
			p.mu.RUnlock()
			if known == iss {
				return p
			}
			pending = pending || known == ""
		}
		if !pending || pass > 0 {
			return nil
		}
		for _, p := range x.providers {
			if p.jwks() == "" {
				_ = x.refresh(ctx, p, false)
			}
		}
	}
	return nil
}

// jwks returns the provider's jwks_uri, "" until discovered.
func (p *provider) jwks() string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.jwksURI
}

// key returns the verification key named kid for alg, fetching the keys
// again when kid is unknown or the keys are old.
func (x *External) key(ctx context.Context, p *provider, kid, alg string) (any, error) {
	if alg != jwt.SigningMethodRS256.Alg() && alg != jwt.SigningMethodES256.Alg() {
		return nil, errAlgorithm
	}
	if kid == "" {
		return nil, errUnknownKey
	}
	p.mu.RLock()
	k, ok := p.keys[kid]
	stale := x.now().Sub(p.fetched) >= ExternalKeysMaxAge
	p.mu.RUnlock()
	if !ok || stale {
		if err := x.refresh(ctx, p, false); err != nil {
			x.log.Warn("trusted issuer: cannot fetch its keys", "discovery", p.discovery, "error", err)
		}
		p.mu.RLock()
		k, ok = p.keys[kid]
		none := p.keys == nil
		p.mu.RUnlock()
		if !ok && none {
			return nil, errProviderDown
		}
	}
	if !ok || k.Use != "" && k.Use != "sig" || k.Algorithm != "" && k.Algorithm != alg {
		return nil, errUnknownKey
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		if alg == jwt.SigningMethodRS256.Alg() && pub.N.BitLen() >= KeyBits {
			return pub, nil
		}
	case *ecdsa.PublicKey:
		if alg == jwt.SigningMethodES256.Alg() && pub.Curve == elliptic.P256() {
			return pub, nil
		}
	}
	return nil, errAlgorithm
}

// refresh fetches the provider's discovery document (when not yet known)
// and its keys, unless a fetch was tried less than ExternalRefreshInterval
// ago (force skips that check, for the first fetch).
func (x *External) refresh(ctx context.Context, p *provider, force bool) error {
	p.fetch.Lock()
	defer p.fetch.Unlock()
	now := x.now()
	p.mu.Lock()
	if !force && !p.lastAttempt.IsZero() && now.Sub(p.lastAttempt) < ExternalRefreshInterval {
		p.mu.Unlock()
		return nil
	}
	p.lastAttempt = now
	jwksURI := p.jwksURI
	p.mu.Unlock()

	if jwksURI == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := x.getJSON(ctx, p.discovery, &doc); err != nil {
			return err
		}
		switch {
		case doc.Issuer == "":
			return fmt.Errorf("discovery document %s has no issuer", p.discovery)
		case p.cfg.Issuer != "" && doc.Issuer != p.cfg.Issuer:
			return fmt.Errorf("discovery document %s names the issuer %q, not the configured %q", p.discovery, doc.Issuer, p.cfg.Issuer)
		case strings.Contains(doc.Issuer, "{"):
			return fmt.Errorf("discovery document %s has the templated issuer %q; use the tenant's own discovery URL", p.discovery, doc.Issuer)
		}
		if err := checkFetchURL(doc.JWKSURI); err != nil {
			return fmt.Errorf("jwks_uri of %s: %w", p.discovery, err)
		}
		p.mu.Lock()
		p.issuer, p.jwksURI = doc.Issuer, doc.JWKSURI
		p.mu.Unlock()
		jwksURI = doc.JWKSURI
	}

	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := x.getJSON(ctx, jwksURI, &set); err != nil {
		return err
	}
	keys := map[string]jose.JSONWebKey{}
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() || !k.IsPublic() || k.KeyID == "" {
			continue // a key type or form we do not use
		}
		if _, dup := keys[k.KeyID]; !dup {
			keys[k.KeyID] = k
		}
	}
	p.mu.Lock()
	p.keys, p.fetched = keys, now
	p.mu.Unlock()
	return nil
}

// getJSON fetches url and decodes its JSON body into v.
func (x *External) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	res, err := x.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxExternalDocument+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if len(b) > maxExternalDocument {
		return fmt.Errorf("GET %s: document larger than %d bytes", url, maxExternalDocument)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}
