package qr

import (
	"bytes"
	"strings"
	"testing"

	"github.com/qrpin/qrpin/apperr"
)

const (
	tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	codeID   = "0b4c2a1e-5f6d-4e3b-9a8c-7d6e5f4a3b2c"
)

var secret = []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}

// secretB32 is secret as it appears in a payload.
const secretB32 = "AAISEM2EKVTHPCEZVK54ZXPO74"

// upn40 is a typical 40-character userPrincipalName.
const upn40 = "firstname.lastname42@frontline.contoso.c"

func sample() Payload {
	return Payload{TenantID: tenantID, CodeID: codeID, UPN: "anna.kowalski@contoso.com", Secret: bytes.Clone(secret)}
}

func TestEncodeGolden(t *testing.T) {
	const want = "QP1.OL4YRP4G6FA27ENLFV6NAEO3I4.BNGCUHS7NVHDXGUMPVXF6SR3FQ." + secretB32 + ".anna.kowalski@contoso.com"
	if got := sample().Encode(); got != want {
		t.Fatalf("Encode =\n%s\nwant\n%s", got, want)
	}
}

func TestEncodeParseRoundTrip(t *testing.T) {
	upns := []string{
		"a@b", "anna.kowalski@contoso.com", upn40, "John.O'Neil+badge_7@Contoso.onmicrosoft.com",
		"x@" + strings.Repeat("y", MaxUPNLen-2),
	}
	wraps := []struct{ before, after string }{
		{"", ""}, {"", "\r\n"}, {"", "\n"}, {"", "\r"}, {"\t", "\t"}, {"  ", " \r\n"},
	}
	for _, upn := range upns {
		p := sample()
		p.UPN = upn
		if err := p.Validate(); err != nil {
			t.Fatalf("Validate(%q) = %v", upn, err)
		}
		enc := p.Encode()
		if len(enc) != headerLen+len(upn) || len(enc) > MaxLen {
			t.Errorf("Encode has %d bytes, want %d (at most %d)", len(enc), headerLen+len(upn), MaxLen)
		}
		for i := 0; i < len(enc); i++ {
			if enc[i] <= ' ' || enc[i] > '~' {
				t.Fatalf("Encode has a byte %#x that is not printable ASCII", enc[i])
			}
		}
		for _, w := range wraps {
			got, err := Parse(w.before + enc + w.after)
			if err != nil {
				t.Fatalf("Parse(%q) = %v", w.before+enc+w.after, err)
			}
			if got.TenantID != tenantID || got.CodeID != codeID || got.UPN != upn || !bytes.Equal(got.Secret, secret) {
				t.Fatalf("Parse = %+v, want %+v", got, p)
			}
			if got.Encode() != enc {
				t.Fatalf("re-encoded %q, want %q", got.Encode(), enc)
			}
		}
	}
}

// TestEncodeNormalizesIDs checks that GUIDs in other accepted spellings
// encode to the same payload, and that Parse returns the canonical form.
func TestEncodeNormalizesIDs(t *testing.T) {
	p := sample()
	want := p.Encode()
	for _, id := range []string{strings.ToUpper(tenantID), "{" + tenantID + "}", "urn:uuid:" + tenantID} {
		p.TenantID = id
		if got := p.Encode(); got != want {
			t.Errorf("Encode with TenantID %q = %q, want %q", id, got, want)
		}
	}
	got, err := Parse(want)
	if err != nil || got.TenantID != tenantID {
		t.Fatalf("Parse = %+v, %v", got, err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Payload)
		ok     bool
	}{
		{"good", func(*Payload) {}, true},
		{"longest UPN", func(p *Payload) { p.UPN = "a@" + strings.Repeat("b", MaxUPNLen-2) }, true},
		{"empty tenant", func(p *Payload) { p.TenantID = "" }, false},
		{"tenant not a GUID", func(p *Payload) { p.TenantID = "contoso.com" }, false},
		{"nil tenant", func(p *Payload) { p.TenantID = "00000000-0000-0000-0000-000000000000" }, false},
		{"empty code id", func(p *Payload) { p.CodeID = "" }, false},
		{"nil code id", func(p *Payload) { p.CodeID = "00000000-0000-0000-0000-000000000000" }, false},
		{"no secret", func(p *Payload) { p.Secret = nil }, false},
		{"short secret", func(p *Payload) { p.Secret = p.Secret[:15] }, false},
		{"long secret", func(p *Payload) { p.Secret = append(p.Secret, 0) }, false},
		{"empty UPN", func(p *Payload) { p.UPN = "" }, false},
		{"UPN without @", func(p *Payload) { p.UPN = "anna" }, false},
		{"UPN too long", func(p *Payload) { p.UPN = "a@" + strings.Repeat("b", MaxUPNLen-1) }, false},
		{"UPN with space", func(p *Payload) { p.UPN = "anna k@contoso.com" }, false},
		{"UPN with trailing newline", func(p *Payload) { p.UPN = "anna@contoso.com\n" }, false},
		{"UPN with trailing NBSP", func(p *Payload) { p.UPN = "anna@contoso.com\u00a0" }, false},
		{"UPN with DEL", func(p *Payload) { p.UPN = "anna@contoso.com\x7f" }, false},
		{"non-ASCII UPN", func(p *Payload) { p.UPN = "zoë@contoso.com" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sample()
			tt.modify(&p)
			err := p.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
			_, perr := Parse(p.Encode())
			if (perr == nil) != tt.ok {
				t.Fatalf("Parse(Encode()) = %v, want ok=%v", perr, tt.ok)
			}
			if !tt.ok {
				checkInvalid(t, err)
				if p.Encode() != Prefix {
					t.Fatalf("Encode of an invalid payload = %q, want %q", p.Encode(), Prefix)
				}
			}
		})
	}
}

