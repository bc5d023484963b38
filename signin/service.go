// Package signin runs sign-in with the QR code + PIN method: the QR code is
// checked first, then the PIN, then (when the PIN is temporary or shorter
// than the policy now wants) a new PIN; the result is a delegated access
// token and an ID token or, for an OpenID provider's authorization request
// (Service.Authorizations, StartQRFor), the completed request: the URL the
// browser goes to next, and no token.
//
// Each step is a short-lived, single-use transaction kept in the store (so
// several server processes share them); the client holds a random handle
// and the store only its hash. Every step takes the transaction it is
// given, and a step that lets the user go on returns a new handle, so a
// replayed handle always fails.
//
// PIN attempts count towards the method's lockout (spec D16) through
// pinflow, which reserves each one before the slow Argon2id check, so that
// parallel attempts and several processes cannot get past it. Incorrect QR
// codes and bad transaction handles are throttled per client address
// (Throttle), in the store as well.
package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
)

// AppID is the client id of qrpin's own sign-in page: the azp/appid of the
// tokens it issues and the audience of its ID tokens.
const AppID = "5e1b2c3d-0a5f-4c6e-9b7a-51a9f0c0d1e2"

// AppName is the sign-in page's application name, as sign-in logs show it.
const AppName = "qrpin sign-in"

// Scopes are the delegated scopes of a sign-in's access token: the user's
// own QR code + PIN method (the /me endpoints) and their profile.
var Scopes = []string{"openid", "profile", "User.Read", "UserAuthMethod-QR.ReadWrite"}

// Stages of a sign-in transaction: what the client sends next.
const (
	StagePIN    = "pin"
	StageNewPIN = "newPin"
	StageDone   = "done"
)

// Defaults.
const (
	DefaultTransactionTTL = 5 * time.Minute
	DefaultTokenTTL       = time.Hour
)

// Service carries out sign-ins.
type Service struct {
	// Config is the store, hasher, pepper, tenant, lockout and clock,
	// shared with the management service.
	pinflow.Config
	Tokens *auth.Tokens
	// Throttle limits incorrect QR codes and bad handles per client
	// address; the zero Throttle, none.
	Throttle Throttle
	// Record, when set, is told the outcome of every step (sign-in logs).
	Record func(context.Context, Event)
	// TransactionTTL is how long a step's handle is valid (DefaultTransactionTTL when 0).
	TransactionTTL time.Duration
	// TokenTTL is the lifetime of the tokens issued (DefaultTokenTTL when 0).
	TokenTTL time.Duration
	// Authorizations, when set, is the OpenID provider whose authorization
	// requests workers sign in for (StartQRFor); nil: sign-ins to qrpin
	// itself only.
	Authorizations Authorizations
}

// Step is the answer to a successful step: either the next step, with the
// handle to send with it, or (Next == StageDone) the tokens, or (Next ==
// StageRedirect, a sign-in for an authorization request) where the browser
// goes next.
type Step struct {
	Next        string
	Transaction string    // the handle for the next step
	Expires     time.Time // when Transaction expires
	PINLength   int       // the shortest PIN the policy allows (for the PIN pad)
	Tokens      *TokenSet // when Next is StageDone
	Location    string    // when Next is StageRedirect
}

// TokenSet is what a completed sign-in gets.
type TokenSet struct {
	AccessToken string
	IDToken     string
	ExpiresIn   int // seconds
	Scope       string
}

// Event is one step's outcome, for the sign-in logs. It never holds a PIN,
// a QR code's content or a handle.
type Event struct {
	Time   time.Time
	UserID string // "" when the QR code named no known user
	UPN    string
	// UserDisplayName is the user's displayName ("" when no user is known).
	UserDisplayName string
	IPAddress       string
	Step            string // the step attempted: "qrCode", StagePIN or StageNewPIN
	ErrorCode       int    // 0 on success
	FailureReason   string // "" on success
	Done            bool   // the sign-in completed
	// AppID and AppName are the application signed in to, for a sign-in
	// for an authorization request ("": qrpin's own sign-in page), and
	// Resource and Flow the resource and flow of the request.
	AppID, AppName string
	Resource, Flow string
}

