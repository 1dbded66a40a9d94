package catalogue

import (
	"context"
	"database/sql"
	"slices"
	"strconv"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Populations are the staff groups an establishment counts: care staff,
// administrative, technical (IT, biomedical, logistics) and management.
// Training programmes for hospitals address these groups one by one (ANFH's
// scenario modules: admissions, biomedical, technical services, management).
var Populations = []string{"soignants", "administratifs", "techniques", "direction"}

// Count is, for one population and year, the staff and how many of them
// followed an awareness action.
type Count struct {
	Population string
	Staff      int
	Trained    int
}

// Year is an establishment's counts of one year.
type Year struct {
	Year   int
	Counts []Count
}

// Totals are the year's staff and trained, all populations together.
func (y Year) Totals() (staff, trained int) {
	for _, c := range y.Counts {
		staff += c.Staff
		trained += c.Trained
	}
	return staff, trained
}

// Rate is the share of the staff trained, in percent; false when no staff was
// counted.
func (y Year) Rate() (float64, bool) {
	staff, trained := y.Totals()
	if staff == 0 {
		return 0, false
	}
	return float64(trained) * 100 / float64(staff), true
}

// RateTrend is the rate of the latest year with staff counted and its change,
// in points, since the year before it that has one (0 when none). years are
// newest first.
func RateTrend(years []Year) (rate, trend float64, ok bool) {
	i := slices.IndexFunc(years, func(y Year) bool { _, ok := y.Rate(); return ok })
	if i < 0 {
		return 0, 0, false
	}
	rate, _ = years[i].Rate()
	for _, y := range years[i+1:] {
		if before, ok := y.Rate(); ok {
			return rate, rate - before, true
		}
	}
	return rate, 0, true
}

// CheckCounts validates one year's counts whole: a known year, known
// populations each once, no negative number, no more trained than staff.
func CheckCounts(year, thisYear int, counts []Count) error {
	var c problem.Checks
	if year < 2000 || year > thisYear {
		c.Add("year", "catalogue.awareness.error.year", thisYear)
	}
	if len(counts) == 0 {
		c.Add("counts", "catalogue.awareness.error.empty")
	}
	seen := map[string]bool{}
	for _, n := range counts {
		field := func(f string) string { return f + "_" + n.Population }
		switch {
		case !slices.Contains(Populations, n.Population):
			c.Add("population", "catalogue.awareness.error.population", n.Population)
			continue
		case seen[n.Population]:
			c.Add(n.Population, "catalogue.awareness.error.twice", n.Population)
		}
		seen[n.Population] = true
		if n.Staff < 0 {
			c.Add(field("staff"), "catalogue.awareness.error.negative")
		}
		if n.Trained < 0 {
			c.Add(field("trained"), "catalogue.awareness.error.negative")
		}
		if n.Trained > n.Staff {
			c.Add(field("trained"), "catalogue.awareness.error.more_than_staff", n.Trained, n.Staff)
		}
	}
	return c.Err()
}

// AwarenessSheet is an establishment's awareness page: its years, newest first.
type AwarenessSheet struct {
	Org      org.Org
	Years    []Year
	CanWrite bool
}

// AwarenessOf reads an establishment's counts.
func (s *Service) AwarenessOf(ctx context.Context, orgID int64) (AwarenessSheet, error) {
	o, err := loadEstablishment(ctx, s.DB.Read, orgID, authz.OrgRead)
	if err != nil {
		return AwarenessSheet{}, err
	}
	years, err := listYears(ctx, s.DB.Read, o.ID)
	return AwarenessSheet{Org: o, Years: years, CanWrite: authz.Current(ctx).Can(authz.ProgrammeWrite, o.Path)}, err
}

// Awareness is the dashboards' indicator for an establishment: the share of its
// staff trained in the latest year counted (percent), its change in points
// since the year counted before, and false when nothing was counted.
func (s *Service) Awareness(ctx context.Context, orgID int64) (rate, trend float64, ok bool, err error) {
	sheet, err := s.AwarenessOf(ctx, orgID)
	if err != nil {
		return 0, 0, false, err
	}
	rate, trend, ok = RateTrend(sheet.Years)
	return rate, trend, ok, nil
}

// SaveAwareness replaces an establishment's counts of one year, checked whole.
func (s *Service) SaveAwareness(ctx context.Context, orgID int64, year int, counts []Count) error {
	if err := CheckCounts(year, db.Now().Year(), counts); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := loadEstablishment(ctx, tx, orgID, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		if err := replaceYear(ctx, tx, o.ID, year, counts, db.NullID(authz.Current(ctx).UserID), db.Now()); err != nil {
			return err
		}
		staff, trained := Year{Counts: counts}.Totals()
		return audit.Record(ctx, tx, audit.Entry{Action: "catalogue.awareness_save", ObjectType: "awareness", ObjectID: audit.ID(o.ID) + "/" + strconv.Itoa(year), OrgPath: o.Path,
			Changes: map[string]audit.Change{"staff": {After: staff}, "trained": {After: trained}}})
	})
}

// loadEstablishment loads a node for need and refuses one that is not an
// establishment.
func loadEstablishment(ctx context.Context, q db.Querier, id int64, need authz.Action) (org.Org, error) {
	o, err := org.Load(ctx, q, id, need)
	if err != nil {
		return org.Org{}, err
	}
	if !o.IsEstablishment() {
		return org.Org{}, problem.New(problem.Invalid, "catalogue.error.not_establishment")
	}
	return o, nil
}
