package exercise

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	"care/internal/audit"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// Delivery: every instance runs the loop that delivers the stimuli whose time has
// come; each stimulus is claimed by one conditional update, so that it goes out
// once whatever the number of instances.

// Run delivers the due stimuli of the running exercises until ctx ends. Every
// instance runs it. A timer is armed to the next due stimulus of all running
// exercises (one query reads them all), and re-armed when what is due changes:
// at once when this instance starts, pauses or resumes an exercise, sends or
// skips a stimulus (Rearm); on PostgreSQL also when another instance does, which
// the notification of its event tells (LISTEN, see notified). A look every safety
// period at the latest, whatever the timer, is the safety net: it catches what a
// lost notification hid and records the ticks the outage bridge reads, so it
// must stay well below outageAfter (the server looks every second).
func (s *Service) Run(ctx context.Context, safety time.Duration) {
	rearm := s.rearming()
	var listening sync.WaitGroup
	defer listening.Wait()
	listening.Go(func() { s.DB.Listen(ctx, notifyChannel, s.Rearm, s.notified) })
	timer := time.NewTimer(0) // the first look at once
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-rearm:
		case <-timer.C:
		}
		now := time.Now()
		next, err := s.deliverDue(ctx, now)
		if err != nil && ctx.Err() == nil {
			slog.Error("exercise delivery", "err", err)
		}
		s.arm(next)
		wait := safety
		if !next.IsZero() {
			wait = min(wait, max(time.Until(next), 0))
		}
		timer.Reset(wait)
	}
}

// Rearm makes the delivery loop of this instance look again at once at what is
// due: called after a change of the exercises' state or chronogramme.
func (s *Service) Rearm() {
	select {
	case s.rearming() <- struct{}{}:
	default: // a look is already asked for
	}
}

func (s *Service) rearming() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rearm == nil {
		s.rearm = make(chan struct{}, 1)
	}
	return s.rearm
}

// arm records when the delivery loop looks next for a due stimulus.
func (s *Service) arm(next time.Time) {
	s.mu.Lock()
	s.armed = next
	s.mu.Unlock()
}

// Armed is when the delivery loop of this instance next looks for a due
// stimulus, by its timer; false when no running, unpaused exercise has one left
// (the loop then only makes its safety look).
func (s *Service) Armed() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.armed, !s.armed.IsZero()
}

// DeliverDue delivers every stimulus whose time has come in the running, unpaused
// exercises, and returns how many it delivered.
func (s *Service) DeliverDue(ctx context.Context, now time.Time) (int, error) {
	total := 0
	_, err := s.lookDue(ctx, now, func(n int) { total += n })
	return total, err
}

func (s *Service) deliverDue(ctx context.Context, now time.Time) (time.Time, error) {
	return s.lookDue(ctx, now, func(int) {})
}

// dueAgain is the least wait before the next look when a look found a stimulus
// due and delivered none (another instance claimed it): the claim it waited for
// is committed by then.
const dueAgain = 5 * time.Millisecond

// lookDue delivers the due stimuli of the running, unpaused exercises, telling
// counted how many for each, and returns when the next one is due: zero when none
// is left. An exercise that had one due is looked at again at once: its next
// stimulus is not known yet.
func (s *Service) lookDue(ctx context.Context, now time.Time, counted func(int)) (time.Time, error) {
	running, err := ticking(ctx, s.DB.Read, 0)
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	soonest := func(at time.Time) {
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	for _, e := range running {
		if e, err = s.bridge(ctx, e, now); err != nil {
			return time.Time{}, err
		}
		if e.Next == nil {
			continue
		}
		if at := e.Clock.Reaches(time.Duration(*e.Next) * time.Second); at.After(now) {
			soonest(at)
			continue
		}
		elapsed := int(e.Clock.Elapsed(now) / time.Second)
		n, err := s.deliver(ctx, e.ID, elapsed, 0)
		if err != nil {
			return time.Time{}, err
		}
		counted(n)
		if n > 0 {
			soonest(now)
		} else {
			soonest(now.Add(dueAgain))
		}
	}
	return next, nil
}

// Outages: a running exercise is ticked by every instance's delivery loop; the
// last tick is recorded every few seconds. When no instance ticked it for
// outageAfter, the platform was down: that time does not count as exercise time,
// as if the exercise had been paused, so the stimuli due meanwhile do not all go
// out at once when it comes back.
const (
	tickRecord  = 5 * time.Second
	outageAfter = 30 * time.Second
)

// bridge records this tick of exercise e and, after an outage, adds the silence to
// the time spent paused (one instance does it: the update is conditional on the
// tick it read).
func (s *Service) bridge(ctx context.Context, e tickedExercise, now time.Time) (tickedExercise, error) {
	now = now.UTC().Truncate(time.Microsecond)
	ticked := e.Ticked
	if ticked != nil && now.Sub(*ticked) < tickRecord {
		return e, nil
	}
	if ticked == nil || now.Sub(*ticked) <= outageAfter {
		return e, recordTick(ctx, s.DB.Write, e.ID, now)
	}
	gap := now.Sub(*ticked)
	bridged := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if bridged, err = bridgeOutage(ctx, tx, e.ID, *ticked, now, gap); err != nil || !bridged {
			return err // !bridged: another instance bridged it
		}
		path, _, err := nodeOf(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, e.ID, "state", 0, "all"); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "exercise.outage", ObjectType: "exercise", ObjectID: audit.ID(e.ID), OrgPath: path,
			Changes: map[string]audit.Change{"not_counted_seconds": {After: int(gap.Seconds())}}})
	})
	if err != nil {
		return e, err
	}
	if bridged {
		s.wake(e.ID)
		slog.Warn("exercise: platform outage not counted as exercise time", "exercise", e.ID, "seconds", int(gap.Seconds()))
	}
	// Whoever bridged it, the clock to deliver by is the stored one.
	fresh, err := ticking(ctx, s.DB.Read, e.ID)
	if err != nil || len(fresh) == 0 {
		return e, err
	}
	return fresh[0], nil
}