// Error codes of sign-in logs (Entra's AADSTS numbers where one fits).
const (
	CodeIncorrectQR    = 50000 + 1250 // our own: the QR code is unknown, expired or not the user's
	CodeInvalidPIN     = 50126
	CodeLocked         = 50053
	CodeUserDisabled   = 50057
	CodeNotInScope     = 50034 + 1000 // our own: the policy does not let the user sign in with the method
	CodePINRule        = 50000 + 1251 // our own: the new PIN breaks the PIN rules
	CodeBadTransaction = 50000 + 1252 // our own: the handle is unknown, used or expired
)

// The sign-in log's failureReason when the policy refuses a sign-in: it
// tells the administrator why, while the worker sees only "Incorrect QR
// code" (issue 13, item 12).
const (
	ReasonPolicyDisabled = "The QR code + PIN method is not enabled for the user: the authentication methods policy's qrCodePin configuration is disabled."
	ReasonNotIncluded    = "The QR code + PIN method is not enabled for the user: the policy's includeTargets name neither the user nor a group of theirs."
	ReasonExcluded       = "The QR code + PIN method is not enabled for the user: the policy's excludeTargets name the user or a group of theirs."
)

// Client-facing errors: they say only what the user may know.
func errIncorrectQR() error {
	return apperr.New(apperr.Invalid, "incorrectQRCode", "Incorrect QR code")
}

func errInvalidPIN() error {
	return apperr.New(apperr.Invalid, "invalidPin", "Invalid PIN")
}

func errTransaction() error {
	return apperr.New(apperr.Invalid, "invalidTransaction",
		"This sign-in has expired or was already used. Scan your QR code again.")
}

func errLocked(until, now time.Time) error {
	e := apperr.New(apperr.Throttled, "pinLocked", "PIN locked, try again at %s", until.UTC().Format(time.RFC3339))
	e.RetryAfter = until.Sub(now)
	return e
}

func errDisabled() error {
	return apperr.New(apperr.Forbidden, "pinDisabled",
		"PIN locked after too many wrong PINs. Ask an administrator to reset it.")
}

func (s *Service) txTTL() time.Duration {
	if s.TransactionTTL > 0 {
		return s.TransactionTTL
	}
	return DefaultTransactionTTL
}

func (s *Service) record(ctx context.Context, ev Event) {
	if s.Record != nil {
		s.Record(ctx, ev)
	}
}

// fail records a failed step and returns err.
func (s *Service) fail(ctx context.Context, ev Event, code int, reason string, err error) error {
	ev.ErrorCode, ev.FailureReason = code, reason
	s.record(ctx, ev)
	return err
}

// StartQR checks a scanned QR code (payload as the camera or scanner read
// it) for a client at addr and, when it is good, asks for the PIN.
func (s *Service) StartQR(ctx context.Context, addr, payload string) (Step, error) {
	return s.StartQRFor(ctx, addr, payload, "")
}

