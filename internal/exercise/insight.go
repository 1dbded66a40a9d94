package exercise

import (
	"context"
	"time"

	"care/internal/org"
)

// FinishedIn is the exercises' figure for the programme's view: each live legal
// entity under roots that finished a crisis exercise in year ("with"), counting
// an exercise of a site for its legal entity.
func (s *Service) FinishedIn(ctx context.Context, roots []string, year int, fn func(path, key string, n int64)) error {
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC)
	return org.EachUnder(ctx, s.DB.Read, "exercise: finished in a year", roots, func(path, key string) { fn(path, key, 1) },
		`SELECT DISTINCT o.path, 'with' FROM exercises e JOIN orgs x ON x.id = e.org_id
		JOIN orgs o ON o.id = CASE WHEN x.level = 'site' THEN x.parent_id ELSE x.id END
		WHERE e.status IN ('finished', 'closed') AND e.finished_at >= $1 AND e.finished_at < $2 AND o.level = 'legal_entity'`,
		from, from.AddDate(1, 0, 0))
}