// deliver claims the due stimuli of one exercise (or the one stimulus when only is
// set) and appends their events, in one transaction.
func (s *Service) deliver(ctx context.Context, exercise int64, elapsed int, only int64) (int, error) {
	var claimed []int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		// Lock the exercise first (as emit does), then re-check that it still runs.
		running, paused, err := lockRunning(ctx, tx, exercise)
		if err != nil || !running || (paused && only == 0) {
			return err
		}
		list, err := dueStimuli(ctx, tx, exercise, elapsed, only)
		if err != nil {
			return err
		}
		now := db.Now()
		for _, d := range list {
			ok, err := claimStimulus(ctx, tx, d.id, now)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := s.emit(ctx, tx, exercise, "stimulus", d.id, d.recipients); err != nil {
				return err
			}
			claimed = append(claimed, d.id)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(claimed) > 0 {
		s.wake(exercise)
		if s.Mail != nil {
			s.mailed.Go(func() { s.mailCopies(context.WithoutCancel(ctx), exercise, claimed) })
		}
	}
	return len(claimed), nil
}

// mailCopies sends the stimuli just delivered to the players of their cells. The
// stream stays the reference: a copy that fails is logged, not retried.
func (s *Service) mailCopies(ctx context.Context, exercise int64, ids []int64) {
	// A shutdown does not wait for a slow mail server.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopping := s.Stopping()
	go func() {
		select {
		case <-stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	players, err := listPlayers(ctx, s.DB.Read, exercise)
	if err != nil {
		slog.Error("exercise mail", "exercise", exercise, "err", err)
		return
	}
	for _, id := range ids {
		st, err := getStimulus(ctx, s.DB.Read, exercise, id)
		if err != nil {
			slog.Error("exercise mail", "exercise", exercise, "err", err)
			continue
		}
		for _, p := range players {
			if !st.For(p.cell) {
				continue
			}
			lang, _ := i18n.Parse(p.locale)
			m := mail.Message{To: p.email, Subject: lang.T("exercise.mail.subject", st.Title),
				Body: lang.T("exercise.mail.body", lang.T("exercise.channel."+st.Channel), st.Sender, st.Content)}
			if err := s.Mail.Send(ctx, m); err != nil {
				if errors.Is(err, mail.ErrNotConfigured) || ctx.Err() != nil {
					return
				}
				slog.Warn("exercise mail", "exercise", exercise, "stimulus", id, "err", err)
			}
		}
	}
}

// SendNow delivers a stimulus at once, ahead of its time (animators).
func (s *Service) SendNow(ctx context.Context, id, stimulus int64) error {
	if _, err := drive(ctx, s.DB.Read, id, StatusRunning); err != nil {
		return err
	}
	n, err := s.deliver(ctx, id, 0, stimulus)
	s.Rearm() // the next due stimulus may have been this one
	if err == nil && n == 0 {
		return problem.New(problem.Conflict, "exercise.error.already_delivered")
	}
	return err
}

// Skip marks a coming stimulus as not to be delivered (animators).
func (s *Service) Skip(ctx context.Context, id, stimulus int64) error {
	if _, err := drive(ctx, s.DB.Read, id, StatusRunning, StatusDraft, StatusPlanned); err != nil {
		return err
	}
	ok, err := skipStimulus(ctx, s.DB.Write, id, stimulus)
	s.Rearm()
	if err == nil && !ok {
		return problem.New(problem.Conflict, "exercise.error.already_delivered")
	}
	return err
}
