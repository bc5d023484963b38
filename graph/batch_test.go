package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/graph"
	"github.com/qrpin/qrpin/pinflow"
	"github.com/qrpin/qrpin/store"
)

// batchAnswer is a batch's 200 answer, each response by id.
type batchAnswer struct {
	crid  string                    // the batch's client-request-id
	order []string                  // the response ids in the order answered
	byID  map[string]map[string]any // each response: id, status, headers, body
}

// batch sends a JSON batch and checks the envelope of its 200 answer.
func (e *env) batch(t *testing.T, version, tok, body string, header http.Header) batchAnswer {
	t.Helper()
	r := e.doWith("POST", "/"+version+"/$batch", tok, body, header)
	expect(t, r, http.StatusOK, "")
	m := r.json(t)
	hasKeys(t, m, "responses")
	a := batchAnswer{crid: r.header.Get("client-request-id"), byID: map[string]map[string]any{}}
	for _, v := range m["responses"].([]any) {
		res := v.(map[string]any)
		id := str(t, res, "id")
		if _, dup := a.byID[id]; dup {
			t.Fatalf("response %s answered twice: %s", id, r.body)
		}
		a.order = append(a.order, id)
		a.byID[id] = res
	}
	return a
}

// response returns the response to request id, checking its status and
// the headers every answer carries: a fresh request-id, and the batch's
// client-request-id.
func (a batchAnswer) response(t *testing.T, id string, status int) map[string]any {
	t.Helper()
	return a.responseCRID(t, id, status, a.crid)
}

// responseCRID is response for a request that sent its own
// client-request-id, crid.
func (a batchAnswer) responseCRID(t *testing.T, id string, status int, crid string) map[string]any {
	t.Helper()
	res, ok := a.byID[id]
	if !ok {
		t.Fatalf("no response to request %s", id)
	}
	eq(t, "status of "+id, res["status"], float64(status))
	h := obj(t, res, "headers")
	eq(t, id+" Cache-Control", h["Cache-Control"], "no-store")
	isGUID(t, id+" Request-Id", str(t, h, "Request-Id"))
	eq(t, id+" Client-Request-Id", h["Client-Request-Id"], crid)
	if _, hasBody := res["body"]; hasBody {
		hasKeys(t, res, "id", "status", "headers", "body")
		if ct := str(t, h, "Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s Content-Type %q", id, ct)
		}
	} else {
		hasKeys(t, res, "id", "status", "headers")
	}
	return res
}

// body returns a response's body as an object.
func body(t *testing.T, res map[string]any) map[string]any {
	t.Helper()
	return obj(t, res, "body")
}

// innerError checks an inner error body: its code, and its innerError's
// request-id matching the response's header.
func innerError(t *testing.T, res map[string]any, code string) string {
	t.Helper()
	er := obj(t, body(t, res), "error")
	hasKeys(t, er, "code", "message", "innerError")
	eq(t, "error code", er["code"], code)
	in := obj(t, er, "innerError")
	eq(t, "innerError.request-id", in["request-id"], obj(t, res, "headers")["Request-Id"])
	return str(t, er, "message")
}

