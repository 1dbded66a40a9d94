package funding

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/org"
	"care/internal/platform/problem"
)

// The candidature workflow: plain rules on plain types, the service (workflow.go)
// loads, checks and writes.

// Candidature statuses. A candidature is submitted, then accepted or rejected by
// the ARS of its region, or withdrawn by the candidate before that. "Role of ARS:
// instructs/validates candidatures" (D1 press release,
// https://esante.gouv.fr/espace-presse/fermeture-du-guichet-de-candidature-lappel-financement-au-domaine-annuaires-techniques-et-exposition-sur-internet-du-programme-care).
const (
	Submitted = "submitted"
	Accepted  = "accepted"
	Rejected  = "rejected"
	Withdrawn = "withdrawn"
)

// Decisions an ARS referent takes on a submitted candidature.
const (
	Accept = "accept"
	Reject = "reject"
)

// MaxReason bounds the reason of a decision.
const MaxReason = 2000

// Candidacy is a node's candidature to a call.
type Candidacy struct {
	ID               int64
	OrgID            int64
	OrgName          string
	OrgPath          string
	Call             string
	Domain           string
	Category         string
	ProgrammeVersion int
	Status           string
	Reason           string
	SubmittedBy      string // the submitter's name, empty for the system
	SubmittedAt      time.Time
	DecidedBy        string
	DecidedAt        *time.Time
	WithdrawnAt      *time.Time
	Members          []Member // the establishments a GHT's candidature carries

	// The declaration, the national control and the payment (progress.go):
	// amounts in integer euros, nil until set.
	AmountRequested *int64
	DeclaredBy      string
	DeclaredAt      *time.Time
	ControlReason   string
	AmountGranted   *int64
	ControlledBy    string
	ControlledAt    *time.Time
	PaymentStatus   string
	AmountPaid      *int64
	PaidOn          *time.Time
}

// Member is an establishment a GHT's candidature carries.
type Member struct {
	OrgID int64
	Name  string
	Path  string
}

// CategoryOf derives the candidate category of node o whose parent is at level
// parent, as the programme names them (the categories of the D1 call: GHT, public
// establishment outside a GHT, private non-profit, private for-profit; the
// candidacy of public establishments is carried at GHT level, D1 press release
// https://esante.gouv.fr/espace-presse/fermeture-du-guichet-de-candidature-lappel-financement-au-domaine-annuaires-techniques-et-exposition-sur-internet-du-programme-care).
// A GHT candidates for its members; a public establishment in a GHT is in its
// GHT's category. Only health establishments (ES) are eligible: the D1 call is
// for "établissements de santé" (same page) and the D2 arrêté for "établissements
// sanitaires" (https://juriblio.fr/arretes/arrete-du-10-janvier-2025/185215599);
// a medico-social structure (ESSMS), a site, a region are refused with the
// message key of why.
func CategoryOf(o org.Org, parent org.Level) (string, string) {
	switch o.Level {
	case org.GHT:
		return "ght", ""
	case org.LegalEntity:
	default:
		return "", "funding.error.candidate_level"
	}
	if o.Kind != org.ES {
		return "", "funding.error.not_health"
	}
	switch o.Category {
	case org.Public:
		if parent == org.GHT {
			return "ght", ""
		}
		return "public_hors_ght", ""
	case org.PriveNonLucratif:
		return "prive_non_lucratif", ""
	case org.PriveLucratif:
		return "prive_lucratif", ""
	}
	return "", "funding.error.not_health"
}

// Accepts reports whether the call takes candidates of category cat, or the
// message key of why not: a call whose categories are not published takes none.
func (c Call) Accepts(cat string) (bool, string) {
	if len(c.Categories) == 0 {
		return false, "funding.error.categories_unknown"
	}
	if !slices.Contains(c.Categories, cat) {
		return false, "funding.error.category_refused"
	}
	return true, ""
}

// PickCall is the call a candidature to domain goes to: the one named, which
// must be of the domain, or, when none is named, the only call of the domain
// open at the given instant.
func (p Programme) PickCall(domain, call string, at time.Time) (Call, error) {
	if _, ok := p.Domain(domain); !ok {
		return Call{}, refused("domain", "funding.error.unknown_domain_param", domain)
	}
	if call != "" {
		c, ok := p.Call(call)
		if !ok || c.Domain != domain {
			return Call{}, refused("call", "funding.error.unknown_call", call, domain)
		}
		return c, nil
	}
	open := p.OpenCalls(domain, at)
	switch len(open) {
	case 0:
		return Call{}, refused("call", "funding.error.no_open_call", domain)
	case 1:
		return open[0], nil
	}
	return Call{}, refused("call", "funding.error.call_required", len(open), domain)
}

// CandidatureWindow tells why a candidature to the call is refused at the given
// instant: not yet open, or closed (late); "" when it is open.
func (c Call) CandidatureWindow(at time.Time) string {
	if c.CandidatureOpen(at) {
		return ""
	}
	if from, _ := c.Phase(Candidature); from.IsZero() || at.Before(from) {
		return "funding.error.not_open"
	}
	return "funding.error.late"
}

// InstructionOpen reports whether the ARS may still decide on the call's
// candidatures at the given instant: until the last day of the instruction phase
// when it is published (21 May 2024 for D1, axe-4 page,
// https://esante.gouv.fr/strategie-nationale/cybersecurite/axe-4), without
// deadline otherwise.
func (c Call) InstructionOpen(at time.Time) bool {
	_, to := c.Phase(Instruction)
	return to.IsZero() || at.Before(to.Add(day))
}

// CheckDecision validates a decision whole: accept or reject, a reason required
// to reject, bounded.
func CheckDecision(decision, reason string) error {
	var c problem.Checks
	checkChoice(&c, "decision", "funding.error.decision", decision, []string{Accept, Reject}, decision == Reject, reason)
	return c.Err()
}

// checkChoice checks a choice among allowed (refused on field with key) and its
// reason: required when needed, bounded.
func checkChoice(c *problem.Checks, field, key, choice string, allowed []string, needReason bool, reason string) {
	if !slices.Contains(allowed, choice) {
		c.Add(field, key)
	}
	if needReason && strings.TrimSpace(reason) == "" {
		c.Add("reason", "funding.error.reason_required")
	}
	if utf8.RuneCountInString(reason) > MaxReason {
		c.Add("reason", "funding.error.reason_too_long", MaxReason)
	}
}

// StatusAfter is the status a decision leads to.
func StatusAfter(decision string) string {
	if decision == Accept {
		return Accepted
	}
	return Rejected
}

// refused is an Invalid error on one field.
func refused(field, key string, args ...any) error {
	var c problem.Checks
	c.Add(field, key, args...)
	return c.Err()
}
