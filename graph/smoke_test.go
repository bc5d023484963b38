package graph_test

import (
	"net/http"
	"testing"
)

func TestSmoke(t *testing.T) {
	e := newEnv(t)
	tok := e.admin()
	r := e.do("POST", "/v1.0/users", tok, `{"userPrincipalName":"ana@contoso.com","displayName":"Ana"}`)
	expect(t, r, http.StatusCreated, "")
	id := r.json(t)["id"].(string)
	r = e.do("PUT", "/v1.0/users/"+id+"/authentication/qrCodePinMethod", tok, `{"standardQRCode":{"expireDateTime":"2027-03-02T09:00:00Z"},"pin":{"code":"48150392"}}`)
	expect(t, r, http.StatusCreated, "")
	t.Logf("%s", r.body[:300])
	r = e.do("PATCH", "/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod/pin", tok, `{"@odata.type":"#microsoft.graph.qrPin","code":"09599786",}`)
	expect(t, r, http.StatusBadRequest, "BadRequest")
	t.Logf("%s", r.body)
	r = e.do("PATCH", "/v1.0/users/ana@contoso.com/authentication/qrCodePinMethod/pin", tok, `{"@odata.type":"#microsoft.graph.qrPin","code":"09599786"}`)
	expect(t, r, http.StatusCreated, "")
	t.Logf("%s", r.body)
	r = e.do("GET", "/beta/users/"+id+"/authentication/QRCODEPINMETHOD", tok, ``)
	expect(t, r, http.StatusOK, "")
	t.Logf("%s", r.body)
}