// StartQRFor is StartQR for the OpenID provider's authorization request
// authRequest ("": a sign-in to qrpin itself). The request must be pending
// (else authRequestNotFound; a well-formed id counts towards the
// throttle), and when it names a user (login hint) the badge must be
// theirs (else unexpectedUser, logged like an incorrect QR code). The
// sign-in's last step then completes the request instead of issuing
// tokens.
func (s *Service) StartQRFor(ctx context.Context, addr, payload, authRequest string) (Step, error) {
	now := s.Time()
	ev := Event{Time: now, IPAddress: addr, Step: "qrCode"}
	// The throttle is consulted only here, once the code has failed: a
	// valid badge is never refused for the failures of others.
	refuse := func(u *store.User, code int, reason string, err error) (Step, error) {
		if terr := s.throttle(ctx, addr, now); terr != nil {
			return Step{}, terr
		}
		if u != nil {
			ev.UserID, ev.UPN, ev.UserDisplayName = u.ID, u.UPN, u.DisplayName
		}
		return Step{}, s.fail(ctx, ev, code, reason, err)
	}
	badQR := func(u *store.User, code int, reason string) (Step, error) {
		return refuse(u, code, reason, errIncorrectQR())
	}
	var req Pending
	if authRequest != "" {
		var err error
		if req, err = s.Pending(ctx, authRequest); err != nil {
			return Step{}, s.badRequest(ctx, addr, authRequest, now, err)
		}
		ev.AppID, ev.AppName, ev.Resource, ev.Flow = req.AppID, req.AppName, req.Resource, req.Flow
	}
	p, err := qr.Parse(payload)
	if err != nil {
		return badQR(nil, CodeIncorrectQR, "The QR code is not a qrpin sign-in code.")
	}
	if p.TenantID != s.TenantID {
		return badQR(nil, CodeIncorrectQR, "The QR code belongs to another tenant.")
	}
	m, err := s.Store.GetMethodByCode(ctx, p.CodeID)
	if errors.Is(err, store.ErrNotFound) {
		return badQR(nil, CodeIncorrectQR, "The QR code is unknown or was deleted.")
	}
	if err != nil {
		return Step{}, err
	}
	c := m.CodeByID(p.CodeID)
	if c == nil || !qr.Verify(s.Pepper, p.Secret, c.Verifier) {
		return badQR(nil, CodeIncorrectQR, "The QR code is unknown or was deleted.")
	}
	sub, err := s.subject(ctx, m.UserID)
	if err != nil {
		return Step{}, err
	}
	u, policy := sub.user, sub.policy
	if req.hinted() && req.UserID != u.ID {
		return refuse(&u, CodeIncorrectQR, "The QR code is not the badge of the user the application asked for (login_hint).",
			errOtherUser(req.UPN))
	}
	if code, reason := sub.admit(c, now); code != 0 {
		return badQR(&u, code, reason)
	}
	ev.UserID, ev.UPN, ev.UserDisplayName = u.ID, u.UPN, u.DisplayName
	if err := m.Lockout.Check(now); err != nil {
		return Step{}, s.fail(ctx, ev, CodeLocked, "The PIN is locked after too many wrong PINs.", lockErr(m.Lockout, now))
	}
	step, err := s.next(ctx, store.SignIn{Stage: StagePIN, UserID: u.ID, CodeID: c.ID, AuthRequest: authRequest}, policy, now)
	if err != nil {
		return Step{}, err
	}
	s.record(ctx, ev)
	return step, nil
}

// SubmitPIN checks the PIN for the transaction handle tx. A wrong PIN
// returns an error and, unless the PIN is now locked, a Step with a new
// handle to try again with. When the sign-in completes, its tokens hold an
// ID token only if idToken asks for one (see finish).
func (s *Service) SubmitPIN(ctx context.Context, addr, tx, code string, idToken bool) (Step, error) {
	now := s.Time()
	ev := Event{Time: now, IPAddress: addr, Step: StagePIN}
	if !pinShaped(code) { // no attempt counted: it cannot be anyone's PIN
		return Step{}, errInvalidPIN()
	}
	si, err := s.take(ctx, tx, StagePIN, now)
	if err != nil {
		return Step{}, s.badHandle(ctx, ev, err)
	}
	sub, err := s.subject(ctx, si.UserID)
	if err != nil {
		return Step{}, err
	}
	u, policy := sub.user, sub.policy
	ev.UserID, ev.UPN, ev.UserDisplayName = u.ID, u.UPN, u.DisplayName
	if err := s.stillPending(ctx, &ev, si.AuthRequest); err != nil { // before the PIN counts
		return Step{}, err
	}
	// The QR code must still be active, the user still enabled and in
	// scope, checked where pinflow reserves the attempt.
	var reason string
	var rcode int
	m, err := pinflow.Verify(ctx, s.Config, pinflow.Attempt{
		UserID: u.ID,
		PIN:    code,
		Admit: func(m *method.Method) error {
			if rcode, reason = sub.admit(m.CodeByID(si.CodeID), now); rcode != 0 {
				return errIncorrectQR()
			}
			return nil
		},
		Succeed: func(m *method.Method) {
			if c := m.CodeByID(si.CodeID); c != nil {
				c.LastUsed = now
			}
		},
	})
	var wrong *pinflow.WrongPINError
	var locked *pinflow.LockedError
	switch {
	case err == nil:
	case errors.Is(err, pinflow.ErrNoMethod):
		return Step{}, s.fail(ctx, ev, CodeIncorrectQR, "The user's QR code + PIN method was deleted.", errIncorrectQR())
	case errors.Is(err, pinflow.ErrPINReset):
		return Step{}, s.fail(ctx, ev, CodeInvalidPIN, "The PIN was reset during the sign-in.", errInvalidPIN())
	case errors.As(err, &locked):
		return Step{}, s.fail(ctx, ev, CodeLocked, "The PIN is locked after too many wrong PINs.", lockErr(locked.Lockout, now))
	case errors.As(err, &wrong):
		failErr := errInvalidPIN()
		switch {
		case wrong.Lockout.Disabled:
			failErr = errDisabled()
		case now.Before(wrong.Lockout.LockedUntil):
			failErr = errLocked(wrong.Lockout.LockedUntil, now)
		default:
			retry, err := s.next(ctx, store.SignIn{Stage: StagePIN, UserID: u.ID, CodeID: si.CodeID, AuthRequest: si.AuthRequest}, policy, now)
			if err != nil {
				return Step{}, err
			}
			_ = s.fail(ctx, ev, CodeInvalidPIN, "Invalid PIN.", nil)
			return retry, failErr
		}
		return Step{}, s.fail(ctx, ev, CodeInvalidPIN, "Invalid PIN; the PIN is now locked.", failErr)
	case rcode != 0:
		return Step{}, s.fail(ctx, ev, rcode, reason, err)
	default:
		return Step{}, err
	}
	if method.NeedsNewPIN(m.PIN, policy) {
		step, err := s.next(ctx, store.SignIn{Stage: StageNewPIN, UserID: u.ID, CodeID: si.CodeID, PINRef: pinRef(m.PIN.Hash),
			AuthRequest: si.AuthRequest}, policy, now)
		if err != nil {
			return Step{}, err
		}
		s.record(ctx, ev)
		return step, nil
	}
	return s.finish(ctx, ev, u, si.AuthRequest, now, idToken)
}

