package continuity_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"care/internal/testkit"
)

// The continuity page is split into server-rendered tabs (issue 15, point 4):
// each ?onglet= shows its own part and names itself as the current tab, a
// refused form comes back on the tab of the form, and DMIA, PDMA, RTO and RPO
// are spelled out where they appear. Before, one page held every part.
func TestContinuityTabs(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	client := app.Login(t, "pcra@demo.care.test")
	chu := app.Org(t, "CHU de Port-Émeraude")
	parts := map[string]string{"activites": `id="h-acts"`, "reprise": `id="gaps"`, "registre": `id="h-res"`, "cadrage": `id="h-plan"`, "document": `id="versions"`, "tests": `id="h-tests"`}
	for tab := range parts {
		body := testkit.BodyOf(app.Get(t, client, fmt.Sprintf("/continuite?org=%d&onglet=%s", chu.ID, tab)))
		if !strings.Contains(body, fmt.Sprintf(`onglet=%s" aria-current="page"`, tab)) {
			t.Errorf("%s: not named as the current tab", tab)
		}
		for other, marker := range parts {
			if shown := strings.Contains(body, marker); shown != (other == tab) {
				t.Errorf("tab %s: the part %s shown: %v", tab, other, shown)
			}
		}
		if n := strings.Count(body, `<a href="/continuite?org=`); n < len(parts) {
			t.Errorf("%s: %d tab links, want %d", tab, n, len(parts))
		}
	}
	// Without ?onglet=, the first tab.
	if body := testkit.BodyOf(app.Get(t, client, fmt.Sprintf("/continuite?org=%d", chu.ID))); !strings.Contains(body, `onglet=activites" aria-current="page"`) {
		t.Error("the page without a tab does not open on the activities")
	}
	// A refused framing comes back on the framing tab, its error beside it.
	resp := app.PostForm(t, client, fmt.Sprintf("/continuite/noeud/%d/cadrage", chu.ID), url.Values{"review_due": {"bientôt"}})
	if body := testkit.BodyOf(resp); resp.StatusCode != 422 || !strings.Contains(body, `onglet=cadrage" aria-current="page"`) {
		t.Errorf("a refused framing: %d, not on its tab", resp.StatusCode)
	}
	// The abbreviations are spelled out where they appear.
	for tab, words := range map[string][]string{"activites": {"DMIA", "PDMA"}, "reprise": {"RTO", "RPO"}, "registre": {"RTO", "RPO"}} {
		body := testkit.BodyOf(app.Get(t, client, fmt.Sprintf("/continuite?org=%d&onglet=%s", chu.ID, tab)))
		for _, w := range words {
			if !regexp.MustCompile(`<abbr title="[^"]{10,}">` + w + `</abbr>`).MatchString(body) {
				t.Errorf("%s: %s is not spelled out", tab, w)
			}
		}
		if !strings.Contains(body, "durée maximale d&#39;interruption admissible") && !strings.Contains(body, "objectif de délai de reprise") {
			t.Errorf("%s: no first full mention of the terms", tab)
		}
	}
}

// The BIA matrix is a heat map: each cell carries the tone of its impact level
// (1 low to 4 unacceptable), the same scale as every badge.
func TestBIAHeatMap(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	client := app.Login(t, "pcra@demo.care.test")
	var id int64
	if err := app.Server.DB.Read.QueryRowContext(t.Context(), "SELECT activity_id FROM activity_impacts WHERE level = 4 ORDER BY activity_id LIMIT 1").Scan(&id); err != nil {
		t.Fatal(err)
	}
	body := testkit.BodyOf(app.Get(t, client, fmt.Sprintf("/continuite/activites/%d", id)))
	if !strings.Contains(body, `<table class="bia heatmap">`) {
		t.Fatal("the BIA matrix is no heat map")
	}
	if !strings.Contains(body, `<td class="tone-critical" data-level="4">`) {
		t.Error("no cell of level 4 in the critical tone")
	}
	tones := map[string]bool{}
	for _, m := range regexp.MustCompile(`<td class="(tone-[a-z]+)" data-level=`).FindAllStringSubmatch(body, -1) {
		tones[m[1]] = true
	}
	if len(tones) < 2 {
		t.Errorf("the heat map has %d colours", len(tones))
	}
}
