package maturity

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

//go:embed content/*.yaml
var shipped embed.FS

// Status is where an assessment stands in its lifecycle.
type Status string

const (
	Draft     Status = "draft"     // being filled
	Review    Status = "review"    // submitted, awaiting the direction
	Validated Status = "validated" // signed off: counts in roll-ups, frozen
	Locked    Status = "locked"    // archived for good
)

// Editable reports whether answers may still change.
func (s Status) Editable() bool { return s == Draft || s == Review }

// Service is the self-assessment use cases.
type Service struct {
	DB *db.DB

	parsed sync.Map // questionnaire row id → Questionnaire: versions never change
}

// Version is a stored questionnaire version.
type Version struct {
	ID        int64
	Slug      string
	Version   int
	Kind      string
	Title     string
	Shipped   bool
	CreatedAt time.Time
}

// Assessment is one self-assessment of one establishment.
type Assessment struct {
	ID              int64
	OrgID           int64
	OrgName         string
	OrgPath         string
	QuestionnaireID int64
	Slug            string
	Version         int
	Kind            string
	Title           string
	Status          Status
	CreatedAt       time.Time
	UpdatedAt       time.Time
	SubmittedAt     *time.Time
	ValidatedAt     *time.Time
	LockedAt        *time.Time
	Level           string
	Percent         *float64
}

// Answer is a stored answer.
type Answer struct {
	QuestionID string
	OptionID   string
	Comment    string
	By         string
	At         time.Time
}

func subject(ctx context.Context) authz.Subject {
	s, _ := authz.FromContext(ctx)
	return s
}

func forbidden() error { return problem.New(problem.Forbidden, "error.forbidden") }

// SyncShipped stores the questionnaires shipped in the binary that the database does
// not hold yet. Run at start-up; versions already stored are left as they are.
func (s *Service) SyncShipped(ctx context.Context) error {
	files, err := fs.Glob(shipped, "content/*.yaml")
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := shipped.ReadFile(f)
		if err != nil {
			return err
		}
		q, err := Parse(data)
		if err != nil {
			return fmt.Errorf("maturity: shipped %s: %w", f, err)
		}
		err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM questionnaires WHERE slug = $1 AND version = $2", q.ID, q.Version).Scan(&n); err != nil || n > 0 {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO questionnaires (slug, version, kind, title, source, shipped, created_at) VALUES ($1, $2, $3, $4, $5, TRUE, $6)`,
				q.ID, q.Version, q.Kind, q.Title, string(data), db.Now())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Versions lists the questionnaires: the latest version of each, or every version.
func (s *Service) Versions(ctx context.Context, all bool) ([]Version, error) {
	q := `SELECT id, slug, version, kind, title, shipped, created_at FROM questionnaires q`
	if !all {
		q += ` WHERE version = (SELECT MAX(version) FROM questionnaires q2 WHERE q2.slug = q.slug)`
	}
	rows, err := s.DB.Read.QueryContext(ctx, q+" ORDER BY kind, slug, version DESC")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		if err := rows.Scan(&v.ID, &v.Slug, &v.Version, &v.Kind, &v.Title, &v.Shipped, &v.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Questionnaire returns a stored version, parsed.
func (s *Service) Questionnaire(ctx context.Context, id int64) (Questionnaire, error) {
	if q, ok := s.parsed.Load(id); ok {
		return q.(Questionnaire), nil
	}
	var source string
	err := s.DB.Read.QueryRowContext(ctx, "SELECT source FROM questionnaires WHERE id = $1", id).Scan(&source)
	if errors.Is(err, sql.ErrNoRows) {
		return Questionnaire{}, problem.ErrNotFound
	}
	if err != nil {
		return Questionnaire{}, err
	}
	q, err := Parse([]byte(source))
	if err != nil {
		return Questionnaire{}, fmt.Errorf("maturity: stored questionnaire %d: %w", id, err)
	}
	s.parsed.Store(id, q)
	return q, nil
}

// Import stores a new questionnaire version. Only programme content managers may,
// and a version must be newer than any stored version of the same questionnaire.
func (s *Service) Import(ctx context.Context, data []byte) (Version, error) {
	sub := subject(ctx)
	if !sub.CanAnywhere(authz.ContentManage) {
		return Version{}, forbidden()
	}
	q, err := Parse(data)
	if err != nil {
		return Version{}, err
	}
	v := Version{Slug: q.ID, Version: q.Version, Kind: q.Kind, Title: q.Title, CreatedAt: db.Now()}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var latest sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM questionnaires WHERE slug = $1", q.ID).Scan(&latest); err != nil {
			return err
		}
		if latest.Valid && int64(q.Version) <= latest.Int64 {
			return problem.New(problem.Conflict, "maturity.error.version_exists", q.ID, q.Version, latest.Int64)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO questionnaires (slug, version, kind, title, source, imported_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			q.ID, q.Version, q.Kind, q.Title, string(data), sub.UserID, v.CreatedAt).Scan(&v.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "questionnaire.import", ObjectType: "questionnaire", ObjectID: audit.ID(v.ID),
			Changes: map[string]audit.Change{"questionnaire": {After: q.Ref()}}})
	})
	return v, err
}

