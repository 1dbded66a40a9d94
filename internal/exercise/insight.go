package exercise

import (
	"context"

	"care/internal/org"
)

// ExercisedIn is the exercises' figure for the programme's view: each live
// health establishment under roots that finished a crisis exercise in year
// ("with"), an exercise of a site counting for its establishment — the rule of
// the yearly view (Yearly), which medico-social structures are outside of.
func (s *Service) ExercisedIn(ctx context.Context, roots []string, year int, fn func(path, key string, n int64)) error {
	from, to := yearBounds(year)
	return org.EachUnder(ctx, s.DB.Read, "exercise: finished in a year", roots, func(path, key string) { fn(path, key, 1) },
		`SELECT DISTINCT o.path, 'with' FROM exercises e JOIN orgs x ON x.id = e.org_id
		JOIN orgs o ON o.id = CASE WHEN x.level = 'site' THEN x.parent_id ELSE x.id END
		WHERE e.status IN ('finished', 'closed') AND e.finished_at >= $1 AND e.finished_at < $2 AND o.level = 'legal_entity' AND o.kind = 'ES'`,
		from, to)
}
