package funding

import (
	"context"
	"fmt"

	"care/internal/authz"
	"care/internal/platform/db"
)

// CandidatureStates is funding's figure for the programme's view: each
// candidature of a live node under roots, keyed "call/status".
func (s *Service) CandidatureStates(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	scope, args := authz.ScopeClause("o.path", roots, 1)
	return db.Each(ctx, s.DB.Read, fmt.Sprintf("funding: candidatures under %v", roots), func(r db.Row) error {
		var path, call, status string
		if err := r.Scan(&path, &call, &status); err != nil {
			return err
		}
		fn(path, call+"/"+status, 1)
		return nil
	}, "SELECT o.path, c.call_id, c.status FROM funding_candidatures c JOIN orgs o ON o.id = c.org_id WHERE o.archived_at IS NULL AND "+scope, args...)
}
