// Package incident is the declaration of an establishment's information-system
// security incidents and their follow-up with CERT Santé and the ARS: a draft
// the establishment fills, submitted (and then frozen), qualified by CERT
// Santé, followed on a shared timeline, closed; and the statistics of the
// declarations in the spirit of the CERT Santé observatory.
//
// The legal frame is CSP art. L.1111-8-2 and décret n° 2022-715 of 27 April 2022
// (CSP D.1111-16-2 to D.1111-16-4, https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000045667915):
// significant or serious incidents are reported without delay by the director
// or a delegate. The official declaration stays on the national reporting
// portal; the platform prepares its content and records that it was made.
package incident

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"care/internal/platform/problem"
)

// Statuses of an incident: a draft is the establishment's alone; submitted, it
// reaches the region's ARS referents and CERT Santé and no longer changes;
// CERT Santé qualifies it; either side closes it.
const (
	Draft     = "draft"
	Submitted = "submitted"
	Qualified = "qualified"
	Closed    = "closed"
)

// Statuses lists the statuses in their order.
var Statuses = []string{Draft, Submitted, Qualified, Closed}

// Categories are the five categories of incidents of CSP D.1111-16-2 as
// amended by décret 2022-715: events with potential or actual consequences on
// (a) the safety of care, (b) the confidentiality or integrity of health data,
// (c) the normal functioning of the establishment, (d) a repercussion on the
// departmental, regional or national organisation of the health system, and (e)
// likely to affect other establishments.
var Categories = []string{"care_safety", "health_data", "normal_functioning", "health_system", "other_establishments"}

// Types of incidents, as the CERT Santé observatory counts them (ransomware, IS
// compromises, denial of service, data leaks, incidents at a provider;
// https://cyberveille.esante.gouv.fr/lobservatoire-des-incidents).
var Types = []string{"ransomware", "compromise", "denial_of_service", "data_leak", "provider", "other"}

// Origins of an incident: the observatory counts the share of malicious ones
// among accidental and unknown causes (same source).
var Origins = []string{"malicious", "accidental", "unknown"}

// Severities are the qualification scale of this platform: CERT Santé's own
// scale is not public (care-domain §5.2, "NOT FOUND: severity scale").
var Severities = []string{"low", "moderate", "high", "critical"}

// Sides of the shared timeline.
const (
	SideEstablishment = "establishment"
	SideCERT          = "cert"
)

// Bounds of the texts.
const (
	MaxText  = 4000
	MaxShort = 300
)

// Declaration is what the establishment fills: the fields of the decree's
// declaration (categories, times, perimeter, origin, type, degraded mode and
// PCA, patient impact, actions taken, support requested) and a contact.
type Declaration struct {
	Categories          []string   `json:"categories"`
	Type                string     `json:"type"`
	Origin              string     `json:"origin"`
	OccurredAt          *time.Time `json:"occurred_at"`
	DetectedAt          *time.Time `json:"detected_at"`
	Perimeter           string     `json:"perimeter"`
	Summary             string     `json:"summary"`
	DegradedMode        bool       `json:"degraded_mode"`
	PCAActivated        bool       `json:"pca_activated"`
	PatientImpact       bool       `json:"patient_impact"`
	PatientImpactDetail string     `json:"patient_impact_detail"`
	ActionsTaken        string     `json:"actions_taken"`
	SupportRequested    bool       `json:"support_requested"`
	ContactPhone        string     `json:"contact_phone"`
}

// Incident is a declaration with its follow-up.
type Incident struct {
	ID      int64
	OrgID   int64
	OrgName string
	OrgPath string
	Status  string
	Declaration
	CreatedBy         string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	SubmittedBy       string
	SubmittedByEmail  string
	SubmittedAt       *time.Time
	Snapshot          string // the declaration as submitted (JSON of Frozen)
	Severity          string
	QualifiedCategory string
	QualifiedBy       string
	QualifiedAt       *time.Time
	ClosedBy          string
	ClosedAt          *time.Time
	PortalAt          *time.Time
	PortalBy          string
	PortalReference   string
	Shared            bool
	ExerciseID        int64 // an exercise whose RETEX this incident links to, 0 for none
	PCRAVersion       int   // the PCRA version activated (continuity), 0 for none
}

