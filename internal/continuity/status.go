package continuity

import (
	"context"
	"fmt"

	"care/internal/home"
	"care/internal/platform/db"
)

// progress is what a node's continuity work holds, as the status card counts it.
type progress struct {
	activities, assessed, sheets int
	framed, generated            bool
}

// Status is the continuity card of every node of set: its activities with a BIA,
// the degraded-mode sheets still to write for assessed activities, and whether
// the PCRA was framed and generated. One query for the whole set.
func (s *Service) Status(ctx context.Context, set home.Set) (map[int64]home.Card, error) {
	type row struct {
		kind, path   string
		bia, written int
	}
	rows, err := home.Read(ctx, s.DB.Read, set, "continuity: status", func(r db.Row) (x row, err error) {
		return x, r.Scan(&x.kind, &x.path, &x.bia, &x.written)
	}, func(scope string, _ int) string {
		return `SELECT 'a', o.path,
		CASE WHEN a.bia_updated_at IS NOT NULL AND EXISTS (SELECT 1 FROM activity_impacts i WHERE i.activity_id = a.id) THEN 1 ELSE 0 END,
		CASE WHEN d.activity_id IS NULL THEN 0 ELSE 1 END
		FROM activities a JOIN orgs o ON o.id = a.org_id LEFT JOIN degraded_sheets d ON d.activity_id = a.id
		WHERE a.archived_at IS NULL AND ` + scope + `
		UNION ALL SELECT 'f', o.path, 0, 0 FROM continuity_plans p JOIN orgs o ON o.id = p.org_id WHERE ` + scope + `
		UNION ALL SELECT 'v', o.path, 0, 0 FROM plan_versions v JOIN orgs o ON o.id = v.org_id WHERE ` + scope
	})
	if err != nil {
		return nil, err
	}
	by := home.Collect(set, rows, func(x row) string { return x.path }, func(p *progress, x row) {
		switch x.kind {
		case "a":
			p.activities++
			p.assessed += x.bia
			p.sheets += x.bia * x.written
		case "f":
			p.framed = true
		case "v":
			p.generated = true
		}
	})
	out := make(map[int64]home.Card, len(set.Nodes))
	for _, n := range set.Nodes {
		out[n.ID] = statusCard(n.ID, by[n.ID])
	}
	return out, nil
}

// statusCard is the card of node id from what its work holds (nil: nothing).
func statusCard(id int64, p *progress) home.Card {
	link := fmt.Sprintf("/continuite?org=%d", id)
	if p == nil || (p.activities == 0 && !p.framed && !p.generated) {
		return home.Card{State: home.NotStarted, Summary: home.T("continuity.card.none"),
			Next: home.Action{Label: home.T("continuity.next.activities"), URL: link}}
	}
	c := home.Card{State: home.InProgress, Summary: home.T("continuity.card.summary", p.assessed, p.activities, p.assessed-p.sheets)}
	if p.activities > 0 {
		c.Level = home.T("continuity.card.bia", p.assessed*100/p.activities)
	}
	switch {
	case p.activities == 0:
		c.Next = home.Action{Label: home.T("continuity.next.activities"), URL: link}
	case p.assessed < p.activities:
		c.Next = home.Action{Label: home.T("continuity.next.bia"), URL: link}
	case p.sheets < p.assessed:
		c.Next = home.Action{Label: home.T("continuity.next.sheets", p.assessed-p.sheets), URL: link}
	case !p.generated:
		c.Next = home.Action{Label: home.T("continuity.next.generate"), URL: link}
	default:
		c.State = home.Done
		c.Next = home.Action{Label: home.T("continuity.next.plan"), URL: link}
	}
	return c
}

// StatusSource is the continuity card as the home, the structures' pages and the regional
// views read it.
func (s *Service) StatusSource() home.Source {
	return home.Source{Capability: "continuity", Title: "nav.continuity", Cards: s.Status}
}
