package admin

import (
	"context"
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

// startTolerance is how far in the past a new QR code's startDateTime may
// be (clients' clocks differ); earlier starts are refused.
const startTolerance = 5 * time.Minute

// NewCode is a QR code just created, with the image that is shown once.
type NewCode struct {
	Code  method.QRCode
	Image qr.Image
}

// CreatedMethod is a method just created, with its one-time secrets.
type CreatedMethod struct {
	User     store.User
	Method   method.Method
	Standard NewCode
	PIN      string
}

// PatchedCode is what PatchCode did: created a code (Created, with the
// image shown once) or moved a live standard code's expiry (Code.Image
// empty).
type PatchedCode struct {
	User    store.User
	Code    NewCode
	Created bool
}

// ResetPINResult is a PIN just reset: its state, and the generated PIN,
// shown once.
type ResetPINResult struct {
	User     store.User
	MethodID string // the method the PIN belongs to
	PIN      method.PIN
	Code     string
}

// CodeInput is the body of a request that creates or changes a QR code.
// Zero times were not given.
type CodeInput struct {
	Start, Expire time.Time
}

// CreateMethodInput is the body of PUT qrCodePinMethod.
type CreateMethodInput struct {
	Standard     *CodeInput // nil when standardQRCode is absent
	HasTemporary bool       // temporaryQRCode was sent (not allowed)
	PIN          string     // "" to have one generated
}

// GetMethod returns a user's method.
func (s *Service) GetMethod(ctx context.Context, p auth.Principal, ref UserRef) (store.User, method.Method, error) {
	// An application's permission does not depend on the user (its own
	// permissions decide, the user's roles play no part), so it is checked
	// first and the user and method read in one statement. Only when that
	// finds nothing does target tell a missing user from a missing method.
	if p.Kind == auth.Application && !ref.Me && !strings.Contains(ref.Key, "@") {
		if err := auth.Authorize(p, auth.ReadMethod, auth.Target{}, s.Time()); err != nil {
			return store.User{}, method.Method{}, err
		}
		u, m, err := s.Store.GetUserWithMethod(ctx, strings.ToLower(ref.Key))
		if !errors.Is(err, store.ErrNotFound) {
			return u, m, err
		}
	}
	u, err := s.target(ctx, p, ref, auth.ReadMethod)
	if err != nil {
		// A manager refused a member's page on the staff page is recorded
		// (audit's rule); a Graph API read is not, as in Entra.
		s.audit(ctx, p, &err, &change{category: CategoryUser, activity: "Get QR code method", op: OpOther,
			targets: userTarget(u), read: true})
		return store.User{}, method.Method{}, err
	}
	m, err := s.method(ctx, u)
	return u, m, err
}

// ListMethods returns the user's authentication methods (the QR code + PIN
// method, when registered).
func (s *Service) ListMethods(ctx context.Context, p auth.Principal, ref UserRef) (store.User, []method.Method, error) {
	u, m, err := s.GetMethod(ctx, p, ref)
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Code == "itemNotFound" {
		return u, nil, nil
	}
	if err != nil {
		return u, nil, err
	}
	return u, []method.Method{m}, nil
}

func (s *Service) method(ctx context.Context, u store.User) (method.Method, error) {
	m, err := s.Store.GetMethod(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return m, errNoMethod()
	}
	return m, err
}

func errNoMethod() error {
	return apperr.New(apperr.NotFound, "itemNotFound", "The user has no QR code + PIN authentication method.")
}

func errNoCode(kind method.Kind) error {
	return apperr.New(apperr.NotFound, "itemNotFound", "The QR code + PIN method has no %s.", kind)
}

// CreateMethod registers the QR code + PIN method for a user: a standard QR
// code and a PIN (given, or generated when empty). The PIN is temporary: the
// user must change it at the next sign-in.
func (s *Service) CreateMethod(ctx context.Context, p auth.Principal, ref UserRef, in CreateMethodInput) (_ CreatedMethod, err error) {
	chg := &change{category: CategoryUser, activity: "Add QR code PIN method", op: OpAdd}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.WriteMethod)
	chg.targets = userTarget(u)
	if err != nil {
		return CreatedMethod{}, err
	}
	if in.Standard == nil || in.HasTemporary {
		return CreatedMethod{}, apperr.New(apperr.Invalid, "standardQRCodeRequired",
			"Standard QR code is required for adding new QR code auth method.")
	}
	if _, err := s.Store.GetMethod(ctx, u.ID); err == nil {
		return CreatedMethod{}, errTooManyMethods()
	} else if !errors.Is(err, store.ErrNotFound) {
		return CreatedMethod{}, err
	}
	policy, err := s.Store.GetPolicy(ctx)
	if err != nil {
		return CreatedMethod{}, err
	}
	now := s.Time()
	code := in.PIN
	if code == "" {
		if code, err = pin.Generate(policy.PINLength); err != nil {
			return CreatedMethod{}, err
		}
	} else if err := pin.Check(code, policy.PINLength); err != nil {
		return CreatedMethod{}, err
	}
	std, err := s.newCode(method.Standard, *in.Standard, policy, u, now)
	if err != nil {
		return CreatedMethod{}, err
	}
	hash, err := s.PINs.Hash(code)
	if err != nil {
		return CreatedMethod{}, err
	}
	m := method.Method{
		ID:       newID(),
		UserID:   u.ID,
		Created:  now,
		Standard: &std.Code,
		PIN:      method.PIN{Hash: hash, Length: len(code), ForceChange: true, Created: now, Updated: now},
	}
	switch err := s.Store.CreateMethod(ctx, m); {
	case errors.Is(err, store.ErrConflict):
		return CreatedMethod{}, errTooManyMethods()
	case errors.Is(err, store.ErrNotFound):
		return CreatedMethod{}, errResourceNotFound(u.ID)
	case err != nil:
		return CreatedMethod{}, err
	}
	return CreatedMethod{User: u, Method: m, Standard: std, PIN: code}, nil
}

