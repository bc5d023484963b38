// Command badgeapp runs the example application of package badgeapp: a
// page with "Sign in with your badge" that signs a worker in through
// qrpin's OpenID provider.
//
//	go run ./examples/badgeapp/cmd/badgeapp -issuer http://localhost:8080/{tenant}/v2.0 \
//	    -client-id {appId} -client-secret {secret}
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/qrpin/qrpin/examples/badgeapp"
)

func main() {
	cfg := badgeapp.Config{}
	flag.StringVar(&cfg.Issuer, "issuer", os.Getenv("BADGEAPP_ISSUER"), "qrpin's issuer: {public URL}/{tenant id}/v2.0")
	flag.StringVar(&cfg.ClientID, "client-id", os.Getenv("BADGEAPP_CLIENT_ID"), "the application's client id (appId) in qrpin")
	flag.StringVar(&cfg.ClientSecret, "client-secret", os.Getenv("BADGEAPP_CLIENT_SECRET"), "its client secret (empty: a public client, PKCE only)")
	flag.StringVar(&cfg.RedirectURL, "redirect-uri", "http://localhost:9090/callback", "the redirect URI registered for it; the app listens on its port")
	flag.Parse()
	if cfg.Issuer == "" || cfg.ClientID == "" {
		flag.Usage()
		os.Exit(2)
	}
	u, err := url.Parse(cfg.RedirectURL)
	if err != nil || u.Host == "" {
		log.Fatalf("badgeapp: -redirect-uri %q is not an absolute URL", cfg.RedirectURL)
	}
	app, err := badgeapp.New(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	addr := ":" + u.Port()
	if u.Port() == "" {
		addr = ":80"
	}
	log.Printf("badgeapp: open http://%s/ (signing in through %s)", u.Host, cfg.Issuer)
	srv := &http.Server{Addr: addr, Handler: app.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
