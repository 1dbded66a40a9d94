package funding

import (
	"slices"
	"time"
)

// The calendar of the calls: plain functions on the programme's dates. A date is
// a calendar day, held as midnight UTC like every calendar date of the platform;
// a phase runs from the start of its first day to the end of its last.

const day = 24 * time.Hour

// parseDay reads a YYYY-MM-DD date.
func parseDay(s string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// Call returns the call with the given id.
func (p Programme) Call(id string) (Call, bool) {
	i := slices.IndexFunc(p.Calls, func(c Call) bool { return c.ID == id })
	if i < 0 {
		return Call{}, false
	}
	return p.Calls[i], true
}

// Domain returns the domain with the given id.
func (p Programme) Domain(id string) (Domain, bool) {
	i := slices.IndexFunc(p.Domains, func(d Domain) bool { return d.ID == id })
	if i < 0 {
		return Domain{}, false
	}
	return p.Domains[i], true
}

// Phase returns the first and last days of the named phase; a date the programme
// has not published, or a phase the call does not have, is the zero time.
func (c Call) Phase(name string) (from, to time.Time) {
	for _, ph := range c.Phases {
		if ph.Name == name {
			from, _ = parseDay(ph.From)
			to, _ = parseDay(ph.To)
			return from, to
		}
	}
	return time.Time{}, time.Time{}
}

// OperationalPhase is the period in which the work and its evidence count: from
// its first day to its last, ok when its start is known. The Domaine 2 text
// defines it as running from the publication of the arrêté to the deposit of the
// declaration of attainment (objective O1.D,
// https://github.com/intuitem/ciso-assistant-community/blob/main/backend/library/libraries/ans-care-domaine2.yaml):
// when its own end is not published, it ends at the latest with the declaration
// window; to is zero when neither is known.
func (c Call) OperationalPhase() (from, to time.Time, ok bool) {
	from, to = c.Phase(Operational)
	if from.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	if to.IsZero() {
		_, to = c.Phase(Declaration)
	}
	return from, to, true
}

// ContinuityDomain is the id, in the programme content, of Domaine 2 "Stratégie
// de continuité et de reprise d'activité", whose tests the continuity capability
// counts.
const ContinuityDomain = "d2"

// LatestCall is the call of domain whose operational phase began last at or
// before at: the one whose objectives an establishment works on then.
func (p Programme) LatestCall(domain string, at time.Time) (Call, bool) {
	var best Call
	var bestFrom time.Time
	for _, c := range p.Calls {
		from, _, ok := c.OperationalPhase()
		if c.Domain == domain && ok && !from.After(at) && from.After(bestFrom) {
			best, bestFrom = c, from
		}
	}
	return best, !bestFrom.IsZero()
}

// CandidatureOpen reports whether candidatures to the call are open at the given
// instant: from the candidature's first day to its last. When its last day is not
// published, the candidature closes at the latest when a later phase has ended or
// when the declaration (or a later phase) opens; the ARS instruction and the
// operational phase may start earlier, so their starts do not close it (calendar
// of the ANS axe-4 page, https://esante.gouv.fr/strategie-nationale/cybersecurite/axe-4).
func (c Call) CandidatureOpen(at time.Time) bool {
	from, to := c.Phase(Candidature)
	if from.IsZero() || at.Before(from) {
		return false
	}
	if !to.IsZero() {
		return at.Before(to.Add(day))
	}
	after := false
	for _, ph := range c.Phases {
		if ph.Name == Candidature {
			after = true
			continue
		}
		if !after {
			continue
		}
		if end, ok := parseDay(ph.To); ok && !at.Before(end.Add(day)) {
			return false
		}
		if ph.Name == Instruction || ph.Name == Operational {
			continue
		}
		if start, ok := parseDay(ph.From); ok && !at.Before(start) {
			return false
		}
	}
	return true
}

// OpenCalls lists the calls of a domain whose candidature is open at the given
// instant.
func (p Programme) OpenCalls(domain string, at time.Time) []Call {
	var out []Call
	for _, c := range p.Calls {
		if c.Domain == domain && c.CandidatureOpen(at) {
			out = append(out, c)
		}
	}
	return out
}

// Phase statuses on a given day.
const (
	PhaseDone    = "done"
	PhaseCurrent = "current"
	PhaseComing  = "coming"
	PhaseUnknown = "unknown" // not enough dates published to tell
)

// StatusAt tells where a phase stands at the given instant.
func (ph Phase) StatusAt(at time.Time) string {
	from, fromOK := parseDay(ph.From)
	to, toOK := parseDay(ph.To)
	switch {
	case toOK && !at.Before(to.Add(day)):
		return PhaseDone
	case fromOK && at.Before(from):
		return PhaseComing
	case fromOK:
		return PhaseCurrent
	}
	// No start published: under way or still to come, not told apart.
	return PhaseUnknown
}
