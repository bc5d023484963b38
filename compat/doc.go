// Package compat proves that Microsoft's own clients work against qrpin
// unchanged. It is its own Go module so that the main module's tests stay
// light: Microsoft Graph's Go SDKs, beta
// (github.com/microsoftgraph/msgraph-beta-sdk-go, pinned to v0.160.0) and
// v1.0 (github.com/microsoftgraph/msgraph-sdk-go, pinned to v1.103.0, which
// has the QR code + PIN models), each take minutes and gigabytes to build
// cold.
//
// The tests build the qrpin binary from the main module (../cmd/qrpin),
// start it on a free port with --tls-self-signed and a temporary data
// directory, read the bootstrap administration application's credentials
// from <data>/bootstrap-admin.json, and then drive it with:
//
//   - the Go beta SDK on /beta and the Go v1.0 SDK on /v1.0, authenticated
//     by azidentity's ClientSecretCredential against qrpin's token
//     endpoint (sdk_test.go, apps_test.go; sdkv1_test.go, appsv1_test.go;
//     both SDKs in methodspolicy_test.go, methodbyid_test.go,
//     batch_test.go, employeeid_test.go, reports_test.go). Where the v1.0
//     SDK has no request builder (the QR code + PIN method's paths), the
//     request is built from its models as its builders would (v1Send);
//   - the JavaScript client @microsoft/microsoft-graph-client with
//     @azure/identity, run by Node's test runner (js_test.go, js/).
//
// COMPATIBILITY.md in the repository root summarises what passed.
package compat