// ChangePIN sets the user's new PIN for transaction handle tx (after a
// correct temporary or too short PIN) and completes the sign-in, with an
// ID token only if idToken asks for one. A new PIN that breaks the rules
// leaves the transaction as it is.
func (s *Service) ChangePIN(ctx context.Context, addr, tx, next string, idToken bool) (Step, error) {
	now := s.Time()
	ev := Event{Time: now, IPAddress: addr, Step: StageNewPIN}
	if err := pinflow.CheckNew(ctx, s.Config, "", next); err != nil {
		return Step{}, err
	}
	si, err := s.take(ctx, tx, StageNewPIN, now)
	if err != nil {
		return Step{}, s.badHandle(ctx, ev, err)
	}
	sub, err := s.subject(ctx, si.UserID)
	if err != nil {
		return Step{}, err
	}
	u := sub.user
	ev.UserID, ev.UPN, ev.UserDisplayName = u.ID, u.UPN, u.DisplayName
	if err := s.stillPending(ctx, &ev, si.AuthRequest); err != nil { // before the PIN changes
		return Step{}, err
	}
	m, err := s.Store.GetMethod(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return Step{}, s.fail(ctx, ev, CodeIncorrectQR, "The user's QR code + PIN method was deleted.", errIncorrectQR())
	}
	if err != nil {
		return Step{}, err
	}
	if code, reason := sub.admit(m.CodeByID(si.CodeID), now); code != 0 {
		return Step{}, s.fail(ctx, ev, code, reason, errIncorrectQR())
	}
	if pinRef(m.PIN.Hash) != si.PINRef {
		return Step{}, s.fail(ctx, ev, CodeBadTransaction, "The PIN was reset during the sign-in.", errTransaction())
	}
	_, err = pinflow.SetPIN(ctx, s.Config, u.ID, m.PIN.Hash, next)
	switch {
	case err == nil:
	case errors.Is(err, pinflow.ErrSamePIN):
		// Let the user try again with the same transaction stage.
		retry, err := s.next(ctx, store.SignIn{Stage: StageNewPIN, UserID: u.ID, CodeID: si.CodeID, PINRef: si.PINRef,
			AuthRequest: si.AuthRequest}, sub.policy, now)
		if err != nil {
			return Step{}, err
		}
		return retry, s.fail(ctx, ev, CodePINRule, "The new PIN equals the temporary PIN.",
			apperr.New(apperr.Invalid, pin.CodeInvalid, "The new PIN must differ from the current PIN."))
	case errors.Is(err, pinflow.ErrNoMethod):
		return Step{}, s.fail(ctx, ev, CodeIncorrectQR, "The user's QR code + PIN method was deleted.", errIncorrectQR())
	case errors.Is(err, pinflow.ErrPINReset):
		return Step{}, s.fail(ctx, ev, CodeBadTransaction, "The PIN was reset during the sign-in.", errTransaction())
	default:
		return Step{}, err
	}
	return s.finish(ctx, ev, u, si.AuthRequest, now, idToken)
}

