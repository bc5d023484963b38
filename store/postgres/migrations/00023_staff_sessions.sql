-- The staff page's sessions (package staff): a manager signed in through
-- the OpenID provider. A session's id is the SHA-256 of the handle in the
-- browser's cookie: the handle itself is never stored. expires is the
-- absolute end; data holds the record (JSON: the user, auth_time, when it
-- was last used).

-- +goose Up

CREATE TABLE staff_sessions (
    id      text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id text COLLATE "C" NOT NULL,
    expires timestamptz      NOT NULL,
    data    text             NOT NULL
);

CREATE INDEX staff_sessions_expires ON staff_sessions (expires);

-- +goose Down

DROP TABLE staff_sessions;
