package incident

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
)

const incidentColumns = `i.id, i.org_id, o.name, o.path, i.status, i.categories, i.type, i.origin, i.occurred_at, i.detected_at,
i.perimeter, i.summary, i.degraded_mode, i.pca_activated, i.patient_impact, i.patient_impact_detail, i.actions_taken,
i.support_requested, i.contact_phone, COALESCE(cu.name, ''), i.created_at, i.updated_at, COALESCE(su.name, ''), COALESCE(su.email, ''),
i.submitted_at, i.snapshot, i.severity, i.qualified_category, COALESCE(qu.name, ''), i.qualified_at, COALESCE(xu.name, ''), i.closed_at,
i.portal_at, COALESCE(pu.name, ''), i.portal_reference, i.shared, COALESCE(i.exercise_id, 0), COALESCE(i.pcra_version, 0)`

const incidentFrom = ` FROM incidents i JOIN orgs o ON o.id = i.org_id
LEFT JOIN users cu ON cu.id = i.created_by LEFT JOIN users su ON su.id = i.submitted_by
LEFT JOIN users qu ON qu.id = i.qualified_by LEFT JOIN users xu ON xu.id = i.closed_by LEFT JOIN users pu ON pu.id = i.portal_by`

func scanIncident(row db.Row) (Incident, error) {
	var i Incident
	var cats string
	var occurred, detected, submitted, qualified, closed, portal sql.NullTime
	err := row.Scan(&i.ID, &i.OrgID, &i.OrgName, &i.OrgPath, &i.Status, &cats, &i.Type, &i.Origin, &occurred, &detected,
		&i.Perimeter, &i.Summary, &i.DegradedMode, &i.PCAActivated, &i.PatientImpact, &i.PatientImpactDetail, &i.ActionsTaken,
		&i.SupportRequested, &i.ContactPhone, &i.CreatedBy, &i.CreatedAt, &i.UpdatedAt, &i.SubmittedBy, &i.SubmittedByEmail,
		&submitted, &i.Snapshot, &i.Severity, &i.QualifiedCategory, &i.QualifiedBy, &qualified, &i.ClosedBy, &closed,
		&portal, &i.PortalBy, &i.PortalReference, &i.Shared, &i.ExerciseID, &i.PCRAVersion)
	if cats != "" {
		i.Categories = strings.Split(cats, ",")
	}
	i.OccurredAt, i.DetectedAt, i.SubmittedAt = db.TimePtr(occurred), db.TimePtr(detected), db.TimePtr(submitted)
	i.QualifiedAt, i.ClosedAt, i.PortalAt = db.TimePtr(qualified), db.TimePtr(closed), db.TimePtr(portal)
	return i, err
}

// getIncident reads incident id, unchecked: the caller applies the rule of
// sight (see Service.load).
func getIncident(ctx context.Context, q db.Querier, id int64) (Incident, error) {
	return db.One(ctx, q, fmt.Sprintf("incident: read incident %d", id), scanIncident,
		"SELECT "+incidentColumns+incidentFrom+" WHERE i.id = $1 AND o.archived_at IS NULL", id)
}

// Filter narrows the list of incidents.
type Filter struct {
	// Read are the subtrees where the caller sees submitted incidents; Drafts
	// those where they also see drafts.
	Read, Drafts []string
	Status       string // "" for all
}

// listIncidents lists the incidents f lets through, newest first.
func listIncidents(ctx context.Context, q db.Querier, f Filter) ([]Incident, error) {
	read, args := authz.ScopeClause("o.path", f.Read, 2)
	drafts, more := authz.ScopeClause("o.path", f.Drafts, 2+len(args))
	args = append(append([]any{Draft}, args...), more...)
	where := "((i.status <> $1 AND " + read + ") OR (" + drafts + "))"
	if f.Status != "" {
		args = append(args, f.Status)
		where += fmt.Sprintf(" AND i.status = $%d", len(args))
	}
	return db.List(ctx, q, "incident: list incidents", scanIncident,
		"SELECT "+incidentColumns+incidentFrom+" WHERE "+where+" AND o.archived_at IS NULL ORDER BY COALESCE(i.submitted_at, i.created_at) DESC, i.id DESC", args...)
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

func insertIncident(ctx context.Context, tx *sql.Tx, orgID int64, d Declaration, by int64, at time.Time) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO incidents (org_id, status, categories, type, origin, occurred_at, detected_at, perimeter, summary,
degraded_mode, pca_activated, patient_impact, patient_impact_detail, actions_taken, support_requested, contact_phone, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id`,
		orgID, Draft, strings.Join(d.Categories, ","), d.Type, d.Origin, nullTime(d.OccurredAt), nullTime(d.DetectedAt), d.Perimeter, d.Summary,
		d.DegradedMode, d.PCAActivated, d.PatientImpact, d.PatientImpactDetail, d.ActionsTaken, d.SupportRequested, d.ContactPhone, db.NullID(by), at).Scan(&id); err != nil {
		return 0, fmt.Errorf("incident: store a draft of %d: %w", orgID, err)
	}
	return id, nil
}

// updateDraft replaces the declaration of draft id; false when it is no longer
// a draft (submitted meanwhile).
func updateDraft(ctx context.Context, tx *sql.Tx, id int64, d Declaration, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE incidents SET categories = $1, type = $2, origin = $3, occurred_at = $4, detected_at = $5, perimeter = $6,
summary = $7, degraded_mode = $8, pca_activated = $9, patient_impact = $10, patient_impact_detail = $11, actions_taken = $12, support_requested = $13,
contact_phone = $14, updated_at = $15 WHERE id = $16 AND status = $17`,
		strings.Join(d.Categories, ","), d.Type, d.Origin, nullTime(d.OccurredAt), nullTime(d.DetectedAt), d.Perimeter, d.Summary, d.DegradedMode,
		d.PCAActivated, d.PatientImpact, d.PatientImpactDetail, d.ActionsTaken, d.SupportRequested, d.ContactPhone, at, id, Draft)
	return affected(res, err, fmt.Sprintf("incident: save draft %d", id))
}

