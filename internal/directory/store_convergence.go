package directory

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"care/internal/authz"
	orgs "care/internal/org"
	"care/internal/platform/db"
)

// getPlan reads the convergence plan of GHT ght; set is false when none was
// recorded.
func getPlan(ctx context.Context, q db.Querier, ght int64) (p Plan, updated *time.Time, set bool, err error) {
	var at time.Time
	set, err = found(q.QueryRowContext(ctx, "SELECT target, note, updated_at FROM directory_convergence WHERE org_id = $1", ght).Scan(&p.Target, &p.Note, &at),
		fmt.Sprintf("convergence of %d", ght))
	if err != nil || !set {
		return Plan{Milestones: []Milestone{}}, nil, false, err
	}
	p.Milestones, err = db.List(ctx, q, fmt.Sprintf("directory: milestones of %d", ght), func(sc db.Row) (m Milestone, err error) {
		return m, sc.Scan(&m.Title, &m.DueOn, &m.Owner, &m.Done)
	}, "SELECT title, due_on, owner, done FROM directory_milestones WHERE org_id = $1 ORDER BY position", ght)
	if p.Milestones == nil {
		p.Milestones = []Milestone{}
	}
	return p, &at, true, err
}

// putPlan replaces the plan of GHT ght.
func putPlan(ctx context.Context, tx *sql.Tx, ght, by int64, p Plan, now time.Time) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM directory_milestones WHERE org_id = $1", ght); err != nil {
		return fmt.Errorf("directory: clear the milestones of %d: %w", ght, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO directory_convergence (org_id, target, note, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (org_id) DO UPDATE SET target = excluded.target, note = excluded.note, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		ght, p.Target, p.Note, db.NullID(by), now); err != nil {
		return fmt.Errorf("directory: save the convergence of %d: %w", ght, err)
	}
	for i, m := range p.Milestones {
		if _, err := tx.ExecContext(ctx, "INSERT INTO directory_milestones (org_id, position, title, due_on, owner, done) VALUES ($1, $2, $3, $4, $5, $6)",
			ght, i, m.Title, m.DueOn, m.Owner, m.Done); err != nil {
			return fmt.Errorf("directory: save milestone %d of %d: %w", i, ght, err)
		}
	}
	return nil
}

// convergenceMembers lists the establishments of GHT ght within roots, by name.
func convergenceMembers(ctx context.Context, q db.Querier, ght int64, roots []string) ([]Member, error) {
	scope, args := authz.ScopeClause("path", roots, 2)
	return db.List(ctx, q, fmt.Sprintf("directory: members of %d", ght), func(sc db.Row) (m Member, err error) {
		return m, sc.Scan(&m.OrgID, &m.Name)
	}, `SELECT id, name FROM orgs WHERE parent_id = $1 AND level = 'legal_entity' AND archived_at IS NULL AND `+scope+` ORDER BY name, id`,
		append([]any{ght}, args...)...)
}

// memberAudit is one audit of a node of a GHT, with the node's parent.
type memberAudit struct {
	ID, OrgID, ParentID int64
	Domain              string
	Level               int
	CollectedAt         time.Time
}

// convergenceAudits lists every audit of the nodes within roots, oldest first.
func convergenceAudits(ctx context.Context, q db.Querier, roots []string) ([]memberAudit, error) {
	scope, args := authz.ScopeClause("o.path", roots, 1)
	return db.List(ctx, q, fmt.Sprintf("directory: audits under %v", roots), func(sc db.Row) (a memberAudit, err error) {
		return a, sc.Scan(&a.ID, &a.OrgID, &a.ParentID, &a.Domain, &a.Level, &a.CollectedAt)
	}, `SELECT a.id, a.org_id, COALESCE(o.parent_id, 0), a.domain, a.level, a.collected_at FROM directory_audits a JOIN orgs o ON o.id = a.org_id
		WHERE o.archived_at IS NULL AND `+scope+` ORDER BY a.collected_at, a.id`, args...)
}

// parentGHT is the GHT legal entity o belongs to; ok is false when it hangs
// under its region.
func parentGHT(ctx context.Context, q db.Querier, o orgs.Org) (orgs.Org, bool, error) {
	ids := orgs.PathIDs(o.Path)
	if len(ids) < 2 {
		return orgs.Org{}, false, nil
	}
	var p orgs.Org
	ok, err := found(q.QueryRowContext(ctx, "SELECT id, path, level, name FROM orgs WHERE id = $1 AND archived_at IS NULL", ids[len(ids)-2]).Scan(&p.ID, &p.Path, &p.Level, &p.Name),
		fmt.Sprintf("parent of %d", o.ID))
	return p, ok && p.Level == orgs.GHT, err
}
