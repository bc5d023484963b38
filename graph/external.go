package graph

import (
	"errors"
	"net/http"

	"github.com/qrpin/qrpin/auth"
)

// authenticateExternal verifies token with the trusted external issuer its
// (unverified) iss claim names, and maps it to a local user. ok is false
// when the token is not a trusted issuer's (it names our own issuer, or
// none that is trusted): it is then verified as one of ours.
func (s *Server) authenticateExternal(r *http.Request, token string) (p auth.Principal, ok bool, err error) {
	if s.External == nil {
		return p, false, nil
	}
	if iss := auth.UnverifiedIssuer(token); iss == "" || iss == s.Tokens.Issuer {
		return p, false, nil
	}
	id, err := s.External.Verify(r.Context(), token)
	if errors.Is(err, auth.ErrUntrustedIssuer) {
		return p, false, nil
	}
	if err != nil {
		return p, true, err
	}
	p, err = s.Admin.AuthenticateExternal(r.Context(), id)
	return p, true, err
}
