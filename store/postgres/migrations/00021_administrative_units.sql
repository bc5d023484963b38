-- Administrative units: sets of users and groups that role assignments can
-- be scoped to, as in the SQLite backend. A group in a unit does not bring
-- its members into the unit (as in Entra): only unit_users says who a
-- scoped administrator manages.

-- +goose Up

CREATE TABLE administrative_units (
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    display_name text             NOT NULL,
    description  text             NOT NULL,
    visibility   text             NOT NULL,
    created      timestamptz
);

CREATE TABLE unit_users (
    unit_id text COLLATE "C" NOT NULL REFERENCES administrative_units (id) ON DELETE CASCADE,
    user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (unit_id, user_id)
);

CREATE INDEX unit_users_user_id ON unit_users (user_id, unit_id);

CREATE TABLE unit_groups (
    unit_id  text COLLATE "C" NOT NULL REFERENCES administrative_units (id) ON DELETE CASCADE,
    group_id text COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (unit_id, group_id)
);

CREATE INDEX unit_groups_group_id ON unit_groups (group_id, unit_id);

-- +goose Down

DROP TABLE unit_groups;
DROP TABLE unit_users;
DROP TABLE administrative_units;
