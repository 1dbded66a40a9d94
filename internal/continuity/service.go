package continuity

import (
	"context"
	"slices"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/web"
)

// Service is the continuity use cases. Everything belongs to a node of the tree
// (an establishment, a site, or a GHT for shared resources) and is scoped by it.
//
// Each public method loads its node with org.Load — the one access check — and
// opens the transaction when it writes; the unexported helpers it calls take the
// checked node and never check again. The SQL lives in the store files.
type Service struct {
	DB *db.DB
	// Horizons of the BIA; the shipped scale's when empty.
	Horizons []Horizon
	// OperationalPhase gives the operational phase of the call as of now, in
	// which the tests asked by Domaine 2 count (from the programme content, wired
	// by the server); D2OperationalPhase when nil. A zero to runs to now.
	OperationalPhase func(ctx context.Context, now time.Time) (from, to time.Time, ok bool, err error)
}

// phase is the operational phase in force at now.
func (s *Service) phase(ctx context.Context, now time.Time) (Phase, error) {
	if s.OperationalPhase == nil {
		from, to, ok := D2OperationalPhase(now)
		return Phase{From: from, To: to, Known: ok, Default: true}, nil
	}
	from, to, ok, err := s.OperationalPhase(ctx, now)
	if to.IsZero() || to.After(now) {
		to = now // a test planned does not count before it is done
	}
	return Phase{From: from, To: to, Known: ok}, err
}

// horizons are the BIA horizons in force on this instance.
func (s *Service) horizons() []Horizon {
	if len(s.Horizons) > 0 {
		return s.Horizons
	}
	if c, err := LoadCatalogue(); err == nil && len(c.Horizons) > 0 {
		return c.Horizons
	}
	return DefaultHorizons
}

// Overview is everything the continuity page shows of one node.
type Overview struct {
	EvalInput  // the framing, activities, register, gaps, sheets, tests and versions, as of Now
	Org        org.Org
	CanWrite   bool // the caller may run the node's programme
	Coverage   Coverage
	Evaluation Evaluation
	// Sites are the establishments and sites below the node (itself included)
	// an activity may be added to: offered to a writer at a GHT, an
	// establishment or a site, never over a region's thousands.
	Sites []web.Choice
}

// Overview reads node id's whole continuity work, the node read once.
func (s *Service) Overview(ctx context.Context, id int64) (Overview, error) {
	o, err := org.Load(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return Overview{}, err
	}
	ov := Overview{Org: o, CanWrite: authz.Current(ctx).Can(authz.ProgrammeWrite, o.Path)}
	if ov.EvalInput, _, err = s.state(ctx, s.DB.Read, o); err != nil {
		return Overview{}, err
	}
	below, err := nodesUnder(ctx, s.DB.Read, o.Path, belowLevels(o)...)
	if err != nil {
		return Overview{}, err
	}
	phase, err := s.phase(ctx, ov.Now)
	if err != nil {
		return Overview{}, err
	}
	if ov.Coverage, err = coverage(ctx, s.DB.Read, o, below, ov.Activities, phase); err != nil {
		return Overview{}, err
	}
	ov.Evaluation = Evaluate(ov.EvalInput)
	if ov.CanWrite && o.Level != org.National && o.Level != org.Region {
		for _, b := range below {
			ov.Sites = append(ov.Sites, web.Choice{ID: b.ID, Label: strings.Repeat("· ", max(b.Depth()-2, 0)) + b.Name})
		}
	}
	return ov, nil
}

// state reads the continuity work of the checked node o: the framing, the
// activities with their BIA, the register usable there as the caller sees it,
// the gaps, the written sheets (also whole, for the plan document), the tests
// and the versions of the plan.
func (s *Service) state(ctx context.Context, q db.Querier, o org.Org) (EvalInput, map[int64]Sheet, error) {
	in := EvalInput{Now: db.Now(), Sheets: map[int64]bool{}}
	var err error
	if in.Plan, err = getPlan(ctx, q, o.ID); err != nil {
		return EvalInput{}, nil, err
	}
	if in.Activities, err = s.activities(ctx, q, o.Path); err != nil {
		return EvalInput{}, nil, err
	}
	if in.Resources, err = resourcesFor(ctx, q, o.Path, authz.Current(ctx).Scope(authz.OrgRead)); err != nil {
		return EvalInput{}, nil, err
	}
	sheets, err := writtenSheets(ctx, q, in.Activities)
	if err != nil {
		return EvalInput{}, nil, err
	}
	framings, err := framingsAround(ctx, q, o.Path)
	if err != nil {
		return EvalInput{}, nil, err
	}
	in.Gaps = gapsOf(in.Activities, in.Resources, sheets, framings)
	for id := range sheets {
		in.Sheets[id] = true
	}
	if in.Tests, err = listTests(ctx, q, o.Path); err != nil {
		return EvalInput{}, nil, err
	}
	if in.Versions, err = listVersions(ctx, q, o.ID); err != nil {
		return EvalInput{}, nil, err
	}
	return in, sheets, nil
}