// checkInvalid checks that err is an Invalid invalidQRCode error whose
// message holds none of the sample's secret.
func checkInvalid(t *testing.T, err error) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("error %v is not an *apperr.Error", err)
	}
	if e.Kind != apperr.Invalid || e.Code != ErrorCode {
		t.Fatalf("Kind, Code = %v, %q; want %v, %q", e.Kind, e.Code, apperr.Invalid, ErrorCode)
	}
	if strings.Contains(e.Message, secretB32[:8]) || strings.Contains(strings.ToUpper(e.Message), secretB32[:8]) {
		t.Fatalf("message %q contains the secret", e.Message)
	}
}

func TestParseRejects(t *testing.T) {
	good := sample().Encode()
	f := strings.Split(strings.TrimPrefix(good, Prefix), ".")
	tid, cid, sec := f[0], f[1], f[2]
	upn := "anna.kowalski@contoso.com"
	build := func(parts ...string) string { return strings.Join(parts, ".") }
	tests := []struct {
		name, in, msg string
	}{
		{"empty", "", "not a qrpin"},
		{"whitespace", " \r\n", "not a qrpin"},
		{"URL", "https://example.com/", "not a qrpin"},
		{"lower-case prefix", "qp1." + strings.TrimPrefix(good, Prefix), "not a qrpin"},
		{"prefix without version", build("QP", tid, cid, sec, upn), "not a qrpin"},
		{"prefix with leading junk", "x" + good, "not a qrpin"},
		{"version 2", build("QP2", tid, cid, sec, upn), "unsupported"},
		{"version 10", build("QP10", tid, cid, sec, upn), "unsupported"},
		{"version 0", build("QP0", tid, cid, sec, upn), "unsupported"},
		{"prefix only", Prefix, "too few fields"},
		{"no UPN field", build("QP1", tid, cid, sec), "too few fields"},
		{"empty UPN", build("QP1", tid, cid, sec, ""), "'@'"},
		{"UPN without @", build("QP1", tid, cid, sec, "anna"), "'@'"},
		{"UPN with space", build("QP1", tid, cid, sec, "anna k@contoso.com"), "printable ASCII"},
		{"UPN with tab inside", build("QP1", tid, cid, sec, "anna\tk@contoso.com"), "printable ASCII"},
		{"non-ASCII UPN", build("QP1", tid, cid, sec, "zoë@contoso.com"), "printable ASCII"},
		{"UPN with NBSP at the end", build("QP1", tid, cid, sec, upn+"\u00a0"), "printable ASCII"},
		{"UPN with NUL", build("QP1", tid, cid, sec, "anna\x00@contoso.com"), "printable ASCII"},
		{"invalid UTF-8", build("QP1", tid, cid, sec, "anna\xff@contoso.com"), "printable ASCII"},
		{"oversized", build("QP1", tid, cid, sec, "a@"+strings.Repeat("b", MaxUPNLen-1)), "too long"},
		{"huge", build("QP1", tid, cid, sec, "a@"+strings.Repeat("b", 1<<20)), "too long"},
		{"short tenant", build("QP1", tid[:25], cid, sec, upn), "tenant id"},
		{"long tenant", build("QP1", tid+"A", cid, sec, upn), "tenant id"},
		{"empty tenant", build("QP1", "", cid, sec, upn), "tenant id"},
		{"lower-case tenant", build("QP1", strings.ToLower(tid), cid, sec, upn), "tenant id"},
		{"base64 in tenant", build("QP1", "cvmIv4bxQa-RqS187QHbRw____", cid, sec, upn), "tenant id"},
		{"digit 1 in tenant", build("QP1", "1"+tid[1:], cid, sec, upn), "tenant id"},
		{"padding in tenant", build("QP1", tid[:24]+"==", cid, sec, upn), "tenant id"},
		{"non-canonical tenant", build("QP1", tid[:25]+"5", cid, sec, upn), "tenant id"},
		{"nil tenant", build("QP1", strings.Repeat("A", 26), cid, sec, upn), "tenant id"},
		{"newline in tenant", build("QP1", tid[:13]+"\n"+tid[14:], cid, sec, upn), "tenant id"},
		{"short code id", build("QP1", tid, cid[:25], sec, upn), "QR code id"},
		{"bad code id", build("QP1", tid, "!"+cid[1:], sec, upn), "QR code id"},
		{"nil code id", build("QP1", tid, strings.Repeat("A", 26), sec, upn), "QR code id"},
		{"short secret", build("QP1", tid, cid, sec[:25], upn), "secret"},
		{"long secret", build("QP1", tid, cid, sec+"AAAA", upn), "secret"},
		{"lower-case secret", build("QP1", tid, cid, strings.ToLower(sec), upn), "secret"},
		{"non-canonical secret", build("QP1", tid, cid, sec[:25]+"5", upn), "secret"},
		{"padded secret", build("QP1", tid, cid, sec+"======", upn), "secret"},
		{"fields swapped", build("QP1", tid, cid, upn, sec), "secret"},
		{"extra dot", build("QP1", tid, cid, "", sec, upn), "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", p)
			}
			checkInvalid(t, err)
			e, _ := apperr.As(err)
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message %q, want it to mention %q", e.Message, tt.msg)
			}
			if strings.Contains(e.Message, sec) || strings.Contains(e.Message, tid) {
				t.Errorf("message %q contains a field of the input", e.Message)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != SecretLen || len(b) != SecretLen {
		t.Fatalf("NewSecret returned %d and %d bytes, want %d", len(a), len(b), SecretLen)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two secrets are equal")
	}
}

