package continuity

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/audit"
	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/problem"
)

// Activity is an activity of an establishment with its BIA.
type Activity struct {
	ID                int64
	OrgID             int64
	OrgName           string
	OrgPath           string
	OrgLevel          string
	CatalogueID       string
	Name              string
	Type              string
	Description       string
	MinimumStaff      string
	PeakPeriods       string
	PDMA              *int
	DMIAOverride      *int
	DMIAJustification string
	BIAUpdatedAt      *time.Time
	ReviewDue         *time.Time
	Impacts           Impacts
	Dependencies      []Dependency
	computedDMIA      *int // from the impacts, over the instance's horizons
}

// Dependency is what an activity relies on.
type Dependency struct {
	ResourceID int64
	Name       string
	Kind       string
	Critical   bool
}

// ComputedDMIA is the DMIA the impacts give.
func (a Activity) ComputedDMIA() *int { return a.computedDMIA }

// EffectiveDMIA is the override when one was justified, else the computed DMIA.
func (a Activity) EffectiveDMIA() *int {
	if a.DMIAOverride != nil {
		return a.DMIAOverride
	}
	return a.ComputedDMIA()
}

// Stale reports whether the activity's review date is past.
func (a Activity) Stale(now time.Time) bool { return Stale(a.ReviewDue, now) }

// HasBIA reports whether the impacts were scored.
func (a Activity) HasBIA() bool { return a.BIAUpdatedAt != nil && len(a.Impacts) > 0 }

// Stale reports whether a review date is past.
func Stale(due *time.Time, now time.Time) bool { return due != nil && due.Before(now) }

// NewActivity is the input of an activity's creation.
type NewActivity struct {
	OrgID       int64
	CatalogueID string
	Name        string
	Type        string
	Description string
}

// CreateActivity adds an activity to a site or an establishment, from the catalogue
// (name, type and description filled from it) or custom.
func (s *Service) CreateActivity(ctx context.Context, in NewActivity) (Activity, error) {
	cat, err := LoadCatalogue()
	if err != nil {
		return Activity{}, err
	}
	var c problem.Checks
	var pdma *int
	staff := ""
	if in.CatalogueID != "" {
		ca, ok := cat.Activity(in.CatalogueID)
		if !ok {
			c.Add("catalogue_id", "continuity.error.catalogue", in.CatalogueID)
		} else {
			in.Name = cmpOr(strings.TrimSpace(in.Name), ca.Name)
			in.Type = cmpOr(in.Type, ca.Type)
			in.Description = cmpOr(in.Description, ca.Description)
			staff = ca.MinimumStaff
			p := ca.PDMAHours
			pdma = &p
		}
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 200 {
		c.Add("name", "continuity.error.name")
	}
	if in.Type != TypeCare && in.Type != TypeAdmin && in.Type != TypePlatform {
		c.Add("type", "continuity.error.type", in.Type)
	}
	var a Activity
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		o, err := target(ctx, tx, in.OrgID, &c)
		if err != nil {
			return err
		}
		if o.ID != 0 && !o.IsEstablishment() {
			c.Add("org", "continuity.error.org_level")
		}
		if err := c.Err(); err != nil {
			return err
		}
		id, err := insertActivity(ctx, tx, in, staff, pdma, db.Now())
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "continuity.activity_create", ObjectType: "activity", ObjectID: audit.ID(id), OrgPath: o.Path,
			Changes: audit.Diff(nil, map[string]any{"name": in.Name, "type": in.Type, "org_id": in.OrgID})}); err != nil {
			return err
		}
		a, err = s.activity(ctx, tx, id)
		return err
	})
	return a, err
}

