package continuity

import "time"

// Our evaluation grid of a plan: ten criteria, each scored from 0 to 1 on the data
// and weighted. The plan's maturity is the weighted mean, in percent. The criteria
// are ours (the ANS evaluation grid is not public); their French wording is in the
// message catalogue under continuity.eval.<id>.

// EvalCriterion is one criterion's result.
type EvalCriterion struct {
	ID     string
	Weight int
	Score  float64 // 0 to 1
}

// Evaluation is a plan's maturity.
type Evaluation struct {
	Criteria []EvalCriterion
	Percent  float64
}

// EvalInput is what the grid reads.
type EvalInput struct {
	Plan       Plan
	Activities []Activity
	Resources  []ResourceRow
	Gaps       []Gap
	Sheets     map[int64]bool // activity id → a sheet was written
	Tests      []PlanTest
	Versions   []Version
	Now        time.Time
}

func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}

// Evaluate scores a plan against the grid.
func Evaluate(in EvalInput) Evaluation {
	year := in.Now.AddDate(-1, 0, 0)
	framing := 0
	for _, s := range []string{in.Plan.RPCRAName, in.Plan.Mission, in.Plan.Governance} {
		if s != "" {
			framing++
		}
	}
	withBIA, urgent, urgentSheets, current := 0, 0, 0, 0
	assessed := make([]Assessed, len(in.Activities))
	for i, a := range in.Activities {
		if a.HasBIA() {
			withBIA++
		}
		if d := a.EffectiveDMIA(); d != nil && *d <= 72 {
			urgent++
			if in.Sheets[a.ID] {
				urgentSheets++
			}
		}
		if !Stale(a.ReviewDue, in.Now) {
			current++
		}
		assessed[i] = Assessed{Type: a.Type, HasBIA: a.HasBIA(), MajorOnPatient: MajorOnPatient(a.Impacts)}
	}
	p := MinimumPerimeter(assessed, in.Plan.Absent)
	perimeter := 0
	for _, ok := range []bool{p.Care, p.Admin, p.Platform} {
		if ok {
			perimeter++
		}
	}
	byID := map[int64]ResourceRow{}
	for _, r := range in.Resources {
		byID[r.ID] = r
	}
	needed, noGap, tested, copies, copyable := 0, 0, 0, 0, 0
	for _, g := range in.Gaps {
		if g.RequiredRTO == nil && g.RequiredRPO == nil {
			continue
		}
		needed++
		if !g.HasGap() {
			noGap++
		}
		r := byID[g.Resource.ID]
		if r.RestoreTestRecent(in.Now) {
			tested++
		}
		if r.Kind == "application" || r.Kind == "infrastructure" {
			copyable++
			if r.OfflineCopy || r.ImmutableCopy {
				copies++
			}
		}
	}
	planCurrent := 0.0
	if len(in.Versions) > 0 {
		planCurrent = 0.5
		if in.Versions[0].CreatedAt.After(year) && in.Plan.ReviewDue != nil && !Stale(in.Plan.ReviewDue, in.Now) {
			planCurrent = 1
		}
	}
	testScore := 0.0
	for _, t := range in.Tests {
		switch {
		case t.DoneOn != nil && t.DoneOn.After(year):
			testScore = 1
		case t.PlannedOn != nil && t.PlannedOn.After(in.Now) && testScore < 0.5:
			testScore = 0.5
		}
	}
	criteria := []EvalCriterion{
		{"framing", 2, share(framing, 3)},
		{"bia", 3, share(withBIA, len(in.Activities))},
		{"perimeter", 2, share(perimeter, 3)},
		{"gaps", 3, share(noGap, needed)},
		{"restore_tests", 2, share(tested, needed)},
		{"offline_copies", 2, share(copies, copyable)},
		{"sheets", 2, share(urgentSheets, urgent)},
		{"plan_current", 1, planCurrent},
		{"tested", 2, testScore},
		{"reviews", 1, share(current, len(in.Activities))},
	}
	if urgent == 0 && len(in.Activities) > 0 {
		criteria[6].Score = 1 // no activity needs a sheet urgently
	}
	var sum, weights float64
	for _, c := range criteria {
		sum += float64(c.Weight) * c.Score
		weights += float64(c.Weight)
	}
	return Evaluation{Criteria: criteria, Percent: sum / weights * 100}
}
