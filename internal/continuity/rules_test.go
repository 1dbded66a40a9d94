package continuity

import (
	"strings"
	"testing"
	"time"

	"care/internal/platform/problem"
)

func ptr(n int) *int { return &n }

func TestDMIAByHand(t *testing.T) {
	imp := Impacts{
		"patient_safety":     {"1h": 1, "4h": 2, "24h": 4, "72h": 4},
		"financial":          {"1h": 1, "4h": 1, "24h": 2, "72h": 3, "1w": 4},
		"continuity_of_care": {"1h": 2, "4h": 3},
	}
	if h, ok := DMIA(imp, DefaultHorizons); !ok || h != 24 {
		t.Errorf("DMIA = %d %v, want 24 h (patient safety unacceptable at 24 h)", h, ok)
	}
	imp["continuity_of_care"]["4h"] = 4
	if h, _ := DMIA(imp, DefaultHorizons); h != 4 {
		t.Errorf("DMIA = %d, want 4 h once continuity of care is unacceptable at 4 h", h)
	}
	if _, ok := DMIA(Impacts{"image": {"1m": 3}}, DefaultHorizons); ok {
		t.Error("a DMIA was derived though nothing is ever unacceptable")
	}
	if !MajorOnPatient(imp) || MajorOnPatient(Impacts{"financial": {"1h": 4}}) {
		t.Error("major impact on patients misjudged")
	}
}

