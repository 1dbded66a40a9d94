// Package continuity builds the continuity and recovery plan (PCRA) from the
// business-impact analyses of an establishment's activities: impact over time, DMIA
// and PDMA, dependencies on applications, the gap between needed and actual
// recovery, degraded-mode sheets, the plan document, its upkeep and its tests, and
// the Domaine 2 coverage rules.
//
// This file holds the rules as pure functions on plain types.
package continuity

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/platform/problem"
)

// Horizon is a point in time after the interruption starts.
type Horizon string

// DefaultHorizons are the BIA's time horizons unless an instance configures others.
var DefaultHorizons = []Horizon{"1h", "4h", "24h", "72h", "1w", "1m"}

// Hours converts a horizon — a number followed by h (hours), d (days), w (weeks)
// or m (months of 30 days) — to hours.
func (h Horizon) Hours() (int, bool) {
	s := string(h)
	if len(s) < 2 {
		return 0, false
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, false
	}
	unit := map[byte]int{'h': 1, 'd': 24, 'w': 168, 'm': 720}[s[len(s)-1]]
	if unit == 0 {
		return 0, false
	}
	return n * unit, true
}

// Label spells a horizon out for display in language lang ("fr" or "en").
func (h Horizon) Label(lang string) string {
	s := string(h)
	if len(s) < 2 {
		return s
	}
	n, unit := s[:len(s)-1], s[len(s)-1]
	plural := n != "1"
	words := map[string]map[byte][2]string{
		"fr": {'h': {"h", "h"}, 'd': {"jour", "jours"}, 'w': {"semaine", "semaines"}, 'm': {"mois", "mois"}},
		"en": {'h': {"h", "h"}, 'd': {"day", "days"}, 'w': {"week", "weeks"}, 'm': {"month", "months"}},
	}
	w, ok := words[lang]
	if !ok {
		w = words["fr"]
	}
	pair, ok := w[unit]
	if !ok {
		return s
	}
	if plural {
		return n + " " + pair[1]
	}
	return n + " " + pair[0]
}

// ParseHorizons reads a comma-separated list of horizons, which must grow strictly.
func ParseHorizons(list string) ([]Horizon, error) {
	var out []Horizon
	prev := 0
	for _, f := range strings.Split(list, ",") {
		h := Horizon(strings.TrimSpace(f))
		hours, ok := h.Hours()
		if !ok {
			return nil, fmt.Errorf("continuity: horizon %q: a number followed by h, d, w or m", h)
		}
		if hours <= prev {
			return nil, fmt.Errorf("continuity: horizon %q does not come after the previous one", h)
		}
		prev = hours
		out = append(out, h)
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("continuity: at least two horizons are needed")
	}
	return out, nil
}

// Criteria are the impact criteria, in order.
var Criteria = []string{"patient_safety", "continuity_of_care", "legal", "financial", "image", "personal_data"}

// Unacceptable is the top of the four-level impact scale.
const Unacceptable = 4

// Impacts scores each criterion at each horizon, 1 (negligible) to 4 (unacceptable).
type Impacts map[string]map[Horizon]int

// CheckImpacts validates a BIA's impacts whole: known criteria and horizons, levels
// from 1 to 4, and an impact that never decreases as the interruption lasts (a
// horizon scored lower than an earlier one is out of order).
func CheckImpacts(imp Impacts, horizons []Horizon) error {
	var c problem.Checks
	for crit, byHorizon := range imp {
		if !slices.Contains(Criteria, crit) {
			c.Add("impacts."+crit, "continuity.error.criterion", crit)
			continue
		}
		for h, level := range byHorizon {
			if !slices.Contains(horizons, h) {
				c.Add("impacts."+crit, "continuity.error.horizon", string(h))
			} else if level < 1 || level > Unacceptable {
				c.Add("impacts."+crit+"."+string(h), "continuity.error.level", level)
			}
		}
		prev, prevH := 0, Horizon("")
		for _, h := range horizons {
			level, ok := byHorizon[h]
			if !ok {
				continue
			}
			if level < prev {
				c.Add("impacts."+crit, "continuity.error.decreasing", string(h), string(prevH))
			}
			prev, prevH = level, h
		}
	}
	return c.Err()
}

// DMIA is the maximum tolerable interruption of an activity: the first horizon at
// which any criterion reaches the unacceptable level, in hours. ok is false when no
// criterion ever does.
func DMIA(imp Impacts, horizons []Horizon) (hours int, ok bool) {
	for _, h := range horizons {
		for _, byHorizon := range imp {
			if byHorizon[h] >= Unacceptable {
				return h.Hours()
			}
		}
	}
	return 0, false
}

