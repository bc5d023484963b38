-- Role assignments scoped to an administrative unit, in a table of their
-- own. role_assignments keeps the tenant-wide ones in the layout every
-- earlier qrpin reads, so that an older qrpin sharing the database (during
-- a rolling upgrade, or after a downgrade) never sees a scoped assignment:
-- it would read one as tenant-wide. A principal may hold one role over
-- several units. Assignment ids are unique across both tables (Graph's
-- role assignments share one id space): CreateRoleAssignment checks the
-- other table in the insert's transaction. Only a user holds a role over a
-- unit, so both the unit and the user have a foreign key: deleting either,
-- by this qrpin or an older one, deletes the assignments.

-- +goose Up

CREATE TABLE unit_role_assignments (
    id                 TEXT NOT NULL PRIMARY KEY,
    principal_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_definition_id TEXT NOT NULL,
    unit_id            TEXT NOT NULL REFERENCES administrative_units (id) ON DELETE CASCADE,
    UNIQUE (principal_id, role_definition_id, unit_id)
) STRICT;

CREATE INDEX unit_role_assignments_unit_id ON unit_role_assignments (unit_id);

-- +goose Down

-- An older qrpin has no scoped assignments: they go with the table.
DROP TABLE unit_role_assignments;
