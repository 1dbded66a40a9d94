package catalogue

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"care/internal/platform/db"
)

// listYears reads an establishment's counts, newest year first.
func listYears(ctx context.Context, q db.Querier, orgID int64) ([]Year, error) {
	type row struct {
		year int
		c    Count
	}
	rows, err := db.List(ctx, q, fmt.Sprintf("catalogue: awareness of %d", orgID), func(r db.Row) (row, error) {
		var x row
		err := r.Scan(&x.year, &x.c.Population, &x.c.Staff, &x.c.Trained)
		return x, err
	}, "SELECT year, population, staff, trained FROM awareness_counts WHERE org_id = $1 ORDER BY year DESC", orgID)
	var out []Year
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].Year != r.year {
			out = append(out, Year{Year: r.year})
		}
		out[len(out)-1].Counts = append(out[len(out)-1].Counts, r.c)
	}
	for i := range out {
		slices.SortFunc(out[i].Counts, func(a, b Count) int {
			return slices.Index(Populations, a.Population) - slices.Index(Populations, b.Population)
		})
	}
	return out, err
}

// replaceYear stores the counts of one year instead of those stored.
func replaceYear(ctx context.Context, tx *sql.Tx, orgID int64, year int, counts []Count, by any, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM awareness_counts WHERE org_id = $1 AND year = $2", orgID, year); err != nil {
		return fmt.Errorf("catalogue: clear awareness %d of %d: %w", year, orgID, err)
	}
	for _, c := range counts {
		if _, err := tx.ExecContext(ctx, "INSERT INTO awareness_counts (org_id, year, population, staff, trained, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			orgID, year, c.Population, c.Staff, c.Trained, by, at); err != nil {
			return fmt.Errorf("catalogue: store awareness %d of %d: %w", year, orgID, err)
		}
	}
	return nil
}