func errTooManyMethods() error {
	return apperr.New(apperr.Invalid, "tooManyQRCodePinMethod",
		"There can be only one active QR code auth method for a user, please delete existing QR code auth method to create a new one.")
}

// newCode makes a QR code of the given kind for u: its secret goes into the
// image (returned once) and only a verifier is kept. Missing dates default
// to now and, for a standard code, the policy's lifetime.
func (s *Service) newCode(kind method.Kind, in CodeInput, policy method.Policy, u store.User, now time.Time) (NewCode, error) {
	start, expire := in.Start, in.Expire
	if start.IsZero() {
		start = now
	}
	if start.Before(now.Add(-startTolerance)) {
		return NewCode{}, apperr.BadRequest("startDateTime must not be in the past.")
	}
	if expire.IsZero() {
		if kind == method.Temporary {
			return NewCode{}, apperr.BadRequest("expireDateTime is required for a temporaryQRCode (1 to 12 hours after startDateTime).")
		}
		expire = start.AddDate(0, 0, policy.StandardLifetimeDays)
	}
	if err := method.ValidateLifetime(kind, start, expire); err != nil {
		return NewCode{}, err
	}
	secret, err := qr.NewSecret()
	if err != nil {
		return NewCode{}, err
	}
	c := method.QRCode{ID: newID(), Kind: kind, Start: start, Expire: expire, Created: now, Verifier: qr.Verifier(s.Pepper, secret)}
	img, err := qr.Render(qr.Payload{TenantID: s.TenantID, CodeID: c.ID, UPN: u.UPN, Secret: secret}.Encode())
	if err != nil {
		return NewCode{}, err
	}
	return NewCode{Code: c, Image: img}, nil
}

// DeleteMethod removes a user's method: both QR codes and the PIN.
func (s *Service) DeleteMethod(ctx context.Context, p auth.Principal, ref UserRef) (err error) {
	chg := &change{category: CategoryUser, activity: "Delete QR code PIN method", op: OpDelete}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.WriteMethod)
	chg.targets = userTarget(u)
	if err != nil {
		return err
	}
	if err = s.Store.DeleteMethod(ctx, u.ID); errors.Is(err, store.ErrNotFound) {
		return errNoMethod()
	}
	return err
}

// GetMethodByID returns a user's method when its id is id (Graph's
// generic authentication/methods/{id}); another id is itemNotFound.
func (s *Service) GetMethodByID(ctx context.Context, p auth.Principal, ref UserRef, id string) (store.User, method.Method, error) {
	u, m, err := s.GetMethod(ctx, p, ref)
	if err == nil && !strings.EqualFold(m.ID, id) {
		return u, method.Method{}, errNoMethodID(id)
	}
	return u, m, err
}

