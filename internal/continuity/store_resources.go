package continuity

// The SQL of the register of resources, and of the tree below a node as the
// coverage rule reads it.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
)

const resourceColumns = `r.id, r.org_id, o.name, o.path, r.catalogue_id, r.name, r.kind, r.rto_hours, r.rpo_hours, r.backup_scheme, r.offline_copy, r.immutable_copy, r.last_restore_test, r.owner`

func scanResource(row db.Row) (ResourceRow, error) {
	var r ResourceRow
	var rto, rpo sql.NullInt64
	var test sql.NullTime
	err := row.Scan(&r.ID, &r.OrgID, &r.OrgName, &r.OrgPath, &r.CatalogueID, &r.Name, &r.Kind, &rto, &rpo, &r.BackupScheme, &r.OfflineCopy, &r.ImmutableCopy, &test, &r.Owner)
	r.RTO, r.RPO, r.LastRestoreTest = intPtr(rto), intPtr(rpo), db.TimePtr(test)
	return r, err
}

func insertResource(ctx context.Context, tx *sql.Tx, r ResourceRow, now time.Time) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO resources (org_id, catalogue_id, name, kind, rto_hours, rpo_hours, backup_scheme, offline_copy, immutable_copy, last_restore_test, owner, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id`, r.OrgID, r.CatalogueID, r.Name, r.Kind, nullInt(r.RTO), nullInt(r.RPO),
		r.BackupScheme, r.OfflineCopy, r.ImmutableCopy, r.LastRestoreTest, r.Owner, now).Scan(&id); err != nil {
		return 0, fmt.Errorf("continuity: add resource %q to %d: %w", r.Name, r.OrgID, err)
	}
	return id, nil
}

func getResource(ctx context.Context, q db.Querier, id int64) (ResourceRow, error) {
	return db.One(ctx, q, fmt.Sprintf("continuity: read resource %d", id), scanResource, "SELECT "+resourceColumns+" FROM resources r JOIN orgs o ON o.id = r.org_id WHERE r.id = $1", id)
}

// resourcesFor reads the register entries usable under the node at path — held
// in its subtree or by its ancestors (shared) — among those held in the subtrees
// at roots (the ones the caller sees), by name.
func resourcesFor(ctx context.Context, q db.Querier, path string, roots []string) ([]ResourceRow, error) {
	scope, args := authz.ScopeClause("o.path", roots, 3)
	return db.List(ctx, q, "continuity: list the resources for "+path, scanResource, "SELECT "+resourceColumns+` FROM resources r JOIN orgs o ON o.id = r.org_id
		WHERE o.archived_at IS NULL AND ((o.path >= $1 AND o.path < $2) OR $1 LIKE o.path || '%') AND `+scope+` ORDER BY r.name`,
		append([]any{path, authz.SubtreeEnd(path)}, args...)...)
}

// ---- the tree below a node ----

// nodesUnder reads the nodes of the given levels in the subtree at path (the
// node itself included), not archived, by path.
func nodesUnder(ctx context.Context, q db.Querier, path string, levels ...org.Level) ([]org.Org, error) {
	args := []any{path, authz.SubtreeEnd(path)}
	ors := make([]string, len(levels))
	for i, l := range levels {
		args = append(args, string(l))
		ors[i] = fmt.Sprintf("level = $%d", len(args))
	}
	return db.List(ctx, q, fmt.Sprintf("continuity: list the nodes %v under %s", levels, path), func(row db.Row) (org.Org, error) {
		var o org.Org
		err := row.Scan(&o.ID, &o.Name, &o.Path, &o.Level, &o.ActivityWeight)
		return o, err
	}, `SELECT id, name, path, level, activity_weight FROM orgs
		WHERE archived_at IS NULL AND path >= $1 AND path < $2 AND (`+strings.Join(ors, " OR ")+`) ORDER BY path`, args...)
}

// coveredPaths reads the paths of the nodes in the subtree at path that have a
// generated plan, and the tests done there: two statements.
func coveredPaths(ctx context.Context, q db.Querier, path string) (map[string]bool, []heldTest, error) {
	planned, err := db.List(ctx, q, "continuity: list the plans under "+path, func(row db.Row) (string, error) {
		var p string
		err := row.Scan(&p)
		return p, err
	}, `SELECT DISTINCT o.path FROM plan_versions v JOIN orgs o ON o.id = v.org_id WHERE o.path >= $1 AND o.path < $2`, path, authz.SubtreeEnd(path))
	if err != nil {
		return nil, nil, err
	}
	plans := map[string]bool{}
	for _, p := range planned {
		plans[p] = true
	}
	tests, err := db.List(ctx, q, "continuity: list the tests done under "+path, func(row db.Row) (heldTest, error) {
		var h heldTest
		var done sql.NullTime
		err := row.Scan(&h.path, &h.Kind, &done)
		h.DoneOn = db.TimePtr(done)
		return h, err
	}, `SELECT o.path, t.kind, t.done_on FROM plan_tests t JOIN orgs o ON o.id = t.org_id WHERE o.path >= $1 AND o.path < $2 AND t.done_on IS NOT NULL`,
		path, authz.SubtreeEnd(path))
	return plans, tests, err
}

// heldTest is a done test with the path of the node it was made for.
type heldTest struct {
	PlanTest
	path string
}