// Need is what an activity requires of the resources it depends on.
type Need struct {
	ActivityID int64
	Name       string
	DMIA       *int // hours; nil when not assessed or never unacceptable
	Holds      *int // hours the rehearsed degraded mode keeps the activity going; nil when none
	Margin     int  // hours of detection and decision margin of the activity's establishment
	PDMA       *int // hours of acceptable data loss
	Critical   []int64
}

// Basis is the reasoning behind a required RTO: the activity that asks the most,
// what it tolerates (the endurance of its degraded mode, or its DMIA) and the
// margin taken off.
type Basis struct {
	Activity  string
	FromSheet bool // Hours is the endurance of the degraded mode, else the DMIA
	Hours     int
	Margin    int
	Required  int
}

// RequiredRTO is how soon the activity needs its applications back: the time its
// rehearsed degraded mode holds, or its DMIA when it has none, minus the
// detection and decision margin, never below zero; nil when neither is known.
//
// Sources: the CaRE approach is centred on activities — continuity rests first on
// business and organisational solutions (the degraded mode), with the technical
// recovery described after (ANS, FAQ CaRE: the PCRI is a component of the PCRA);
// ISO 22301:2019 §8.2.2 sets the RTO within the maximum tolerable period of
// disruption, which is the DMIA. With a rehearsed degraded mode the activity
// holds as long as that mode does (research note on continuity content, §1.4).
func (n Need) RequiredRTO() *Basis {
	b := Basis{Activity: n.Name, Margin: n.Margin}
	switch {
	case n.Holds != nil:
		b.FromSheet, b.Hours = true, *n.Holds
	case n.DMIA != nil:
		b.Hours = *n.DMIA
	default:
		return nil
	}
	b.Required = max(b.Hours-b.Margin, 0)
	return &b
}

// Resource is an application (or infrastructure) with its actual recovery capability.
type Resource struct {
	ID   int64
	Name string
	RTO  *int // hours, declared by IT
	RPO  *int // hours
}

// Gap compares what activities need of a resource with what it can do.
type Gap struct {
	Resource    Resource
	RequiredRTO *int
	RTOBasis    *Basis // why: the activity that asks the most
	RequiredRPO *int
	Activities  []string // activities that critically depend on it
	RTOGap      bool     // actual RTO longer than required, or unknown while required
	RPOGap      bool
	Order       int // recovery order, from 1
}

// HasGap reports whether the resource falls short on either objective.
func (g Gap) HasGap() bool { return g.RTOGap || g.RPOGap }

func minPtr(a, b *int) *int {
	switch {
	case a == nil:
		return b
	case b == nil || *a <= *b:
		return a
	}
	return b
}

// Gaps derives, for each resource, the required RTO (the smallest RequiredRTO of
// the activities that critically depend on it, with its reasoning) and RPO
// (smallest PDMA), flags the shortfalls, and numbers the recovery order: most
// urgent required RTO first, then the resource many activities need, then by
// name. Resources no activity needs come last.
func Gaps(needs []Need, resources []Resource) []Gap {
	gaps := make([]Gap, len(resources))
	index := map[int64]int{}
	for i, r := range resources {
		gaps[i] = Gap{Resource: r}
		index[r.ID] = i
	}
	for _, n := range needs {
		basis := n.RequiredRTO()
		for _, id := range n.Critical {
			i, ok := index[id]
			if !ok {
				continue
			}
			g := &gaps[i]
			g.Activities = append(g.Activities, n.Name)
			if basis != nil && (g.RTOBasis == nil || basis.Required < g.RTOBasis.Required) {
				g.RTOBasis = basis
				g.RequiredRTO = &basis.Required
			}
			g.RequiredRPO = minPtr(g.RequiredRPO, n.PDMA)
		}
	}
	for i := range gaps {
		g := &gaps[i]
		g.RTOGap = g.RequiredRTO != nil && (g.Resource.RTO == nil || *g.Resource.RTO > *g.RequiredRTO)
		g.RPOGap = g.RequiredRPO != nil && (g.Resource.RPO == nil || *g.Resource.RPO > *g.RequiredRPO)
	}
	slices.SortStableFunc(gaps, func(a, b Gap) int {
		if (a.RequiredRTO == nil) != (b.RequiredRTO == nil) {
			if a.RequiredRTO == nil {
				return 1
			}
			return -1
		}
		if a.RequiredRTO != nil && *a.RequiredRTO != *b.RequiredRTO {
			return cmp.Compare(*a.RequiredRTO, *b.RequiredRTO)
		}
		return cmp.Or(cmp.Compare(len(b.Activities), len(a.Activities)), cmp.Compare(a.Resource.Name, b.Resource.Name))
	})
	for i := range gaps {
		gaps[i].Order = i + 1
	}
	return gaps
}

