package postgres

import (
	"bytes"
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/qrpin/qrpin/store"
)

const applicationColumns = `id, app_id, service_principal_id, display_name, created, web_logout_url, fallback_public_client, backchannel_logout_url`

func scanApplication(row pgx.Row) (store.Application, error) {
	var a store.Application
	var created dbTime
	if err := row.Scan(&a.ID, &a.AppID, &a.ServicePrincipalID, &a.DisplayName, &created,
		&a.SignIn.WebLogoutURL, &a.SignIn.FallbackPublicClient, &a.SignIn.BackchannelLogoutURL); err != nil {
		return store.Application{}, err
	}
	a.Created = created.t
	return a, nil
}

// loadApplication reads the application that where (a condition on the
// applications row, with its argument) selects, with its passwords, grants
// and redirect URIs; lock adds FOR UPDATE.
func loadApplication(ctx context.Context, q querier, where, arg string, lock bool) (store.Application, error) {
	query := `SELECT ` + applicationColumns + ` FROM applications WHERE ` + where
	if lock {
		query += ` FOR UPDATE`
	}
	a, err := scanApplication(q.QueryRow(ctx, query, arg))
	if err != nil {
		return store.Application{}, err
	}
	if err := loadChildren(ctx, q, &a); err != nil {
		return store.Application{}, err
	}
	return a, nil
}

// loadChildren reads a's passwords (by key id), grants (by id) and
// redirect URIs (in their order); each list stays nil when empty.
func loadChildren(ctx context.Context, q querier, a *store.Application) error {
	rows, err := q.Query(ctx, `
		SELECT key_id, display_name, hint, verifier, start, "end"
		FROM application_passwords WHERE application_id = $1 ORDER BY key_id`, a.ID)
	if err != nil {
		return err
	}
	var p store.Password
	var start, end dbTime
	_, err = pgx.ForEachRow(rows, []any{&p.KeyID, &p.DisplayName, &p.Hint, &p.Verifier, &start, &end}, func() error {
		p.Start, p.End = start.t, end.t
		a.Passwords = append(a.Passwords, p)
		return nil
	})
	if err != nil {
		return err
	}
	rows, err = q.Query(ctx, `
		SELECT id, app_role_id, resource_id, created
		FROM application_grants WHERE application_id = $1 ORDER BY id`, a.ID)
	if err != nil {
		return err
	}
	var g store.Grant
	var created dbTime
	_, err = pgx.ForEachRow(rows, []any{&g.ID, &g.AppRoleID, &g.ResourceID, &created}, func() error {
		g.Created = created.t
		a.Grants = append(a.Grants, g)
		return nil
	})
	if err != nil {
		return err
	}
	rows, err = q.Query(ctx, `
		SELECT kind, uri FROM application_redirect_uris
		WHERE application_id = $1 ORDER BY kind, position`, a.ID)
	if err != nil {
		return err
	}
	var kind, uri string
	_, err = pgx.ForEachRow(rows, []any{&kind, &uri}, func() error {
		if list := redirectList(&a.SignIn, kind); list != nil {
			*list = append(*list, uri)
		}
		return nil
	})
	return err
}

// Kinds of redirect URI, as application_redirect_uris.kind holds them.
const (
	kindWeb    = "web"
	kindSPA    = "spa"
	kindPublic = "publicClient"
)

// redirectKinds lists the kinds of redirect URI.
var redirectKinds = []string{kindWeb, kindSPA, kindPublic}

// redirectList returns the list of s that holds the redirect URIs of kind,
// nil for an unknown kind.
func redirectList(s *store.AppSignIn, kind string) *[]string {
	switch kind {
	case kindWeb:
		return &s.WebRedirectURIs
	case kindSPA:
		return &s.SPARedirectURIs
	case kindPublic:
		return &s.PublicRedirectURIs
	}
	return nil
}

