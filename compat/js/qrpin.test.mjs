// The Microsoft Graph JavaScript client (@microsoft/microsoft-graph-client)
// with @azure/identity's ClientSecretCredential, against a running qrpin.
//
// The Go test compat/js_test.go starts qrpin (--tls-self-signed) and runs
// `npm ci && node --test` here with:
//   QRPIN_URL            https://127.0.0.1:<port>
//   QRPIN_TENANT_ID, QRPIN_CLIENT_ID, QRPIN_CLIENT_SECRET  (bootstrap-admin.json)
//   NODE_EXTRA_CA_CERTS  <data>/tls/localhost-cert.pem
// Without them the tests skip and say so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { BatchRequestContent, BatchResponseContent, Client, GraphError, ResponseType } = require(
  "@microsoft/microsoft-graph-client",
);
const { TokenCredentialAuthenticationProvider } = require(
  "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js",
);
const { ClientSecretCredential } = require("@azure/identity");

const env = {
  url: process.env.QRPIN_URL,
  tenant: process.env.QRPIN_TENANT_ID,
  clientId: process.env.QRPIN_CLIENT_ID,
  secret: process.env.QRPIN_CLIENT_SECRET,
};
const skip = !env.url || !env.tenant || !env.clientId || !env.secret
  ? "QRPIN_URL, QRPIN_TENANT_ID, QRPIN_CLIENT_ID and QRPIN_CLIENT_SECRET are not set (compat/js_test.go sets them)"
  : false;

