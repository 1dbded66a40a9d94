package funding

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
)

const candidatureColumns = `c.id, c.org_id, o.name, o.path, c.call_id, c.domain, c.category, c.programme_version, c.status, c.reason,
COALESCE(su.name, ''), c.submitted_at, COALESCE(du.name, ''), c.decided_at, c.withdrawn_at`

const candidatureFrom = ` FROM funding_candidatures c JOIN orgs o ON o.id = c.org_id
LEFT JOIN users su ON su.id = c.submitted_by LEFT JOIN users du ON du.id = c.decided_by`

func scanCandidature(row db.Row) (Candidacy, error) {
	var c Candidacy
	var decided, withdrawn sql.NullTime
	err := row.Scan(&c.ID, &c.OrgID, &c.OrgName, &c.OrgPath, &c.Call, &c.Domain, &c.Category, &c.ProgrammeVersion, &c.Status, &c.Reason,
		&c.SubmittedBy, &c.SubmittedAt, &c.DecidedBy, &decided, &withdrawn)
	c.DecidedAt, c.WithdrawnAt = db.TimePtr(decided), db.TimePtr(withdrawn)
	return c, err
}

// getCandidature reads candidature id with its members, unchecked: the caller
// loads its node for access.
func getCandidature(ctx context.Context, q db.Querier, id int64) (Candidacy, error) {
	c, err := db.One(ctx, q, fmt.Sprintf("funding: read candidature %d", id), scanCandidature,
		"SELECT "+candidatureColumns+candidatureFrom+" WHERE c.id = $1", id)
	if err != nil {
		return c, err
	}
	c.Members, err = listMembers(ctx, q, id)
	return c, err
}

func listMembers(ctx context.Context, q db.Querier, id int64) ([]Member, error) {
	return db.List(ctx, q, fmt.Sprintf("funding: members of candidature %d", id), func(row db.Row) (Member, error) {
		var m Member
		return m, row.Scan(&m.OrgID, &m.Name)
	}, `SELECT m.org_id, o.name FROM funding_candidature_members m JOIN orgs o ON o.id = m.org_id
WHERE m.candidature_id = $1 ORDER BY o.name, o.id`, id)
}

// listCandidatures lists the candidatures whose node lies under one of roots,
// newest first.
func listCandidatures(ctx context.Context, q db.Querier, roots []string) ([]Candidacy, error) {
	where, args := authz.ScopeClause("o.path", roots, 1)
	return db.List(ctx, q, "funding: list candidatures", scanCandidature,
		"SELECT "+candidatureColumns+candidatureFrom+" WHERE "+where+" AND o.archived_at IS NULL ORDER BY c.submitted_at DESC, c.id DESC", args...)
}

// parentLevel is the level of node o's parent, "" for the root.
func parentLevel(ctx context.Context, q db.Querier, o org.Org) (org.Level, error) {
	if o.ParentID == 0 {
		return "", nil
	}
	return db.One(ctx, q, fmt.Sprintf("funding: parent of %d", o.ID), func(row db.Row) (org.Level, error) {
		var l org.Level
		return l, row.Scan(&l)
	}, "SELECT level FROM orgs WHERE id = $1", o.ParentID)
}

// candidatureOf is the id of node orgID's own candidature to call, 0 for none.
func candidatureOf(ctx context.Context, q db.Querier, orgID int64, call string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM funding_candidatures WHERE org_id = $1 AND call_id = $2", orgID, call).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("funding: candidature of %d to %s: %w", orgID, call, err)
	}
	return id, nil
}

// carriedBy is the id of a live candidature to call that carries establishment
// orgID as a member (its GHT's), 0 for none.
func carriedBy(ctx context.Context, q db.Querier, orgID int64, call string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT c.id FROM funding_candidature_members m JOIN funding_candidatures c ON c.id = m.candidature_id
WHERE m.org_id = $1 AND c.call_id = $2 AND c.status <> $3`, orgID, call, Withdrawn).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("funding: GHT candidature carrying %d to %s: %w", orgID, call, err)
	}
	return id, nil
}

// ghtMembers lists the health establishments of GHT g that have no candidature
// of their own to call: those its candidature carries.
func ghtMembers(ctx context.Context, q db.Querier, g org.Org, call string) ([]Member, error) {
	return db.List(ctx, q, fmt.Sprintf("funding: members of GHT %d", g.ID), func(row db.Row) (Member, error) {
		var m Member
		return m, row.Scan(&m.OrgID, &m.Name)
	}, `SELECT o.id, o.name FROM orgs o WHERE o.parent_id = $1 AND o.level = $2 AND o.kind = $3 AND o.archived_at IS NULL
AND NOT EXISTS (SELECT 1 FROM funding_candidatures c WHERE c.org_id = o.id AND c.call_id = $4 AND c.status <> $5)
ORDER BY o.name, o.id`, g.ID, string(org.LegalEntity), string(org.ES), call, Withdrawn)
}

func insertCandidature(ctx context.Context, tx *sql.Tx, c Candidacy, by int64) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO funding_candidatures (org_id, call_id, domain, category, programme_version, status, submitted_by, submitted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, c.OrgID, c.Call, c.Domain, c.Category, c.ProgrammeVersion, c.Status, db.NullID(by), c.SubmittedAt).Scan(&id); err != nil {
		return 0, fmt.Errorf("funding: store the candidature of %d to %s: %w", c.OrgID, c.Call, err)
	}
	for _, m := range c.Members {
		if _, err := tx.ExecContext(ctx, "INSERT INTO funding_candidature_members (candidature_id, org_id) VALUES ($1, $2)", id, m.OrgID); err != nil {
			return 0, fmt.Errorf("funding: store member %d of candidature %d: %w", m.OrgID, id, err)
		}
	}
	return id, nil
}

// setDecision records a decision on a submitted candidature; it reports false
// when the candidature was no longer submitted (a concurrent step).
func setDecision(ctx context.Context, tx *sql.Tx, id int64, status, reason string, by int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, "UPDATE funding_candidatures SET status = $1, reason = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND status = $6",
		status, reason, db.NullID(by), at, id, Submitted)
	if err != nil {
		return false, fmt.Errorf("funding: decide candidature %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// setWithdrawn withdraws a submitted candidature; false as setDecision.
func setWithdrawn(ctx context.Context, tx *sql.Tx, id int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, "UPDATE funding_candidatures SET status = $1, withdrawn_at = $2 WHERE id = $3 AND status = $4", Withdrawn, at, id, Submitted)
	if err != nil {
		return false, fmt.Errorf("funding: withdraw candidature %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// referents lists the e-mail addresses of the ARS referents of region id.
func referents(ctx context.Context, q db.Querier, region int64) ([]string, error) {
	return db.List(ctx, q, fmt.Sprintf("funding: ARS referents of %d", region), func(row db.Row) (string, error) {
		var s string
		return s, row.Scan(&s)
	}, `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.org_id = $1 AND m.role = $2 AND u.disabled_at IS NULL ORDER BY u.email`, region, string(authz.ReferentARS))
}

// submitterEmail is the address of who submitted candidature id, "" for none.
func submitterEmail(ctx context.Context, q db.Querier, id int64) (string, error) {
	var s sql.NullString
	err := q.QueryRowContext(ctx, `SELECT u.email FROM funding_candidatures c JOIN users u ON u.id = c.submitted_by
WHERE c.id = $1 AND u.disabled_at IS NULL`, id).Scan(&s)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("funding: submitter of candidature %d: %w", id, err)
	}
	return s.String, nil
}
