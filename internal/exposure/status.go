package exposure

import (
	"context"
	"fmt"

	"care/internal/home"
	"care/internal/platform/db"
)

// Status is the exposure card of every node of set: "aucun audit" when neither a
// scan of the platform nor a SILENE audit was ever recorded, else the level of
// the latest finished scan and the critical findings still open. One query for
// the whole set.
func (s *Service) Status(ctx context.Context, set home.Set) (map[int64]home.Card, error) {
	type row struct {
		kind, path string
		id         int64
		level      int
	}
	rows, err := home.Read(ctx, s.DB.Read, set, "exposure: status", func(r db.Row) (x row, err error) {
		return x, r.Scan(&x.kind, &x.path, &x.id, &x.level)
	}, func(scope string, _ int) string {
		return `SELECT 's', o.path, s.id, COALESCE(s.level, 0) FROM exposure_scans s JOIN orgs o ON o.id = s.org_id
		WHERE s.status = 'done' AND ` + scope + `
		UNION ALL SELECT 'l', o.path, x.id, x.level FROM exposure_silene x JOIN orgs o ON o.id = x.org_id WHERE ` + scope + `
		UNION ALL SELECT 'c', o.path, f.id, 0 FROM exposure_findings f JOIN orgs o ON o.id = f.org_id
		WHERE f.severity = 'critical' AND f.status IN ('` + StatusOpen + `', '` + StatusInProgress + `') AND ` + scope
	})
	if err != nil {
		return nil, err
	}
	type state struct {
		audited     bool
		scan, level int64
		critical    int
	}
	by := home.Collect(set, rows, func(x row) string { return x.path }, func(st *state, x row) {
		switch x.kind {
		case "s":
			st.audited = true
			if x.id > st.scan {
				st.scan, st.level = x.id, int64(x.level)
			}
		case "l":
			st.audited = true
		case "c":
			st.critical++
		}
	})
	out := make(map[int64]home.Card, len(set.Nodes))
	for _, n := range set.Nodes {
		link := fmt.Sprintf("/exposition?org=%d", n.ID)
		st := by[n.ID]
		var c home.Card
		switch {
		case st == nil || !st.audited:
			c = home.Card{State: home.NotStarted, Summary: home.T("exposure.card.none"), Next: home.Action{Label: home.T("exposure.next.scan"), URL: link}}
		case st.critical > 0:
			c = home.Card{State: home.InProgress, Summary: home.T("exposure.card.critical", st.critical), Next: home.Action{Label: home.T("exposure.next.fix"), URL: link}}
		default:
			c = home.Card{State: home.Done, Summary: home.T("exposure.card.clear"), Next: home.Action{Label: home.T("exposure.next.view"), URL: link}}
		}
		if st != nil && st.level > 0 {
			c.Level = home.T("exposure.card.level", st.level)
		}
		out[n.ID] = c
	}
	return out, nil
}

// StatusSource is the exposure card as the home, the structures' pages and the regional
// views read it.
func (s *Service) StatusSource() home.Source {
	return home.Source{Capability: "exposure", Title: "nav.exposure", Cards: s.Status}
}
