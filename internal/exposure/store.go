package exposure

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The exposure tables, read and written by plain functions over a database handle
// or a transaction. Access is checked by the service before any of them runs.

func listTargets(ctx context.Context, q db.Querier, org int64) ([]InventoryTarget, error) {
	return db.List(ctx, q, fmt.Sprintf("exposure: list targets of %d", org), func(row db.Row) (InventoryTarget, error) {
		var t InventoryTarget
		err := row.Scan(&t.ID, &t.OrgID, &t.Value, &t.Owner, &t.AttestedAt, &t.AttestedBy)
		return t, err
	}, `SELECT t.id, t.org_id, t.value, t.owner, t.attested_at, COALESCE(u.email, '') FROM exposure_targets t
		LEFT JOIN users u ON u.id = t.attested_by WHERE t.org_id = $1 AND t.removed_at IS NULL ORDER BY t.value`, org)
}

// insertTarget declares value for org, replacing a removed declaration of it; it
// reports false when the value is already declared.
func insertTarget(ctx context.Context, tx *sql.Tx, it *InventoryTarget, by any) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM exposure_targets WHERE org_id = $1 AND value = $2 AND removed_at IS NULL", it.OrgID, it.Value).Scan(&n); err != nil {
		return false, fmt.Errorf("exposure: look for target %q of %d: %w", it.Value, it.OrgID, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM exposure_targets WHERE org_id = $1 AND value = $2", it.OrgID, it.Value); err != nil {
		return false, fmt.Errorf("exposure: clear removed target %q of %d: %w", it.Value, it.OrgID, err)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO exposure_targets (org_id, value, owner, attested_by, attested_at, created_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
		it.OrgID, it.Value, it.Owner, by, it.AttestedAt).Scan(&it.ID); err != nil {
		return false, fmt.Errorf("exposure: insert target %q of %d: %w", it.Value, it.OrgID, err)
	}
	return true, nil
}

const scanColumns = "id, org_id, status, ports, lab, addresses, done, total, error, level, created_at, started_at, finished_at"

func scanScan(row db.Row) (ScanRow, error) {
	var r ScanRow
	var level sql.NullInt64
	var started, finished sql.NullTime
	err := row.Scan(&r.ID, &r.OrgID, &r.Status, &r.Ports, &r.Lab, &r.Addresses, &r.Done, &r.Total, &r.Error, &level, &r.CreatedAt, &started, &finished)
	if level.Valid {
		l := int(level.Int64)
		r.Level = &l
	}
	r.StartedAt, r.FinishedAt = db.TimePtr(started), db.TimePtr(finished)
	return r, err
}

func getScan(ctx context.Context, q db.Querier, id int64) (ScanRow, error) {
	r, err := scanScan(q.QueryRowContext(ctx, "SELECT "+scanColumns+" FROM exposure_scans WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return ScanRow{}, problem.ErrNotFound
	}
	if err != nil {
		return ScanRow{}, fmt.Errorf("exposure: read scan %d: %w", id, err)
	}
	return r, nil
}

func listScans(ctx context.Context, q db.Querier, org int64) ([]ScanRow, error) {
	return db.List(ctx, q, fmt.Sprintf("exposure: list scans of %d", org), scanScan,
		"SELECT "+scanColumns+" FROM exposure_scans WHERE org_id = $1 ORDER BY id DESC LIMIT 100", org)
}

// staleAfter is how long a running scan may go without a heartbeat before it is
// taken for dead: many heartbeats, so a busy database does not kill a live scan.
const staleAfter = time.Minute

// finishScan records how a scan ended (done, when not nil, is the attempts made);
// a scan done becomes its node's latest in the same transaction, so that a
// roll-up reads one row per node. The flag moves in two statements, as one node
// holds one latest row (unique index).
func finishScan(ctx context.Context, tx *sql.Tx, org, id int64, status, msg string, level *int, done *int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "UPDATE exposure_scans SET status = $1, error = $2, level = $3, done = COALESCE($4, done), finished_at = $5 WHERE id = $6",
		status, msg, level, done, at, id); err != nil {
		return fmt.Errorf("exposure: finish scan %d: %w", id, err)
	}
	if status != "done" {
		return nil
	}
	for _, query := range []string{"UPDATE exposure_scans SET latest = FALSE WHERE org_id = $1 AND latest",
		"UPDATE exposure_scans SET latest = TRUE WHERE id = (SELECT l.id FROM exposure_scans l WHERE l.org_id = $1 AND l.status = 'done' ORDER BY l.finished_at DESC, l.id DESC LIMIT 1)"} {
		if _, err := tx.ExecContext(ctx, query, org); err != nil {
			return fmt.Errorf("exposure: mark the latest scan of %d: %w", org, err)
		}
	}
	return nil
}

