package continuity

// The SQL of activities and their BIA: impacts and dependencies.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
)

const activityColumns = `a.id, a.org_id, o.name, o.path, o.level, a.catalogue_id, a.name, a.type, a.description, a.minimum_staff, a.peak_periods,
	a.pdma_hours, a.dmia_override_hours, a.dmia_justification, a.bia_updated_at, a.review_due`

func scanActivity(row db.Row) (Activity, error) {
	var a Activity
	var pdma, override sql.NullInt64
	var bia, due sql.NullTime
	err := row.Scan(&a.ID, &a.OrgID, &a.OrgName, &a.OrgPath, &a.OrgLevel, &a.CatalogueID, &a.Name, &a.Type, &a.Description, &a.MinimumStaff, &a.PeakPeriods,
		&pdma, &override, &a.DMIAJustification, &bia, &due)
	a.PDMA, a.DMIAOverride, a.BIAUpdatedAt, a.ReviewDue = intPtr(pdma), intPtr(override), db.TimePtr(bia), db.TimePtr(due)
	return a, err
}

// getActivity reads activity id (not archived) with the name and path of its
// node, without its impacts and dependencies (fillActivities).
func getActivity(ctx context.Context, q db.Querier, id int64) (Activity, error) {
	return db.One(ctx, q, fmt.Sprintf("continuity: read activity %d", id), scanActivity,
		"SELECT "+activityColumns+" FROM activities a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1 AND a.archived_at IS NULL", id)
}

// activitiesUnder reads the activities in the subtree at path, by node, type and
// name, without their impacts and dependencies (fillActivities).
func activitiesUnder(ctx context.Context, q db.Querier, path string) ([]Activity, error) {
	return db.List(ctx, q, "continuity: list the activities under "+path, scanActivity, "SELECT "+activityColumns+` FROM activities a JOIN orgs o ON o.id = a.org_id
		WHERE a.archived_at IS NULL AND o.archived_at IS NULL AND o.path >= $1 AND o.path < $2 ORDER BY o.path, a.type, a.name`, path, authz.SubtreeEnd(path))
}

// fillActivities reads the impacts and dependencies of activities, two
// statements whatever their number.
func fillActivities(ctx context.Context, q db.Querier, acts []Activity) error {
	if len(acts) == 0 {
		return nil
	}
	index := map[int64]int{}
	ids := make([]int64, len(acts))
	for i := range acts {
		index[acts[i].ID] = i
		acts[i].Impacts = Impacts{}
		ids[i] = acts[i].ID
	}
	in := idList(ids)
	type impact struct {
		activity int64
		crit, h  string
		level    int
	}
	impacts, err := db.List(ctx, q, "continuity: list the impacts of activities "+in, func(row db.Row) (impact, error) {
		var i impact
		err := row.Scan(&i.activity, &i.crit, &i.h, &i.level)
		return i, err
	}, "SELECT activity_id, criterion, horizon, level FROM activity_impacts WHERE activity_id IN "+in)
	if err != nil {
		return err
	}
	for _, i := range impacts {
		a := &acts[index[i.activity]]
		if a.Impacts[i.crit] == nil {
			a.Impacts[i.crit] = map[Horizon]int{}
		}
		a.Impacts[i.crit][Horizon(i.h)] = i.level
	}
	type dependency struct {
		activity int64
		Dependency
	}
	deps, err := db.List(ctx, q, "continuity: list the dependencies of activities "+in, func(row db.Row) (dependency, error) {
		var d dependency
		err := row.Scan(&d.activity, &d.ResourceID, &d.Name, &d.Kind, &d.Critical)
		return d, err
	}, `SELECT d.activity_id, d.resource_id, r.name, r.kind, d.critical FROM activity_dependencies d
		JOIN resources r ON r.id = d.resource_id WHERE d.activity_id IN `+in+` ORDER BY r.name`)
	if err != nil {
		return err
	}
	for _, d := range deps {
		a := &acts[index[d.activity]]
		a.Dependencies = append(a.Dependencies, d.Dependency)
	}
	return nil
}

func insertActivity(ctx context.Context, tx *sql.Tx, in NewActivity, staff string, pdma *int, now time.Time) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO activities (org_id, catalogue_id, name, type, description, minimum_staff, pdma_hours, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, in.OrgID, in.CatalogueID, in.Name, in.Type, in.Description, staff, nullInt(pdma), now).Scan(&id); err != nil {
		return 0, fmt.Errorf("continuity: add activity %q to %d: %w", in.Name, in.OrgID, err)
	}
	return id, nil
}

// replaceBIA writes activity id's impacts and dependencies over the previous
// ones, and its BIA fields.
func replaceBIA(ctx context.Context, tx *sql.Tx, id int64, b BIA, staff, peaks, justification string, now time.Time) error {
	for _, q := range []string{"DELETE FROM activity_impacts WHERE activity_id = $1", "DELETE FROM activity_dependencies WHERE activity_id = $1"} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("continuity: clear the BIA of activity %d: %w", id, err)
		}
	}
	for crit, byHorizon := range b.Impacts {
		for h, level := range byHorizon {
			if _, err := tx.ExecContext(ctx, "INSERT INTO activity_impacts (activity_id, criterion, horizon, level) VALUES ($1, $2, $3, $4)", id, crit, string(h), level); err != nil {
				return fmt.Errorf("continuity: write impact %s %s of activity %d: %w", crit, h, id, err)
			}
		}
	}
	for _, d := range b.Dependencies {
		if _, err := tx.ExecContext(ctx, "INSERT INTO activity_dependencies (activity_id, resource_id, critical) VALUES ($1, $2, $3)", id, d.ResourceID, d.Critical); err != nil {
			return fmt.Errorf("continuity: write the dependency of activity %d on %d: %w", id, d.ResourceID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE activities SET pdma_hours = $1, dmia_override_hours = $2, dmia_justification = $3, minimum_staff = $4,
		peak_periods = $5, bia_updated_at = $6, updated_at = $6, review_due = $7 WHERE id = $8`, nullInt(b.PDMA), nullInt(b.DMIAOverride), justification, staff, peaks, now, b.ReviewDue, id); err != nil {
		return fmt.Errorf("continuity: write the BIA of activity %d: %w", id, err)
	}
	return nil
}

// resourcePaths reads the node paths of the resources ids, among those held in
// the subtrees at roots (the ones the caller sees): one statement.
func resourcePaths(ctx context.Context, q db.Querier, ids []int64, roots []string) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	type held struct {
		id   int64
		path string
	}
	scope, args := authz.ScopeClause("o.path", roots, 1)
	rows, err := db.List(ctx, q, fmt.Sprintf("continuity: read the holders of resources %v", ids), func(row db.Row) (held, error) {
		var h held
		err := row.Scan(&h.id, &h.path)
		return h, err
	}, "SELECT r.id, o.path FROM resources r JOIN orgs o ON o.id = r.org_id WHERE r.id IN "+idList(ids)+" AND "+scope, args...)
	if err != nil {
		return nil, err
	}
	for _, h := range rows {
		out[h.id] = h.path
	}
	return out, nil
}
