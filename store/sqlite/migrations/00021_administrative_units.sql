-- Administrative units: sets of users and groups that role assignments can
-- be scoped to. A unit's members are users and groups, each in its own
-- table so that deleting a user or a group removes its memberships (ON
-- DELETE CASCADE). A group in a unit does not bring its members into the
-- unit (as in Entra): only unit_users says who a scoped administrator
-- manages.

-- +goose Up

CREATE TABLE administrative_units (
    id           TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    description  TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    created      INTEGER
) STRICT;

CREATE TABLE unit_users (
    unit_id TEXT NOT NULL REFERENCES administrative_units (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (unit_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX unit_users_user_id ON unit_users (user_id, unit_id);

CREATE TABLE unit_groups (
    unit_id  TEXT NOT NULL REFERENCES administrative_units (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (unit_id, group_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX unit_groups_group_id ON unit_groups (group_id, unit_id);

-- +goose Down

DROP TABLE unit_groups;
DROP TABLE unit_users;
DROP TABLE administrative_units;
