package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
)

// TestSecretsNeverStoredOrLeaked drives every path that makes or takes a
// secret (spec D9): PUT with a given and with a generated PIN, repeated PIN
// resets, updatePin, standard and temporary QR code creation, a wrong
// currentPin, malformed and refused bodies holding PINs. It collects every
// PIN and QR secret the server produced or received, then looks for each of
// them, in several encodings, in the SQLite files byte for byte (while open
// and after closing), in a text dump of every table, in the server log, in
// every error response and in every read response. None may be there.
func TestSecretsNeverStoredOrLeaked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	adm := e.admin()
	var c secCollector
	ctx := context.Background()

	ana := e.user("ana.secret@contoso.com")
	bob := e.user("bob.secret@contoso.com")
	cleo := e.user("cleo.secret@contoso.com")
	dave := e.user("dave.secret@contoso.com")
	mpath := func(u store.User) string { return "/v1.0/users/" + u.ID + "/authentication/qrCodePinMethod" }

	// A distinct fresh PIN each time, never one the server made.
	newPIN := func(n int) string {
		for {
			p, err := pin.Generate(n)
			if err != nil {
				t.Fatal(err)
			}
			if !c.hasPIN(p) {
				return p
			}
		}
	}

	// PUT with a given PIN: it comes back once, with the standard code.
	given := newPIN(9)
	c.pin("PIN given to PUT", given)
	r := c.do(t, e, "PUT", mpath(ana), adm, `{"standardQRCode":{},"pin":{"code":"`+given+`"}}`, http.StatusCreated)
	anaMethod := c.created(t, "ana PUT", r, given)

	// PUT without a PIN, and with an empty one: generated, returned once.
	r = c.do(t, e, "PUT", mpath(bob), adm, `{"standardQRCode":{}}`, http.StatusCreated)
	bobMethod := c.created(t, "bob PUT", r, "")
	r = c.do(t, e, "PUT", mpath(cleo), adm, `{"standardQRCode":{},"pin":{"code":""}}`, http.StatusCreated)
	c.created(t, "cleo PUT", r, "")

	// Resets, with no body, {} and a qrPin whose code is ignored.
	var current string
	for i, body := range []string{"", "{}", `{"@odata.type":"#microsoft.graph.qrPin","code":"{ignored}"}`} {
		if strings.Contains(body, "{ignored}") {
			ignored := newPIN(8)
			c.pin("PIN sent to reset (ignored)", ignored)
			body = strings.Replace(body, "{ignored}", ignored, 1)
		}
		r = c.do(t, e, "PATCH", mpath(ana)+"/pin", adm, body, http.StatusCreated)
		code := c.resetCode(t, fmt.Sprintf("reset %d", i+1), r)
		if code == current {
			t.Fatalf("reset %d returned the PIN it replaced", i+1)
		}
		current = code
	}

	// updatePin by ana herself.
	anaTok := e.userToken(ana, "Directory.AccessAsUser.All")
	next := newPIN(10)
	c.pin("PIN set by updatePin", next)
	c.do(t, e, "POST", mpath(ana)+"/pin/updatePin", anaTok, `{"currentPin":"`+current+`","newPin":"`+next+`"}`, http.StatusNoContent)
	current = next

	// A wrong currentPin: refused, and neither PIN is kept anywhere.
	wrong, unused := newPIN(8), newPIN(8)
	c.pin("wrong currentPin", wrong)
	c.pin("newPin of a refused updatePin", unused)
	r = c.do(t, e, "PATCH", mpath(ana)+"/pin/updatePin", anaTok, `{"currentPin":"`+wrong+`","newPin":"`+unused+`"}`, http.StatusBadRequest)
	if code := r.errCode(t); code != "incorrectPin" {
		t.Fatalf("wrong currentPin: code %q", code)
	}

	// Malformed, mistyped, refused and oversized bodies holding PINs,
	// the user's real current PIN among them.
	bad := newPIN(8)
	for bad[0] == '0' { // it is also sent as a JSON number
		bad = newPIN(8)
	}
	c.pin("PIN in malformed bodies", bad)
	invalid := "4" + newPIN(8)[:2] + "0123456789" // breaks the PIN rules
	c.pin("PIN breaking the rules", invalid)
	for _, b := range []struct {
		verb, path, body string
		header           http.Header
		status           int
	}{
		{"POST", mpath(ana) + "/pin/updatePin", `{"currentPin":"` + current + `","newPin":"` + bad + `",}`, nil, http.StatusBadRequest},
		{"POST", mpath(ana) + "/pin/updatePin", `{"currentPin":` + current + `,"newPin":"` + bad + `"}`, nil, http.StatusBadRequest},
		{"POST", mpath(ana) + "/pin/updatePin", `{"currentPin":"` + current + `","newPin":` + bad + `}`, nil, http.StatusBadRequest},
		{"POST", mpath(ana) + "/pin/updatePin", `{"currentPin":"` + current + `" "newPin":"` + bad + `"}`, nil, http.StatusBadRequest},
		{"POST", mpath(ana) + "/pin/updatePin", `{"currentPin":"` + current + `\q","newPin":"` + bad + `"}`, nil, http.StatusBadRequest},
		{"POST", mpath(ana) + "/pin/updatePin", `{"currentPin":"` + current + `","newPin":"` + bad, nil, http.StatusBadRequest},
		{"POST", mpath(ana) + "/pin/updatePin", `{"currentPin":"` + current + `","newPin":"` + invalid + `"}`, nil, http.StatusBadRequest},
		{"POST", mpath(ana) + "/pin/updatePin", `{"currentPin":"` + current + `","newPin":["` + bad + `"]}`, nil, http.StatusBadRequest},
		{"POST", mpath(ana) + "/pin/updatePin", `{"currentPin":"` + current + `","newPin":"` + bad + `"}`,
			http.Header{"Content-Type": {"text/plain"}}, http.StatusUnsupportedMediaType},
		{"PATCH", mpath(ana) + "/pin", `{"@odata.type":"#microsoft.graph.qrPin","code":"` + bad + `",}`, nil, http.StatusBadRequest},
		{"PATCH", mpath(ana) + "/pin", `{"code":` + bad + `}`, nil, http.StatusCreated}, // the body is ignored: a reset
		{"PUT", mpath(dave), `{"standardQRCode":{},"pin":{"code":` + bad + `}}`, nil, http.StatusBadRequest},
		{"PUT", mpath(dave), `{"standardQRCode":{},"pin":{"code":"` + invalid + `"}}`, nil, http.StatusBadRequest},
		{"PUT", mpath(dave), `{"standardQRCode":{"expireDateTime":"tomorrow"},"pin":{"code":"` + bad + `"}}`, nil, http.StatusBadRequest},
		{"PUT", mpath(dave), `{"standardQRCode":{"expireDateTime":"2020-01-01T00:00:00Z"},"pin":{"code":"` + bad + `"}}`, nil, http.StatusBadRequest},
		{"PUT", mpath(dave), `{"temporaryQRCode":{},"pin":{"code":"` + bad + `"}}`, nil, http.StatusBadRequest},
		{"PUT", mpath(dave), `{"standardQRCode":{},"pin":{"code":"` + bad + `"}}` + strings.Repeat(" ", 70<<10), nil, http.StatusRequestEntityTooLarge},
		{"PUT", mpath(ana), `{"standardQRCode":{},"pin":{"code":"` + bad + `"}}`, nil, http.StatusBadRequest}, // ana has a method
	} {
		tok := anaTok
		if b.verb != "POST" {
			tok = adm
		}
		r := c.doWith(t, e, b.verb, b.path, tok, b.body, b.header, b.status)
		if r.status == http.StatusCreated {
			current = c.resetCode(t, "reset with a numeric code", r)
		}
	}

	// QR codes: a new standard code after deleting the first, an expiry
	// update (no image), and two temporary codes.
	c.do(t, e, "DELETE", mpath(ana)+"/standardQRCode", adm, "", http.StatusNoContent)
	r = c.do(t, e, "PATCH", mpath(ana)+"/standardQRCode", adm, `{}`, http.StatusCreated)
	anaStandard := c.code(t, "new standard code", r)
	expire := e.clock.Now().AddDate(0, 0, 200).UTC().Format(time.RFC3339)
	r = c.do(t, e, "PATCH", mpath(ana)+"/standardQRCode", adm, `{"expireDateTime":"`+expire+`"}`, http.StatusOK)
	c.read(t, "standard expiry update", r)
	in8h := e.clock.Now().Add(8 * time.Hour).UTC().Format(time.RFC3339)
	r = c.do(t, e, "PATCH", mpath(bob)+"/temporaryQRCode", adm, `{"expireDateTime":"`+in8h+`"}`, http.StatusCreated)
	c.code(t, "bob temporary code", r)
	c.do(t, e, "DELETE", mpath(bob)+"/temporaryQRCode", adm, "", http.StatusNoContent)
	r = c.do(t, e, "PATCH", mpath(bob)+"/temporaryQRCode", adm, `{"expireDateTime":"`+in8h+`"}`, http.StatusCreated)
	bobTemporary := c.code(t, "bob second temporary code", r)
	r = c.do(t, e, "PATCH", mpath(ana)+"/temporaryQRCode", adm, `{"expireDateTime":"`+in8h+`"}`, http.StatusCreated)
	anaTemporary := c.code(t, "ana temporary code", r)

	// Reads never show a secret.
	for _, u := range []store.User{ana, bob, cleo} {
		for _, p := range []string{"", "/standardQRCode", "/pin"} {
			c.read(t, "GET "+u.UPN+p, c.do(t, e, "GET", mpath(u)+p, adm, "", http.StatusOK))
		}
		c.read(t, "GET methods "+u.UPN, c.do(t, e, "GET", "/beta/users/"+u.UPN+"/authentication/methods", adm, "", http.StatusOK))
	}
	c.read(t, "GET ana temporary", c.do(t, e, "GET", mpath(ana)+"/temporaryQRCode", adm, "", http.StatusOK))
	c.read(t, "GET /me method", c.do(t, e, "GET", "/v1.0/me/authentication/qrCodePinMethod", e.userToken(ana, "UserAuthMethod-QR.Read"), "", http.StatusOK))
	// Refusals: their bodies are checked too.
	c.do(t, e, "GET", mpath(bob), "", "", http.StatusUnauthorized)
	c.do(t, e, "PATCH", mpath(bob)+"/pin", anaTok, "", http.StatusForbidden)
	c.do(t, e, "PATCH", "/v1.0/me/authentication/qrCodePinMethod/pin", e.userToken(ana, "UserAuthMethod-QR.ReadWrite"), `{"code":"`+bad+`"}`, http.StatusForbidden)

	// What the store holds now, for the positive checks below.
	stored := map[string]method.Method{}
	for _, u := range []store.User{ana, bob, cleo} {
		m, err := e.store.GetMethod(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored[u.UPN] = m
	}
	if ok, err := e.hasher.Verify(current, stored[ana.UPN].PIN.Hash); err != nil || !ok {
		t.Fatalf("ana's stored PIN hash does not verify her current PIN (%v): the test lost track", err)
	}

	hay, closed, dump := c.haystacks(t, e)

	// The haystacks are real: the dump and the closed database file hold
	// the users, methods, codes, PIN hashes and verifiers; the log holds
	// the requests; the error bodies are errors.
	var whole []byte
	for _, h := range closed {
		whole = append(whole, h.data...)
	}
	for _, want := range []string{ana.UPN, bob.UPN, cleo.UPN, dave.UPN, anaMethod, bobMethod, anaStandard, anaTemporary, bobTemporary, stored[ana.UPN].PIN.Hash,
		"Reset QR code PIN", "Add QR code PIN method"} { // the directory audits are dumped too
		if !strings.Contains(dump, want) {
			t.Errorf("the table dump lacks %q: it is not a dump of the store\n%s", want, dump)
		}
		if closed != nil && !bytes.Contains(whole, []byte(want)) {
			t.Errorf("the closed database file lacks %q: it is not the store's file", want)
		}
	}
	if n := strings.Count(dump, "$argon2id$"); n != 3 {
		t.Errorf("the dump holds %d Argon2id PIN hashes, want 3 (ana, bob, cleo)", n)
	}
	for _, m := range stored {
		for _, qc := range []*method.QRCode{m.Standard, m.Temporary} {
			if qc != nil && !strings.Contains(dump, fmt.Sprintf("%x", qc.Verifier)) {
				t.Errorf("the dump lacks the verifier of QR code %s", qc.ID)
			}
		}
	}
	for id, secret := range map[string][]byte{anaStandard: c.secretOf[anaStandard], anaTemporary: c.secretOf[anaTemporary], bobTemporary: c.secretOf[bobTemporary]} {
		if !strings.Contains(dump, fmt.Sprintf("%x", qr.Verifier(e.pepper, secret))) {
			t.Errorf("the dump lacks the verifier of QR code %s computed from its secret: the secrets collected are not the codes' secrets", id)
		}
	}
	log := e.logs.String()
	if !strings.Contains(log, "route=/{version}/users/{user}/authentication/qrCodePinMethod ") || !strings.Contains(log, "status=201") || !strings.Contains(log, "status=400") {
		t.Errorf("the server log does not show the requests:\n%s", log)
	}
	// The log and the metrics name routes by their templates: no user's
	// id or UPN.
	metrics := metricsText(t, e)
	if !strings.Contains(metrics, `qrpin_graph_requests_total{code="201",method="PUT",route="/{version}/users/{user}/authentication/qrCodePinMethod"}`) {
		t.Errorf("the metrics do not count the requests:\n%s", metrics)
	}
	for _, u := range []store.User{ana, bob, cleo} {
		for _, s := range []string{u.ID, u.UPN} {
			for what, text := range map[string]string{"server log": log, "metrics": metrics} {
				if strings.Contains(strings.ToLower(text), strings.ToLower(s)) {
					t.Errorf("the %s names user %s (%s):\n%s", what, u.UPN, s, text)
				}
			}
		}
	}
	if len(c.errBodies) < 20 || len(c.readBodies) < 15 {
		t.Errorf("only %d error and %d read bodies collected", len(c.errBodies), len(c.readBodies))
	}
	for i, b := range c.errBodies {
		if !bytes.Contains(b, []byte(`"error"`)) {
			t.Errorf("error body %d (%s) is not an error: %s", i, c.errWhat[i], b)
		}
	}

	// The needles, and a check that each one is found where it must be:
	// in the response that showed it, or the request that sent it.
	needles := c.needles()
	needles = append(needles, secForms("the pepper", e.pepper, false)...)
	for _, p := range c.pins {
		if secFind(c.seen[p.value], []byte(p.value), true) < 0 {
			t.Errorf("%s %s: not found in the exchange it came from: the search is broken", p.what, p.value)
		}
	}
	for _, s := range c.secrets {
		if !strings.Contains(s.payload, b32.EncodeToString(s.secret)) || secFind(s.response, []byte(base64.StdEncoding.EncodeToString([]byte(s.payload))), false) < 0 {
			t.Errorf("QR secret of %s: not found in its payload or response: the search is broken", s.what)
		}
	}
	if len(c.pins) < 12 || len(c.secrets) < 7 {
		t.Fatalf("only %d PINs and %d QR secrets collected", len(c.pins), len(c.secrets))
	}

	for _, h := range hay {
		for _, n := range needles {
			if i := secFind(h.data, n.data, n.digits); i >= 0 {
				lo, hi := max(i-40, 0), min(i+len(n.data)+40, len(h.data))
				t.Errorf("%s found in %s at byte %d: %q", n.what, h.what, i, h.data[lo:hi])
			}
		}
	}
	t.Logf("%d PINs and %d QR secrets (%d needles) checked against %d haystacks (%d bytes)",
		len(c.pins), len(c.secrets), len(needles), len(hay), secSize(hay))
}