// finish issues the tokens of a completed sign-in (the access token, and an
// ID token when idToken asks for one: the sign-in page itself uses neither,
// and an RS256 signature is a third of a sign-in's CPU beside Argon2id) or,
// for an authorization request (authRequest != ""), completes the request
// and answers where the browser goes next: then no token is minted here,
// whatever idToken says.
func (s *Service) finish(ctx context.Context, ev Event, u store.User, authRequest string, now time.Time, idToken bool) (Step, error) {
	if authRequest != "" {
		loc, err := s.complete(ctx, authRequest, u, now)
		if unknownRequest(err) {
			return Step{}, s.requestGone(ctx, ev, err)
		}
		if err != nil {
			return Step{}, err
		}
		ev.Done = true
		s.record(ctx, ev)
		return Step{Next: StageRedirect, Location: loc}, nil
	}
	as, err := s.Store.ListRoleAssignments(ctx, u.ID)
	if err != nil {
		return Step{}, err
	}
	var wids []string
	for _, a := range as {
		if a.UnitID == "" { // wids carry tenant-wide roles only, as Entra's do
			wids = append(wids, a.RoleDefinitionID)
		}
	}
	ts, err := s.mint(u, wids, now, idToken)
	if err != nil {
		return Step{}, err
	}
	ev.Done = true
	s.record(ctx, ev)
	return Step{Next: StageDone, Tokens: &ts}, nil
}

// subject is the user a sign-in is for, with what the rules need.
type subject struct {
	user   store.User
	groups []string
	policy method.Policy
}

// subject loads the user, their groups and the policy.
func (s *Service) subject(ctx context.Context, userID string) (subject, error) {
	var sub subject
	var err error
	sub.user, err = s.Store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return sub, errTransaction()
	}
	if err != nil {
		return sub, err
	}
	if sub.groups, err = s.Store.UserGroupIDs(ctx, userID); errors.Is(err, store.ErrNotFound) {
		return sub, errTransaction()
	} else if err != nil {
		return sub, err
	}
	if sub.policy, err = s.Store.GetPolicy(ctx); err != nil {
		return sub, err
	}
	return sub, nil
}

// admit applies the sign-in rules (method.Admit) to the subject and the QR
// code c at now. It returns the sign-in log code and reason of a refusal, 0
// when the rules admit the sign-in.
func (sub subject) admit(c *method.QRCode, now time.Time) (int, string) {
	who := method.Subject{UserID: sub.user.ID, Enabled: sub.user.AccountEnabled, Groups: sub.groups}
	switch method.Admit(who, c, sub.policy, now) {
	case method.CodeMissing:
		return CodeIncorrectQR, "The QR code was deleted."
	case method.CodeNotYetValid:
		return CodeIncorrectQR, "The QR code is not valid yet."
	case method.CodeExpired:
		return CodeIncorrectQR, "The QR code has expired."
	case method.UserDisabled:
		return CodeUserDisabled, "The user account is disabled."
	case method.PolicyDisabled:
		return CodeNotInScope, ReasonPolicyDisabled
	case method.NotIncluded:
		return CodeNotInScope, ReasonNotIncluded
	case method.Excluded:
		return CodeNotInScope, ReasonExcluded
	}
	return 0, ""
}

func lockErr(l method.Lockout, now time.Time) error {
	if l.Disabled {
		return errDisabled()
	}
	return errLocked(l.LockedUntil, now)
}

