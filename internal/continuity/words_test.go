package continuity

import (
	"html"
	"strings"
	"testing"
	"time"

	"care/internal/platform/i18n"
)

// The plan's contacts name what must be reported — the "incidents significatifs ou
// graves" of the décret n° 2022-715 of 27 April 2022 (CSP art. L.1111-8-2 and
// D.1111-16-2) — and the CERT Santé's 24/7 emergency number as the ANS page of the
// CaRE programme gives it ("09 72 43 91 25 en cas d'urgence"); every format ends
// with the notice that CaRE is not a tool of the ANS.
func TestPlanNamesSignificantOrSeriousIncidentsAndTheCERTSanteNumber(t *testing.T) {
	d := BuildPlan(i18n.FR, Catalogue{}, "CHU de Port-Émeraude", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Plan{}, nil, nil, nil, nil, nil, nil)
	page := html.UnescapeString(d.HTML())
	for _, want := range []string{"Incidents significatifs ou graves", "CERT Santé", "24 h/24 et 7 j/7", "09 72 43 91 25",
		"ni édité ni validé par l'Agence du numérique en santé (ANS)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the plan lacks %q", want)
		}
	}
	if strings.Contains(page, "incidents graves sur le portail") {
		t.Error("the plan still names only serious incidents")
	}
}