// setStatus moves incident id from status from to status to, with the columns
// of the step; false when it was no longer at from.
func setStatus(ctx context.Context, tx *sql.Tx, id int64, from, to, set string, args ...any) (bool, error) {
	n := len(args)
	args = append(args, to, id, from)
	q := fmt.Sprintf("UPDATE incidents SET %s status = $%d WHERE id = $%d AND status = $%d", set, n+1, n+2, n+3)
	res, err := tx.ExecContext(ctx, q, args...)
	return affected(res, err, fmt.Sprintf("incident: %s incident %d", to, id))
}

func affected(res sql.Result, err error, doing string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("%s: %w", doing, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", doing, err)
	}
	return n == 1, nil
}

func update(ctx context.Context, tx *sql.Tx, id int64, doing, set string, args ...any) error {
	args = append(args, id)
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("UPDATE incidents SET %s WHERE id = $%d", set, len(args)), args...); err != nil {
		return fmt.Errorf("incident: %s of incident %d: %w", doing, id, err)
	}
	return nil
}

func insertEntry(ctx context.Context, tx *sql.Tx, id int64, side, text string, by int64, at time.Time) (int64, error) {
	var eid int64
	if err := tx.QueryRowContext(ctx, "INSERT INTO incident_entries (incident_id, side, text, author_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
		id, side, text, db.NullID(by), at).Scan(&eid); err != nil {
		return 0, fmt.Errorf("incident: add an entry to incident %d: %w", id, err)
	}
	// The incident changed: its live followers reload its timeline.
	if _, err := tx.ExecContext(ctx, "UPDATE incidents SET updated_at = $1 WHERE id = $2", at, id); err != nil {
		return 0, fmt.Errorf("incident: touch incident %d: %w", id, err)
	}
	return eid, nil
}

func listEntries(ctx context.Context, q db.Querier, id int64) ([]Entry, error) {
	return db.List(ctx, q, fmt.Sprintf("incident: timeline of %d", id), func(row db.Row) (Entry, error) {
		var e Entry
		return e, row.Scan(&e.ID, &e.Side, &e.Text, &e.Author, &e.CreatedAt)
	}, `SELECT e.id, e.side, e.text, COALESCE(u.name, ''), e.created_at FROM incident_entries e LEFT JOIN users u ON u.id = e.author_id
WHERE e.incident_id = $1 ORDER BY e.created_at, e.id`, id)
}

// sharedPaths lists the paths of the nodes with an incident shared with CERT
// Santé and not closed.
func sharedPaths(ctx context.Context, q db.Querier) ([]Shared, error) {
	return db.List(ctx, q, "incident: shared incidents", func(row db.Row) (Shared, error) {
		var s Shared
		return s, row.Scan(&s.OrgID, &s.OrgPath)
	}, `SELECT DISTINCT o.id, o.path FROM incidents i JOIN orgs o ON o.id = i.org_id
WHERE i.shared = $1 AND i.status IN ($2, $3) AND o.archived_at IS NULL ORDER BY o.path`, true, Submitted, Qualified)
}

// Shared is a node an establishment opened to CERT Santé for an incident.
type Shared struct {
	OrgID   int64
	OrgPath string
}

// recipients lists the e-mail addresses of the active holders of role at node
// ids (the region's ARS referents, CERT Santé at the national root).
func recipients(ctx context.Context, q db.Querier, role authz.Role, ids []int64) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{string(role)}
	var marks []string
	for _, id := range ids {
		args = append(args, id)
		marks = append(marks, fmt.Sprintf("$%d", len(args)))
	}
	return db.List(ctx, q, fmt.Sprintf("incident: %s to tell", role), func(row db.Row) (string, error) {
		var s string
		return s, row.Scan(&s)
	}, `SELECT DISTINCT u.email FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.role = $1 AND m.org_id IN (`+strings.Join(marks, ", ")+`) AND u.disabled_at IS NULL ORDER BY u.email`, args...)
}
