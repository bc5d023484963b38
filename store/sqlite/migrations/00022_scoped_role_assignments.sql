-- Role assignments gain a scope: unit_id is the administrative unit the
-- role is scoped to, '' for the whole tenant (every existing assignment).
-- A principal may hold one role over several scopes, so the uniqueness rule
-- takes the scope in; SQLite cannot change a table's UNIQUE constraint, so
-- the table is rebuilt. unit_id has no foreign key ('' names no unit):
-- DeleteUnit removes the assignments scoped to the unit.

-- +goose Up

CREATE TABLE role_assignments_scoped (
    id                 TEXT NOT NULL PRIMARY KEY,
    principal_id       TEXT NOT NULL,
    role_definition_id TEXT NOT NULL,
    unit_id            TEXT NOT NULL DEFAULT '',
    UNIQUE (principal_id, role_definition_id, unit_id)
) STRICT;

INSERT INTO role_assignments_scoped (id, principal_id, role_definition_id)
SELECT id, principal_id, role_definition_id FROM role_assignments;

DROP TABLE role_assignments;
ALTER TABLE role_assignments_scoped RENAME TO role_assignments;

CREATE INDEX role_assignments_unit_id ON role_assignments (unit_id);

-- +goose Down

DELETE FROM role_assignments WHERE unit_id <> '';

CREATE TABLE role_assignments_unscoped (
    id                 TEXT NOT NULL PRIMARY KEY,
    principal_id       TEXT NOT NULL,
    role_definition_id TEXT NOT NULL,
    UNIQUE (principal_id, role_definition_id)
) STRICT;

INSERT INTO role_assignments_unscoped (id, principal_id, role_definition_id)
SELECT id, principal_id, role_definition_id FROM role_assignments;

DROP TABLE role_assignments;
ALTER TABLE role_assignments_unscoped RENAME TO role_assignments;
