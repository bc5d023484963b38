package provision

import (
	"context"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/graphclient"
)

// found is what the directory holds for a row.
type found struct {
	byEmployee []graphclient.User // the users with the row's employee id
	byUPN      *graphclient.User  // the user with the row's UPN (looked up when no employee id matched)
}

// lookupParallel bounds the lookups in flight.
const lookupParallel = 8

// lookup finds the directory's users for rows: by employee id, then by UPN
// for the rows no employee id matched.
func lookup(ctx context.Context, g *graphclient.Client, rows []Row) ([]found, error) {
	out := make([]found, len(rows))
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(lookupParallel)
	for i, r := range rows {
		if !admin.ValidUPN(r.UPN) {
			continue // an error already; Graph would refuse the lookup
		}
		eg.Go(func() error {
			if r.EmployeeID != "" && utf8.RuneCountInString(r.EmployeeID) <= admin.MaxEmployeeIDLength {
				us, err := g.UsersByEmployeeID(ctx, r.EmployeeID)
				if err != nil {
					return err
				}
				out[i].byEmployee = us
				if len(us) > 0 {
					return nil
				}
			}
			u, err := g.UserByUPN(ctx, r.UPN)
			out[i].byUPN = u
			return err
		})
	}
	return out, eg.Wait()
}
