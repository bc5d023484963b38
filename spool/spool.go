// Package spool keeps the secrets of a bulk provisioning run (each
// worker's QR code payload and PIN) in an append-only file encrypted with
// age, so that a badge or PIN shown once by the server is never lost: an
// Entry is on disk, fsynced, before Append returns, and the badge sheets
// and PIN letters are printed from the spool, as often as needed, until
// the operator deletes it.
//
// # Format (version 1)
//
// All integers are big-endian. A spool file is a header followed by
// records:
//
//	header:
//	  magic       12 bytes  "qrpin spool\n"
//	  version      1 byte   1
//	  mode         1 byte   1 = passphrase, 2 = age recipients
//	  tenant len   2 bytes, then the tenant id (UTF-8, in clear)
//	  key len      4 bytes, then the key block
//	record (repeated):
//	  length       4 bytes, then that many bytes of age ciphertext
//
// The key block is an age file encrypted to the Key (age's scrypt
// recipient for a passphrase, or the operator's recipients) whose content
// is JSON {"tenant", "mode", "identity"}: a fresh X25519 identity made for
// this spool alone, plus copies of the clear tenant and mode, which Open
// checks. The expensive scrypt step is thus paid once per Create and once
// per Open, never per entry. Each record is an age file encrypted to that
// identity's recipient, whose content is one Entry as JSON with its
// sequence number (0, 1, ...), so records cannot be reordered, repeated
// or dropped from the middle unnoticed. Each record can be decrypted with
// the stock age tool given the file identity.
//
// Create writes the header to a temporary file, fsyncs it and links it
// into place, so a spool file never exists half-made. Append writes one
// or more whole records at the end of the file and fsyncs before
// returning; concurrent Appends share one fsync (group commit). A record
// cut short by a crash is recognised on Open (the length prefix runs past
// the end of the file, or the last record fails age's authentication, or
// the file ends in zeros) and cut off, after which every earlier entry is
// intact. Damage anywhere else is reported as ErrCorrupt, never repaired
// by dropping entries.
//
// A spool is created with mode 0600, and Open refuses one that group or
// others can access (ErrPermissions: chmod 600 it), as ssh does for
// private keys; the contents are encrypted, but a readable copy invites
// an offline guess at the passphrase. An advisory lock (flock) keeps a
// second process from appending to a spool in use (ErrInUse).
package spool

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unicode/utf8"

	"filippo.io/age"
)

// Entry is one worker's secrets from one provisioning step.
type Entry struct {
	Row         int       // CSV row number it came from (0 if none)
	UserID      string    // directory object id
	UPN         string    // user principal name
	DisplayName string    // the worker's name as printed on the badge
	EmployeeID  string    // Graph employeeId
	Site        string    // site or group printed on the badge
	CodeID      string    // the QR code's id (Graph standardQRCode id)
	Payload     string    // the QR code's content (rawContent bytes)
	Expires     time.Time // when the QR code expires
	PIN         string    // the (temporary) PIN; "" when the PIN was kept (a badge renewal)
	Control     string    // control number linking badge and PIN letter
	Action      string    // ActionCreated, ActionReissued or ActionRenewed
	Written     time.Time // when the entry was appended (set by Append if zero)
}

// Actions an Entry records.
const (
	// ActionCreated: the worker's first QR code and PIN.
	ActionCreated = "created"
	// ActionReissued: a fresh QR code and PIN replacing ones that were
	// lost (for instance, created but never spooled).
	ActionReissued = "reissued"
	// ActionRenewed: a new QR code for an expiring badge; the PIN is kept.
	ActionRenewed = "renewed"
)

// file is what a Spool needs of its file; tests substitute one that fails.
type file interface {
	io.ReaderAt
	io.WriterAt
	Truncate(size int64) error
	Sync() error
	Close() error
}

