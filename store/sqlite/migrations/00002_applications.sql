-- Client applications (Graph's application and service principal in one
-- row), their client secrets and their application permissions.
--
-- A secret is kept only as its verifier (an HMAC keyed with the server's
-- pepper); hint is the first characters Entra also shows.

-- +goose Up

CREATE TABLE applications (
    id                   TEXT NOT NULL PRIMARY KEY,
    app_id               TEXT NOT NULL UNIQUE,
    service_principal_id TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    created              INTEGER
) STRICT;

CREATE TABLE application_passwords (
    application_id TEXT    NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    key_id         TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    hint           TEXT    NOT NULL,
    verifier       BLOB    NOT NULL,
    start          INTEGER,
    "end"          INTEGER,
    PRIMARY KEY (application_id, key_id)
) STRICT, WITHOUT ROWID;

-- resource_id is a service principal's id: Microsoft Graph's is built in,
-- not stored, so it has no foreign key.
CREATE TABLE application_grants (
    id             TEXT NOT NULL PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    app_role_id    TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    created        INTEGER,
    UNIQUE (application_id, app_role_id, resource_id)
) STRICT;

-- +goose Down

DROP TABLE application_grants;
DROP TABLE application_passwords;
DROP TABLE applications;
