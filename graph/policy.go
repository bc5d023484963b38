package graph

import (
	"net/http"
	"strings"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/method"
)

func (s *Server) getPolicy(c *call) (int, any, error) {
	p, err := s.Admin.GetPolicy(c.r.Context(), c.p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.toPolicy(p), nil
}

type targetBody struct {
	TargetType             string `json:"targetType"`
	ID                     string `json:"id"`
	IsRegistrationRequired bool   `json:"isRegistrationRequired"`
}

func targets(in *[]targetBody) *[]method.Target {
	if in == nil {
		return nil
	}
	out := make([]method.Target, 0, len(*in))
	for _, t := range *in {
		out = append(out, method.Target{TargetType: t.TargetType, ID: t.ID, IsRegistrationRequired: t.IsRegistrationRequired})
	}
	return &out
}

// updatePolicy changes the policy. The body is read only once the caller
// is authorized (policyPatch).
func (s *Server) updatePolicy(c *call) (int, any, error) {
	p, err := s.Admin.UpdatePolicy(c.r.Context(), c.p, c.policyPatch)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, c.toPolicy(p), nil
}

// policyPatch reads a policy PATCH body; it must name its @odata.type, as
// the v1.0 documentation requires (with or without the leading '#').
func (c *call) policyPatch() (admin.PolicyPatch, error) {
	var body struct {
		Type                 *string       `json:"@odata.type"`
		State                *string       `json:"state"`
		PINLength            *int          `json:"pinLength"`
		StandardLifetimeDays *int          `json:"standardQRCodeLifetimeInDays"`
		Include              *[]targetBody `json:"includeTargets"`
		Exclude              *[]targetBody `json:"excludeTargets"`
	}
	if err := c.decode(&body, false); err != nil {
		return admin.PolicyPatch{}, err
	}
	if body.Type == nil || !strings.EqualFold(strings.TrimPrefix(*body.Type, "#"), typePolicy[1:]) {
		return admin.PolicyPatch{}, apperr.BadRequest("The request body must include \"@odata.type\": %q.", typePolicy)
	}
	return admin.PolicyPatch{
		State:                body.State,
		PINLength:            body.PINLength,
		StandardLifetimeDays: body.StandardLifetimeDays,
		Include:              targets(body.Include),
		Exclude:              targets(body.Exclude),
	}, nil
}

func (s *Server) deletePolicy(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.DeletePolicy(c.r.Context(), c.p)
}
