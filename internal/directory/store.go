package directory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The SQL of audits, followed checkpoints, import keys and roll-ups, common to
// both engines. The functions take a checked node's id: they decide no access.

const auditColumns = "id, org_id, source, transport, verified, server, domain, base_dn, collected_at, level, objects, failed, created_at"

// scanAudit reads auditColumns, then any extra columns into extra.
func scanAudit(sc db.Row, extra ...any) (AuditRow, error) {
	var a AuditRow
	err := sc.Scan(append([]any{&a.ID, &a.OrgID, &a.Source, &a.Transport, &a.Verified, &a.Server, &a.Domain, &a.BaseDN, &a.CollectedAt, &a.Level, &a.Objects, &a.Failed, &a.CreatedAt}, extra...)...)
	return a, err
}

// found reads the outcome of scanning the one row a query returns: false, without
// error, when it returned none; an error says what was being done.
func found(err error, what string) (bool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("directory: %s: %w", what, err)
	}
	return true, nil
}

// listAudits lists a node's audits, newest first (200 at most).
func listAudits(ctx context.Context, q db.Querier, org int64) ([]AuditRow, error) {
	return db.List(ctx, q, fmt.Sprintf("directory: list audits of %d", org), func(sc db.Row) (AuditRow, error) { return scanAudit(sc) },
		"SELECT "+auditColumns+" FROM directory_audits WHERE org_id = $1 ORDER BY collected_at DESC, id DESC LIMIT 200", org)
}

// getAudit reads audit id with its results (problem.ErrNotFound when absent); its
// OrgID says which node to check.
func getAudit(ctx context.Context, q db.Querier, id int64) (AuditDetail, error) {
	var results string
	row, err := scanAudit(q.QueryRowContext(ctx, "SELECT "+auditColumns+", results FROM directory_audits WHERE id = $1", id), &results)
	if ok, err := found(err, fmt.Sprintf("read audit %d", id)); !ok {
		return AuditDetail{}, notFound(err)
	}
	var ev Evaluation
	if err := json.Unmarshal([]byte(results), &ev); err != nil {
		return AuditDetail{}, fmt.Errorf("directory: results of audit %d: %w", id, err)
	}
	return AuditDetail{AuditRow: row, Checks: ev.Checks}, nil
}

// notFound is err, or problem.ErrNotFound when the row was not found (err nil).
func notFound(err error) error {
	if err == nil {
		return problem.ErrNotFound
	}
	return err
}

// latestAudit is a node's most recent audit; ok is false when it has none.
func latestAudit(ctx context.Context, q db.Querier, org int64) (l Latest, ok bool, err error) {
	ok, err = found(q.QueryRowContext(ctx, "SELECT id, level, collected_at FROM directory_audits WHERE org_id = $1 AND latest", org).
		Scan(&l.AuditID, &l.Level, &l.CollectedAt), fmt.Sprintf("latest audit of %d", org))
	return l, ok, err
}

// previousEvaluation is the evaluation of a node's latest audit and when it was
// collected; prev is nil before the first audit.
func previousEvaluation(ctx context.Context, tx *sql.Tx, org int64) (at time.Time, prev *Evaluation, err error) {
	var results string
	ok, err := found(tx.QueryRowContext(ctx, "SELECT collected_at, results FROM directory_audits WHERE org_id = $1 ORDER BY collected_at DESC, id DESC LIMIT 1", org).
		Scan(&at, &results), fmt.Sprintf("previous audit of %d", org))
	if !ok {
		return at, nil, err
	}
	prev = &Evaluation{}
	if err := json.Unmarshal([]byte(results), prev); err != nil {
		return at, nil, fmt.Errorf("directory: results of the previous audit of %d: %w", org, err)
	}
	return at, prev, nil
}

// snapshotStored reports whether a node already holds an audit of the snapshot
// whose digest is sum.
func snapshotStored(ctx context.Context, tx *sql.Tx, org int64, sum string) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM directory_audits WHERE org_id = $1 AND snapshot_sha256 = $2", org, sum).Scan(&n); err != nil {
		return false, fmt.Errorf("directory: look for snapshot %s of %d: %w", sum, org, err)
	}
	return n > 0, nil
}

// insertAudit stores an audit: its row, its results (JSON), the compressed
// snapshot and its digest; by is who ran it (0: the platform).
func insertAudit(ctx context.Context, tx *sql.Tx, a AuditRow, results string, snapshot []byte, sum string, by int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO directory_audits (org_id, source, transport, verified, server, domain, base_dn, collected_at, level, objects, failed, results, snapshot, snapshot_sha256, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		a.OrgID, a.Source, a.Transport, a.Verified, a.Server, a.Domain, a.BaseDN, a.CollectedAt, a.Level, a.Objects, a.Failed, results, snapshot, sum,
		db.NullID(by), a.CreatedAt).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("directory: store audit of %d: %w", a.OrgID, err)
	}
	return id, markLatest(ctx, tx, a.OrgID)
}

// markLatest flags the node's most recent audit as its latest, in the
// transaction that stored an audit: roll-ups then read one row per node. The
// flag moves in two statements, as one node holds one latest row (unique index).
func markLatest(ctx context.Context, tx *sql.Tx, org int64) error {
	for _, query := range []string{"UPDATE directory_audits SET latest = FALSE WHERE org_id = $1 AND latest",
		"UPDATE directory_audits SET latest = TRUE WHERE id = (SELECT l.id FROM directory_audits l WHERE l.org_id = $1 ORDER BY l.collected_at DESC, l.id DESC LIMIT 1)"} {
		if _, err := tx.ExecContext(ctx, query, org); err != nil {
			return fmt.Errorf("directory: mark the latest audit of %d: %w", org, err)
		}
	}
	return nil
}