const assessmentColumns = `a.id, a.org_id, o.name, o.path, a.questionnaire_id, q.slug, q.version, q.kind, q.title, a.status,
	a.created_at, a.updated_at, a.submitted_at, a.validated_at, a.locked_at, a.level, a.percent`

const assessmentFrom = ` FROM assessments a JOIN orgs o ON o.id = a.org_id JOIN questionnaires q ON q.id = a.questionnaire_id`

func scanAssessment(row interface{ Scan(...any) error }) (Assessment, error) {
	var a Assessment
	var sub, val, lock sql.NullTime
	var pct sql.NullFloat64
	err := row.Scan(&a.ID, &a.OrgID, &a.OrgName, &a.OrgPath, &a.QuestionnaireID, &a.Slug, &a.Version, &a.Kind, &a.Title, &a.Status,
		&a.CreatedAt, &a.UpdatedAt, &sub, &val, &lock, &a.Level, &pct)
	a.SubmittedAt, a.ValidatedAt, a.LockedAt = timePtr(sub), timePtr(val), timePtr(lock)
	if pct.Valid {
		a.Percent = &pct.Float64
	}
	return a, err
}

func timePtr(n sql.NullTime) *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

func getAssessment(ctx context.Context, q db.Querier, id int64) (Assessment, error) {
	a, err := scanAssessment(q.QueryRowContext(ctx, "SELECT "+assessmentColumns+assessmentFrom+" WHERE a.id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Assessment{}, problem.ErrNotFound
	}
	return a, err
}

// Get returns an assessment the caller may read.
func (s *Service) Get(ctx context.Context, id int64) (Assessment, error) {
	a, err := getAssessment(ctx, s.DB.Read, id)
	if err != nil {
		return Assessment{}, err
	}
	if !subject(ctx).Can(authz.OrgRead, a.OrgPath) {
		return Assessment{}, problem.ErrNotFound
	}
	return a, nil
}

// Filter narrows a list of assessments; the caller's scope always applies.
type Filter struct {
	OrgID         int64
	Slug          string
	Limit, Offset int
}

// List returns the visible assessments, newest first, and their count.
func (s *Service) List(ctx context.Context, f Filter) ([]Assessment, int, error) {
	where, args := authz.ScopeClause("o.path", subject(ctx).Scope(authz.OrgRead), 1)
	if f.OrgID != 0 {
		args = append(args, f.OrgID)
		where += fmt.Sprintf(" AND a.org_id = $%d", len(args))
	}
	if f.Slug != "" {
		args = append(args, f.Slug)
		where += fmt.Sprintf(" AND q.slug = $%d", len(args))
	}
	var total int
	if err := s.DB.Read.QueryRowContext(ctx, "SELECT COUNT(*)"+assessmentFrom+" WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.DB.Read.QueryContext(ctx, fmt.Sprintf("SELECT %s%s WHERE %s ORDER BY a.id DESC LIMIT %d OFFSET %d", assessmentColumns, assessmentFrom, where, limit, max(f.Offset, 0)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Assessment
	for rows.Next() {
		a, err := scanAssessment(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// Create starts an assessment of an establishment with a questionnaire version.
func (s *Service) Create(ctx context.Context, questionnaireID, orgID int64) (Assessment, error) {
	var c problem.Checks
	var path, level string
	err := s.DB.Read.QueryRowContext(ctx, "SELECT path, level FROM orgs WHERE id = $1 AND archived_at IS NULL", orgID).Scan(&path, &level)
	sub := subject(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && !sub.Can(authz.OrgRead, path)):
		c.Add("org", "maturity.error.org_unknown")
	case err != nil:
		return Assessment{}, err
	case level != authz.LevelLegalEntity && level != authz.LevelSite:
		c.Add("org", "maturity.error.not_establishment")
	case !sub.Can(authz.ProgrammeWrite, path):
		return Assessment{}, forbidden()
	}
	if _, err := s.Questionnaire(ctx, questionnaireID); err != nil {
		if !problem.Is(err, problem.NotFound) {
			return Assessment{}, err
		}
		c.Add("questionnaire", "maturity.error.questionnaire_unknown")
	}
	if err := c.Err(); err != nil {
		return Assessment{}, err
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := db.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO assessments (org_id, questionnaire_id, status, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
			orgID, questionnaireID, Draft, nullID(sub.UserID), now).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment.create", ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"questionnaire_id": {After: questionnaireID}, "org_id": {After: orgID}}})
	})
	if err != nil {
		return Assessment{}, err
	}
	return getAssessment(ctx, s.DB.Read, id)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Answers returns the stored answers of an assessment the caller may read.
func (s *Service) Answers(ctx context.Context, id int64) (map[string]Answer, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return answers(ctx, s.DB.Read, id)
}

func answers(ctx context.Context, q db.Querier, id int64) (map[string]Answer, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.question_id, a.option_id, a.comment, COALESCE(u.name, ''), a.answered_at FROM answers a
		LEFT JOIN users u ON u.id = a.answered_by WHERE a.assessment_id = $1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Answer{}
	for rows.Next() {
		var a Answer
		if err := rows.Scan(&a.QuestionID, &a.OptionID, &a.Comment, &a.By, &a.At); err != nil {
			return nil, err
		}
		out[a.QuestionID] = a
	}
	return out, rows.Err()
}

// Choices turns stored answers into the option choices the scoring reads.
func Choices(stored map[string]Answer) Answers {
	a := Answers{}
	for qid, ans := range stored {
		if ans.OptionID != "" {
			a[qid] = ans.OptionID
		}
	}
	return a
}

// Change is one question's new answer: a nil field is left as it is.
type Change struct {
	Option  *string
	Comment *string
}

// MaxComment bounds a comment.
const MaxComment = 4000

// SaveAnswers applies changes to an editable assessment. The whole set is checked
// against the questionnaire first (known questions and options, no answer to a
// question the answers hide); if any is wrong nothing is written.
func (s *Service) SaveAnswers(ctx context.Context, id int64, changes map[string]Change) (Result, error) {
	var res Result
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, q, err := s.editable(ctx, tx, id, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		stored, err := answers(ctx, tx, id)
		if err != nil {
			return err
		}
		merged := Choices(stored)
		var c problem.Checks
		ids := make([]string, 0, len(changes))
		for qid, ch := range changes {
			ids = append(ids, qid)
			if ch.Option != nil {
				merged[qid] = *ch.Option
				if *ch.Option == "" {
					delete(merged, qid)
				}
			}
			if ch.Comment != nil && len(*ch.Comment) > MaxComment {
				c.Add(qid, "maturity.error.comment_long", MaxComment)
			}
		}
		if err := q.CheckChanges(merged, ids); err != nil {
			e, _ := problem.As(err)
			for _, f := range e.Fields {
				c.Add(f.Field, f.Key, f.Args...)
			}
		}
		if err := c.Err(); err != nil {
			return err
		}
		now := db.Now()
		diff := map[string]audit.Change{}
		sort.Strings(ids)
		for _, qid := range ids {
			ch := changes[qid]
			old, had := stored[qid]
			next := old
			next.QuestionID = qid
			if ch.Option != nil {
				next.OptionID = *ch.Option
			}
			if ch.Comment != nil {
				next.Comment = strings.TrimSpace(*ch.Comment)
			}
			if had && next.OptionID == old.OptionID && next.Comment == old.Comment {
				continue
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM answers WHERE assessment_id = $1 AND question_id = $2", id, qid); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO answers (assessment_id, question_id, option_id, comment, answered_by, answered_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				id, qid, next.OptionID, next.Comment, nullID(subject(ctx).UserID), now); err != nil {
				return err
			}
			if next.OptionID != old.OptionID {
				diff[qid] = audit.Change{Before: old.OptionID, After: next.OptionID}
			}
			if next.Comment != old.Comment {
				diff[qid+".comment"] = audit.Change{Before: old.Comment, After: next.Comment}
			}
		}
		res = q.Score(merged)
		if len(diff) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE assessments SET updated_at = $1 WHERE id = $2", now, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment.answer", ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: a.OrgPath, Changes: diff})
	})
	return res, err
}

// editable loads an assessment for a change that needs action a on its
// establishment, refusing it once validated.
func (s *Service) editable(ctx context.Context, q db.Querier, id int64, a authz.Action) (Assessment, Questionnaire, error) {
	as, err := getAssessment(ctx, q, id)
	if err != nil {
		return Assessment{}, Questionnaire{}, err
	}
	sub := subject(ctx)
	if !sub.Can(authz.OrgRead, as.OrgPath) {
		return Assessment{}, Questionnaire{}, problem.ErrNotFound
	}
	if !sub.Can(a, as.OrgPath) {
		return Assessment{}, Questionnaire{}, forbidden()
	}
	if !as.Status.Editable() {
		return Assessment{}, Questionnaire{}, problem.New(problem.Conflict, "maturity.error.frozen")
	}
	qn, err := s.Questionnaire(ctx, as.QuestionnaireID)
	return as, qn, err
}

// Result computes the result of an assessment the caller may read.
func (s *Service) Result(ctx context.Context, id int64) (Assessment, Questionnaire, Result, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return Assessment{}, Questionnaire{}, Result{}, err
	}
	q, err := s.Questionnaire(ctx, a.QuestionnaireID)
	if err != nil {
		return Assessment{}, Questionnaire{}, Result{}, err
	}
	stored, err := answers(ctx, s.DB.Read, id)
	if err != nil {
		return Assessment{}, Questionnaire{}, Result{}, err
	}
	return a, q, q.Score(Choices(stored)), nil
}

