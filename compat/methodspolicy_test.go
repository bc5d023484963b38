package compat

import (
	"net/http"
	"testing"

	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraph "github.com/microsoftgraph/msgraph-beta-sdk-go"
	"github.com/microsoftgraph/msgraph-beta-sdk-go/models"
	modelsv1 "github.com/microsoftgraph/msgraph-sdk-go/models"
)

// The authentication methods policy as a whole (issue 13, item 1): the
// parent object, its authenticationMethodConfigurations, and one by id,
// each read through the SDK's own request builders and typed from
// @odata.type. qrpin lists the other Entra methods as disabled entries.

// configIDs are the ids the policy lists, the QR code + PIN one last
// (spelt per version: beta's is "QRCodePin").
func configIDs(qrID string) []string {
	return []string{"Fido2", "MicrosoftAuthenticator", "Sms", "TemporaryAccessPass", "SoftwareOath", "Voice", "Email", "X509Certificate", qrID}
}

func testMethodsPolicy(t *testing.T, c *msgraph.GraphServiceClient) {
	ctx := ctxT(t)
	want := configIDs("QRCodePin")
	check := func(what string, cfgs []models.AuthenticationMethodConfigurationable) {
		t.Helper()
		if len(cfgs) != len(want) {
			t.Fatalf("%s: %d configurations, want %d", what, len(cfgs), len(want))
		}
		for i, cfg := range cfgs {
			if _, base := cfg.(*models.AuthenticationMethodConfiguration); base || str(cfg.GetId()) != want[i] {
				t.Fatalf("%s[%d]: a %T with id %s, want %s typed from its @odata.type", what, i, cfg, str(cfg.GetId()), want[i])
			}
			if cfg.GetState() == nil || (i < len(want)-1 && *cfg.GetState() != models.DISABLED_AUTHENTICATIONMETHODSTATE) {
				t.Fatalf("%s: %s state %v", what, want[i], cfg.GetState())
			}
		}
		if _, ok := cfgs[0].(models.Fido2AuthenticationMethodConfigurationable); !ok {
			t.Fatalf("%s: Fido2 is a %T", what, cfgs[0])
		}
		if _, ok := cfgs[len(cfgs)-1].(models.QrCodePinAuthenticationMethodConfigurationable); !ok {
			t.Fatalf("%s: QRCodePin is a %T", what, cfgs[len(cfgs)-1])
		}
	}
	p, err := c.Policies().AuthenticationMethodsPolicy().Get(ctx, nil)
	wantNoError(t, "GET authenticationMethodsPolicy", err)
	if str(p.GetId()) != "authenticationMethodsPolicy" || p.GetDisplayName() == nil || p.GetPolicyVersion() == nil {
		t.Fatalf("GET authenticationMethodsPolicy: id %s displayName %s policyVersion %s", str(p.GetId()), str(p.GetDisplayName()), str(p.GetPolicyVersion()))
	}
	check("authenticationMethodsPolicy.authenticationMethodConfigurations", p.GetAuthenticationMethodConfigurations())

	list, err := c.Policies().AuthenticationMethodsPolicy().AuthenticationMethodConfigurations().Get(ctx, nil)
	wantNoError(t, "GET authenticationMethodConfigurations", err)
	check("GET authenticationMethodConfigurations", list.GetValue())

	byID := c.Policies().AuthenticationMethodsPolicy().AuthenticationMethodConfigurations()
	fido, err := byID.ByAuthenticationMethodConfigurationId("Fido2").Get(ctx, nil)
	wantNoError(t, "GET authenticationMethodConfigurations/Fido2", err)
	if f, ok := fido.(models.Fido2AuthenticationMethodConfigurationable); !ok || str(f.GetId()) != "Fido2" ||
		f.GetState() == nil || *f.GetState() != models.DISABLED_AUTHENTICATIONMETHODSTATE {
		t.Fatalf("GET authenticationMethodConfigurations/Fido2: a %T, id %s", fido, str(fido.GetId()))
	}
	_, err = byID.ByAuthenticationMethodConfigurationId("NoSuchMethod").Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
}

