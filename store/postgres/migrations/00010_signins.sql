-- Sign-in transactions in progress (short-lived, single-use). id is a hash
-- of the handle the client holds; the handle itself is never stored.

-- +goose Up

CREATE TABLE signins (
    id      text COLLATE "C" NOT NULL PRIMARY KEY,
    user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_id text COLLATE "C" NOT NULL,
    stage   text             NOT NULL,
    pin_ref text             NOT NULL,
    created timestamptz      NOT NULL,
    expires timestamptz      NOT NULL
);

CREATE INDEX signins_expires ON signins (expires);
CREATE INDEX signins_user_id ON signins (user_id);

-- +goose Down

DROP TABLE signins;