// insertScan records a queued scan of org, after closing the scans whose instance
// stopped beating; it refuses while another scan of org is queued or running.
func insertScan(ctx context.Context, tx *sql.Tx, org int64, ports string, lab bool, addresses, total int, by any) (int64, error) {
	now := db.Now()
	if _, err := tx.ExecContext(ctx, `UPDATE exposure_scans SET status = 'failed', error = $1, finished_at = $2
		WHERE org_id = $3 AND status IN ('queued', 'running') AND COALESCE(heartbeat_at, created_at) < $4`,
		"interrompu : l'instance qui le menait s'est arrêtée", now, org, now.Add(-staleAfter)); err != nil {
		return 0, fmt.Errorf("exposure: release stale scans of %d: %w", org, err)
	}
	var busy int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM exposure_scans WHERE org_id = $1 AND status IN ('queued', 'running')", org).Scan(&busy); err != nil {
		return 0, fmt.Errorf("exposure: count running scans of %d: %w", org, err)
	}
	if busy > 0 {
		return 0, problem.New(problem.Conflict, "exposure.error.scan_running")
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO exposure_scans (org_id, status, ports, lab, addresses, total, created_by, created_at) VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7) RETURNING id`,
		org, ports, lab, addresses, total, by, now).Scan(&id); err != nil {
		return 0, fmt.Errorf("exposure: insert scan of %d: %w", org, err)
	}
	return id, nil
}

func tracked(ctx context.Context, q db.Querier, org int64) ([]Tracked, error) {
	return db.List(ctx, q, fmt.Sprintf("exposure: list tracked findings of %d", org), func(row db.Row) (Tracked, error) {
		var t Tracked
		var until sql.NullTime
		err := row.Scan(&t.Key, &t.Address, &t.Port, &t.Status, &until)
		t.AcceptedUntil = db.TimePtr(until)
		return t, err
	}, "SELECT finding_key, address, port, status, accepted_until FROM exposure_findings WHERE org_id = $1", org)
}

// apply writes one transition and its event.
func apply(ctx context.Context, tx *sql.Tx, org, scan int64, tr Transition, now time.Time) error {
	f := tr.Finding
	var id int64
	var err error
	switch tr.Kind {
	case New:
		err = tx.QueryRowContext(ctx, `INSERT INTO exposure_findings (org_id, finding_key, address, port, check_id, severity, title, evidence, remediation, flagged, status, first_scan, last_scan, first_seen, last_seen)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $13) RETURNING id`,
			org, tr.Key, f.Address, f.Port, f.Check, f.Severity, f.Title, f.Evidence, f.Remediation, f.KEV || f.Exposed, StatusOpen, scan, now).Scan(&id)
	case Seen, Reopened, Expired:
		err = tx.QueryRowContext(ctx, `UPDATE exposure_findings SET status = $1, last_scan = $2, last_seen = $3, evidence = $4, severity = $5, title = $6, fixed_at = NULL
			WHERE org_id = $7 AND finding_key = $8 RETURNING id`, tr.To, scan, now, f.Evidence, f.Severity, f.Title, org, tr.Key).Scan(&id)
	case Fixed:
		err = tx.QueryRowContext(ctx, `UPDATE exposure_findings SET status = $1, fixed_at = $2, last_scan = $3 WHERE org_id = $4 AND finding_key = $5 RETURNING id`,
			StatusFixed, now, scan, org, tr.Key).Scan(&id)
	}
	if err != nil {
		return fmt.Errorf("exposure: apply %s to finding %s of %d: %w", tr.Kind, tr.Key, org, err)
	}
	if tr.Kind == Seen {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO exposure_finding_events (finding_id, at, from_status, to_status, scan_id, actor, note) VALUES ($1, $2, $3, $4, $5, 'scan', $6)`,
		id, now, tr.From, tr.To, scan, tr.Kind); err != nil {
		return fmt.Errorf("exposure: record event of finding %d: %w", id, err)
	}
	return nil
}

