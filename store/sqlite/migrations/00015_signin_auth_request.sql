-- A sign-in transaction remembers the OpenID provider's authorization
-- request it serves ('' for a sign-in to qrpin itself), so that the last
-- step completes that request.

-- +goose Up

ALTER TABLE signins ADD COLUMN auth_request TEXT NOT NULL DEFAULT '';

-- +goose Down

ALTER TABLE signins DROP COLUMN auth_request;
