package directory

import (
	"context"
	"fmt"

	"care/internal/home"
	"care/internal/platform/db"
)

// Status is the directory card of every node of set: the level (1 to 5) of its
// latest audit — the lowest of its directories when it has several — and the
// checkpoints still to fix. One query for the whole set.
func (s *Service) Status(ctx context.Context, set home.Set) (map[int64]home.Card, error) {
	type row struct {
		path        string
		level, open int
	}
	rows, err := home.Read(ctx, s.DB.Read, set, "directory: status", func(r db.Row) (x row, err error) {
		return x, r.Scan(&x.path, &x.level, &x.open)
	}, func(scope string, _ int) string {
		return `SELECT o.path, a.level, (SELECT COUNT(*) FROM directory_checkpoints c WHERE c.org_id = o.id AND c.status = 'open')
		FROM directory_audits a JOIN orgs o ON o.id = a.org_id
		WHERE o.archived_at IS NULL AND ` + scope + `
		AND a.id = (SELECT l.id FROM directory_audits l WHERE l.org_id = a.org_id ORDER BY l.collected_at DESC, l.id DESC LIMIT 1)`
	})
	if err != nil {
		return nil, err
	}
	type state struct{ level, open int }
	by := home.Collect(set, rows, func(x row) string { return x.path }, func(st *state, x row) {
		if st.level == 0 || x.level < st.level {
			st.level = x.level
		}
		st.open += x.open
	})
	out := make(map[int64]home.Card, len(set.Nodes))
	for _, n := range set.Nodes {
		link := fmt.Sprintf("/annuaire?org=%d", n.ID)
		st := by[n.ID]
		switch {
		case st == nil:
			out[n.ID] = home.Card{State: home.NotStarted, Summary: home.T("directory.card.none"), Next: home.Action{Label: home.T("directory.next.audit"), URL: link}}
		case st.open > 0:
			out[n.ID] = home.Card{State: home.InProgress, Level: home.T("directory.card.level", st.level), Summary: home.T("directory.card.open", st.level, st.open),
				Next: home.Action{Label: home.T("directory.next.fix", st.open), URL: link}}
		default:
			out[n.ID] = home.Card{State: home.Done, Level: home.T("directory.card.level", st.level), Summary: home.T("directory.card.clear", st.level),
				Next: home.Action{Label: home.T("directory.next.view"), URL: link}}
		}
	}
	return out, nil
}

// StatusSource is the directory card as the home, the structures' pages and the regional
// views read it.
func (s *Service) StatusSource() home.Source {
	return home.Source{Capability: "directory", Title: "nav.directory", Cards: s.Status}
}