// Spool is an open spool file. Its methods are safe for concurrent use.
type Spool struct {
	path      string
	tenant    string
	recipient age.Recipient
	recovered int64
	now       func() time.Time

	mu       sync.Mutex
	work     *sync.Cond // signals the writer: pending work or closing
	f        file
	entries  []Entry        // durably written, in order
	newest   map[string]int // UserID to the index of its newest entry
	seq      int            // sequence number of the next record sealed
	size     int64          // file size covering exactly the durable records
	pending  *batch         // records sealed but not yet handed to the writer
	closing  bool
	failed   error // sticky, after an fsync failure
	finished chan struct{}
}

// batch is a group of records written with one write and one fsync.
type batch struct {
	buf     []byte
	entries []Entry
	done    chan struct{} // closed when err is set
	err     error
}

// Create makes a new spool file at path for tenantID, encrypted with k.
// It fails if the file exists. When Create returns, the file and its
// directory entry are durable.
func Create(path, tenantID string, k Key) (*Spool, error) {
	if err := checkTenant(tenantID); err != nil {
		return nil, err
	}
	m, recipients, err := k.encryptTo()
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("spool: %s already exists: %w", path, fs.ErrExist)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("spool: generating the file key: %w", err)
	}
	plain, err := json.Marshal(fileKey{Tenant: tenantID, Mode: m, Identity: id.String()})
	if err != nil {
		return nil, err
	}
	var blob bytes.Buffer
	w, err := age.Encrypt(&blob, recipients...)
	if err == nil {
		_, err = w.Write(plain)
	}
	if err == nil {
		err = w.Close()
	}
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("spool: encrypting the file key: %w", err)
	}
	hdr := header{mode: m, tenant: tenantID, blob: blob.Bytes()}.marshal()

	f, err := createFile(path, hdr)
	if err != nil {
		return nil, err
	}
	s := newSpool(path, tenantID, id, f, int64(len(hdr)), nil)
	return s, nil
}

// createFile makes path holding exactly hdr, fsynced, and returns it open
// and locked. The header is written to a temporary file that is then
// hard-linked into place, so path never exists half-written; where hard
// links are not supported (FAT), it is written in place instead.
func createFile(path string, hdr []byte) (*os.File, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("spool: creating %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	fail := func(err error) (*os.File, error) {
		tmp.Close()
		return nil, fmt.Errorf("spool: creating %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if err := lock(tmp); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(hdr); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	f := tmp
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fail(err)
		}
		// No hard links here: create in place.
		tmp.Close()
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return nil, fmt.Errorf("spool: creating %s: %w", path, err)
		}
		if err := lock(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("spool: creating %s: %w", path, err)
		}
		if _, err = f.Write(hdr); err == nil {
			err = f.Sync()
		}
		if err != nil {
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("spool: creating %s: %w", path, err)
		}
	}
	if err := syncDir(dir); err != nil {
		// The new spool holds no entry yet: take it away rather than
		// leave a file whose directory entry may not survive.
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("spool: creating %s: syncing its directory: %w", path, err)
	}
	return f, nil // the deferred Remove drops the temporary name
}

