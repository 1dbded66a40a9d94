package exercise

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The main courante: the shared crisis log of a running exercise, and the actions
// it assigns to the cells.

// LogEntry is an entry of the shared crisis log.
type LogEntry struct {
	ID       int64
	UserID   int64
	Author   string
	Cell     string
	Kind     string
	Body     string
	Stimulus *int64
	At       time.Time
	DoneAt   *time.Time // for an action: when its cell marked it done
}

// LogKinds are the kinds of log entry. An action is a task of its cell; a note
// is the animation team's and players never see it.
var LogKinds = []string{"information", "decision", "action", "note"}

// PostLog writes an entry in the main courante of a running exercise the caller
// takes part in.
func (s *Service) PostLog(ctx context.Context, id int64, kind, body string, stimulus int64) (LogEntry, error) {
	var entry LogEntry
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := open(ctx, tx, id, false, participant)
		if err != nil {
			return err
		}
		var c problem.Checks
		if !slices.Contains(LogKinds, kind) || (kind == "note" && !o.Seat.Staff()) {
			c.Add("kind", "exercise.error.log_kind", kind)
		}
		body = strings.TrimSpace(body)
		if body == "" || len(body) > 4000 {
			c.Add("body", "exercise.error.log_body", 4000)
		}
		sub := authz.Current(ctx)
		entry = LogEntry{UserID: sub.UserID, Author: sub.Name, Cell: o.Seat.Cell, Kind: kind, Body: body, At: db.Now()}
		if stimulus != 0 {
			ok, err := delivered(ctx, tx, id, stimulus)
			if err != nil {
				return err
			}
			if !ok {
				c.Add("stimulus", "exercise.error.log_stimulus")
			}
			entry.Stimulus = &stimulus
		}
		if err := c.Err(); err != nil {
			return err
		}
		if err := o.in(StatusRunning); err != nil {
			return err
		}
		if entry.ID, err = insertLog(ctx, tx, id, entry); err != nil {
			return err
		}
		audience := "all"
		if kind == "note" {
			audience = "staff"
		}
		return s.emit(ctx, tx, id, "log", entry.ID, audience)
	})
	if err == nil {
		s.wake(id)
	}
	return entry, err
}

// Log returns the main courante, oldest first, to the exercise's participants
// (notes to the animation team only).
func (s *Service) Log(ctx context.Context, id int64) ([]LogEntry, error) {
	o, err := open(ctx, s.DB.Read, id, false, participant)
	if err != nil {
		return nil, err
	}
	return readLog(ctx, s.DB.Read, o)
}

// readLog reads the main courante of an opened exercise as its seat may read it.
func readLog(ctx context.Context, q db.Querier, o opened) ([]LogEntry, error) {
	all, err := listLog(ctx, q, o.ID)
	if err != nil {
		return nil, err
	}
	out := []LogEntry{}
	for _, l := range all {
		if o.Seat.Reads(l) {
			out = append(out, l)
		}
	}
	return out, nil
}

// DoneTask marks an action of the main courante done: by a participant of its
// cell or an animator, while the exercise runs.
func (s *Service) DoneTask(ctx context.Context, id, entry int64) error {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := open(ctx, tx, id, false, participant)
		if err != nil {
			return err
		}
		if err := o.in(StatusRunning); err != nil {
			return err
		}
		cell, err := openTask(ctx, tx, id, entry)
		if err != nil {
			return err
		}
		if o.Seat.Role != RoleAnimator && o.Seat.Cell != cell {
			return problem.New(problem.Forbidden, "exercise.error.other_cell")
		}
		return markDone(ctx, tx, entry, db.Now())
	})
	if err == nil {
		s.wake(id)
	}
	return err
}
