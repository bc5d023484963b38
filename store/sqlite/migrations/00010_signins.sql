-- Sign-in transactions in progress (short-lived, single-use). id is a hash
-- of the handle the client holds; the handle itself is never stored.

-- +goose Up

CREATE TABLE signins (
    id      TEXT    NOT NULL PRIMARY KEY,
    user_id TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_id TEXT    NOT NULL,
    stage   TEXT    NOT NULL,
    pin_ref TEXT    NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL
) STRICT;

CREATE INDEX signins_expires ON signins (expires);
CREATE INDEX signins_user_id ON signins (user_id);

-- +goose Down

DROP TABLE signins;