function client(version) {
  const credential = new ClientSecretCredential(env.tenant, env.clientId, env.secret, {
    authorityHost: env.url + "/",
    disableInstanceDiscovery: true,
  });
  const authProvider = new TokenCredentialAuthenticationProvider(credential, {
    scopes: ["https://graph.microsoft.com/.default"],
  });
  return Client.initWithMiddleware({
    authProvider,
    baseUrl: env.url + "/",
    defaultVersion: version,
    customHosts: new Set([new URL(env.url).hostname]),
  });
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const run = Date.now().toString(36);

for (const version of ["v1.0", "beta"]) {
  const tag = version.replace(".", "");

  test(`${version}: admin PIN reset (PATCH .../pin) answers 201 with a new code`, { skip }, async () => {
    const graph = client(version);
    const upn = `ana-${run}@js-${tag}.contoso.com`;
    const user = await graph.api("/users").post({ userPrincipalName: upn, displayName: "Ana Ruiz" });
    assert.equal(user.userPrincipalName, upn);
    const method = await graph.api(`/users/${upn}/authentication/qrCodePinMethod`)
      .put({ standardQRCode: {}, pin: { code: "48150392" } });
    assert.equal(method.pin.code, "48150392");
    assert.equal(method.pin.forceChangePinNextSignIn, true);
    assert.match(method.standardQRCode.image.binaryValue, /^iVBORw0KGgo/); // a PNG

    // The documentation's request, sent as the client sends it.
    const res = await graph.api(`/users/${upn}/authentication/qrCodePinMethod/pin`)
      .responseType(ResponseType.RAW)
      .patch({ "@odata.type": "#microsoft.graph.qrPin", code: "09599786" });
    assert.equal(res.status, 201);
    const pin = await res.json();
    assert.equal(pin["@odata.type"], "#microsoft.graph.qrPin");
    assert.equal(typeof pin.code, "string");
    assert.match(pin.code, /^\d{8}$/);
    assert.notEqual(pin.code, "09599786", "the code in the body is ignored (spec D2)");
    assert.equal(pin.forceChangePinNextSignIn, true);
    assert.match(pin.createdDateTime, rfc3339);
    assert.match(pin.updatedDateTime, rfc3339);
    assert.ok(Date.parse(pin.updatedDateTime) >= Date.parse(pin.createdDateTime));

    // A read shows no code.
    const read = await graph.api(`/users/${upn}/authentication/qrCodePinMethod`).get();
    assert.equal(read.pin.code, null);
    assert.equal(read.standardQRCode.image, null);
  });

  test(`${version}: documented errors surface as GraphError`, { skip }, async () => {
    const graph = client(version);
    const upn = `ben-${run}@js-${tag}.contoso.com`;
    await graph.api("/users").post({ userPrincipalName: upn, displayName: "Ben Okafor" });
    const path = `/users/${upn}/authentication/qrCodePinMethod`;
    await graph.api(path).put({ standardQRCode: {}, pin: { code: "48150392" } });

    // A second method: 400 tooManyQRCodePinMethod (spec 6.2).
    await assert.rejects(
      graph.api(path).put({ standardQRCode: {}, pin: { code: "48150392" } }),
      (err) => {
        assert.ok(err instanceof GraphError, `a ${err?.constructor?.name}: ${err}`);
        assert.equal(err.statusCode, 400);
        assert.equal(err.code, "tooManyQRCodePinMethod");
        assert.ok(err.message.length > 0);
        assert.match(err.requestId, /^[0-9a-f-]{36}$/);
        assert.equal(err.headers.get("request-id"), err.requestId);
        assert.ok(err.date instanceof Date && !isNaN(err.date));
        return true;
      },
    );

    // A temporary QR code over 12 hours: 400 qrCodeLifeTimeExceedLimit.
    const start = new Date();
    const expire = new Date(start.getTime() + 13 * 3600 * 1000);
    await assert.rejects(
      graph.api(`${path}/temporaryQRCode`).patch({
        startDateTime: start.toISOString(),
        expireDateTime: expire.toISOString(),
      }),
      (err) => {
        assert.ok(err instanceof GraphError);
        assert.equal(err.statusCode, 400);
        assert.equal(err.code, "qrCodeLifeTimeExceedLimit");
        return true;
      },
    );

    // A user who does not exist: 404 Request_ResourceNotFound.
    await assert.rejects(
      graph.api(`/users/nobody-${run}@js.contoso.com/authentication/qrCodePinMethod`).get(),
      (err) => err instanceof GraphError && err.statusCode === 404 && err.code === "Request_ResourceNotFound",
    );
  });

  test(`${version}: the authentication methods policy, its configurations, one by id`, { skip }, async () => {
    const graph = client(version);
    const qrID = version === "beta" ? "QRCodePin" : "qrCodePin"; // beta's documentation: "always QRCodePin"
    const ids = ["Fido2", "MicrosoftAuthenticator", "Sms", "TemporaryAccessPass", "SoftwareOath", "Voice", "Email",
      "X509Certificate", qrID];
    const policy = await graph.api("/policies/authenticationMethodsPolicy").get();
    assert.equal(policy.id, "authenticationMethodsPolicy");
    assert.equal(policy["@odata.type"], "#microsoft.graph.authenticationMethodsPolicy");
    assert.deepEqual(policy.authenticationMethodConfigurations.map((c) => c.id), ids);
    const qr = policy.authenticationMethodConfigurations.at(-1);
    assert.equal(qr["@odata.type"], "#microsoft.graph.qrCodePinAuthenticationMethodConfiguration");
    assert.equal(typeof qr.pinLength, "number");
    for (const c of policy.authenticationMethodConfigurations.slice(0, -1)) {
      assert.equal(c.state, "disabled", c.id);
    }
    const base = "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations";
    const list = await graph.api(base).get();
    assert.deepEqual(list.value.map((c) => c.id), ids);
    const fido = await graph.api(`${base}/Fido2`).get();
    assert.equal(fido["@odata.type"], "#microsoft.graph.fido2AuthenticationMethodConfiguration");
    assert.equal(fido.state, "disabled");
    await assert.rejects(graph.api(`${base}/NoSuchMethod`).get(),
      (err) => err instanceof GraphError && err.statusCode === 404 && err.code === "itemNotFound");
  });

  test(`${version}: GET and DELETE authentication/methods/{id}; the created method's Location`, { skip }, async () => {
    const graph = client(version);
    const user = await graph.api("/users").post({ userPrincipalName: `cam-${run}@js-${tag}.contoso.com`, displayName: "Cam Li" });
    const res = await graph.api(`/users/${user.id}/authentication/qrCodePinMethod`)
      .responseType(ResponseType.RAW)
      .put({ standardQRCode: {} });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), `${env.url}/${version}/users/${user.id}/authentication/qrCodePinMethod`);
    const created = await res.json();

    const methods = `/users/${user.id}/authentication/methods`;
    const list = await graph.api(methods).get();
    const listed = list.value.filter((m) => m["@odata.type"] === "#microsoft.graph.qrCodePinAuthenticationMethod");
    assert.deepEqual(listed.map((m) => m.id), [created.id]);
    const byID = await graph.api(`${methods}/${created.id}`).get();
    assert.equal(byID.id, created.id);
    assert.equal(byID["@odata.type"], "#microsoft.graph.qrCodePinAuthenticationMethod");
    assert.equal(byID.pin.code, null);
    assert.equal(byID.standardQRCode.image, null);
    if (version === "v1.0") {
      assert.equal(byID.pin.id, created.id, "v1.0's qrPin carries the method's id");
      assert.equal("lastUsedDateTime" in byID, false, "v1.0's method has no lastUsedDateTime");
    } else {
      assert.equal(byID.lastUsedDateTime, "0001-01-01T00:00:00Z", "never used (spec D8)");
      assert.equal("id" in byID.pin, false, "beta's qrPin has no id");
    }
    await assert.rejects(graph.api(`${methods}/28c10230-6103-485e-b985-444c60001490`).get(),
      (err) => err instanceof GraphError && err.statusCode === 404 && err.code === "itemNotFound");

    await graph.api(`${methods}/${created.id}`).delete();
    await assert.rejects(graph.api(`/users/${user.id}/authentication/qrCodePinMethod`).get(),
      (err) => err instanceof GraphError && err.statusCode === 404 && err.code === "itemNotFound");
    await assert.rejects(graph.api(`${methods}/${created.id}`).delete(),
      (err) => err instanceof GraphError && err.statusCode === 404 && err.code === "itemNotFound");
  });

  test(`${version}: JSON batching with BatchRequestContent; users' employeeId`, { skip }, async () => {
    const graph = client(version);
    const upn = `jo-${run}@js-batch-${tag}.contoso.com`;
    const employeeId = `J${run}`.slice(0, 16);
    // Node's Request wants absolute URLs; client 3.0.7's BatchRequestContent
    // strips only the scheme and host, so the URLs name no version (Graph
    // refuses "/v1.0/..." inside a batch, and so does qrpin).
    const steps = [
      {
        id: "1",
        request: new Request(`${env.url}/users`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ userPrincipalName: upn, displayName: "Jo Batch", employeeId }),
        }),
      },
      { id: "2", request: new Request(`${env.url}/users/${upn}`, { method: "GET" }), dependsOn: ["1"] },
      // The client accepts only parallel, serial or same dependencies: serial here.
      { id: "3", request: new Request(`${env.url}/users/nobody-${run}@js.contoso.com`, { method: "GET" }), dependsOn: ["2"] },
    ];
    const content = await new BatchRequestContent(steps).getContent();
    assert.deepEqual(content.requests.map((r) => r.url), ["/users", `/users/${upn}`, `/users/nobody-${run}@js.contoso.com`]);
    const answers = new BatchResponseContent(await graph.api("/$batch").post(content));
    const made = answers.getResponseById("1");
    assert.equal(made.status, 201);
    const user = await made.json();
    assert.equal(user.userPrincipalName, upn);
    assert.equal(user.employeeId, employeeId);
    const read = answers.getResponseById("2");
    assert.equal(read.status, 200);
    assert.equal((await read.json()).id, user.id);
    const missing = answers.getResponseById("3");
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, "Request_ResourceNotFound");

    const found = await graph.api("/users").filter(`employeeId eq '${employeeId}'`).get();
    assert.deepEqual(found.value.map((u) => u.id), [user.id]);
    await graph.api(`/users/${user.id}`).patch({ employeeId: null });
    assert.equal((await graph.api(`/users/${user.id}`).get()).employeeId, null);
    const none = await graph.api("/users").filter(`employeeId eq '${employeeId}'`).get();
    assert.deepEqual(none.value, []);
  });

  test(`${version}: authentication methods reports; $count and $select on users`, { skip }, async () => {
    const graph = client(version);
    const mk = (n) => graph.api("/users").post({ userPrincipalName: `${n}-${run}@js-reports-${tag}.contoso.com`, displayName: n });
    const withQR = await mk("nia");
    const without = await mk("oto");
    await graph.api(`/users/${withQR.id}/authentication/qrCodePinMethod`).put({ standardQRCode: {} });

    const counted = await graph.api("/users").header("ConsistencyLevel", "eventual").count(true).top(500).get();
    assert.equal(counted["@odata.count"], counted.value.length);
    const selected = await graph.api(`/users/${withQR.id}`).select("id,displayName").get();
    assert.equal(selected.id, withQR.id);
    assert.equal(selected.displayName, "nia");
    assert.equal("userPrincipalName" in selected, false);

    const details = "/reports/authenticationMethods/userRegistrationDetails";
    const registered = await graph.api(details).filter("methodsRegistered/any(m: m eq 'qrCode')").get();
    const ids = registered.value.map((r) => r.id);
    assert.ok(ids.includes(withQR.id) && !ids.includes(without.id), JSON.stringify(ids));
    const one = await graph.api(`${details}/${withQR.id}`).get();
    assert.deepEqual(one.methodsRegistered, ["qrCode"]);
    assert.equal(one.userPrincipalName, withQR.userPrincipalName);
    assert.equal(one.isMfaRegistered, false);
    assert.deepEqual((await graph.api(`${details}/${without.id}`).get()).methodsRegistered, []);

    const summary = await graph.api("/reports/authenticationMethods/usersRegisteredByMethod(includedUserTypes='all',includedUserRoles='all')").get();
    assert.equal(summary.totalUserCount, counted["@odata.count"]);
    assert.deepEqual(summary.userRegistrationMethodCounts, [{ authenticationMethod: "qrCode", userCount: registered.value.length }]);
  });
}