func TestBatch(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v1.0", "beta"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			now := e.clock.Now()
			bo := e.user("bo@contoso.com")
			r := e.doWith("POST", "/"+version+"/$batch", e.adminTok(), `{"requests":[
				{"id":"1","method":"POST","url":"/users","headers":{"content-type":"application/json"},
				 "body":{"userPrincipalName":"ana@contoso.com","displayName":"Ana","employeeId":"E-1"}},
				{"id":"2","method":"GET","url":"/users/ana@contoso.com","dependsOn":["1"]},
				{"id":"3","method":"get","url":"users?$filter=employeeId eq 'E-1'","dependsOn":["1"]},
				{"id":"4","method":"DELETE","url":"/groups/00000000-0000-0000-0000-000000000000"},
				{"id":"5","method":"PATCH","url":"/users/`+bo.ID+`","headers":{"Content-Type":"application/json"},"body":{"displayName":"Bo B"}}
			]}`, http.Header{"Client-Request-Id": {"batch-crid-1"}})
			expect(t, r, http.StatusOK, "")
			eq(t, "Content-Type", r.header.Get("Content-Type"), "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
			outer := r.header.Get("request-id")
			isGUID(t, "batch request-id", outer)
			var m struct {
				Responses []map[string]any `json:"responses"`
			}
			if err := json.Unmarshal(r.body, &m); err != nil {
				t.Fatal(err)
			}
			a := batchAnswer{crid: "batch-crid-1", byID: map[string]map[string]any{}}
			for _, res := range m.Responses {
				a.order = append(a.order, res["id"].(string))
				a.byID[res["id"].(string)] = res
			}
			eq(t, "responses, in the order of the requests", a.order, []string{"1", "2", "3", "4", "5"})

			ana, err := e.store.GetUserByUPN(context.Background(), "ana@contoso.com")
			if err != nil {
				t.Fatal(err)
			}
			want := withEmployeeID(userJSON(ana.ID, "ana@contoso.com", "Ana", true, now), "E-1")
			want["@odata.context"] = e.srv.URL + "/" + version + "/$metadata#users/$entity"
			eq(t, "1: created user", body(t, a.response(t, "1", http.StatusCreated)), want)
			eq(t, "2: read user", body(t, a.response(t, "2", http.StatusOK)), want)
			delete(want, "@odata.context")
			eq(t, "3: filtered list", body(t, a.response(t, "3", http.StatusOK)),
				map[string]any{"@odata.context": e.srv.URL + "/" + version + "/$metadata#users", "value": []any{want}})
			innerError(t, a.response(t, "4", http.StatusNotFound), "Request_ResourceNotFound")
			a.response(t, "5", http.StatusNoContent)
			got, err := e.store.GetUser(context.Background(), bo.ID)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "5: stored display name", got.DisplayName, "Bo B")

			// Every request has its own request-id and log line, which
			// names the batch; the batch has its own line.
			rids := map[string]bool{outer: true}
			for _, id := range a.order {
				rid := a.byID[id]["headers"].(map[string]any)["Request-Id"].(string)
				if rids[rid] {
					t.Fatalf("request-id %s used twice", rid)
				}
				rids[rid] = true
				line := logLine(t, e, rid)
				for _, want := range []string{"batch-request-id=" + outer, "batch-id=" + id, "client-request-id=batch-crid-1"} {
					if !strings.Contains(line, want) {
						t.Fatalf("log line of %s lacks %q: %s", id, want, line)
					}
				}
			}
			if line := logLine(t, e, outer); !strings.Contains(line, "route=/{version}/$batch") || !strings.Contains(line, "status=200") {
				t.Fatalf("the batch's log line: %s", line)
			}

			// A request's own client-request-id is kept.
			a = e.batch(t, version, e.adminTok(), `{"requests":[{"id":"x","method":"GET","url":"/users/`+bo.ID+`","headers":{"client-request-id":"inner-crid"}}]}`, nil)
			a.responseCRID(t, "x", http.StatusOK, "inner-crid")
		})
	}
}

// logLine returns the one log line of the request with that request-id.
func logLine(t *testing.T, e *env, rid string) string {
	t.Helper()
	var found []string
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, "msg=request ") && strings.Contains(l, " request-id="+rid) {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d log lines of request %s, want 1:\n%s", len(found), rid, e.logs.String())
	}
	return found[0]
}

