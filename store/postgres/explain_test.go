package postgres

// explainedQuery is one of the statements behind the API's hot paths, for
// EXPLAIN: the test that checks their plans use indexes and the scale
// benchmark that prints them.
type explainedQuery struct {
	Name string
	SQL  string
	// Args returns its arguments for a user's id, UPN and standard code id.
	Args func(userID, upn, codeID string) []any
}

// Explained are the statements behind GET method by id and by UPN and the
// PIN reset: the user lookups, the caller's role assignments, the method
// read (alone, and with the user for an application's GET by id), and
// UpdateMethod's lock, code read and update.
var Explained = []explainedQuery{
	{"GetUser", getUserSQL, func(id, _, _ string) []any { return []any{id} }},
	{"GetUserByUPN", getUserByUPNSQL, func(_, upn, _ string) []any { return []any{upnKey(upn)} }},
	{"ListRoleAssignments(principal)", principalRolesSQL, func(id, _, _ string) []any { return []any{id} }},
	{"GetMethod", getMethodSQL, func(id, _, _ string) []any { return []any{id} }},
	{"GetUserWithMethod", getUserWithMethodSQL, func(id, _, _ string) []any { return []any{id} }},
	{"GetMethodByCode", getMethodByCodeSQL, func(_, _, code string) []any { return []any{code} }},
	{"UpdateMethod: lock", lockMethodSQL, func(id, _, _ string) []any { return []any{id} }},
	{"UpdateMethod: codes", methodCodesSQL, func(id, _, _ string) []any { return []any{id} }},
	{"UpdateMethod: update", updateMethodSQL, func(id, _, _ string) []any {
		return []any{id, nil, "hash", 8, true, nil, nil, 0, nil, false}
	}},
}
