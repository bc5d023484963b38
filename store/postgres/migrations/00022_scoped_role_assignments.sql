-- Role assignments gain a scope: unit_id is the administrative unit the
-- role is scoped to, '' for the whole tenant (every existing assignment).
-- A principal may hold one role over several scopes, so the uniqueness rule
-- takes the scope in (its index still leads with principal_id, for a
-- principal's assignments). unit_id has no foreign key ('' names no unit):
-- DeleteUnit removes the assignments scoped to the unit.

-- +goose Up

ALTER TABLE role_assignments ADD COLUMN unit_id text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE role_assignments DROP CONSTRAINT role_assignments_principal_id_role_definition_id_key;
ALTER TABLE role_assignments ADD CONSTRAINT role_assignments_principal_role_unit_key
    UNIQUE (principal_id, role_definition_id, unit_id);
CREATE INDEX role_assignments_unit_id ON role_assignments (unit_id);

-- +goose Down

DELETE FROM role_assignments WHERE unit_id <> '';
DROP INDEX role_assignments_unit_id;
ALTER TABLE role_assignments DROP CONSTRAINT role_assignments_principal_role_unit_key;
ALTER TABLE role_assignments ADD CONSTRAINT role_assignments_principal_id_role_definition_id_key
    UNIQUE (principal_id, role_definition_id);
ALTER TABLE role_assignments DROP COLUMN unit_id;
