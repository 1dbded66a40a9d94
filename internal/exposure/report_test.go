package exposure_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"care/internal/exposure"
	"care/internal/org"
)

// The report for the ARS is French: severities and statuses in words, never the
// stored codes (critical, in_progress…); the internal indicator speaks of "aucun
// constat critique ouvert"; the document ends with the notice that CaRE is not a
// tool of the ANS (issue 13, point 19).
func TestReportSpeaksFrench(t *testing.T) {
	ov := exposure.Overview{Org: org.Org{Name: "CHU de Port-Émeraude"}, Findings: []exposure.StoredFinding{
		{Finding: exposure.Finding{Address: "203.0.113.10", Port: 3389, Severity: "critical", Title: "RDP exposé"}, Status: "open"},
		{Finding: exposure.Finding{Address: "203.0.113.10", Port: 443, Severity: "medium", Title: "TLS 1.0 accepté"}, Status: "in_progress"},
		{Finding: exposure.Finding{Address: "203.0.113.11", Port: 22, Severity: "high", Title: "SSH ancien"}, Status: "accepted"},
	}}
	page := html.UnescapeString(exposure.ReportForARS(ov, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)).HTML())
	for _, want := range []string{"<td>critique</td>", "<td>ouvert</td>", "<td>moyenne</td>", "<td>en cours de traitement</td>", "<td>élevée</td>", "<td>risque accepté</td>",
		"aucun constat critique ouvert", "ni édité ni validé par l'Agence du numérique en santé (ANS)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`<td>(critical|high|medium|low|open|in_progress|accepted)</td>`).FindString(page); m != "" {
		t.Errorf("the report shows the code %s", m)
	}
}

// A structure never scanned reads "aucun audit terminé" in its report, not
// "Constats critiques ouverts : 0", which would read as a clean edge (issue 15,
// point 3).
func TestReportOfAStructureNeverScanned(t *testing.T) {
	page := html.UnescapeString(exposure.ReportForARS(exposure.Overview{Org: org.Org{Name: "EHPAD Les Glycines"}}, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)).HTML())
	if !strings.Contains(page, "Aucun audit terminé") || strings.Contains(page, "Constats critiques ouverts : 0") {
		t.Error("the report of a structure never scanned counts zero open critical findings")
	}
	level := 3
	page = html.UnescapeString(exposure.ReportForARS(exposure.Overview{Evidence: exposure.Evidence{Level: &level}}, time.Now()).HTML())
	if !strings.Contains(page, "Constats critiques ouverts : 0") {
		t.Error("the report of a scanned structure does not count its open critical findings")
	}
}
