package graph_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// The generic authentication/methods/{id} endpoints (issue 13, item 2):
// the id is the one the methods list shows.
func TestMethodByID(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		now := s.e.clock.Now()
		created := s.create(t, now, now.AddDate(0, 0, 30), pin1)
		id := str(t, created, "id")

		r := s.do("GET", s.listPath(), "")
		expect(t, r, http.StatusOK, "")
		list := r.json(t)["value"].([]any)
		eq(t, "listed id", list[0].(map[string]any)["id"], id)

		r = s.do("GET", s.listPath()+"/"+id, "")
		expect(t, r, http.StatusOK, "")
		got := r.json(t)
		eq(t, "@odata.context", got["@odata.context"],
			s.e.srv.URL+"/"+s.f.version+"/$metadata#users('"+s.u.ID+"')/authentication/methods/$entity")
		// The same method the dedicated endpoint and the list show.
		r = s.do("GET", s.methodPath(), "")
		expect(t, r, http.StatusOK, "")
		want := r.json(t)
		delete(want, "@odata.context")
		delete(got, "@odata.context")
		eq(t, "method by id", got, want)
		eq(t, "method in the list", list[0], want)

		// Another id: 404 itemNotFound, and a DELETE of it deletes nothing.
		// (28c10230-... is the id Entra gives every user's password method.)
		for _, other := range []string{"28c10230-6103-485e-b985-444c60001490", "not-a-method"} {
			expect(t, s.do("GET", s.listPath()+"/"+other, ""), http.StatusNotFound, "itemNotFound")
			expect(t, s.do("DELETE", s.listPath()+"/"+other, ""), http.StatusNotFound, "itemNotFound")
		}
		expect(t, s.do("GET", s.methodPath(), ""), http.StatusOK, "")

		expect(t, s.do("DELETE", s.listPath()+"/"+id, ""), http.StatusNoContent, "")
		if _, err := s.e.store.GetMethod(context.Background(), s.u.ID); err != store.ErrNotFound {
			t.Fatalf("method after DELETE methods/{id}: err %v, want ErrNotFound", err)
		}
		expect(t, s.do("GET", s.listPath()+"/"+id, ""), http.StatusNotFound, "itemNotFound")
		expect(t, s.do("DELETE", s.listPath()+"/"+id, ""), http.StatusNotFound, "itemNotFound")
	})
}

func TestMethodByIDPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.user("ana@contoso.com")
	now := e.clock.Now()
	r := e.do("PUT", "/v1.0/users/"+u.ID+"/authentication/qrCodePinMethod", e.adminTok(), createBody(now, now.AddDate(0, 0, 30), pin1))
	expect(t, r, http.StatusCreated, "")
	path := "/v1.0/users/" + u.ID + "/authentication/methods/" + str(t, r.json(t), "id")
	expect(t, e.do("GET", path, e.appToken("User.Read.All"), ""), http.StatusForbidden, "accessDenied")
	expect(t, e.do("DELETE", path, e.appToken("UserAuthMethod-QR.Read.All"), ""), http.StatusForbidden, "accessDenied")
	expect(t, e.do("GET", path, e.appToken("UserAuthMethod-QR.Read.All"), ""), http.StatusOK, "")
	expect(t, e.do("DELETE", path, e.appToken("UserAuthenticationMethod.ReadWrite.All"), ""), http.StatusNoContent, "")
}

// Issue 13, item 3: qrPin.id (v1.0), the beta method's lastUsedDateTime
// and the Location of a created method.
func TestMethodIDsAndLastUsed(t *testing.T) {
	t.Parallel()
	eachForm(t, func(t *testing.T, s *subject) {
		now := s.e.clock.Now()
		r := s.do("PUT", s.methodPath(), createBody(now, now.AddDate(0, 0, 30), pin1))
		expect(t, r, http.StatusCreated, "")
		eq(t, "Location", r.header.Get("Location"), s.e.srv.URL+"/"+s.f.version+"/users/"+s.u.ID+"/authentication/qrCodePinMethod")
		m := r.json(t)
		id := str(t, m, "id")
		checkIDs := func(what string, m map[string]any, lastUsed string) {
			t.Helper()
			p := obj(t, m, "pin")
			if s.f.version == "v1.0" {
				eq(t, what+" pin.id", p["id"], id)
				if _, ok := m["lastUsedDateTime"]; ok {
					t.Fatalf("%s: v1.0 method has lastUsedDateTime", what)
				}
				return
			}
			if _, ok := p["id"]; ok {
				t.Fatalf("%s: beta qrPin has an id", what)
			}
			eq(t, what+" lastUsedDateTime", m["lastUsedDateTime"], lastUsed)
		}
		checkIDs("created", m, zeroTime)
		r = s.do("GET", s.methodPath(), "")
		expect(t, r, http.StatusOK, "")
		checkIDs("read", r.json(t), zeroTime)

		// A sign-in with the standard code, then a later one with a
		// temporary code: the method's lastUsedDateTime is the latest.
		std := now.Add(time.Hour)
		temp := now.Add(2 * time.Hour)
		s.e.clock.Advance(time.Minute)
		expect(t, s.do("PATCH", s.tempPath(), codeBody(s.e.clock.Now(), s.e.clock.Now().Add(8*time.Hour))), http.StatusCreated, "")
		if _, err := s.e.store.UpdateMethod(context.Background(), s.u.ID, func(m *method.Method) error {
			m.Standard.LastUsed, m.Temporary.LastUsed = std, temp
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		r = s.do("GET", s.methodPath(), "")
		expect(t, r, http.StatusOK, "")
		checkIDs("after sign-ins", r.json(t), rfc(temp))

		r = s.do("GET", s.pinPath(), "")
		expect(t, r, http.StatusOK, "")
		hasKeys(t, r.json(t), append(s.pinKeys(), "@odata.context")...)
		if s.f.version == "v1.0" {
			eq(t, "GET pin id", r.json(t)["id"], id)
		}
		r = s.do("PATCH", s.pinPath(), "")
		expect(t, r, http.StatusCreated, "")
		if s.f.version == "v1.0" {
			eq(t, "reset pin id", r.json(t)["id"], id)
		}
	})
}
