package funding

import (
	"context"
	"fmt"

	"care/internal/authz"
	"care/internal/home"
	"care/internal/platform/db"
)

// Status is the funding card of every node of set: its latest candidature to a
// CaRE call, its own or the one its GHT carries for it — none, waiting for the
// ARS's decision (what an ARS referent has to validate), accepted or rejected.
// One query for the whole set.
func (s *Service) Status(ctx context.Context, set home.Set) (map[int64]home.Card, error) {
	type row struct {
		path         string
		id           int64
		status, call string
	}
	rows, err := home.Read(ctx, s.DB.Read, set, "funding: status", func(r db.Row) (x row, err error) {
		return x, r.Scan(&x.path, &x.id, &x.status, &x.call)
	}, func(scope string, _ int) string {
		return `SELECT o.path, c.id, c.status, c.call_id FROM funding_candidatures c JOIN orgs o ON o.id = c.org_id
		WHERE c.status <> '` + Withdrawn + `' AND ` + scope + `
		UNION ALL SELECT o.path, c.id, c.status, c.call_id FROM funding_candidature_members m
		JOIN funding_candidatures c ON c.id = m.candidature_id JOIN orgs o ON o.id = m.org_id
		WHERE c.status <> '` + Withdrawn + `' AND ` + scope
	})
	if err != nil {
		return nil, err
	}
	none := func(node int64) home.Card {
		return home.Card{State: home.NotStarted, Summary: home.T("funding.card.none"),
			Next: home.Action{Label: home.T("funding.next.submit"), URL: fmt.Sprintf("/financement/candidatures?org=%d", node)}}
	}
	return home.LatestCards(set, rows, func(x row) (string, int64) { return x.path, x.id }, none, func(c row) (home.Card, error) {
		link := fmt.Sprintf("/financement/candidatures/%d", c.id)
		card := home.Card{State: home.InProgress, Level: home.T("funding.state." + c.status), Summary: home.T("funding.card."+c.status, c.call),
			Next: home.Action{Label: home.T("funding.next.view"), URL: link}}
		switch c.status {
		case Submitted:
			card.Next = home.Action{Label: home.T("funding.next.decide"), URL: link, Needs: authz.Validate}
		case Declared:
			card.Next = home.Action{Label: home.T("funding.next.verify"), URL: link, Needs: authz.Validate}
		case Verified:
			card.Next = home.Action{Label: home.T("funding.next.control"), URL: link, Needs: authz.Control}
		}
		switch c.status {
		case Accepted, Declared, Verified, Controlled, Paid:
			card.State = home.Done
		}
		return card, nil
	})
}

// StatusSource is the funding card as the home, the structures' pages and the regional
// views read it.
func (s *Service) StatusSource() home.Source {
	return home.Source{Capability: "funding", Title: "nav.candidatures", Cards: s.Status}
}