// TestBatchDependsOn: requests run after the ones they depend on, whatever
// their order in the batch; a request whose dependency failed is not run
// and gets 424, and so do the requests depending on it; the others run.
func TestBatchDependsOn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.batch(t, "v1.0", e.adminTok(), `{"requests":[
		{"id":"read","method":"GET","url":"/users/ana@contoso.com","dependsOn":["rename"]},
		{"id":"rename","method":"PATCH","url":"/users/ana@contoso.com","headers":{"Content-Type":"application/json"},"body":{"displayName":"Ana B"},"dependsOn":["CREATE"]},
		{"id":"create","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":{"userPrincipalName":"ana@contoso.com","displayName":"Ana"}},
		{"id":"missing","method":"GET","url":"/users/nobody@contoso.com"},
		{"id":"blocked","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":{"userPrincipalName":"blocked@contoso.com","displayName":"B"},"dependsOn":["missing"]},
		{"id":"blocked2","method":"GET","url":"/users","dependsOn":["blocked","read"]},
		{"id":"free","method":"GET","url":"/users/ana@contoso.com"}
	]}`, nil)
	eq(t, "responses, in the order of the requests", a.order, []string{"read", "rename", "create", "missing", "blocked", "blocked2", "free"})
	a.response(t, "create", http.StatusCreated)
	a.response(t, "rename", http.StatusNoContent)
	eq(t, "read after rename", body(t, a.response(t, "read", http.StatusOK))["displayName"], "Ana B")
	innerError(t, a.response(t, "missing", http.StatusNotFound), "Request_ResourceNotFound")
	msg := innerError(t, a.response(t, "blocked", http.StatusFailedDependency), "FailedDependency")
	if !strings.Contains(msg, "'missing'") {
		t.Fatalf("424 message %q does not name the failed request", msg)
	}
	msg = innerError(t, a.response(t, "blocked2", http.StatusFailedDependency), "FailedDependency")
	if !strings.Contains(msg, "'blocked'") {
		t.Fatalf("424 message %q does not name the failed request", msg)
	}
	// "free" has no dependency: it runs in its place, after create.
	eq(t, "free", body(t, a.response(t, "free", http.StatusOK))["displayName"], "Ana B")
	if _, err := e.store.GetUserByUPN(context.Background(), "blocked@contoso.com"); err != store.ErrNotFound {
		t.Fatalf("the request whose dependency failed ran: %v", err)
	}

	// The log shows the order the requests ran in.
	var ran []string
	for _, m := range regexp.MustCompile(`batch-id=(\w+)`).FindAllStringSubmatch(e.logs.String(), -1) {
		ran = append(ran, m[1])
	}
	eq(t, "order run", ran, []string{"create", "rename", "read", "missing", "blocked", "blocked2", "free"})
}

