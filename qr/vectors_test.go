package qr

import (
	"encoding/hex"
	"testing"
)

// The known-answer vectors of QR code verifiers: what the database keeps
// for a QR code secret, made once with the code as it was, under the
// pepper of bytes 0 to 31.
//
// A change that alters any of them (the "qrpin-qr-v1:" domain separation,
// the HMAC, the payload's base32) makes every badge printed so far fail to
// sign in against every existing database: it needs a new payload or
// verifier version read beside the old one, or a migration, never an edit
// of these strings.
var qrVectors = []struct {
	name     string
	secret   string // hex
	verifier string // hex, as stored
}{
	{"bytes 00 to ff", "00112233445566778899aabbccddeeff", "ccc82980184ffa31733ea4d0d78b11f6655712917fdce0628da976e91e6e390e"},
	{"ASCII", hex.EncodeToString([]byte("0123456789abcdef")), "f75c47330dae641ef189d380b79259c56fab993cab4ac9597d83eed9b066c7e9"},
}

// knownPepper is the pepper of the vectors.
func knownPepper() []byte {
	p := make([]byte, 32)
	for i := range p {
		p[i] = byte(i)
	}
	return p
}

// TestVerifierKnownAnswers: a secret and the pepper give the verifier they
// always gave, and Verify accepts it.
func TestVerifierKnownAnswers(t *testing.T) {
	t.Parallel()
	for _, v := range qrVectors {
		secret, _ := hex.DecodeString(v.secret)
		want, _ := hex.DecodeString(v.verifier)
		if got := Verifier(knownPepper(), secret); hex.EncodeToString(got) != v.verifier {
			t.Errorf("%s: verifier %x, want %s (existing databases hold the latter: a change here needs a migration)", v.name, got, v.verifier)
		}
		if !Verify(knownPepper(), secret, want) {
			t.Errorf("%s: Verify refuses the stored verifier %s (a change here needs a migration)", v.name, v.verifier)
		}
	}
}

// TestBadgeKnownAnswer: a printed badge's payload, read as a scanner
// delivers it, verifies against the verifier stored when it was made.
func TestBadgeKnownAnswer(t *testing.T) {
	t.Parallel()
	const badge = "QP1.OL4YRP4G6FA27ENLFV6NAEO3I4.BNGCUHS7NVHDXGUMPVXF6SR3FQ.AAISEM2EKVTHPCEZVK54ZXPO74.anna.kowalski@contoso.com\r\n"
	stored, _ := hex.DecodeString(qrVectors[0].verifier)
	p, err := Parse(badge)
	if err != nil {
		t.Fatalf("Parse(%q): %v (badges printed so far carry this payload: a change here needs a new payload version)", badge, err)
	}
	if p.TenantID != "72f988bf-86f1-41af-91ab-2d7cd011db47" || p.CodeID != "0b4c2a1e-5f6d-4e3b-9a8c-7d6e5f4a3b2c" || p.UPN != "anna.kowalski@contoso.com" {
		t.Errorf("Parse(%q) = %+v", badge, p)
	}
	if !Verify(knownPepper(), p.Secret, stored) {
		t.Errorf("the badge's secret %x does not verify against its stored verifier %x (a change here needs a migration)", p.Secret, stored)
	}
}
