-- The first qrpin schema for PostgreSQL: the same tables as the SQLite
-- backend's, in PostgreSQL's types.
--
-- Conventions: ids are text COLLATE "C", so "ordered by ID" is byte order,
-- as in SQLite, and the primary key indexes serve both lookups and ordered
-- paging; times are timestamptz (microseconds), NULL for a zero time.Time.

-- +goose Up

CREATE TABLE users (
    id              text COLLATE "C" NOT NULL PRIMARY KEY,
    upn             text             NOT NULL,
    -- upn_key is upn lower-cased by the store (in Go, so that both backends
    -- agree): UPNs are unique regardless of case.
    upn_key         text COLLATE "C" NOT NULL UNIQUE,
    display_name    text             NOT NULL,
    account_enabled boolean          NOT NULL,
    created         timestamptz
);

CREATE TABLE groups (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    display_name  text             NOT NULL,
    description   text             NOT NULL,
    mail_nickname text             NOT NULL,
    created       timestamptz
);

CREATE TABLE group_members (
    group_id text COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX group_members_user_id ON group_members (user_id, group_id);

-- A principal may be a user or another kind of principal (an application),
-- so principal_id has no foreign key; DeleteUser removes a user's rows.
CREATE TABLE role_assignments (
    id                 text COLLATE "C" NOT NULL PRIMARY KEY,
    principal_id       text COLLATE "C" NOT NULL,
    role_definition_id text COLLATE "C" NOT NULL,
    UNIQUE (principal_id, role_definition_id)
);

-- A user's QR code + PIN method: at most one per user. pin_hash is the
-- Argon2id hash (never the PIN). Every PIN attempt, reset and change
-- updates the row: fillfactor leaves room in each page for the new version,
-- so that the update stays on its page and touches no index (a HOT update).
CREATE TABLE methods (
    id                   text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id              text COLLATE "C" NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created              timestamptz,
    pin_hash             text             NOT NULL,
    pin_length           integer          NOT NULL,
    pin_force_change     boolean          NOT NULL,
    pin_created          timestamptz,
    pin_updated          timestamptz,
    lockout_failures     integer          NOT NULL,
    lockout_locked_until timestamptz,
    lockout_disabled     boolean          NOT NULL
) WITH (fillfactor = 90);

-- A method's QR codes: at most one of each kind. verifier is what checks the
-- code's secret (never the secret). Sign-ins update last_used: fillfactor
-- as for methods.
CREATE TABLE qr_codes (
    id        text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id   text COLLATE "C" NOT NULL REFERENCES methods (user_id) ON DELETE CASCADE,
    kind      text             NOT NULL CHECK (kind IN ('standardQRCode', 'temporaryQRCode')),
    start     timestamptz,
    expire    timestamptz,
    created   timestamptz,
    last_used timestamptz,
    verifier  bytea            NOT NULL,
    UNIQUE (user_id, kind)
) WITH (fillfactor = 90);

-- The tenant policy: no row means method.DefaultPolicy. Targets are JSON
-- arrays of {"targetType", "id", "isRegistrationRequired"}.
CREATE TABLE policy (
    id                     integer NOT NULL PRIMARY KEY CHECK (id = 1),
    state                  text    NOT NULL,
    pin_length             integer NOT NULL,
    standard_lifetime_days integer NOT NULL,
    include_targets        jsonb   NOT NULL,
    exclude_targets        jsonb   NOT NULL
);

CREATE TABLE settings (
    key   text COLLATE "C" NOT NULL PRIMARY KEY,
    value text             NOT NULL
);

-- +goose Down

DROP TABLE settings;
DROP TABLE policy;
DROP TABLE qr_codes;
DROP TABLE methods;
DROP TABLE role_assignments;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE users;
