package auth

import "testing"

func TestRoles(t *testing.T) {
	want := map[string]string{ // Entra's template ids (built-in roles reference)
		GlobalAdministrator:                    "Global Administrator",
		GlobalReader:                           "Global Reader",
		AuthenticationAdministrator:            "Authentication Administrator",
		PrivilegedAuthenticationAdministrator:  "Privileged Authentication Administrator",
		AuthenticationPolicyAdministrator:      "Authentication Policy Administrator",
		UserAdministrator:                      "User Administrator",
		GroupsAdministrator:                    "Groups Administrator",
		PrivilegedRoleAdministrator:            "Privileged Role Administrator",
		ApplicationAdministrator:               "Application Administrator",
		CloudApplicationAdministrator:          "Cloud Application Administrator",
		"4a5d8f65-41da-4de4-8968-e035b65339cf": "Reports Reader",
		"5d6b6bb7-de71-4623-b4af-96380a352509": "Security Reader",
		"194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
	}
	if len(Roles) != len(want) {
		t.Fatalf("%d roles, want %d", len(Roles), len(want))
	}
	for _, r := range Roles {
		if want[r.ID] != r.DisplayName {
			t.Errorf("role %s is %q, want %q", r.ID, r.DisplayName, want[r.ID])
		}
		if r.Description == "" {
			t.Errorf("role %s has no description", r.DisplayName)
		}
		delete(want, r.ID) // each id once
	}
}

func TestRoleByName(t *testing.T) {
	for _, tc := range []struct {
		in     string
		wantID string
	}{
		{"Global Administrator", GlobalAdministrator},
		{"global administrator", GlobalAdministrator},
		{"  PRIVILEGED AUTHENTICATION ADMINISTRATOR ", PrivilegedAuthenticationAdministrator},
		{"Authentication Administrator", AuthenticationAdministrator},
		{"groups administrator", GroupsAdministrator},
		{GlobalReader, GlobalReader},
		{"0526716B-113D-4C15-B2C8-68E3C22B9F80", AuthenticationPolicyAdministrator},
		{"Global", ""},
		{"Helpdesk Administrator", ""},
		{"", ""},
	} {
		r, ok := RoleByName(tc.in)
		if ok != (tc.wantID != "") || r.ID != tc.wantID {
			t.Errorf("RoleByName(%q) = %q, %v; want %q", tc.in, r.ID, ok, tc.wantID)
		}
	}
}
