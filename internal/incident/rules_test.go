package incident

import (
	"strings"
	"testing"
	"time"

	"care/internal/authz"
	"care/internal/platform/problem"
)

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func fields(err error) map[string]string {
	out := map[string]string{}
	if e, ok := problem.As(err); ok {
		for _, f := range e.Fields {
			out[f.Field] = f.Key
		}
	}
	return out
}

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func complete() Declaration {
	return Declaration{Categories: []string{"care_safety"}, Type: "ransomware", Origin: "malicious",
		OccurredAt: at("2026-03-09T22:00:00Z"), DetectedAt: at("2026-03-10T06:00:00Z"), Perimeter: "PACS", Summary: "Fichiers chiffrés"}
}

// The declaration cannot go without its categories (CSP D.1111-16-2), its
// times, type, origin, perimeter and a summary; a draft may.
func TestSubmissionNeedsTheMandatoryFields(t *testing.T) {
	if err := complete().CheckComplete(now); err != nil {
		t.Fatalf("a complete declaration is refused: %v", err)
	}
	empty := Declaration{}
	if err := empty.Check(now); err != nil {
		t.Errorf("an empty draft is refused: %v", err)
	}
	got := fields(empty.CheckComplete(now))
	for _, f := range []string{"categories", "type", "origin", "occurred_at", "detected_at", "perimeter", "summary"} {
		if got[f] != "incident.error.required" {
			t.Errorf("%s: got %q, want required", f, got[f])
		}
	}
}

// A declaration tells what happened: no time in the future, no detection
// before the occurrence; unknown codes are refused.
func TestDatesAndCodes(t *testing.T) {
	d := complete()
	d.DetectedAt = at("2026-03-11T06:00:00Z")
	if got := fields(d.Check(now)); got["detected_at"] != "incident.error.future" {
		t.Errorf("future detection: %v", got)
	}
	d = complete()
	d.DetectedAt = at("2026-03-09T21:00:00Z")
	if got := fields(d.CheckComplete(now)); got["detected_at"] != "incident.error.detected_before" {
		t.Errorf("detected before occurred: %v", got)
	}
	d = complete()
	d.Categories, d.Type, d.Origin = []string{"ransom"}, "worm", "aliens"
	got := fields(d.Check(now))
	if got["categories"] != "incident.error.category" || got["type"] != "incident.error.type" || got["origin"] != "incident.error.origin" {
		t.Errorf("unknown codes: %v", got)
	}
}

// Categories come back in the decree's order, each once.
func TestNormaliseKeepsTheDecreeOrder(t *testing.T) {
	d := Declaration{Categories: []string{"other_establishments", "care_safety", "care_safety"}, Summary: "  x  ", OccurredAt: at("2026-03-09T22:00:30.5+01:00")}.Normalise()
	if strings.Join(d.Categories, ",") != "care_safety,other_establishments" || d.Summary != "x" {
		t.Errorf("normalised: %+v", d)
	}
	if d.OccurredAt.Location() != time.UTC || d.OccurredAt.Nanosecond() != 0 || d.OccurredAt.Hour() != 21 {
		t.Errorf("time: %v", d.OccurredAt)
	}
}

// The copy-ready summary follows the portal's order as we read it: date,
// perimeter, then impacts, origin last of the facts (care-domain §5.2).
func TestCopySummaryOrder(t *testing.T) {
	lines := CopySummary(Incident{OrgName: "CHU", Declaration: complete()}, func(k string, _ ...any) string { return k })
	var keys []string
	for _, l := range lines {
		keys = append(keys, strings.TrimPrefix(l.Key, "incident.field."))
	}
	got := strings.Join(keys, " ")
	if !strings.HasPrefix(got, "org occurred_at detected_at perimeter") || strings.Index(got, "patient_impact") > strings.Index(got, "origin") {
		t.Errorf("order: %s", got)
	}
}

// The statistics count each category of an incident, and give the shares
// with a degraded mode and with a patient impact.
func TestCompute(t *testing.T) {
	st := Compute([]Fact{
		{SubmittedAt: *at("2025-10-14T09:00:00Z"), Categories: []string{"care_safety", "normal_functioning"}, Type: "ransomware", Degraded: true, PatientImpact: true, Region: "Nord"},
		{SubmittedAt: *at("2025-11-03T15:00:00Z"), Categories: []string{"normal_functioning"}, Type: "provider", Degraded: true, Region: "Nord"},
		{SubmittedAt: *at("2026-01-02T15:00:00Z"), Categories: []string{"health_data"}, Type: "data_leak", Region: "Sud"},
	})
	if st.Total != 3 || st.Degraded != 2 || st.DegradedShare != 66.7 || st.PatientShare != 33.3 {
		t.Errorf("totals: %+v", st)
	}
	if len(st.ByYear) != 2 || st.ByYear[0] != (Count{"2025", 2}) || len(st.ByMonth) != 3 {
		t.Errorf("by year/month: %v %v", st.ByYear, st.ByMonth)
	}
	if st.ByCategory[2] != (Count{"normal_functioning", 2}) || len(st.ByCategory) != len(Categories) || len(st.ByType) != len(Types) {
		t.Errorf("by category: %v", st.ByCategory)
	}
	if st.ByRegion[0] != (Count{"Nord", 2}) {
		t.Errorf("by region: %v", st.ByRegion)
	}
	if empty := Compute(nil); empty.Total != 0 || empty.DegradedShare != 0 || empty.ByYear == nil {
		t.Errorf("empty: %+v", empty)
	}
}

// Drafts are the establishment's; a submitted declaration is read by whoever
// reads the node and by CERT Santé, who reads no node.
func TestSees(t *testing.T) {
	path := "/1/2/3/4/"
	rssi := authz.Subject{Grants: []authz.Grant{{Role: authz.RSSI, OrgPath: path}}}
	ars := authz.Subject{Grants: []authz.Grant{{Role: authz.ReferentARS, OrgPath: "/1/2/"}}}
	other := authz.Subject{Grants: []authz.Grant{{Role: authz.ReferentARS, OrgPath: "/1/9/"}}}
	cert := authz.Subject{Grants: []authz.Grant{{Role: authz.CertSante, OrgPath: "/1/"}}}
	lecteur := authz.Subject{Grants: []authz.Grant{{Role: authz.Lecteur, OrgPath: path}}}
	for _, c := range []struct {
		name   string
		sub    authz.Subject
		status string
		want   bool
	}{
		{"rssi draft", rssi, Draft, true}, {"ars draft", ars, Draft, false}, {"cert draft", cert, Draft, false}, {"lecteur draft", lecteur, Draft, false},
		{"ars submitted", ars, Submitted, true}, {"cert submitted", cert, Qualified, true}, {"other region", other, Submitted, false},
	} {
		if got := Sees(c.sub, c.status, path); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
	if cert.Can(authz.OrgRead, path) {
		t.Error("cert_sante reads the establishment's pages by default")
	}
}