// Open opens the existing spool at path for reading and appending. It
// checks that the spool is for tenantID and that k decrypts it, and cuts
// off a last record torn by a crash (see Recovered).
func Open(path, tenantID string, k Key) (*Spool, error) {
	if err := checkTenant(tenantID); err != nil {
		return nil, err
	}
	wantMode, identities, err := k.decryptWith()
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, &spoolError{kind: ErrNotSpool, msg: fmt.Sprintf("%s is not a qrpin spool file (not a regular file)", path)}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("spool: opening: %w", err)
	}
	s, err := openFile(f, path, tenantID, wantMode, identities)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func openFile(f *os.File, path, tenantID string, wantMode mode, identities []age.Identity) (*Spool, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("spool: opening: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &spoolError{kind: ErrNotSpool, msg: fmt.Sprintf("%s is not a qrpin spool file (not a regular file)", path)}
	}
	if tooOpen(fi) {
		return nil, &spoolError{kind: ErrPermissions, msg: fmt.Sprintf(
			"spool %s has mode %v, open to group or others: chmod 600 it", path, fi.Mode().Perm())}
	}
	if err := lock(f); err != nil {
		if errors.Is(err, ErrInUse) {
			return nil, &spoolError{kind: ErrInUse, msg: fmt.Sprintf("spool %s is in use by another process or Spool", path)}
		}
		return nil, fmt.Errorf("spool: locking %s: %w", path, err)
	}
	size := fi.Size()
	h, hdrLen, err := readHeader(bufio.NewReader(io.NewSectionReader(f, 0, size)), path)
	if err != nil {
		return nil, err
	}
	if h.tenant != tenantID {
		return nil, &spoolError{kind: ErrTenant, msg: fmt.Sprintf(
			"spool %s is for tenant %q, not tenant %q", path, h.tenant, tenantID)}
	}
	if h.mode != wantMode {
		msg := fmt.Sprintf("spool %s is encrypted with a passphrase; open it with the passphrase, not an identity", path)
		if h.mode == modeRecipients {
			msg = fmt.Sprintf("spool %s is encrypted to age recipients; open it with an identity (AGE-SECRET-KEY-1...), not a passphrase", path)
		}
		return nil, &spoolError{kind: ErrWrongKey, msg: msg}
	}
	id, err := decryptFileKey(h, identities, path)
	if err != nil {
		return nil, err
	}
	entries, end, err := scan(f, hdrLen, size, id, path)
	if err != nil {
		return nil, err
	}
	if end < size {
		if err := f.Truncate(end); err != nil {
			return nil, fmt.Errorf("spool %s: cutting off a torn last record: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return nil, fmt.Errorf("spool %s: cutting off a torn last record: %w", path, err)
		}
	}
	s := newSpool(path, tenantID, id, f, end, entries)
	s.recovered = size - end
	return s, nil
}

// decryptFileKey returns the spool's own X25519 identity from its header.
func decryptFileKey(h header, identities []age.Identity, path string) (*age.X25519Identity, error) {
	r, err := age.Decrypt(bytes.NewReader(h.blob), identities...)
	var plain []byte
	if err == nil {
		plain, err = io.ReadAll(io.LimitReader(r, maxKeyBlob))
	}
	if err != nil {
		if errors.Is(err, age.ErrIncorrectIdentity) {
			msg := fmt.Sprintf("spool %s cannot be decrypted with this passphrase", path)
			if h.mode == modeRecipients {
				msg = fmt.Sprintf("spool %s cannot be decrypted with this identity: it is encrypted to other recipients", path)
			}
			return nil, &spoolError{kind: ErrWrongKey, msg: msg}
		}
		return nil, &spoolError{kind: ErrCorrupt, msg: fmt.Sprintf("spool %s is damaged: key block: %v", path, err)}
	}
	defer clear(plain)
	var fk fileKey
	if err := json.Unmarshal(plain, &fk); err != nil {
		return nil, &spoolError{kind: ErrCorrupt, msg: fmt.Sprintf("spool %s is damaged: key block does not parse", path)}
	}
	if fk.Tenant != h.tenant || fk.Mode != h.mode {
		return nil, &spoolError{kind: ErrCorrupt, msg: fmt.Sprintf("spool %s is damaged: its clear header does not match its key block", path)}
	}
	id, err := age.ParseX25519Identity(fk.Identity)
	if err != nil {
		return nil, &spoolError{kind: ErrCorrupt, msg: fmt.Sprintf("spool %s is damaged: key block holds no valid identity", path)}
	}
	return id, nil
}

// scan reads the records from off to size and returns their entries and
// the offset just past the last whole record. A torn last record ends the
// scan there; any other damage is ErrCorrupt.
func scan(f io.ReaderAt, off, size int64, id age.Identity, path string) ([]Entry, int64, error) {
	var entries []Entry
	corrupt := func(what string) error {
		return &spoolError{kind: ErrCorrupt, msg: fmt.Sprintf(
			"spool %s is damaged at byte %d (entry %d): %s", path, off, len(entries), what)}
	}
	prefix := make([]byte, prefixLen)
	for off < size {
		if size-off < prefixLen {
			return entries, off, nil // torn inside the length prefix
		}
		if _, err := f.ReadAt(prefix, off); err != nil {
			return nil, 0, fmt.Errorf("spool %s: %w", path, err)
		}
		l := int64(binary.BigEndian.Uint32(prefix))
		if l == 0 || l > maxRecord {
			zero, err := zeroFrom(f, off, size)
			if err != nil {
				return nil, 0, fmt.Errorf("spool %s: %w", path, err)
			}
			if zero {
				return entries, off, nil // the file was extended but not written
			}
			return nil, 0, corrupt(fmt.Sprintf("record length %d", l))
		}
		end := off + prefixLen + l
		if end > size {
			return entries, off, nil // torn inside the record
		}
		ct := make([]byte, l)
		if _, err := f.ReadAt(ct, off+prefixLen); err != nil {
			return nil, 0, fmt.Errorf("spool %s: %w", path, err)
		}
		w, err := openRecord(id, ct)
		if err != nil {
			if end == size {
				return entries, off, nil // the last record, not wholly on disk
			}
			return nil, 0, corrupt("record does not decrypt")
		}
		if w.Seq != len(entries) {
			return nil, 0, corrupt(fmt.Sprintf("record has sequence number %d", w.Seq))
		}
		entries = append(entries, w.entry())
		off = end
	}
	return entries, off, nil
}

// zeroFrom reports whether every byte of f from off to size is zero.
func zeroFrom(f io.ReaderAt, off, size int64) (bool, error) {
	buf := make([]byte, 32<<10)
	for off < size {
		n := min(int64(len(buf)), size-off)
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return false, err
		}
		for _, b := range buf[:n] {
			if b != 0 {
				return false, nil
			}
		}
		off += n
	}
	return true, nil
}