func TestCheckImpactsRefusesOutOfOrderAndUnknown(t *testing.T) {
	if err := CheckImpacts(Impacts{"patient_safety": {"1h": 1, "4h": 2, "1w": 4}}, DefaultHorizons); err != nil {
		t.Errorf("valid impacts refused: %v", err)
	}
	err := CheckImpacts(Impacts{
		"patient_safety": {"1h": 3, "4h": 2}, // decreasing
		"weather":        {"1h": 1},          // unknown criterion
		"financial":      {"2h": 1, "1h": 5}, // unknown horizon, level out of range
	}, DefaultHorizons)
	e, ok := problem.As(err)
	if !ok {
		t.Fatalf("got %v", err)
	}
	var keys []string
	for _, f := range e.Fields {
		keys = append(keys, f.Key)
	}
	got := strings.Join(keys, " ")
	for _, want := range []string{"continuity.error.decreasing", "continuity.error.criterion", "continuity.error.horizon", "continuity.error.level"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
}

// A hand-computed case: three activities, four applications.
func TestGapsByHand(t *testing.T) {
	needs := []Need{
		{ActivityID: 1, Name: "Urgences", DMIA: ptr(4), PDMA: ptr(1), Critical: []int64{10, 11}},
		{ActivityID: 2, Name: "Laboratoire", DMIA: ptr(24), PDMA: ptr(4), Critical: []int64{11, 12}},
		{ActivityID: 3, Name: "Paie", DMIA: ptr(168), PDMA: ptr(24), Critical: []int64{13}},
		{ActivityID: 4, Name: "Non évaluée", Critical: []int64{13}},
	}
	resources := []Resource{
		{ID: 10, Name: "DPI", RTO: ptr(8), RPO: ptr(1)},  // needs 4 h / 1 h: RTO gap
		{ID: 11, Name: "Réseau", RTO: ptr(2), RPO: nil},  // needs 4 h / 1 h: no RPO declared, gap
		{ID: 12, Name: "SIL", RTO: ptr(12), RPO: ptr(2)}, // needs 24 h / 4 h: fine
		{ID: 13, Name: "Paie", RTO: ptr(72), RPO: ptr(24)},
		{ID: 14, Name: "Intranet", RTO: nil, RPO: nil}, // nobody needs it
	}
	gaps := Gaps(needs, resources)
	byName := map[string]Gap{}
	var order []string
	for _, g := range gaps {
		byName[g.Resource.Name] = g
		order = append(order, g.Resource.Name)
	}
	if g := byName["DPI"]; *g.RequiredRTO != 4 || *g.RequiredRPO != 1 || !g.RTOGap || g.RPOGap {
		t.Errorf("DPI: %+v", g)
	}
	if g := byName["Réseau"]; *g.RequiredRTO != 4 || *g.RequiredRPO != 1 || g.RTOGap || !g.RPOGap || len(g.Activities) != 2 {
		t.Errorf("network: %+v", g)
	}
	if g := byName["SIL"]; *g.RequiredRTO != 24 || *g.RequiredRPO != 4 || g.HasGap() {
		t.Errorf("SIL: %+v", g)
	}
	if g := byName["Intranet"]; g.RequiredRTO != nil || g.HasGap() {
		t.Errorf("intranet: %+v", g)
	}
	// 4 h first, the network (two activities) before the DPI (one); then 24 h, 168 h; unneeded last.
	if strings.Join(order, ",") != "Réseau,DPI,SIL,Paie,Intranet" || gaps[0].Order != 1 || gaps[4].Order != 5 {
		t.Errorf("recovery order: %v", order)
	}
}

// O1.C (ANS Domaine 2): "formaliser un PCRA basé sur des BIA, a minima sur" one
// care service with a major patient impact, the most critical administrative
// process, one technical platform of the care pathway — "s'ils existent" — for
// entities totalling 66 % of combined activity. An entity is covered by its BIAs
// only when they cover that perimeter (one BIA of any activity was enough before).
func TestCoverageAndPerimeter(t *testing.T) {
	full := Perimeter{Care: true, Admin: true, Platform: true}
	c := ComputeCoverage(ScopeLegalEntities, []Entity{
		{Name: "CHU", Weight: 0.62, Perimeter: full, Plan: true, Tested: true},
		{Name: "CH", Weight: 0.28, Perimeter: full, Plan: false, Tested: false},
		{Name: "EHPAD", Weight: 0.10},
	})
	if c.BIA < 89.99 || c.BIA > 90.01 || c.Plan < 61.99 || c.Plan > 62.01 || c.Met() || !c.Entities[0].BIA || c.Entities[2].BIA {
		t.Errorf("coverage: BIA %.2f plan %.2f met %v; want 90, 62, not met (62 < 66)", c.BIA, c.Plan, c.Met())
	}
	c = ComputeCoverage(ScopeSites, []Entity{{Weight: 0.7, Perimeter: full, Plan: true, Tested: true}, {Weight: 0.3}})
	if !c.Met() || c.Share(c.Entities[0]) < 69.99 {
		t.Error("70 % covered should meet the 66 % rule")
	}
	// One BIA of an administrative process alone does not cover an entity.
	c = ComputeCoverage(ScopeLegalEntities, []Entity{{Weight: 1, Perimeter: MinimumPerimeter([]Assessed{{Type: TypeAdmin, HasBIA: true}}, nil), Plan: true, Tested: true}})
	if c.BIA != 0 || c.Entities[0].BIA || c.Met() {
		t.Errorf("one administrative BIA covers the entity: %+v", c)
	}
	p := MinimumPerimeter([]Assessed{
		{Type: TypeCare, HasBIA: true, MajorOnPatient: false},
		{Type: TypeAdmin, HasBIA: true},
		{Type: TypePlatform, HasBIA: false},
	}, nil)
	if p.Care || !p.Admin || p.Platform || p.Met() || p.State(TypePlatform) != "missing" {
		t.Errorf("perimeter: %+v", p)
	}
	p = MinimumPerimeter([]Assessed{{Type: TypeCare, HasBIA: true, MajorOnPatient: true}, {Type: TypeAdmin, HasBIA: true}, {Type: TypePlatform, HasBIA: true}}, nil)
	if !p.Met() {
		t.Errorf("perimeter should be met: %+v", p)
	}
	// "s'ils existent": an establishment without a technical platform that says so
	// is not failed for lacking it.
	care := []Assessed{{Type: TypeCare, HasBIA: true, MajorOnPatient: true}, {Type: TypeAdmin, HasBIA: true}}
	if MinimumPerimeter(care, nil).Met() {
		t.Error("a missing platform was not asked")
	}
	p = MinimumPerimeter(care, ParseAbsent("platform, bogus"))
	if !p.Met() || p.State(TypePlatform) != "absent" || len(p.Absent) != 1 {
		t.Errorf("a platform recorded as absent still fails the perimeter: %+v", p)
	}
}

func TestEvaluationByHand(t *testing.T) {
	now := mustDate("2026-11-29")
	recent := mustDate("2026-06-01")
	impacts := Impacts{"patient_safety": {"1h": 2, "4h": 4}}
	acts := []Activity{
		{ID: 1, Name: "Urgences", Type: TypeCare, Impacts: impacts, BIAUpdatedAt: &recent, PDMA: ptr(1), computedDMIA: ptr(4),
			Dependencies: []Dependency{{ResourceID: 10, Critical: true}}},
		{ID: 2, Name: "Paie", Type: TypeAdmin},
	}
	res := []ResourceRow{{ID: 10, Name: "DPI", Kind: "application", RTO: ptr(2), RPO: ptr(1), OfflineCopy: true, LastRestoreTest: &recent}}
	in := EvalInput{
		Plan:       Plan{RPCRAName: "Eden", Mission: "…"},
		Activities: acts, Resources: res, Gaps: gapsOf(acts, res, nil, nil),
		Sheets: map[int64]bool{}, Now: now,
	}
	e := Evaluate(in)
	want := map[string]float64{"framing": 2.0 / 3, "bia": 0.5, "perimeter": 1.0 / 3, "gaps": 1, "restore_tests": 1, "offline_copies": 1,
		"sheets": 0, "plan_current": 0, "tested": 0, "reviews": 1}
	var sum float64
	for _, c := range e.Criteria {
		if d := c.Score - want[c.ID]; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: %v, want %v", c.ID, c.Score, want[c.ID])
		}
		sum += float64(c.Weight) * want[c.ID]
	}
	// (2×2/3 + 3×0.5 + 2×1/3 + 3 + 2 + 2 + 0 + 0 + 0 + 1) / 20 = 11.5/20 = 57.5 %
	if e.Percent < 57.49 || e.Percent > 57.51 {
		t.Errorf("plan maturity %.2f %%, want 57.5 %%", e.Percent)
	}
	_ = sum
}

