package maturity

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"care/internal/authz"
	"care/internal/org"
)

// Tally sums the latest validated assessments of a set of establishments.
type Tally struct {
	Establishments int            // establishments with a latest validated assessment
	Levels         map[string]int // how many at each level
	mean           float64
	themes         map[string]float64
	themeN         map[string]int
}

// Mean is the mean overall percentage.
func (t Tally) Mean() float64 { return t.mean }

// Theme is the mean percentage of a theme, and whether any establishment scored it.
func (t Tally) Theme(id string) (float64, bool) {
	v, ok := t.themes[id]
	return v, ok
}

// ThemeText is the theme's mean percentage for display, "—" when none.
func (t Tally) ThemeText(id string) string {
	v, ok := t.Theme(id)
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.0f %%", v)
}

// Share is the share of establishments at a level, in percent.
func (t Tally) Share(level string) float64 {
	if t.Establishments == 0 {
		return 0
	}
	return float64(t.Levels[level]) * 100 / float64(t.Establishments)
}

// RollUpRow is one child of the node being rolled up.
type RollUpRow struct {
	OrgID int64
	Name  string
	Level string // tree level of the child
	Tally Tally
}

// RollUp is the picture of a subtree for one questionnaire: every establishment's
// latest validated assessment, in all and per child node (the drill-down).
type RollUp struct {
	Org           org.Org       // the node rolled up
	Questionnaire Questionnaire // the newest version, for theme titles and levels
	Total         Tally
	Children      []RollUpRow
}

// RollUp sums the latest validated assessments of questionnaire slug in the subtree of
// node, restricted to what the caller may read. The sums are made by the database,
// for the node and for each child, over ranges of the path index.
func (s *Service) RollUp(ctx context.Context, node int64, slug string) (RollUp, error) {
	o, err := org.Load(ctx, s.DB.Read, node, authz.OrgRead)
	if err != nil {
		return RollUp{}, err
	}
	newest, err := newestVersion(ctx, s.DB.Read, slug)
	if err != nil {
		return RollUp{}, err
	}
	r := RollUp{Org: o, Total: newTally()}
	if r.Questionnaire, err = s.Questionnaire(ctx, newest); err != nil {
		return RollUp{}, err
	}
	if r.Children, err = childNodes(ctx, s.DB.Read, o.ID); err != nil {
		return RollUp{}, err
	}
	children := make(map[int64]int, len(r.Children))
	for i, c := range r.Children {
		children[c.OrgID] = i
	}
	// One pass over the establishments' latest validated assessments, each added to
	// the total and to the child whose subtree holds it.
	roots := authz.Narrow(authz.Current(ctx).Scope(authz.OrgRead), o.Path)
	err = eachLatest(ctx, s.DB.Read, slug, roots, func(path, level string, percent float64, themes string) {
		r.Total.add(level, percent, themes)
		if i, ok := children[authz.ChildUnder(o.Path, path)]; ok {
			r.Children[i].Tally.add(level, percent, themes)
		}
	})
	if err != nil {
		return RollUp{}, err
	}
	r.Total.finish()
	kept := r.Children[:0]
	for _, c := range r.Children {
		if c.Tally.Establishments > 0 { // children the caller cannot see hold nothing
			c.Tally.finish()
			kept = append(kept, c)
		}
	}
	r.Children = kept
	return r, nil
}

// formatThemes stores theme scores as "theme=percent;…".
func formatThemes(themes []ThemeScore) string {
	var b strings.Builder
	for _, t := range themes {
		if t.Percent == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(t.ID)
		b.WriteByte('=')
		b.WriteString(strconv.FormatFloat(*t.Percent, 'f', 2, 64))
	}
	return b.String()
}

func newTally() Tally {
	return Tally{Levels: map[string]int{}, themes: map[string]float64{}, themeN: map[string]int{}}
}

func (t *Tally) add(level string, percent float64, themes string) {
	t.Establishments++
	t.Levels[level]++
	t.mean += percent
	for themes != "" {
		var item string
		item, themes, _ = strings.Cut(themes, ";")
		id, v, _ := strings.Cut(item, "=")
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			t.themes[id] += f
			t.themeN[id]++
		}
	}
}

// finish turns the sums into means.
func (t *Tally) finish() {
	if t.Establishments > 0 {
		t.mean /= float64(t.Establishments)
	}
	for id, n := range t.themeN {
		t.themes[id] /= float64(n)
	}
}
