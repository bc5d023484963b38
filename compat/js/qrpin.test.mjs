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
const { Client, GraphError, ResponseType } = require("@microsoft/microsoft-graph-client");
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
}
