-- Sign-in logs and directory audits (Graph's auditLogs). Entries outlive
-- the users and applications they name: no foreign keys. ids are
-- time-ordered, so "newest first" is "greatest id first".

-- +goose Up

CREATE TABLE signin_logs (
    id             text COLLATE "C" NOT NULL PRIMARY KEY,
    created        timestamptz NOT NULL,
    user_id        text COLLATE "C" NOT NULL,
    upn            text    NOT NULL,
    upn_key        text COLLATE "C" NOT NULL,
    app_id         text COLLATE "C" NOT NULL,
    app_name       text    NOT NULL,
    ip_address     text    NOT NULL,
    error_code     integer NOT NULL,
    failure_reason text    NOT NULL,
    step           text    NOT NULL
);

CREATE INDEX signin_logs_created ON signin_logs (created);
CREATE INDEX signin_logs_user_id ON signin_logs (user_id, id);
CREATE INDEX signin_logs_upn_key ON signin_logs (upn_key, id);

CREATE TABLE directory_audits (
    id                 text COLLATE "C" NOT NULL PRIMARY KEY,
    time               timestamptz NOT NULL,
    category           text    NOT NULL,
    activity           text    NOT NULL,
    operation_type     text    NOT NULL,
    initiator_kind     text    NOT NULL,
    initiator_id       text COLLATE "C" NOT NULL,
    initiator_name     text    NOT NULL,
    initiator_name_key text COLLATE "C" NOT NULL,
    initiator_app_id   text COLLATE "C" NOT NULL,
    initiator_address  text    NOT NULL,
    targets            text    NOT NULL,
    result             text    NOT NULL
);

CREATE INDEX directory_audits_time ON directory_audits (time);
CREATE INDEX directory_audits_initiator_id ON directory_audits (initiator_id, id);

-- +goose Down

DROP TABLE directory_audits;
DROP TABLE signin_logs;