// insertChildren stores a's passwords, grants and redirect URIs.
func insertChildren(ctx context.Context, tx pgx.Tx, a store.Application) error {
	for _, p := range a.Passwords {
		verifier := p.Verifier
		if verifier == nil {
			verifier = []byte{}
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO application_passwords (application_id, key_id, display_name, hint, verifier, start, "end")
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			a.ID, p.KeyID, p.DisplayName, p.Hint, verifier, timeArg(p.Start), timeArg(p.End)); err != nil {
			return err
		}
	}
	for _, g := range a.Grants {
		if _, err := tx.Exec(ctx, `
			INSERT INTO application_grants (id, application_id, app_role_id, resource_id, created)
			VALUES ($1, $2, $3, $4, $5)`,
			g.ID, a.ID, g.AppRoleID, g.ResourceID, timeArg(g.Created)); err != nil {
			return err
		}
	}
	for _, kind := range redirectKinds {
		for i, uri := range *redirectList(&a.SignIn, kind) {
			if _, err := tx.Exec(ctx, `
				INSERT INTO application_redirect_uris (application_id, kind, position, uri)
				VALUES ($1, $2, $3, $4)`,
				a.ID, kind, i, uri); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateApplication stores a new application with its passwords, grants
// and sign-in registration (redirect URIs in their order):
// store.ErrConflict when an id (the application's, its appId, its service
// principal's or a grant's) is in use, two passwords share a key id or two
// grants the same app role of the same resource. Nothing is stored then.
func (s *Store) CreateApplication(ctx context.Context, a store.Application) error {
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO applications (id, app_id, service_principal_id, display_name, created,
				web_logout_url, fallback_public_client, backchannel_logout_url)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			a.ID, a.AppID, a.ServicePrincipalID, a.DisplayName, timeArg(a.Created),
			a.SignIn.WebLogoutURL, a.SignIn.FallbackPublicClient, a.SignIn.BackchannelLogoutURL); err != nil {
			return err
		}
		return insertChildren(ctx, tx, a)
	})
}

// getApplication reads one application in one snapshot.
func (s *Store) getApplication(ctx context.Context, where, arg string) (store.Application, error) {
	if !textOK(arg) {
		return store.Application{}, store.ErrNotFound
	}
	var a store.Application
	err := s.readTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		a, err = loadApplication(ctx, tx, where, arg, false)
		return err
	})
	return a, err
}

// GetApplication returns the application with that object id.
func (s *Store) GetApplication(ctx context.Context, id string) (store.Application, error) {
	return s.getApplication(ctx, `id = $1`, id)
}

// GetApplicationByAppID returns the application with that client id.
func (s *Store) GetApplicationByAppID(ctx context.Context, appID string) (store.Application, error) {
	return s.getApplication(ctx, `app_id = $1`, appID)
}

// GetApplicationByServicePrincipal returns the application whose service
// principal has that object id.
func (s *Store) GetApplicationByServicePrincipal(ctx context.Context, servicePrincipalID string) (store.Application, error) {
	return s.getApplication(ctx, `service_principal_id = $1`, servicePrincipalID)
}

// GetAppIDByServicePrincipal returns the client id of the application whose
// service principal has that object id, in one statement (no transaction).
func (s *Store) GetAppIDByServicePrincipal(ctx context.Context, servicePrincipalID string) (string, error) {
	if !textOK(servicePrincipalID) {
		return "", store.ErrNotFound
	}
	var appID string
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		return q.QueryRow(ctx, `SELECT app_id FROM applications WHERE service_principal_id = $1`, servicePrincipalID).Scan(&appID)
	})
	return appID, err
}

// GetApplicationName returns the display name of the application with
// that client id, in one statement (no transaction).
func (s *Store) GetApplicationName(ctx context.Context, appID string) (string, error) {
	if !textOK(appID) {
		return "", store.ErrNotFound
	}
	var name string
	err := s.read(ctx, func(ctx context.Context, q querier) error {
		return q.QueryRow(ctx, `SELECT display_name FROM applications WHERE app_id = $1`, appID).Scan(&name)
	})
	return name, err
}

