package directory

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"care/internal/authz"
	orgs "care/internal/org"
	"care/internal/platform/problem"
)

// RollUpRow is one audited node of a subtree with its latest audit.
type RollUpRow struct {
	OrgID       int64
	Name        string
	Level       string // the node's level in the tree (ght, legal_entity, site)
	Domain      string
	AuditID     int64
	DomainLevel int
	CollectedAt time.Time
	Open        int // checkpoints to fix
}

// RollUp is the directory picture of a subtree (a GHT, a region, the nation):
// every audited node the caller may read, worst first, and how many sit at each level.
type RollUp struct {
	Rows    []RollUpRow
	ByLevel [6]int // index 1–5
}

// LevelCount is how many audited nodes sit at a level.
type LevelCount struct{ Level, Count int }

// Distribution lists the count of audited nodes at each level, 1 to 5.
func (r RollUp) Distribution() []LevelCount {
	out := make([]LevelCount, 0, 5)
	for l := 1; l <= 5; l++ {
		out = append(out, LevelCount{l, r.ByLevel[l]})
	}
	return out
}

// RollUp gathers the latest audit of every node in the subtree of org.
func (s *Service) RollUp(ctx context.Context, org int64) (RollUp, error) {
	path, err := node(ctx, s.DB.Read, org, authz.OrgRead)
	if err != nil {
		return RollUp{}, err
	}
	scope, args := authz.ScopeClause("o.path", authz.Narrow(subject(ctx).Scope(authz.OrgRead), path), 1)
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT o.id, o.name, o.level, a.domain, a.id, a.level, a.collected_at,
		(SELECT COUNT(*) FROM directory_checkpoints c WHERE c.org_id = o.id AND c.status = 'open')
		FROM directory_audits a JOIN orgs o ON o.id = a.org_id
		WHERE o.archived_at IS NULL AND `+scope+`
		AND a.id = (SELECT l.id FROM directory_audits l WHERE l.org_id = a.org_id ORDER BY l.collected_at DESC, l.id DESC LIMIT 1)
		ORDER BY a.level, o.name`, args...)
	if err != nil {
		return RollUp{}, err
	}
	defer rows.Close()
	var r RollUp
	for rows.Next() {
		var row RollUpRow
		if err := rows.Scan(&row.OrgID, &row.Name, &row.Level, &row.Domain, &row.AuditID, &row.DomainLevel, &row.CollectedAt, &row.Open); err != nil {
			return RollUp{}, err
		}
		r.Rows = append(r.Rows, row)
		if row.DomainLevel >= 1 && row.DomainLevel <= 5 {
			r.ByLevel[row.DomainLevel]++
		}
	}
	return r, rows.Err()
}

// auditable checks that an audit may be attached to org: a GHT (a shared
// directory), an establishment or a site — not a region or the nation.
func (s *Service) auditable(ctx context.Context, org int64) error {
	var level string
	err := s.DB.Read.QueryRowContext(ctx, "SELECT level FROM orgs WHERE id = $1", org).Scan(&level)
	if errors.Is(err, sql.ErrNoRows) {
		return problem.ErrNotFound
	}
	if err != nil {
		return err
	}
	switch orgs.Level(level) {
	case orgs.GHT, orgs.LegalEntity, orgs.Site:
		return nil
	}
	return problem.New(problem.Conflict, "directory.error.not_auditable")
}
