package funding

import (
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/platform/problem"
)

// From acceptance to payment: plain rules on plain types. The chain is the one
// the ANS describes for Domaine 1: evidence deposited during the operational
// phase, a declaration of attainment signed by the direction, verification by
// the ARS, control operations by the ANS, payment (axe-4 page,
// https://esante.gouv.fr/strategie-nationale/cybersecurite/axe-4).

// Candidature statuses after acceptance: declared (the direction signed the
// declaration), verified (the ARS accepted or refused every declared objective),
// controlled or control_failed (the national control), paid.
const (
	Declared      = "declared"
	Verified      = "verified"
	Controlled    = "controlled"
	ControlFailed = "control_failed"
	Paid          = "paid"
)

// Payment statuses of a controlled candidature.
const (
	ToPay    = "to_pay"
	PaidOut  = "paid"
	NoPaying = ""
)

// Evidence kinds: a file, a link to a page elsewhere, a record of the platform
// (a page of the platform: an indicator's link).
const (
	FileEvidence   = "file"
	LinkEvidence   = "link"
	RecordEvidence = "record"
)

// Objective states in a declaration, and the ARS decisions on them.
const (
	ObjectiveDeclared = "declared"
	ObjectiveAccepted = "accepted"
	ObjectiveMore     = "more"
	ObjectiveRefused  = "refused"

	VerifyAccept = "accept"
	VerifyMore   = "more"
	VerifyRefuse = "refuse"
)

// Control results of the national pilot.
const (
	ControlPassed = "passed"
	ControlFail   = "failed"
)

// MaxTitle bounds an evidence's title; MaxURL its address.
const (
	MaxTitle = 200
	MaxURL   = 2000
)

// RecordPrefixes are the pages of the platform a record of the platform may
// point at: the capabilities whose indicators stand beside the objectives.
var RecordPrefixes = []string{"/continuite", "/exposition", "/annuaire", "/autoevaluations", "/exercices"}

// EvidenceIn is an evidence to add: a link or a record (a file comes with its
// bytes, kind file).
type EvidenceIn struct {
	Objective string
	Kind      string
	Title     string
	URL       string
}

// CheckEvidence validates an evidence whole: a known kind, a title, and for a
// link an absolute http(s) address, for a record a page of the platform.
func CheckEvidence(in EvidenceIn) error {
	var c problem.Checks
	if strings.TrimSpace(in.Objective) == "" {
		c.Add("objective", "funding.error.objective_required")
	}
	if strings.TrimSpace(in.Title) == "" && in.Kind != FileEvidence {
		c.Add("title", "funding.error.title_required")
	}
	if utf8.RuneCountInString(in.Title) > MaxTitle {
		c.Add("title", "funding.error.title_too_long", MaxTitle)
	}
	switch in.Kind {
	case FileEvidence:
	case LinkEvidence:
		u, err := url.Parse(strings.TrimSpace(in.URL))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(in.URL) > MaxURL {
			c.Add("url", "funding.error.url")
		}
	case RecordEvidence:
		if !IsRecordURL(in.URL) {
			c.Add("url", "funding.error.record_url")
		}
	default:
		c.Add("kind", "funding.error.evidence_kind")
	}
	return c.Err()
}

// IsRecordURL reports whether s is a page of the platform a record may name: a
// path (no scheme, no host) under one of RecordPrefixes.
func IsRecordURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme != "" || u.Host != "" || len(s) > MaxURL || strings.HasPrefix(s, "//") {
		return false
	}
	return slices.ContainsFunc(RecordPrefixes, func(p string) bool {
		return u.Path == p || strings.HasPrefix(u.Path, p+"/")
	})
}

// end is the instant a phase's last day ends; zero when not published.
func end(last time.Time) time.Time {
	if last.IsZero() {
		return last
	}
	return last.Add(day)
}

// EvidenceWindow tells why evidence is refused at the given instant: before the
// operational phase, or after it (its end, else the declaration's end); "" when
// open. The operational phase runs "until the deposit of the declaration of
// attainment" (Domaine 2, objective O1.D,
// https://github.com/intuitem/ciso-assistant-community/blob/main/backend/library/libraries/ans-care-domaine2.yaml).
func (c Call) EvidenceWindow(at time.Time) string {
	from, to, ok := c.OperationalPhase()
	switch {
	case !ok || at.Before(from):
		return "funding.error.before_operational"
	case !to.IsZero() && !at.Before(end(to)):
		return "funding.error.operational_closed"
	}
	return ""
}

