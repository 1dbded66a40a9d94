package directory

import (
	"context"
	"fmt"
	"strconv"

	"care/internal/authz"
	"care/internal/platform/db"
)

// LatestLevels is the directory's figure for the programme's view: the ANSSI
// level of each live node's latest audit under roots.
func (s *Service) LatestLevels(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	scope, args := authz.ScopeClause("o.path", roots, 1)
	return db.Each(ctx, s.DB.Read, fmt.Sprintf("directory: latest levels under %v", roots), func(r db.Row) error {
		var path string
		var level int
		if err := r.Scan(&path, &level); err != nil {
			return err
		}
		fn(path, strconv.Itoa(level), 1)
		return nil
	}, "SELECT o.path, a.level FROM directory_audits a JOIN orgs o ON o.id = a.org_id WHERE a.latest AND o.archived_at IS NULL AND "+scope, args...)
}
