-- Sign-in log entries name the user's display name, the client's
-- correlation id and its User-Agent (capped at store.MaxUserAgent bytes by
-- the writer), for Graph's signIn userDisplayName, correlationId,
-- userAgent and deviceDetail.

-- +goose Up

ALTER TABLE signin_logs ADD COLUMN user_display_name text NOT NULL DEFAULT '';
ALTER TABLE signin_logs ADD COLUMN correlation_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE signin_logs ADD COLUMN user_agent text NOT NULL DEFAULT '';

-- +goose Down

ALTER TABLE signin_logs DROP COLUMN user_agent;
ALTER TABLE signin_logs DROP COLUMN correlation_id;
ALTER TABLE signin_logs DROP COLUMN user_display_name;
