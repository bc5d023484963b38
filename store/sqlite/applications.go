package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/qrpin/qrpin/store"
)

const applicationColumns = `id, app_id, service_principal_id, display_name, created, web_logout_url, fallback_public_client, backchannel_logout_url`

// applicationSelect reads an application with its passwords, grants and
// redirect URIs in one statement, each list as a JSON array in its order,
// so that it needs no transaction of its own to see one snapshot (the
// application is read at every step of a sign-in). The condition on the
// applications row follows.
const applicationSelect = `SELECT ` + applicationColumns + `,
		(SELECT json_group_array(json_object('k', key_id, 'd', display_name, 'h', hint, 'v', hex(verifier), 's', start, 'e', "end")
			ORDER BY key_id) FROM application_passwords WHERE application_id = applications.id),
		(SELECT json_group_array(json_object('i', id, 'r', app_role_id, 's', resource_id, 'c', created)
			ORDER BY id) FROM application_grants WHERE application_id = applications.id),
		(SELECT json_group_array(json_object('k', kind, 'u', uri)
			ORDER BY kind, position) FROM application_redirect_uris WHERE application_id = applications.id)
	FROM applications WHERE `

// Rows of applicationSelect's lists.
type (
	passwordJSON struct {
		KeyID       string `json:"k"`
		DisplayName string `json:"d"`
		Hint        string `json:"h"`
		Verifier    string `json:"v"` // hex
		Start       *int64 `json:"s"`
		End         *int64 `json:"e"`
	}
	grantJSON struct {
		ID         string `json:"i"`
		AppRoleID  string `json:"r"`
		ResourceID string `json:"s"`
		Created    *int64 `json:"c"`
	}
	redirectJSON struct {
		Kind string `json:"k"`
		URI  string `json:"u"`
	}
)

// jsonMicros is fromMicros for a time in a JSON list.
func jsonMicros(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return fromMicros(sql.NullInt64{Int64: *n, Valid: true})
}

// loadApplication reads the application that where (a condition on the
// applications row, with its arguments) selects, with its passwords, grants
// and redirect URIs.
func loadApplication(ctx context.Context, q querier, where string, args ...any) (store.Application, error) {
	return scanApplication(q.QueryRowContext(ctx, applicationSelect+where, args...))
}

// scanApplication reads a row of applicationSelect; each list stays nil
// when empty.
func scanApplication(row scanner) (store.Application, error) {
	var a store.Application
	var created sql.NullInt64
	var passwords, grants, uris string
	if err := row.Scan(&a.ID, &a.AppID, &a.ServicePrincipalID,
		&a.DisplayName, &created, &a.SignIn.WebLogoutURL, &a.SignIn.FallbackPublicClient, &a.SignIn.BackchannelLogoutURL,
		&passwords, &grants, &uris); err != nil {
		return store.Application{}, dbErr(err)
	}
	a.Created = fromMicros(created)
	var ps []passwordJSON
	var gs []grantJSON
	var rs []redirectJSON
	for _, l := range []struct {
		src string
		dst any
	}{{passwords, &ps}, {grants, &gs}, {uris, &rs}} {
		if err := json.Unmarshal([]byte(l.src), l.dst); err != nil {
			return store.Application{}, fmt.Errorf("sqlite: decode application: %w", err)
		}
	}
	for _, p := range ps {
		v, err := hex.DecodeString(p.Verifier)
		if err != nil {
			return store.Application{}, fmt.Errorf("sqlite: decode application: %w", err)
		}
		a.Passwords = append(a.Passwords, store.Password{KeyID: p.KeyID, DisplayName: p.DisplayName, Hint: p.Hint,
			Verifier: v, Start: jsonMicros(p.Start), End: jsonMicros(p.End)})
	}
	for _, g := range gs {
		a.Grants = append(a.Grants, store.Grant{ID: g.ID, AppRoleID: g.AppRoleID, ResourceID: g.ResourceID,
			Created: jsonMicros(g.Created)})
	}
	for _, r := range rs {
		if list := redirectList(&a.SignIn, r.Kind); list != nil {
			*list = append(*list, r.URI)
		}
	}
	return a, nil
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
func insertChildren(ctx context.Context, tx querier, a store.Application) error {
	for _, p := range a.Passwords {
		verifier := p.Verifier
		if verifier == nil {
			verifier = []byte{}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO application_passwords (application_id, key_id, display_name, hint, verifier, start, "end")
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, p.KeyID, p.DisplayName, p.Hint, verifier, micros(p.Start), micros(p.End)); err != nil {
			return dbErr(err)
		}
	}
	for _, g := range a.Grants {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO application_grants (id, application_id, app_role_id, resource_id, created)
			VALUES (?, ?, ?, ?, ?)`,
			g.ID, a.ID, g.AppRoleID, g.ResourceID, micros(g.Created)); err != nil {
			return dbErr(err)
		}
	}
	for _, kind := range redirectKinds {
		for i, uri := range *redirectList(&a.SignIn, kind) {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO application_redirect_uris (application_id, kind, position, uri)
				VALUES (?, ?, ?, ?)`,
				a.ID, kind, i, uri); err != nil {
				return dbErr(err)
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
	return s.write(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO applications (id, app_id, service_principal_id, display_name, created,
				web_logout_url, fallback_public_client, backchannel_logout_url)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.AppID, a.ServicePrincipalID, a.DisplayName, micros(a.Created),
			a.SignIn.WebLogoutURL, a.SignIn.FallbackPublicClient, a.SignIn.BackchannelLogoutURL); err != nil {
			return dbErr(err)
		}
		return insertChildren(ctx, tx, a)
	})
}