// Entity is what Domaine 2's coverage rule counts: a legal entity (FINESS EJ), or
// a geographic establishment (FINESS EG) for a candidate outside a GHT, with its
// share of activity and what its continuity work covers.
type Entity struct {
	ID        int64
	Name      string
	Weight    float64
	Perimeter Perimeter // the O1.C minimum over the entity's own BIAs
	BIA       bool      // the entity's BIAs cover the O1.C minimum perimeter (set by ComputeCoverage)
	Plan      bool      // a generated PCRA
	Tested    bool      // a PCA tested in a field exercise during the operational phase (O1.D)
}

// CoverageThreshold is Domaine 2's share of combined activity that BIAs, plans and
// tests must cover across the entities of a GHT or a multi-site candidate.
//
// Source: ANS, Domaine 2 "Stratégie de continuité et de reprise d'activité",
// objectives O1.C and O1.D (GHT with several FINESS EJ: EJs totalling at least
// 66 % of combined activity; candidates outside a GHT with several FINESS EG:
// EGs totalling 66 %), as transcribed in intuitem/ciso-assistant-community,
// backend/library/libraries/ans-care-domaine2.yaml.
const CoverageThreshold = 66.0

// Entity scopes: what the coverage of a node counts.
const (
	ScopeLegalEntities = "legal_entities" // the FINESS EJ of a GHT (or of a region)
	ScopeSites         = "sites"          // the FINESS EG of a candidate outside a GHT
	ScopeSelf          = "self"           // the node alone
)

// Coverage is the share of combined activity covered by each piece of work.
type Coverage struct {
	Scope       string // ScopeLegalEntities, ScopeSites or ScopeSelf
	Phase       Phase  // the operational phase in which tests count
	O4          bool   // a backup and restore test done during the phase (O4)
	TotalWeight float64
	BIA         float64 // percent
	Plan        float64
	Tested      float64
	Entities    []Entity
}

// Met reports whether all three shares reach the threshold.
func (c Coverage) Met() bool {
	return c.BIA >= CoverageThreshold && c.Plan >= CoverageThreshold && c.Tested >= CoverageThreshold
}

// Share is entity e's part of the combined activity, in percent.
func (c Coverage) Share(e Entity) float64 {
	if c.TotalWeight <= 0 {
		return 0
	}
	return e.Weight * 100 / c.TotalWeight
}

// ComputeCoverage sums the activity weights of the covered entities over the total.
// An entity counts for the BIAs only when its own BIAs cover the O1.C minimum
// perimeter (O1.C: "formaliser un PCRA basé sur des BIA, a minima sur" the three
// items, for EJs totalling 66 %): one BIA of any activity is not enough.
// Entities without a weight count as nothing: the weights must be filled in.
func ComputeCoverage(scope string, entities []Entity) Coverage {
	c := Coverage{Scope: scope, Entities: entities}
	var bia, plan, tested float64
	for i := range entities {
		e := &entities[i]
		e.BIA = e.Perimeter.Met()
		c.TotalWeight += e.Weight
		if e.BIA {
			bia += e.Weight
		}
		if e.Plan {
			plan += e.Weight
		}
		if e.Tested {
			tested += e.Weight
		}
	}
	if c.TotalWeight > 0 {
		c.BIA, c.Plan, c.Tested = bia*100/c.TotalWeight, plan*100/c.TotalWeight, tested*100/c.TotalWeight
	}
	return c
}

// Phase is the operational phase of a call for funding: the window in which the
// tests asked by the objectives count.
type Phase struct {
	From, To time.Time
	Known    bool // false: no window, so no test counts
	Default  bool // the D2 window of D2OperationalPhase, not the programme content's
}

// Within reports whether day falls in the phase, both ends included.
func (p Phase) Within(day *time.Time) bool {
	return p.Known && day != nil && !day.Before(p.From) && !day.After(p.To)
}

// D2PhaseStart is the start of Domaine 2's operational phase: the publication in
// the Journal officiel (18 January 2025) of the arrêté of 10 January 2025 that
// creates the programme. Source: ANS Domaine 2 requirements, O1.D ("phase
// opérationnelle = de la publication de l'arrêté au dépôt de la déclaration
// d'atteinte des objectifs"); JORF of 18 January 2025.
var D2PhaseStart = time.Date(2025, time.January, 18, 0, 0, 0, 0, time.UTC)

