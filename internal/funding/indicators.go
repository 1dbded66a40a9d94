package funding

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"care/internal/platform/problem"
)

// Indicator is the platform's check behind a rule of the programme content, for
// node org in the light of call: its value, or ok false when the node has
// nothing to show yet. It runs as the caller, who sees the node. funding defines
// it and the server wires one per rule from the capability that holds the data,
// so that funding imports none of them.
type Indicator func(ctx context.Context, org int64, call Call) (value any, ok bool, err error)

// Reading is one indicator as a candidature shows it: the rule's name, the
// capability it comes from, and its value; Available is false when no provider
// is wired yet or the node has nothing to show (never a made-up value).
type Reading struct {
	Name      string
	Source    string
	Available bool
	Value     any
	Text      string // the value in words, filled by the page
	Link      string // the platform's page behind it, which the ARS may open read-only
}

// sourcePages are the platform's pages of each indicator source, for a node.
var sourcePages = map[string]string{"continuity": "/continuite", "exposure": "/exposition", "directory": "/annuaire",
	"maturity": "/autoevaluations", "exercise": "/exercices"}

// SourceLink is the page of source for node org, "" for an unknown source.
func SourceLink(source string, org int64) string {
	if p, ok := sourcePages[source]; ok {
		return fmt.Sprintf("%s?org=%d", p, org)
	}
	return ""
}

// ObjectiveView is an objective (or a prerequisite) of a candidature's domain,
// with its evidence, its indicators, and its state in the declaration (nil when
// not declared).
type ObjectiveView struct {
	Objective
	Prerequisite bool
	Evidence     []Evidence
	Indicators   []Reading
	State        *ObjectiveState
}

// AimView is a stated aim of a domain whose numbered objectives are not public,
// with its indicators.
type AimView struct {
	Aim
	Indicators []Reading
}

// Sheet is a candidature with the objectives of its domain and their indicators.
type Sheet struct {
	Candidacy
	Call       Call
	Domain     Domain
	Objectives []ObjectiveView
	Aims       []AimView
}

// readings reads the indicator of rule for node org ("" reads none).
func (s *Service) readings(ctx context.Context, rule string, org int64, call Call) ([]Reading, error) {
	if rule == "" {
		return []Reading{}, nil
	}
	r := Reading{Name: rule, Source: strings.SplitN(rule, ".", 2)[0]}
	r.Link = SourceLink(r.Source, org)
	if ind := s.Indicators[rule]; ind != nil {
		v, ok, err := ind(ctx, org, call)
		if errors.Is(err, problem.ErrNotFound) {
			// A member establishment reading its GHT's candidature does not see
			// the GHT's own data: not available to it.
			v, ok, err = nil, false, nil
		}
		if err != nil {
			return nil, err
		}
		r.Available, r.Value = ok, v
		if !ok {
			r.Value = nil
		}
	}
	return []Reading{r}, nil
}

// Sheet reads a candidature the caller sees with its domain's objectives and
// the platform's indicators for its node.
func (s *Service) Sheet(ctx context.Context, id int64) (Sheet, error) {
	c, err := s.Candidature(ctx, id)
	if err != nil {
		return Sheet{}, err
	}
	p, err := s.Programme(ctx)
	if err != nil {
		return Sheet{}, err
	}
	sh := Sheet{Candidacy: c, Objectives: []ObjectiveView{}, Aims: []AimView{}}
	sh.Call, _ = p.Call(c.Call)
	if sh.Call.ID == "" {
		sh.Call = Call{ID: c.Call, Domain: c.Domain, Title: c.Call}
	}
	sh.Domain, _ = p.Domain(c.Domain)
	evidence, err := listEvidence(ctx, s.DB.Read, id)
	if err != nil {
		return Sheet{}, err
	}
	states, err := objectiveStates(ctx, s.DB.Read, id)
	if err != nil {
		return Sheet{}, err
	}
	add := func(o Objective, pre bool) error {
		ind, err := s.readings(ctx, o.Rule, c.OrgID, sh.Call)
		if err != nil {
			return err
		}
		v := ObjectiveView{Objective: o, Prerequisite: pre, Evidence: []Evidence{}, Indicators: ind}
		for _, e := range evidence {
			if e.Objective == o.Key() {
				v.Evidence = append(v.Evidence, e)
			}
		}
		for i := range states {
			if states[i].Objective == o.Key() {
				v.State = &states[i]
			}
		}
		sh.Objectives = append(sh.Objectives, v)
		return nil
	}
	for _, o := range sh.Domain.Prerequisites {
		if err := add(o, true); err != nil {
			return Sheet{}, err
		}
	}
	for _, o := range sh.Domain.Objectives {
		if err := add(o, false); err != nil {
			return Sheet{}, err
		}
	}
	for _, a := range sh.Domain.Aims {
		ind, err := s.readings(ctx, a.Rule, c.OrgID, sh.Call)
		if err != nil {
			return Sheet{}, err
		}
		sh.Aims = append(sh.Aims, AimView{Aim: a, Indicators: ind})
	}
	return sh, nil
}
