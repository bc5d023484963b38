package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/qrpin/qrpin/apperr"
)

// Kind says who a token speaks for.
type Kind int

// The two kinds of caller.
const (
	Delegated   Kind = iota + 1 // a signed-in user, through an application (scp claim)
	Application                 // an application acting as itself (roles claim)
)

// String returns "delegated" or "application".
func (k Kind) String() string {
	switch k {
	case Delegated:
		return "delegated"
	case Application:
		return "application"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Principal is the verified caller, as its access token describes it.
type Principal struct {
	Kind           Kind
	ObjectID       string    // oid: the user's id (delegated) or the application's service principal id
	AppID          string    // azp (appid in v1 tokens): the client application
	TenantID       string    // tid
	UPN            string    // delegated: upn, else preferred_username
	Scopes         []string  // delegated: scp, space separated in the token
	Roles          []string  // application: roles (application permissions)
	DirectoryRoles []string  // delegated: wids (directory role template ids)
	AuthTime       time.Time // delegated: auth_time, when the user last signed in; zero when absent

	// ScopedRoles are the delegated caller's roles over administrative
	// units. Tokens never carry them (Entra's wids hold tenant-wide roles
	// only): the management service reads them from the store per request.
	ScopedRoles []ScopedRole
}

// GraphAudiences are the audiences Microsoft Graph accepts: its resource URI
// and its application id. Tokens for qrpin's Graph API carry one of them,
// so clients that ask for a token "for Graph" work unchanged.
var GraphAudiences = []string{
	"https://graph.microsoft.com",
	"00000003-0000-0000-c000-000000000000",
}

// DefaultSkew is the clock skew Verify tolerates when Tokens.Skew is zero.
const DefaultSkew = 2 * time.Minute

// maxTokenLen bounds the tokens Verify will parse. qrpin's tokens are far
// smaller; anything longer is refused before any decoding.
const maxTokenLen = 16 << 10

// Issuer returns the token issuer of a tenant, shaped like Entra's v2.0
// issuer: publicURL without its trailing slash, "/", the tenant id, "/v2.0".
func Issuer(publicURL, tenantID string) string {
	return strings.TrimRight(publicURL, "/") + "/" + tenantID + "/v2.0"
}

// Tokens issues and verifies RS256 JWT access tokens for one issuer.
type Tokens struct {
	Keys      *KeySet
	Issuer    string   // the exact iss of every token; see Issuer
	Audiences []string // accepted aud values; Mint uses the first. Empty means GraphAudiences.
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Skew is the clock skew tolerated on exp, nbf and iat; zero means DefaultSkew.
	Skew time.Duration
	// VerifiedTokens is how many verified tokens Verify remembers, each
	// until it expires, to accept them again without parsing and checking
	// the signature (see tokenCache); zero means DefaultVerifiedTokens,
	// negative none. The configuration above must not change once Verify
	// has run.
	VerifiedTokens int

	cache tokenCache
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Tokens) skew() time.Duration {
	if t.Skew > 0 {
		return t.Skew
	}
	return DefaultSkew
}

func (t *Tokens) audiences() []string {
	if len(t.Audiences) > 0 {
		return t.Audiences
	}
	return GraphAudiences
}

// Mint signs an access token for p, valid for ttl from now, with the
// KeySet's newest key (its kid in the header). Every token carries iss, aud
// (the first audience), sub and oid (p.ObjectID), tid, iat, nbf, exp, jti,
// appid and azp (p.AppID), and ver "2.0". Delegated tokens add scp (always
// present, possibly empty), wids, auth_time, upn, preferred_username and
// idtyp "user"; application tokens add roles and idtyp "app".
//
// Mint's errors are configuration or programming errors, never the
// client's: an unknown Kind, a missing ObjectID or TenantID, a
// non-positive ttl or one over MaxTokenLifetime, a scope that is empty or holds a space, no issuer or no
// key.
func (t *Tokens) Mint(p Principal, ttl time.Duration) (string, error) {
	return t.MintFor(p, t.audiences()[0], ttl)
}

// MintFor is Mint with aud as the token's audience instead of the first of
// Audiences (the token endpoint issues for the resource the client asked for).
func (t *Tokens) MintFor(p Principal, aud string, ttl time.Duration) (string, error) {
	kid, priv, err := t.Keys.SigningKey()
	if err != nil {
		return "", err
	}
	switch {
	case t.Issuer == "":
		return "", errors.New("auth: Tokens.Issuer is empty")
	case ttl <= 0:
		return "", fmt.Errorf("auth: token lifetime %v is not positive", ttl)
	case ttl > MaxTokenLifetime: // a rotated key verifies for KeyRetention only
		return "", fmt.Errorf("auth: token lifetime %v exceeds the maximum of %v", ttl, MaxTokenLifetime)
	case p.ObjectID == "":
		return "", errors.New("auth: principal has no object id")
	case p.TenantID == "":
		return "", errors.New("auth: principal has no tenant id")
	}

	now := t.now()
	c := jwt.MapClaims{
		"iss": t.Issuer,
		"aud": aud,
		"sub": p.ObjectID,
		"oid": p.ObjectID,
		"tid": p.TenantID,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(ttl).Unix(),
		"jti": uuid.NewString(),
		"ver": "2.0",
	}
	if p.AppID != "" {
		c["appid"] = p.AppID
		c["azp"] = p.AppID
	}
	switch p.Kind {
	case Delegated:
		for _, s := range p.Scopes {
			if s == "" || strings.ContainsAny(s, " \t\r\n") {
				return "", fmt.Errorf("auth: scope %q is empty or holds white space", s)
			}
		}
		c["scp"] = strings.Join(p.Scopes, " ")
		if len(p.DirectoryRoles) > 0 {
			c["wids"] = p.DirectoryRoles
		}
		if !p.AuthTime.IsZero() {
			c["auth_time"] = p.AuthTime.Unix()
		}
		if p.UPN != "" {
			c["upn"] = p.UPN
			c["preferred_username"] = p.UPN
		}
		c["idtyp"] = "user"
	case Application:
		if len(p.Roles) > 0 {
			c["roles"] = p.Roles
		}
		c["idtyp"] = "app"
	default:
		return "", fmt.Errorf("auth: unknown principal kind %v", p.Kind)
	}

	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(priv)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return s, nil
}

// claims is what Verify reads from a token.
type claims struct {
	jwt.RegisteredClaims
	OID               string           `json:"oid"`
	TID               string           `json:"tid"`
	AppID             string           `json:"appid"`
	AZP               string           `json:"azp"`
	Scp               *string          `json:"scp"` // present (even empty) only in delegated tokens
	Roles             []string         `json:"roles"`
	WIDs              []string         `json:"wids"`
	AuthTime          *jwt.NumericDate `json:"auth_time"`
	UPN               string           `json:"upn"`
	PreferredUsername string           `json:"preferred_username"`
	IDType            string           `json:"idtyp"`
}

// Reasons Verify refuses a token before or beside the JWT library's checks.
var (
	errEmpty      = errors.New("empty token")
	errTooLong    = errors.New("token too long")
	errAlgorithm  = errors.New("algorithm not RS256")
	errUnknownKey = errors.New("unknown key id")
	errClaims     = errors.New("required claim missing or inconsistent")
)

// Verify checks a bearer token (without its "Bearer " prefix) and returns
// the caller it speaks for. It accepts only RS256 tokens signed by one of
// the KeySet's keys, named by the kid header (so alg "none", HS256 keyed
// with a public key, and unknown keys fail); iss must equal Issuer exactly;
// aud must be one of Audiences; exp (required), nbf and iat must hold at
// Now within Skew; oid and tid must be present. A token with an scp claim
// is Delegated; one without is Application, with the permissions in its
// roles claim (none when absent). An idtyp claim, when present, must agree.
//
// Every failure is an *apperr.Error of Kind Unauthenticated and Code
// "InvalidAuthenticationToken" whose message says what was wrong and never
// repeats the token or its claims.
//
// A token accepted once is remembered (up to VerifiedTokens of them) until
// its exp, and accepted again at the cost of a SHA-256 of its text, as long
// as the key set has not changed since and its key still verifies. What
// Verify checks depends on the token and the keys alone, so the answer is
// the same; a token expired, not yet valid or refused is always checked in
// full.
func (t *Tokens) Verify(token string) (Principal, error) {
	max := t.VerifiedTokens
	if max == 0 {
		max = DefaultVerifiedTokens
	}
	var sum [sha256.Size]byte
	keys := t.Keys.current()
	now := t.now()
	if max > 0 && len(token) <= maxTokenLen {
		sum = sha256.Sum256([]byte(token))
		if p, ok := t.cache.get(sum, keys, now); ok {
			return p, nil
		}
	}
	v, err := t.verify(token)
	if err != nil {
		return Principal{}, invalidToken(err)
	}
	if max > 0 {
		t.cache.put(sum, v, keys, now, max)
	}
	return v.p, nil
}

func (t *Tokens) verify(token string) (verified, error) {
	switch {
	case token == "":
		return verified{}, errEmpty
	case len(token) > maxTokenLen:
		return verified{}, errTooLong
	case t.Issuer == "":
		// A Tokens without an issuer would otherwise skip the issuer check.
		return verified{}, jwt.ErrTokenInvalidIssuer
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithIssuer(t.Issuer),
		jwt.WithAudience(t.audiences()...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(t.skew()),
		jwt.WithTimeFunc(t.now),
	)
	var c claims
	tok, err := parser.ParseWithClaims(token, &c, t.keyFunc)
	if err != nil {
		if tok != nil && !errors.Is(err, jwt.ErrTokenMalformed) && tok.Header["alg"] != jwt.SigningMethodRS256.Alg() {
			return verified{}, errAlgorithm
		}
		return verified{}, err
	}
	if c.OID == "" || c.TID == "" {
		return verified{}, errClaims
	}

	p := Principal{
		ObjectID: c.OID,
		AppID:    c.AZP,
		TenantID: c.TID,
	}
	if p.AppID == "" {
		p.AppID = c.AppID
	}
	if c.Scp != nil {
		if c.IDType != "" && c.IDType != "user" {
			return verified{}, errClaims
		}
		p.Kind = Delegated
		if scopes := strings.Fields(*c.Scp); len(scopes) > 0 {
			p.Scopes = scopes
		}
		p.DirectoryRoles = c.WIDs
		p.UPN = c.UPN
		if p.UPN == "" {
			p.UPN = c.PreferredUsername
		}
		if c.AuthTime != nil {
			p.AuthTime = c.AuthTime.UTC()
		}
	} else {
		if c.IDType != "" && c.IDType != "app" {
			return verified{}, errClaims
		}
		p.Kind = Application
		p.Roles = c.Roles
	}
	v := verified{p: p, until: c.ExpiresAt.Add(t.skew())}
	v.kid, _ = tok.Header["kid"].(string)
	for _, d := range []*jwt.NumericDate{c.NotBefore, c.IssuedAt} {
		if d != nil && d.Add(-t.skew()).After(v.from) {
			v.from = d.Add(-t.skew())
		}
	}
	return v, nil
}

// keyFunc picks the verification key named by the token's kid header, and
// refuses any algorithm but RS256 (again: the parser has checked already).
func (t *Tokens) keyFunc(tok *jwt.Token) (any, error) {
	if tok.Method != jwt.SigningMethodRS256 {
		return nil, errAlgorithm
	}
	kid, _ := tok.Header["kid"].(string)
	pub, ok := t.Keys.publicKey(kid)
	if !ok {
		return nil, errUnknownKey
	}
	return pub, nil
}

// invalidToken turns a verification failure into the client-facing 401.
func invalidToken(err error) *apperr.Error {
	const failure = "Access token validation failure."
	var msg string
	switch {
	case errors.Is(err, errEmpty):
		msg = "Access token is empty."
	case errors.Is(err, errTooLong), errors.Is(err, jwt.ErrTokenMalformed):
		msg = failure + " The token is not a well-formed JWT."
	case errors.Is(err, errAlgorithm):
		msg = failure + " Unsupported signing algorithm; only RS256 is accepted."
	case errors.Is(err, errUnknownKey):
		msg = failure + " The token's signing key (kid) is not one of this server's keys."
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		msg = failure + " Invalid signature."
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet),
		errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		msg = "Access token has expired or is not yet valid."
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		msg = failure + " Invalid issuer."
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		msg = failure + " Invalid audience."
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing), errors.Is(err, errClaims):
		msg = failure + " A required claim (iss, aud, exp, oid, tid) is missing or inconsistent."
	default:
		msg = failure
	}
	return &apperr.Error{Kind: apperr.Unauthenticated, Code: "InvalidAuthenticationToken", Message: msg}
}
