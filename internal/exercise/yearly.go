package exercise

import (
	"context"
	"strconv"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/problem"
)

// The yearly crisis exercise. The programme's page lists, among the instructions
// on crisis exercises, "Instruction N° 2022-135 du 09-12-2022 — Obligation de
// réaliser des exercices de crise cyber dans les ES et à leur financement" and
// "Instruction N° SHFDS-FSSI-2023-15 du 30-01-23 relative à l'obligation de
// réaliser des exercices de gestion de crise et à leur financement"
// (https://esante.gouv.fr/programme-care, seed text "programme-care"): every
// health establishment (ES) runs a crisis exercise each year. The obligation
// those texts name is the ES's: the view counts the legal entities (FINESS EJ) of
// kind ES. Medico-social structures (ESSMS) have their own kits — the same page
// calls the exercise a priority action for them too — but no yearly obligation
// is cited for them, so they are not counted among the missing.
//
// An establishment has its exercise of the year when an exercise of the legal
// entity or of one of its sites finished (finished, or closed with its RETEX)
// during that calendar year. Years are calendar years, held in UTC like every
// calendar date of the platform.

// YearlyLevels are the nodes the yearly view is drawn for: the nation, a region
// (its ARS) and a GHT.
var YearlyLevels = []org.Level{org.National, org.Region, org.GHT}

// YearlyCategory is the count of one candidate category.
type YearlyCategory struct {
	Category     string
	Total        int
	WithExercise int
}

// Without is the number of the category's establishments without an exercise.
func (c YearlyCategory) Without() int { return c.Total - c.WithExercise }

// Missing is an establishment without an exercise finished in the year.
type Missing struct {
	ID       int64
	Name     string
	FINESS   string
	Category string
	Parent   string // its GHT or region
}

// Yearly is the yearly exercise view of a node's subtree, as far as the caller
// reads it.
type Yearly struct {
	Node         org.Org
	Year         int
	Total        int
	WithExercise int
	ByCategory   []YearlyCategory // every category, in display order
	Missing      []Missing        // one page of the missing, by name
	Limit        int
	Offset       int
}

// MissingTotal is the number of establishments without an exercise in the year.
func (y Yearly) MissingTotal() int { return y.Total - y.WithExercise }

// yearBounds is the calendar year as [from, to).
func yearBounds(year int) (from, to time.Time) {
	return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC)
}

// ParseYear reads a year parameter: the current year when empty.
func ParseYear(s string, now time.Time) (int, error) {
	if s == "" {
		return now.UTC().Year(), nil
	}
	y, err := strconv.Atoi(s)
	if err != nil || y < 2000 || y > 2100 {
		return 0, problem.New(problem.BadRequest, "exercise.error.year", s)
	}
	return y, nil
}

// Yearly gathers the yearly exercise view of node orgID (the nation, a region or
// a GHT) for year: the counts by category and the page [offset, offset+limit) of
// the missing (limit < 0: all of them, for the exports). The subtree counted is
// the part the caller reads: a regional referent sees their region, never
// another, not even in the totals.
func (s *Service) Yearly(ctx context.Context, orgID int64, year, limit, offset int) (Yearly, error) {
	node, err := org.Load(ctx, s.DB.Read, orgID, authz.OrgRead)
	if err != nil {
		return Yearly{}, err
	}
	if !yearlyLevel(node.Level) {
		return Yearly{}, problem.New(problem.Invalid, "exercise.error.yearly_level")
	}
	y := Yearly{Node: node, Year: year, Limit: limit, Offset: offset, Missing: []Missing{}}
	roots := authz.Narrow(authz.Current(ctx).Scope(authz.OrgRead), node.Path)
	from, to := yearBounds(year)
	counts, err := yearlyCounts(ctx, s.DB.Read, roots, from, to)
	if err != nil {
		return Yearly{}, err
	}
	for _, cat := range org.CandidateCategories {
		c := counts[cat]
		c.Category = cat
		y.ByCategory = append(y.ByCategory, c)
		y.Total += c.Total
		y.WithExercise += c.WithExercise
	}
	if limit < 0 {
		limit = y.MissingTotal()
	}
	if limit > 0 && offset < y.MissingTotal() {
		if y.Missing, err = yearlyMissing(ctx, s.DB.Read, roots, from, to, limit, offset); err != nil {
			return Yearly{}, err
		}
	}
	return y, nil
}

func yearlyLevel(l org.Level) bool {
	for _, ok := range YearlyLevels {
		if l == ok {
			return true
		}
	}
	return false
}

// YearlyNode is the node the yearly view opens on for the caller: the first node
// they read at the level of a GHT or above (0 when none, and then the exercises
// page offers no link to the view).
func YearlyNode(ctx context.Context) int64 {
	for _, root := range authz.Current(ctx).Scope(authz.OrgRead) {
		if ids := org.PathIDs(root); len(ids) >= 1 && len(ids) <= len(YearlyLevels) {
			return ids[len(ids)-1]
		}
	}
	return 0
}

// Finished is an exercise that finished, as a funding indicator shows it.
type Finished struct {
	ID         int64
	Title      string
	FinishedAt time.Time
}

// FinishedIn returns the last exercise of the node orgID or its subtree that
// finished within the days [from, to] (to zero: no end), ok false when there is
// none: the funding indicator "crisis exercise finished during the operational
// phase".
func (s *Service) FinishedIn(ctx context.Context, orgID int64, from, to time.Time) (Finished, bool, error) {
	node, err := org.Load(ctx, s.DB.Read, orgID, authz.OrgRead)
	if err != nil {
		return Finished{}, false, err
	}
	end := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if !to.IsZero() {
		end = to.AddDate(0, 0, 1) // the end of the last day
	}
	return lastFinished(ctx, s.DB.Read, node.Path, from, end)
}
