-- The OpenID provider's optional single sign-on sessions, and the
-- back-channel logout URI an application may register (qrpin's own
-- property; Entra has none). A session's id is the SHA-256 of the handle
-- in the browser's cookie: the handle itself is never stored. data holds
-- the rest of the record (JSON: the user, auth_time, the applications it
-- served).

-- +goose Up

ALTER TABLE applications ADD COLUMN backchannel_logout_url TEXT NOT NULL DEFAULT '';

CREATE TABLE oidc_sso_sessions (
    id      TEXT    NOT NULL PRIMARY KEY,
    user_id TEXT    NOT NULL,
    expires INTEGER NOT NULL,
    data    TEXT    NOT NULL
) STRICT;

CREATE INDEX oidc_sso_sessions_user ON oidc_sso_sessions (user_id);
CREATE INDEX oidc_sso_sessions_expires ON oidc_sso_sessions (expires);

-- +goose Down

DROP TABLE oidc_sso_sessions;
ALTER TABLE applications DROP COLUMN backchannel_logout_url;