// activities reads the activities in the subtree at path with their impacts,
// dependencies and computed DMIA.
func (s *Service) activities(ctx context.Context, q db.Querier, path string) ([]Activity, error) {
	list, err := activitiesUnder(ctx, q, path)
	if err != nil {
		return nil, err
	}
	return list, s.fill(ctx, q, list)
}

// fill reads the impacts and dependencies of activities and computes their DMIA
// over the instance's horizons.
func (s *Service) fill(ctx context.Context, q db.Querier, list []Activity) error {
	if err := fillActivities(ctx, q, list); err != nil {
		return err
	}
	horizons := s.horizons()
	for i := range list {
		if h, ok := DMIA(list[i].Impacts, horizons); ok {
			list[i].computedDMIA = &h
		}
	}
	return nil
}

// ---- gaps, coverage, evaluation ----

// GapsFor computes the needed-versus-actual table for node org.
func (s *Service) GapsFor(ctx context.Context, id int64) ([]Gap, error) {
	o, err := org.Load(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return nil, err
	}
	acts, err := s.activities(ctx, s.DB.Read, o.Path)
	if err != nil {
		return nil, err
	}
	res, err := resourcesFor(ctx, s.DB.Read, o.Path, authz.Current(ctx).Scope(authz.OrgRead))
	if err != nil {
		return nil, err
	}
	sheets, err := writtenSheets(ctx, s.DB.Read, acts)
	if err != nil {
		return nil, err
	}
	framings, err := framingsAround(ctx, s.DB.Read, o.Path)
	if err != nil {
		return nil, err
	}
	return gapsOf(acts, res, sheets, framings), nil
}

// gapsOf compares what activities acts need with what the resources res can do,
// with the endurance their written sheets give and the margin their framings set.
func gapsOf(acts []Activity, res []ResourceRow, sheets map[int64]Sheet, framings map[string]framing) []Gap {
	needs := make([]Need, 0, len(acts))
	for _, a := range acts {
		need := Need{ActivityID: a.ID, Name: a.Name, DMIA: a.EffectiveDMIA(), Holds: sheets[a.ID].Holds, Margin: marginAt(framings, a.OrgPath), PDMA: a.PDMA}
		for _, d := range a.Dependencies {
			if d.Critical {
				need.Critical = append(need.Critical, d.ResourceID)
			}
		}
		needs = append(needs, need)
	}
	resources := make([]Resource, len(res))
	for i, r := range res {
		resources[i] = Resource{ID: r.ID, Name: r.Name, RTO: r.RTO, RPO: r.RPO}
	}
	return Gaps(needs, resources)
}

// CoverageFor computes the Domaine 2 indicators of node org: the 66 % coverage
// over its legal entities (for a GHT or a region), its sites (for a multi-site
// legal entity outside a GHT) or itself, with the O1.C minimum perimeter of each.
func (s *Service) CoverageFor(ctx context.Context, id int64) (Coverage, error) {
	o, err := org.Load(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return Coverage{}, err
	}
	acts, err := s.activities(ctx, s.DB.Read, o.Path)
	if err != nil {
		return Coverage{}, err
	}
	below, err := nodesUnder(ctx, s.DB.Read, o.Path, belowLevels(o)...)
	if err != nil {
		return Coverage{}, err
	}
	phase, err := s.phase(ctx, db.Now())
	if err != nil {
		return Coverage{}, err
	}
	return coverage(ctx, s.DB.Read, o, below, acts, phase)
}

// belowLevels are the levels read below node o: the entities its coverage counts
// (legal entities, or the sites of an establishment), and under a GHT or an
// establishment the sites too, which its page offers for a new activity.
func belowLevels(o org.Org) []org.Level {
	if o.Level == org.National || o.Level == org.Region {
		return []org.Level{org.LegalEntity}
	}
	return []org.Level{org.LegalEntity, org.Site}
}

