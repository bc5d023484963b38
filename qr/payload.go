// Package qr defines what a qrpin badge's QR code holds (spec D10), the
// verifier the server keeps in place of the code's secret (spec D9), and
// the PNG image Graph returns once as qrCodeImageDetails.
//
// # Payload format, version 1
//
//	QP1.<tenant id>.<QR code id>.<secret>.<userPrincipalName>
//
// The tenant id, the QR code id (16 UUID bytes each) and the 16-byte secret
// are in RFC 4648 base32, upper case, unpadded: 26 characters each. The
// text is printable ASCII, so a keyboard-wedge barcode scanner can type it,
// and everything before the UPN uses only characters of the QR
// alphanumeric mode, which packs them in 5.5 bits each instead of 8: with a
// 40-character UPN the symbol is version 6 at error correction level M (41
// x 41 modules), where base64url would need version 7.
package qr

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"

	"github.com/google/uuid"

	"github.com/qrpin/qrpin/apperr"
)

// Prefix starts every version 1 payload.
const Prefix = "QP1."

// SecretLen is the length of a QR code secret in bytes (128 bits).
const SecretLen = 16

// MaxLen is the longest payload, in bytes, that Parse accepts.
const MaxLen = 256

// ErrorCode is the Graph error code of every error Parse and Validate return.
const ErrorCode = "invalidQRCode"

// fieldLen is the length of a base32 field holding 16 bytes.
const fieldLen = 26

// headerLen is the length of a payload before the UPN.
const headerLen = len(Prefix) + 3*(fieldLen+1)

// MaxUPNLen is the longest UPN a payload can carry.
const MaxUPNLen = MaxLen - headerLen

// b32 is the payload's base32: RFC 4648 alphabet (A-Z, 2-7), no padding.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Payload is what a QR code holds.
type Payload struct {
	TenantID string // a GUID
	CodeID   string // a GUID: the QR code's id
	UPN      string // the user's userPrincipalName
	Secret   []byte // SecretLen random bytes; the server keeps only Verifier(secret)
}

