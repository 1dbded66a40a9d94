package maturity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The self-assessment tables, read and written by plain functions over a database
// handle or a transaction. Access is checked by the service before any of them
// runs; the roll-up's statements are in store_rollup.go.

// ---- questionnaires ----

func versionExists(ctx context.Context, q db.Querier, slug string, version int) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM questionnaires WHERE slug = $1 AND version = $2", slug, version).Scan(&n); err != nil {
		return false, fmt.Errorf("maturity: look for questionnaire %s version %d: %w", slug, version, err)
	}
	return n > 0, nil
}

// latestVersion is the newest stored version number of slug, 0 when none.
func latestVersion(ctx context.Context, q db.Querier, slug string) (int64, error) {
	var latest sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT MAX(version) FROM questionnaires WHERE slug = $1", slug).Scan(&latest); err != nil {
		return 0, fmt.Errorf("maturity: latest version of %s: %w", slug, err)
	}
	return latest.Int64, nil
}

// insertVersion stores a questionnaire version: shipped in the binary, or imported
// by someone (by, NULL for the system).
func insertVersion(ctx context.Context, tx *sql.Tx, q Questionnaire, source string, shipped bool, by any, at time.Time) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO questionnaires (slug, version, kind, title, source, shipped, imported_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		q.ID, q.Version, q.Kind, q.Title, source, shipped, by, at).Scan(&id); err != nil {
		return 0, fmt.Errorf("maturity: store questionnaire %s version %d: %w", q.ID, q.Version, err)
	}
	return id, nil
}

