package auth

import (
	"testing"

	"github.com/google/uuid"
)

func TestAppRoles(t *testing.T) {
	ids, values := map[string]bool{}, map[string]bool{}
	for _, r := range AppRoles {
		if _, err := uuid.Parse(r.ID); err != nil || r.Value == "" || r.DisplayName == "" || r.Description == "" {
			t.Errorf("app role %+v is incomplete", r)
		}
		if ids[r.ID] || values[r.Value] {
			t.Errorf("app role %s or %s listed twice", r.ID, r.Value)
		}
		ids[r.ID], values[r.Value] = true, true
	}
	// A few of Microsoft's ids, checked against its permission tables.
	for value, id := range map[string]string{
		"UserAuthMethod-QR.ReadWrite.All":       "4869299f-18c3-40c8-98f2-222657e67db1",
		"Policy.ReadWrite.AuthenticationMethod": "29c18626-4985-4dcd-85c0-193eef327366",
		"Group.Read.All":                        "5b567255-7703-4780-807c-7be8301ae99b",
		"Member.Read.Hidden":                    "658aa5d8-239f-45c4-aa12-864f4fc7e490",
	} {
		if r, ok := AppRoleByValue(value); !ok || r.ID != id {
			t.Errorf("AppRoleByValue(%s) = %+v, %v; want id %s", value, r, ok, id)
		}
	}
	if r, ok := AppRoleByValue("  user.readwrite.ALL "); !ok || r.Value != "User.ReadWrite.All" {
		t.Errorf("AppRoleByValue ignores case and spaces: %+v %v", r, ok)
	}
	if r, ok := AppRoleByID("741F803B-C850-494E-B5DF-CDE7C675A1CA"); !ok || r.Value != "User.ReadWrite.All" {
		t.Errorf("AppRoleByID ignores case: %+v %v", r, ok)
	}
	for _, s := range []string{"", "User.Read", "Directory.AccessAsUser.All", uuid.NewString()} {
		if _, ok := AppRoleByValue(s); ok {
			t.Errorf("AppRoleByValue(%q) found a role", s)
		}
	}
	// The qrpin-derived id is stable.
	if r, _ := AppRoleByValue("UserAuthMethod-QR.Read.All"); r.ID != "cd5baf51-c5a3-5f10-939b-1479f4b98f8c" {
		t.Errorf("UserAuthMethod-QR.Read.All: %+v", r)
	}
}

// Every application permission the permission table accepts can be
// granted: it is one of AppRoles, so an application holding all of them
// (the bootstrap application) may do everything applications may.
func TestEveryTablePermissionIsAnAppRole(t *testing.T) {
	for a, r := range rules {
		for _, perm := range r.app {
			if _, ok := AppRoleByValue(perm); !ok {
				t.Errorf("action %s accepts the application permission %s, which is no app role", a, perm)
			}
		}
		if r.app == nil {
			continue
		}
		for _, perm := range r.also {
			if _, ok := AppRoleByValue(perm); !ok {
				t.Errorf("action %s accepts the application permission %s, which is no app role", a, perm)
			}
		}
	}
}