// transition moves an assessment from one status to another, if the caller may.
func (s *Service) transition(ctx context.Context, id int64, from []Status, to Status, need authz.Action, apply func(tx *sql.Tx, a Assessment, q Questionnaire) error) (Assessment, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, err := getAssessment(ctx, tx, id)
		if err != nil {
			return err
		}
		sub := subject(ctx)
		if !sub.Can(authz.OrgRead, a.OrgPath) {
			return problem.ErrNotFound
		}
		if !sub.Can(need, a.OrgPath) {
			return forbidden()
		}
		ok := false
		for _, f := range from {
			ok = ok || a.Status == f
		}
		if !ok {
			return problem.New(problem.Conflict, "maturity.error.transition", string(a.Status), string(to))
		}
		q, err := s.Questionnaire(ctx, a.QuestionnaireID)
		if err != nil {
			return err
		}
		if apply != nil {
			if err := apply(tx, a, q); err != nil {
				return err
			}
		}
		now := db.Now()
		col := map[Status]string{Review: "submitted_at", Validated: "validated_at", Locked: "locked_at", Draft: "updated_at"}[to]
		if _, err := tx.ExecContext(ctx, "UPDATE assessments SET status = $1, updated_at = $2, "+col+" = $2 WHERE id = $3", to, now, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "assessment." + string(to), ObjectType: "assessment", ObjectID: audit.ID(id), OrgPath: a.OrgPath,
			Changes: map[string]audit.Change{"status": {Before: string(a.Status), After: string(to)}}})
	})
	if err != nil {
		return Assessment{}, err
	}
	return getAssessment(ctx, s.DB.Read, id)
}

