package spool

import "errors"

// Errors a caller can test for with errors.Is. The errors Create, Open
// and Append return wrap one of these (or an *os.PathError / syscall
// error from the file system) and name the spool file; none contains a
// PIN, a payload, a passphrase or a key.
var (
	// ErrWrongKey: the passphrase or identities do not decrypt the spool,
	// or the Key is of the other kind (passphrase vs. recipients).
	ErrWrongKey = errors.New("spool: wrong passphrase or identity")
	// ErrTenant: the spool was created for another tenant.
	ErrTenant = errors.New("spool: spool belongs to another tenant")
	// ErrNotSpool: the file is not a qrpin spool.
	ErrNotSpool = errors.New("spool: not a spool file")
	// ErrVersion: the spool has a newer format version than this build reads.
	ErrVersion = errors.New("spool: newer spool format version")
	// ErrCorrupt: the spool's bytes were changed other than by a torn
	// last write (which Open repairs).
	ErrCorrupt = errors.New("spool: spool is damaged")
	// ErrPermissions: an existing spool is accessible to group or others.
	ErrPermissions = errors.New("spool: spool file permissions too open")
	// ErrInUse: another process (or Spool) has the spool open.
	ErrInUse = errors.New("spool: spool in use")
	// ErrClosed: the Spool was closed.
	ErrClosed = errors.New("spool: spool closed")
	// ErrInvalidEntry: Append was given an entry it cannot store.
	ErrInvalidEntry = errors.New("spool: invalid entry")
	// ErrFailed: an earlier write's fsync failed, so what is on disk is
	// uncertain; Close the Spool and Open it again.
	ErrFailed = errors.New("spool: spool failed")
)

// spoolError is an error with a full sentence for people and a kind for
// errors.Is.
type spoolError struct {
	kind  error
	msg   string
	cause error // optional, also matched by errors.Is
}

func (e *spoolError) Error() string { return e.msg }

func (e *spoolError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}
