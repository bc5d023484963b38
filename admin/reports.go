package admin

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// Registration is one user's registration state, for Graph's
// userRegistrationDetails.
type Registration struct {
	User        store.User
	IsAdmin     bool      // the user holds a directory role
	HasMethod   bool      // the user has a QR code + PIN method
	LastUpdated time.Time // the last change to the user's method (its PIN's), else the user's creation
}

// RegistrationFilter selects registrations; zero fields select all.
// Strings compare case-insensitively; a Prefix field is startsWith.
type RegistrationFilter struct {
	ID               string
	UPN, UPNPrefix   string
	Name, NamePrefix string // userDisplayName
	IsAdmin          *bool
	HasMethod        *bool // methodsRegistered/any(m: m eq 'qrCode')
	NoneMatches      bool  // the filter can match nobody (a method qrpin does not serve)
}

// match reports whether r passes f.
func (f RegistrationFilter) match(r Registration) bool {
	u := r.User
	switch {
	case f.NoneMatches,
		f.ID != "" && !strings.EqualFold(u.ID, f.ID),
		f.UPN != "" && !strings.EqualFold(u.UPN, f.UPN),
		f.UPNPrefix != "" && !hasPrefixFold(u.UPN, f.UPNPrefix),
		f.Name != "" && !strings.EqualFold(u.DisplayName, f.Name),
		f.NamePrefix != "" && !hasPrefixFold(u.DisplayName, f.NamePrefix),
		f.IsAdmin != nil && *f.IsAdmin != r.IsAdmin,
		f.HasMethod != nil && *f.HasMethod != r.HasMethod:
		return false
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// maxScan bounds how many users one page of registrations reads, whatever
// the filter: a page may then hold fewer than limit entries and still have
// a next one, as Graph's pages may.
const maxScan = 2000

// ListRegistrations returns up to limit registrations of users with an id
// greater than after that match f, ordered by user id, and the id to
// continue after ("" when no user is left). It reads at most maxScan users.
func (s *Service) ListRegistrations(ctx context.Context, p auth.Principal, f RegistrationFilter, after string, limit int) ([]Registration, string, error) {
	if err := auth.Authorize(p, auth.ReadReports, auth.Target{}, s.Time()); err != nil {
		return nil, "", err
	}
	out := []Registration{}
	for scanned := 0; scanned < maxScan; {
		batch := min(limit, maxScan-scanned)
		us, err := s.Store.ListUsers(ctx, after, batch)
		if err != nil {
			return nil, "", err
		}
		for i, u := range us {
			r, err := s.registration(ctx, u)
			if err != nil {
				return nil, "", err
			}
			after = u.ID
			if f.match(r) {
				out = append(out, r)
			}
			if len(out) == limit {
				if i == len(us)-1 && len(us) < batch {
					return out, "", nil
				}
				return out, after, nil
			}
		}
		scanned += len(us)
		if len(us) < batch {
			return out, "", nil
		}
	}
	return out, after, nil
}

// GetRegistration returns the registration of the user with that object id.
func (s *Service) GetRegistration(ctx context.Context, p auth.Principal, id string) (Registration, error) {
	if err := auth.Authorize(p, auth.ReadReports, auth.Target{}, s.Time()); err != nil {
		return Registration{}, err
	}
	u, err := s.Store.GetUser(ctx, strings.ToLower(id))
	if errors.Is(err, store.ErrNotFound) {
		return Registration{}, errResourceNotFound(id)
	}
	if err != nil {
		return Registration{}, err
	}
	return s.registration(ctx, u)
}

func (s *Service) registration(ctx context.Context, u store.User) (Registration, error) {
	r := Registration{User: u, LastUpdated: u.Created}
	roles, err := s.Store.ListRoleAssignments(ctx, u.ID)
	if err != nil {
		return r, err
	}
	r.IsAdmin = len(roles) > 0
	m, err := s.Store.GetMethod(ctx, u.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return r, nil
	case err != nil:
		return r, err
	}
	r.HasMethod = true
	r.LastUpdated = m.Created
	if m.PIN.Updated.After(r.LastUpdated) {
		r.LastUpdated = m.PIN.Updated
	}
	return r, nil
}

// RegisteredByMethod is Graph's userRegistrationMethodSummary for the QR
// code + PIN method: how many users it counts, and how many of them have
// the method.
type RegisteredByMethod struct {
	Users, WithMethod int
}

// CountRegistrations counts the users and the QR code + PIN methods (all
// users: every qrpin user is a member, and the count is not split by role).
func (s *Service) CountRegistrations(ctx context.Context, p auth.Principal) (RegisteredByMethod, error) {
	if err := auth.Authorize(p, auth.ReadReports, auth.Target{}, s.Time()); err != nil {
		return RegisteredByMethod{}, err
	}
	c, err := s.Store.Count(ctx)
	return RegisteredByMethod{Users: c.Users, WithMethod: c.Methods}, err
}