// entityScope says what the coverage of the checked node o counts. D2 counts
// the legal entities (FINESS EJ) of a GHT, and the geographic establishments
// (FINESS EG) only for a candidate outside a GHT: a legal entity under a GHT is
// one entity, whatever its sites (ANS Domaine 2, O1.C and O1.D).
func entityScope(o org.Org, below []org.Org) string {
	switch o.Level {
	case org.Site:
		return ScopeSelf
	case org.LegalEntity:
		// The tree is national → region → GHT → legal entity, the GHT missing for
		// an establishment outside one: a legal entity three levels down is in a GHT.
		if o.Depth() == 3 || !slices.ContainsFunc(below, func(b org.Org) bool { return b.Level == org.Site }) {
			return ScopeSelf
		}
		return ScopeSites
	}
	return ScopeLegalEntities
}

// coverage computes the indicators of the checked node o from the nodes below it
// (belowLevels) and its activities: per entity, the O1.C perimeter of the
// entity's own BIAs (its activities, and those held above it inside o — an
// establishment's payroll covers each of its sites), its plan and its test.
func coverage(ctx context.Context, q db.Querier, o org.Org, below []org.Org, acts []Activity, phase Phase) (Coverage, error) {
	scope := entityScope(o, below)
	level := map[string]org.Level{ScopeLegalEntities: org.LegalEntity, ScopeSites: org.Site}[scope]
	var entities []Entity
	var paths []string
	for _, b := range below {
		if b.Level == level {
			entities = append(entities, Entity{ID: b.ID, Name: b.Name, Weight: b.ActivityWeight})
			paths = append(paths, b.Path)
		}
	}
	if len(entities) == 0 { // a single establishment: it is its own entity
		scope = ScopeSelf
		entities, paths = []Entity{{ID: o.ID, Name: o.Name, Weight: max(o.ActivityWeight, 1)}}, []string{o.Path}
	}
	plans, tests, err := coveredPaths(ctx, q, o.Path)
	if err != nil {
		return Coverage{}, err
	}
	framings, err := framingsAround(ctx, q, o.Path)
	if err != nil {
		return Coverage{}, err
	}
	for i, p := range paths {
		e := &entities[i]
		var assessed []Assessed
		for _, a := range acts {
			if authz.Within(a.OrgPath, p) || authz.Within(p, a.OrgPath) {
				assessed = append(assessed, Assessed{Type: a.Type, HasBIA: a.HasBIA(), MajorOnPatient: MajorOnPatient(a.Impacts)})
			}
		}
		var lacks []string
		for path, f := range framings {
			if authz.Within(p, path) {
				lacks = append(lacks, f.absent...)
			}
		}
		e.Perimeter = MinimumPerimeter(assessed, ParseAbsent(strings.Join(lacks, ",")))
		// A plan made for the entity, or for a node above it inside the
		// perimeter (a GHT-wide plan), covers it; so does a PCA test, also when
		// made on one of the entity's sites (O1.D: a perimeter chosen by the
		// candidate, at least one service).
		e.Plan = heldAbove(plans, p)
		for _, t := range tests {
			if (authz.Within(t.path, p) || authz.Within(p, t.path)) && CountsForO1D(t.PlanTest, phase) {
				e.Tested = true
			}
		}
	}
	c := ComputeCoverage(scope, entities)
	c.Phase = phase
	for _, t := range tests {
		c.O4 = c.O4 || CountsForO4(t.PlanTest, phase)
	}
	return c, nil
}

// heldAbove reports whether one of paths is the node at path or one of its ancestors.
func heldAbove(paths map[string]bool, path string) bool {
	for i := range len(path) {
		if path[i] == '/' && paths[path[:i+1]] {
			return true
		}
	}
	return false
}

// EvaluationFor scores node org's plan against the grid.
func (s *Service) EvaluationFor(ctx context.Context, id int64) (Evaluation, error) {
	o, err := org.Load(ctx, s.DB.Read, id, authz.OrgRead)
	if err != nil {
		return Evaluation{}, err
	}
	in, _, err := s.state(ctx, s.DB.Read, o)
	if err != nil {
		return Evaluation{}, err
	}
	return Evaluate(in), nil
}
