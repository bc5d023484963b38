package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/auth"
)

// trustedFlags configures the trusted external issuers of `serve`.
type trustedFlags struct {
	entries []string // --trusted-issuer, each in parseTrustedIssuer's form
	file    string   // --trusted-issuers-file, a JSON list of auth.TrustedIssuer
}

func (f *trustedFlags) flags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.entries, "trusted-issuer", strings.Fields(env("trusted-issuers", "")),
		"accept delegated tokens of another OpenID provider (repeatable): "+
			"'ISSUER-OR-DISCOVERY-URL;aud=AUDIENCE[;claim=oid|upn|preferred_username|email][;email_verified=required|if-present][;scopes=A,B]' "+
			"(email_verified: whether tokens must carry email_verified true (required, the default for claim=email) or only not false "+
			"(if-present, the default for upn and preferred_username); QRPIN_TRUSTED_ISSUERS: entries separated by white space)")
	fs.StringVar(&f.file, "trusted-issuers-file", env("trusted-issuers-file", ""),
		`JSON file listing trusted issuers: [{"issuer": URL, "discovery": URL, "audience": "...", "claim": "upn", "emailVerified": "if-present", "scopes": [...]}] (QRPIN_TRUSTED_ISSUERS_FILE)`)
}

// configs returns every trusted issuer the flags name.
func (f *trustedFlags) configs() ([]auth.TrustedIssuer, error) {
	var out []auth.TrustedIssuer
	for _, s := range f.entries {
		ti, err := parseTrustedIssuer(s)
		if err != nil {
			return nil, fmt.Errorf("--trusted-issuer %q: %w", s, err)
		}
		out = append(out, ti)
	}
	if f.file != "" {
		data, err := os.ReadFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("--trusted-issuers-file: %w", err)
		}
		var list []auth.TrustedIssuer
		if err := json.Unmarshal(data, &list); err != nil {
			return nil, fmt.Errorf("--trusted-issuers-file %s: %w", f.file, err)
		}
		out = append(out, list...)
	}
	return out, nil
}

// external returns the verifier of the trusted issuers, or nil when none
// is configured. It fetches their discovery documents now (a provider that
// is down is logged and retried later).
func (f *trustedFlags) external(ctx context.Context, log *slog.Logger) (*auth.External, error) {
	cfgs, err := f.configs()
	if err != nil || len(cfgs) == 0 {
		return nil, err
	}
	x, err := auth.NewExternal(ctx, cfgs, auth.ExternalOptions{Log: log})
	if err != nil {
		return nil, fmt.Errorf("trusted issuers: %w", err)
	}
	return x, nil
}

// parseTrustedIssuer reads the --trusted-issuer form: a URL, then
// ;key=value settings. The URL is a discovery URL when it ends with
// /.well-known/openid-configuration, else the issuer. Keys: aud (or
// audience; repeatable), claim, email_verified, scopes (comma-separated),
// issuer and discovery (to give both).
func parseTrustedIssuer(s string) (auth.TrustedIssuer, error) {
	var ti auth.TrustedIssuer
	parts := strings.Split(s, ";")
	first := strings.TrimSpace(parts[0])
	switch {
	case first == "":
	case strings.HasSuffix(first, "/.well-known/openid-configuration"):
		ti.Discovery = first
	default:
		ti.Issuer = first
	}
	for _, p := range parts[1:] {
		if strings.TrimSpace(p) == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if !ok || v == "" {
			return ti, fmt.Errorf("setting %q is not key=value", p)
		}
		switch k {
		case "aud", "audience":
			ti.Audiences = append(ti.Audiences, v)
		case "claim":
			ti.Claim = v
		case "email_verified", "emailverified":
			ti.EmailVerified = v
		case "scopes", "scope":
			ti.Scopes = append(ti.Scopes, split(v)...)
		case "issuer":
			ti.Issuer = v
		case "discovery":
			ti.Discovery = v
		default:
			return ti, fmt.Errorf("unknown setting %q (want aud, claim, email_verified, scopes, issuer or discovery)", k)
		}
	}
	if ti.Issuer == "" && ti.Discovery == "" {
		return ti, fmt.Errorf("an issuer or discovery URL is required")
	}
	return ti, nil
}
