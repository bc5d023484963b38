-- The first qrpin schema.
--
-- Conventions: every time is an INTEGER of Unix microseconds in UTC, NULL for
-- a zero time.Time; booleans are INTEGER 0 or 1; ids are TEXT. Tables are
-- STRICT so a wrongly typed value is an error, not a silent conversion.

-- +goose Up

CREATE TABLE users (
    id              TEXT    NOT NULL PRIMARY KEY,
    upn             TEXT    NOT NULL,
    -- upn_key is upn lower-cased by the store: UPNs are unique regardless of case.
    upn_key         TEXT    NOT NULL UNIQUE,
    display_name    TEXT    NOT NULL,
    account_enabled INTEGER NOT NULL,
    created         INTEGER
) STRICT;

CREATE TABLE groups (
    id            TEXT NOT NULL PRIMARY KEY,
    display_name  TEXT NOT NULL,
    description   TEXT NOT NULL,
    mail_nickname TEXT NOT NULL,
    created       INTEGER
) STRICT;

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX group_members_user_id ON group_members (user_id);

-- A principal may be a user or another kind of principal (an application),
-- so principal_id has no foreign key; DeleteUser removes a user's rows.
CREATE TABLE role_assignments (
    id                 TEXT NOT NULL PRIMARY KEY,
    principal_id       TEXT NOT NULL,
    role_definition_id TEXT NOT NULL,
    UNIQUE (principal_id, role_definition_id)
) STRICT;

-- A user's QR code + PIN method: at most one per user. pin_hash is the
-- Argon2id hash (never the PIN).
CREATE TABLE methods (
    id                   TEXT    NOT NULL PRIMARY KEY,
    user_id              TEXT    NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created              INTEGER,
    pin_hash             TEXT    NOT NULL,
    pin_length           INTEGER NOT NULL,
    pin_force_change     INTEGER NOT NULL,
    pin_created          INTEGER,
    pin_updated          INTEGER,
    lockout_failures     INTEGER NOT NULL,
    lockout_locked_until INTEGER,
    lockout_disabled     INTEGER NOT NULL
) STRICT;

-- A method's QR codes: at most one of each kind. verifier is what checks the
-- code's secret (never the secret).
CREATE TABLE qr_codes (
    id        TEXT    NOT NULL PRIMARY KEY,
    user_id   TEXT    NOT NULL REFERENCES methods (user_id) ON DELETE CASCADE,
    kind      TEXT    NOT NULL CHECK (kind IN ('standardQRCode', 'temporaryQRCode')),
    start     INTEGER,
    expire    INTEGER,
    created   INTEGER,
    last_used INTEGER,
    verifier  BLOB    NOT NULL,
    UNIQUE (user_id, kind)
) STRICT;

-- The tenant policy: no row means method.DefaultPolicy. Targets are JSON
-- arrays of {"targetType", "id", "isRegistrationRequired"}.
CREATE TABLE policy (
    id                     INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    state                  TEXT    NOT NULL,
    pin_length             INTEGER NOT NULL,
    standard_lifetime_days INTEGER NOT NULL,
    include_targets        TEXT    NOT NULL,
    exclude_targets        TEXT    NOT NULL
) STRICT;

CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- +goose Down

DROP TABLE settings;
DROP TABLE policy;
DROP TABLE qr_codes;
DROP TABLE methods;
DROP TABLE role_assignments;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE users;