func checkTenant(tenantID string) error {
	if tenantID == "" || len(tenantID) > maxTenant {
		return fmt.Errorf("spool: tenant id must be 1 to %d bytes", maxTenant)
	}
	return nil
}

func newSpool(path, tenant string, id *age.X25519Identity, f file, size int64, entries []Entry) *Spool {
	s := &Spool{
		path:      path,
		tenant:    tenant,
		recipient: id.Recipient(),
		now:       time.Now,
		f:         f,
		entries:   entries,
		seq:       len(entries),
		size:      size,
		finished:  make(chan struct{}),
	}
	s.work = sync.NewCond(&s.mu)
	s.newest = make(map[string]int, len(entries))
	for i, e := range entries {
		s.newest[e.UserID] = i
	}
	go s.writer()
	return s
}

// Path returns the spool's file name.
func (s *Spool) Path() string { return s.path }

// TenantID returns the tenant the spool belongs to.
func (s *Spool) TenantID() string { return s.tenant }

// Recovered returns how many bytes of a torn last record Open cut off:
// 0 when the file ended cleanly. A torn record is one whose Append never
// returned nil, so no caller counted it as written.
func (s *Spool) Recovered() int64 { return s.recovered }

// Append writes e durably: when it returns nil, e is on disk (file
// fsynced) and survives a crash or power loss. Concurrent Appends are
// written together with one fsync. e.UserID must be set and e.Action be
// one of the Action constants, and its text fields valid UTF-8 (Payload
// may hold any bytes); a zero e.Written is set to the current time. On
// an error (a full disk, say) the file is cut back to its whole records,
// and e and any entries written with it are not stored.
func (s *Spool) Append(e Entry) error {
	if e.UserID == "" {
		return &spoolError{kind: ErrInvalidEntry, msg: "spool: entry has no user id"}
	}
	switch e.Action {
	case ActionCreated, ActionReissued, ActionRenewed:
	default:
		return &spoolError{kind: ErrInvalidEntry, msg: fmt.Sprintf(
			"spool: entry for user %q has action %q; want %q, %q or %q",
			e.UserID, e.Action, ActionCreated, ActionReissued, ActionRenewed)}
	}
	for _, f := range []string{e.UserID, e.UPN, e.DisplayName, e.EmployeeID, e.Site, e.CodeID, e.PIN, e.Control} {
		if !utf8.ValidString(f) {
			// JSON would store U+FFFD in its place: refuse rather than change it.
			return &spoolError{kind: ErrInvalidEntry, msg: fmt.Sprintf("spool: entry for user %q has a field that is not valid UTF-8", e.UserID)}
		}
	}
	if e.Written.IsZero() {
		e.Written = s.now()
	}
	e.Written = e.Written.Round(0)
	e.Expires = e.Expires.Round(0)

	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return &spoolError{kind: ErrClosed, msg: fmt.Sprintf("spool %s is closed", s.path)}
	}
	if s.failed != nil {
		s.mu.Unlock()
		return s.failed
	}
	// Sealed under the lock so that sequence numbers follow file order.
	rec, err := sealRecord(s.recipient, s.seq, e)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.seq++
	if s.pending == nil {
		s.pending = &batch{done: make(chan struct{})}
	}
	b := s.pending
	b.buf = append(b.buf, rec...)
	b.entries = append(b.entries, e)
	s.work.Signal()
	s.mu.Unlock()
	<-b.done
	return b.err
}

