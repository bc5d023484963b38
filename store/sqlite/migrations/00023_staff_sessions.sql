-- The staff page's sessions (package staff): a manager signed in through
-- the OpenID provider. A session's id is the SHA-256 of the handle in the
-- browser's cookie: the handle itself is never stored. expires is the
-- absolute end; data holds the record (JSON: the user, auth_time, when it
-- was last used).

-- +goose Up

CREATE TABLE staff_sessions (
    id      TEXT    NOT NULL PRIMARY KEY,
    user_id TEXT    NOT NULL,
    expires INTEGER NOT NULL,
    data    TEXT    NOT NULL
) STRICT;

CREATE INDEX staff_sessions_expires ON staff_sessions (expires);

-- +goose Down

DROP TABLE staff_sessions;
