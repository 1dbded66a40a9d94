package exercise

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Scores of an observer's mark.
var Scores = map[int]string{1: "not_met", 2: "partly_met", 3: "met"}

// Mark is an observer's mark on a criterion of the grid, stamped with the
// exercise time at which it was made.
type Mark struct {
	ID        int64
	UserID    int64
	Author    string
	Criterion string
	Score     int
	Note      string
	Elapsed   int
	At        time.Time
}

// AddMark records a mark of the observation grid, live or just after the play.
func (s *Service) AddMark(ctx context.Context, id int64, criterion string, score int, note string) (Mark, error) {
	var m Mark
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, seat, _, err := s.open(ctx, tx, id)
		if err != nil {
			return err
		}
		if !seat.Staff() {
			return problem.New(problem.Forbidden, "exercise.error.observers_only")
		}
		var c problem.Checks
		if !slices.ContainsFunc(e.Kit.Animator.Criteria, func(cr Criterion) bool { return cr.ID == criterion }) {
			c.Add("criterion", "exercise.error.unknown_criterion", criterion, e.Title)
		}
		if _, ok := Scores[score]; !ok {
			c.Add("score", "exercise.error.score")
		}
		if len(note) > 4000 {
			c.Add("note", "exercise.error.log_body", 4000)
		}
		if err := c.Err(); err != nil {
			return err
		}
		if e.Status != StatusRunning && e.Status != StatusFinished {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		end := time.Now()
		if e.FinishedAt != nil {
			end = *e.FinishedAt
		}
		sub := subject(ctx)
		m = Mark{UserID: sub.UserID, Author: sub.Name, Criterion: criterion, Score: score, Note: strings.TrimSpace(note),
			Elapsed: int(e.Clock.Elapsed(end) / time.Second), At: db.Now()}
		if err := tx.QueryRowContext(ctx, `INSERT INTO exercise_marks (exercise_id, user_id, criterion, score, note, elapsed_seconds, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, id, m.UserID, criterion, score, m.Note, m.Elapsed, m.At).Scan(&m.ID); err != nil {
			return err
		}
		return emit(ctx, tx, id, "mark", m.ID, "staff")
	})
	if err == nil {
		s.wake(id)
	}
	return m, err
}

const markColumns = "m.id, m.user_id, u.name, m.criterion, m.score, m.note, m.elapsed_seconds, m.created_at"

func scanMark(row interface{ Scan(...any) error }) (Mark, error) {
	var m Mark
	err := row.Scan(&m.ID, &m.UserID, &m.Author, &m.Criterion, &m.Score, &m.Note, &m.Elapsed, &m.At)
	return m, err
}

func (s *Service) marks(ctx context.Context, id int64) ([]Mark, error) {
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT "+markColumns+" FROM exercise_marks m JOIN users u ON u.id = m.user_id WHERE m.exercise_id = $1 ORDER BY m.id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Mark{}
	for rows.Next() {
		m, err := scanMark(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// TimelineRow sets a delivered stimulus against the first log entry that answered
// it: one citing it, or else the first entry of a recipient cell after it.
type TimelineRow struct {
	Stimulus Line
	Answer   *LogEntry
	// Delay is the response time in exercise time (the speed factor applied).
	Delay *time.Duration
}

// DelayText is the response delay in minutes and seconds of exercise time, or ""
// when the stimulus got no answer.
func (r TimelineRow) DelayText() string {
	if r.Delay == nil {
		return ""
	}
	d := r.Delay.Round(time.Second)
	return strconv.Itoa(int(d/time.Minute)) + " min " + strconv.Itoa(int(d%time.Minute/time.Second)) + " s"
}

// CriterionResult sums up the marks of one criterion of the grid.
type CriterionResult struct {
	Criterion Criterion
	Marks     []Mark
	Average   float64 // 0 when unmarked
}

// Action is a line of the action plan that comes out of an exercise.
type Action struct {
	ID         int64
	ExerciseID int64
	OrgID      int64
	Title      string
	Owner      string
	Due        time.Time
	Status     string
	ActivityID *int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ActionStatuses are the states of an action.
var ActionStatuses = []string{"todo", "in_progress", "done"}

// Retex is the return on experience of an exercise, as the caller may read it:
// players get the timeline of what reached their cell, the conclusions and the
// action plan; the animation team also gets expected reactions and the grid.
type Retex struct {
	Exercise     Exercise
	Seat         Seat
	Timeline     []TimelineRow
	Criteria     []CriterionResult // animation team only
	Strengths    string
	Improvements string
	Closed       bool
	Actions      []Action
}

// Retex builds the RETEX of an exercise for its participants.
func (s *Service) Retex(ctx context.Context, id int64) (Retex, error) {
	lines, seat, err := s.Stimuli(ctx, id)
	if err != nil {
		return Retex{}, err
	}
	e, _, err := s.Get(ctx, id)
	if err != nil {
		return Retex{}, err
	}
	r := Retex{Exercise: e, Seat: seat, Closed: e.Status == StatusClosed}
	if err := s.DB.Read.QueryRowContext(ctx, "SELECT strengths, improvements FROM exercise_retex WHERE exercise_id = $1", id).Scan(&r.Strengths, &r.Improvements); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, err
	}
	log, err := s.Log(ctx, id)
	if err != nil {
		return r, err
	}
	for _, st := range lines {
		if st.DeliveredAt == nil {
			continue
		}
		row := TimelineRow{Stimulus: st}
		for i, l := range log {
			if l.Stimulus != nil && *l.Stimulus == st.ID {
				row.Answer = &log[i]
				break
			}
		}
		if row.Answer == nil {
			for i, l := range log {
				if !l.At.Before(*st.DeliveredAt) && st.For(l.Cell) {
					row.Answer = &log[i]
					break
				}
			}
		}
		if row.Answer != nil {
			d := row.Answer.At.Sub(*st.DeliveredAt) * time.Duration(max(e.Clock.Speed, 1))
			row.Delay = &d
		}
		r.Timeline = append(r.Timeline, row)
	}
	if seat.Staff() {
		marks, err := s.marks(ctx, id)
		if err != nil {
			return r, err
		}
		for _, cr := range e.Kit.Animator.Criteria {
			res := CriterionResult{Criterion: cr}
			total := 0
			for _, m := range marks {
				if m.Criterion == cr.ID {
					res.Marks = append(res.Marks, m)
					total += m.Score
				}
			}
			if len(res.Marks) > 0 {
				res.Average = float64(total) / float64(len(res.Marks))
			}
			r.Criteria = append(r.Criteria, res)
		}
	}
	r.Actions, err = s.actions(ctx, id)
	return r, err
}

// SaveRetex writes the conclusions of a finished exercise (animators).
func (s *Service) SaveRetex(ctx context.Context, id int64, strengths, improvements string) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, path, err := s.drive(ctx, tx, id)
		if err != nil {
			return err
		}
		if e.Status != StatusFinished {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		strengths, improvements = strings.TrimSpace(strengths), strings.TrimSpace(improvements)
		if len(strengths) > 20000 || len(improvements) > 20000 {
			var c problem.Checks
			c.Add("strengths", "exercise.error.log_body", 20000)
			return c.Err()
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM exercise_retex WHERE exercise_id = $1", id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO exercise_retex (exercise_id, strengths, improvements, updated_at) VALUES ($1, $2, $3, $4)", id, strengths, improvements, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.retex", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: path})
	})
}

// CloseRetex closes the RETEX of a finished exercise whose conclusions are
// written and whose action plan has at least one action (animators).
func (s *Service) CloseRetex(ctx context.Context, id int64) error {
	return s.transition(ctx, id, "close", []string{StatusFinished}, func(tx *sql.Tx, _ Exercise, now time.Time) error {
		var strengths, improvements string
		err := tx.QueryRowContext(ctx, "SELECT strengths, improvements FROM exercise_retex WHERE exercise_id = $1", id).Scan(&strengths, &improvements)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var actions int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM exercise_actions WHERE exercise_id = $1", id).Scan(&actions); err != nil {
			return err
		}
		var c problem.Checks
		if strengths == "" || improvements == "" {
			c.Add("strengths", "exercise.error.retex_incomplete")
		}
		if actions == 0 {
			c.Add("actions", "exercise.error.no_action")
		}
		if err := c.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE exercise_retex SET closed_by = $1 WHERE exercise_id = $2", nullID(subject(ctx).UserID), id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE exercises SET status = 'closed', closed_at = $1 WHERE id = $2", now, id)
		return err
	})
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// SaveAction adds (ID 0) or changes an action of the plan. Animators write it with
// the exercise; afterwards, whoever runs the establishment's programme follows it.
func (s *Service) SaveAction(ctx context.Context, id int64, a Action) (Action, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		e, seat, path, err := s.open(ctx, tx, id)
		if err != nil {
			return err
		}
		if seat.Role != RoleAnimator && !subject(ctx).Can(authz.ProgrammeWrite, path) {
			return problem.New(problem.Forbidden, "exercise.error.animators_only")
		}
		if e.Status != StatusFinished && e.Status != StatusClosed {
			return problem.New(problem.Conflict, "exercise.error.state", e.Status)
		}
		var c problem.Checks
		a.Title, a.Owner = strings.TrimSpace(a.Title), strings.TrimSpace(a.Owner)
		if a.Title == "" || len(a.Title) > 500 {
			c.Add("title", "exercise.error.action_title")
		}
		if a.Owner == "" {
			c.Add("owner", "exercise.error.action_owner")
		}
		if a.Due.IsZero() {
			c.Add("due", "exercise.error.due")
		}
		if a.Status == "" {
			a.Status = "todo"
		}
		if !slices.Contains(ActionStatuses, a.Status) {
			c.Add("status", "exercise.error.action_status", a.Status)
		}
		if a.ActivityID != nil {
			// The activity must belong to the establishment's branch.
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM activities a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1 AND (o.path LIKE $2 OR $3 LIKE o.path || '%')`,
				*a.ActivityID, path+"%", path).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				c.Add("activity", "exercise.error.activity")
			}
		}
		if err := c.Err(); err != nil {
			return err
		}
		now := db.Now()
		a.ExerciseID, a.OrgID, a.UpdatedAt = id, e.OrgID, now
		a.Due = a.Due.UTC().Truncate(24 * time.Hour)
		if a.ID == 0 {
			a.CreatedAt = now
			if err := tx.QueryRowContext(ctx, `INSERT INTO exercise_actions (exercise_id, org_id, title, owner, due_on, status, activity_id, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`, id, e.OrgID, a.Title, a.Owner, a.Due, a.Status, a.ActivityID, now).Scan(&a.ID); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE exercise_actions SET title = $1, owner = $2, due_on = $3, status = $4, activity_id = $5, updated_at = $6 WHERE id = $7 AND exercise_id = $8`,
				a.Title, a.Owner, a.Due, a.Status, a.ActivityID, now, a.ID, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return problem.ErrNotFound
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.action", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: path,
			Changes: map[string]audit.Change{"action": {After: a.ID}, "status": {After: a.Status}}})
	})
	return a, err
}

func (s *Service) actions(ctx context.Context, id int64) ([]Action, error) {
	rows, err := s.DB.Read.QueryContext(ctx, `SELECT id, exercise_id, org_id, title, owner, due_on, status, activity_id, created_at, updated_at
		FROM exercise_actions WHERE exercise_id = $1 ORDER BY due_on, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Action{}
	for rows.Next() {
		var a Action
		var act sql.NullInt64
		if err := rows.Scan(&a.ID, &a.ExerciseID, &a.OrgID, &a.Title, &a.Owner, &a.Due, &a.Status, &act, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return nil, err
		}
		if act.Valid {
			v := act.Int64
			a.ActivityID = &v
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// DoneIn reports whether an exercise of the establishment (or a node under it)
// finished within [from, to): the funding indicator "exercise done in the period".
func (s *Service) DoneIn(ctx context.Context, org int64, from, to time.Time) (bool, error) {
	var path string
	err := s.DB.Read.QueryRowContext(ctx, "SELECT path FROM orgs WHERE id = $1", org).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !subject(ctx).Can(authz.OrgRead, path)) {
		return false, problem.ErrNotFound
	}
	if err != nil {
		return false, err
	}
	var n int
	err = s.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM exercises e JOIN orgs o ON o.id = e.org_id
		WHERE o.path LIKE $1 AND e.status IN ('finished', 'closed') AND e.finished_at >= $2 AND e.finished_at < $3`, path+"%", from.UTC(), to.UTC()).Scan(&n)
	return n > 0, err
}
