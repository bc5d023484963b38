package graph_test

import (
	"net/http"
	"testing"

	"github.com/qrpin/qrpin/auth"
)

// disabledConfig is one of the other Entra methods as the policy lists it.
func disabledConfig(typ, id string) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph." + typ + "AuthenticationMethodConfiguration", "id": id,
		"state": "disabled", "excludeTargets": []any{}, "includeTargets": []any{}}
}

// otherConfigs are the disabled entries, in the order the policy lists them.
func otherConfigs() []any {
	return []any{
		disabledConfig("fido2", "Fido2"),
		disabledConfig("microsoftAuthenticator", "MicrosoftAuthenticator"),
		disabledConfig("sms", "Sms"),
		disabledConfig("temporaryAccessPass", "TemporaryAccessPass"),
		disabledConfig("softwareOath", "SoftwareOath"),
		disabledConfig("voice", "Voice"),
		disabledConfig("email", "Email"),
		disabledConfig("x509Certificate", "X509Certificate"),
	}
}

func TestMethodsPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setPolicy(t, `"state":"enabled","pinLength":10`)
	for _, version := range []string{"v1.0", "beta"} {
		meta := e.srv.URL + "/" + version + "/$metadata#"
		qr := e.policyJSON(version, "enabled", 10, 365, []any{includeTarget("group", "all_users", false)}, []any{})
		delete(qr, "@odata.context")
		configs := append(otherConfigs(), qr)

		r := e.do("GET", "/"+version+"/policies/authenticationMethodsPolicy", e.adminTok(), "")
		expect(t, r, http.StatusOK, "")
		m := r.json(t)
		eq(t, version+" configurations", m["authenticationMethodConfigurations"], configs)
		delete(m, "authenticationMethodConfigurations")
		delete(m, "description")
		eq(t, version+" policy", m, map[string]any{
			"@odata.context":       meta + "authenticationMethodsPolicy",
			"@odata.type":          "#microsoft.graph.authenticationMethodsPolicy",
			"id":                   "authenticationMethodsPolicy",
			"displayName":          "Authentication Methods Policy",
			"lastModifiedDateTime": nil,
			"policyVersion":        "1.5",
			"policyMigrationState": "migrationComplete",
			"authenticationMethodConfigurations@odata.context": meta + "policies/authenticationMethodsPolicy/authenticationMethodConfigurations",
		})

		r = e.do("GET", "/"+version+"/policies/authenticationMethodsPolicy/authenticationMethodConfigurations", e.adminTok(), "")
		expect(t, r, http.StatusOK, "")
		eq(t, version+" list", r.json(t), map[string]any{
			"@odata.context": meta + "policies/authenticationMethodsPolicy/authenticationMethodConfigurations",
			"value":          configs,
		})

		// By id: the QR code + PIN configuration under either casing; the
		// others as their disabled entries; an unknown id is 404.
		for _, id := range []string{"qrCodePin", "QRCodePin"} {
			r = e.do("GET", "/"+version+"/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/"+id, e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			eq(t, version+" "+id, r.json(t), e.policyJSON(version, "enabled", 10, 365, []any{includeTarget("group", "all_users", false)}, []any{}))
		}
		for _, id := range []string{"Fido2", "fido2"} {
			r = e.do("GET", "/"+version+"/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/"+id, e.adminTok(), "")
			expect(t, r, http.StatusOK, "")
			want := disabledConfig("fido2", "Fido2")
			want["@odata.context"] = meta + "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity"
			eq(t, version+" "+id, r.json(t), want)
		}
		r = e.do("GET", "/"+version+"/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Passkey", e.adminTok(), "")
		expect(t, r, http.StatusNotFound, "itemNotFound")
		// The other methods cannot be changed: qrpin does not serve them.
		r = e.do("PATCH", "/"+version+"/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2", e.adminTok(),
			`{"@odata.type":"#microsoft.graph.fido2AuthenticationMethodConfiguration","state":"enabled"}`)
		expect(t, r, http.StatusMethodNotAllowed, "")
	}
}

func TestMethodsPolicyPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	reader := e.user("reader@contoso.com", auth.GlobalReader)
	plain := e.user("plain@contoso.com")
	paths := []string{
		"/v1.0/policies/authenticationMethodsPolicy",
		"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations",
		"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2",
		"/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/unknown",
	}
	for i, p := range paths {
		ok := http.StatusOK
		if i == 3 { // a caller who may read the policy learns that the id is unknown; others do not
			ok = http.StatusNotFound
		}
		expect(t, e.do("GET", p, e.appToken("Policy.Read.AuthenticationMethod"), ""), ok, "")
		expect(t, e.do("GET", p, e.userToken(reader, "Policy.Read.AuthenticationMethod"), ""), ok, "")
		expect(t, e.do("GET", p, e.appToken("User.Read.All"), ""), http.StatusForbidden, "accessDenied")
		expect(t, e.do("GET", p, e.userToken(plain, "Policy.Read.AuthenticationMethod"), ""), http.StatusForbidden, "accessDenied")
		expect(t, e.do("GET", p, "", ""), http.StatusUnauthorized, "InvalidAuthenticationToken")
	}
}
