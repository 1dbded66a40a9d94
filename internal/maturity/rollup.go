package maturity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"care/internal/authz"
	"care/internal/platform/problem"
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
	NodeID        int64
	NodeName      string
	NodePath      string
	Questionnaire Questionnaire // the newest version, for theme titles and levels
	Total         Tally
	Children      []RollUpRow
}

// RollUp sums the latest validated assessments of questionnaire slug in the subtree of
// node, restricted to what the caller may read. The sums are made by the database,
// for the node and for each child, over ranges of the path index.
func (s *Service) RollUp(ctx context.Context, node int64, slug string) (RollUp, error) {
	var r RollUp
	err := s.DB.Read.QueryRowContext(ctx, "SELECT id, name, path FROM orgs WHERE id = $1", node).Scan(&r.NodeID, &r.NodeName, &r.NodePath)
	sub := subject(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sub.Can(authz.OrgRead, r.NodePath)) {
		return RollUp{}, problem.ErrNotFound
	}
	if err != nil {
		return RollUp{}, err
	}
	var newest int64
	if err := s.DB.Read.QueryRowContext(ctx, "SELECT id FROM questionnaires WHERE slug = $1 ORDER BY version DESC LIMIT 1", slug).Scan(&newest); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return RollUp{}, problem.ErrNotFound
		}
		return RollUp{}, err
	}
	if r.Questionnaire, err = s.Questionnaire(ctx, newest); err != nil {
		return RollUp{}, err
	}
	children := map[int64]int{}
	rows, err := s.DB.Read.QueryContext(ctx, "SELECT id, name, level FROM orgs WHERE parent_id = $1 AND archived_at IS NULL ORDER BY name", node)
	if err != nil {
		return RollUp{}, err
	}
	for rows.Next() {
		c := RollUpRow{Tally: newTally()}
		if err := rows.Scan(&c.OrgID, &c.Name, &c.Level); err != nil {
			rows.Close()
			return RollUp{}, err
		}
		children[c.OrgID] = len(r.Children)
		r.Children = append(r.Children, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return RollUp{}, err
	}

	// One pass over the establishments' latest validated assessments, each added to
	// the total and to the child whose subtree holds it.
	scope, args := authz.ScopeClause("o.path", authz.Narrow(sub.Scope(authz.OrgRead), r.NodePath), 2)
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT o.path, a.level, a.percent, a.theme_scores FROM assessments a
		JOIN orgs o ON o.id = a.org_id JOIN questionnaires q ON q.id = a.questionnaire_id
		WHERE a.latest = TRUE AND o.archived_at IS NULL AND q.slug = $1 AND `+scope, append([]any{slug}, args...)...)
	if err != nil {
		return RollUp{}, err
	}
	defer rows.Close()
	r.Total = newTally()
	prefix := len(r.NodePath)
	for rows.Next() {
		var path, level, themes string
		var percent sql.NullFloat64
		if err := rows.Scan(&path, &level, &percent, &themes); err != nil {
			return RollUp{}, err
		}
		r.Total.add(level, percent.Float64, themes)
		if rest := path[min(prefix, len(path)):]; rest != "" {
			seg, _, _ := strings.Cut(rest, "/")
			if child, err := strconv.ParseInt(seg, 10, 64); err == nil {
				if i, ok := children[child]; ok {
					r.Children[i].Tally.add(level, percent.Float64, themes)
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
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

// ThemeDelta is how one theme moved between two assessments.
type ThemeDelta struct {
	ID, Title     string
	Before, After *float64 // percent
}

// Delta is After − Before, when both exist.
func (d ThemeDelta) Delta() (float64, bool) {
	if d.Before == nil || d.After == nil {
		return 0, false
	}
	return *d.After - *d.Before, true
}

// DeltaText is the difference for display, signed, "—" when one side is missing.
func (d ThemeDelta) DeltaText() string {
	v, ok := d.Delta()
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%+.0f", v)
}

// Comparison sets two assessments of one establishment side by side.
type Comparison struct {
	Before, After               Assessment
	BeforeRes, AfterRes         Result
	Themes                      []ThemeDelta
	OverallBefore, OverallAfter *float64
}

// Compare compares two assessments of the same establishment with the same
// questionnaire (any versions: themes are matched by id), the older first.
func (s *Service) Compare(ctx context.Context, a, b int64) (Comparison, error) {
	before, _, rb, err := s.Result(ctx, a)
	if err != nil {
		return Comparison{}, err
	}
	after, qa, ra, err := s.Result(ctx, b)
	if err != nil {
		return Comparison{}, err
	}
	if before.OrgID != after.OrgID || before.Slug != after.Slug {
		return Comparison{}, problem.New(problem.Invalid, "maturity.error.compare")
	}
	if after.CreatedAt.Before(before.CreatedAt) {
		before, after, rb, ra = after, before, ra, rb
	}
	c := Comparison{Before: before, After: after, BeforeRes: rb, AfterRes: ra, OverallBefore: rb.Percent, OverallAfter: ra.Percent}
	for _, t := range qa.Themes {
		d := ThemeDelta{ID: t.ID, Title: t.Title}
		for _, ts := range rb.Themes {
			if ts.ID == t.ID {
				d.Before = ts.Percent
			}
		}
		for _, ts := range ra.Themes {
			if ts.ID == t.ID {
				d.After = ts.Percent
			}
		}
		c.Themes = append(c.Themes, d)
	}
	return c, nil
}
