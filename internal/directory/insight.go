package directory

import (
	"context"

	"care/internal/org"
)

// LatestLevels is the directory's figure for the programme's view: the ANSSI
// level of each live node's latest audit under roots.
func (s *Service) LatestLevels(ctx context.Context, roots []string, _ int, fn func(path, key string, n int64)) error {
	return org.EachUnder(ctx, s.DB.Read, "directory: latest levels", roots, func(path, level string) { fn(path, level, 1) },
		"SELECT o.path, CAST(a.level AS TEXT) FROM directory_audits a JOIN orgs o ON o.id = a.org_id WHERE a.latest")
}
