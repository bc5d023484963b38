package graph

import "net/http"

// Path prefixes.
const (
	qrMethod = "users/{user}/authentication/qrCodePinMethod"
	policy   = "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin"
)

// register lists every route of the API (spec section 1.2 and issue 2).
func (s *Server) register() {
	r := &s.routes
	r.add(http.MethodGet, qrMethod, s.getMethod)
	r.add(http.MethodPut, qrMethod, s.createMethod)
	r.add(http.MethodDelete, qrMethod, s.deleteMethod)
	for _, kind := range []string{"standardQRCode", "temporaryQRCode"} {
		r.add(http.MethodGet, qrMethod+"/"+kind, s.getCode)
		r.add(http.MethodPatch, qrMethod+"/"+kind, s.patchCode)
		r.add(http.MethodDelete, qrMethod+"/"+kind, s.deleteCode)
	}
	r.add(http.MethodGet, qrMethod+"/pin", s.getPIN)
	r.add(http.MethodPatch, qrMethod+"/pin", s.resetPIN)
	r.add(http.MethodPost, qrMethod+"/pin/unlock", s.unlockPIN) // qrpin's extension
	for _, path := range []string{qrMethod + "/pin/updatePin", qrMethod + "/updatePin"} {
		r.add(http.MethodPost, path, s.updatePIN)
		r.add(http.MethodPatch, path, s.updatePIN)
	}
	r.add(http.MethodGet, "users/{user}/authentication/methods", s.listMethods)
	r.add(http.MethodGet, "users/{user}/authentication/methods/{methodID}", s.getMethodByID)
	r.add(http.MethodDelete, "users/{user}/authentication/methods/{methodID}", s.deleteMethodByID)

	r.add(http.MethodGet, policy, s.getPolicy)
	r.add(http.MethodPatch, policy, s.updatePolicy)
	r.add(http.MethodDelete, policy, s.deletePolicy)
	s.registerMethodsPolicy(r)

	r.add(http.MethodGet, "users", s.listUsers)
	r.add(http.MethodPost, "users", s.createUser)
	r.add(http.MethodGet, "users/{user}", s.getUser)
	r.add(http.MethodPatch, "users/{user}", s.updateUser)
	r.add(http.MethodDelete, "users/{user}", s.deleteUser)

	r.add(http.MethodGet, "groups", s.listGroups)
	r.add(http.MethodPost, "groups", s.createGroup)
	r.add(http.MethodGet, "groups/{group}", s.getGroup)
	r.add(http.MethodDelete, "groups/{group}", s.deleteGroup)
	r.add(http.MethodGet, "groups/{group}/members", s.listMembers)
	r.add(http.MethodPost, "groups/{group}/members/$ref", s.addMember)
	r.add(http.MethodDelete, "groups/{group}/members/{member}/$ref", s.removeMember)
	r.add(http.MethodDelete, "groups/{group}/members/$ref", s.removeMember) // ?$id=.../directoryObjects/{id}

	r.add(http.MethodPost, "$batch", s.batch)

	s.registerRoles(r)
	s.registerUnits(r)
	s.registerApplications()
	s.registerAuditLogs(r)
	s.registerReports(r)
}
