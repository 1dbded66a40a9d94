package incident

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
)

// The statistics of the declarations, in the spirit of the CERT Santé
// observatory (https://cyberveille.esante.gouv.fr/lobservatoire-des-incidents):
// declarations per year and month, per category and type, the share with a
// degraded mode and with an impact on patient care, per region. Only submitted
// declarations count (drafts are not declarations), and only those the caller
// sees: an ARS referent's totals are its region's.

// Count is one line of a breakdown.
type Count struct {
	Key string `json:"key"`
	N   int    `json:"count"`
}

// Stats are the figures of a set of declarations.
type Stats struct {
	Total         int     `json:"total"`
	Degraded      int     `json:"degraded_mode"`
	PatientImpact int     `json:"patient_impact"`
	DegradedShare float64 `json:"degraded_mode_share"`  // percent of Total
	PatientShare  float64 `json:"patient_impact_share"` // percent of Total
	ByYear        []Count `json:"by_year"`
	ByMonth       []Count `json:"by_month"`    // "2025-03"
	ByCategory    []Count `json:"by_category"` // the decree's order; an incident counts in each of its categories
	ByType        []Count `json:"by_type"`
	ByRegion      []Count `json:"by_region"` // region names, most first
}

// Fact is what the statistics read of one declaration.
type Fact struct {
	SubmittedAt   time.Time
	Categories    []string
	Type          string
	Degraded      bool
	PatientImpact bool
	Region        string
}

// Compute makes the statistics of facts. Shares are percentages rounded to
// one decimal, 0 when there is nothing.
func Compute(facts []Fact) Stats {
	st := Stats{Total: len(facts)}
	years, months, cats, types, regions := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for _, f := range facts {
		at := f.SubmittedAt.UTC()
		years[at.Format("2006")]++
		months[at.Format("2006-01")]++
		for _, c := range f.Categories {
			cats[c]++
		}
		types[f.Type]++
		regions[f.Region]++
		if f.Degraded {
			st.Degraded++
		}
		if f.PatientImpact {
			st.PatientImpact++
		}
	}
	if st.Total > 0 {
		st.DegradedShare = share(st.Degraded, st.Total)
		st.PatientShare = share(st.PatientImpact, st.Total)
	}
	st.ByYear, st.ByMonth = sortedKeys(years), sortedKeys(months)
	st.ByCategory, st.ByType = inOrder(Categories, cats), inOrder(Types, types)
	st.ByRegion = sortedKeys(regions)
	slices.SortStableFunc(st.ByRegion, func(a, b Count) int { return cmp.Compare(b.N, a.N) })
	return st
}

func share(n, total int) float64 {
	return math.Round(float64(n)*1000/float64(total)) / 10
}

func sortedKeys(m map[string]int) []Count {
	out := []Count{}
	for k, n := range m {
		out = append(out, Count{k, n})
	}
	slices.SortFunc(out, func(a, b Count) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func inOrder(keys []string, m map[string]int) []Count {
	out := []Count{}
	for _, k := range keys {
		out = append(out, Count{k, m[k]})
	}
	return out
}

// Stats are the statistics of the declarations the caller sees, under node
// orgID when it is not 0 (a regional view), of one year when year is not 0.
func (s *Service) Stats(ctx context.Context, orgID int64, year int) (Stats, error) {
	f := ScopeOf(authz.Current(ctx))
	roots := f.Read
	if orgID != 0 {
		path, err := s.nodePath(ctx, orgID)
		if err != nil {
			return Stats{}, err
		}
		roots = authz.Narrow(roots, path)
	}
	facts, err := listFacts(ctx, s.DB.Read, roots, year)
	if err != nil {
		return Stats{}, err
	}
	return Compute(facts), nil
}

func listFacts(ctx context.Context, q db.Querier, roots []string, year int) ([]Fact, error) {
	where, args := authz.ScopeClause("o.path", roots, 2)
	args = append([]any{Draft}, args...)
	if year != 0 {
		args = append(args, time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC))
		where += fmt.Sprintf(" AND i.submitted_at >= $%d AND i.submitted_at < $%d", len(args)-1, len(args))
	}
	regions, err := db.List(ctx, q, "incident: regions", func(row db.Row) (Count, error) {
		var c Count
		var id int64
		err := row.Scan(&id, &c.Key)
		c.N = int(id)
		return c, err
	}, "SELECT id, name FROM orgs WHERE level = $1", string(org.Region))
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, r := range regions {
		names[int64(r.N)] = r.Key
	}
	return db.List(ctx, q, "incident: statistics", func(row db.Row) (Fact, error) {
		var f Fact
		var cats, path string
		err := row.Scan(&f.SubmittedAt, &cats, &f.Type, &f.Degraded, &f.PatientImpact, &path)
		if cats != "" {
			f.Categories = strings.Split(cats, ",")
		}
		if ids := org.PathIDs(path); len(ids) > 1 {
			f.Region = names[ids[1]]
		}
		return f, err
	}, `SELECT i.submitted_at, i.categories, i.type, i.degraded_mode, i.patient_impact, o.path FROM incidents i JOIN orgs o ON o.id = i.org_id
WHERE i.status <> $1 AND i.submitted_at IS NOT NULL AND o.archived_at IS NULL AND `+where, args...)
}
