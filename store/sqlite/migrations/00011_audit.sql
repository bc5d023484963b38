-- Sign-in logs and directory audits (Graph's auditLogs). Entries outlive
-- the users and applications they name: no foreign keys. ids are
-- time-ordered, so "newest first" is "greatest id first".

-- +goose Up

CREATE TABLE signin_logs (
    id             TEXT    NOT NULL PRIMARY KEY,
    created        INTEGER NOT NULL,
    user_id        TEXT    NOT NULL,
    upn            TEXT    NOT NULL,
    upn_key        TEXT    NOT NULL,
    app_id         TEXT    NOT NULL,
    app_name       TEXT    NOT NULL,
    ip_address     TEXT    NOT NULL,
    error_code     INTEGER NOT NULL,
    failure_reason TEXT    NOT NULL,
    step           TEXT    NOT NULL
) STRICT;

CREATE INDEX signin_logs_created ON signin_logs (created);
CREATE INDEX signin_logs_user_id ON signin_logs (user_id, id);
CREATE INDEX signin_logs_upn_key ON signin_logs (upn_key, id);

CREATE TABLE directory_audits (
    id                 TEXT    NOT NULL PRIMARY KEY,
    time               INTEGER NOT NULL,
    category           TEXT    NOT NULL,
    activity           TEXT    NOT NULL,
    operation_type     TEXT    NOT NULL,
    initiator_kind     TEXT    NOT NULL,
    initiator_id       TEXT    NOT NULL,
    initiator_name     TEXT    NOT NULL,
    initiator_name_key TEXT    NOT NULL,
    initiator_app_id   TEXT    NOT NULL,
    initiator_address  TEXT    NOT NULL,
    targets            TEXT    NOT NULL,
    result             TEXT    NOT NULL
) STRICT;

CREATE INDEX directory_audits_time ON directory_audits (time);
CREATE INDEX directory_audits_initiator_id ON directory_audits (initiator_id, id);

-- +goose Down

DROP TABLE directory_audits;
DROP TABLE signin_logs;
