package funding_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"care/internal/funding"
	"care/internal/testkit"
)

func shippedText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(funding.ShippedFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// version2 is the shipped file as a content manager would edit it: a new version
// with a new title for Domaine 1.
func version2(t *testing.T) string {
	t.Helper()
	src := strings.Replace(shippedText(t), "version: 1\n", "version: 2\n", 1)
	return strings.Replace(src, `title: "Annuaires techniques et exposition sur Internet"`, `title: "Annuaires techniques et exposition sur Internet (v2)"`, 1)
}

// A content manager imports a new version, which is then in force; anyone else is
// refused, as are a faulty file and a version that is not newer, and nothing
// changes then. The shipped file was stored at start-up, once.
func TestProgrammeImport(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		bad := strings.Replace(version2(t), "rule: continuity.restore_test", "rule: continuity.magic", 1)
		testkit.Play(t, app, []testkit.Scenario{
			{Name: "shipped version in force", As: "rssi@demo.care.test", Path: "/api/v1/funding/domains", Status: 200,
				Contains: []string{`"title": "Annuaires techniques et exposition sur Internet"`}, Excludes: []string{"(v2)"}},
			{Name: "an RSSI may not import", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/funding/programme", Body: version2(t), Status: 403},
			{Name: "an ARS referent may not import", As: "ars@demo.care.test", Method: "POST", Path: "/api/v1/funding/programme", Body: version2(t), Status: 403},
			{Name: "anonymous", Method: "POST", Path: "/api/v1/funding/programme", Body: version2(t), Status: 401},
			{Name: "a faulty file", As: "pilote@demo.care.test", Method: "POST", Path: "/api/v1/funding/programme", Body: bad, Status: 422,
				Contains: []string{"continuity.magic"}},
			{Name: "the same version again", As: "pilote@demo.care.test", Method: "POST", Path: "/api/v1/funding/programme", Body: shippedText(t), Status: 409},
			{Name: "nothing changed", As: "rssi@demo.care.test", Path: "/api/v1/funding/domains", Status: 200, Excludes: []string{"(v2)"}},
			{Name: "a content manager imports", As: "pilote@demo.care.test", Method: "POST", Path: "/api/v1/funding/programme", Body: version2(t), Status: 201,
				Contains: []string{`"version": 2`}},
			{Name: "the new version is in force", As: "rssi@demo.care.test", Path: "/api/v1/funding/domains", Status: 200, Contains: []string{"(v2)"}},
			{Name: "and on the page", As: "rssi@demo.care.test", Path: "/financement/programme", Status: 200, Contains: []string{"(v2)", "Livrée avec la plateforme"}},
			{Name: "the import is in the audit trail", As: "admin@demo.care.test", Path: "/api/v1/audit", Status: 200, Contains: []string{"funding.programme_import"}},
		})
		versions, err := app.Server.Funding.Versions(t.Context())
		if err != nil || len(versions) != 2 || versions[0].Version != 2 || versions[0].Shipped || !versions[1].Shipped {
			t.Fatalf("versions %+v, %v", versions, err)
		}
		// Start-up again: the shipped version is not stored twice, nor over a newer one.
		if err := app.Server.Funding.SyncShipped(t.Context()); err != nil {
			t.Fatal(err)
		}
		if again, _ := app.Server.Funding.Versions(t.Context()); len(again) != 2 {
			t.Errorf("after a second start-up: %d versions", len(again))
		}
	})
}

// The page's import form: a content manager uploads a file; a faulty one is
// refused with its faults beside the form.
func TestProgrammeImportPage(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	pilote, rssi := app.Login(t, "pilote@demo.care.test"), app.Login(t, "rssi@demo.care.test")
	if body := testkit.BodyOf(app.Get(t, rssi, "/financement/programme")); strings.Contains(body, `action="/financement/programme"`) {
		t.Error("an RSSI is offered the import form")
	}
	if resp := app.PostFile(t, rssi, "/financement/programme", nil, "programme.yaml", []byte(version2(t))); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an RSSI imports through the page: %d", resp.StatusCode)
	}
	bad := strings.Replace(version2(t), "domain: d2\n", "domain: d9\n", 1)
	resp := app.PostFile(t, pilote, "/financement/programme", nil, "programme.yaml", []byte(bad))
	if body := testkit.BodyOf(resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Domaine inconnu « d9 »") {
		t.Errorf("a faulty file: %d %.300s", resp.StatusCode, body)
	}
	resp = app.PostFile(t, pilote, "/financement/programme", nil, "programme.yaml", []byte(version2(t)))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %d %.300s", resp.StatusCode, testkit.BodyOf(resp))
	}
	body := testkit.BodyOf(app.Get(t, pilote, "/financement/programme"))
	for _, want := range []string{"Nouvelle version du programme importée", "(v2)", "Importée par"} {
		if !strings.Contains(body, want) {
			t.Errorf("after the import the page lacks %q", want)
		}
	}
	src := testkit.BodyOf(app.Get(t, rssi, "/financement/programme/versions/2"))
	if src != version2(t) {
		t.Errorf("version 2's source: %.200s", src)
	}
	if resp := app.Get(t, rssi, "/financement/programme/versions/9"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown version: %d", resp.StatusCode)
	}
}

// The page as an RSSI: domains, calls with their timeline and today marked,
// objectives with their codes, evidence and what the platform checks, the
// "non public" badges; in English in the en locale.
func TestProgrammePage(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	testkit.Play(t, app, []testkit.Scenario{
		{Name: "as an RSSI", As: "rssi@demo.care.test", Path: "/financement/programme", Status: 200, Contains: []string{
			"<h1>Programme CaRE</h1>", `href="/financement/programme" aria-current="page"`,
			"Annuaires techniques et exposition sur Internet", "Stratégie de continuité et de reprise d&#39;activité", "HospiConnect", "Accès distants", "Postes de travail et détection",
			`data-code="O1.A"`, `data-code="P1"`, `data-code="2027 1.0"`, `data-rule="continuity.coverage"`, "Couverture BIA et PCRA par entité juridique",
			"Le compte rendu du test de restauration", "non public", "65\u202f000\u202f000\u00a0€",
			`class="chart timeline"`, "aujourd&#39;hui", "Phase opérationnelle", `data-phase="operational"`, "à partir du 18/01/2025 (fin non publiée)", "jusqu&#39;au 21/05/2024 (début non publié)",
			"Groupement hospitalier de territoire (GHT)",
		}, Excludes: []string{"funding.", "Importer une nouvelle version"}},
		{Name: "anonymous", Path: "/financement/programme", Status: 303},
	})
	en := app.Login(t, "rssi@demo.care.test")
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/langue", strings.NewReader(url.Values{"lang": {"en"}, "back": {"/financement/programme"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", app.URL)
	app.Do(t, en, req)
	body := testkit.BodyOf(app.Get(t, en, "/financement/programme"))
	for _, want := range []string{"CaRE programme", "Operational phase", "not public", "Business continuity and recovery strategy", "What the platform checks"} {
		if !strings.Contains(body, want) {
			t.Errorf("the English page lacks %q", want)
		}
	}
}
