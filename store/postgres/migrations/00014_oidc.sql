-- The OpenID provider's records: authorization requests (code and device
-- flows) and refresh tokens. Secrets are only hashes: code_hash is the
-- SHA-256 of an authorization code, a device request's id the hash of its
-- device code, a refresh token's id the hash of the token. data holds the
-- rest of the record (JSON); the columns are what lookups, uniqueness and
-- pruning need.

-- +goose Up

CREATE TABLE oidc_auth_requests (
    id        text COLLATE "C" NOT NULL PRIMARY KEY,
    code_hash text COLLATE "C" UNIQUE,
    user_code text COLLATE "C" UNIQUE,
    expires   timestamptz      NOT NULL,
    data      text             NOT NULL
);

CREATE INDEX oidc_auth_requests_expires ON oidc_auth_requests (expires);

CREATE TABLE oidc_refresh_tokens (
    id        text COLLATE "C" NOT NULL PRIMARY KEY,
    family_id text COLLATE "C" NOT NULL,
    rotated   boolean          NOT NULL,
    expires   timestamptz      NOT NULL, -- the earlier of the absolute and the idle expiry
    data      text             NOT NULL
);

CREATE INDEX oidc_refresh_tokens_family ON oidc_refresh_tokens (family_id);
CREATE INDEX oidc_refresh_tokens_expires ON oidc_refresh_tokens (expires);

-- Sign-in logs name the resource an application signed in for and the
-- provider's flow ('' for qrpin's own sign-in page).
ALTER TABLE signin_logs ADD COLUMN resource text NOT NULL DEFAULT '';
ALTER TABLE signin_logs ADD COLUMN flow text NOT NULL DEFAULT '';

-- +goose Down

ALTER TABLE signin_logs DROP COLUMN flow;
ALTER TABLE signin_logs DROP COLUMN resource;

DROP TABLE oidc_refresh_tokens;
DROP TABLE oidc_auth_requests;
