-- Users gain Graph's employeeId: the employee identifier the organization
-- assigned ('' for none). It is not unique (Entra does not make it so);
-- the index serves lookups by employee id ($filter=employeeId eq '...'),
-- in id order for paging. A store holds one tenant, so the tenant is not
-- part of the key.

-- +goose Up

ALTER TABLE users ADD COLUMN employee_id TEXT NOT NULL DEFAULT '';

CREATE INDEX users_employee_id ON users (employee_id, id);

-- +goose Down

DROP INDEX users_employee_id;
ALTER TABLE users DROP COLUMN employee_id;