// Submit sends a complete draft for review: every visible question must be answered
// ("je ne sais pas" is an answer).
func (s *Service) Submit(ctx context.Context, id int64) (Assessment, error) {
	return s.transition(ctx, id, []Status{Draft}, Review, authz.ProgrammeWrite, func(tx *sql.Tx, a Assessment, q Questionnaire) error {
		stored, err := answers(ctx, tx, id)
		if err != nil {
			return err
		}
		if r := q.Score(Choices(stored)); r.Answered < r.Visible {
			return problem.New(problem.Invalid, "maturity.error.incomplete", r.Visible-r.Answered)
		}
		return nil
	})
}

// Reopen sends an assessment under review back to draft.
func (s *Service) Reopen(ctx context.Context, id int64) (Assessment, error) {
	return s.transition(ctx, id, []Status{Review}, Draft, authz.ProgrammeWrite, nil)
}

// Validate signs off an assessment under review. Its result is frozen, and it becomes
// the establishment's latest validated assessment for this questionnaire.
func (s *Service) Validate(ctx context.Context, id int64) (Assessment, error) {
	return s.transition(ctx, id, []Status{Review}, Validated, authz.SignOff, func(tx *sql.Tx, a Assessment, q Questionnaire) error {
		stored, err := answers(ctx, tx, id)
		if err != nil {
			return err
		}
		r := q.Score(Choices(stored))
		level := ""
		if r.Level != nil {
			level = r.Level.Code
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assessments SET latest = FALSE WHERE org_id = $1 AND latest = TRUE
			AND questionnaire_id IN (SELECT id FROM questionnaires WHERE slug = $2)`, a.OrgID, a.Slug); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE assessments SET level = $1, percent = $2, theme_scores = $3, latest = TRUE, validated_by = $4 WHERE id = $5`,
			level, r.Percent, formatThemes(r.Themes), nullID(subject(ctx).UserID), id)
		return err
	})
}