// b32 is the QR payload's base32 (qr package documentation).
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

type secPIN struct{ what, value string }

type secSecret struct {
	what     string
	secret   []byte
	payload  string
	png      []byte
	response []byte
}

// secCollector records the secrets and the bodies of a test's exchanges.
type secCollector struct {
	pins       []secPIN
	secrets    []secSecret
	secretOf   map[string][]byte // by QR code id
	seen       map[string][]byte // PIN -> the request or response it appeared in
	errBodies  [][]byte
	errWhat    []string
	readBodies [][]byte
	readWhat   []string
}

// haystacks closes e's store and collects where a secret must not be. On
// SQLite: the database file and its -wal and -shm files, byte for byte,
// while the store is open and again after closing it (closed). On either
// backend: a dump of every table, row by row, after closing the store
// (dump); the server log; the error and read bodies c saw.
func (c *secCollector) haystacks(t *testing.T, e *env) (hay, closed []secHay, dump string) {
	t.Helper()
	files := !onPostgres()
	if files {
		hay = append(hay, secFiles(t, e.dbPath, "open")...)
	}
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	if files {
		closed = secFiles(t, e.dbPath, "closed")
		hay = append(hay, closed...)
	} else {
		t.Log("PostgreSQL: there is no database file to read; the table dump stands for it")
	}
	dump = dumpStore(t, e)
	hay = append(hay, secHay{"table dump", []byte(dump)}, secHay{"server log", []byte(e.logs.String())},
		secHay{"metrics", []byte(metricsText(t, e))})
	for i, b := range c.errBodies {
		hay = append(hay, secHay{fmt.Sprintf("error body %d (%s)", i, c.errWhat[i]), b})
	}
	for i, b := range c.readBodies {
		hay = append(hay, secHay{fmt.Sprintf("read body %d (%s)", i, c.readWhat[i]), b})
	}
	return hay, closed, dump
}