func listVersions(ctx context.Context, q db.Querier, all bool) ([]Version, error) {
	query := `SELECT id, slug, version, kind, title, shipped, created_at FROM questionnaires q`
	if !all {
		query += ` WHERE version = (SELECT MAX(version) FROM questionnaires q2 WHERE q2.slug = q.slug)`
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY kind, slug, version DESC")
	if err != nil {
		return nil, fmt.Errorf("maturity: list questionnaires: %w", err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		if err := rows.Scan(&v.ID, &v.Slug, &v.Version, &v.Kind, &v.Title, &v.Shipped, &v.CreatedAt); err != nil {
			return nil, fmt.Errorf("maturity: read questionnaire: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// versionSource is the YAML of questionnaire version id.
func versionSource(ctx context.Context, q db.Querier, id int64) (string, error) {
	var src string
	err := q.QueryRowContext(ctx, "SELECT source FROM questionnaires WHERE id = $1", id).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) {
		return "", problem.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("maturity: read questionnaire %d: %w", id, err)
	}
	return src, nil
}

// newestVersion is the id of the newest version of slug.
func newestVersion(ctx context.Context, q db.Querier, slug string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM questionnaires WHERE slug = $1 ORDER BY version DESC LIMIT 1", slug).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, problem.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("maturity: newest version of %s: %w", slug, err)
	}
	return id, nil
}

// ---- assessments ----

const assessmentColumns = `a.id, a.org_id, o.name, o.path, a.questionnaire_id, q.slug, q.version, q.kind, q.title, a.status,
	a.created_at, a.updated_at, a.submitted_at, a.validated_at, a.locked_at, a.level, a.percent`

const assessmentFrom = ` FROM assessments a JOIN orgs o ON o.id = a.org_id JOIN questionnaires q ON q.id = a.questionnaire_id`

func scanAssessment(row db.Row) (Assessment, error) {
	var a Assessment
	var sub, val, lock sql.NullTime
	var pct sql.NullFloat64
	err := row.Scan(&a.ID, &a.OrgID, &a.OrgName, &a.OrgPath, &a.QuestionnaireID, &a.Slug, &a.Version, &a.Kind, &a.Title, &a.Status,
		&a.CreatedAt, &a.UpdatedAt, &sub, &val, &lock, &a.Level, &pct)
	a.SubmittedAt, a.ValidatedAt, a.LockedAt = db.TimePtr(sub), db.TimePtr(val), db.TimePtr(lock)
	if pct.Valid {
		a.Percent = &pct.Float64
	}
	return a, err
}

// getAssessment reads an assessment with its establishment's name and path.
func getAssessment(ctx context.Context, q db.Querier, id int64) (Assessment, error) {
	a, err := scanAssessment(q.QueryRowContext(ctx, "SELECT "+assessmentColumns+assessmentFrom+" WHERE a.id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Assessment{}, problem.ErrNotFound
	}
	if err != nil {
		return Assessment{}, fmt.Errorf("maturity: read assessment %d: %w", id, err)
	}
	return a, nil
}

func scanAssessments(rows *sql.Rows, what string) ([]Assessment, error) {
	defer rows.Close()
	var out []Assessment
	for rows.Next() {
		a, err := scanAssessment(rows)
		if err != nil {
			return nil, fmt.Errorf("maturity: read %s: %w", what, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// listAssessments returns the assessments of live establishments under roots that
// f selects, newest first, and their count.
func listAssessments(ctx context.Context, q db.Querier, roots []string, f Filter) ([]Assessment, int, error) {
	where, args := authz.ScopeClause("o.path", roots, 1)
	where += " AND o.archived_at IS NULL"
	if f.OrgID != 0 {
		args = append(args, f.OrgID)
		where += fmt.Sprintf(" AND a.org_id = $%d", len(args))
	}
	if f.Slug != "" {
		args = append(args, f.Slug)
		where += fmt.Sprintf(" AND q.slug = $%d", len(args))
	}
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*)"+assessmentFrom+" WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("maturity: count assessments: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf("SELECT %s%s WHERE %s ORDER BY a.id DESC LIMIT %d OFFSET %d", assessmentColumns, assessmentFrom, where, limit, max(f.Offset, 0)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("maturity: list assessments: %w", err)
	}
	list, err := scanAssessments(rows, "assessments")
	return list, total, err
}

// otherAssessments lists the assessments of an establishment with questionnaire
// slug, newest first, but the one numbered except.
func otherAssessments(ctx context.Context, q db.Querier, orgID int64, slug string, except int64) ([]Assessment, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+assessmentColumns+assessmentFrom+" WHERE a.org_id = $1 AND q.slug = $2 AND a.id <> $3 ORDER BY a.id DESC LIMIT 50", orgID, slug, except)
	if err != nil {
		return nil, fmt.Errorf("maturity: list assessments %s of %d: %w", slug, orgID, err)
	}
	return scanAssessments(rows, fmt.Sprintf("assessments %s of %d", slug, orgID))
}

func insertAssessment(ctx context.Context, tx *sql.Tx, orgID, questionnaireID int64, by any, at time.Time) (int64, error) {
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO assessments (org_id, questionnaire_id, status, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
		orgID, questionnaireID, Draft, by, at).Scan(&id); err != nil {
		return 0, fmt.Errorf("maturity: start assessment of %d with questionnaire %d: %w", orgID, questionnaireID, err)
	}
	return id, nil
}

func touchAssessment(ctx context.Context, tx *sql.Tx, id int64, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "UPDATE assessments SET updated_at = $1 WHERE id = $2", at, id); err != nil {
		return fmt.Errorf("maturity: touch assessment %d: %w", id, err)
	}
	return nil
}

// statusColumns is the time column each status sets.
var statusColumns = map[Status]string{Review: "submitted_at", Validated: "validated_at", Locked: "locked_at", Draft: "updated_at"}

func setStatus(ctx context.Context, tx *sql.Tx, id int64, to Status, at time.Time) error {
	if _, err := tx.ExecContext(ctx, "UPDATE assessments SET status = $1, updated_at = $2, "+statusColumns[to]+" = $2 WHERE id = $3", to, at, id); err != nil {
		return fmt.Errorf("maturity: move assessment %d to %s: %w", id, to, err)
	}
	return nil
}

// freeze records the result of a validated assessment and makes it its
// establishment's latest for the questionnaire.
func freeze(ctx context.Context, tx *sql.Tx, a Assessment, level string, percent *float64, themes string, by any) error {
	if _, err := tx.ExecContext(ctx, `UPDATE assessments SET latest = FALSE WHERE org_id = $1 AND latest = TRUE
		AND questionnaire_id IN (SELECT id FROM questionnaires WHERE slug = $2)`, a.OrgID, a.Slug); err != nil {
		return fmt.Errorf("maturity: retire the latest %s of %d: %w", a.Slug, a.OrgID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE assessments SET level = $1, percent = $2, theme_scores = $3, latest = TRUE, validated_by = $4 WHERE id = $5`,
		level, percent, themes, by, a.ID); err != nil {
		return fmt.Errorf("maturity: freeze the result of assessment %d: %w", a.ID, err)
	}
	return nil
}

// kitLevel reads the level of an establishment's latest validated kit-level grid.
func kitLevel(ctx context.Context, q db.Querier, orgID int64) (string, time.Time, bool, error) {
	var level string
	var validated sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT a.level, a.validated_at FROM assessments a JOIN questionnaires q ON q.id = a.questionnaire_id
		WHERE a.org_id = $1 AND a.latest = TRUE AND q.kind = $2 ORDER BY a.validated_at DESC LIMIT 1`, orgID, KindKitLevel).Scan(&level, &validated)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("maturity: kit level of %d: %w", orgID, err)
	}
	return level, validated.Time, true, nil
}

// ---- answers ----

func listAnswers(ctx context.Context, q db.Querier, id int64) (map[string]Answer, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.question_id, a.option_id, a.comment, COALESCE(u.name, ''), a.answered_at FROM answers a
		LEFT JOIN users u ON u.id = a.answered_by WHERE a.assessment_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("maturity: list answers of %d: %w", id, err)
	}
	defer rows.Close()
	out := map[string]Answer{}
	for rows.Next() {
		var a Answer
		if err := rows.Scan(&a.QuestionID, &a.OptionID, &a.Comment, &a.By, &a.At); err != nil {
			return nil, fmt.Errorf("maturity: read answer of %d: %w", id, err)
		}
		out[a.QuestionID] = a
	}
	return out, rows.Err()
}

// replaceAnswer writes an's answer to its question of assessment id.
func replaceAnswer(ctx context.Context, tx *sql.Tx, id int64, an Answer, by any) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM answers WHERE assessment_id = $1 AND question_id = $2", id, an.QuestionID); err != nil {
		return fmt.Errorf("maturity: clear answer %s of %d: %w", an.QuestionID, id, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO answers (assessment_id, question_id, option_id, comment, answered_by, answered_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, an.QuestionID, an.OptionID, an.Comment, by, an.At); err != nil {
		return fmt.Errorf("maturity: write answer %s of %d: %w", an.QuestionID, id, err)
	}
	return nil
}

// ---- evidence ----

func insertEvidence(ctx context.Context, tx *sql.Tx, id int64, ev *Evidence, data []byte, by any) error {
	if err := tx.QueryRowContext(ctx, `INSERT INTO evidence (assessment_id, question_id, filename, content_type, size, sha256, data, uploaded_by, uploaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, id, ev.QuestionID, ev.Filename, ev.ContentType, ev.Size, ev.SHA256, data, by, ev.At).Scan(&ev.ID); err != nil {
		return fmt.Errorf("maturity: store evidence %q of %d: %w", ev.Filename, id, err)
	}
	return nil
}

func listEvidence(ctx context.Context, q db.Querier, id int64) ([]Evidence, error) {
	rows, err := q.QueryContext(ctx, `SELECT e.id, e.question_id, e.filename, e.content_type, e.size, e.sha256, COALESCE(u.name, ''), e.uploaded_at
		FROM evidence e LEFT JOIN users u ON u.id = e.uploaded_by WHERE e.assessment_id = $1 ORDER BY e.id`, id)
	if err != nil {
		return nil, fmt.Errorf("maturity: list evidence of %d: %w", id, err)
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		var e Evidence
		if err := rows.Scan(&e.ID, &e.QuestionID, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &e.By, &e.At); err != nil {
			return nil, fmt.Errorf("maturity: read evidence of %d: %w", id, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// evidenceFile reads file evidenceID of assessment id, with its content.
func evidenceFile(ctx context.Context, q db.Querier, id, evidenceID int64) (Evidence, []byte, error) {
	var e Evidence
	var data []byte
	err := q.QueryRowContext(ctx, `SELECT id, question_id, filename, content_type, size, sha256, data FROM evidence WHERE id = $1 AND assessment_id = $2`,
		evidenceID, id).Scan(&e.ID, &e.QuestionID, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return Evidence{}, nil, problem.ErrNotFound
	}
	if err != nil {
		return Evidence{}, nil, fmt.Errorf("maturity: read evidence %d of %d: %w", evidenceID, id, err)
	}
	return e, data, nil
}

// deleteEvidence removes file evidenceID of assessment id and returns its name and
// question.
func deleteEvidence(ctx context.Context, tx *sql.Tx, id, evidenceID int64) (name, qid string, err error) {
	err = tx.QueryRowContext(ctx, "SELECT filename, question_id FROM evidence WHERE id = $1 AND assessment_id = $2", evidenceID, id).Scan(&name, &qid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", problem.ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("maturity: read evidence %d of %d: %w", evidenceID, id, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM evidence WHERE id = $1", evidenceID); err != nil {
		return "", "", fmt.Errorf("maturity: delete evidence %d of %d: %w", evidenceID, id, err)
	}
	return name, qid, nil
}
