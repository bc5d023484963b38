package graph

import (
	"net/http"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/store"
)

// administrativeUnits is the path of Graph's administrative units.
const administrativeUnits = "directory/administrativeUnits"

// typeAdministrativeUnit is the OData type of an administrative unit.
const typeAdministrativeUnit = "#microsoft.graph.administrativeUnit"

// registerUnits adds the administrative unit routes: the unit, and its
// members (users and groups) by $ref, as Graph's v1.0 and beta have them.
func (s *Server) registerUnits(r *router) {
	r.add(http.MethodGet, administrativeUnits, s.listUnits)
	r.add(http.MethodPost, administrativeUnits, s.createUnit)
	r.add(http.MethodGet, administrativeUnits+"/{unit}", s.getUnit)
	r.add(http.MethodPatch, administrativeUnits+"/{unit}", s.updateUnit)
	r.add(http.MethodDelete, administrativeUnits+"/{unit}", s.deleteUnit)
	r.add(http.MethodGet, administrativeUnits+"/{unit}/members", s.listUnitMembers)
	r.add(http.MethodGet, administrativeUnits+"/{unit}/members/$ref", s.listUnitMemberRefs)
	r.add(http.MethodPost, administrativeUnits+"/{unit}/members/$ref", s.addUnitMember)
	r.add(http.MethodDelete, administrativeUnits+"/{unit}/members/{member}/$ref", s.removeUnitMember)
	r.add(http.MethodDelete, administrativeUnits+"/{unit}/members/$ref", s.removeUnitMember) // ?$id=.../directoryObjects/{id}
}

type unitJSON struct {
	Context     string  `json:"@odata.context,omitempty"`
	Type        string  `json:"@odata.type"`
	ID          string  `json:"id"`
	Deleted     *string `json:"deletedDateTime"` // always null: deleted units are gone
	DisplayName string  `json:"displayName"`
	Description *string `json:"description"`
	Visibility  *string `json:"visibility"`
}

func toUnit(u store.AdministrativeUnit) *unitJSON {
	j := &unitJSON{Type: typeAdministrativeUnit, ID: u.ID, DisplayName: u.DisplayName}
	if u.Description != "" {
		j.Description = &u.Description
	}
	if u.Visibility != "" {
		j.Visibility = &u.Visibility
	}
	return j
}

// unitBody is a create or update body; null clears description and
// visibility.
type unitBody struct {
	DisplayName *string       `json:"displayName"`
	Description clearableText `json:"description"`
	Visibility  clearableText `json:"visibility"`
}

func (b unitBody) input() admin.UnitInput {
	return admin.UnitInput{DisplayName: b.DisplayName, Description: b.Description.value(), Visibility: b.Visibility.value()}
}

func (s *Server) createUnit(c *call) (int, any, error) {
	var body unitBody
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	u, err := s.Admin.CreateUnit(c.r.Context(), c.p, body.input())
	if err != nil {
		return 0, nil, err
	}
	j := toUnit(u)
	j.Context = c.context("directory/administrativeUnits/$entity")
	return http.StatusCreated, j, nil
}

func (s *Server) getUnit(c *call) (int, any, error) {
	u, err := s.Admin.GetUnit(c.r.Context(), c.p, c.vars["unit"])
	if err != nil {
		return 0, nil, err
	}
	j := toUnit(u)
	j.Context = c.context("directory/administrativeUnits/$entity")
	return http.StatusOK, j, nil
}

func (s *Server) listUnits(c *call) (int, any, error) {
	return listed(c, "directory/administrativeUnits", func(after string, top int) ([]store.AdministrativeUnit, error) {
		return s.Admin.ListUnits(c.r.Context(), c.p, after, top)
	}, toUnit, func(u store.AdministrativeUnit) string { return u.ID })
}

func (s *Server) updateUnit(c *call) (int, any, error) {
	var body unitBody
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.Admin.UpdateUnit(c.r.Context(), c.p, c.vars["unit"], body.input())
}

func (s *Server) deleteUnit(c *call) (int, any, error) {
	return http.StatusNoContent, nil, s.Admin.DeleteUnit(c.r.Context(), c.p, c.vars["unit"])
}

func (s *Server) listUnitMembers(c *call) (int, any, error) {
	return listed(c, "directoryObjects", s.unitMembers(c), func(m store.UnitMember) any {
		if m.User != nil {
			return toUser(*m.User)
		}
		return toGroup(*m.Group)
	}, store.UnitMember.ID)
}

// unitMembers lists the members of the request's unit, a page at a time.
func (s *Server) unitMembers(c *call) func(after string, top int) ([]store.UnitMember, error) {
	return func(after string, top int) ([]store.UnitMember, error) {
		return s.Admin.ListUnitMembers(c.r.Context(), c.p, c.vars["unit"], after, top)
	}
}

// memberRef is one entry of a $ref list: the member's directoryObjects URL.
type memberRef struct {
	ID string `json:"@odata.id"`
}

// listUnitMemberRefs answers GET .../members/$ref: the same members, in the
// same pages and under the same rules as listUnitMembers, each as a
// reference, {"@odata.id": ".../directoryObjects/{id}"} (Graph's example
// shape), which POST .../members/$ref takes back.
func (s *Server) listUnitMemberRefs(c *call) (int, any, error) {
	return listed(c, "Collection($ref)", s.unitMembers(c), func(m store.UnitMember) memberRef {
		return memberRef{ID: c.base + "/" + c.version + "/directoryObjects/" + m.ID()}
	}, store.UnitMember.ID)
}

// addUnitMember takes {"@odata.id": ".../directoryObjects/{id}"} (or
// .../users/{id}, .../groups/{id}).
func (s *Server) addUnitMember(c *call) (int, any, error) {
	var body struct {
		ID string `json:"@odata.id"`
	}
	if err := c.decode(&body, false); err != nil {
		return 0, nil, err
	}
	ref := objectRef(body.ID)
	if ref == "" {
		return 0, nil, apperr.BadRequest("The request body must be {\"@odata.id\": \"https://graph.microsoft.com/v1.0/directoryObjects/{id}\"}.")
	}
	return http.StatusNoContent, nil, s.Admin.AddUnitMember(c.r.Context(), c.p, c.vars["unit"], ref)
}

// removeUnitMember takes the member from the path or from $id, as
// removeMember does for groups.
func (s *Server) removeUnitMember(c *call) (int, any, error) {
	member := c.vars["member"]
	if member == "" {
		q := c.r.URL.Query()
		member = objectRef(q.Get("$id") + q.Get("@id"))
	}
	if member == "" {
		return 0, nil, apperr.BadRequest("Name the member to remove: .../members/{id}/$ref or .../members/$ref?$id=https://graph.microsoft.com/v1.0/directoryObjects/{id}.")
	}
	return http.StatusNoContent, nil, s.Admin.RemoveUnitMember(c.r.Context(), c.p, c.vars["unit"], member)
}