// target loads, for a writer, the node something is added to: an absent or
// invisible one is a faulty "org" field of the input (recorded in c, the zero
// Org returned) rather than a missing page.
func target(ctx context.Context, tx *sql.Tx, id int64, c *problem.Checks) (org.Org, error) {
	o, err := org.Load(ctx, tx, id, authz.ProgrammeWrite)
	if problem.Is(err, problem.NotFound) {
		c.Add("org", "continuity.error.org")
		return org.Org{}, nil
	}
	return o, err
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkedActivity reads activity id and loads its node for need: the activity
// comes back without its impacts and dependencies (fill).
func checkedActivity(ctx context.Context, q db.Querier, id int64, need authz.Action) (Activity, org.Org, error) {
	a, err := getActivity(ctx, q, id)
	if err != nil {
		return Activity{}, org.Org{}, err
	}
	o, err := org.Load(ctx, q, a.OrgID, need)
	if err != nil {
		return Activity{}, org.Org{}, err
	}
	return a, o, nil
}

// activity reads activity id, already checked, with its impacts and dependencies.
func (s *Service) activity(ctx context.Context, q db.Querier, id int64) (Activity, error) {
	a, err := getActivity(ctx, q, id)
	if err != nil {
		return Activity{}, err
	}
	return s.filled(ctx, q, a)
}

// filled is activity a with its impacts, dependencies and computed DMIA.
func (s *Service) filled(ctx context.Context, q db.Querier, a Activity) (Activity, error) {
	list := []Activity{a}
	if err := s.fill(ctx, q, list); err != nil {
		return Activity{}, err
	}
	return list[0], nil
}

// GetActivity returns an activity the caller may read, with its impacts and dependencies.
func (s *Service) GetActivity(ctx context.Context, id int64) (Activity, error) {
	a, _, err := checkedActivity(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return Activity{}, err
	}
	return s.filled(ctx, s.DB.Read, a)
}

// ActivityView is what an activity's BIA page shows.
type ActivityView struct {
	Activity  Activity
	Resources []ResourceRow // the register usable by the activity's node
	CanWrite  bool
}

// ActivityView reads activity id, its BIA and the resources it may depend on,
// its node read once.
func (s *Service) ActivityView(ctx context.Context, id int64) (ActivityView, error) {
	a, o, err := checkedActivity(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return ActivityView{}, err
	}
	if a, err = s.filled(ctx, s.DB.Read, a); err != nil {
		return ActivityView{}, err
	}
	sub := authz.Current(ctx)
	res, err := resourcesFor(ctx, s.DB.Read, o.Path, sub.Scope(authz.OrgRead))
	if err != nil {
		return ActivityView{}, err
	}
	return ActivityView{Activity: a, Resources: res, CanWrite: sub.Can(authz.ProgrammeWrite, o.Path)}, nil
}

// BIA is the input of an activity's impact analysis.
type BIA struct {
	Impacts           Impacts
	PDMA              *int
	DMIAOverride      *int
	DMIAJustification string
	MinimumStaff      *string
	PeakPeriods       *string
	ReviewDue         *time.Time
	Dependencies      []DependencyInput
}

// DependencyInput names a resource an activity depends on.
type DependencyInput struct {
	ResourceID int64
	Critical   bool
}

// SaveBIA replaces an activity's impacts, PDMA, DMIA override and dependencies, all
// checked first: levels and horizons in order, an override only with a
// justification, dependencies only on resources of the same establishment (or shared
// above it) that the caller may see.
func (s *Service) SaveBIA(ctx context.Context, id int64, b BIA) (Activity, error) {
	var c problem.Checks
	if err := CheckImpacts(b.Impacts, s.horizons()); err != nil {
		e, _ := problem.As(err)
		for _, f := range e.Fields {
			c.Add(f.Field, f.Key, f.Args...)
		}
	}
	if b.PDMA != nil && (*b.PDMA < 0 || *b.PDMA > maxHours) {
		c.Add("pdma_hours", "continuity.error.hours")
	}
	if b.DMIAOverride != nil {
		if *b.DMIAOverride < 0 || *b.DMIAOverride > maxHours {
			c.Add("dmia_override_hours", "continuity.error.hours")
		}
		if strings.TrimSpace(b.DMIAJustification) == "" {
			c.Add("dmia_justification", "continuity.error.justification")
		}
	}
	var saved Activity
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		a, _, err := checkedActivity(ctx, tx, id, authz.ProgrammeWrite)
		if err != nil {
			return err
		}
		ids := make([]int64, len(b.Dependencies))
		for i, d := range b.Dependencies {
			ids[i] = d.ResourceID
		}
		held, err := resourcePaths(ctx, tx, ids, authz.Current(ctx).Scope(authz.OrgRead))
		if err != nil {
			return err
		}
		checkDependencies(&c, a, b.Dependencies, held)
		if err := c.Err(); err != nil {
			return err
		}
		staff, peaks := a.MinimumStaff, a.PeakPeriods
		if b.MinimumStaff != nil {
			staff = *b.MinimumStaff
		}
		if b.PeakPeriods != nil {
			peaks = *b.PeakPeriods
		}
		justification := strings.TrimSpace(b.DMIAJustification)
		if b.DMIAOverride == nil {
			justification = ""
		}
		if err := replaceBIA(ctx, tx, id, b, staff, peaks, justification, db.Now()); err != nil {
			return err
		}
		before := map[string]any{"pdma_hours": a.PDMA, "dmia_override_hours": a.DMIAOverride}
		after := map[string]any{"pdma_hours": b.PDMA, "dmia_override_hours": b.DMIAOverride}
		changes := audit.Diff(deref(before), deref(after))
		if dmia, ok := DMIA(b.Impacts, s.horizons()); ok {
			changes["dmia_hours"] = audit.Change{After: dmia}
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: "continuity.bia_save", ObjectType: "activity", ObjectID: audit.ID(id), OrgPath: a.OrgPath, Changes: changes}); err != nil {
			return err
		}
		saved, err = s.activity(ctx, tx, id)
		return err
	})
	return saved, err
}

// checkDependencies records in c the dependencies activity a may not have: on a
// resource the caller does not see (absent from held, the paths of the holders
// of those they see) or that does not serve a, or named twice.
func checkDependencies(c *problem.Checks, a Activity, deps []DependencyInput, held map[int64]string) {
	seen := map[int64]bool{}
	for _, d := range deps {
		if path, ok := held[d.ResourceID]; !ok || !servesActivity(a, path) {
			c.Add("dependencies", "continuity.error.dependency", d.ResourceID)
		}
		if seen[d.ResourceID] {
			c.Add("dependencies", "continuity.error.dependency_twice", d.ResourceID)
		}
		seen[d.ResourceID] = true
	}
}

// deref turns *int values into ints or nils, so that audit diffs compare values.
func deref(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if p, ok := v.(*int); ok && p != nil {
			out[k] = *p
		} else {
			out[k] = nil
		}
	}
	return out
}

// servesActivity reports whether a resource held at rpath may serve activity a:
// held at the activity's node or above it (a GHT's shared DPI), or anywhere in the
// activity's legal entity (an application run by a sister site).
func servesActivity(a Activity, rpath string) bool {
	entity := a.OrgPath
	if a.OrgLevel == authz.LevelSite {
		entity = a.OrgPath[:strings.LastIndex(strings.TrimSuffix(a.OrgPath, "/"), "/")+1]
	}
	return authz.Within(a.OrgPath, rpath) || authz.Within(rpath, entity)
}
