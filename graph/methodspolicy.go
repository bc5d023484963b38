package graph

import (
	"net/http"
	"strings"

	"github.com/qrpin/qrpin/apperr"
)

// The authentication methods policy: the tenant-wide parent of the QR code +
// PIN configuration (issue 13, item 1).
const methodsPolicy = "policies/authenticationMethodsPolicy"

// registerMethodsPolicy adds GET /policies/authenticationMethodsPolicy, its
// authenticationMethodConfigurations and one configuration by id. The QR
// code + PIN configuration's own routes (policy) are registered first, so
// they win over the {config} pattern.
func (s *Server) registerMethodsPolicy(r *router) {
	r.add(http.MethodGet, methodsPolicy, s.getMethodsPolicy)
	r.add(http.MethodGet, methodsPolicy+"/authenticationMethodConfigurations", s.listMethodConfigurations)
	r.add(http.MethodGet, methodsPolicy+"/authenticationMethodConfigurations/{config}", s.getMethodConfiguration)
}

// otherMethods are the other authentication methods Entra's policy lists
// (the documented types derived from authenticationMethodConfiguration),
// by id as Entra spells it. qrpin serves none of them, so each is a
// disabled entry with no targets: a script that walks the policy for
// enabled methods finds the QR code + PIN method alone, and one that reads
// a method by id gets its state instead of an error.
var otherMethods = []struct{ id, typ string }{
	{"Fido2", "#microsoft.graph.fido2AuthenticationMethodConfiguration"},
	{"MicrosoftAuthenticator", "#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration"},
	{"Sms", "#microsoft.graph.smsAuthenticationMethodConfiguration"},
	{"TemporaryAccessPass", "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration"},
	{"SoftwareOath", "#microsoft.graph.softwareOathAuthenticationMethodConfiguration"},
	{"Voice", "#microsoft.graph.voiceAuthenticationMethodConfiguration"},
	{"Email", "#microsoft.graph.emailAuthenticationMethodConfiguration"},
	{"X509Certificate", "#microsoft.graph.x509CertificateAuthenticationMethodConfiguration"},
}

// disabledMethodJSON is one of otherMethods.
type disabledMethodJSON struct {
	Context        string              `json:"@odata.context,omitempty"`
	Type           string              `json:"@odata.type"`
	ID             string              `json:"id"`
	State          string              `json:"state"`
	ExcludeTargets []excludeTargetJSON `json:"excludeTargets"`
	IncludeTargets []includeTargetJSON `json:"includeTargets"`
}

// methodsPolicyJSON is Graph's authenticationMethodsPolicy.
type methodsPolicyJSON struct {
	Context              string  `json:"@odata.context"`
	Type                 string  `json:"@odata.type"`
	ID                   string  `json:"id"`
	DisplayName          string  `json:"displayName"`
	Description          string  `json:"description"`
	LastModified         *string `json:"lastModifiedDateTime"` // not kept: null
	PolicyVersion        string  `json:"policyVersion"`
	PolicyMigrationState string  `json:"policyMigrationState"`
	ConfigsContext       string  `json:"authenticationMethodConfigurations@odata.context"`
	Configurations       []any   `json:"authenticationMethodConfigurations"`
}

// methodConfigurations returns every configuration: the others disabled,
// then the QR code + PIN method's.
func (s *Server) methodConfigurations(c *call) ([]any, error) {
	p, err := s.Admin.GetPolicy(c.r.Context(), c.p)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(otherMethods)+1)
	for _, m := range otherMethods {
		out = append(out, &disabledMethodJSON{Type: m.typ, ID: m.id, State: "disabled",
			ExcludeTargets: []excludeTargetJSON{}, IncludeTargets: []includeTargetJSON{}})
	}
	qr := c.toPolicy(p)
	qr.Context = ""
	return append(out, qr), nil
}

func (s *Server) getMethodsPolicy(c *call) (int, any, error) {
	configs, err := s.methodConfigurations(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, &methodsPolicyJSON{
		Context:     c.context("authenticationMethodsPolicy"),
		Type:        "#microsoft.graph.authenticationMethodsPolicy",
		ID:          "authenticationMethodsPolicy",
		DisplayName: "Authentication Methods Policy",
		Description: "The tenant-wide policy that controls which authentication methods are allowed in the tenant. " +
			"qrpin serves the QR code + PIN method only; the other methods are listed as disabled.",
		PolicyVersion:        "1.5",
		PolicyMigrationState: "migrationComplete", // qrpin has no legacy MFA or SSPR policies to migrate from
		ConfigsContext:       c.context(methodsPolicy + "/authenticationMethodConfigurations"),
		Configurations:       configs,
	}, nil
}

func (s *Server) listMethodConfigurations(c *call) (int, any, error) {
	configs, err := s.methodConfigurations(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, collection[any]{Context: c.context(methodsPolicy + "/authenticationMethodConfigurations"), Value: configs}, nil
}

// getMethodConfiguration answers one of otherMethods (ids compared
// case-insensitively, as Graph does); an id Entra does not know is 404.
// The QR code + PIN configuration has its own route (getPolicy).
func (s *Server) getMethodConfiguration(c *call) (int, any, error) {
	if _, err := s.Admin.GetPolicy(c.r.Context(), c.p); err != nil { // the policy's permission check
		return 0, nil, err
	}
	id := c.vars["config"]
	for _, m := range otherMethods {
		if !strings.EqualFold(m.id, id) {
			continue
		}
		return http.StatusOK, &disabledMethodJSON{Context: c.context(methodsPolicy + "/authenticationMethodConfigurations/$entity"),
			Type: m.typ, ID: m.id, State: "disabled", ExcludeTargets: []excludeTargetJSON{}, IncludeTargets: []includeTargetJSON{}}, nil
	}
	return 0, nil, apperr.New(apperr.NotFound, "itemNotFound", "No authentication method configuration has the id '%s'.", id)
}
