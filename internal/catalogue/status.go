package catalogue

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"care/internal/home"
	"care/internal/platform/db"
)

// yearTotals is one establishment's staff and trained of one year, all
// populations together.
type yearTotals struct {
	path           string
	year           int
	staff, trained int
}

// Status is the awareness card of every establishment of set: the share of its
// staff trained in the latest year counted and its change since the year counted
// before, the indicator the home table and the dashboards show. Done when the
// latest count is of this year or the last one, in progress when it is older,
// not started without any. One query for the whole set.
func (s *Service) Status(ctx context.Context, set home.Set) (map[int64]home.Card, error) {
	rows, err := home.Read(ctx, s.DB.Read, set, "catalogue: awareness status", func(r db.Row) (x yearTotals, err error) {
		return x, r.Scan(&x.path, &x.year, &x.staff, &x.trained)
	}, func(scope string, _ int) string {
		return `SELECT o.path, a.year, SUM(a.staff), SUM(a.trained) FROM awareness_counts a JOIN orgs o ON o.id = a.org_id
		WHERE ` + scope + ` GROUP BY o.path, a.year`
	})
	if err != nil {
		return nil, err
	}
	years := home.Collect(set, rows, func(x yearTotals) string { return x.path }, func(ys *[]Year, x yearTotals) {
		*ys = append(*ys, Year{Year: x.year, Counts: []Count{{Staff: x.staff, Trained: x.trained}}})
	})
	thisYear := time.Now().Year()
	out := make(map[int64]home.Card, len(set.Nodes))
	for _, n := range set.Nodes {
		link := fmt.Sprintf("/sensibilisation?org=%d", n.ID)
		var ys []Year
		if p := years[n.ID]; p != nil {
			ys = *p
		}
		slices.SortFunc(ys, func(a, b Year) int { return cmp.Compare(b.Year, a.Year) }) // newest first, as RateTrend reads them
		rate, trend, ok := RateTrend(ys)
		if !ok {
			out[n.ID] = home.Card{State: home.NotStarted, Summary: home.T("catalogue.awareness.none"),
				Next: home.Action{Label: home.T("catalogue.awareness.enter"), URL: link}}
			continue
		}
		latest := ys[slices.IndexFunc(ys, func(y Year) bool { _, ok := y.Rate(); return ok })].Year
		c := home.Card{State: home.Done, Level: home.T("catalogue.awareness.card.level", int(math.Round(rate))),
			Summary: home.T("catalogue.awareness.card.summary", latest, signed(trend)),
			Next:    home.Action{Label: home.T("catalogue.awareness.enter"), URL: link}}
		if latest < thisYear-1 {
			c.State, c.Summary = home.InProgress, home.T("catalogue.awareness.card.old", latest)
		}
		out[n.ID] = c
	}
	return out, nil
}

// signed is a change in points as the cards write it: +5, −3, 0.
func signed(points float64) string {
	p := int(math.Round(points))
	switch {
	case p > 0:
		return fmt.Sprintf("+%d", p)
	case p < 0:
		return fmt.Sprintf("−%d", -p)
	}
	return "0"
}

// StatusSource is the awareness card as the home and the regional views read it.
func (s *Service) StatusSource() home.Source {
	return home.Source{Capability: "awareness", Title: "nav.awareness", Cards: s.Status}
}