// TestBatchMalformed: a batch that is not well-formed is a 400 for the
// whole batch, naming the request at fault, and runs nothing.
func TestBatchMalformed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	create := `{"id":"c","method":"POST","url":"/users","headers":{"Content-Type":"application/json"},"body":{"userPrincipalName":"c@contoso.com","displayName":"C"}}`
	get := func(id string, deps ...string) string {
		d, _ := json.Marshal(deps)
		return `{"id":"` + id + `","method":"GET","url":"/users","dependsOn":` + string(d) + `}`
	}
	many := func(n int) string {
		var rs []string
		for i := range n {
			rs = append(rs, get(fmt.Sprint(i)))
		}
		return strings.Join(rs, ",")
	}
	tests := []struct {
		name, body, code, mention string
		status                    int
	}{
		{"21 requests", `{"requests":[` + create + `,` + many(20) + `]}`, "BadRequest", "at most 20", 400},
		{"no requests", `{"requests":[]}`, "BadRequest", "no requests", 400},
		{"requests missing", `{"value":[` + create + `]}`, "BadRequest", "no requests", 400},
		{"requests not an array", `{"requests":{"id":"1"}}`, "BadRequest", "requests", 400},
		{"malformed JSON", `{"requests":[` + create + `,]}`, "BadRequest", "trailing comma", 400},
		{"headers not strings", `{"requests":[` + create + `,{"id":"h","method":"GET","url":"/users","headers":{"x":1}}]}`, "BadRequest", "headers", 400},
		{"no id", `{"requests":[` + create + `,{"method":"GET","url":"/users"}]}`, "BadRequest", "Request 2", 400},
		{"id used twice, other case", `{"requests":[` + create + `,` + get("C") + `]}`, "BadRequest", "'C'", 400},
		{"no method", `{"requests":[` + create + `,{"id":"m","url":"/users"}]}`, "BadRequest", "'m'", 400},
		{"method not a name", `{"requests":[` + create + `,{"id":"m","method":"GE T","url":"/users"}]}`, "BadRequest", "'m'", 400},
		{"no url", `{"requests":[` + create + `,{"id":"u","method":"GET"}]}`, "BadRequest", "'u'", 400},
		{"unknown dependsOn", `{"requests":[` + create + `,` + get("d", "c", "nope") + `]}`, "BadRequest", "'nope'", 400},
		{"depends on itself", `{"requests":[` + create + `,` + get("self", "self") + `]}`, "BadRequest", "'self'", 400},
		{"circular", `{"requests":[` + create + `,` + get("a", "b") + `,` + get("b", "a") + `]}`, "BadRequest", "circular", 400},
		{"circular, after a chain", `{"requests":[` + create + `,` + get("x", "y") + `,` + get("y", "z") + `,` + get("z", "y") + `]}`, "BadRequest", "circular", 400},
		{"body not JSON", `requests`, "BadRequest", "", 400},
		{"no body", ``, "BadRequest", "", 400},
	}
	for _, tc := range tests {
		r := e.do("POST", "/v1.0/$batch", e.adminTok(), tc.body)
		msg := e.checkError(t, r, tc.status, tc.code, "")
		if !strings.Contains(msg, tc.mention) {
			t.Fatalf("%s: message %q does not mention %q", tc.name, msg, tc.mention)
		}
		if tc.name == "circular, after a chain" && !strings.Contains(msg, "'y'") && !strings.Contains(msg, "'z'") {
			t.Fatalf("%s: message %q names no request on the circle", tc.name, msg)
		}
		if _, err := e.store.GetUserByUPN(context.Background(), "c@contoso.com"); err != store.ErrNotFound {
			t.Fatalf("%s: a request of the refused batch ran (%v)", tc.name, err)
		}
	}
	// Twenty is the limit, not one less.
	a := e.batch(t, "v1.0", e.adminTok(), `{"requests":[`+create+`,`+many(19)+`]}`, nil)
	if len(a.order) != 20 {
		t.Fatalf("%d responses to 20 requests", len(a.order))
	}
	// The batch's own body limit applies.
	r := e.do("POST", "/v1.0/$batch", e.adminTok(), `{"requests":[`+get("big")+`],"pad":"`+strings.Repeat("x", graph.DefaultMaxBody)+`"}`)
	e.checkError(t, r, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "")
	// Only POST.
	r = e.do("GET", "/v1.0/$batch", e.adminTok(), "")
	e.checkError(t, r, http.StatusMethodNotAllowed, "Request_BadRequest", "")
}