// next stores a new transaction (si: its stage, user, code, PIN reference
// and authorization request) and returns its handle.
func (s *Service) next(ctx context.Context, si store.SignIn, policy method.Policy, now time.Time) (Step, error) {
	handle, id, err := newHandle()
	if err != nil {
		return Step{}, err
	}
	exp := now.Add(s.txTTL())
	si.ID, si.Created, si.Expires = id, now, exp
	if err := s.Store.CreateSignIn(ctx, si); err != nil {
		if errors.Is(err, store.ErrNotFound) { // the user was deleted meanwhile
			return Step{}, errIncorrectQR()
		}
		return Step{}, err
	}
	return Step{Next: si.Stage, Transaction: handle, Expires: exp, PINLength: max(policy.PINLength, pin.MinLength)}, nil
}

// badRequest answers a QR step whose authorization request Pending refused
// with err: a well-formed id of no pending request counts towards the
// address's throttle (a malformed one was not looked up and counts
// nothing); a store or provider failure is returned as it is. No sign-in
// log entry: no badge was checked.
func (s *Service) badRequest(ctx context.Context, addr, authRequest string, now time.Time, err error) error {
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.NotFound || !requestIDShaped(authRequest) {
		return err
	}
	if terr := s.throttle(ctx, addr, now); terr != nil {
		return terr
	}
	return err
}

// stillPending checks, for a later step of a sign-in for an authorization
// request, that the request is still pending, and names its application
// in ev. A request gone meanwhile fails the step (logged).
func (s *Service) stillPending(ctx context.Context, ev *Event, authRequest string) error {
	if authRequest == "" {
		return nil
	}
	p, err := s.Pending(ctx, authRequest)
	if unknownRequest(err) {
		return s.requestGone(ctx, *ev, err)
	}
	if err != nil {
		return err
	}
	ev.AppID, ev.AppName, ev.Resource, ev.Flow = p.AppID, p.AppName, p.Resource, p.Flow
	return nil
}

// requestGone fails (and logs) a step whose authorization request expired
// or was completed meanwhile, with err (errUnknownRequest's).
func (s *Service) requestGone(ctx context.Context, ev Event, err error) error {
	return s.fail(ctx, ev, CodeAuthRequest, "The application's sign-in request expired or was completed.", err)
}

// badHandle answers a step whose handle take refused with err: a bad handle
// counts towards the address's throttle and is logged, unless the address
// is over its limit (then 429, not logged); a store failure is returned as
// it is.
func (s *Service) badHandle(ctx context.Context, ev Event, err error) error {
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid {
		return err
	}
	if terr := s.throttle(ctx, ev.IPAddress, ev.Time); terr != nil {
		return terr
	}
	return s.fail(ctx, ev, CodeBadTransaction, "The sign-in transaction is unknown, used or expired.", err)
}

// take takes the transaction a handle names, which must be at the stage.
func (s *Service) take(ctx context.Context, handle, stage string, now time.Time) (store.SignIn, error) {
	id, ok := handleID(handle)
	if !ok {
		return store.SignIn{}, errTransaction()
	}
	si, err := s.Store.TakeSignIn(ctx, id, now)
	if errors.Is(err, store.ErrNotFound) {
		return si, errTransaction()
	}
	if err != nil {
		return si, err
	}
	if si.Stage != stage {
		return si, errTransaction()
	}
	return si, nil
}

// handleLen is the length of a handle: 32 random bytes in unpadded base64url.
const handleLen = 43

var b64 = base64.RawURLEncoding.Strict()

// newHandle returns a new random handle and the id it is stored under.
func newHandle() (handle, id string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	handle = b64.EncodeToString(b)
	id, _ = handleID(handle)
	return handle, id, nil
}

// handleID returns the store id of a well-formed handle: its SHA-256, in hex.
func handleID(handle string) (string, bool) {
	if len(handle) != handleLen {
		return "", false
	}
	if _, err := b64.DecodeString(handle); err != nil {
		return "", false
	}
	sum := sha256.Sum256([]byte(handle))
	return hex.EncodeToString(sum[:]), true
}

// pinRef is a fingerprint of a PIN hash: it binds a transaction to the PIN
// that was checked, without keeping a copy of the hash.
func pinRef(hash string) string {
	sum := sha256.Sum256([]byte("qrpin-pinref:" + hash))
	return hex.EncodeToString(sum[:16])
}

// pinShaped reports whether code could be a PIN: 1 to 20 ASCII digits.
func pinShaped(code string) bool {
	if code == "" || len(code) > pin.MaxLength {
		return false
	}
	return strings.Trim(code, "0123456789") == ""
}
