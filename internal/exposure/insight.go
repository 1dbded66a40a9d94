package exposure

import (
	"context"
	"fmt"
	"strconv"

	"care/internal/authz"
	"care/internal/platform/db"
)

// LatestLevels is exposure's figure for the programme's view: the level of each
// live node's latest finished scan under roots.
func (s *Service) LatestLevels(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	scope, args := authz.ScopeClause("o.path", roots, 1)
	return db.Each(ctx, s.DB.Read, fmt.Sprintf("exposure: latest levels under %v", roots), func(r db.Row) error {
		var path string
		var level int
		if err := r.Scan(&path, &level); err != nil {
			return err
		}
		fn(path, strconv.Itoa(level), 1)
		return nil
	}, "SELECT o.path, s.level FROM exposure_scans s JOIN orgs o ON o.id = s.org_id WHERE s.latest AND s.level IS NOT NULL AND o.archived_at IS NULL AND "+scope, args...)
}
