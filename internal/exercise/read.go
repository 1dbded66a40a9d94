package exercise

import (
	"context"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
)

// Reading exercises: one, the list, and what their pages show, each loaded and
// checked once.

// Get returns an exercise and the caller's seat in it.
func (s *Service) Get(ctx context.Context, id int64) (Exercise, Seat, error) {
	o, err := open(ctx, s.DB.Read, id, true, anyone)
	return o.Exercise, o.Seat, err
}

// List returns the exercises the caller takes part in or whose establishment they
// List is a page of the exercises the caller takes part in and those it may
// read, under node (0: its whole scope), newest first, with the count of all.
func (s *Service) List(ctx context.Context, node int64, limit, offset int) ([]Exercise, int, error) {
	var o org.Org
	if node != 0 {
		var err error
		if o, err = org.Load(ctx, s.DB.Read, node, authz.OrgRead); err != nil {
			return nil, 0, err
		}
	}
	return s.under(ctx, o, limit, offset)
}

// under is List for a node already read (the zero Org: the whole scope).
func (s *Service) under(ctx context.Context, o org.Org, limit, offset int) ([]Exercise, int, error) {
	sub := authz.Current(ctx)
	roots := sub.Scope(authz.OrgRead)
	if o.ID != 0 {
		roots = authz.Narrow(roots, o.Path)
	}
	return listExercises(ctx, s.DB.Read, sub.UserID, roots, limit, offset)
}

// Lobby is what the exercises page shows: a page of the caller's exercises and,
// for the node chosen, the kits to start one from.
type Lobby struct {
	Catalogue
	Exercises            []Exercise
	Total, Limit, Offset int
}

// Lobby returns the exercises page for node orgID (0: none chosen yet): the
// exercises under it, limit from offset; the node is read once, by the catalogue.
func (s *Service) Lobby(ctx context.Context, orgID int64, limit, offset int) (Lobby, error) {
	c, err := s.Catalogue(ctx, orgID)
	if err != nil {
		return Lobby{}, err
	}
	l := Lobby{Catalogue: c, Limit: limit, Offset: offset}
	l.Exercises, l.Total, err = s.under(ctx, c.Node, limit, offset)
	return l, err
}

// Room is an exercise's page as the caller's seat allows: the summary to a
// reader; the stimuli they may see, the main courante and the participants to a
// participant; the grid's results too to the animation team.
type Room struct {
	Exercise Exercise
	Seat     Seat
	Members  []Member
	Stimuli  []Line
	Log      []LogEntry
	Criteria []CriterionResult
}

// Room returns the page of exercise id.
func (s *Service) Room(ctx context.Context, id int64) (Room, error) {
	o, err := open(ctx, s.DB.Read, id, true, anyone)
	if err != nil {
		return Room{}, err
	}
	r := Room{Exercise: o.Exercise, Seat: o.Seat}
	if r.Members, err = listMembers(ctx, s.DB.Read, id); err != nil || o.Seat.Role == "" {
		return r, err
	}
	if r.Stimuli, err = stimuli(ctx, s.DB.Read, o); err != nil {
		return r, err
	}
	if r.Log, err = readLog(ctx, s.DB.Read, o); err != nil {
		return r, err
	}
	if o.Seat.Staff() {
		r.Criteria, err = criteria(ctx, s.DB.Read, o)
	}
	return r, err
}

// Stimuli returns the stimuli the caller may see (Seat.Shown), in chronogramme
// order, to the exercise's participants.
func (s *Service) Stimuli(ctx context.Context, id int64) ([]Line, Seat, error) {
	o, err := open(ctx, s.DB.Read, id, false, participant)
	if err != nil {
		return nil, o.Seat, err
	}
	list, err := stimuli(ctx, s.DB.Read, o)
	return list, o.Seat, err
}

// stimuli reads the chronogramme of an opened exercise as its seat may see it.
func stimuli(ctx context.Context, q db.Querier, o opened) ([]Line, error) {
	all, err := listStimuli(ctx, q, o.ID, o.Seat.Role != RoleAnimator)
	if err != nil {
		return nil, err
	}
	out := []Line{}
	for _, st := range all {
		if st, ok := o.Seat.Shown(st); ok {
			out = append(out, st)
		}
	}
	return out, nil
}