// Frozen is the declaration as submitted: what the PDF shows as the declaration,
// whatever comes later.
type Frozen struct {
	Declaration
	Org         string    `json:"org"`
	SubmittedBy string    `json:"submitted_by"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// Entry is one entry of the shared timeline.
type Entry struct {
	ID        int64
	Side      string
	Text      string
	Author    string
	CreatedAt time.Time
}

// Normalise trims the texts and keeps the categories in the decree's order,
// each once.
func (d Declaration) Normalise() Declaration {
	for _, p := range []*string{&d.Type, &d.Origin, &d.Perimeter, &d.Summary, &d.PatientImpactDetail, &d.ActionsTaken, &d.ContactPhone} {
		*p = strings.TrimSpace(*p)
	}
	var cats []string
	for _, c := range Categories {
		if slices.Contains(d.Categories, c) {
			cats = append(cats, c)
		}
	}
	for _, c := range d.Categories {
		if !slices.Contains(Categories, c) {
			cats = append(cats, c) // kept to be refused by Check
		}
	}
	d.Categories = cats
	for _, t := range []**time.Time{&d.OccurredAt, &d.DetectedAt} {
		if *t != nil {
			u := (*t).UTC().Truncate(time.Second)
			*t = &u
		}
	}
	return d
}

// Check validates a draft whole: known categories, type and origin when given,
// bounded texts, and times that are not in the future (now) with the detection
// not before the occurrence — a declaration tells what happened.
func (d Declaration) Check(now time.Time) error {
	var c problem.Checks
	d.check(&c, now)
	return c.Err()
}

func (d Declaration) check(c *problem.Checks, now time.Time) {
	for _, cat := range d.Categories {
		if !slices.Contains(Categories, cat) {
			c.Add("categories", "incident.error.category", cat)
			break
		}
	}
	if d.Type != "" && !slices.Contains(Types, d.Type) {
		c.Add("type", "incident.error.type", d.Type)
	}
	if d.Origin != "" && !slices.Contains(Origins, d.Origin) {
		c.Add("origin", "incident.error.origin", d.Origin)
	}
	if d.OccurredAt != nil && d.OccurredAt.After(now) {
		c.Add("occurred_at", "incident.error.future")
	}
	if d.DetectedAt != nil && d.DetectedAt.After(now) {
		c.Add("detected_at", "incident.error.future")
	}
	if d.OccurredAt != nil && d.DetectedAt != nil && d.DetectedAt.Before(*d.OccurredAt) {
		c.Add("detected_at", "incident.error.detected_before")
	}
	for field, v := range map[string]string{"perimeter": d.Perimeter, "summary": d.Summary, "patient_impact_detail": d.PatientImpactDetail, "actions_taken": d.ActionsTaken} {
		if utf8.RuneCountInString(v) > MaxText {
			c.Add(field, "incident.error.too_long", MaxText)
		}
	}
	if utf8.RuneCountInString(d.ContactPhone) > MaxShort {
		c.Add("contact_phone", "incident.error.too_long", MaxShort)
	}
}

// CheckComplete validates a declaration for submission: Check, and the fields
// the decree's declaration cannot go without — at least one category, the
// type, the origin, both times, the perimeter and a summary. The declarant
// gives what is known at discovery (arrêté du 30 octobre 2017), so the rest may
// stay empty.
func (d Declaration) CheckComplete(now time.Time) error {
	var c problem.Checks
	d.check(&c, now)
	if len(d.Categories) == 0 {
		c.Add("categories", "incident.error.required")
	}
	for field, v := range map[string]string{"type": d.Type, "origin": d.Origin, "perimeter": d.Perimeter, "summary": d.Summary} {
		if v == "" && !c.Has(field) {
			c.Add(field, "incident.error.required")
		}
	}
	if d.OccurredAt == nil {
		c.Add("occurred_at", "incident.error.required")
	}
	if d.DetectedAt == nil && !c.Has("detected_at") {
		c.Add("detected_at", "incident.error.required")
	}
	return c.Err()
}

// CheckQualification validates CERT Santé's qualification: a severity of the
// scale and one of the decree's categories.
func CheckQualification(severity, category string) error {
	var c problem.Checks
	if !slices.Contains(Severities, severity) {
		c.Add("severity", "incident.error.severity")
	}
	if !slices.Contains(Categories, category) {
		c.Add("category", "incident.error.category", category)
	}
	return c.Err()
}

// CheckEntry validates a timeline entry.
func CheckEntry(text string) error {
	var c problem.Checks
	switch n := utf8.RuneCountInString(strings.TrimSpace(text)); {
	case n == 0:
		c.Add("text", "incident.error.required")
	case n > MaxText:
		c.Add("text", "incident.error.too_long", MaxText)
	}
	return c.Err()
}

// CheckPortal validates the record of the declaration on the national portal:
// a reference and a date that is not in the future.
func CheckPortal(at time.Time, reference string, now time.Time) error {
	var c problem.Checks
	if r := strings.TrimSpace(reference); r == "" {
		c.Add("reference", "incident.error.required")
	} else if utf8.RuneCountInString(r) > MaxShort {
		c.Add("reference", "incident.error.too_long", MaxShort)
	}
	if at.IsZero() {
		c.Add("declared_at", "incident.error.required")
	} else if at.After(now) {
		c.Add("declared_at", "incident.error.future")
	}
	return c.Err()
}

// Open reports whether the incident is still followed: submitted or qualified.
func (i Incident) Open() bool { return i.Status == Submitted || i.Status == Qualified }

// SharedNow reports whether the establishment's other pages are open to CERT
// Santé for this incident: shared, and the sharing ends with the incident.
func (i Incident) SharedNow() bool { return i.Shared && i.Status != Closed }

// Line is one line of the copy-ready summary: a label key and its value.
type Line struct {
	Key   string // i18n key of the label
	Value string
}

// CopySummary is the copy-ready summary of a declaration, in the order of the
// national portal's form as we read it: the annex form of the arrêté du 30
// octobre 2017 is not public (care-domain §5.2); the press summarises it as
// date of the incident, perimeter, follow-up, impacts on the structure and its
// data, origin. Values are in language tr (yes/no, categories, types).
func CopySummary(inc Incident, tr func(key string, args ...any) string) []Line {
	d := inc.Declaration
	at := func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	yes := func(b bool) string {
		if b {
			return tr("incident.yes")
		}
		return tr("incident.no")
	}
	or := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	var cats []string
	for _, c := range d.Categories {
		cats = append(cats, tr("incident.category."+c))
	}
	label := func(prefix, v string) string {
		if v == "" {
			return "—"
		}
		return tr(prefix + v)
	}
	return []Line{
		{"incident.field.org", inc.OrgName},
		{"incident.field.occurred_at", at(d.OccurredAt)},
		{"incident.field.detected_at", at(d.DetectedAt)},
		{"incident.field.perimeter", or(d.Perimeter)},
		{"incident.field.categories", or(strings.Join(cats, " ; "))},
		{"incident.field.type", label("incident.type.", d.Type)},
		{"incident.field.summary", or(d.Summary)},
		{"incident.field.degraded_mode", yes(d.DegradedMode)},
		{"incident.field.pca_activated", yes(d.PCAActivated)},
		{"incident.field.patient_impact", yes(d.PatientImpact)},
		{"incident.field.patient_impact_detail", or(d.PatientImpactDetail)},
		{"incident.field.origin", label("incident.origin.", d.Origin)},
		{"incident.field.actions_taken", or(d.ActionsTaken)},
		{"incident.field.support_requested", yes(d.SupportRequested)},
		{"incident.field.contact_phone", or(d.ContactPhone)},
	}
}
