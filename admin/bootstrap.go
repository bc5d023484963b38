package admin

import (
	"context"
	"errors"

	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// BootstrapAppName is the display name of the administration application
// the first start of a server creates.
const BootstrapAppName = "qrpin bootstrap admin"

// BootstrapSetting is the setting that records the bootstrap application's
// object id, once one exists.
const BootstrapSetting = "bootstrap_admin_app"

// Bootstrapped is what Bootstrap created: the application, which holds
// every permission qrpin knows, and its client secret, shown this once.
type Bootstrapped struct {
	App    store.Application
	Secret NewPassword
}

// Bootstrap creates the bootstrap administration application when no
// server sharing this store has created one before: an application granted
// every permission in auth.AppRoles, with one client secret. It returns
// created false, and creates nothing, on every later call, even after the
// application is deleted.
//
// Processes that start at once on one store each build an application; the
// store's first-writer-wins Setting picks one, and the others delete
// theirs, so exactly one is left and only its creator reports it.
func (s *Service) Bootstrap(ctx context.Context) (Bootstrapped, bool, error) {
	settings, err := s.Store.ListSettings(ctx)
	if err != nil {
		return Bootstrapped{}, false, err
	}
	if _, done := settings[BootstrapSetting]; done {
		return Bootstrapped{}, false, nil
	}
	local := Local(s.TenantID)
	a, err := s.CreateApplication(ctx, local, BootstrapAppName)
	if err != nil {
		return Bootstrapped{}, false, err
	}
	discard := func(err error) (Bootstrapped, bool, error) {
		return Bootstrapped{}, false, errors.Join(err, s.Store.DeleteApplication(context.WithoutCancel(ctx), a.ID))
	}
	sp := SPRef{ID: a.ServicePrincipalID}
	for _, r := range auth.AppRoles {
		if _, err := s.GrantAppRole(ctx, local, sp, false, GrantInput{
			PrincipalID: a.ServicePrincipalID, ResourceID: GraphServicePrincipalID, AppRoleID: r.ID}); err != nil {
			return discard(err)
		}
	}
	secret, err := s.AddPassword(ctx, local, AppRef{ID: a.ID}, PasswordInput{DisplayName: "bootstrap"})
	if err != nil {
		return discard(err)
	}
	winner, err := s.Store.Setting(ctx, BootstrapSetting, a.ID)
	if err != nil {
		return discard(err)
	}
	if winner != a.ID {
		// Another process bootstrapped first: ours goes.
		return discard(nil)
	}
	a, err = s.Store.GetApplication(ctx, a.ID)
	if err != nil {
		return Bootstrapped{}, false, err
	}
	return Bootstrapped{App: a, Secret: secret}, true, nil
}