// NewSecret returns SecretLen bytes from crypto/rand.
func NewSecret() ([]byte, error) {
	b := make([]byte, SecretLen)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Encode returns p in the version 1 text format (see the package
// documentation). When p.Validate() fails, Encode returns just Prefix,
// which Parse rejects and Render refuses to draw: an invalid payload never
// becomes a printed badge. Call Validate first to learn what is wrong.
func (p Payload) Encode() string {
	if p.Validate() != nil {
		return Prefix
	}
	var sb strings.Builder
	sb.Grow(headerLen + len(p.UPN))
	sb.WriteString(Prefix)
	tid, cid := uuid.MustParse(p.TenantID), uuid.MustParse(p.CodeID) // checked by Validate
	sb.WriteString(b32.EncodeToString(tid[:]))
	sb.WriteByte('.')
	sb.WriteString(b32.EncodeToString(cid[:]))
	sb.WriteByte('.')
	sb.WriteString(b32.EncodeToString(p.Secret))
	sb.WriteByte('.')
	sb.WriteString(p.UPN)
	return sb.String()
}

// Validate reports whether p can be encoded into a payload that Parse
// accepts: both ids are GUIDs other than the nil UUID, the secret is
// SecretLen bytes, and the UPN is printable ASCII without spaces, contains
// '@' and is at most MaxUPNLen bytes long. Errors are *apperr.Error
// values of Kind apperr.Invalid and Code ErrorCode.
func (p Payload) Validate() error {
	if id, err := uuid.Parse(p.TenantID); err != nil || id == uuid.Nil {
		return invalid("The tenant id of a QR code must be a GUID.")
	}
	if id, err := uuid.Parse(p.CodeID); err != nil || id == uuid.Nil {
		return invalid("The id of a QR code must be a GUID.")
	}
	if len(p.Secret) != SecretLen {
		return invalid("The secret of a QR code must be %d bytes long.", SecretLen)
	}
	return checkUPN(p.UPN)
}

// checkUPN applies Validate's rules to a UPN.
func checkUPN(upn string) error {
	if len(upn) > MaxUPNLen {
		return invalid("The user principal name is too long to fit in a QR code (at most %d characters).", MaxUPNLen)
	}
	if !strings.Contains(upn, "@") {
		return invalid("The user principal name in a QR code must contain '@'.")
	}
	for i := 0; i < len(upn); i++ {
		if upn[i] <= ' ' || upn[i] > '~' {
			return invalid("The user principal name in a QR code must be printable ASCII without spaces.")
		}
	}
	return nil
}

// invalid returns an Invalid error with Code ErrorCode.
func invalid(format string, args ...any) error {
	return apperr.New(apperr.Invalid, ErrorCode, format, args...)
}

// Whitespace is the ASCII white space Parse trims from both ends of its
// input (scanners add CR, LF or tab).
const Whitespace = " \t\r\n\v\f"

// Parse reads a payload as a camera or a keyboard-wedge scanner delivers
// it. It trims surrounding ASCII white space and is otherwise
// strict: the exact prefix "QP1.", three base32 fields of exactly 26
// canonical characters, GUIDs other than the nil UUID, a UPN as Validate
// wants it, at most MaxLen bytes in all. For every accepted s,
// Parse(s).Encode() is strings.Trim(s, Whitespace).
//
// Errors are *apperr.Error values of Kind apperr.Invalid and Code
// ErrorCode. Their messages name the part that is wrong and never contain
// any of s.
func Parse(s string) (Payload, error) {
	s = strings.Trim(s, Whitespace)
	if len(s) > MaxLen {
		return Payload{}, invalid("The QR code content is too long (at most %d characters).", MaxLen)
	}
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		if versioned(s) {
			return Payload{}, invalid("The QR code is of an unsupported format version.")
		}
		return Payload{}, invalid("The QR code is not a qrpin sign-in code.")
	}
	f := strings.SplitN(rest, ".", 4)
	if len(f) != 4 {
		return Payload{}, invalid("The QR code content has too few fields.")
	}
	tenant, ok := decodeField(f[0])
	if !ok {
		return Payload{}, invalid("The tenant id in the QR code is malformed.")
	}
	code, ok := decodeField(f[1])
	if !ok {
		return Payload{}, invalid("The QR code id is malformed.")
	}
	secret, ok := decodeField(f[2])
	if !ok {
		return Payload{}, invalid("The secret in the QR code is malformed.")
	}
	tid, _ := uuid.FromBytes(tenant) // 16 bytes: cannot fail
	cid, _ := uuid.FromBytes(code)
	if tid == uuid.Nil {
		return Payload{}, invalid("The tenant id in the QR code is malformed.")
	}
	if cid == uuid.Nil {
		return Payload{}, invalid("The QR code id is malformed.")
	}
	if err := checkUPN(f[3]); err != nil {
		return Payload{}, err
	}
	return Payload{TenantID: tid.String(), CodeID: cid.String(), UPN: f[3], Secret: secret}, nil
}

// versioned reports whether s starts like a payload of another version:
// "QP", one or more digits, ".".
func versioned(s string) bool {
	rest, ok := strings.CutPrefix(s, "QP")
	if !ok {
		return false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	return i > 0 && i < len(rest) && rest[i] == '.'
}

// decodeField decodes a base32 field of exactly 16 bytes in canonical form
// (no lower case, no line breaks, zero trailing bits).
func decodeField(s string) ([]byte, bool) {
	if len(s) != fieldLen {
		return nil, false
	}
	b, err := b32.DecodeString(s)
	if err != nil || len(b) != 16 || b32.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// Verifier returns HMAC-SHA256(key, "qrpin-qr-v1:"+secret), what the
// database keeps in place of a QR code's secret. key is the server's
// pepper.
func Verifier(key, secret []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("qrpin-qr-v1:"))
	m.Write(secret)
	return m.Sum(nil)
}

// Verify reports, in constant time, whether secret matches verifier under
// key.
func Verify(key, secret, verifier []byte) bool {
	return hmac.Equal(Verifier(key, secret), verifier)
}