func mustDate(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// An instance may use its own horizons: the DMIA and the checks follow them.
func TestConfiguredHorizons(t *testing.T) {
	hs, err := ParseHorizons("2h, 12h, 3d, 2w")
	if err != nil {
		t.Fatal(err)
	}
	if h, ok := DMIA(Impacts{"legal": {"2h": 1, "12h": 3, "3d": 4}}, hs); !ok || h != 72 {
		t.Errorf("DMIA over custom horizons: %d %v, want 72 h", h, ok)
	}
	if err := CheckImpacts(Impacts{"legal": {"1h": 1}}, hs); err == nil {
		t.Error("a horizon the instance does not use was accepted")
	}
	for _, bad := range []string{"4h,1h", "1h", "1x,2h", "0h,2h"} {
		if _, err := ParseHorizons(bad); err == nil {
			t.Errorf("horizons %q accepted", bad)
		}
	}
	if got := Horizon("1w").Label("fr") + " / " + Horizon("3d").Label("en") + " / " + Horizon("1m").Label("fr"); got != "1 semaine / 3 days / 1 mois" {
		t.Errorf("labels: %q", got)
	}
}

// ANS Domaine 2, O1.D: "tester au moins un PCA lors d'un exercice terrain pendant
// la phase opérationnelle" (from the publication of the arrêté to the deposit of
// the declaration), not "in the last twelve months"; a restore or switch-over
// test counts for O4, a tabletop exercise for neither.
func TestTestsCountInTheOperationalPhase(t *testing.T) {
	from, to, ok := D2OperationalPhase(mustDate("2026-02-10"))
	if !ok || !from.Equal(mustDate("2025-01-18")) || !to.Equal(mustDate("2026-02-10")) {
		t.Fatalf("D2 window: %v → %v", from, to)
	}
	phase := Phase{From: from, To: to, Known: true}
	day := func(s string) *time.Time { d := mustDate(s); return &d }
	for _, c := range []struct {
		test    PlanTest
		o1d, o4 bool
	}{
		{PlanTest{Kind: TestExercise, DoneOn: day("2025-06-01")}, true, false},
		{PlanTest{Kind: TestExercise, DoneOn: day("2025-01-18")}, true, false},
		{PlanTest{Kind: TestExercise, DoneOn: day("2026-02-10")}, true, false},
		{PlanTest{Kind: TestExercise, DoneOn: day("2025-01-10")}, false, false}, // before the arrêté, though within a year
		{PlanTest{Kind: TestExercise, DoneOn: day("2026-02-11")}, false, false}, // after the deposit
		{PlanTest{Kind: TestExercise, PlannedOn: day("2025-06-01")}, false, false},
		{PlanTest{Kind: TestTechnical, DoneOn: day("2025-06-01")}, false, true},
		{PlanTest{Kind: TestTabletop, DoneOn: day("2025-06-01")}, false, false},
	} {
		if CountsForO1D(c.test, phase) != c.o1d || CountsForO4(c.test, phase) != c.o4 {
			t.Errorf("%s done %v: O1.D %v O4 %v, want %v %v", c.test.Kind, c.test.DoneOn, CountsForO1D(c.test, phase), CountsForO4(c.test, phase), c.o1d, c.o4)
		}
	}
	if CountsForO1D(PlanTest{Kind: TestExercise, DoneOn: day("2025-06-01")}, Phase{}) {
		t.Error("a test counts while the phase is unknown")
	}
}

// The required RTO is centred on activities: an activity with a rehearsed
// degraded mode needs its application back when that mode stops holding, one
// without when its DMIA is reached (ISO 22301 MTPD); the establishment's
// detection and decision margin comes off. Before, it was the smallest DMIA.
func TestRequiredRTOFromDegradedModes(t *testing.T) {
	needs := []Need{
		{Name: "Urgences", DMIA: ptr(4), Holds: ptr(24), Margin: 2, Critical: []int64{1}},  // 24 − 2 = 22
		{Name: "Laboratoire", DMIA: ptr(48), Margin: 2, Critical: []int64{1, 2}},           // no sheet: 48 − 2 = 46
		{Name: "Consultations", DMIA: ptr(72), Holds: ptr(8), Critical: []int64{2}},        // 8, no margin
		{Name: "Pharmacie", DMIA: ptr(24), Holds: ptr(1), Margin: 2, Critical: []int64{3}}, // never below 0
		{Name: "Archives", Critical: []int64{4}},                                           // nothing known
	}
	gaps := Gaps(needs, []Resource{{ID: 1, Name: "DPI", RTO: ptr(12)}, {ID: 2, Name: "SIL", RTO: ptr(12)}, {ID: 3, Name: "PUI", RTO: ptr(1)}, {ID: 4, Name: "GED"}})
	byName := map[string]Gap{}
	for _, g := range gaps {
		byName[g.Resource.Name] = g
	}
	if g := byName["DPI"]; g.RequiredRTO == nil || *g.RequiredRTO != 22 || g.RTOGap || g.RTOBasis == nil ||
		*g.RTOBasis != (Basis{Activity: "Urgences", FromSheet: true, Hours: 24, Margin: 2, Required: 22}) {
		t.Errorf("DPI: the emergencies' degraded mode holds 24 h, margin 2 h: %+v %+v", g, g.RTOBasis)
	}
	if g := byName["SIL"]; g.RequiredRTO == nil || *g.RequiredRTO != 8 || !g.RTOGap || g.RTOBasis.Activity != "Consultations" || !g.RTOBasis.FromSheet {
		t.Errorf("SIL: the consultations' degraded mode holds 8 h: %+v %+v", g, g.RTOBasis)
	}
	if b := (Need{Name: "Laboratoire", DMIA: ptr(48), Margin: 2}).RequiredRTO(); b == nil || b.FromSheet || b.Hours != 48 || b.Required != 46 {
		t.Errorf("without a degraded mode the DMIA bounds the RTO: %+v", b)
	}
	if g := byName["PUI"]; g.RequiredRTO == nil || *g.RequiredRTO != 0 || !g.RTOGap {
		t.Errorf("PUI: %+v", g)
	}
	if g := byName["GED"]; g.RequiredRTO != nil || g.RTOBasis != nil || g.HasGap() {
		t.Errorf("GED: %+v", g)
	}
}
