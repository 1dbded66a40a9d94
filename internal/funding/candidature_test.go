package funding_test

import (
	"testing"
	"time"

	"care/internal/funding"
	"care/internal/org"
	"care/internal/platform/problem"
)

// The candidate categories of the D1 press release (GHT, public outside a GHT,
// private non-profit, private for-profit; public establishments candidate at
// GHT level), and only health establishments (ES) candidate.
func TestCategoryOf(t *testing.T) {
	cases := []struct {
		name   string
		o      org.Org
		parent org.Level
		cat    string
		why    string
	}{
		{"a GHT", org.Org{Level: org.GHT}, org.Region, "ght", ""},
		{"a public hospital in a GHT", org.Org{Level: org.LegalEntity, Kind: org.ES, Category: org.Public}, org.GHT, "ght", ""},
		{"a public hospital outside a GHT", org.Org{Level: org.LegalEntity, Kind: org.ES, Category: org.Public}, org.Region, "public_hors_ght", ""},
		{"a private non-profit", org.Org{Level: org.LegalEntity, Kind: org.ES, Category: org.PriveNonLucratif}, org.GHT, "prive_non_lucratif", ""},
		{"a private clinic", org.Org{Level: org.LegalEntity, Kind: org.ES, Category: org.PriveLucratif}, org.Region, "prive_lucratif", ""},
		{"a medico-social structure", org.Org{Level: org.LegalEntity, Kind: org.ESSMS, Category: org.Public}, org.GHT, "", "funding.error.not_health"},
		{"a site", org.Org{Level: org.Site, Kind: org.ES, Category: org.Public}, org.LegalEntity, "", "funding.error.candidate_level"},
		{"a region", org.Org{Level: org.Region}, org.National, "", "funding.error.candidate_level"},
	}
	for _, c := range cases {
		cat, why := funding.CategoryOf(c.o, c.parent)
		if cat != c.cat || why != c.why {
			t.Errorf("%s: (%q, %q), want (%q, %q)", c.name, cat, why, c.cat, c.why)
		}
	}
}

func day(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// The D1 call of 2024: candidatures from 18 March to 19 April, ARS instruction
// until 21 May (axe-4 page and D1 press release).
func TestCandidatureAndInstructionDeadlines(t *testing.T) {
	p, _, err := funding.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := p.Call("d1-2024")
	for at, want := range map[string]string{
		"2024-03-17": "funding.error.not_open", "2024-03-18": "", "2024-04-19": "", "2024-04-20": "funding.error.late",
	} {
		if got := d1.CandidatureWindow(day(at)); got != want {
			t.Errorf("candidature on %s: %q, want %q", at, got, want)
		}
	}
	for at, want := range map[string]bool{"2024-05-21": true, "2024-05-22": false} {
		if got := d1.InstructionOpen(day(at).Add(23 * time.Hour)); got != want {
			t.Errorf("instruction at the end of %s: %v, want %v", at, got, want)
		}
	}
	// Domaine 2's instruction end is not published: no deadline is made up.
	d2, _ := p.Call("d2-2025")
	if !d2.InstructionOpen(day("2030-01-01")) {
		t.Error("an unpublished instruction end closes the instruction")
	}
	// The four categories of the D1 call; HospiConnect's are not published.
	if ok, _ := d1.Accepts("prive_lucratif"); !ok {
		t.Error("D1 refuses private clinics")
	}
	hc, _ := p.Call("hospiconnect-2026")
	if ok, why := hc.Accepts("ght"); ok || why != "funding.error.categories_unknown" {
		t.Errorf("HospiConnect without published categories: %v %q", ok, why)
	}
}

func TestPickCall(t *testing.T) {
	p, _, err := funding.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if c, err := p.PickCall("d1", "", day("2024-04-01")); err != nil || c.ID != "d1-2024" {
		t.Errorf("the one open D1 call: %v %v", c.ID, err)
	}
	if _, err := p.PickCall("d2", "", day("2024-04-01")); !problem.Is(err, problem.Invalid) {
		t.Errorf("no D2 call open in April 2024: %v", err)
	}
	if _, err := p.PickCall("d2", "d1-2024", day("2024-04-01")); !problem.Is(err, problem.Invalid) {
		t.Errorf("a call of another domain: %v", err)
	}
	if _, err := p.PickCall("d9", "", day("2024-04-01")); !problem.Is(err, problem.Invalid) {
		t.Errorf("an unknown domain: %v", err)
	}
}

func TestCheckDecision(t *testing.T) {
	if err := funding.CheckDecision(funding.Accept, ""); err != nil {
		t.Errorf("accept without reason: %v", err)
	}
	for _, bad := range [][2]string{{funding.Reject, "  "}, {"maybe", "x"}, {"", ""}} {
		if err := funding.CheckDecision(bad[0], bad[1]); !problem.Is(err, problem.Invalid) {
			t.Errorf("%q %q accepted", bad[0], bad[1])
		}
	}
}