// DeleteMethodByID deletes a user's method when its id is id; another id
// is itemNotFound and deletes nothing. The id is checked, then the method
// deleted: a method created between the two (after the one named was
// deleted) is deleted too.
func (s *Service) DeleteMethodByID(ctx context.Context, p auth.Principal, ref UserRef, id string) (err error) {
	chg := &change{category: CategoryUser, activity: "Delete QR code PIN method", op: OpDelete}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.WriteMethod)
	chg.targets = userTarget(u)
	if err != nil {
		return err
	}
	m, err := s.method(ctx, u)
	if err != nil {
		return err
	}
	if !strings.EqualFold(m.ID, id) {
		return errNoMethodID(id)
	}
	if err = s.Store.DeleteMethod(ctx, u.ID); errors.Is(err, store.ErrNotFound) {
		return errNoMethod()
	}
	return err
}

func errNoMethodID(id string) error {
	return apperr.New(apperr.NotFound, "itemNotFound", "The user has no authentication method with the id '%s'.", id)
}

// GetCode returns one of a user's QR codes.
func (s *Service) GetCode(ctx context.Context, p auth.Principal, ref UserRef, kind method.Kind) (store.User, method.QRCode, error) {
	u, m, err := s.GetMethod(ctx, p, ref)
	if err != nil {
		return u, method.QRCode{}, err
	}
	c := m.Code(kind)
	if c == nil {
		return u, method.QRCode{}, errNoCode(kind)
	}
	return u, *c, nil
}

// PatchCode creates a QR code of the given kind when none is live (the
// result carries the image), or moves a live standard code's expiry (the
// result's Image is empty). A live temporary code cannot be changed.
func (s *Service) PatchCode(ctx context.Context, p auth.Principal, ref UserRef, kind method.Kind, in CodeInput) (_ PatchedCode, err error) {
	chg := &change{category: CategoryUser, activity: "Update QR code", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.WriteMethod)
	chg.targets = userTarget(u)
	if err != nil {
		return PatchedCode{User: u}, err
	}
	m, err := s.method(ctx, u)
	if err != nil {
		return PatchedCode{User: u}, err
	}
	now := s.Time()
	if c := m.Code(kind); c.Live(now) {
		if kind == method.Temporary {
			return PatchedCode{User: u}, method.ErrActiveCode(kind)
		}
		if !in.Start.IsZero() && !in.Start.Equal(c.Start) { // an attempt to create another
			return PatchedCode{User: u}, method.ErrActiveCode(kind)
		}
		if in.Expire.IsZero() {
			return PatchedCode{User: u}, apperr.BadRequest("expireDateTime is required to update the standardQRCode.")
		}
		m, err = s.updateMethod(ctx, u, func(m *method.Method) error {
			return m.ExtendStandard(in.Start, in.Expire, now)
		})
		if err != nil {
			return PatchedCode{User: u}, err
		}
		return PatchedCode{User: u, Code: NewCode{Code: *m.Standard}}, nil
	}
	policy, err := s.Store.GetPolicy(ctx)
	if err != nil {
		return PatchedCode{User: u}, err
	}
	nc, err := s.newCode(kind, in, policy, u, now)
	if err != nil {
		return PatchedCode{User: u}, err
	}
	if _, err = s.updateMethod(ctx, u, func(m *method.Method) error {
		c := nc.Code
		return m.AddCode(&c, now)
	}); err != nil {
		return PatchedCode{User: u}, err
	}
	chg.activity, chg.op = "Add QR code", OpAdd
	return PatchedCode{User: u, Code: nc, Created: true}, nil
}

// DeleteCode revokes one of a user's QR codes; the method and PIN stay.
func (s *Service) DeleteCode(ctx context.Context, p auth.Principal, ref UserRef, kind method.Kind) (err error) {
	chg := &change{category: CategoryUser, activity: "Delete QR code", op: OpDelete}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.WriteMethod)
	chg.targets = userTarget(u)
	if err != nil {
		return err
	}
	_, err = s.updateMethod(ctx, u, func(m *method.Method) error {
		if m.Code(kind) == nil {
			return errNoCode(kind)
		}
		m.SetCode(kind, nil)
		return nil
	})
	return err
}

