package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/store"
)

// BootstrapFile is where the first start writes the bootstrap
// administration application's credentials (mode 0600), in the data
// directory.
const BootstrapFile = "bootstrap-admin.json"

// Settings of the bootstrap. bootstrapAppSetting is admin.Bootstrap's own
// record of the application's object id. bootstrapFileSetting holds the key
// id of the secret that a BootstrapFile held, durably, before it was set:
// from then on the credentials are the operator's, who may delete the file
// (so a missing file is never a reason to issue them again).
const (
	bootstrapAppSetting  = admin.BootstrapSetting
	bootstrapFileSetting = "bootstrap_admin_file"
	legacyFileKey        = "unknown" // the value for a file written before the file setting existed
)

// bootstrapSecretName is the display name of the bootstrap secrets.
const bootstrapSecretName = "bootstrap"

// bootstrapStep, when not nil, is told each step of issuing the bootstrap
// credentials: "issued" (the secret is stored, no file written), "written"
// (the file is on disk, not recorded), "committed" (recorded, not printed).
// The crash tests stop the process there.
var bootstrapStep func(step string)

// bootstrapCredentials is the content of BootstrapFile.
type bootstrapCredentials struct {
	TenantID      string `json:"tenantId"`
	ClientID      string `json:"clientId"`
	ClientSecret  string `json:"clientSecret"`
	SecretID      string `json:"clientSecretId"` // its keyId, for removePassword
	SecretExpires string `json:"clientSecretExpires"`
	TokenEndpoint string `json:"tokenEndpoint"`
	Scope         string `json:"scope"`
	GraphURL      string `json:"graphUrl"`
	CACertificate string `json:"caCertificate,omitempty"`
}

// bootstrap creates the bootstrap administration application on the first
// start (admin.Bootstrap), writes its client id and secret to
// BootstrapFile, durably, records that it did, and then prints them with a
// working curl pair. Later starts print nothing.
//
// A first start that stopped (a crash, kill -9) before it recorded the
// file is finished by the next start: it keeps a file that holds a working
// secret of the application; without one, and when nothing shows that the
// application was used (no users, no other application, no secret but the
// bootstrap ones), it issues a new secret and writes it. Either way every
// other bootstrap secret, never shown to anyone, is removed, so one works.
// caCert is the development certificate clients must trust ("" if none).
func (c *common) bootstrap(ctx context.Context, d *deps, svc *admin.Service, base, caCert string) error {
	settings, err := d.store.ListSettings(ctx)
	if err != nil {
		return err
	}
	b, created, err := svc.Bootstrap(ctx)
	if err != nil {
		return err
	}
	if created {
		reached("issued")
		return c.issueBootstrap(ctx, d, svc, b.App, b.Secret, base, caCert)
	}
	if _, recorded := settings[bootstrapFileSetting]; recorded || settings[bootstrapAppSetting] == "" {
		return nil // done; or another process is bootstrapping at this moment, and finishes it
	}
	app, err := d.store.GetApplication(ctx, settings[bootstrapAppSetting])
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted: bootstrapped, and done with
	}
	if err != nil {
		return err
	}
	file := filepath.Join(c.data, BootstrapFile)
	if creds, ok := readBootstrapFile(file); ok && creds.ClientID == app.AppID {
		if _, err := svc.ClientCredentials(ctx, creds.ClientID, creds.ClientSecret); err == nil {
			// It stopped after writing the file: the file is the credentials.
			if creds.SecretID == "" { // written by a qrpin without the file setting, which printed it
				_, err := d.store.Setting(ctx, bootstrapFileSetting, legacyFileKey)
				return err
			}
			return c.commitBootstrap(ctx, d, svc, app, creds)
		}
	}
	if used, err := bootstrapUsed(ctx, d.store, app); err != nil || used {
		return err
	}
	pw, err := svc.AddPassword(ctx, admin.Local(d.tenantID), admin.AppRef{ID: app.ID}, admin.PasswordInput{DisplayName: bootstrapSecretName})
	if err != nil {
		return err
	}
	reached("issued")
	return c.issueBootstrap(ctx, d, svc, app, pw, base, caCert)
}

// issueBootstrap writes the new secret pw of the bootstrap application to
// BootstrapFile, durably, and commits it.
func (c *common) issueBootstrap(ctx context.Context, d *deps, svc *admin.Service, app store.Application, pw admin.NewPassword, base, caCert string) error {
	creds := bootstrapCredentials{
		TenantID:      d.tenantID,
		ClientID:      app.AppID,
		ClientSecret:  pw.Secret,
		SecretID:      pw.KeyID,
		SecretExpires: pw.End.UTC().Format("2006-01-02T15:04:05Z"),
		TokenEndpoint: base + "/" + d.tenantID + "/oauth2/v2.0/token",
		Scope:         "https://graph.microsoft.com/.default",
		GraphURL:      base + "/v1.0",
		CACertificate: caCert,
	}
	if err := c.writeBootstrapFile(creds); err != nil {
		return err
	}
	reached("written")
	return c.commitBootstrap(ctx, d, svc, app, creds)
}

