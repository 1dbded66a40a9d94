package exercise

import (
	"context"
	"errors"
	"slices"
	"strings"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Seat is what the caller is in an exercise: an animator, an observer, a player
// of a cell, or, with no role, a reader of the establishment who only sees that
// the exercise exists.
type Seat struct {
	Role string
	Cell string
}

// Staff reports whether the seat belongs to the animation team, who may read the
// expected reactions.
func (s Seat) Staff() bool { return s.Role == RoleAnimator || s.Role == RoleObserver }

// Sees reports whether a seat receives an event.
func (s Seat) Sees(ev Event) bool {
	switch {
	case s.Role == "":
		return false
	case ev.Audience == "all", s.Role == RoleAnimator:
		return true
	case ev.Audience == "staff":
		return s.Staff()
	case s.Role == RoleObserver:
		return true
	default:
		return slices.Contains(strings.Fields(ev.Audience), s.Cell)
	}
}

// Shown is a stimulus as the seat may read it, and whether it may read it at all:
// an animator reads every one, future ones included; an observer the delivered
// ones; a player the delivered ones addressed to their cell. Only the animation
// team gets the expected reactions and criteria.
func (s Seat) Shown(st Line) (Line, bool) {
	if s.Role == "" || (s.Role != RoleAnimator && st.DeliveredAt == nil) || (s.Role == RolePlayer && !st.For(s.Cell)) {
		return Line{}, false
	}
	if !s.Staff() {
		st.Expected, st.Criteria = nil, nil
	}
	return st, true
}

// Reads reports whether the seat reads a log entry: notes are the animation team's.
func (s Seat) Reads(l LogEntry) bool { return l.Kind != "note" || s.Staff() }

// The seat rules: what a request asks of the caller's seat, once the exercise is
// open to them (403 otherwise).

// anyone lets every caller who sees the exercise, a reader included.
func anyone(Seat) error { return nil }

// participant refuses a reader what only participants do.
func participant(s Seat) error {
	if s.Role == "" {
		return problem.New(problem.Forbidden, "exercise.error.not_participant")
	}
	return nil
}

// staff refuses a player or a reader what only the animation team does.
func staff(s Seat) error {
	if !s.Staff() {
		return problem.New(problem.Forbidden, "exercise.error.observers_only")
	}
	return nil
}

// animator refuses anyone but an animator.
func animator(s Seat) error {
	if s.Role != RoleAnimator {
		return problem.New(problem.Forbidden, "exercise.error.animators_only")
	}
	return nil
}

// in refuses a change the exercise's status does not allow.
func (e Exercise) in(states ...string) error {
	if !slices.Contains(states, e.Status) {
		return problem.New(problem.Conflict, "exercise.error.state", e.Status)
	}
	return nil
}

// opened is an exercise as one request found it: the exercise, the path of its
// node (the scope of its audit entries) and the caller's seat.
type opened struct {
	Exercise
	Path string
	Seat Seat
}

// open is the one access check of an exercise: it loads the exercise (with its
// kit copy when kit is set; live streams, which open at every poll, leave it
// alone) and the caller's seat, then its node with org.Load, and applies the
// seat rule may. A participant sees the exercise whatever their place in the
// tree (a guest invited from outside the branch, a site's staff in its
// establishment's exercise); anyone else sees it when they may read its node,
// without a seat. To everyone else, and for everyone once the node is archived,
// it does not exist (404).
func open(ctx context.Context, q db.Querier, id int64, kit bool, may func(Seat) error) (opened, error) {
	e, seat, err := getExercise(ctx, q, id, authz.Current(ctx).UserID, kit)
	if err != nil {
		return opened{}, err
	}
	o := opened{Exercise: e, Seat: seat}
	node, err := org.Load(ctx, q, e.OrgID, authz.OrgRead)
	switch {
	case err == nil:
		o.Path = node.Path
	case seat.Role != "" && errors.Is(err, problem.ErrNotFound):
		// Seated, but the node is out of the caller's sight (or archived).
		var archived bool
		if o.Path, archived, err = nodeOf(ctx, q, id); err != nil {
			return opened{}, err
		}
		if archived {
			return opened{}, problem.ErrNotFound
		}
	default:
		return opened{}, err
	}
	return o, may(seat)
}

// drive is open for a change only animators make, in one of the given states.
func drive(ctx context.Context, q db.Querier, id int64, states ...string) (opened, error) {
	o, err := open(ctx, q, id, true, animator)
	if err != nil {
		return o, err
	}
	return o, o.in(states...)
}
