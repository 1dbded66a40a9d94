package exercise

import (
	"context"
	"fmt"
	"time"

	"care/internal/home"
	"care/internal/platform/db"
)

// Status is the crisis-exercise card of every node of set: its latest exercise of
// the calendar year — none, being prepared or played, played with its RETEX to
// write, or closed — with the level of its kit. One query for the whole set.
func (s *Service) Status(ctx context.Context, set home.Set) (map[int64]home.Card, error) {
	now := db.Now()
	year := time.Date(now.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
	type row struct {
		path          string
		id            int64
		status, level string
	}
	rows, err := home.Read(ctx, s.DB.Read, set, "exercise: status", func(r db.Row) (x row, err error) {
		return x, r.Scan(&x.path, &x.id, &x.status, &x.level)
	}, func(scope string, next int) string {
		return fmt.Sprintf(`SELECT o.path, e.id, e.status, e.level FROM exercises e JOIN orgs o ON o.id = e.org_id
		WHERE %s AND (e.created_at >= $%d OR e.finished_at >= $%d)`, scope, next, next)
	}, year)
	if err != nil {
		return nil, err
	}
	latest := home.Latest(set, rows, func(x row) (string, int64) { return x.path, x.id })
	out := make(map[int64]home.Card, len(set.Nodes))
	for _, n := range set.Nodes {
		e, ok := latest[n.ID]
		if !ok {
			out[n.ID] = home.Card{State: home.NotStarted, Summary: home.T("exercise.card.none", now.Year()),
				Next: home.Action{Label: home.T("exercise.next.prepare"), URL: fmt.Sprintf("/exercices?org=%d", n.ID)}}
			continue
		}
		link := fmt.Sprintf("/exercices/%d", e.id)
		c := home.Card{State: home.InProgress, Level: home.T("exercise.level." + e.level), Summary: home.T("exercise.card." + e.status)}
		switch e.status {
		case StatusFinished:
			c.Next = home.Action{Label: home.T("exercise.next.retex"), URL: link + "/retex"}
		case StatusClosed:
			c.State = home.Done
			c.Next = home.Action{Label: home.T("exercise.next.view_retex"), URL: link + "/retex"}
		default:
			c.Next = home.Action{Label: home.T("exercise.next.resume"), URL: link}
		}
		out[n.ID] = c
	}
	return out, nil
}

// StatusSource is the exercise card as the home, the structures' pages and the regional
// views read it.
func (s *Service) StatusSource() home.Source {
	return home.Source{Capability: "exercise", Title: "nav.exercises", Cards: s.Status}
}
