package directory

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	orgs "care/internal/org"
	"care/internal/platform/db"
)

// The SQL of a node's connection settings and of the schedule that runs them.

// getSource reads a node's settings and its sealed password (nil when none);
// ok is false when the node has no settings.
func getSource(ctx context.Context, q db.Querier, org int64) (src Source, enc []byte, ok bool, err error) {
	ok, err = found(q.QueryRowContext(ctx, "SELECT url, bind_dn, base_dn, starttls, allow_plain, insecure, ca_pem, kerberos, spn, password_enc, every_days, next_run_at, last_run_at, last_error FROM directory_sources WHERE org_id = $1", org).
		Scan(&src.URL, &src.BindDN, &src.BaseDN, &src.StartTLS, &src.AllowPlain, &src.Insecure, &src.CAPEM, &src.Kerberos, &src.SPN, &enc, &src.EveryDays, &src.NextRunAt, &src.LastRunAt, &src.LastError),
		fmt.Sprintf("read the source of %d", org))
	if !ok {
		return Source{}, nil, false, err
	}
	src.HasPassword = len(enc) > 0
	return src, enc, true, nil
}

// putSource writes a node's settings (exists says whether it had some): enc is
// the sealed password (nil: none kept), next the next scheduled run (nil: none),
// by who saved them.
func putSource(ctx context.Context, tx *sql.Tx, org int64, exists bool, src Source, enc []byte, next any, by int64) error {
	var err error
	if exists {
		_, err = tx.ExecContext(ctx, `UPDATE directory_sources SET url = $2, bind_dn = $3, base_dn = $4, starttls = $5, allow_plain = $6, insecure = $7, ca_pem = $8,
			password_enc = $9, every_days = $10, next_run_at = $11, updated_by = $12, updated_at = $13, kerberos = $14, spn = $15 WHERE org_id = $1`,
			org, src.URL, src.BindDN, src.BaseDN, src.StartTLS, src.AllowPlain, src.Insecure, src.CAPEM, enc, src.EveryDays, next, db.NullID(by), db.Now(), src.Kerberos, src.SPN)
	} else {
		_, err = tx.ExecContext(ctx, `INSERT INTO directory_sources (org_id, url, bind_dn, base_dn, starttls, allow_plain, insecure, ca_pem, password_enc, every_days, next_run_at, updated_by, updated_at, kerberos, spn)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			org, src.URL, src.BindDN, src.BaseDN, src.StartTLS, src.AllowPlain, src.Insecure, src.CAPEM, enc, src.EveryDays, next, db.NullID(by), db.Now(), src.Kerberos, src.SPN)
	}
	if err != nil {
		return fmt.Errorf("directory: save the source of %d: %w", org, err)
	}
	return nil
}

// due is a scheduled audit that fell due: its node (id, path and name), when it
// was due, and how often it runs.
type due struct {
	org   orgs.Org
	at    time.Time
	every int
}

// dueSources lists the scheduled audits due at now.
func dueSources(ctx context.Context, q db.Querier, now time.Time) ([]due, error) {
	return db.List(ctx, q, "directory: list the scheduled audits due", func(sc db.Row) (d due, err error) {
		return d, sc.Scan(&d.org.ID, &d.org.Path, &d.org.Name, &d.at, &d.every)
	}, `SELECT d.org_id, o.path, o.name, d.next_run_at, d.every_days FROM directory_sources d JOIN orgs o ON o.id = d.org_id
		WHERE d.every_days > 0 AND d.next_run_at <= $1`, now)
}

// claimSource moves a due audit's next run forward, unless another instance did
// first: ok says this one runs it.
func claimSource(ctx context.Context, q db.Querier, d due, next, now time.Time) (ok bool, err error) {
	res, err := q.ExecContext(ctx, "UPDATE directory_sources SET next_run_at = $3, last_run_at = $4 WHERE org_id = $1 AND next_run_at = $2", d.org.ID, d.at, next, now)
	if err != nil {
		return false, fmt.Errorf("directory: claim the scheduled audit of %d: %w", d.org.ID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// setLastError records why a node's last scheduled audit failed ("" when it ran).
func setLastError(ctx context.Context, q db.Querier, org int64, msg string) error {
	if _, err := q.ExecContext(ctx, "UPDATE directory_sources SET last_error = $2 WHERE org_id = $1", org, msg); err != nil {
		return fmt.Errorf("directory: record the outcome of the scheduled audit of %d: %w", org, err)
	}
	return nil
}

// scheduledBy is the e-mail address of whoever set a node's schedule; ok is false
// when no one we can reach did.
func scheduledBy(ctx context.Context, q db.Querier, org int64) (email string, ok bool, err error) {
	ok, err = found(q.QueryRowContext(ctx, "SELECT u.email FROM directory_sources d JOIN users u ON u.id = d.updated_by WHERE d.org_id = $1", org).Scan(&email),
		fmt.Sprintf("who scheduled the audits of %d", org))
	return email, ok, err
}
