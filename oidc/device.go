package oidc

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	zop "github.com/zitadel/oidc/v3/pkg/op"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/clientaddr"
	"github.com/qrpin/qrpin/internal/httperr"
	"github.com/qrpin/qrpin/store"
)

// Device code flow settings.
const (
	devicePollInterval = 5 // seconds
	userCodeAttempts   = 3 // user codes drawn before giving up on collisions
)

// serveDeviceCode answers POST /{tenant}/oauth2/v2.0/devicecode (RFC 8628,
// section 3.1), for applications with isFallbackPublicClient only (the
// device code flow is off by default, as Microsoft advises): a device code
// (kept as its hash, the request's id) and a user code the worker types
// at the verification URI, or opens as verification_uri_complete.
func (p *Provider) serveDeviceCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	resp, err := p.deviceCode(r)
	if err != nil {
		p.writeTokenError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (p *Provider) deviceCode(r *http.Request) (*zoidc.DeviceAuthorizationResponse, error) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		return nil, zoidc.ErrInvalidRequest().WithDescription("The request body is not a valid form.")
	}
	req := new(zoidc.DeviceAuthorizationRequest)
	if err := p.op.Decoder().Decode(req, r.PostForm); err != nil {
		return nil, zoidc.ErrInvalidRequest().WithDescription("The device authorization request cannot be parsed.")
	}
	if req.ClientID == "" {
		return nil, zoidc.ErrInvalidRequest().WithDescription("The request body must contain the following parameter: 'client_id'.")
	}
	// Client ids are GUIDs, taken in any case (as authorize takes them);
	// one that is no GUID is not repeated in the error (perhaps a secret).
	app, err := p.cfg.Store.GetApplicationByAppID(ctx, strings.ToLower(req.ClientID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, zoidc.ErrInvalidClient().WithDescription("AADSTS700016: Application with identifier %s was not found in the directory.", shownClientID(req.ClientID))
	}
	if err != nil {
		return nil, err
	}
	if !app.SignIn.FallbackPublicClient {
		return nil, zoidc.ErrUnauthorizedClient().WithDescription("AADSTS7000218: The device code flow is off for this application: an admin enables it with isFallbackPublicClient.")
	}
	if authenticates(r) {
		return nil, errPublicWithSecret()
	}
	if len(req.Scopes) > maxScopes || len(strings.Join(req.Scopes, " ")) > maxScopes*maxScopeLen {
		return nil, invalidScope("Too many scopes, or a scope too long.")
	}
	res, err := resourceOf(app, req.Scopes)
	if err != nil {
		return nil, err
	}
	cfg := p.op.DeviceAuthorization()
	deviceCode, err := zop.NewDeviceCode(zop.RecommendedDeviceCodeBytes * 2)
	if err != nil {
		return nil, err
	}
	now := p.now()
	ar := store.AuthRequest{ID: hashSecret(deviceCode), Flow: flowDevice, ClientID: app.AppID, AppName: app.DisplayName,
		Resource: res.name, Scopes: req.Scopes,
		Created: now, Expires: now.Add(p.cfg.DeviceTTL)}
	for i := 0; ; i++ {
		ar.UserCode, err = zop.NewUserCode([]rune(cfg.UserCode.CharSet), cfg.UserCode.CharAmount, cfg.UserCode.DashInterval)
		if err != nil {
			return nil, err
		}
		err = p.cfg.Store.CreateAuthRequest(ctx, ar)
		if !errors.Is(err, store.ErrConflict) || i == userCodeAttempts-1 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	verify := p.tenant + "/oauth2/v2.0/deviceauth"
	return &zoidc.DeviceAuthorizationResponse{DeviceCode: deviceCode, UserCode: ar.UserCode, VerificationURI: verify,
		VerificationURIComplete: verify + "?user_code=" + ar.UserCode, ExpiresIn: int(p.cfg.DeviceTTL.Seconds()),
		Interval: devicePollInterval}, nil
}

// exchangeDeviceCode answers the device_code grant (RFC 8628, 3.4): the
// device polls until the worker signed in (authorization_pending), then
// gets its tokens once.
func (p *Provider) exchangeDeviceCode(r *http.Request) (*tokenResponse, error) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		return nil, zoidc.ErrInvalidRequest().WithDescription("The request body is not a valid form.")
	}
	clientID, deviceCode := r.PostForm.Get("client_id"), r.PostForm.Get("device_code")
	switch {
	case clientID == "":
		return nil, zoidc.ErrInvalidRequest().WithDescription("The request body must contain the following parameter: 'client_id'.")
	case deviceCode == "":
		return nil, zoidc.ErrInvalidRequest().WithDescription("The request body must contain the following parameter: 'device_code'.")
	case authenticates(r):
		return nil, errPublicWithSecret()
	}
	ar, err := p.cfg.Store.GetAuthRequest(ctx, hashSecret(deviceCode))
	if errors.Is(err, store.ErrNotFound) || (err == nil && (ar.Flow != flowDevice || !strings.EqualFold(ar.ClientID, clientID))) {
		return nil, p.refuseUnknown(ctx, clientID, invalidGrant("AADSTS70000: The device code is unknown or was issued to another client."))
	}
	if err != nil {
		return nil, err
	}
	switch {
	case ar.Redeemed:
		return nil, invalidGrant("AADSTS54005: The device code was already redeemed.")
	case !p.now().Before(ar.Expires):
		return nil, zoidc.ErrExpiredDeviceCode()
	case ar.UserID == "":
		return nil, zoidc.ErrAuthorizationPending()
	}
	app, err := p.cfg.Store.GetApplicationByAppID(ctx, ar.ClientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !app.SignIn.FallbackPublicClient) {
		return nil, zoidc.ErrUnauthorizedClient().WithDescription("The device code flow is off for this application.")
	}
	if err != nil {
		return nil, err
	}
	u, err := p.signedInUser(ctx, ar.UserID)
	if err != nil {
		return nil, err
	}
	res, err := resourceOf(app, ar.Scopes)
	if err != nil {
		return nil, err
	}
	g := &grant{p: p, user: u, clientID: app.AppID, scopes: ar.Scopes, authTime: ar.AuthTime, res: res, clientInfo: askedClientInfo(r)}
	resp, err := p.issue(ctx, g, p.clientFor(app, platformPublic), "", family{id: ar.ID, redeem: true})
	if errors.Is(err, errRedeemed) { // another exchange of the device code won
		return nil, invalidGrant("AADSTS54005: The device code was already redeemed.")
	}
	return resp, err
}