// writer writes batches in order until the spool closes.
func (s *Spool) writer() {
	defer close(s.finished)
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for s.pending == nil && !s.closing {
			s.work.Wait()
		}
		b := s.pending
		if b == nil {
			return // closing, nothing left
		}
		s.pending = nil
		off, f := s.size, s.f
		s.mu.Unlock()
		synced, err := write(f, off, b.buf)
		s.mu.Lock()
		if err == nil {
			s.size += int64(len(b.buf))
			for _, e := range b.entries {
				s.newest[e.UserID] = len(s.entries)
				s.entries = append(s.entries, e)
			}
			b.err = nil
			close(b.done)
			continue
		}
		b.err = fmt.Errorf("spool %s: writing %d entries: %w", s.path, len(b.entries), err)
		// Put the file back to whole records.
		terr := f.Truncate(off)
		if terr == nil {
			terr = f.Sync()
		}
		if !synced || terr != nil {
			// After a failed fsync the kernel may have dropped the data
			// while marking it clean: trust nothing until reopened.
			s.failed = &spoolError{kind: ErrFailed, cause: err, msg: fmt.Sprintf(
				"spool %s failed to write (%v); close it and open it again", s.path, err)}
		}
		// Records sealed after b carry sequence numbers following b's; they
		// cannot be written now that b is not.
		if p := s.pending; p != nil {
			s.pending = nil
			p.err = fmt.Errorf("spool %s: not written, an earlier write failed: %w", s.path, err)
			close(p.done)
		}
		s.seq = len(s.entries)
		close(b.done)
	}
}

// write writes buf at off and fsyncs. synced is false when the fsync (not
// the write) failed.
func write(f file, off int64, buf []byte) (synced bool, err error) {
	n, err := f.WriteAt(buf, off)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return true, err
	}
	if err := f.Sync(); err != nil {
		return false, err
	}
	return true, nil
}

// Entries returns every entry written, in the order written.
func (s *Spool) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.entries...)
}

// Latest returns the newest entry of each user (by UserID), for printing:
// one entry per user, in the order the users first appear in the spool.
// An entry is returned as written: after a renewal its PIN is "" (the
// worker kept theirs), not an older entry's PIN.
func (s *Spool) Latest() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	index := make(map[string]int, len(s.entries))
	var out []Entry
	for _, e := range s.entries {
		if i, ok := index[e.UserID]; ok {
			out[i] = e
			continue
		}
		index[e.UserID] = len(out)
		out = append(out, e)
	}
	return out
}

// Lookup returns the newest entry of the user with this UserID, and
// whether there is one: a provisioning run uses it to tell a row done
// from a row whose secrets never reached the spool.
func (s *Spool) Lookup(userID string) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.newest[userID]
	if !ok {
		return Entry{}, false
	}
	return s.entries[i], true
}

// Len returns the number of entries written.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// Close waits for Appends in progress, then closes the file and releases
// its lock. Appends after Close fail with ErrClosed; Entries and Latest
// still answer. Closing twice is a no-op.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		<-s.finished
		return nil
	}
	s.closing = true
	s.work.Signal()
	s.mu.Unlock()
	<-s.finished
	// Unlocked first: a descriptor a forked child still holds would keep
	// the lock past Close otherwise.
	err := unlock(s.f)
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spool %s: closing: %w", s.path, err)
	}
	return nil
}