func TestVerifier(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	other := bytes.Repeat([]byte{8}, 32)
	v := Verifier(key, secret)
	if len(v) != 32 {
		t.Fatalf("Verifier has %d bytes, want 32", len(v))
	}
	if !bytes.Equal(v, Verifier(key, secret)) {
		t.Fatal("Verifier is not deterministic")
	}
	if bytes.Contains(v, secret[:8]) {
		t.Fatal("verifier contains the secret")
	}
	wrong := bytes.Clone(secret)
	wrong[15] ^= 1
	tests := []struct {
		name                 string
		key, secret, against []byte
		want                 bool
	}{
		{"right", key, secret, v, true},
		{"wrong secret", key, wrong, v, false},
		{"wrong key", other, secret, v, false},
		{"empty secret", key, nil, v, false},
		{"empty verifier", key, secret, nil, false},
		{"truncated verifier", key, secret, v[:31], false},
		{"raw secret as verifier", key, secret, secret, false},
	}
	for _, tt := range tests {
		if got := Verify(tt.key, tt.secret, tt.against); got != tt.want {
			t.Errorf("%s: Verify = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	good := sample().Encode()
	for _, s := range []string{good, good + "\r\n", "  " + good, Prefix, "", "QP2.", "QP1....@",
		"QP1.AAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAA.a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || e.Code != ErrorCode {
				t.Fatalf("Parse error %#v", err)
			}
			if trimmed := strings.Trim(s, Whitespace); len(trimmed) >= 8 && strings.Contains(e.Message, trimmed) {
				t.Fatalf("message %q contains the input", e.Message)
			}
			return
		}
		if got, want := p.Encode(), strings.Trim(s, Whitespace); got != want {
			t.Fatalf("Parse(%q).Encode() = %q", s, got)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse accepted a payload that Validate rejects: %v", err)
		}
		if len(p.Secret) != SecretLen {
			t.Fatalf("secret of %d bytes", len(p.Secret))
		}
	})
}

// FuzzPayload checks that Validate and Parse agree: a payload encodes into
// something Parse accepts exactly when Validate accepts it, and then Parse
// gives it back.
func FuzzPayload(f *testing.F) {
	f.Add(tenantID, codeID, "anna@contoso.com", secret)
	f.Add(tenantID, codeID, "anna@contoso.com\n", secret)
	f.Add("", codeID, "a@b", secret[:3])
	f.Fuzz(func(t *testing.T, tenant, code, upn string, sec []byte) {
		p := Payload{TenantID: tenant, CodeID: code, UPN: upn, Secret: sec}
		verr := p.Validate()
		got, perr := Parse(p.Encode())
		if (verr == nil) != (perr == nil) {
			t.Fatalf("Validate = %v but Parse(Encode()) = %v", verr, perr)
		}
		if verr != nil {
			return
		}
		if got.UPN != upn || !bytes.Equal(got.Secret, sec) || got.Encode() != p.Encode() {
			t.Fatalf("round trip changed the payload: %+v -> %+v", p, got)
		}
	})
}