// DeclarationWindow tells why a declaration is refused at the given instant:
// before the operational phase, before the declaration opens (when its opening is
// published), after its last day (30 June 2025 for D1, axe-4 page); "" when open.
func (c Call) DeclarationWindow(at time.Time) string {
	opFrom, _, ok := c.OperationalPhase()
	if !ok || at.Before(opFrom) {
		return "funding.error.before_operational"
	}
	from, to := c.Phase(Declaration)
	if !from.IsZero() && at.Before(from) {
		return "funding.error.declaration_not_open"
	}
	if !to.IsZero() && !at.Before(end(to)) {
		return "funding.error.declaration_closed"
	}
	return ""
}

// PhaseOpen reports whether a step of the named phase may still be taken at the
// given instant: until its last day when published (ARS verification until 30
// September 2025 and ANS control until 31 December 2025 for D1, axe-4 page),
// without deadline otherwise.
func (c Call) PhaseOpen(name string, at time.Time) bool {
	_, to := c.Phase(name)
	return to.IsZero() || at.Before(end(to))
}

// Deadline is the last day of the named phase, zero when not published.
func (c Call) Deadline(name string) time.Time {
	_, to := c.Phase(name)
	return to
}

// CheckAmount validates an amount in integer euros: not below zero, and not
// above ceiling when it is given (a public ceiling).
func CheckAmount(c *problem.Checks, field string, amount int64, ceiling *int64) {
	switch {
	case amount < 0:
		c.Add(field, "funding.error.amount_below_zero")
	case ceiling != nil && amount > *ceiling:
		c.Add(field, "funding.error.amount_ceiling", *ceiling)
	}
}

// Ceiling is the call's public ceiling per establishment, nil when not public.
func (c Call) Ceiling() *int64 {
	if c.Amounts.Ceiling.IsPublic() {
		return c.Amounts.Ceiling.EUR
	}
	return nil
}

// CheckDeclaration validates a declaration whole: at least one objective, each
// one of the domain's and named once, an amount within bounds.
func CheckDeclaration(objectives []string, known []string, amount int64, ceiling *int64) error {
	var c problem.Checks
	if len(objectives) == 0 {
		c.Add("objectives", "funding.error.objectives_required")
	}
	seen := map[string]bool{}
	for _, o := range objectives {
		if !slices.Contains(known, o) {
			c.Add("objectives", "funding.error.unknown_objective", o)
		} else if seen[o] {
			c.Add("objectives", "funding.error.objective_twice", o)
		}
		seen[o] = true
	}
	CheckAmount(&c, "amount_requested", amount, ceiling)
	return c.Err()
}

// CheckVerification validates an ARS decision on an objective: accept, more or
// refuse; a reason required to ask for more or to refuse.
func CheckVerification(decision, reason string) error {
	var c problem.Checks
	checkChoice(&c, "decision", "funding.error.verification", decision, []string{VerifyAccept, VerifyMore, VerifyRefuse}, decision != VerifyAccept, reason)
	return c.Err()
}

// ObjectiveAfter is the state a verification decision leads to.
func ObjectiveAfter(decision string) string {
	return map[string]string{VerifyAccept: ObjectiveAccepted, VerifyMore: ObjectiveMore, VerifyRefuse: ObjectiveRefused}[decision]
}

// AllVerified reports whether every declared objective has a final decision
// (accepted or refused): the declaration then goes to the national control.
func AllVerified(states map[string]string) bool {
	if len(states) == 0 {
		return false
	}
	for _, s := range states {
		if s != ObjectiveAccepted && s != ObjectiveRefused {
			return false
		}
	}
	return true
}

// CheckControl validates the national control: passed or failed, a reason to
// fail, the amount granted between 0 and the amount requested (0 when failed).
func CheckControl(result, reason string, granted, requested int64) error {
	var c problem.Checks
	checkChoice(&c, "result", "funding.error.control_result", result, []string{ControlPassed, ControlFail}, result == ControlFail, reason)
	switch {
	case granted < 0:
		c.Add("amount_granted", "funding.error.amount_below_zero")
	case granted > requested:
		c.Add("amount_granted", "funding.error.amount_above_requested", requested)
	case result == ControlFail && granted != 0:
		c.Add("amount_granted", "funding.error.amount_failed")
	}
	return c.Err()
}

// CheckPayment validates a payment record: to pay, or paid on a day not in the
// future with an amount between 0 and the amount granted.
func CheckPayment(status string, paidOn time.Time, amount, granted int64, today time.Time) error {
	var c problem.Checks
	switch status {
	case ToPay:
	case PaidOut:
		if paidOn.IsZero() {
			c.Add("paid_on", "funding.error.paid_on_required")
		} else if paidOn.After(today) {
			c.Add("paid_on", "funding.error.paid_on_future")
		}
		switch {
		case amount < 0:
			c.Add("amount_paid", "funding.error.amount_below_zero")
		case amount > granted:
			c.Add("amount_paid", "funding.error.amount_above_granted", granted)
		}
	default:
		c.Add("status", "funding.error.payment_status")
	}
	return c.Err()
}
