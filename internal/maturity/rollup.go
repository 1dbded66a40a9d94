package maturity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"care/internal/authz"
	"care/internal/platform/problem"
)

// Tally sums the latest validated assessments of a set of establishments.
type Tally struct {
	Establishments int            // establishments with a latest validated assessment
	Levels         map[string]int // how many at each level
	themeSum       map[string]float64
	themeN         map[string]int
	percentSum     float64
}

func newTally() Tally {
	return Tally{Levels: map[string]int{}, themeSum: map[string]float64{}, themeN: map[string]int{}}
}

func (t *Tally) add(level string, percent float64, themes map[string]float64) {
	t.Establishments++
	t.Levels[level]++
	t.percentSum += percent
	for id, p := range themes {
		t.themeSum[id] += p
		t.themeN[id]++
	}
}

// Mean is the mean overall percentage.
func (t Tally) Mean() float64 {
	if t.Establishments == 0 {
		return 0
	}
	return t.percentSum / float64(t.Establishments)
}

// Theme is the mean percentage of a theme, and whether any establishment scored it.
func (t Tally) Theme(id string) (float64, bool) {
	if t.themeN[id] == 0 {
		return 0, false
	}
	return t.themeSum[id] / float64(t.themeN[id]), true
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
// node, restricted to what the caller may read.
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
		var c RollUpRow
		if err := rows.Scan(&c.OrgID, &c.Name, &c.Level); err != nil {
			rows.Close()
			return RollUp{}, err
		}
		c.Tally = newTally()
		children[c.OrgID] = len(r.Children)
		r.Children = append(r.Children, c)
	}
	rows.Close()

	// The caller's scope inside the node: a GHT RSSI looking at the national node
	// sees only its GHT.
	var roots []string
	for _, root := range sub.Scope(authz.OrgRead) {
		switch {
		case authz.Within(r.NodePath, root):
			roots = []string{r.NodePath}
		case authz.Within(root, r.NodePath):
			roots = append(roots, root)
		}
	}
	scope, args := authz.ScopeClause("o.path", roots, 1)
	args = append(args, slug)
	rows, err = s.DB.Read.QueryContext(ctx, `SELECT o.path, a.level, a.percent, a.theme_scores FROM assessments a
		JOIN orgs o ON o.id = a.org_id JOIN questionnaires q ON q.id = a.questionnaire_id
		WHERE a.latest = TRUE AND o.archived_at IS NULL AND q.slug = $`+strconv.Itoa(len(args))+` AND `+scope, args...)
	if err != nil {
		return RollUp{}, err
	}
	defer rows.Close()
	r.Total = newTally()
	depth := strings.Count(r.NodePath, "/") - 1 // ids in the node's path
	for rows.Next() {
		var path, level, themesJSON string
		var percent sql.NullFloat64
		if err := rows.Scan(&path, &level, &percent, &themesJSON); err != nil {
			return RollUp{}, err
		}
		themes := map[string]float64{}
		if err := json.Unmarshal([]byte(themesJSON), &themes); err != nil {
			return RollUp{}, err
		}
		r.Total.add(level, percent.Float64, themes)
		if ids := strings.Split(strings.Trim(path, "/"), "/"); len(ids) > depth {
			if child, err := strconv.ParseInt(ids[depth], 10, 64); err == nil {
				if i, ok := children[child]; ok {
					r.Children[i].Tally.add(level, percent.Float64, themes)
				}
			}
		}
	}
	// Children the caller cannot see, or with nothing validated, are left out.
	r.Children = slices.DeleteFunc(r.Children, func(c RollUpRow) bool { return c.Tally.Establishments == 0 })
	return r, rows.Err()
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
