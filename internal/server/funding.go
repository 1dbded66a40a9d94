package server

import (
	"context"

	"care/internal/continuity"
	"care/internal/funding"
	"care/internal/maturity"
)

// fundingIndicators wires the platform's checks behind the rules of the
// programme content, from the capabilities that hold them: funding imports none.
// A rule left out here shows as not available yet.
func (s *Server) fundingIndicators() map[string]funding.Indicator {
	coverage := func(read func(continuity.Coverage) (any, bool)) funding.Indicator {
		return func(ctx context.Context, org int64, _ funding.Call) (any, bool, error) {
			c, err := s.Continuity.CoverageFor(ctx, org)
			if err != nil {
				return nil, false, err
			}
			if c.TotalWeight <= 0 {
				return nil, false, nil // no entity with an activity weight to count
			}
			v, ok := read(c)
			return v, ok, nil
		}
	}
	return map[string]funding.Indicator{
		// BIA and PCRA coverage per entity: O1.C's 66 % rule.
		"continuity.coverage": coverage(func(c continuity.Coverage) (any, bool) {
			return map[string]any{"bia": c.BIA, "plan": c.Plan, "met": c.BIA >= continuity.CoverageThreshold && c.Plan >= continuity.CoverageThreshold}, true
		}),
		// PCA tested in a field exercise during the operational phase: O1.D.
		"continuity.pca_field_test": coverage(func(c continuity.Coverage) (any, bool) {
			return map[string]any{"tested": c.Tested, "met": c.Tested >= continuity.CoverageThreshold}, true
		}),
		// A backup restored during the operational phase: O4.
		"continuity.restore_test": coverage(func(c continuity.Coverage) (any, bool) {
			return map[string]any{"met": c.O4}, true
		}),
		"exposure.silene": func(ctx context.Context, org int64, _ funding.Call) (any, bool, error) {
			ev, err := s.Exposure.D1Evidence(ctx, org)
			if err != nil || ev.Silene.First == nil {
				return nil, false, err
			}
			v := map[string]any{"first_on": ev.Silene.First.AuditedOn, "met": ev.Silene.Met}
			if ev.Silene.Second != nil {
				v["second_on"] = ev.Silene.Second.AuditedOn
			}
			return v, true, nil
		},
		"directory.level": func(ctx context.Context, org int64, _ funding.Call) (any, bool, error) {
			l, ok, err := s.Directory.LatestLevel(ctx, org)
			if err != nil || !ok {
				return nil, false, err
			}
			return map[string]any{"level": l.Level, "collected_on": l.CollectedAt}, true, nil
		},
		// A crisis exercise finished during the operational phase of the call:
		// its date and title, or nothing when none finished then (or the phase's
		// start is not published).
		"exercise.yearly": func(ctx context.Context, org int64, call funding.Call) (any, bool, error) {
			from, to, ok := call.OperationalPhase()
			if !ok {
				return nil, false, nil
			}
			e, ok, err := s.Exercises.FinishedIn(ctx, org, from, to)
			if err != nil || !ok {
				return nil, false, err
			}
			return map[string]any{"finished_on": e.FinishedAt, "title": e.Title}, true, nil
		},
		// The GHT's directory convergence (Domaine 1, public establishments): its
		// target and milestones done, its members' audited directories.
		"directory.convergence": func(ctx context.Context, org int64, _ funding.Call) (any, bool, error) {
			c, ok, err := s.Directory.Convergence(ctx, org)
			if err != nil || !ok {
				return nil, false, err
			}
			v := map[string]any{"target": c.Target, "milestones": c.Milestones, "milestones_done": c.MilestonesDone, "members": c.Members, "audited": c.Audited}
			if c.Lowest > 0 {
				v["level"] = c.Lowest
			}
			return v, true, nil
		},
		"maturity.validated": func(ctx context.Context, org int64, _ funding.Call) (any, bool, error) {
			list, _, err := s.Maturity.List(ctx, maturity.Filter{OrgID: org, Limit: 100})
			if err != nil {
				return nil, false, err
			}
			for _, a := range list {
				if (a.Status == maturity.Validated || a.Status == maturity.Locked) && a.ValidatedAt != nil {
					v := map[string]any{"level": a.Level, "validated_on": *a.ValidatedAt}
					if a.Percent != nil {
						v["percent"] = *a.Percent
					}
					return v, true, nil
				}
			}
			return nil, false, nil
		},
	}
}
