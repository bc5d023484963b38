package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/qrpin/qrpin/staff"
)

// maxStaffLifetime bounds --staff-session-lifetime: the page is for shared
// devices, a session lasts a shift at most.
const maxStaffLifetime = 12 * time.Hour

// staffFlags are serve's staff page settings.
type staffFlags struct {
	idle     time.Duration // a manager's session ends unused this long
	lifetime time.Duration // and this long after the sign-in
}

func (f *staffFlags) flags(fs *pflag.FlagSet) {
	fs.DurationVar(&f.idle, "staff-idle-timeout", envDuration("staff-idle-timeout", staff.DefaultIdleTimeout),
		"the staff page: a manager's session ends when unused this long (QRPIN_STAFF_IDLE_TIMEOUT; 0: the default)")
	fs.DurationVar(&f.lifetime, "staff-session-lifetime", envDuration("staff-session-lifetime", staff.DefaultLifetime),
		"the staff page: a manager's session ends this long after their sign-in, used or not (at most 12h; QRPIN_STAFF_SESSION_LIFETIME; 0: the default)")
}

// check refuses settings that cannot work. Zero means the default (as
// tests calling serve leave it).
func (f *staffFlags) check() error {
	idle, lifetime := f.idle, f.lifetime
	if idle == 0 {
		idle = staff.DefaultIdleTimeout
	}
	if lifetime == 0 {
		lifetime = staff.DefaultLifetime
	}
	if idle < 0 || lifetime < 0 || lifetime > maxStaffLifetime || idle > lifetime {
		return fmt.Errorf("--staff-idle-timeout and --staff-session-lifetime must not be negative (0: the default), "+
			"the idle timeout at most the lifetime, the lifetime at most %v", maxStaffLifetime)
	}
	return nil
}
