-- Client applications (Graph's application and service principal in one
-- row), their client secrets and their application permissions.
--
-- A secret is kept only as its verifier (an HMAC keyed with the server's
-- pepper); hint is the first characters Entra also shows.

-- +goose Up

CREATE TABLE applications (
    id                   text COLLATE "C" NOT NULL PRIMARY KEY,
    app_id               text COLLATE "C" NOT NULL UNIQUE,
    service_principal_id text COLLATE "C" NOT NULL UNIQUE,
    display_name         text             NOT NULL,
    created              timestamptz
);

CREATE TABLE application_passwords (
    application_id text COLLATE "C" NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    key_id         text COLLATE "C" NOT NULL,
    display_name   text             NOT NULL,
    hint           text             NOT NULL,
    verifier       bytea            NOT NULL,
    start          timestamptz,
    "end"          timestamptz,
    PRIMARY KEY (application_id, key_id)
);

-- resource_id is a service principal's id: Microsoft Graph's is built in,
-- not stored, so it has no foreign key.
CREATE TABLE application_grants (
    id             text COLLATE "C" NOT NULL PRIMARY KEY,
    application_id text COLLATE "C" NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    app_role_id    text COLLATE "C" NOT NULL,
    resource_id    text COLLATE "C" NOT NULL,
    created        timestamptz,
    UNIQUE (application_id, app_role_id, resource_id)
);

-- +goose Down

DROP TABLE application_grants;
DROP TABLE application_passwords;
DROP TABLE applications;
