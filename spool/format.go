package spool

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
)

// magic starts every spool file.
var magic = []byte("qrpin spool\n")

const (
	// version is the format this package writes and the newest it reads.
	version = 1
	// maxTenant bounds the tenant id in the header.
	maxTenant = 1024
	// maxKeyBlob bounds the encrypted file identity in the header.
	maxKeyBlob = 64 << 10
	// maxRecord bounds one record's ciphertext, so that a damaged length
	// prefix cannot make Open allocate without limit.
	maxRecord = 64 << 10
	// maxPlain bounds one entry's encoding; age adds well under 1 KiB.
	maxPlain = maxRecord - 1024
	// prefixLen is the size of a record's length prefix.
	prefixLen = 4
)

// header is the clear part of a spool's header plus the encrypted file key.
type header struct {
	mode   mode
	tenant string
	blob   []byte // age encryption, to the Key, of a fileKey as JSON
}

// fileKey is what a spool's header protects: the X25519 identity its
// records are encrypted to. The tenant and mode are repeated inside, so
// that a change to the clear copies is detected.
type fileKey struct {
	Tenant   string `json:"tenant"`
	Mode     mode   `json:"mode"`
	Identity string `json:"identity"`
}

func (h header) marshal() []byte {
	var b bytes.Buffer
	b.Write(magic)
	b.WriteByte(version)
	b.WriteByte(byte(h.mode))
	b.Write(binary.BigEndian.AppendUint16(nil, uint16(len(h.tenant))))
	b.WriteString(h.tenant)
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(h.blob))))
	b.Write(h.blob)
	return b.Bytes()
}

// readHeader parses a header from r and returns it with its length in
// bytes. path is only used in error messages.
func readHeader(r io.Reader, path string) (header, int64, error) {
	var h header
	notSpool := &spoolError{kind: ErrNotSpool, msg: fmt.Sprintf("%s is not a qrpin spool file", path)}
	damaged := func(what string) error {
		return &spoolError{kind: ErrCorrupt, msg: fmt.Sprintf("spool %s is damaged: %s", path, what)}
	}
	fixed := make([]byte, len(magic)+2)
	if _, err := io.ReadFull(r, fixed); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return h, 0, notSpool
		}
		return h, 0, fmt.Errorf("spool %s: %w", path, err)
	}
	if !bytes.Equal(fixed[:len(magic)], magic) {
		return h, 0, notSpool
	}
	v := fixed[len(magic)]
	switch {
	case v == 0:
		return h, 0, damaged("format version 0")
	case v > version:
		return h, 0, &spoolError{kind: ErrVersion, msg: fmt.Sprintf(
			"spool %s has format version %d; this qrpin reads up to version %d: use a newer qrpin", path, v, version)}
	}
	h.mode = mode(fixed[len(magic)+1])
	if h.mode != modePassphrase && h.mode != modeRecipients {
		return h, 0, damaged(fmt.Sprintf("unknown key mode %d", byte(h.mode)))
	}
	n := int64(len(fixed))
	field := func(lenSize int, limit int, what string) ([]byte, error) {
		lb := make([]byte, lenSize)
		if _, err := io.ReadFull(r, lb); err != nil {
			return nil, damaged("header cut short")
		}
		var l int
		if lenSize == 2 {
			l = int(binary.BigEndian.Uint16(lb))
		} else {
			l = int(binary.BigEndian.Uint32(lb))
		}
		if l == 0 || l > limit {
			return nil, damaged(fmt.Sprintf("%s length %d", what, l))
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, damaged("header cut short")
		}
		n += int64(lenSize + l)
		return b, nil
	}
	t, err := field(2, maxTenant, "tenant id")
	if err != nil {
		return h, 0, err
	}
	h.tenant = string(t)
	if h.blob, err = field(4, maxKeyBlob, "key block"); err != nil {
		return h, 0, err
	}
	return h, n, nil
}

// wireEntry is an Entry as stored inside a record, with its position, so
// that records cannot be reordered, dropped from the middle or repeated
// without Open noticing.
type wireEntry struct {
	Seq         int       `json:"seq"`
	Row         int       `json:"row,omitempty"`
	UserID      string    `json:"userId"`
	UPN         string    `json:"upn,omitempty"`
	DisplayName string    `json:"displayName,omitempty"`
	EmployeeID  string    `json:"employeeId,omitempty"`
	Site        string    `json:"site,omitempty"`
	CodeID      string    `json:"codeId,omitempty"`
	Payload     []byte    `json:"payload,omitempty"` // base64 in JSON: any bytes survive
	Expires     time.Time `json:"expires"`
	PIN         string    `json:"pin,omitempty"`
	Control     string    `json:"control,omitempty"`
	Action      string    `json:"action"`
	Written     time.Time `json:"written"`
}

// sealRecord returns the framed record (length prefix and age ciphertext)
// of e at position seq, encrypted to r.
func sealRecord(r age.Recipient, seq int, e Entry) ([]byte, error) {
	plain, err := json.Marshal(wireEntry{
		Seq: seq, Row: e.Row, UserID: e.UserID, UPN: e.UPN, DisplayName: e.DisplayName,
		EmployeeID: e.EmployeeID, Site: e.Site, CodeID: e.CodeID, Payload: []byte(e.Payload),
		Expires: e.Expires, PIN: e.PIN, Control: e.Control, Action: e.Action, Written: e.Written,
	})
	if err != nil {
		return nil, err
	}
	if len(plain) > maxPlain {
		return nil, &spoolError{kind: ErrInvalidEntry, msg: fmt.Sprintf(
			"spool: entry for user %q is %d bytes encoded; the limit is %d", e.UserID, len(plain), maxPlain)}
	}
	out := make([]byte, prefixLen, prefixLen+len(plain)+512)
	buf := bytes.NewBuffer(out)
	w, err := age.Encrypt(buf, r)
	if err != nil {
		return nil, fmt.Errorf("spool: encrypting entry: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("spool: encrypting entry: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("spool: encrypting entry: %w", err)
	}
	clear(plain)
	rec := buf.Bytes()
	binary.BigEndian.PutUint32(rec, uint32(len(rec)-prefixLen))
	return rec, nil
}

// openRecord decrypts one record's ciphertext (without its prefix).
func openRecord(id age.Identity, ct []byte) (wireEntry, error) {
	var w wireEntry
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		return w, err
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxRecord))
	if err != nil {
		return w, err
	}
	defer clear(plain)
	err = json.Unmarshal(plain, &w)
	return w, err
}

func (w wireEntry) entry() Entry {
	return Entry{
		Row: w.Row, UserID: w.UserID, UPN: w.UPN, DisplayName: w.DisplayName,
		EmployeeID: w.EmployeeID, Site: w.Site, CodeID: w.CodeID, Payload: string(w.Payload),
		Expires: w.Expires, PIN: w.PIN, Control: w.Control, Action: w.Action, Written: w.Written,
	}
}
