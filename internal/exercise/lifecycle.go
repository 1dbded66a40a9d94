package exercise

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// An exercise's life: created from a kit as a draft, planned, started (T0),
// paused and resumed, finished, and closed with its RETEX.

// Create starts a draft exercise for an establishment from a kit: the kit is
// copied into the exercise, which may then be edited without touching the kit.
// The creator joins as animator.
func (s *Service) Create(ctx context.Context, orgID int64, kitID string, speed int) (Exercise, error) {
	var c problem.Checks
	kit, err := s.Kit(ctx, kitID)
	if err != nil {
		c.Add("kit", "exercise.error.unknown_kit", kitID)
	}
	if speed == 0 {
		speed = 1
	}
	if speed < 1 || speed > MaxSpeed {
		c.Add("speed", "exercise.error.speed", MaxSpeed)
	}
	if err := c.Err(); err != nil {
		return Exercise{}, err
	}
	sub := authz.Current(ctx)
	var id int64
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		node, err := org.Load(ctx, tx, orgID, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		now := db.Now()
		if id, err = insertExercise(ctx, tx, node.ID, kit, speed, sub.UserID, now); err != nil {
			return err
		}
		for _, st := range kit.Animator.Stimuli {
			if _, err := insertStimulus(ctx, tx, id, fromKit(st)); err != nil {
				return err
			}
		}
		if err := putSeat(ctx, tx, id, sub.UserID, RoleAnimator, "", now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.create", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: node.Path,
			Changes: map[string]audit.Change{"kit": {After: kit.ID}, "version": {After: kit.Version}, "speed": {After: speed}}})
	})
	if err != nil {
		return Exercise{}, err
	}
	e, _, err := s.Get(ctx, id)
	return e, err
}

func fromKit(st Stimulus) Line {
	return Line{Ref: st.ID, Offset: st.Offset * 60, Channel: st.Channel, Sender: st.Sender, Recipients: st.Recipients, Title: st.Title,
		Content: st.Content, Attachments: st.Attachments, Expected: st.ExpectedReactions, Criteria: st.Criteria}
}

// MaxPlace bounds the length of an exercise's place.
const MaxPlace = 200

// Plan sets the date and place of a draft or planned exercise.
func (s *Service) Plan(ctx context.Context, id int64, on time.Time, place string) error {
	place = strings.TrimSpace(place)
	if utf8.RuneCountInString(place) > MaxPlace {
		return fieldError("place", "exercise.error.place", MaxPlace)
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := drive(ctx, tx, id, StatusDraft, StatusPlanned)
		if err != nil {
			return err
		}
		on = on.UTC().Truncate(time.Second)
		if err := setExercise(ctx, tx, id, "plan", "status = 'planned', planned_for = $1, place = $2", on, place); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.plan", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"planned_for": {After: on}, "place": {Before: o.Place, After: place}}})
	})
}

// Steps are the moves of an exercise's life an animator makes from the console
// (Step): start, pause, resume, finish, close.
var Steps = []string{"start", "pause", "resume", "finish", "close"}

// Step moves exercise id through its life: start sets T0 now; pause stops the
// clock (no stimulus is delivered while paused); resume restarts it, the pause not
// counted; finish ends the play (undelivered stimuli stay undelivered); close
// closes the RETEX (CloseRetex).
func (s *Service) Step(ctx context.Context, id int64, step string) error {
	switch step {
	case "start":
		return s.transition(ctx, id, step, []string{StatusDraft, StatusPlanned}, func(tx *sql.Tx, _ Exercise, now time.Time) error {
			return setExercise(ctx, tx, id, step, "status = 'running', started_at = $1, ticked_at = $1", now)
		})
	case "pause":
		return s.transition(ctx, id, step, []string{StatusRunning}, func(tx *sql.Tx, e Exercise, now time.Time) error {
			if e.Clock.PausedAt != nil {
				return problem.New(problem.Conflict, "exercise.error.paused")
			}
			return setExercise(ctx, tx, id, step, "paused_at = $1", now)
		})
	case "resume":
		return s.transition(ctx, id, step, []string{StatusRunning}, func(tx *sql.Tx, e Exercise, now time.Time) error {
			if e.Clock.PausedAt == nil {
				return problem.New(problem.Conflict, "exercise.error.not_paused")
			}
			c := e.Clock.Resume(now)
			return setExercise(ctx, tx, id, step, "paused_at = NULL, paused_ms = $1, ticked_at = $2", c.Paused.Milliseconds(), now)
		})
	case "finish":
		return s.transition(ctx, id, step, []string{StatusRunning}, func(tx *sql.Tx, _ Exercise, now time.Time) error {
			return setExercise(ctx, tx, id, step, "status = 'finished', paused_at = NULL, finished_at = $1", now)
		})
	case "close":
		return s.CloseRetex(ctx, id)
	}
	return problem.New(problem.Invalid, "error.invalid")
}

// transition moves an exercise from one of the allowed states, applying set, and
// records a state event for live clients.
func (s *Service) transition(ctx context.Context, id int64, action string, from []string, set func(tx *sql.Tx, e Exercise, now time.Time) error) error {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := drive(ctx, tx, id, from...)
		if err != nil {
			return err
		}
		if err := set(tx, o.Exercise, db.Now()); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, id, "state", 0, "all"); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise." + action, ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: o.Path})
	})
	if err == nil {
		s.wake(id)
		s.Rearm() // started, paused, resumed or finished: what is due changed
	}
	return err
}
