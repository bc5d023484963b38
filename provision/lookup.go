package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/graphclient"
)

// found is what the directory holds for a row.
type found struct {
	byEmployee []graphclient.User // the users with the row's employee id
	byUPN      *graphclient.User  // the user with the row's UPN (looked up when no employee id matched)
}

// lookup finds the directory's users for rows, in JSON batches: by
// employee id, then by UPN for the rows no employee id matched. Rows whose
// UPN or employee id Graph would refuse (errors already) are not looked up.
func lookup(ctx context.Context, g *graphclient.Client, rows []Row) ([]found, error) {
	out := make([]found, len(rows))
	var reqs []graphclient.BatchRequest
	var which []int
	for i, r := range rows {
		if admin.ValidUPN(r.UPN) && r.EmployeeID != "" && utf8.RuneCountInString(r.EmployeeID) <= admin.MaxEmployeeIDLength {
			reqs = append(reqs, graphclient.BatchRequest{URL: graphclient.UsersByEmployeeIDPath(r.EmployeeID)})
			which = append(which, i)
		}
	}
	answers, err := g.Batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	for k, a := range answers {
		var page struct {
			Value []graphclient.User `json:"value"`
		}
		if err := decodeAnswer(a, &page); err != nil {
			return nil, fmt.Errorf("row %d: look up employee id %s: %w", rows[which[k]].Line, rows[which[k]].EmployeeID, err)
		}
		out[which[k]].byEmployee = page.Value
	}
	reqs, which = reqs[:0], which[:0]
	for i, r := range rows {
		if admin.ValidUPN(r.UPN) && len(out[i].byEmployee) == 0 {
			reqs = append(reqs, graphclient.BatchRequest{URL: graphclient.UserByUPNPath(r.UPN)})
			which = append(which, i)
		}
	}
	if answers, err = g.Batch(ctx, reqs); err != nil {
		return nil, err
	}
	for k, a := range answers {
		if a.Status == http.StatusNotFound {
			continue
		}
		var u graphclient.User
		if err := decodeAnswer(a, &u); err != nil {
			return nil, fmt.Errorf("row %d: look up %s: %w", rows[which[k]].Line, rows[which[k]].UPN, err)
		}
		out[which[k]].byUPN = &u
	}
	return out, nil
}

// decodeAnswer decodes a batch answer's body, or returns its error.
func decodeAnswer(a graphclient.BatchResponse, v any) error {
	if err := a.Err(); err != nil {
		return err
	}
	return json.Unmarshal(a.Body, v)
}
