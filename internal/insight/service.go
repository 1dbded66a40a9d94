package insight

import (
	"context"
	"slices"
	"strings"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// The figures of the view, in the order the page shows them; each is read by the
// Source of that name, and reads "pas encore disponible" without one.
const (
	Candidatures = "candidatures" // keys "call/status"
	Objectives   = "objectives"   // keys "call/objective/state": the ARS verification of declared objectives
	Amounts      = "amounts"      // keys requested, granted, paid (euros)
	Exercise     = "exercise"     // key "with": a health establishment that finished a crisis exercise in the year
	Maturity     = "maturity"     // keys: level codes of the latest validated assessment
	Directory    = "directory"    // keys "1" to "5": the latest audit's level
	Exposure     = "exposure"     // keys "1" to "5": the latest finished scan's level
)

// Figures lists the figures in display order.
var Figures = []string{Candidatures, Objectives, Amounts, Exercise, Maturity, Directory, Exposure}

// Service assembles the programme's view.
type Service struct {
	DB      *db.DB
	Sources map[string]Source
}

// View is the programme seen from a node: its total and one row per child.
type View struct {
	Node        org.Org
	Year        int
	Total       Tally
	Rows        []Row
	Unavailable []string // figures without a source yet
}

// Available reports whether a figure has its source.
func (v View) Available(figure string) bool { return !slices.Contains(v.Unavailable, figure) }

// outside is the row of the establishments attached straight to a region (or to
// the nation), outside any GHT: a region holds hundreds, shown as one row.
const outside = -1

// View reads the programme under a national, regional or GHT node for a year:
// every figure, one query each over the subtree the reader sees, added to the
// node's total and to the child that holds it. A GHT's rows are its members; a
// region's, its GHT and one row for the establishments outside any GHT.
func (s *Service) View(ctx context.Context, id int64, year int) (View, error) {
	node, err := org.Load(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return View{}, err
	}
	if node.Level != org.National && node.Level != org.Region && node.Level != org.GHT {
		return View{}, problem.New(problem.Invalid, "insight.error.level")
	}
	v := View{Node: node, Year: year, Total: Tally{}}
	roots := authz.Narrow(authz.Current(ctx).Scope(authz.OrgRead), node.Path)
	children, err := db.List(ctx, s.DB.Read, "insight: children of "+node.Path, func(r db.Row) (c Row, err error) {
		return c, r.Scan(&c.ID, &c.Name, &c.Level, &c.Code)
	}, "SELECT id, name, level, code FROM orgs WHERE parent_id = $1 AND archived_at IS NULL ORDER BY name", node.ID)
	if err != nil {
		return View{}, err
	}
	b := bucket{parent: node.Path, total: v.Total, children: map[int64]Tally{}}
	out := Row{ID: outside, Tally: Tally{}}
	for _, c := range children {
		if c.Level == string(org.LegalEntity) && node.Level != org.GHT {
			b.children[c.ID] = out.Tally // a region's establishment outside any GHT
			continue
		}
		c.Tally = Tally{}
		b.children[c.ID] = c.Tally
		v.Rows = append(v.Rows, c)
	}
	err = org.EachEntity(ctx, s.DB.Read, roots, func(path string, kind org.Kind) {
		b.add(Structures, path, "all", 1)
		b.add(Structures, path, strings.ToLower(string(kind)), 1)
	})
	if err != nil {
		return View{}, err
	}
	for _, f := range Figures {
		src := s.Sources[f]
		if src == nil {
			v.Unavailable = append(v.Unavailable, f)
			continue
		}
		if err := src(ctx, roots, year, func(path, key string, n int64) { b.add(f, path, key, n) }); err != nil {
			return View{}, err
		}
	}
	// Children the reader cannot see, or that hold nothing, are left out.
	v.Rows = slices.DeleteFunc(append(v.Rows, out), func(r Row) bool { return len(r.Tally) == 0 })
	return v, nil
}