// activeFindings are the open and in-progress findings, for the level.
func activeFindings(ctx context.Context, q db.Querier, org int64) ([]Finding, error) {
	return db.List(ctx, q, fmt.Sprintf("exposure: list active findings of %d", org), func(row db.Row) (Finding, error) {
		var f Finding
		err := row.Scan(&f.Severity, &f.KEV)
		return f, err
	}, "SELECT severity, flagged FROM exposure_findings WHERE org_id = $1 AND status IN ('open', 'in_progress')", org)
}

// list is listFindings narrowed by f.
func (f FindingFilter) list(ctx context.Context, q db.Querier, org int64) ([]StoredFinding, error) {
	return listFindings(ctx, q, org, f)
}

func listFindings(ctx context.Context, q db.Querier, org int64, f FindingFilter) ([]StoredFinding, error) {
	query := `SELECT id, address, port, check_id, severity, title, evidence, remediation, flagged, status, justification, accepted_until, first_seen, last_seen, fixed_at
		FROM exposure_findings WHERE org_id = $1`
	args := []any{org}
	if f.Status != "" {
		args = append(args, f.Status)
		query += fmt.Sprintf(" AND status = $%d", len(args))
	}
	if f.Severity != "" {
		args = append(args, f.Severity)
		query += fmt.Sprintf(" AND severity = $%d", len(args))
	}
	// Open findings first, then accepted risks, then the fixed ones; the worst first within each.
	query += ` ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'in_progress' THEN 0 WHEN 'accepted' THEN 1 ELSE 2 END,
		CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, address, port, check_id`
	return db.List(ctx, q, fmt.Sprintf("exposure: list findings of %d", org), func(row db.Row) (StoredFinding, error) {
		var sf StoredFinding
		var until, fixed sql.NullTime
		err := row.Scan(&sf.ID, &sf.Address, &sf.Port, &sf.Check, &sf.Severity, &sf.Title, &sf.Evidence, &sf.Remediation, &sf.KEV, &sf.Status,
			&sf.Justification, &until, &sf.FirstSeen, &sf.LastSeen, &fixed)
		sf.AcceptedUntil, sf.FixedAt = db.TimePtr(until), db.TimePtr(fixed)
		return sf, err
	}, query, args...)
}

func countOpenCritical(ctx context.Context, q db.Querier, org int64) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM exposure_findings WHERE org_id = $1 AND severity = 'critical' AND status IN ('open', 'in_progress')", org).Scan(&n); err != nil {
		return 0, fmt.Errorf("exposure: count open critical findings of %d: %w", org, err)
	}
	return n, nil
}

// findingOwner is the establishment and status of a finding.
func findingOwner(ctx context.Context, q db.Querier, id int64) (org int64, status string, err error) {
	err = q.QueryRowContext(ctx, "SELECT org_id, status FROM exposure_findings WHERE id = $1", id).Scan(&org, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", problem.ErrNotFound
	}
	if err != nil {
		return 0, "", fmt.Errorf("exposure: read finding %d: %w", id, err)
	}
	return org, status, nil
}

func setFindingStatus(ctx context.Context, tx *sql.Tx, id int64, from, status, justification string, until *time.Time, actor string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE exposure_findings SET status = $1, justification = $2, accepted_until = $3 WHERE id = $4", status, justification, until, id); err != nil {
		return fmt.Errorf("exposure: set status of finding %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO exposure_finding_events (finding_id, at, from_status, to_status, actor, note) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, db.Now(), from, status, actor, justification); err != nil {
		return fmt.Errorf("exposure: record status event of finding %d: %w", id, err)
	}
	return nil
}