// ListApplications returns up to limit applications with ID > after,
// ordered by ID, with their passwords, grants and redirect URIs. A limit of
// zero or less means no limit.
func (s *Store) ListApplications(ctx context.Context, after string, limit int) ([]store.Application, error) {
	from, ok := cursor(after)
	if !ok {
		return []store.Application{}, nil
	}
	var apps []store.Application
	err := s.readTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx,
			`SELECT `+applicationColumns+` FROM applications WHERE id >= $1 ORDER BY id LIMIT $2`, from, sqlLimit(limit))
		if err != nil {
			return err
		}
		apps, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Application, error) { return scanApplication(row) })
		if err != nil {
			return err
		}
		for i := range apps {
			if err := loadChildren(ctx, tx, &apps[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if apps == nil {
		apps = []store.Application{}
	}
	return apps, nil
}

// UpdateApplication applies fn to the stored application in one
// transaction, its row locked meanwhile, and stores the result: its display
// name, creation time and sign-in registration, and its passwords and
// grants as fn left them. fn
// cannot change ID, AppID or ServicePrincipalID. An error from fn is
// returned unchanged and nothing is written; store.ErrConflict on the
// uniqueness rules of CreateApplication.
func (s *Store) UpdateApplication(ctx context.Context, id string, fn func(*store.Application) error) (store.Application, error) {
	if !textOK(id) {
		return store.Application{}, store.ErrNotFound
	}
	var a store.Application
	err := s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		old, err := loadApplication(ctx, tx, `id = $1`, id, true)
		if err != nil {
			return err
		}
		a = cloneApplication(old)
		if err := fn(&a); err != nil {
			return fnError{err}
		}
		a.ID, a.AppID, a.ServicePrincipalID = old.ID, old.AppID, old.ServicePrincipalID
		if _, err := tx.Exec(ctx, `
			UPDATE applications SET display_name = $2, created = $3, web_logout_url = $4, fallback_public_client = $5,
				backchannel_logout_url = $6
			WHERE id = $1`,
			id, a.DisplayName, timeArg(a.Created), a.SignIn.WebLogoutURL, a.SignIn.FallbackPublicClient, a.SignIn.BackchannelLogoutURL); err != nil {
			return err
		}
		// Replace the credentials and redirect URIs whole: an application
		// has a handful of credentials and at most a few hundred URIs.
		if _, err := tx.Exec(ctx, `DELETE FROM application_passwords WHERE application_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM application_grants WHERE application_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM application_redirect_uris WHERE application_id = $1`, id); err != nil {
			return err
		}
		if err := insertChildren(ctx, tx, a); err != nil {
			return err
		}
		a, err = loadApplication(ctx, tx, `id = $1`, id, false)
		return err
	})
	if err != nil {
		return store.Application{}, err
	}
	return a, nil
}

// cloneApplication returns a copy of a that shares no memory with it.
func cloneApplication(a store.Application) store.Application {
	if a.Passwords != nil {
		ps := make([]store.Password, len(a.Passwords))
		for i, p := range a.Passwords {
			p.Verifier = bytes.Clone(p.Verifier)
			ps[i] = p
		}
		a.Passwords = ps
	}
	if a.Grants != nil {
		a.Grants = append([]store.Grant(nil), a.Grants...)
	}
	a.SignIn.WebRedirectURIs = slices.Clone(a.SignIn.WebRedirectURIs)
	a.SignIn.SPARedirectURIs = slices.Clone(a.SignIn.SPARedirectURIs)
	a.SignIn.PublicRedirectURIs = slices.Clone(a.SignIn.PublicRedirectURIs)
	return a
}

// DeleteApplication deletes the application with its passwords and grants,
// and the role assignments of its service principal.
func (s *Store) DeleteApplication(ctx context.Context, id string) error {
	if !textOK(id) {
		return store.ErrNotFound
	}
	return s.writeTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var sp string
		if err := tx.QueryRow(ctx, `SELECT service_principal_id FROM applications WHERE id = $1 FOR UPDATE`, id).Scan(&sp); err != nil {
			return err
		}
		// Passwords, grants and redirect URIs go by ON DELETE CASCADE; role
		// assignments have no foreign key (a principal may be a user or an
		// application).
		if _, err := tx.Exec(ctx, `DELETE FROM role_assignments WHERE principal_id = $1`, sp); err != nil {
			return err
		}
		return exactlyOne(tx.Exec(ctx, `DELETE FROM applications WHERE id = $1`, id))
	})
}