// D2OperationalPhase is the operational phase used when the programme content
// gives none: from D2PhaseStart to the deposit of the declaration of attainment.
// The declaration window opened on 16 January 2026 (ANS axe-4 calendar) and each
// candidate deposits on its own day, which the platform does not know: until the
// deposit, the phase runs to now — a test done today counts, one planned does not.
func D2OperationalPhase(now time.Time) (from, to time.Time, ok bool) {
	return D2PhaseStart, now, true
}

// Test kinds.
const (
	TestExercise  = "exercise"  // the PCA put into practice in a field exercise
	TestTechnical = "technical" // a backup restore or a switch-over
	TestTabletop  = "tabletop"  // a discussion-based exercise
)

// CountsForO1D reports whether a plan test satisfies Domaine 2's O1.D: a PCA
// tested in a field exercise during the operational phase of the call. Restore
// and switch-over tests count for O4, tabletop exercises for neither.
// Source: ANS Domaine 2, O1.D ("tester au moins un PCA lors d'un exercice terrain
// pendant la phase opérationnelle").
func CountsForO1D(t PlanTest, phase Phase) bool {
	return t.Kind == TestExercise && phase.Within(t.DoneOn)
}

// CountsForO4 reports whether a plan test satisfies Domaine 2's O4: a technical
// backup and restore-to-production test during the operational phase.
// Source: ANS Domaine 2, O4.
func CountsForO4(t PlanTest, phase Phase) bool {
	return t.Kind == TestTechnical && phase.Within(t.DoneOn)
}

// Perimeter is Domaine 2's O1.C minimum: BIAs of at least one care service with a
// major impact on patients, the most critical administrative process, and one
// technical platform of the care pathway (pharmacy, imaging, biology) — "s'ils
// existent": an item the establishment recorded as absent is not asked.
// Source: ANS Domaine 2, objective O1.C (same transcription as CoverageThreshold).
type Perimeter struct {
	Care, Admin, Platform bool     // a BIA covers the item
	Absent                []string // items (activity types) recorded as not existing
}

// PerimeterItems are the items of the O1.C minimum, by activity type.
var PerimeterItems = []string{TypeCare, TypeAdmin, TypePlatform}

// Covered reports whether a BIA covers item.
func (p Perimeter) Covered(item string) bool {
	switch item {
	case TypeCare:
		return p.Care
	case TypeAdmin:
		return p.Admin
	case TypePlatform:
		return p.Platform
	}
	return false
}

// State tells how item stands: "covered" by a BIA, "absent" (recorded as not
// existing, so not asked) or "missing".
func (p Perimeter) State(item string) string {
	switch {
	case p.Covered(item):
		return "covered"
	case slices.Contains(p.Absent, item):
		return "absent"
	}
	return "missing"
}

// Met reports whether the minimum perimeter is covered: each item by a BIA, or
// recorded as not existing.
func (p Perimeter) Met() bool {
	for _, item := range PerimeterItems {
		if p.State(item) == "missing" {
			return false
		}
	}
	return true
}

// Assessed is an activity as the perimeter rule sees it.
type Assessed struct {
	Type           string // care, admin, platform
	HasBIA         bool
	MajorOnPatient bool // patient safety or continuity of care reaches the unacceptable level
}

// MinimumPerimeter checks the O1.C rule over the activities of one entity, absent
// being the items the entity recorded as not existing.
func MinimumPerimeter(activities []Assessed, absent []string) Perimeter {
	p := Perimeter{Absent: absent}
	for _, a := range activities {
		if !a.HasBIA {
			continue
		}
		switch a.Type {
		case TypeCare:
			p.Care = p.Care || a.MajorOnPatient
		case TypeAdmin:
			p.Admin = true
		case TypePlatform:
			p.Platform = true
		}
	}
	return p
}

// ParseAbsent reads a stored list of absent perimeter items.
func ParseAbsent(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); slices.Contains(PerimeterItems, f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// MajorOnPatient reports whether the impacts reach the unacceptable level on patient
// safety or continuity of care at some horizon.
func MajorOnPatient(imp Impacts) bool {
	for _, crit := range []string{"patient_safety", "continuity_of_care"} {
		for _, level := range imp[crit] {
			if level >= Unacceptable {
				return true
			}
		}
	}
	return false
}

// Activity types.
const (
	TypeCare     = "care"
	TypeAdmin    = "admin"
	TypePlatform = "platform"
)