// ResetPIN replaces a user's PIN with a new generated temporary one, which
// is returned (the one time it is shown). It also lifts any PIN lockout.
func (s *Service) ResetPIN(ctx context.Context, p auth.Principal, ref UserRef) (_ ResetPINResult, err error) {
	chg := &change{category: CategoryUser, activity: "Reset QR code PIN", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.ResetPIN)
	chg.targets = userTarget(u)
	if err != nil {
		return ResetPINResult{User: u}, err
	}
	if _, err := s.method(ctx, u); err != nil {
		return ResetPINResult{User: u}, err
	}
	policy, err := s.Store.GetPolicy(ctx)
	if err != nil {
		return ResetPINResult{User: u}, err
	}
	code, err := pin.Generate(policy.PINLength)
	if err != nil {
		return ResetPINResult{User: u}, err
	}
	hash, err := s.PINs.Hash(code)
	if err != nil {
		return ResetPINResult{User: u}, err
	}
	now := s.Time()
	m, err := s.updateMethod(ctx, u, func(m *method.Method) error {
		m.PIN = method.PIN{Hash: hash, Length: len(code), ForceChange: true, Created: now, Updated: now}
		m.Lockout.Succeed()
		return nil
	})
	if err != nil {
		return ResetPINResult{User: u}, err
	}
	return ResetPINResult{User: u, MethodID: m.ID, PIN: m.PIN, Code: code}, nil
}

// UnlockPIN lifts a user's temporary PIN lock and clears their count of
// wrong PINs, keeping the PIN: the user signs in with the PIN they know. A
// PIN disabled after too many wrong PINs is refused (400 pinDisabled) and
// left as it is: only a reset lifts that (spec D16). It is qrpin's own
// operation (Entra has none: an administrator resets the PIN instead),
// authorized as ResetPIN is. Unlocking a PIN that is not locked succeeds
// and changes nothing but the count of wrong PINs.
func (s *Service) UnlockPIN(ctx context.Context, p auth.Principal, ref UserRef) (_ store.User, err error) {
	chg := &change{category: CategoryUser, activity: "Unlock QR code PIN", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.UnlockPIN)
	chg.targets = userTarget(u)
	if err != nil {
		return u, err
	}
	_, err = s.updateMethod(ctx, u, func(m *method.Method) error {
		return m.Lockout.Unlock()
	})
	return u, err
}

// UpdatePIN lets the signed-in user replace their PIN, proving they know the
// current one. It runs the PIN flow sign-in runs (pinflow.Verify, then
// pinflow.SetPIN): wrong current PINs count towards the method's lockout.
func (s *Service) UpdatePIN(ctx context.Context, p auth.Principal, ref UserRef, current, next string) (err error) {
	chg := &change{category: CategoryUser, activity: "Change QR code PIN", op: OpUpdate}
	defer s.audit(ctx, p, &err, chg)
	u, err := s.target(ctx, p, ref, auth.UpdatePIN)
	chg.targets = userTarget(u)
	if err != nil {
		return err
	}
	if current == "" || next == "" {
		return apperr.BadRequest("Both currentPin and newPin are required.")
	}
	// The new PIN's rules first: a PIN that breaks them counts no attempt.
	if err := pinflow.CheckNew(ctx, s.Config, current, next); err != nil {
		return updatePINErr(err)
	}
	m, err := pinflow.Verify(ctx, s.Config, pinflow.Attempt{UserID: u.ID, PIN: current})
	if err == nil {
		_, err = pinflow.SetPIN(ctx, s.Config, u.ID, m.PIN.Hash, next)
	}
	return updatePINErr(err)
}

// updatePINErr answers the PIN flow's outcomes in updatePin's words.
func updatePINErr(err error) error {
	var locked *pinflow.LockedError
	switch {
	case errors.Is(err, pinflow.ErrNoMethod):
		return errNoMethod()
	case errors.Is(err, pinflow.ErrSamePIN):
		return apperr.New(apperr.Invalid, "invalidPin", "The new PIN must differ from the current PIN.")
	case errors.Is(err, pinflow.ErrPINReset), errors.As(err, new(*pinflow.WrongPINError)):
		return errIncorrectPIN()
	case errors.As(err, &locked):
		return locked.Lockout.Check(locked.At)
	}
	return err
}

func errIncorrectPIN() error {
	return apperr.New(apperr.Invalid, "incorrectPin", "Invalid PIN: currentPin is not the user's current PIN.")
}

// updateMethod runs fn on the user's stored method in one transaction.
func (s *Service) updateMethod(ctx context.Context, u store.User, fn func(*method.Method) error) (method.Method, error) {
	m, err := s.Store.UpdateMethod(ctx, u.ID, fn)
	if errors.Is(err, store.ErrNotFound) {
		return m, errNoMethod()
	}
	return m, err
}
