package exposure

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/docs"
	"care/internal/platform/problem"
)

// The programme's Domaine 1 exposure indicator (objective D1.O2.B, "niveau de
// sécurisation minimum d'exposition internet") is defined on SILENE audits made by
// ANSSI, not on the platform's scans: two successive SILENE audits 45 to 60 days
// apart that both keep the minimum level (ANS FAQ "Quelle est la méthode de calcul
// pour assurer la réalisation régulière des audits d'exposition internet via
// SILENE ?", 15 Jan 2025). The minimum level itself is not public: an instance sets
// it (care serve --silene-minimum) once its ARS gives it; until then the pair is
// shown and the indicator says that the threshold is unknown.

// Silene is one SILENE audit result an establishment recorded, with its report.
type Silene struct {
	ID        int64
	AuditedOn time.Time
	Level     int
	docs.Attachment
	By string
	At time.Time
}

// SileneIndicator is the programme's Domaine 1 exposure indicator.
type SileneIndicator struct {
	First, Second *Silene // the latest successive pair 45 to 60 days apart
	Minimum       int     // 0: the instance does not know the threshold
	// Met is nil when it cannot be decided: no threshold known, or no pair.
	Met *bool
}

// sileneIndicator finds, among audits (any order), the latest two successive
// audits 45 to 60 days apart and says whether both keep minimum.
func sileneIndicator(audits []Silene, minimum int) SileneIndicator {
	ind := SileneIndicator{Minimum: minimum}
	byDate := slices.SortedFunc(slices.Values(audits), func(a, b Silene) int { return a.AuditedOn.Compare(b.AuditedOn) })
	for i := len(byDate) - 1; i > 0; i-- {
		gap := byDate[i].AuditedOn.Sub(byDate[i-1].AuditedOn)
		if gap >= 45*24*time.Hour && gap <= 60*24*time.Hour {
			ind.First, ind.Second = &byDate[i-1], &byDate[i]
			break
		}
	}
	if ind.First != nil && minimum > 0 {
		met := ind.First.Level >= minimum && ind.Second.Level >= minimum
		ind.Met = &met
	}
	return ind
}

// RecordSilene stores a SILENE result: the audit's date (not in the future, not
// before the service existed), its level from 1 to 5 and its report.
func (s *Service) RecordSilene(ctx context.Context, orgID int64, date, level, filename string, data []byte) (Silene, error) {
	var c problem.Checks
	on, err := time.Parse("2006-01-02", strings.TrimSpace(date))
	if err != nil || on.After(time.Now()) || on.Year() < 2020 {
		c.Add("audited_on", "exposure.error.silene_date")
	}
	lvl, err := strconv.Atoi(strings.TrimSpace(level))
	if err != nil || lvl < 1 || lvl > 5 {
		c.Add("level", "exposure.error.silene_level")
	}
	a, err := docs.Attach(filename, data)
	if filename == "" && len(data) == 0 {
		c.Add("file", "exposure.error.silene_report")
	} else if err != nil {
		e, _ := problem.As(err)
		c.Add("file", e.Key, e.Args...)
	}
	if err := c.Err(); err != nil {
		return Silene{}, err
	}
	rec := Silene{AuditedOn: on, Level: lvl, Attachment: a, At: db.Now()}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := org.Load(ctx, tx, orgID, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if err := insertSilene(ctx, tx, o.ID, &rec, data, db.NullID(authz.Current(ctx).UserID)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exposure.silene_add", ObjectType: "exposure_silene", ObjectID: audit.ID(rec.ID), OrgPath: o.Path,
			Changes: map[string]audit.Change{"audited_on": {After: date}, "level": {After: lvl}, "report": {After: a.Filename + " (" + a.SHA256[:12] + ")"}}})
	})
	return rec, err
}

// SileneReport returns the report of a recorded SILENE audit the caller may read.
func (s *Service) SileneReport(ctx context.Context, orgID, id int64) (Silene, []byte, error) {
	o, err := org.Load(ctx, s.DB.Read, orgID, authz.OrgRead)
	if err != nil {
		return Silene{}, nil, err
	}
	return sileneReport(ctx, s.DB.Read, o.ID, id)
}

// ---- store ----

const sileneColumns = "s.id, s.audited_on, s.level, s.filename, s.content_type, s.size, s.sha256, COALESCE(u.name, ''), s.recorded_at"

func scanSilene(row db.Row) (Silene, error) { return scanSileneWith(row) }

// scanSileneWith reads sileneColumns, then the extra columns into extra.
func scanSileneWith(row db.Row, extra ...any) (Silene, error) {
	var x Silene
	err := row.Scan(append([]any{&x.ID, &x.AuditedOn, &x.Level, &x.Filename, &x.ContentType, &x.Size, &x.SHA256, &x.By, &x.At}, extra...)...)
	return x, err
}

func insertSilene(ctx context.Context, tx *sql.Tx, orgID int64, x *Silene, data []byte, by any) error {
	if err := tx.QueryRowContext(ctx, `INSERT INTO exposure_silene (org_id, audited_on, level, filename, content_type, size, sha256, data, recorded_by, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		orgID, x.AuditedOn, x.Level, x.Filename, x.ContentType, x.Size, x.SHA256, data, by, x.At).Scan(&x.ID); err != nil {
		return fmt.Errorf("exposure: record SILENE audit of %d: %w", orgID, err)
	}
	return nil
}

// listSilene lists an establishment's SILENE audits, newest first.
func listSilene(ctx context.Context, q db.Querier, orgID int64) ([]Silene, error) {
	return db.List(ctx, q, fmt.Sprintf("exposure: list SILENE audits of %d", orgID), scanSilene,
		`SELECT `+sileneColumns+` FROM exposure_silene s LEFT JOIN users u ON u.id = s.recorded_by
		WHERE s.org_id = $1 ORDER BY s.audited_on DESC, s.id DESC`, orgID)
}

func sileneReport(ctx context.Context, q db.Querier, orgID, id int64) (Silene, []byte, error) {
	var data []byte
	x, err := db.One(ctx, q, fmt.Sprintf("exposure: read SILENE report %d of %d", id, orgID),
		func(row db.Row) (Silene, error) { return scanSileneWith(row, &data) },
		`SELECT `+sileneColumns+`, s.data FROM exposure_silene s LEFT JOIN users u ON u.id = s.recorded_by WHERE s.id = $1 AND s.org_id = $2`, id, orgID)
	return x, data, err
}
