package server_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"care/internal/testkit"
)

var (
	scripts = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>`)
	tags    = regexp.MustCompile(`(?s)<[^>]*>`)
	// English words a French page must not show: finding severities and statuses,
	// scan and exercise states, audit-trail codes, the lab badge.
	english = regexp.MustCompile(`\b(critical|high|medium|low|open|in_progress|accepted|fixed|queued|running|done|failed|cancelled|draft|todo|decision|lab)\b|` +
		`\b(account|assessment|catalogue|continuity|directory|exercise|exposure|funding|org|questionnaire|token|user)\.[a-z_]+\b|\b(user|org|exposure_scan|plan_test) \d+\b`)
)

// visible is the text a reader sees: tags, attributes, scripts and styles removed.
func visible(page string) string {
	return html.UnescapeString(tags.ReplaceAllString(scripts.ReplaceAllString(page, " "), " "))
}

// The main pages, in French, as the demo roles that use them, show words and no
// English code: severities and statuses in French, the audit trail in words
// ("connexion", not account.login), counts that agree with their noun. The login
// page, and every page, says that CaRE is not a tool of the ANS (issue 13, point 19).
func TestFrenchPagesShowFrenchWords(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		notice := "ni édité ni validé par l'Agence du numérique en santé (ANS)"
		login := visible(testkit.BodyOf(app.Get(t, app.Browser(t), "/connexion")))
		if !strings.Contains(login, notice) {
			t.Errorf("the login page does not say CaRE is not an ANS tool:\n%s", login)
		}
		pages := []struct{ as, path string }{
			{"admin@demo.care.test", "/"},
			{"admin@demo.care.test", "/journal"},
			{"admin@demo.care.test", "/utilisateurs"},
			{"admin@demo.care.test", "/administration/identite"},
			{"admin@demo.care.test", fmt.Sprintf("/organisations/%d", chu)},
			{"admin@demo.care.test", fmt.Sprintf("/organisations/%d/modifier", chu)},
			{"direction@demo.care.test", "/"},
			{"direction@demo.care.test", "/journal"},
			{"rssi@demo.care.test", fmt.Sprintf("/exposition?org=%d", chu)},
			{"rssi@demo.care.test", fmt.Sprintf("/continuite?org=%d", chu)},
			{"rssi@demo.care.test", "/autoevaluations"},
			{"rssi@demo.care.test", "/exercices"},
			{"rssi@demo.care.test", fmt.Sprintf("/annuaire?org=%d", chu)},
			{"rssi@demo.care.test", "/offres"},
			{"rssi@demo.care.test", fmt.Sprintf("/offres/recommandations?org=%d", chu)},
			{"rssi@demo.care.test", fmt.Sprintf("/sensibilisation?org=%d", chu)},
			{"admin@demo.care.test", "/offres?theme=reagir"},
			{"ars@demo.care.test", "/"},
			{"cert@demo.care.test", "/"},
			{"cert@demo.care.test", "/incidents"},
			{"cert@demo.care.test", "/incidents/1"}, // the demo's first incident, qualified
			{"cert@demo.care.test", "/incidents/statistiques"},
			{"rssi@demo.care.test", "/incidents/1"},
			{"rssi@demo.care.test", fmt.Sprintf("/incidents/nouveau?org=%d", chu)},
		}
		browsers := map[string]*http.Client{} // one login per account: a TOTP code serves once
		for _, p := range pages {
			c, ok := browsers[p.as]
			if !ok {
				c = app.Login(t, p.as)
				browsers[p.as] = c
			}
			resp := app.Get(t, c, p.path)
			if resp.StatusCode != 200 {
				t.Errorf("%s %s: status %d", p.as, p.path, resp.StatusCode)
				continue
			}
			text := visible(testkit.BodyOf(resp))
			for _, m := range english.FindAllString(text, -1) {
				i := strings.Index(text, m)
				t.Errorf("%s %s shows %q: …%s…", p.as, p.path, m, strings.Join(strings.Fields(text[max(i-80, 0):min(i+len(m)+40, len(text))]), " "))
			}
			if !strings.Contains(text, notice) {
				t.Errorf("%s %s: the footer lacks the ANS notice", p.as, p.path)
			}
			if regexp.MustCompile(`\b1 (entrées|comptes|résultats|établissements|objets)\b`).MatchString(text) {
				t.Errorf("%s %s: a count of one with a plural noun", p.as, p.path)
			}
		}
	})
}
