// Package compat proves that Microsoft's own clients work against qrpin
// unchanged. It is its own Go module so that the main module's tests stay
// light: the Microsoft Graph beta SDK (github.com/microsoftgraph/msgraph-beta-sdk-go,
// pinned to v0.160.0) takes minutes and gigabytes to build cold.
//
// The tests build the qrpin binary from the main module (../cmd/qrpin),
// start it on a free port with --tls-self-signed and a temporary data
// directory, read the bootstrap administration application's credentials
// from <data>/bootstrap-admin.json, and then drive it with:
//
//   - the Go beta SDK, authenticated by azidentity's ClientSecretCredential
//     against qrpin's token endpoint, on /beta and /v1.0 (sdk_test.go);
//   - the JavaScript client @microsoft/microsoft-graph-client with
//     @azure/identity, run by Node's test runner (js_test.go, js/).
//
// COMPATIBILITY.md in the repository root summarises what passed.
package compat
