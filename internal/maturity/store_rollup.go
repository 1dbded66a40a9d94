package maturity

import (
	"context"
	"database/sql"
	"fmt"

	"care/internal/authz"
	"care/internal/platform/db"
)

// childNodes lists the live children of node, by name, with empty tallies.
func childNodes(ctx context.Context, q db.Querier, node int64) ([]RollUpRow, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, name, level FROM orgs WHERE parent_id = $1 AND archived_at IS NULL ORDER BY name", node)
	if err != nil {
		return nil, fmt.Errorf("maturity: list children of %d: %w", node, err)
	}
	defer rows.Close()
	var out []RollUpRow
	for rows.Next() {
		c := RollUpRow{Tally: newTally()}
		if err := rows.Scan(&c.OrgID, &c.Name, &c.Level); err != nil {
			return nil, fmt.Errorf("maturity: read child of %d: %w", node, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// eachLatest calls fn with every latest validated assessment of questionnaire slug
// whose live establishment lies under roots: the establishment's path and the
// frozen result.
func eachLatest(ctx context.Context, q db.Querier, slug string, roots []string, fn func(path, level string, percent float64, themes string)) error {
	scope, args := authz.ScopeClause("o.path", roots, 2)
	return db.Each(ctx, q, fmt.Sprintf("maturity: list the latest %s assessments", slug), func(r db.Row) error {
		var path, level, themes string
		var percent sql.NullFloat64
		if err := r.Scan(&path, &level, &percent, &themes); err != nil {
			return err
		}
		fn(path, level, percent.Float64, themes)
		return nil
	}, `SELECT o.path, a.level, a.percent, a.theme_scores FROM assessments a
		JOIN orgs o ON o.id = a.org_id JOIN questionnaires q ON q.id = a.questionnaire_id
		WHERE a.latest = TRUE AND o.archived_at IS NULL AND q.slug = $1 AND `+scope, append([]any{slug}, args...)...)
}