// TestBatchRequestErrors: a malformed request of a well-formed batch gets
// its own error; the others run.
func TestBatchRequestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bo := e.user("bo@contoso.com")
	tests := []struct {
		name, request string
		status        int
		code, mention string
	}{
		{"absolute url", `"method":"GET","url":"https://graph.microsoft.com/v1.0/users"`, 400, "BadRequest", "relative"},
		{"scheme-relative url", `"method":"GET","url":"//graph.microsoft.com/v1.0/users"`, 400, "BadRequest", "relative"},
		{"version in the url", `"method":"GET","url":"/v1.0/users"`, 400, "BadRequest", "version"},
		{"other version in the url", `"method":"GET","url":"BETA/users?$top=1"`, 400, "BadRequest", "version"},
		{"bad escape", `"method":"GET","url":"/users/%zz"`, 400, "BadRequest", "url"},
		{"body without Content-Type", `"method":"PATCH","url":"/users/` + bo.ID + `","body":{"displayName":"X"}`, 400, "BadRequest", "Content-Type"},
		{"body not JSON", `"method":"PATCH","url":"/users/` + bo.ID + `","headers":{"Content-Type":"text/plain"},"body":{"displayName":"X"}`, 415, "UnsupportedMediaType", ""},
		{"nested batch", `"method":"POST","url":"/$batch","headers":{"Content-Type":"application/json"},"body":{"requests":[{"id":"1","method":"GET","url":"/users"}]}`, 400, "BadRequest", "batch"},
		{"unknown path", `"method":"GET","url":"/nothing/here"`, 400, "BadRequest", "here"},
		{"verb not served", `"method":"PUT","url":"/users"`, 405, "Request_BadRequest", "PUT"},
		{"not found", `"method":"GET","url":"users/nobody@contoso.com"`, 404, "Request_ResourceNotFound", ""},
	}
	var reqs []string
	for i, tc := range tests {
		reqs = append(reqs, fmt.Sprintf(`{"id":"%d",%s}`, i, tc.request))
	}
	reqs = append(reqs, `{"id":"ok","method":"GET","url":"users/`+bo.ID+`"}`)
	a := e.batch(t, "v1.0", e.adminTok(), `{"requests":[`+strings.Join(reqs, ",")+`]}`, nil)
	for i, tc := range tests {
		id := fmt.Sprint(i)
		res := a.byID[id]
		msg := innerError(t, a.response(t, id, tc.status), tc.code)
		if !strings.Contains(msg, tc.mention) {
			t.Fatalf("%s: message %q does not mention %q", tc.name, msg, tc.mention)
		}
		if tc.status == 405 {
			eq(t, "Allow", res["headers"].(map[string]any)["Allow"], "GET, POST")
		}
	}
	eq(t, "the well-formed request", body(t, a.response(t, "ok", http.StatusOK))["id"], bo.ID)
	got, _ := e.store.GetUser(context.Background(), bo.ID)
	eq(t, "display name after refused PATCHes", got.DisplayName, bo.DisplayName)
}

// TestBatchAuthorization: each request is authorized as if sent alone with
// the batch's token; a request's own Authorization header is ignored. A
// batch without a valid token is refused whole.
func TestBatchAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bo := e.user("bo@contoso.com")
	reader := e.appToken("User.Read.All")
	a := e.batch(t, "v1.0", reader, `{"requests":[
		{"id":"list","method":"GET","url":"/users"},
		{"id":"create","method":"POST","url":"/users","headers":{"Content-Type":"application/json","Authorization":"Bearer `+e.adminTok()+`"},"body":{"userPrincipalName":"x@contoso.com","displayName":"X"}},
		{"id":"method","method":"GET","url":"/users/`+bo.ID+`/authentication/qrCodePinMethod"},
		{"id":"get","method":"GET","url":"/users/`+bo.ID+`"}
	]}`, nil)
	a.response(t, "list", http.StatusOK)
	innerError(t, a.response(t, "create", http.StatusForbidden), "accessDenied")
	innerError(t, a.response(t, "method", http.StatusForbidden), "accessDenied")
	eq(t, "get", body(t, a.response(t, "get", http.StatusOK))["id"], bo.ID)
	if _, err := e.store.GetUserByUPN(context.Background(), "x@contoso.com"); err != store.ErrNotFound {
		t.Fatalf("the forbidden create ran: %v", err)
	}
	for _, tok := range []string{"", "not-a-token"} {
		r := e.do("POST", "/v1.0/$batch", tok, `{"requests":[{"id":"1","method":"GET","url":"/users"}]}`)
		e.checkError(t, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "")
	}
}

