-- Applications' OpenID Connect registration (Graph's web, spa and
-- publicClient properties, and isFallbackPublicClient): the redirect URIs
-- of each kind in the order given, the web sign-out URL and whether public
-- client flows without a redirect URI (the device code flow) are allowed.

-- +goose Up

ALTER TABLE applications ADD COLUMN web_logout_url TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN fallback_public_client INTEGER NOT NULL DEFAULT 0;

-- kind is 'web', 'spa' or 'publicClient'; position orders a kind's URIs.
CREATE TABLE application_redirect_uris (
    application_id TEXT    NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    position       INTEGER NOT NULL,
    uri            TEXT    NOT NULL,
    PRIMARY KEY (application_id, kind, position)
) STRICT, WITHOUT ROWID;

-- +goose Down

DROP TABLE application_redirect_uris;
ALTER TABLE applications DROP COLUMN fallback_public_client;
ALTER TABLE applications DROP COLUMN web_logout_url;
