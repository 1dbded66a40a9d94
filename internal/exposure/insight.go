package exposure

import (
	"context"

	"care/internal/org"
)

// LatestLevels is exposure's figure for the programme's view: the level of each
// live node's latest finished scan under roots.
func (s *Service) LatestLevels(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	return org.EachUnder(ctx, s.DB.Read, "exposure: latest levels", roots, func(path, level string) { fn(path, level, 1) },
		"SELECT o.path, CAST(s.level AS TEXT) FROM exposure_scans s JOIN orgs o ON o.id = s.org_id WHERE s.latest AND s.level IS NOT NULL")
}
