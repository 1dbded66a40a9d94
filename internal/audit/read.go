package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
)

// Filter narrows the trail. The caller's scope is always applied.
type Filter struct {
	Action     string // prefix, e.g. "org." or "org.create"
	Actor      string // part of the actor's label
	ObjectType string
	ObjectID   string
	From, To   time.Time
	Limit      int
	Offset     int
}

// Reader reads the trail within what the caller may see.
type Reader struct {
	DB *db.DB
}

func (f Filter) where(roots []string) (string, []any) {
	clause, args := authz.ScopeClause("org_path", roots, 1)
	conds := []string{clause}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.Action != "" {
		add("action LIKE $%d", f.Action+"%")
	}
	if f.Actor != "" {
		add("LOWER(actor) LIKE $%d", "%"+strings.ToLower(f.Actor)+"%")
	}
	if f.ObjectType != "" {
		add("object_type = $%d", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = $%d", f.ObjectID)
	}
	if !f.From.IsZero() {
		add("at >= $%d", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("at < $%d", f.To.UTC())
	}
	return strings.Join(conds, " AND "), args
}

// List returns the entries matching f, newest first, and how many match in all.
func (r *Reader) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	s, _ := authz.FromContext(ctx)
	where, args := f.where(s.Scope(authz.AuditRead))
	var total int
	if err := r.DB.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: count: %w", err)
	}
	// The names of the people and structures are joined here, so that a page says
	// "Jean Direction a validé l'autoévaluation — CHU de Port-Émeraude", never ids.
	q := `SELECT l.id, l.at, COALESCE(l.actor_id, 0), l.actor, l.ip, l.action, l.object_type, l.object_id, l.org_path, l.changes,
		COALESCE(u.name, ''), COALESCE(o.name, ''), COALESCE(ou.name, oo.name, '')
		FROM audit_log l LEFT JOIN users u ON u.id = l.actor_id LEFT JOIN orgs o ON o.path = l.org_path
		LEFT JOIN users ou ON l.object_type = 'user' AND CAST(ou.id AS TEXT) = l.object_id
		LEFT JOIN orgs oo ON l.object_type = 'org' AND CAST(oo.id AS TEXT) = l.object_id
		WHERE ` + where + " ORDER BY l.id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	}
	rows, err := r.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var changes string
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.IP, &e.Action, &e.ObjectType, &e.ObjectID, &e.OrgPath, &changes,
			&e.ActorName, &e.OrgName, &e.ObjectName); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
			return nil, 0, fmt.Errorf("audit: entry %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// ChangesText renders an entry's changes on one line, with the stored field names
// (for the CSV export): field: before → after.
func (e Entry) ChangesText() string {
	var parts []string
	for k, c := range e.Changes {
		parts = append(parts, fmt.Sprintf("%s: %v → %v", k, orDash(c.Before), orDash(c.After)))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// valueWords names, for an object type and a field whose values are codes, the
// catalogue prefix under which the capability that records them already has the
// words (the audit trail shows "validée", not "validated").
var valueWords = map[string]string{
	"assessment.status":                    "maturity.status.",
	"exposure_finding.status":              "exposure.finding.",
	"exercise.status":                      "exercise.action_status.",
	"funding_candidature.status":           "funding.state.",
	"funding_candidature.category":         "funding.category.",
	"incident.status":                      "incident.status.",
	"incident.severity":                    "incident.severity.",
	"incident.category":                    "incident.category.",
	"incident.side":                        "incident.side.",
	"funding_candidature.objective_status": "funding.objective_state.",
	"funding_candidature.evidence_kind":    "funding.evidence_kind.",
	"funding_candidature.payment_status":   "funding.payment.",
}

// ChangesLabel renders an entry's changes on one line for a page in language l:
// field names, yes/no and coded values in words (valueWords): "niveau : — → 2 ;
// archivée : non → oui ; statut : brouillon → validée".
func (e Entry) ChangesLabel(l i18n.Lang) string {
	var field string
	word := func(v any) any {
		if b, ok := v.(bool); ok {
			return l.T(map[bool]string{true: "audit.yes", false: "audit.no"}[b])
		}
		if s, ok := v.(string); ok && s != "" {
			if prefix, coded := valueWords[e.ObjectType+"."+field]; coded && l.T(prefix+s) != prefix+s {
				return strings.ToLower(l.T(prefix + s))
			}
		}
		return orDash(v)
	}
	sep, colon := "; ", ": "
	if l != i18n.EN {
		sep, colon = " ; ", " : " // French puts a space before a colon or semicolon
	}
	var parts []string
	for k, c := range e.Changes {
		field = k
		parts = append(parts, fmt.Sprintf("%s%s%v → %v", label(l, "audit.field.", k), colon, word(c.Before), word(c.After)))
	}
	slices.Sort(parts)
	return strings.Join(parts, sep)
}

func orDash(v any) any {
	if v == nil || v == "" {
		return "—"
	}
	return v
}

// WriteCSV writes entries as CSV, with a header line. Cells that a spreadsheet would
// take for a formula are prefixed with a quote (docs.WriteCSV).
func WriteCSV(w io.Writer, entries []Entry) error {
	rows := [][]string{{"id", "date", "auteur", "adresse", "action", "objet", "identifiant", "changements"}}
	for _, e := range entries {
		rows = append(rows, []string{fmt.Sprint(e.ID), e.At.UTC().Format(time.RFC3339), e.Actor, e.IP, e.Action, e.ObjectType, e.ObjectID, e.ChangesText()})
	}
	return docs.WriteCSV(w, rows)
}
