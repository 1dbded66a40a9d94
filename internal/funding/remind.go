package funding

import (
	"context"
	"log/slog"
	"time"

	"care/internal/authz"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
)

// RemindBefore is how long before a deadline its reminder goes: two weeks, a
// choice of the platform (the programme's texts set the deadlines, not the
// reminders).
const RemindBefore = 14 * 24 * time.Hour

// Reminder is the reminder due for a candidature at a given instant: the step
// waiting, the phase whose last day bounds it, and who must act.
type Reminder struct {
	Step     string // the phase whose deadline comes
	Deadline time.Time
	Actor    string // "referents", "establishment" or "pilots"
}

// ReminderDue is the reminder due for candidature c of call at the given
// instant: the step its status waits for has a published deadline that ends
// within RemindBefore. ok is false when none is due.
func ReminderDue(c Candidacy, call Call, at time.Time) (Reminder, bool) {
	var r Reminder
	switch {
	case c.Status == Submitted:
		r = Reminder{Step: Instruction, Actor: "referents"}
	case c.Status == Accepted:
		r = Reminder{Step: Declaration, Actor: "establishment"}
	case c.Status == Declared:
		r = Reminder{Step: Verification, Actor: "referents"}
	case c.Status == Verified:
		r = Reminder{Step: Control, Actor: "pilots"}
	case c.Status == Controlled && c.PaymentStatus != PaidOut:
		r = Reminder{Step: Payment, Actor: "pilots"}
	default:
		return r, false
	}
	r.Deadline = call.Deadline(r.Step)
	if r.Deadline.IsZero() {
		return r, false
	}
	closes := end(r.Deadline)
	return r, !at.Before(closes.Add(-RemindBefore)) && at.Before(closes)
}

// Remind sends the reminders due at the given instant to whoever must act
// next, at most one per candidature, step and deadline: each is recorded before
// it goes, so that a restart or a second instance does not send it again. It
// reports how many went.
func (s *Service) Remind(ctx context.Context, now time.Time) (int, error) {
	p, err := s.Programme(ctx)
	if err != nil {
		return 0, err
	}
	list, err := liveCandidatures(ctx, s.DB.Read)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, c := range list {
		call, ok := p.Call(c.Call)
		if !ok {
			continue
		}
		r, due := ReminderDue(c, call, now)
		if !due {
			continue
		}
		mine, err := claimReminder(ctx, s.DB.Write, c.ID, r.Step, r.Deadline.Format(time.DateOnly), now)
		if err != nil {
			return sent, err
		}
		if !mine {
			continue
		}
		var to []string
		switch r.Actor {
		case "referents":
			to = s.regionReferents(ctx, c)
		case "establishment":
			to = s.establishment(ctx, c)
		default:
			to, err = pilots(ctx, s.DB.Read)
			s.logged(err)
		}
		s.tell(ctx, to, "funding.mail.reminder", c.OrgName, i18n.FR.T("funding.phase."+r.Step), r.Deadline.Format("02/01/2006"),
			In(i18n.FR, call.Title, ""), s.link(c.ID))
		sent++
	}
	return sent, nil
}

// Loop sends the reminders due, every hour until ctx ends (the server's
// background work, on the wall clock; the tests call Remind with their own).
func (s *Service) Loop(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	sys := authz.WithSubject(ctx, authz.Subject{})
	for {
		if n, err := s.Remind(sys, db.Now()); err != nil && ctx.Err() == nil {
			log.Error("funding: reminders", "err", err)
		} else if n > 0 {
			log.Info("funding: reminders sent", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