var deviceAuthPage = template.Must(template.New("deviceauth").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in on another device</title></head>
<body>{{if .Done}}<h1>You are signed in</h1><p>Go back to your device: it goes on by itself. You can close this window.</p>
{{else}}<h1>Sign in on another device</h1>
<p>Enter the code your device shows.</p>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post"><label>Code <input name="user_code" autocomplete="off" autocapitalize="characters" required maxlength="16" value="{{.Code}}"></label>
<button type="submit">Next</button></form>{{end}}</body></html>
`))

type deviceAuthView struct {
	Done  bool
	Error string
	Code  string
}

// serveDeviceAuth answers the device flow's verification URI: a form
// asking for the user code; with ?user_code= (verification_uri_complete)
// or on submit, the code's request goes to the sign-in page. Wrong codes
// are throttled per client address.
func (p *Provider) serveDeviceAuth(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w, pageCSP+"; form-action 'self'")
	var code string
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			p.deviceAuthView(w, http.StatusBadRequest, deviceAuthView{Error: "The form could not be read."})
			return
		}
		code = r.PostForm.Get("user_code")
	} else {
		if r.URL.Query().Get("done") != "" {
			p.deviceAuthView(w, http.StatusOK, deviceAuthView{Done: true})
			return
		}
		code = r.URL.Query().Get("user_code")
		if code == "" {
			p.deviceAuthView(w, http.StatusOK, deviceAuthView{})
			return
		}
	}
	code = normalizeUserCode(code)
	ctx, addr := r.Context(), clientaddr.Of(r)
	err := p.devRate.blocked(ctx, addr)
	var ar store.AuthRequest
	if err == nil {
		ar, err = p.cfg.Store.GetAuthRequestByUserCode(ctx, code)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !waiting(&ar, p.now())) {
			err = p.devRate.fail(ctx, addr)
			if err == nil {
				err = apperr.New(apperr.Invalid, "unknownUserCode", "That code is unknown or expired. Check it, or start again on your device.")
			}
		}
	}
	if err != nil {
		ae, status, ok := httperr.Classify(err)
		msg := "Something went wrong. Try again."
		if ok {
			msg = ae.Message
		} else {
			p.log().Error("oidc: device authorization", "err", err.Error())
		}
		p.deviceAuthView(w, status, deviceAuthView{Error: msg, Code: code})
		return
	}
	http.Redirect(w, r, p.tenant+"/signin?authRequest="+ar.ID, http.StatusSeeOther)
}

func (p *Provider) deviceAuthView(w http.ResponseWriter, status int, v deviceAuthView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	deviceAuthPage.Execute(w, v)
}

// normalizeUserCode takes a user code as a worker types it: any case,
// with or without its dash and spaces.
func normalizeUserCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	if len(s) > 16 {
		s = s[:16]
	}
	if len(s) == 8 {
		s = s[:4] + "-" + s[4:]
	}
	return s
}
