package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/spf13/pflag"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/qrpin/qrpin/graphclient"
)

// graphFlags say which Graph API a command talks to, with which
// application's credentials.
type graphFlags struct {
	data          string // the local server's data directory, for its bootstrap application
	url           string // --graph-url: another qrpin, or https://graph.microsoft.com
	tenant        string
	clientID      string
	clientSecret  string
	authorityHost string // a qrpin token endpoint's origin; default: the Graph URL's
	caCert        string
}

// entraGraph is Microsoft Graph's host.
const entraGraph = "graph.microsoft.com"

func (g *graphFlags) flags(fs *pflag.FlagSet) {
	fs.StringVar(&g.data, "data", env("data", "./qrpin-data"), "the local server's data directory: its bootstrap application is used unless --graph-url is given (QRPIN_DATA)")
	fs.StringVar(&g.url, "graph-url", env("graph-url", ""), "the Graph API of another qrpin, or https://graph.microsoft.com for Microsoft Entra (QRPIN_GRAPH_URL)")
	fs.StringVar(&g.tenant, "tenant", env("tenant", ""), "with --graph-url: the tenant id (QRPIN_TENANT)")
	fs.StringVar(&g.clientID, "client-id", env("client-id", ""), "with --graph-url: the application's client id (QRPIN_CLIENT_ID)")
	fs.StringVar(&g.clientSecret, "client-secret", env("client-secret", ""), "with --graph-url: the application's client secret (QRPIN_CLIENT_SECRET; prefer the variable to the flag)")
	fs.StringVar(&g.authorityHost, "authority-host", env("authority-host", ""), "with --graph-url of a qrpin: the origin of its token endpoint, {origin}/{tenant}/oauth2/v2.0/token (default: the Graph URL's; Microsoft Entra's tokens come through azidentity) (QRPIN_AUTHORITY_HOST)")
	fs.StringVar(&g.caCert, "ca-cert", env("ca-cert", ""), "trust this PEM certificate for the Graph API and token endpoint (QRPIN_CA_CERT; default: the local server's development certificate)")
}

// tenantHint is the tenant the flags name without asking a server: --tenant,
// else the local bootstrap application's.
func (g *graphFlags) tenantHint() string {
	if g.tenant != "" || g.url != "" {
		return g.tenant
	}
	creds, _ := readBootstrapFile(filepath.Join(g.data, BootstrapFile))
	return creds.TenantID
}

// client returns a Graph client and the tenant id.
func (g *graphFlags) client() (*graphclient.Client, string, error) {
	base, tenant, id, secret, authority, ca := g.url, g.tenant, g.clientID, g.clientSecret, g.authorityHost, g.caCert
	if base == "" {
		file := filepath.Join(g.data, BootstrapFile)
		creds, ok := readBootstrapFile(file)
		if !ok {
			return nil, "", fmt.Errorf("no %s: run qrpin serve with --data %s first, or give --graph-url with --tenant, --client-id and --client-secret", file, g.data)
		}
		tok, err := url.Parse(creds.TokenEndpoint)
		if err != nil {
			return nil, "", fmt.Errorf("%s: tokenEndpoint: %w", file, err)
		}
		base, tenant, id, secret = creds.GraphURL, creds.TenantID, creds.ClientID, creds.ClientSecret
		authority = tok.Scheme + "://" + tok.Host // the token endpoint is {authority}/{tenant}/oauth2/v2.0/token
		if ca == "" {
			ca = creds.CACertificate
		}
	} else if tenant == "" || id == "" || secret == "" {
		return nil, "", errors.New("--graph-url needs --tenant, --client-id and --client-secret (or QRPIN_TENANT, QRPIN_CLIENT_ID, QRPIN_CLIENT_SECRET)")
	}
	u, err := url.Parse(strings.TrimSuffix(base, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, "", fmt.Errorf("--graph-url %q is not an http(s) URL", base)
	}
	if err := plainHTTPRefused(u); err != nil {
		return nil, "", err
	}
	if authority != "" {
		a, err := url.Parse(authority)
		if err != nil {
			return nil, "", fmt.Errorf("token endpoint %q: %w", authority, err)
		}
		if err := plainHTTPRefused(a); err != nil {
			return nil, "", err
		}
	}
	if p := strings.ToLower(u.Path); p != "/v1.0" && p != "/beta" {
		u.Path += "/v1.0" // the version root
	}
	hc := &http.Client{Timeout: 2 * time.Minute}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, "", fmt.Errorf("CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, "", fmt.Errorf("CA certificate %s: no PEM certificate in it", ca)
		}
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, Proxy: http.ProxyFromEnvironment}
	}
	client := &graphclient.Client{BaseURL: u.String(), HTTP: hc}
	if authority == "" && strings.EqualFold(u.Hostname(), entraGraph) {
		// Microsoft Entra, through its own identity library.
		cred, err := azidentity.NewClientSecretCredential(tenant, id, secret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: hc}})
		if err != nil {
			return nil, "", err
		}
		client.Tokens = azureToken{cred}
		return client, tenant, nil
	}
	// qrpin: the client credentials grant at its token endpoint.
	if authority == "" {
		authority = u.Scheme + "://" + u.Host
	}
	cc := &clientcredentials.Config{ClientID: id, ClientSecret: secret, Scopes: []string{"https://" + entraGraph + "/.default"},
		TokenURL: strings.TrimSuffix(authority, "/") + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"}
	client.Tokens = oauthToken{oauth2.ReuseTokenSource(nil, cc.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, hc)))}
	return client, tenant, nil
}

// oauthToken is an oauth2 token source as a graphclient.TokenSource (the
// source caches the token and renews it before it expires).
type oauthToken struct{ src oauth2.TokenSource }

func (o oauthToken) Token(context.Context) (string, error) {
	tk, err := o.src.Token()
	if err != nil {
		return "", err
	}
	return tk.AccessToken, nil
}

// azureToken is an azidentity credential as a graphclient.TokenSource
// (azidentity caches the token and renews it before it expires).
type azureToken struct {
	cred *azidentity.ClientSecretCredential
}

func (a azureToken) Token(ctx context.Context) (string, error) {
	tk, err := a.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://" + entraGraph + "/.default"}})
	return tk.Token, err
}

// plainHTTPRefused refuses an http URL of a host other than this machine:
// the client credentials grant would send the client secret, and every
// request its bearer token and the workers' new PINs, unencrypted over the
// network. http://localhost and loopback addresses stay allowed (the local
// server of the README's first command).
func plainHTTPRefused(u *url.URL) error {
	if u.Scheme != "http" {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing plain http to %s: it would carry the client secret, tokens and new PINs unencrypted; use https (qrpin serve --tls-cert/--tls-self-signed)", u.Host)
}