func testMethodsPolicyV1(t *testing.T, c *graphV1) {
	ctx := ctxT(t)
	want := configIDs("qrCodePin")
	check := func(what string, cfgs []modelsv1.AuthenticationMethodConfigurationable) {
		t.Helper()
		if len(cfgs) != len(want) {
			t.Fatalf("%s: %d configurations, want %d", what, len(cfgs), len(want))
		}
		for i, cfg := range cfgs {
			if _, base := cfg.(*modelsv1.AuthenticationMethodConfiguration); base || str(cfg.GetId()) != want[i] {
				t.Fatalf("%s[%d]: a %T with id %s, want %s typed from its @odata.type", what, i, cfg, str(cfg.GetId()), want[i])
			}
			if cfg.GetState() == nil || (i < len(want)-1 && *cfg.GetState() != modelsv1.DISABLED_AUTHENTICATIONMETHODSTATE) {
				t.Fatalf("%s: %s state %v", what, want[i], cfg.GetState())
			}
			objs := []serialization.AdditionalDataHolder{cfg}
			for _, x := range cfg.GetExcludeTargets() {
				objs = append(objs, x)
			}
			wantModelFields(t, what+" "+want[i], objs...)
		}
		if _, ok := cfgs[0].(modelsv1.Fido2AuthenticationMethodConfigurationable); !ok {
			t.Fatalf("%s: Fido2 is a %T", what, cfgs[0])
		}
		if _, ok := cfgs[len(cfgs)-1].(modelsv1.QrCodePinAuthenticationMethodConfigurationable); !ok {
			t.Fatalf("%s: qrCodePin is a %T", what, cfgs[len(cfgs)-1])
		}
	}
	p, err := c.Policies().AuthenticationMethodsPolicy().Get(ctx, nil)
	wantNoError(t, "GET authenticationMethodsPolicy", err)
	if str(p.GetId()) != "authenticationMethodsPolicy" || p.GetDisplayName() == nil || p.GetPolicyVersion() == nil {
		t.Fatalf("GET authenticationMethodsPolicy: id %s displayName %s policyVersion %s", str(p.GetId()), str(p.GetDisplayName()), str(p.GetPolicyVersion()))
	}
	wantModelFields(t, "GET authenticationMethodsPolicy", p)
	check("authenticationMethodsPolicy.authenticationMethodConfigurations", p.GetAuthenticationMethodConfigurations())

	list, err := c.Policies().AuthenticationMethodsPolicy().AuthenticationMethodConfigurations().Get(ctx, nil)
	wantNoError(t, "GET authenticationMethodConfigurations", err)
	wantModelFields(t, "GET authenticationMethodConfigurations", list)
	check("GET authenticationMethodConfigurations", list.GetValue())

	byID := c.Policies().AuthenticationMethodsPolicy().AuthenticationMethodConfigurations()
	fido, err := byID.ByAuthenticationMethodConfigurationId("Fido2").Get(ctx, nil)
	wantNoError(t, "GET authenticationMethodConfigurations/Fido2", err)
	if f, ok := fido.(modelsv1.Fido2AuthenticationMethodConfigurationable); !ok || str(f.GetId()) != "Fido2" ||
		f.GetState() == nil || *f.GetState() != modelsv1.DISABLED_AUTHENTICATIONMETHODSTATE {
		t.Fatalf("GET authenticationMethodConfigurations/Fido2: a %T, id %s", fido, str(fido.GetId()))
	}
	wantModelFields(t, "GET authenticationMethodConfigurations/Fido2", fido)
	_, err = byID.ByAuthenticationMethodConfigurationId("NoSuchMethod").Get(ctx, nil)
	wantODataError(t, err, http.StatusNotFound, "itemNotFound")
}
