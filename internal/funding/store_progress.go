package funding

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/docs"
)

// Evidence is a proof deposited on an objective of a candidature: a file (its
// description; the bytes are read on their own), a link, or a record of the
// platform.
type Evidence struct {
	ID        int64
	Objective string
	Kind      string
	Title     string
	URL       string
	docs.Attachment
	AddedBy string
	AddedAt time.Time
}

// ObjectiveState is an objective a declaration names, with its verification.
type ObjectiveState struct {
	Objective  string
	Status     string
	Reason     string
	DeclaredAt time.Time
	VerifiedBy string
	VerifiedAt *time.Time
}

func insertEvidence(ctx context.Context, tx *sql.Tx, candidature int64, e Evidence, data []byte, by int64) (int64, error) {
	var id int64
	var blob any
	if data != nil {
		blob = data
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO funding_evidence (candidature_id, objective, kind, title, url, filename, content_type, size, sha256, data, added_by, added_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`, candidature, e.Objective, e.Kind, e.Title, e.URL, e.Filename, e.ContentType, e.Size, e.SHA256,
		blob, db.NullID(by), e.AddedAt).Scan(&id); err != nil {
		return 0, fmt.Errorf("funding: store evidence of candidature %d: %w", candidature, err)
	}
	return id, nil
}

const evidenceColumns = `e.id, e.objective, e.kind, e.title, e.url, e.filename, e.content_type, e.size, e.sha256, COALESCE(u.name, ''), e.added_at`

func scanEvidence(row db.Row) (Evidence, error) {
	var e Evidence
	return e, row.Scan(&e.ID, &e.Objective, &e.Kind, &e.Title, &e.URL, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &e.AddedBy, &e.AddedAt)
}

// listEvidence lists the evidence of candidature id, oldest first.
func listEvidence(ctx context.Context, q db.Querier, id int64) ([]Evidence, error) {
	return db.List(ctx, q, fmt.Sprintf("funding: evidence of candidature %d", id), scanEvidence,
		"SELECT "+evidenceColumns+" FROM funding_evidence e LEFT JOIN users u ON u.id = e.added_by WHERE e.candidature_id = $1 ORDER BY e.id", id)
}

// evidenceFile reads one file of candidature id with its bytes.
func evidenceFile(ctx context.Context, q db.Querier, id, eid int64) (Evidence, []byte, error) {
	var data []byte
	e, err := db.One(ctx, q, fmt.Sprintf("funding: evidence %d of candidature %d", eid, id), func(row db.Row) (Evidence, error) {
		var e Evidence
		return e, row.Scan(&e.ID, &e.Objective, &e.Kind, &e.Title, &e.URL, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &e.AddedBy, &e.AddedAt, &data)
	}, "SELECT "+evidenceColumns+", e.data FROM funding_evidence e LEFT JOIN users u ON u.id = e.added_by WHERE e.candidature_id = $1 AND e.id = $2 AND e.kind = $3",
		id, eid, FileEvidence)
	return e, data, err
}

// objectiveStates lists the objectives declared on candidature id.
func objectiveStates(ctx context.Context, q db.Querier, id int64) ([]ObjectiveState, error) {
	return db.List(ctx, q, fmt.Sprintf("funding: objectives declared on %d", id), func(row db.Row) (ObjectiveState, error) {
		var s ObjectiveState
		var at sql.NullTime
		err := row.Scan(&s.Objective, &s.Status, &s.Reason, &s.DeclaredAt, &s.VerifiedBy, &at)
		s.VerifiedAt = db.TimePtr(at)
		return s, err
	}, `SELECT s.objective, s.status, s.reason, s.declared_at, COALESCE(u.name, ''), s.verified_at FROM funding_objective_states s
LEFT JOIN users u ON u.id = s.verified_by WHERE s.candidature_id = $1 ORDER BY s.objective`, id)
}

// stateMap is the state of each declared objective of candidature id.
func stateMap(ctx context.Context, q db.Querier, id int64) (map[string]string, error) {
	list, err := objectiveStates(ctx, q, id)
	out := map[string]string{}
	for _, s := range list {
		out[s.Objective] = s.Status
	}
	return out, err
}

// setDeclared records the declaration of candidature id, accepted until now, and
// its objectives; false when it was no longer accepted (a concurrent step).
func setDeclared(ctx context.Context, tx *sql.Tx, id int64, objectives []string, amount int64, by int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, "UPDATE funding_candidatures SET status = $1, amount_requested = $2, declared_by = $3, declared_at = $4 WHERE id = $5 AND status = $6",
		Declared, amount, db.NullID(by), at, id, Accepted)
	if err != nil {
		return false, fmt.Errorf("funding: declare candidature %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	for _, o := range objectives {
		if _, err := tx.ExecContext(ctx, "INSERT INTO funding_objective_states (candidature_id, objective, status, declared_at) VALUES ($1, $2, $3, $4)",
			id, o, ObjectiveDeclared, at); err != nil {
			return false, fmt.Errorf("funding: declare objective %s of %d: %w", o, id, err)
		}
	}
	return true, nil
}

// setRedeclared declares again objective o of candidature id, on which the ARS
// asked for more; false when it was no longer in that state.
func setRedeclared(ctx context.Context, tx *sql.Tx, id int64, o string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE funding_objective_states SET status = $1, declared_at = $2, verified_by = NULL, verified_at = NULL
WHERE candidature_id = $3 AND objective = $4 AND status = $5`, ObjectiveDeclared, at, id, o, ObjectiveMore)
	if err != nil {
		return false, fmt.Errorf("funding: declare objective %s of %d again: %w", o, id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// setVerified records the ARS decision on declared objective o of candidature
// id; false when it was no longer waiting for one.
func setVerified(ctx context.Context, tx *sql.Tx, id int64, o, status, reason string, by int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE funding_objective_states SET status = $1, reason = $2, verified_by = $3, verified_at = $4
WHERE candidature_id = $5 AND objective = $6 AND status = $7`, status, reason, db.NullID(by), at, id, o, ObjectiveDeclared)
	if err != nil {
		return false, fmt.Errorf("funding: verify objective %s of %d: %w", o, id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// setStatus moves candidature id from status from to status to; false when it
// was no longer in from.
func setStatus(ctx context.Context, tx *sql.Tx, id int64, from, to string) (bool, error) {
	res, err := tx.ExecContext(ctx, "UPDATE funding_candidatures SET status = $1 WHERE id = $2 AND status = $3", to, id, from)
	if err != nil {
		return false, fmt.Errorf("funding: candidature %d from %s to %s: %w", id, from, to, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// setControl records the national control of verified candidature id.
func setControl(ctx context.Context, tx *sql.Tx, id int64, status, reason string, granted, by int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE funding_candidatures SET status = $1, control_reason = $2, amount_granted = $3, controlled_by = $4, controlled_at = $5
WHERE id = $6 AND status = $7`, status, reason, granted, db.NullID(by), at, id, Verified)
	if err != nil {
		return false, fmt.Errorf("funding: control candidature %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// setPayment records the payment status of controlled candidature id.
func setPayment(ctx context.Context, tx *sql.Tx, id int64, payment string, amount *int64, on *time.Time) (bool, error) {
	status := Controlled
	if payment == PaidOut {
		status = Paid
	}
	res, err := tx.ExecContext(ctx, `UPDATE funding_candidatures SET status = $1, payment_status = $2, amount_paid = $3, paid_on = $4
WHERE id = $5 AND status = $6`, status, payment, amount, on, id, Controlled)
	if err != nil {
		return false, fmt.Errorf("funding: payment of candidature %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// emails lists addresses, one a row.
func emails(ctx context.Context, q db.Querier, what, query string, args ...any) ([]string, error) {
	return db.List(ctx, q, what, func(row db.Row) (string, error) {
		var s string
		return s, row.Scan(&s)
	}, query, args...)
}

// holders lists the e-mail addresses of the holders of role at node id.
func holders(ctx context.Context, q db.Querier, id int64, role authz.Role) ([]string, error) {
	return emails(ctx, q, fmt.Sprintf("funding: %s of %d", role, id), `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.org_id = $1 AND m.role = $2 AND u.disabled_at IS NULL ORDER BY u.email`, id, string(role))
}

// pilots lists the e-mail addresses of the national pilots.
func pilots(ctx context.Context, q db.Querier) ([]string, error) {
	return emails(ctx, q, "funding: national pilots", `SELECT DISTINCT u.email FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.role = $1 AND u.disabled_at IS NULL ORDER BY u.email`, string(authz.PiloteNational))
}

// declarerEmail is the address of who signed the declaration of id, "" for none.
func declarerEmail(ctx context.Context, q db.Querier, id int64) (string, error) {
	list, err := emails(ctx, q, fmt.Sprintf("funding: declarer of %d", id), `SELECT u.email FROM funding_candidatures c JOIN users u ON u.id = c.declared_by
WHERE c.id = $1 AND u.disabled_at IS NULL`, id)
	if err != nil || len(list) == 0 {
		return "", err
	}
	return list[0], nil
}

// liveCandidatures lists the candidatures still on their way (a reminder may
// be due), unchecked: the background loop reads them as the system.
func liveCandidatures(ctx context.Context, q db.Querier) ([]Candidacy, error) {
	return db.List(ctx, q, "funding: live candidatures", scanCandidature,
		"SELECT "+candidatureColumns+candidatureFrom+" WHERE c.status IN ($1, $2, $3, $4, $5) AND o.archived_at IS NULL ORDER BY c.id",
		Submitted, Accepted, Declared, Verified, Controlled)
}

// claimReminder records that the reminder of step before deadline was sent
// for candidature id; false when it already was.
func claimReminder(ctx context.Context, q db.Querier, id int64, step, deadline string, at time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, `INSERT INTO funding_reminders (candidature_id, step, deadline, sent_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (candidature_id, step, deadline) DO NOTHING`, id, step, deadline, at)
	if err != nil {
		return false, fmt.Errorf("funding: reminder %s of %d: %w", step, id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