// openCheckpoints is the set of a node's checkpoints followed as open.
func openCheckpoints(ctx context.Context, tx *sql.Tx, org int64) (map[string]bool, error) {
	ids, err := db.List(ctx, tx, fmt.Sprintf("directory: open checkpoints of %d", org), func(sc db.Row) (id string, err error) { return id, sc.Scan(&id) },
		"SELECT check_id FROM directory_checkpoints WHERE org_id = $1 AND status = 'open'", org)
	open := make(map[string]bool, len(ids))
	for _, id := range ids {
		open[id] = true
	}
	return open, err
}

// openCheckpoint (re)opens a failing checkpoint after audit: a fixed one starts
// again from this audit; owner and due date are kept.
func openCheckpoint(ctx context.Context, tx *sql.Tx, org int64, check string, objects int, audit int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE directory_checkpoints SET status = 'open', objects = $3, last_audit = $4, fixed_audit = NULL,
		first_audit = CASE WHEN status = 'fixed' THEN $4 ELSE first_audit END WHERE org_id = $1 AND check_id = $2`, org, check, objects, audit)
	if err != nil {
		return fmt.Errorf("directory: open checkpoint %s of %d: %w", check, org, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO directory_checkpoints (org_id, check_id, status, objects, first_audit, last_audit) VALUES ($1, $2, 'open', $3, $4, $4)`,
		org, check, objects, audit); err != nil {
		return fmt.Errorf("directory: follow checkpoint %s of %d: %w", check, org, err)
	}
	return nil
}

// fixCheckpoint marks an open checkpoint fixed by audit.
func fixCheckpoint(ctx context.Context, tx *sql.Tx, org int64, check string, audit int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE directory_checkpoints SET status = 'fixed', objects = 0, last_audit = $3, fixed_audit = $3 WHERE org_id = $1 AND check_id = $2`, org, check, audit); err != nil {
		return fmt.Errorf("directory: fix checkpoint %s of %d: %w", check, org, err)
	}
	return nil
}

// listCheckpoints lists a node's followed checkpoints, in no order (Level unset).
func listCheckpoints(ctx context.Context, q db.Querier, org int64) ([]Tracked, error) {
	return db.List(ctx, q, fmt.Sprintf("directory: list checkpoints of %d", org), func(sc db.Row) (t Tracked, err error) {
		return t, sc.Scan(&t.CheckID, &t.Status, &t.Objects, &t.FirstAudit, &t.LastAudit, &t.FixedAudit, &t.Owner, &t.DueOn, &t.Note)
	}, "SELECT check_id, status, objects, first_audit, last_audit, fixed_audit, owner, due_on, note FROM directory_checkpoints WHERE org_id = $1", org)
}

// getFollowUp reads a followed checkpoint's status and follow-up
// (problem.ErrNotFound when the checkpoint was never followed).
func getFollowUp(ctx context.Context, tx *sql.Tx, org int64, check string) (Tracked, error) {
	t := Tracked{CheckID: check}
	ok, err := found(tx.QueryRowContext(ctx, "SELECT status, owner, due_on, note FROM directory_checkpoints WHERE org_id = $1 AND check_id = $2", org, check).
		Scan(&t.Status, &t.Owner, &t.DueOn, &t.Note), fmt.Sprintf("read checkpoint %s of %d", check, org))
	if !ok {
		return t, notFound(err)
	}
	return t, nil
}

// setFollowUp records who fixes a checkpoint, by when, and a note.
func setFollowUp(ctx context.Context, tx *sql.Tx, org int64, check, owner, dueOn, note string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE directory_checkpoints SET owner = $3, due_on = $4, note = $5 WHERE org_id = $1 AND check_id = $2", org, check, owner, dueOn, note); err != nil {
		return fmt.Errorf("directory: follow-up of checkpoint %s of %d: %w", check, org, err)
	}
	return nil
}

// getImportKey reads a node's import key; ok is false when it has none yet.
func getImportKey(ctx context.Context, q db.Querier, org int64) (key string, ok bool, err error) {
	ok, err = found(q.QueryRowContext(ctx, "SELECT import_key FROM directory_import_keys WHERE org_id = $1", org).Scan(&key), fmt.Sprintf("read the import key of %d", org))
	return key, ok, err
}

// putImportKey gives a node its import key, replacing any other.
func putImportKey(ctx context.Context, tx *sql.Tx, org int64, key string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM directory_import_keys WHERE org_id = $1", org); err != nil {
		return fmt.Errorf("directory: drop the import key of %d: %w", org, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO directory_import_keys (org_id, import_key, created_at) VALUES ($1, $2, $3)", org, key, db.Now()); err != nil {
		return fmt.Errorf("directory: store the import key of %d: %w", org, err)
	}
	return nil
}

// rollUpRows reads the latest audit of every live node under roots, worst first.
func rollUpRows(ctx context.Context, q db.Querier, roots []string) ([]RollUpRow, error) {
	scope, args := authz.ScopeClause("o.path", roots, 1)
	return db.List(ctx, q, fmt.Sprintf("directory: roll-up of %v", roots), func(sc db.Row) (r RollUpRow, err error) {
		return r, sc.Scan(&r.OrgID, &r.Name, &r.Level, &r.Domain, &r.AuditID, &r.DomainLevel, &r.CollectedAt, &r.Open)
	}, `SELECT o.id, o.name, o.level, a.domain, a.id, a.level, a.collected_at,
		(SELECT COUNT(*) FROM directory_checkpoints c WHERE c.org_id = o.id AND c.status = 'open')
		FROM directory_audits a JOIN orgs o ON o.id = a.org_id
		WHERE o.archived_at IS NULL AND `+scope+`
		AND a.latest
		ORDER BY a.level, o.name`, args...)
}
