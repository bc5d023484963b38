-- The OpenID provider's records: authorization requests (code and device
-- flows) and refresh tokens. Secrets are only hashes: code_hash is the
-- SHA-256 of an authorization code, a device request's id the hash of its
-- device code, a refresh token's id the hash of the token. data holds the
-- rest of the record (JSON); the columns are what lookups, uniqueness and
-- pruning need.

-- +goose Up

CREATE TABLE oidc_auth_requests (
    id        TEXT    NOT NULL PRIMARY KEY,
    code_hash TEXT    UNIQUE,
    user_code TEXT    UNIQUE,
    expires   INTEGER NOT NULL,
    data      TEXT    NOT NULL
) STRICT;

CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests (expires);

CREATE TABLE oidc_refresh_tokens (
    id        TEXT    NOT NULL PRIMARY KEY,
    family_id TEXT    NOT NULL,
    rotated   INTEGER NOT NULL,
    expires   INTEGER NOT NULL, -- the earlier of the absolute and the idle expiry
    data      TEXT    NOT NULL
) STRICT;

CREATE INDEX oidc_refresh_tokens_family ON oidc_refresh_tokens (family_id);
CREATE INDEX oidc_refresh_tokens_expires ON oidc_refresh_tokens (expires);

-- Sign-in logs name the resource an application signed in for and the
-- provider's flow ('' for qrpin's own sign-in page).
ALTER TABLE signin_logs ADD COLUMN resource TEXT NOT NULL DEFAULT '';
ALTER TABLE signin_logs ADD COLUMN flow TEXT NOT NULL DEFAULT '';

-- +goose Down

ALTER TABLE signin_logs DROP COLUMN flow;
ALTER TABLE signin_logs DROP COLUMN resource;

DROP TABLE oidc_refresh_tokens;
DROP TABLE oidc_auth_requests;