// metricsText is the API's metrics as /metrics exposes them.
func metricsText(t *testing.T, e *env) string {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(e.metrics.Registry(), promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

func (c *secCollector) pin(what, p string) {
	c.pins = append(c.pins, secPIN{what, p})
}

func (c *secCollector) hasPIN(p string) bool {
	for _, q := range c.pins {
		if q.value == p {
			return true
		}
	}
	return false
}

func (c *secCollector) do(t *testing.T, e *env, verb, path, tok, body string, status int) resp {
	t.Helper()
	return c.doWith(t, e, verb, path, tok, body, nil, status)
}

// doWith sends a request, requires the status, and keeps error bodies.
func (c *secCollector) doWith(t *testing.T, e *env, verb, path, tok, body string, h http.Header, status int) resp {
	t.Helper()
	r := e.doWith(verb, path, tok, body, h)
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", verb, path, r.status, status, r.body)
	}
	if c.seen == nil {
		c.seen = map[string][]byte{}
	}
	for _, p := range c.pins {
		if _, ok := c.seen[p.value]; !ok && strings.Contains(body, p.value) {
			c.seen[p.value] = []byte(body)
		}
	}
	if status >= 400 {
		c.errBodies = append(c.errBodies, r.body)
		c.errWhat = append(c.errWhat, verb+" "+path)
	}
	return r
}

// read keeps a read response and checks it shows no secret.
func (c *secCollector) read(t *testing.T, what string, r resp) {
	t.Helper()
	c.readBodies = append(c.readBodies, r.body)
	c.readWhat = append(c.readWhat, what)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if (k == "code" || k == "image") && x != nil {
					t.Errorf("%s: %s is %v, want null (D9)", what, k, x)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(r.json(t))
}

type secImage struct {
	BinaryValue []byte `json:"binaryValue"`
	RawContent  []byte `json:"rawContent"`
}

type secCode struct {
	ID    string    `json:"id"`
	Image *secImage `json:"image"`
}

// qr records the secret of a QR code a response created.
func (c *secCollector) qr(t *testing.T, what string, code secCode, r resp) {
	t.Helper()
	if code.Image == nil || len(code.Image.RawContent) == 0 || len(code.Image.BinaryValue) == 0 {
		t.Fatalf("%s: no image: %s", what, r.body)
	}
	p, err := qr.Parse(string(code.Image.RawContent))
	if err != nil {
		t.Fatalf("%s: rawContent: %v", what, err)
	}
	if p.CodeID != code.ID {
		t.Fatalf("%s: the payload names code %s, the response %s", what, p.CodeID, code.ID)
	}
	if c.secretOf == nil {
		c.secretOf = map[string][]byte{}
	}
	c.secretOf[code.ID] = p.Secret
	c.secrets = append(c.secrets, secSecret{what, p.Secret, string(code.Image.RawContent), code.Image.BinaryValue, r.body})
}

// created records the secrets of a PUT response and returns the method id.
// given is the PIN sent ("" when the server generates it).
func (c *secCollector) created(t *testing.T, what string, r resp, given string) string {
	t.Helper()
	var m struct {
		ID       string  `json:"id"`
		Standard secCode `json:"standardQRCode"`
		PIN      struct {
			Code *string `json:"code"`
		} `json:"pin"`
	}
	if err := json.Unmarshal(r.body, &m); err != nil || m.PIN.Code == nil {
		t.Fatalf("%s: no PIN code in %s (%v)", what, r.body, err)
	}
	code := *m.PIN.Code
	switch {
	case given != "" && code != given:
		t.Fatalf("%s: PIN %q returned, %q given", what, code, given)
	case given == "":
		if err := pin.Check(code, pin.MinLength); err != nil {
			t.Fatalf("%s: generated PIN %q: %v", what, code, err)
		}
		c.pin(what+": generated PIN", code)
	}
	c.see(code, r.body)
	c.qr(t, what+": standard code", m.Standard, r)
	return m.ID
}

// resetCode records the PIN a reset returned.
func (c *secCollector) resetCode(t *testing.T, what string, r resp) string {
	t.Helper()
	var p struct {
		Code *string `json:"code"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil || p.Code == nil || pin.Check(*p.Code, pin.MinLength) != nil {
		t.Fatalf("%s: no valid PIN in %s (%v)", what, r.body, err)
	}
	c.pin(what+": generated PIN", *p.Code)
	c.see(*p.Code, r.body)
	return *p.Code
}

// code records the secret of a QR code a PATCH created; it returns its id.
func (c *secCollector) code(t *testing.T, what string, r resp) string {
	t.Helper()
	var qc secCode
	if err := json.Unmarshal(r.body, &qc); err != nil {
		t.Fatal(err)
	}
	c.qr(t, what, qc, r)
	return qc.ID
}

func (c *secCollector) see(p string, where []byte) {
	if c.seen == nil {
		c.seen = map[string][]byte{}
	}
	if _, ok := c.seen[p]; !ok {
		c.seen[p] = where
	}
}

// secNeedle is one encoding of a secret; digits marks a PIN, which only
// counts where it is not part of a longer run of digits.
type secNeedle struct {
	what   string
	data   []byte
	digits bool
}

// needles returns every collected secret in every form looked for.
func (c *secCollector) needles() []secNeedle {
	var out []secNeedle
	for _, p := range c.pins {
		what := fmt.Sprintf("%s %s", p.what, p.value)
		out = append(out, secNeedle{what, []byte(p.value), true},
			// hex of ASCII digits is itself all digits
			secNeedle{what + " (hex of its digits)", []byte(hex.EncodeToString([]byte(p.value))), true},
			secNeedle{what + " (base64 of its digits)", []byte(base64.RawStdEncoding.EncodeToString([]byte(p.value))), false},
			secNeedle{what + " (base64url of its digits)", []byte(base64.RawURLEncoding.EncodeToString([]byte(p.value))), false})
		sum := sha256.Sum256([]byte(p.value))
		out = append(out, secForms(what+" (unkeyed SHA-256)", sum[:], false)...)
	}
	for _, s := range c.secrets {
		out = append(out, secForms("QR secret of "+s.what, s.secret, true)...)
		out = append(out,
			secNeedle{"QR payload of " + s.what, []byte(s.payload), false},
			secNeedle{"QR payload (base64) of " + s.what, []byte(base64.StdEncoding.EncodeToString([]byte(s.payload))), false},
			secNeedle{"QR image of " + s.what, s.png, false},
			secNeedle{"QR image (base64) of " + s.what, []byte(base64.StdEncoding.EncodeToString(s.png)), false},
		)
	}
	return out
}

// secForms returns b raw, in hex, in base64 (standard and URL, padded and
// not) and, when b32too, in the payload's base32.
func secForms(what string, b []byte, b32too bool) []secNeedle {
	out := []secNeedle{
		{what + " (raw)", b, false},
		{what + " (hex)", []byte(hex.EncodeToString(b)), false},
		{what + " (HEX)", []byte(strings.ToUpper(hex.EncodeToString(b))), false},
		{what + " (base64)", []byte(base64.StdEncoding.EncodeToString(b)), false},
		{what + " (base64 unpadded)", []byte(base64.RawStdEncoding.EncodeToString(b)), false},
		{what + " (base64url)", []byte(base64.URLEncoding.EncodeToString(b)), false},
		{what + " (base64url unpadded)", []byte(base64.RawURLEncoding.EncodeToString(b)), false},
	}
	if b32too {
		out = append(out,
			secNeedle{what + " (base32)", []byte(b32.EncodeToString(b)), false},
			secNeedle{what + " (base32 lower case)", []byte(strings.ToLower(b32.EncodeToString(b))), false},
		)
	}
	return out
}

// secFind returns the index of needle in hay, or -1. A digits needle only
// counts where no ASCII digit touches it on either side, so a PIN cannot
// be "found" inside a longer number such as a timestamp.
func secFind(hay, needle []byte, digits bool) int {
	isDigit := func(i int) bool { return i >= 0 && i < len(hay) && hay[i] >= '0' && hay[i] <= '9' }
	for off := 0; ; {
		i := bytes.Index(hay[off:], needle)
		if i < 0 {
			return -1
		}
		i += off
		if !digits || !isDigit(i-1) && !isDigit(i+len(needle)) {
			return i
		}
		off = i + 1
	}
}

// secHay is something that must not hold a secret.
type secHay struct {
	what string
	data []byte
}

// secFiles reads the database file and its -wal and -shm files, byte for byte.
func secFiles(t *testing.T, path, when string) []secHay {
	t.Helper()
	var out []secHay
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, secHay{fmt.Sprintf("database file%s (%s)", suffix, when), b})
	}
	return out
}

func secSize(hay []secHay) int {
	n := 0
	for _, h := range hay {
		n += len(h.data)
	}
	return n
}

// TestSecretsFinder checks secFind itself: a PIN inside a longer digit run
// (a timestamp) is not a hit, a PIN between other characters is.
func TestSecretsFinder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		hay  string
		want bool
	}{
		{"created=1772442000000000", false},
		{"x48150392", true},
		{"148150392", false},
		{"481503921", false},
		{`"code":"48150392"`, true},
		{"1481503920 48150392", true},
		{"", false},
	} {
		if got := secFind([]byte(c.hay), []byte("48150392"), true) >= 0; got != c.want {
			t.Errorf("secFind(%q) = %v, want %v", c.hay, got, c.want)
		}
	}
	if secFind([]byte("x1772442000000000"), []byte("17724420"), true) >= 0 {
		t.Error("found a PIN at the start of a timestamp")
	}
}

// TestClientSecretsNeverStoredOrLeaked is TestSecretsNeverStoredOrLeaked
// for client secrets (spec D9): it adds secrets to two applications in
// every way addPassword takes, removes one, sends one back in a refused
// body, and then looks for each secret, in every encoding the PIN and QR
// secret test looks for (raw, hex, base64 standard and URL, padded or not,
// unkeyed SHA-256; whole and past its stored hint), in the SQLite files
// byte for byte (open and closed), in a dump of every table (on either
// backend: TestAPIOnPostgres runs it on PostgreSQL), in the server log and
// in every error and read response. None may be there.
func TestClientSecretsNeverStoredOrLeaked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.appAdmin()
	var c secCollector
	ctx := context.Background()

	type secret struct {
		what, appID, keyID, hint, text string
		body                           []byte // the response that showed it
		removed                        bool
	}
	var secrets []*secret
	type app struct{ id, appID string }
	var apps []app
	for _, name := range []string{"badge printer", "kiosk"} {
		a := e.createApp(tok, name)
		apps = append(apps, app{field(a, "id"), field(a, "appId")})
	}
	first, second := apps[0], apps[1]
	for _, a := range []struct {
		what, path, body string
		of               app
	}{
		{"secret with a display name", "/v1.0/applications/" + first.id + "/addPassword", `{"passwordCredential": {"displayName": "ci"}}`, first},
		{"secret with no body", "/v1.0/applications/" + first.id + "/addPassword", "", first},
		{"secret with an empty credential", "/beta/applications/" + first.id + "/addPassword", `{"passwordCredential": {}}`, first},
		{"secret by appId", "/v1.0/applications(appId='" + second.appID + "')/addPassword", `{}`, second},
		{"secret with dates", "/v1.0/applications/" + second.id + "/addPassword",
			`{"passwordCredential": {"startDateTime": "2026-03-02T09:00:00Z", "endDateTime": "2026-09-02T09:00:00Z"}}`, second},
		{"secret removed later", "/v1.0/applications/" + second.id + "/addPassword", `{"passwordCredential": {"displayName": "old"}}`, second},
	} {
		r := c.do(t, e, "POST", a.path, tok, a.body, http.StatusOK)
		var pw struct {
			KeyID      string  `json:"keyId"`
			Hint       string  `json:"hint"`
			SecretText *string `json:"secretText"`
		}
		if err := json.Unmarshal(r.body, &pw); err != nil || pw.SecretText == nil || len(*pw.SecretText) != admin.SecretLength {
			t.Fatalf("%s: no secretText in %s (%v)", a.what, r.body, err)
		}
		secrets = append(secrets, &secret{what: a.what, appID: a.of.appID, keyID: pw.KeyID, hint: pw.Hint, text: *pw.SecretText, body: r.body})
	}
	removed := secrets[len(secrets)-1]
	removed.removed = true
	c.do(t, e, "POST", "/v1.0/applications/"+second.id+"/removePassword", tok, fmt.Sprintf(`{"keyId": %q}`, removed.keyID), http.StatusNoContent)

	// Refused bodies holding a secret (as if pasted by mistake) are not
	// echoed, stored or logged. (Not as a well-formed keyId of
	// removePassword: its error names the keyId given, as Graph's does.)
	pasted := secrets[0].text
	for _, b := range []struct{ path, body string }{
		{"/v1.0/applications/" + first.id + "/addPassword", `{"passwordCredential": {"displayName": "x", "endDateTime": "next year"}, "secretText": "` + pasted + `"}`},
		{"/v1.0/applications/" + first.id + "/addPassword", `{"passwordCredential": {"secretText": "` + pasted + `",}}`},
		{"/v1.0/applications/" + first.id + "/removePassword", `{"keyId": ` + pasted + `}`},
	} {
		c.do(t, e, "POST", b.path, tok, b.body, http.StatusBadRequest)
	}
	c.do(t, e, "POST", "/v1.0/applications/"+first.id+"/addPassword", e.appToken("Application.Read.All"), "", http.StatusForbidden)
	c.do(t, e, "POST", "/v1.0/applications/"+first.id+"/addPassword", "", "", http.StatusUnauthorized)

	// Reads never show a secret.
	for _, path := range []string{"/v1.0/applications", "/beta/applications", "/v1.0/applications/" + first.id, "/beta/applications/" + second.id,
		"/v1.0/applications(appId='" + second.appID + "')", "/v1.0/servicePrincipals(appId='" + first.appID + "')"} {
		r := c.do(t, e, "GET", path, tok, "", http.StatusOK)
		if bytes.Contains(r.body, []byte(`"secretText":"`)) {
			t.Errorf("GET %s shows a secretText: %s", path, r.body)
		}
		c.readBodies = append(c.readBodies, r.body)
		c.readWhat = append(c.readWhat, "GET "+path)
	}

	// The secrets collected are the applications' secrets: the kept ones
	// authenticate their application, the removed one no longer does.
	svc := &admin.Service{Config: pinflow.Config{Store: e.store, Pepper: e.pepper, TenantID: e.tenant, Now: e.clock.Now}}
	verifiers := map[string][]byte{} // by key id
	for _, s := range secrets {
		var want error
		if s.removed {
			want = admin.ErrInvalidSecret
		}
		if _, err := svc.ClientCredentials(ctx, s.appID, s.text); !errors.Is(err, want) {
			t.Fatalf("%s: ClientCredentials: %v, want %v: the test lost track of the secrets", s.what, err, want)
		}
		if s.hint != s.text[:admin.HintLength] {
			t.Fatalf("%s: hint %q", s.what, s.hint)
		}
	}
	for _, app := range apps {
		a, err := e.store.GetApplication(ctx, app.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, pw := range a.Passwords {
			verifiers[pw.KeyID] = pw.Verifier
		}
	}
	if len(verifiers) != len(secrets)-1 {
		t.Fatalf("the store holds %d client secrets, want %d", len(verifiers), len(secrets)-1)
	}

	// The haystacks, as in TestSecretsNeverStoredOrLeaked.
	hay, closed, dump := c.haystacks(t, e)

	// The haystacks are real: the dump (on either backend) and the closed
	// database file hold the application tables with every kept secret's
	// key id, hint and verifier; the log holds the requests.
	var whole []byte
	for _, h := range closed {
		whole = append(whole, h.data...)
	}
	want := []string{fmt.Sprintf("== application_passwords (%d rows)", len(secrets)-1), "== applications ("}
	for _, s := range secrets[:len(secrets)-1] {
		want = append(want, "key_id="+s.keyID, "hint="+s.hint, fmt.Sprintf("verifier=x'%x'", verifiers[s.keyID]))
	}
	for _, w := range want {
		if !strings.Contains(dump, w) {
			t.Errorf("the table dump lacks %q: it is not a dump of the application tables\n%s", w, dump)
		}
	}
	for _, s := range secrets[:len(secrets)-1] {
		if closed != nil && (!bytes.Contains(whole, []byte(s.keyID)) || !bytes.Contains(whole, verifiers[s.keyID])) {
			t.Errorf("the closed database file lacks the key id or the verifier of %s: it is not the store's file", s.what)
		}
	}
	if log := e.logs.String(); !strings.Contains(log, "addPassword") || !strings.Contains(log, "status=200") || !strings.Contains(log, "status=400") {
		t.Errorf("the server log does not show the requests:\n%s", log)
	}
	if len(c.errBodies) != 5 || len(c.readBodies) != 6 {
		t.Errorf("%d error and %d read bodies collected, want 5 and 6", len(c.errBodies), len(c.readBodies))
	}
	for i, b := range c.errBodies {
		if !bytes.Contains(b, []byte(`"error"`)) {
			t.Errorf("error body %d (%s) is not an error: %s", i, c.errWhat[i], b)
		}
	}

	// The needles, each found in the response that showed it: the search
	// works.
	needles := secForms("the pepper", e.pepper, false)
	for _, s := range secrets {
		what := fmt.Sprintf("client secret (%s)", s.what)
		sum := sha256.Sum256([]byte(s.text))
		tail := s.text[admin.HintLength:] // what the hint does not show
		needles = append(needles, secForms(what, []byte(s.text), false)...)
		needles = append(needles, secForms(what+" past its hint", []byte(tail), false)...)
		needles = append(needles, secForms(what+" (unkeyed SHA-256)", sum[:], false)...)
		if secFind(s.body, []byte(s.text), false) < 0 {
			t.Errorf("%s: not found in the response that showed it: the search is broken", what)
		}
	}

	for _, h := range hay {
		for _, n := range needles {
			if i := secFind(h.data, n.data, n.digits); i >= 0 {
				lo, hi := max(i-40, 0), min(i+len(n.data)+40, len(h.data))
				t.Errorf("%s found in %s at byte %d: %q", n.what, h.what, i, h.data[lo:hi])
			}
		}
	}
	t.Logf("%d client secrets (%d needles) checked against %d haystacks (%d bytes)",
		len(secrets), len(needles), len(hay), secSize(hay))
}
