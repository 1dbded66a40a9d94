package exercise

import (
	"context"
	"database/sql"

	"care/internal/audit"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
)

// Seating the participants of an exercise (animators).

// AddParticipant seats a person in an exercise. The person must belong to the
// exercise's establishment, a node under it, or one above it (an ARS for a
// regional exercise); a player needs a cell of the kit.
func (s *Service) AddParticipant(ctx context.Context, id, user int64, role, cell string) error {
	return s.seat(ctx, id, user, role, cell, false)
}

// AddParticipantByEmail seats the person with that e-mail address; an unknown
// address gets the same answer as a person outside the exercise's scope.
func (s *Service) AddParticipantByEmail(ctx context.Context, id int64, email, role, cell string) error {
	user, err := userByEmail(ctx, s.DB.Read, email)
	if err != nil {
		return err
	}
	return s.AddParticipant(ctx, id, user, role, cell)
}

// InviteGuest seats a person from outside the establishment's branch (a
// préfecture's staff, an expert): an account without any role is created for an
// unknown address and receives an invitation; it sees only the exercises it is
// seated in.
func (s *Service) InviteGuest(ctx context.Context, id int64, email, name, role, cell string, lang i18n.Lang) error {
	o, err := open(ctx, s.DB.Read, id, true, animator)
	if err != nil {
		return err
	}
	if s.Invite == nil {
		return problem.New(problem.Conflict, "exercise.error.no_invitations")
	}
	// Check the seat before creating an account for it.
	var c problem.Checks
	checkSeat(&c, o.Exercise, role, cell)
	if err := c.Err(); err != nil {
		return err
	}
	user, _, err := s.Invite(ctx, email, name, o.Title, lang)
	if err != nil {
		return err
	}
	return s.seat(ctx, id, user, role, cell, true)
}

// checkSeat checks a role and a cell against the exercise's kit.
func checkSeat(c *problem.Checks, e Exercise, role, cell string) {
	if role != RoleAnimator && role != RoleObserver && role != RolePlayer {
		c.Add("role", "exercise.error.role", role)
	}
	if cell != "" && !e.Kit.hasCell(cell) {
		c.Add("cell", "exercise.error.unknown_cell", cell, e.Title)
	}
	if role == RolePlayer && cell == "" {
		c.Add("cell", "exercise.error.cell_required")
	}
}

// seat places user in the exercise. Chosen from a list, the person must be in
// scope; invited by e-mail (invited), whoever owns the address is seated, so that
// an invitation answers the same for any address.
func (s *Service) seat(ctx context.Context, id, user int64, role, cell string, invited bool) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := open(ctx, tx, id, true, animator)
		if err != nil {
			return err
		}
		var c problem.Checks
		checkSeat(&c, o.Exercise, role, cell)
		ok, err := inScope(ctx, tx, user, o.Path)
		if err != nil {
			return err
		}
		if !ok && !invited {
			c.Add("user", "exercise.error.participant_scope")
		}
		if err := c.Err(); err != nil {
			return err
		}
		if err := o.in(StatusDraft, StatusPlanned, StatusRunning); err != nil {
			return err
		}
		if err := putSeat(ctx, tx, id, user, role, cell, db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.participant", ObjectType: "exercise", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: map[string]audit.Change{"user": {After: user}, "role": {After: role}, "cell": {After: cell}}})
	})
}