// Lock archives a validated assessment for good.
func (s *Service) Lock(ctx context.Context, id int64) (Assessment, error) {
	return s.transition(ctx, id, []Status{Validated}, Locked, authz.SignOff, nil)
}

// KitLevel is the crisis-exercise kit level recommended to an establishment by its
// latest validated kit-level grid, for the capabilities that need it.
func (s *Service) KitLevel(ctx context.Context, orgID int64) (level string, at time.Time, ok bool, err error) {
	var validated sql.NullTime
	err = s.DB.Read.QueryRowContext(ctx, `SELECT a.level, a.validated_at FROM assessments a JOIN questionnaires q ON q.id = a.questionnaire_id
		WHERE a.org_id = $1 AND a.latest = TRUE AND q.kind = $2 ORDER BY a.validated_at DESC LIMIT 1`, orgID, KindKitLevel).Scan(&level, &validated)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, err
	}
	return level, validated.Time, true, nil
}

// Source returns the YAML of a stored questionnaire version. Questionnaires are
// programme content, readable by every logged-in person.
func (s *Service) Source(ctx context.Context, id int64) (string, error) {
	var src string
	err := s.DB.Read.QueryRowContext(ctx, "SELECT source FROM questionnaires WHERE id = $1", id).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) {
		return "", problem.ErrNotFound
	}
	return src, err
}
