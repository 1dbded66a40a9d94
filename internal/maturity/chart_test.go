package maturity

import (
	"regexp"
	"strings"
	"testing"
)

// The radar and the bars write each theme's whole label and its value: a long
// theme name is wrapped, never cut (issue 15, point 5: "radar labels never cut").
func TestChartLabelsAreWholeWithTheirValue(t *testing.T) {
	long := "Gouvernance de la sécurité numérique et gestion des risques"
	v1, v2 := 62.0, 35.0
	for name, svg := range map[string]string{
		"radar": string(Radar("Scores", []RadarPoint{{Label: long, Percent: &v1}, {Label: "Sauvegardes", Percent: &v2}, {Label: "Annuaire"}})),
		"bars":  string(bars("Scores", []RadarPoint{{Label: long, Percent: &v1}})),
	} {
		if strings.Contains(svg, "…") {
			t.Errorf("%s: a label is cut", name)
		}
		text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(svg, " ")
		if !strings.Contains(strings.Join(strings.Fields(text), " "), long) {
			t.Errorf("%s: the whole label %q is not written", name, long)
		}
		if !strings.Contains(svg, ">62 %<") {
			t.Errorf("%s: the value 62 %% is not written", name)
		}
	}
}
