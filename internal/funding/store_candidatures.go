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
COALESCE(su.name, ''), c.submitted_at, COALESCE(du.name, ''), c.decided_at, c.withdrawn_at,
c.amount_requested, COALESCE(gu.name, ''), c.declared_at, c.control_reason, c.amount_granted, COALESCE(cu.name, ''), c.controlled_at,
c.payment_status, c.amount_paid, c.paid_on`

const candidatureFrom = ` FROM funding_candidatures c JOIN orgs o ON o.id = c.org_id
LEFT JOIN users su ON su.id = c.submitted_by LEFT JOIN users du ON du.id = c.decided_by
LEFT JOIN users gu ON gu.id = c.declared_by LEFT JOIN users cu ON cu.id = c.controlled_by`

func scanCandidature(row db.Row) (Candidacy, error) {
	var c Candidacy
	var decided, withdrawn, declared, controlled, paidOn sql.NullTime
	var requested, granted, paid sql.NullInt64
	err := row.Scan(&c.ID, &c.OrgID, &c.OrgName, &c.OrgPath, &c.Call, &c.Domain, &c.Category, &c.ProgrammeVersion, &c.Status, &c.Reason,
		&c.SubmittedBy, &c.SubmittedAt, &c.DecidedBy, &decided, &withdrawn,
		&requested, &c.DeclaredBy, &declared, &c.ControlReason, &granted, &c.ControlledBy, &controlled, &c.PaymentStatus, &paid, &paidOn)
	c.DecidedAt, c.WithdrawnAt = db.TimePtr(decided), db.TimePtr(withdrawn)
	c.DeclaredAt, c.ControlledAt, c.PaidOn = db.TimePtr(declared), db.TimePtr(controlled), db.TimePtr(paidOn)
	c.AmountRequested, c.AmountGranted, c.AmountPaid = intPtr(requested), intPtr(granted), intPtr(paid)
	return c, err
}

func intPtr(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
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
		return m, row.Scan(&m.OrgID, &m.Name, &m.Path)
	}, `SELECT m.org_id, o.name, o.path FROM funding_candidature_members m JOIN orgs o ON o.id = m.org_id
WHERE m.candidature_id = $1 ORDER BY o.name, o.id`, id)
}

// listCandidatures lists the candidatures whose node lies under one of roots,
// or that carry a member there, newest first: limit from offset, with the total.
func listCandidatures(ctx context.Context, q db.Querier, roots []string, limit, offset int) ([]Candidacy, int, error) {
	where, args := authz.ScopeClause("o.path", roots, 1)
	members, _ := authz.ScopeClause("mo.path", roots, 1) // the same arguments, numbered alike
	cond := " WHERE (" + where + ` OR EXISTS (SELECT 1 FROM funding_candidature_members m JOIN orgs mo ON mo.id = m.org_id
WHERE m.candidature_id = c.id AND mo.archived_at IS NULL AND ` + members + ")) AND o.archived_at IS NULL"
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*)"+candidatureFrom+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("funding: count candidatures: %w", err)
	}
	n := len(args)
	list, err := db.List(ctx, q, "funding: list candidatures", scanCandidature,
		"SELECT "+candidatureColumns+candidatureFrom+cond+fmt.Sprintf(" ORDER BY c.submitted_at DESC, c.id DESC LIMIT $%d OFFSET $%d", n+1, n+2), append(args, limit, offset)...)
	return list, total, err
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

// candidatureOf is the id and status of node orgID's own candidature to call,
// 0 for none.
func candidatureOf(ctx context.Context, q db.Querier, orgID int64, call string) (int64, string, error) {
	var id int64
	var status string
	err := q.QueryRowContext(ctx, "SELECT id, status FROM funding_candidatures WHERE org_id = $1 AND call_id = $2", orgID, call).Scan(&id, &status)
	if err == sql.ErrNoRows {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("funding: candidature of %d to %s: %w", orgID, call, err)
	}
	return id, status, nil
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

// insertCandidature stores candidature c, or, when withdrawn is the id of the
// node's withdrawn candidature to the same call, submits that one again (one
// row per node and call; the first submission and the withdrawal stay in the
// audit trail).
func insertCandidature(ctx context.Context, tx *sql.Tx, c Candidacy, by, withdrawn int64) (int64, error) {
	id := withdrawn
	if withdrawn != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE funding_candidatures SET category = $1, programme_version = $2, status = $3, reason = '', submitted_by = $4, submitted_at = $5,
decided_by = NULL, decided_at = NULL, withdrawn_at = NULL WHERE id = $6 AND status = $7`, c.Category, c.ProgrammeVersion, c.Status, db.NullID(by), c.SubmittedAt, id, Withdrawn); err != nil {
			return 0, fmt.Errorf("funding: submit candidature %d again: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM funding_candidature_members WHERE candidature_id = $1", id); err != nil {
			return 0, fmt.Errorf("funding: members of candidature %d: %w", id, err)
		}
	} else if err := tx.QueryRowContext(ctx, `INSERT INTO funding_candidatures (org_id, call_id, domain, category, programme_version, status, submitted_by, submitted_at)
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
