package graph

import (
	"net/http"
	"strings"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/method"
)

// methodContext is the @odata.context of the method or one of its parts.
func (c *call) methodContext(userID, part string) string {
	return c.context("users('%s')/authentication/qrCodePinMethod%s/$entity", userID, part)
}

func (s *Server) getMethod(c *call) (int, any, error) {
	u, m, err := s.Admin.GetMethod(c.r.Context(), c.p, c.userRef())
	if err != nil {
		return 0, nil, err
	}
	j := c.toMethod(m)
	j.Context = c.methodContext(u.ID, "")
	return http.StatusOK, j, nil
}

func (s *Server) listMethods(c *call) (int, any, error) {
	u, ms, err := s.Admin.ListMethods(c.r.Context(), c.p, c.userRef())
	if err != nil {
		return 0, nil, err
	}
	out := collection[*methodJSON]{Context: c.context("users('%s')/authentication/methods", u.ID), Value: []*methodJSON{}}
	for _, m := range ms {
		out.Value = append(out.Value, c.toMethod(m))
	}
	return http.StatusOK, out, nil
}

// getMethodByID is Graph's generic GET authentication/methods/{id}: the
// QR code + PIN method when the id is its own, as the methods list names it.
func (s *Server) getMethodByID(c *call) (int, any, error) {
	u, m, err := s.Admin.GetMethodByID(c.r.Context(), c.p, c.userRef(), c.vars["methodID"])
	if err != nil {
		return 0, nil, err
	}
	j := c.toMethod(m)
	j.Context = c.context("users('%s')/authentication/methods/$entity", u.ID)
	return http.StatusOK, j, nil
}

func (s *Server) deleteMethodByID(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.DeleteMethodByID(c.r.Context(), c.p, c.userRef(), c.vars["methodID"])
}

// codeBody is a qrCode in a request body.
type codeBody struct {
	Start  *string `json:"startDateTime"`
	Expire *string `json:"expireDateTime"`
}

func (b *codeBody) input() (admin.CodeInput, error) {
	var in admin.CodeInput
	var err error
	if in.Start, err = parseTime("startDateTime", b.Start); err != nil {
		return in, err
	}
	in.Expire, err = parseTime("expireDateTime", b.Expire)
	return in, err
}

func (s *Server) createMethod(c *call) (int, any, error) {
	var body struct {
		Standard  *codeBody `json:"standardQRCode"`
		Temporary *codeBody `json:"temporaryQRCode"`
		PIN       *struct {
			Code *string `json:"code"`
		} `json:"pin"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	in := admin.CreateMethodInput{HasTemporary: body.Temporary != nil}
	if body.Standard != nil {
		ci, err := body.Standard.input()
		if err != nil {
			return 0, nil, err
		}
		in.Standard = &ci
	}
	if body.PIN != nil && body.PIN.Code != nil {
		in.PIN = *body.PIN.Code
	}
	created, err := s.Admin.CreateMethod(c.r.Context(), c.p, c.userRef(), in)
	if err != nil {
		return 0, nil, err
	}
	j := c.toCreatedMethod(created)
	j.Context = c.methodContext(created.User.ID, "")
	// The how-to's create answer names the new method (spec 1.4).
	c.header.Set("Location", c.base+"/"+c.version+"/users/"+created.User.ID+"/authentication/qrCodePinMethod")
	return http.StatusCreated, j, nil
}

func (s *Server) deleteMethod(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.DeleteMethod(c.r.Context(), c.p, c.userRef())
}

// kind returns the QR code kind named by the request path's last segment.
func (c *call) kind() method.Kind {
	path := strings.TrimRight(c.r.URL.Path, "/") // the router ignores a trailing slash
	if strings.EqualFold(path[strings.LastIndex(path, "/")+1:], string(method.Temporary)) {
		return method.Temporary
	}
	return method.Standard
}

func (s *Server) getCode(c *call) (int, any, error) {
	u, code, err := s.Admin.GetCode(c.r.Context(), c.p, c.userRef(), c.kind())
	if err != nil {
		return 0, nil, err
	}
	j := toCode(&code, nil)
	j.Context = c.methodContext(u.ID, "/"+string(c.kind()))
	return http.StatusOK, j, nil
}

func (s *Server) patchCode(c *call) (int, any, error) {
	var body codeBody
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	in, err := body.input()
	if err != nil {
		return 0, nil, err
	}
	res, err := s.Admin.PatchCode(c.r.Context(), c.p, c.userRef(), c.kind(), in)
	if err != nil {
		return 0, nil, err
	}
	status, j := http.StatusOK, toCode(&res.Code.Code, nil)
	if res.Created {
		status, j = http.StatusCreated, toCode(&res.Code.Code, &res.Code.Image)
	}
	j.Context = c.methodContext(res.User.ID, "/"+string(c.kind()))
	return status, j, nil
}

func (s *Server) deleteCode(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.DeleteCode(c.r.Context(), c.p, c.userRef(), c.kind())
}

func (s *Server) getPIN(c *call) (int, any, error) {
	u, m, err := s.Admin.GetMethod(c.r.Context(), c.p, c.userRef())
	if err != nil {
		return 0, nil, err
	}
	j := c.toPIN(m.ID, m.PIN, nil)
	j.Context = c.methodContext(u.ID, "/pin")
	return http.StatusOK, j, nil
}

// resetPIN is the admin PIN reset (spec D2): whatever the body says, a new
// PIN is generated and returned once.
func (s *Server) resetPIN(c *call) (int, any, error) {
	var body map[string]any // accepted and ignored: absent, {}, {"pin": ""} or a qrPin
	if err := c.decode(&body, true); err != nil {
		return 0, nil, err
	}
	res, err := s.Admin.ResetPIN(c.r.Context(), c.p, c.userRef())
	if err != nil {
		return 0, nil, err
	}
	j := c.toPIN(res.MethodID, res.PIN, &res.Code)
	j.Context = c.methodContext(res.User.ID, "/pin")
	return http.StatusCreated, j, nil
}

// unlockPIN is qrpin's extension pin/unlock: it lifts the PIN's lockout
// and keeps the PIN. It takes no body (an empty JSON object is accepted)
// and answers 204.
func (s *Server) unlockPIN(c *call) (int, any, error) {
	var body map[string]any
	if err := c.decode(&body, true); err != nil {
		return 0, nil, err
	}
	_, err := s.Admin.UnlockPIN(c.r.Context(), c.p, c.userRef())
	return http.StatusNoContent, nil, err
}

func (s *Server) updatePIN(c *call) (int, any, error) {
	var body struct {
		Current string `json:"currentPin"`
		New     string `json:"newPin"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.Admin.UpdatePIN(c.r.Context(), c.p, c.userRef(), body.Current, body.New)
}