// commitBootstrap records that BootstrapFile holds creds, removes every
// other secret of the bootstrap application and prints creds. When another
// process recorded its own secret first, it removes creds' secret, and its
// file if the file still holds it, and prints nothing.
func (c *common) commitBootstrap(ctx context.Context, d *deps, svc *admin.Service, app store.Application, creds bootstrapCredentials) error {
	file := filepath.Join(c.data, BootstrapFile)
	winner, err := d.store.Setting(ctx, bootstrapFileSetting, creds.SecretID)
	if err != nil {
		return err
	}
	local, ref := admin.Local(d.tenantID), admin.AppRef{ID: app.ID}
	if winner != creds.SecretID {
		if err := removePassword(ctx, svc, local, ref, creds.SecretID); err != nil {
			return err
		}
		if held, ok := readBootstrapFile(file); ok && held.SecretID == creds.SecretID {
			return os.Remove(file)
		}
		return nil
	}
	reached("committed")
	if held, ok := readBootstrapFile(file); !ok || held.SecretID != creds.SecretID {
		// Another process on this data directory wrote over it in between.
		if err := c.writeBootstrapFile(creds); err != nil {
			return err
		}
	}
	app, err = d.store.GetApplication(ctx, app.ID)
	if err != nil {
		return err
	}
	for _, pw := range app.Passwords {
		if pw.KeyID != creds.SecretID {
			if err := removePassword(ctx, svc, local, ref, pw.KeyID); err != nil {
				return err
			}
		}
	}
	c.printBootstrap(creds, file)
	return nil
}

// removePassword removes a secret, which another process may have removed
// already.
func removePassword(ctx context.Context, svc *admin.Service, local auth.Principal, ref admin.AppRef, keyID string) error {
	err := svc.RemovePassword(ctx, local, ref, keyID)
	if ae, ok := apperr.As(err); ok && ae.Kind == apperr.Invalid {
		return nil
	}
	return err
}

// bootstrapUsed reports whether anything shows that the bootstrap
// application was used: a user, another application (but the staff
// page's), a secret that is not a bootstrap one.
func bootstrapUsed(ctx context.Context, st store.Store, app store.Application) (bool, error) {
	users, err := st.ListUsers(ctx, "", 1)
	if err != nil {
		return false, err
	}
	apps, err := st.ListApplications(ctx, "", 3)
	if err != nil {
		return false, err
	}
	// The staff page's application is qrpin's own, registered by every
	// start: no sign of use.
	apps = slices.DeleteFunc(apps, func(a store.Application) bool { return a.AppID == admin.StaffAppID })
	if len(users) > 0 || len(apps) != 1 || apps[0].ID != app.ID {
		return true, nil
	}
	for _, pw := range app.Passwords {
		if pw.DisplayName != bootstrapSecretName {
			return true, nil
		}
	}
	return false, nil
}

// writeBootstrapFile writes creds to BootstrapFile, durably.
func (c *common) writeBootstrapFile(creds bootstrapCredentials) error {
	file := filepath.Join(c.data, BootstrapFile)
	data, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(file, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

// readBootstrapFile reads BootstrapFile; ok is false when it is missing or
// unreadable.
func readBootstrapFile(file string) (creds bootstrapCredentials, ok bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return creds, false
	}
	return creds, json.Unmarshal(data, &creds) == nil
}

// printBootstrap prints the bootstrap credentials, once, with a working
// curl pair.
func (c *common) printBootstrap(creds bootstrapCredentials, file string) {
	curl := "curl -s"
	if creds.CACertificate != "" {
		curl += " --cacert " + shellQuote(creds.CACertificate)
	}
	fmt.Fprintf(c.stdout(), `
First start: tenant %s, with the bootstrap administration application %q,
which holds every permission qrpin knows. Its client secret is shown this once
(and kept in %s, mode 0600):

  client id:     %s
  client secret: %s

Get a token from the token endpoint and list the users:

  TOKEN=$(%s %s \
    -d grant_type=client_credentials -d client_id=%s \
    -d client_secret=%s -d scope=https://graph.microsoft.com/.default \
    | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  %s %s -H "Authorization: Bearer $TOKEN"

`, creds.TenantID, admin.BootstrapAppName, file, creds.ClientID, creds.ClientSecret,
		curl, creds.TokenEndpoint, creds.ClientID, creds.ClientSecret, curl, creds.GraphURL+"/users")
}

// reached tells bootstrapStep, if set, that step is reached.
func reached(step string) {
	if bootstrapStep != nil {
		bootstrapStep(step)
	}
}
