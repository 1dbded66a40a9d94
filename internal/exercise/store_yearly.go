package exercise

import (
	"context"
	"errors"
	"fmt"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// yearlyBase selects the health legal entities of the scope with their candidate
// category and whether an exercise of the entity or of one of its sites finished
// within [$1, $2); the scope clause follows, its placeholders from $3. One query
// over the whole scope: the national view counts about 38,000 structures.
var yearlyBase = `SELECT o.id AS id, o.name AS name, COALESCE(o.finess, '') AS finess, p.name AS parent_name, ` + org.CandidateCategorySQL("o", "p") + ` AS category,
	CASE WHEN EXISTS (SELECT 1 FROM exercises e WHERE e.org_id = o.id
			AND e.status IN ('finished', 'closed') AND e.finished_at >= $1 AND e.finished_at < $2)
		OR EXISTS (SELECT 1 FROM orgs s JOIN exercises e ON e.org_id = s.id WHERE s.parent_id = o.id
			AND e.status IN ('finished', 'closed') AND e.finished_at >= $1 AND e.finished_at < $2)
		THEN 1 ELSE 0 END AS done
	FROM orgs o JOIN orgs p ON p.id = o.parent_id
	WHERE o.level = 'legal_entity' AND o.kind = 'ES' AND o.archived_at IS NULL AND `

// yearlyCounts counts the establishments of the scope, and those with an
// exercise in [from, to), by candidate category.
func yearlyCounts(ctx context.Context, q db.Querier, roots []string, from, to time.Time) (map[string]YearlyCategory, error) {
	scope, args := authz.ScopeClause("o.path", roots, 3)
	rows, err := db.List(ctx, q, fmt.Sprintf("exercise: yearly counts of %v", roots), func(sc db.Row) (c YearlyCategory, err error) {
		return c, sc.Scan(&c.Category, &c.Total, &c.WithExercise)
	}, `SELECT y.category, COUNT(*), COALESCE(SUM(y.done), 0) FROM (`+yearlyBase+scope+`) y GROUP BY y.category`,
		append([]any{from.UTC(), to.UTC()}, args...)...)
	if err != nil {
		return nil, err
	}
	out := make(map[string]YearlyCategory, len(rows))
	for _, c := range rows {
		out[c.Category] = c
	}
	return out, nil
}

// yearlyMissing lists a page of the establishments of the scope without an
// exercise in [from, to), by name.
func yearlyMissing(ctx context.Context, q db.Querier, roots []string, from, to time.Time, limit, offset int) ([]Missing, error) {
	scope, args := authz.ScopeClause("o.path", roots, 3)
	n := 3 + len(args)
	return db.List(ctx, q, fmt.Sprintf("exercise: yearly missing of %v", roots), func(sc db.Row) (m Missing, err error) {
		return m, sc.Scan(&m.ID, &m.Name, &m.FINESS, &m.Parent, &m.Category)
	}, `SELECT y.id, y.name, y.finess, y.parent_name, y.category FROM (`+yearlyBase+scope+`) y WHERE y.done = 0 ORDER BY y.name, y.id LIMIT $`+fmt.Sprint(n)+` OFFSET $`+fmt.Sprint(n+1),
		append(append([]any{from.UTC(), to.UTC()}, args...), limit, offset)...)
}

// lastFinished is the last exercise of the subtree at path that finished within
// [from, to).
func lastFinished(ctx context.Context, q db.Querier, path string, from, to time.Time) (Finished, bool, error) {
	f, err := db.One(ctx, q, "exercise: last exercise finished under "+path, func(sc db.Row) (f Finished, err error) {
		return f, sc.Scan(&f.ID, &f.Title, &f.FinishedAt)
	}, `SELECT e.id, e.title, e.finished_at FROM exercises e JOIN orgs o ON o.id = e.org_id
		WHERE o.path >= $1 AND o.path < $2 AND e.status IN ('finished', 'closed') AND e.finished_at >= $3 AND e.finished_at < $4
		ORDER BY e.finished_at DESC, e.id DESC LIMIT 1`, path, authz.SubtreeEnd(path), from.UTC(), to.UTC())
	if errors.Is(err, problem.ErrNotFound) {
		return Finished{}, false, nil
	}
	return f, err == nil, err
}
