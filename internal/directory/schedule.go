package directory

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	orgs "care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/i18n"
	"care/internal/platform/mail"
	"care/internal/platform/problem"
)

// Scheduled audits run as the platform, with no caller: the node was checked when
// the schedule was saved (SaveSource), and the stored password opens only for the
// settings it was stored with.

// Loop runs the scheduled audits that fall due until ctx ends.
func (s *Service) Loop(ctx context.Context, log *slog.Logger) {
	every := s.Every
	if every == 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			log.Error("directory: scheduled audits", "err", err)
		} else if n > 0 {
			log.Info("directory: scheduled audits run", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs the scheduled audits that are due. Each is claimed first (its next
// run moved forward), so that several instances run it once.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	if s.SecretKey == nil {
		return 0, nil
	}
	now := db.Now()
	list, err := dueSources(ctx, s.DB.Read, now)
	if err != nil {
		return 0, err
	}
	ran := 0
	for _, d := range list {
		mine, err := claimSource(ctx, s.DB.Write, d, now.AddDate(0, 0, d.every), now)
		if err != nil {
			return ran, err
		}
		if !mine {
			continue // another instance took it
		}
		ran++
		msg := ""
		if err := s.runScheduled(ctx, d.org); err != nil {
			msg = describe(err)
			if err := s.tell(ctx, d.org, msg); err != nil {
				msg += " (" + i18n.FR.T("directory.mail.not_sent") + ")"
			}
		}
		if err := setLastError(ctx, s.DB.Write, d.org.ID, msg); err != nil {
			return ran, err
		}
	}
	return ran, nil
}

func (s *Service) runScheduled(ctx context.Context, o orgs.Org) error {
	cfg, ok, err := s.storedConfig(ctx, o.ID)
	if err != nil {
		return err
	}
	if !ok {
		return refused("password", "directory.error.password_again")
	}
	coll, how, err := s.collect(ctx, cfg, SourceScheduled)
	if err != nil {
		return err
	}
	defer coll.Close()
	_, err = s.store(ctx, o, coll, how)
	return err
}

// describe says in French why a scheduled audit failed (never with the request,
// which holds the password).
func describe(err error) string {
	e, ok := problem.As(err)
	if !ok {
		return i18n.FR.T("directory.error.internal")
	}
	parts := []string{}
	for _, f := range e.Fields {
		parts = append(parts, i18n.FR.T(f.Key, f.Args...))
	}
	if len(parts) == 0 {
		parts = append(parts, i18n.FR.T(e.Key, e.Args...))
	}
	return strings.Join(parts, " ")
}

// tell e-mails the person who set the schedule of o that the audit failed.
func (s *Service) tell(ctx context.Context, o orgs.Org, why string) error {
	if s.Mail == nil {
		return nil
	}
	email, ok, err := scheduledBy(ctx, s.DB.Read, o.ID)
	if err != nil || !ok {
		return err // !ok: set by no one we can reach
	}
	return s.Mail.Send(ctx, mail.Message{To: email, Subject: i18n.FR.T("directory.mail.subject", o.Name),
		Body: i18n.FR.T("directory.mail.body", o.Name, why, fmt.Sprintf("%s/annuaire?org=%d", strings.TrimSuffix(s.BaseURL, "/"), o.ID))})
}