// TestBatchRateLimit: the batch counts once against the rate limit and
// each of its requests once more, as if sent alone; a request over the
// limit gets 429 with Retry-After, and the requests depending on it 424
// (without counting).
func TestBatchRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	api := &graph.Server{
		Admin: &admin.Service{Config: pinflow.Config{Store: e.store, PINs: e.hasher, Pepper: e.pepper, TenantID: e.tenant,
			Lockout: e.lockout, Now: e.clock.Now}},
		Tokens:    e.tokens,
		Now:       e.clock.Now,
		RateLimit: 4,
		Log:       slog.New(slog.DiscardHandler),
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	tok := e.adminTok()
	post := func(body string) resp {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+"/v1.0/$batch", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp{status: res.StatusCode, header: res.Header, body: b}
	}
	r := post(`{"requests":[
		{"id":"1","method":"GET","url":"/users"},
		{"id":"2","method":"GET","url":"/users"},
		{"id":"3","method":"GET","url":"/users"},
		{"id":"4","method":"GET","url":"/users"},
		{"id":"5","method":"GET","url":"/users","dependsOn":["4"]}
	]}`)
	expect(t, r, http.StatusOK, "")
	var m struct {
		Responses []struct {
			ID      string            `json:"id"`
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    struct {
				Error struct{ Code string } `json:"error"`
			} `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, res := range m.Responses {
		got = append(got, fmt.Sprintf("%s %d %s %s", res.ID, res.Status, res.Body.Error.Code, res.Headers["Retry-After"]))
	}
	eq(t, "responses", got, []string{"1 200  ", "2 200  ", "3 200  ", "4 429 TooManyRequests 10", "5 424 FailedDependency "})
	// The limit is spent: the next batch is refused whole.
	r = post(`{"requests":[{"id":"1","method":"GET","url":"/users"}]}`)
	expect(t, r, http.StatusTooManyRequests, "TooManyRequests")
}

// TestBatchSecrets: a batch may carry a PIN (PUT with a given PIN) and
// answers one (the PUT, a PIN reset): the answers hold them, as the same
// requests sent alone do, and neither the log nor the store does.
func TestBatchSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ana, bo := e.user("ana@contoso.com"), e.user("bo@contoso.com")
	const given = "73915864"
	a := e.batch(t, "beta", e.adminTok(), `{"requests":[
		{"id":"put","method":"PUT","url":"/users/`+ana.ID+`/authentication/qrCodePinMethod","headers":{"Content-Type":"application/json"},
		 "body":{"standardQRCode":{},"pin":{"code":"`+given+`"}}},
		{"id":"put2","method":"PUT","url":"/users/`+bo.ID+`/authentication/qrCodePinMethod","headers":{"Content-Type":"application/json"},"body":{"standardQRCode":{}}},
		{"id":"reset","method":"PATCH","url":"/users/`+bo.ID+`/authentication/qrCodePinMethod/pin","dependsOn":["put2"]}
	]}`, nil)
	put := body(t, a.response(t, "put", http.StatusCreated))
	eq(t, "the given PIN, answered once", obj(t, put, "pin")["code"], given)
	secrets := []string{given}
	for _, id := range []string{"put", "put2"} {
		m := body(t, a.response(t, id, http.StatusCreated))
		secrets = append(secrets, str(t, obj(t, obj(t, m, "standardQRCode"), "image"), "rawContent"), str(t, obj(t, m, "pin"), "code"))
	}
	reset := str(t, body(t, a.response(t, "reset", http.StatusCreated)), "code")
	secrets = append(secrets, reset)
	if reset == secrets[4] {
		t.Fatal("the reset answered the PIN it replaced")
	}
	logs, dump := e.logs.String(), dumpStore(t, e)
	if !strings.Contains(logs, "batch-id=reset") || !strings.Contains(dump, ana.ID) {
		t.Fatalf("the log or the dump is not the server's:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) || strings.Contains(dump, s) {
			t.Fatalf("secret %q found in the log or the store", s)
		}
	}
}
