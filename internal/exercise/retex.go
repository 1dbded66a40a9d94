package exercise

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// After the play: the observation grid, the RETEX and its action plan.

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
		o, err := open(ctx, tx, id, true, staff)
		if err != nil {
			return err
		}
		var c problem.Checks
		if !slices.ContainsFunc(o.Kit.Animator.Criteria, func(cr Criterion) bool { return cr.ID == criterion }) {
			c.Add("criterion", "exercise.error.unknown_criterion", criterion, o.Title)
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
		if err := o.in(StatusRunning, StatusFinished); err != nil {
			return err
		}
		sub := authz.Current(ctx)
		m = Mark{UserID: sub.UserID, Author: sub.Name, Criterion: criterion, Score: score, Note: strings.TrimSpace(note),
			Elapsed: int(o.Elapsed(time.Now()) / time.Second), At: db.Now()}
		if m.ID, err = insertMark(ctx, tx, id, m); err != nil {
			return err
		}
		return s.emit(ctx, tx, id, "mark", m.ID, "staff")
	})
	if err == nil {
		s.wake(id)
	}
	return m, err
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
	q := s.DB.Read
	o, err := open(ctx, q, id, true, participant)
	if err != nil {
		return Retex{}, err
	}
	r := Retex{Exercise: o.Exercise, Seat: o.Seat, Closed: o.Status == StatusClosed}
	lines, err := stimuli(ctx, q, o)
	if err != nil {
		return r, err
	}
	if r.Strengths, r.Improvements, err = getConclusions(ctx, q, id); err != nil {
		return r, err
	}
	log, err := readLog(ctx, q, o)
	if err != nil {
		return r, err
	}
	r.Timeline = timeline(lines, log, o.Clock.Speed)
	if o.Seat.Staff() {
		if r.Criteria, err = criteria(ctx, q, o); err != nil {
			return r, err
		}
	}
	r.Actions, err = listActions(ctx, q, id)
	return r, err
}

// timeline sets each delivered stimulus against its answer in the log.
func timeline(lines []Line, log []LogEntry, speed int) []TimelineRow {
	var out []TimelineRow
	for _, st := range lines {
		if st.DeliveredAt == nil {
			continue
		}
		row := TimelineRow{Stimulus: st}
		cites := slices.IndexFunc(log, func(l LogEntry) bool { return l.Stimulus != nil && *l.Stimulus == st.ID })
		if cites < 0 {
			cites = slices.IndexFunc(log, func(l LogEntry) bool { return !l.At.Before(*st.DeliveredAt) && st.For(l.Cell) })
		}
		if cites >= 0 {
			row.Answer = &log[cites]
			d := row.Answer.At.Sub(*st.DeliveredAt) * time.Duration(max(speed, 1))
			row.Delay = &d
		}
		out = append(out, row)
	}
	return out
}

// criteria sums up the grid of an opened exercise, criterion by criterion.
func criteria(ctx context.Context, q db.Querier, o opened) ([]CriterionResult, error) {
	marks, err := listMarks(ctx, q, o.ID)
	if err != nil {
		return nil, err
	}
	var out []CriterionResult
	for _, cr := range o.Kit.Animator.Criteria {
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
		out = append(out, res)
	}
	return out, nil
}

// SaveRetex writes the conclusions of a finished exercise (animators).
func (s *Service) SaveRetex(ctx context.Context, id int64, strengths, improvements string) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := drive(ctx, tx, id, StatusFinished)
		if err != nil {
			return err
		}
		strengths, improvements = strings.TrimSpace(strengths), strings.TrimSpace(improvements)
		if len(strengths) > 20000 || len(improvements) > 20000 {
			var c problem.Checks
			c.Add("strengths", "exercise.error.log_body", 20000)
			return c.Err()
		}
		if err := putConclusions(ctx, tx, id, strengths, improvements, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.retex", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: o.Path})
	})
}

// CloseRetex closes the RETEX of a finished exercise whose conclusions are
// written and whose action plan has at least one action (animators).
func (s *Service) CloseRetex(ctx context.Context, id int64) error {
	return s.transition(ctx, id, "close", []string{StatusFinished}, func(tx *sql.Tx, _ Exercise, now time.Time) error {
		strengths, improvements, err := getConclusions(ctx, tx, id)
		if err != nil {
			return err
		}
		actions, err := countActions(ctx, tx, id)
		if err != nil {
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
		if err := closeConclusions(ctx, tx, id, authz.Current(ctx).UserID); err != nil {
			return err
		}
		return setExercise(ctx, tx, id, "close", "status = 'closed', closed_at = $1", now)
	})
}

// SaveAction adds (ID 0) or changes an action of the plan. Animators write it with
// the exercise; afterwards, whoever runs the establishment's programme follows it.
func (s *Service) SaveAction(ctx context.Context, id int64, a Action) (Action, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := open(ctx, tx, id, false, anyone)
		if err != nil {
			return err
		}
		if o.Seat.Role != RoleAnimator {
			// Not an animator: the node decides, as for the rest of its programme.
			if _, err := org.Load(ctx, tx, o.OrgID, authz.ProgrammeWrite); err != nil {
				return problem.New(problem.Forbidden, "exercise.error.animators_only")
			}
		}
		if err := o.in(StatusFinished, StatusClosed); err != nil {
			return err
		}
		if err := checkAction(ctx, tx, &a, o.Path); err != nil {
			return err
		}
		a.ExerciseID, a.OrgID, a.UpdatedAt = id, o.OrgID, db.Now()
		a.Due = a.Due.UTC().Truncate(24 * time.Hour)
		if a.ID == 0 {
			a.CreatedAt = a.UpdatedAt
			a.ID, err = insertAction(ctx, tx, a)
		} else {
			err = updateAction(ctx, tx, a)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.action", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"action": {After: a.ID}, "status": {After: a.Status}}})
	})
	return a, err
}

// checkAction tidies and checks an action of the plan of an exercise of the node
// at path: its activity, if any, must belong to the node's branch.
func checkAction(ctx context.Context, q db.Querier, a *Action, path string) error {
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
		ok, err := activityInBranch(ctx, q, *a.ActivityID, path)
		if err != nil {
			return err
		}
		if !ok {
			c.Add("activity", "exercise.error.activity")
		}
	}
	return c.Err()
}

// DoneIn reports whether an exercise of the establishment (or a node under it)
// finished within [from, to): the funding indicator "exercise done in the period".
func (s *Service) DoneIn(ctx context.Context, orgID int64, from, to time.Time) (bool, error) {
	node, err := org.Load(ctx, s.DB.Read, orgID, authz.OrgRead)
	if err != nil {
		return false, err
	}
	n, err := countFinished(ctx, s.DB.Read, node.Path, from, to)
	return n > 0, err
}