// getApplication reads one application in one snapshot.
func (s *Store) getApplication(ctx context.Context, where string, args ...any) (store.Application, error) {
	return loadApplication(ctx, s.r, where, args...)
}

// GetApplication returns the application with that object id.
func (s *Store) GetApplication(ctx context.Context, id string) (store.Application, error) {
	return s.getApplication(ctx, `id = ?`, id)
}

// GetApplicationByAppID returns the application with that client id.
func (s *Store) GetApplicationByAppID(ctx context.Context, appID string) (store.Application, error) {
	return s.getApplication(ctx, `app_id = ?`, appID)
}

// GetApplicationByServicePrincipal returns the application whose service
// principal has that object id.
func (s *Store) GetApplicationByServicePrincipal(ctx context.Context, servicePrincipalID string) (store.Application, error) {
	return s.getApplication(ctx, `service_principal_id = ?`, servicePrincipalID)
}

// GetAppIDByServicePrincipal returns the client id of the application whose
// service principal has that object id.
func (s *Store) GetAppIDByServicePrincipal(ctx context.Context, servicePrincipalID string) (string, error) {
	var appID string
	err := s.r.QueryRowContext(ctx, `SELECT app_id FROM applications WHERE service_principal_id = ?`, servicePrincipalID).Scan(&appID)
	return appID, dbErr(err)
}

// GetApplicationName returns the display name of the application with
// that client id.
func (s *Store) GetApplicationName(ctx context.Context, appID string) (string, error) {
	var name string
	err := s.r.QueryRowContext(ctx, `SELECT display_name FROM applications WHERE app_id = ?`, appID).Scan(&name)
	return name, dbErr(err)
}

// ListApplications returns up to limit applications with ID > after,
// ordered by ID, with their passwords, grants and redirect URIs. A limit of
// zero or less means no limit.
func (s *Store) ListApplications(ctx context.Context, after string, limit int) ([]store.Application, error) {
	rows, err := s.r.QueryContext(ctx, applicationSelect+`id > ? ORDER BY id LIMIT ?`, after, sqlLimit(limit))
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	apps := []store.Application{}
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err)
	}
	return apps, nil
}

// UpdateApplication applies fn to the stored application in one
// transaction and stores the result: its display name, creation time and
// sign-in registration, and its passwords and grants as fn left them. fn
// cannot change ID, AppID or ServicePrincipalID. An error from fn is
// returned unchanged and nothing is written; store.ErrConflict on the
// uniqueness rules of CreateApplication.
func (s *Store) UpdateApplication(ctx context.Context, id string, fn func(*store.Application) error) (store.Application, error) {
	var a store.Application
	err := s.write(ctx, func(tx querier) error {
		old, err := loadApplication(ctx, tx, `id = ?`, id)
		if err != nil {
			return err
		}
		a = cloneApplication(old)
		if err := fn(&a); err != nil {
			return err
		}
		a.ID, a.AppID, a.ServicePrincipalID = old.ID, old.AppID, old.ServicePrincipalID
		if _, err := tx.ExecContext(ctx, `
			UPDATE applications SET display_name = ?, created = ?, web_logout_url = ?, fallback_public_client = ?,
				backchannel_logout_url = ?
			WHERE id = ?`,
			a.DisplayName, micros(a.Created), a.SignIn.WebLogoutURL, a.SignIn.FallbackPublicClient, a.SignIn.BackchannelLogoutURL, id); err != nil {
			return dbErr(err)
		}
		// Replace the credentials and redirect URIs whole: an application
		// has a handful of credentials and at most a few hundred URIs.
		if _, err := tx.ExecContext(ctx, `DELETE FROM application_passwords WHERE application_id = ?`, id); err != nil {
			return dbErr(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM application_grants WHERE application_id = ?`, id); err != nil {
			return dbErr(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM application_redirect_uris WHERE application_id = ?`, id); err != nil {
			return dbErr(err)
		}
		if err := insertChildren(ctx, tx, a); err != nil {
			return err
		}
		a, err = loadApplication(ctx, tx, `id = ?`, id)
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
			p.Verifier = append([]byte(nil), p.Verifier...)
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
	return s.write(ctx, func(tx querier) error {
		var sp string
		if err := tx.QueryRowContext(ctx, `SELECT service_principal_id FROM applications WHERE id = ?`, id).Scan(&sp); err != nil {
			return dbErr(err)
		}
		// Passwords, grants and redirect URIs go by ON DELETE CASCADE; role
		// assignments have no foreign key (a principal may be a user or an
		// application).
		if _, err := tx.ExecContext(ctx, `DELETE FROM role_assignments WHERE principal_id = ?`, sp); err != nil {
			return dbErr(err)
		}
		return exactlyOne(tx.ExecContext(ctx, `DELETE FROM applications WHERE id = ?`, id))
	})
}
