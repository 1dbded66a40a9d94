package continuity

import (
	"context"
	"fmt"
	"time"

	"care/internal/platform/i18n"
	"care/internal/platform/mail"
)

// ReminderWindow is how long before a review date its reminder goes out.
const ReminderWindow = 30 * 24 * time.Hour

// SendReminders e-mails the RPCRA of each plan whose review is due within the window
// or late (activities' own review dates show as stale in the pages). Each row is claimed in the
// database before its mail is sent, so that several instances send it once; a reminder
// is sent again a week later while the review stays due.
func (s *Service) SendReminders(ctx context.Context, sender mail.Sender, now time.Time) (int, error) {
	again := now.Add(-7 * 24 * time.Hour)
	list, err := dueReviews(ctx, s.DB.Read, now.Add(ReminderWindow), again)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, d := range list {
		claimed, err := claimReminder(ctx, s.DB.Write, d.org, now, again)
		if err != nil {
			return sent, err
		}
		if !claimed {
			continue // another instance took it
		}
		lang := i18n.FR
		msg := mail.Message{To: d.email, Subject: lang.T("continuity.mail.subject", d.name),
			Body: lang.T("continuity.mail.body", d.name, d.when.Format("02/01/2006"))}
		if err := sender.Send(ctx, msg); err != nil {
			releaseReminder(ctx, s.DB.Write, d.org)
			return sent, fmt.Errorf("continuity: reminder to %s: %w", d.name, err)
		}
		sent++
	}
	return sent, nil
}
