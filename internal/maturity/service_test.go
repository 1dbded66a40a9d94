package maturity_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"care/internal/platform/web"
	"care/internal/testkit"
)

type assessmentJSON struct {
	ID      int64   `json:"id"`
	Status  string  `json:"status"`
	Level   *string `json:"level"`
	Version int     `json:"questionnaire_version"`
}

type resultJSON struct {
	Overall  *float64 `json:"overall"`
	Percent  *float64 `json:"percent"`
	Level    *string  `json:"level"`
	Progress int      `json:"progress"`
	Themes   []struct {
		ID      string   `json:"id"`
		Score   *float64 `json:"score"`
		Percent *float64 `json:"percent"`
	} `json:"themes"`
	Priority []struct {
		ID  string `json:"id"`
		Why string `json:"why"`
		How string `json:"how"`
	} `json:"priority_measures"`
}

// problemJSON is a problem document as the API answers it.
type problemJSON = web.ProblemDoc

// importSmall imports testdata/small.yaml (scores computed by hand in score_test.go)
// as the admin and returns its id.
func importSmall(t *testing.T, app *testkit.App) int64 {
	t.Helper()
	data, err := os.ReadFile("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var q struct {
		ID   int64  `json:"id"`
		Kind string `json:"kind"`
	}
	resp := app.API(t, app.Token(t, "admin@demo.care.test"), "POST", "/api/v1/questionnaires", string(data), &q)
	if resp.StatusCode != 201 || q.Kind != "kit_level" {
		t.Fatalf("import: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	return q.ID
}

// smallOnCHU imports the small questionnaire and opens an assessment of the demo
// CHU on it through the API with token.
func smallOnCHU(t *testing.T, app *testkit.App, token string) assessmentJSON {
	t.Helper()
	qid := importSmall(t, app)
	var a assessmentJSON
	if resp := app.API(t, token, "POST", "/api/v1/assessments", map[string]any{"questionnaire": qid, "org": app.Org(t, "CHU de Port-Émeraude").ID}, &a); resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	return a
}

func TestAssessmentLifecycleContract(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		qid := importSmall(t, app)
		chu := app.Org(t, "CHU de Port-Émeraude")
		rssi, direction := app.Token(t, "rssi@demo.care.test"), app.Token(t, "direction@demo.care.test")

		var a assessmentJSON
		resp := app.API(t, rssi, "POST", "/api/v1/assessments", map[string]any{"questionnaire": qid, "org": chu.ID}, &a)
		if resp.StatusCode != 201 || a.Status != "draft" {
			t.Fatalf("create: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		base := "/api/v1/assessments/" + strconv.FormatInt(a.ID, 10)

		// Bad answers are refused as a whole and change nothing.
		var p problemJSON
		resp = app.API(t, rssi, "PUT", base+"/answers", map[string]any{"answers": map[string]string{"q1": "v3", "q2": "v9", "ctx": "non", "q3": "v0", "zz": "v0"}}, &p)
		if resp.StatusCode != 422 || len(p.Errors) != 3 {
			t.Fatalf("bad answers: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if !strings.Contains(testkit.BodyOf(resp), "n'est pas posée") || !strings.Contains(testkit.BodyOf(resp), "n'existe pas") {
			t.Errorf("messages: %s", testkit.BodyOf(resp))
		}
		var r resultJSON
		app.API(t, rssi, "GET", base+"/result", nil, &r)
		if r.Progress != 0 || r.Overall != nil {
			t.Fatalf("a refused answer set was partly written: %+v", r)
		}

		// Submitting an incomplete assessment is refused.
		app.API(t, rssi, "PUT", base+"/answers", map[string]any{"answers": map[string]string{"q1": "v3", "q2": "v1"}}, nil)
		if resp := app.API(t, rssi, "POST", base+"/submit", nil, nil); resp.StatusCode != 422 {
			t.Fatalf("incomplete submit: %d", resp.StatusCode)
		}
		// A second respondent completes it; comments are kept.
		ght := app.Token(t, "rssi.ght@demo.care.test")
		resp = app.API(t, ght, "PUT", base+"/answers", map[string]any{"answers": map[string]string{"ctx": "non", "q4": "nsp"}, "comments": map[string]string{"q4": "À vérifier avec le DSI"}}, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("second respondent: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		app.API(t, rssi, "GET", base+"/result", nil, &r)
		if r.Level == nil || *r.Level != "confirme" || r.Progress != 100 || len(r.Priority) != 3 || r.Priority[0].ID != "m4" || r.Priority[0].Why == "" {
			t.Fatalf("result: %s", func() string { b, _ := json.Marshal(r); return string(b) }())
		}

		// Only the direction validates; nobody changes a validated assessment.
		if resp := app.API(t, rssi, "POST", base+"/submit", nil, &a); resp.StatusCode != 200 || a.Status != "review" {
			t.Fatalf("submit: %d", resp.StatusCode)
		}
		if resp := app.API(t, rssi, "POST", base+"/validate", nil, nil); resp.StatusCode != 403 {
			t.Fatalf("validation by the RSSI: %d", resp.StatusCode)
		}
		if resp := app.API(t, app.Token(t, "ars@demo.care.test"), "POST", base+"/validate", nil, nil); resp.StatusCode != 403 {
			t.Fatalf("validation by the ARS: %d", resp.StatusCode)
		}
		if resp := app.API(t, direction, "POST", base+"/validate", nil, &a); resp.StatusCode != 200 || a.Status != "validated" || a.Level == nil || *a.Level != "confirme" {
			t.Fatalf("validation: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		resp = app.API(t, rssi, "PUT", base+"/answers", map[string]any{"answers": map[string]string{"q1": "v0"}}, &p)
		if resp.StatusCode != 409 || !strings.Contains(p.Detail, "validée") {
			t.Fatalf("changing a validated assessment: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.API(t, direction, "POST", base+"/lock", nil, &a); resp.StatusCode != 200 || a.Status != "locked" {
			t.Fatalf("lock: %d", resp.StatusCode)
		}
		if resp := app.API(t, direction, "POST", base+"/validate", nil, nil); resp.StatusCode != 409 {
			t.Fatalf("validating a locked assessment: %d", resp.StatusCode)
		}

		// Scope: the GHT sees it, the neighbour does not, not even in lists.
		if resp := app.API(t, ght, "GET", base, nil, nil); resp.StatusCode != 200 {
			t.Errorf("the GHT RSSI reads it: %d", resp.StatusCode)
		}
		dsi := app.Token(t, "dsi@demo.care.test")
		if resp := app.API(t, dsi, "GET", base+"/result", nil, nil); resp.StatusCode != 404 {
			t.Errorf("the neighbour's DSI reads it: %d", resp.StatusCode)
		}
		var list struct {
			Total int `json:"total"`
		}
		app.API(t, dsi, "GET", "/api/v1/assessments?questionnaire=petit", nil, &list)
		if list.Total != 0 {
			t.Errorf("the neighbour's DSI lists %d assessments", list.Total)
		}
		if resp := app.API(t, dsi, "POST", "/api/v1/assessments", map[string]any{"questionnaire": qid, "org": chu.ID}, nil); resp.StatusCode != 422 {
			t.Errorf("the neighbour starts an assessment of the CHU: %d", resp.StatusCode)
		}
		if resp := app.API(t, app.Token(t, "lecteur@demo.care.test"), "POST", "/api/v1/assessments", map[string]any{"questionnaire": qid, "org": app.Org(t, "EHPAD Les Glycines").ID}, nil); resp.StatusCode != 403 {
			t.Errorf("a reader starts an assessment: %d", resp.StatusCode)
		}

		// The recommended kit level is offered to other capabilities.
		level, _, ok, err := app.Server.Maturity.KitLevel(t.Context(), chu.ID)
		if err != nil || !ok || level != "confirme" {
			t.Errorf("kit level: %q %v %v", level, ok, err)
		}

		// Every change is in the audit trail.
		var n int
		if err := d.Read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM audit_log WHERE object_type = 'assessment' AND object_id = $1", strconv.FormatInt(a.ID, 10)).Scan(&n); err != nil || n != 6 {
			t.Errorf("audit entries for the assessment: %d want 6 (create, 2 answer sets, submit, validate, lock; %v)", n, err)
		}
	})
}

func TestRollUpAndCompare(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		qid := importSmall(t, app)
		admin := app.Token(t, "admin@demo.care.test")
		validated := func(org string, answers map[string]string) int64 {
			var a assessmentJSON
			app.API(t, admin, "POST", "/api/v1/assessments", map[string]any{"questionnaire": qid, "org": app.Org(t, org).ID}, &a)
			base := fmt.Sprintf("/api/v1/assessments/%d", a.ID)
			if resp := app.API(t, admin, "PUT", base+"/answers", map[string]any{"answers": answers}, nil); resp.StatusCode != 200 {
				t.Fatalf("answers: %s", testkit.BodyOf(resp))
			}
			app.API(t, admin, "POST", base+"/submit", nil, nil)
			if resp := app.API(t, admin, "POST", base+"/validate", nil, nil); resp.StatusCode != 200 {
				t.Fatalf("validate: %s", testkit.BodyOf(resp))
			}
			return a.ID
		}
		low := map[string]string{"q1": "v0", "q2": "v0", "ctx": "non", "q4": "v0"}
		high := map[string]string{"q1": "v3", "q2": "v3", "ctx": "non", "q4": "v3"}
		first := validated("CHU de Port-Émeraude", low)
		second := validated("CHU de Port-Émeraude", high) // replaces the first in roll-ups
		validated("Centre hospitalier de Saint-Aubin-des-Landes", low)
		validated("Clinique Saint-Yves-des-Prés", high)

		type tally struct {
			Establishments int                `json:"establishments"`
			Levels         map[string]int     `json:"levels"`
			Themes         map[string]float64 `json:"themes"`
		}
		var ru struct {
			Total    tally `json:"total"`
			Children []struct {
				Name  string `json:"name"`
				Tally tally  `json:"tally"`
			} `json:"children"`
		}
		root, _ := app.Server.Orgs.Resolve(t.Context(), "national")
		app.API(t, admin, "GET", fmt.Sprintf("/api/v1/rollups?org=%d&questionnaire=petit", root.ID), nil, &ru)
		if ru.Total.Establishments != 3 || ru.Total.Levels["confirme"] != 2 || ru.Total.Levels["debutant"] != 1 || len(ru.Children) != 2 {
			t.Fatalf("national roll-up: %+v", ru)
		}
		if ru.Total.Themes["a"] < 66.6 || ru.Total.Themes["a"] > 66.7 {
			t.Errorf("mean of theme a over 100, 0, 100: %v", ru.Total.Themes["a"])
		}
		// The GHT RSSI asking for the nation sees only its GHT's establishments.
		ght := app.Token(t, "rssi.ght@demo.care.test")
		resp := app.API(t, ght, "GET", fmt.Sprintf("/api/v1/rollups?org=%d&questionnaire=petit", root.ID), nil, nil)
		if resp.StatusCode != 404 {
			t.Errorf("the GHT RSSI rolls up the nation: %d", resp.StatusCode)
		}
		app.API(t, ght, "GET", fmt.Sprintf("/api/v1/rollups?org=%d&questionnaire=petit", app.Org(t, "GHT-LE").ID), nil, &ru)
		if ru.Total.Establishments != 2 {
			t.Errorf("GHT roll-up: %+v", ru.Total)
		}
		// Trend between the two assessments of the CHU.
		c := app.Login(t, "direction@demo.care.test")
		page := testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/autoevaluations/%d/comparer?avec=%d", second, first)))
		if !strings.Contains(page, "+100") || !strings.Contains(page, "<svg") {
			t.Errorf("comparison page lacks the +100 delta or its chart")
		}
		// The roll-up page for the region.
		page = testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/syntheses?noeud=%d&questionnaire=petit", app.Org(t, "R01").ID)))
		if resp := app.Get(t, c, fmt.Sprintf("/syntheses?noeud=%d&questionnaire=petit", app.Org(t, "R01").ID)); resp.StatusCode != 404 {
			t.Errorf("the CHU direction rolls up its region: %d", resp.StatusCode)
		}
		_ = page
	})
}

func TestEvidenceAndExports(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi := app.Token(t, "rssi@demo.care.test")
	a := smallOnCHU(t, app, rssi)
	app.API(t, rssi, "PUT", fmt.Sprintf("/api/v1/assessments/%d/answers", a.ID), map[string]any{"answers": map[string]string{"q1": "v1", "q2": "v3"}, "comments": map[string]string{"q1": "=cmd|' /C calc'!A0"}}, nil)
	c := app.Login(t, "rssi@demo.care.test")
	upload := func(name string, content []byte) *http.Response {
		return app.PostFile(t, c, fmt.Sprintf("/autoevaluations/%d/preuves", a.ID), url.Values{"question": {"q1"}}, name, content)
	}
	if resp := upload("payload.exe", []byte("MZ\x90\x00")); resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "non accepté") {
		t.Errorf("an .exe was accepted: %d", resp.StatusCode)
	}
	if resp := upload("faux.pdf", []byte("<html><script>alert(1)</script></html>")); resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "ne correspond pas") {
		t.Errorf("HTML named .pdf was accepted: %d", resp.StatusCode)
	}
	if resp := upload("charte.pdf", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")); resp.StatusCode != 303 {
		t.Fatalf("a PDF was refused: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	list, err := app.Server.Maturity.EvidenceList(testkit.As(t, app, "rssi@demo.care.test"), a.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("evidence: %v %v", list, err)
	}
	path := fmt.Sprintf("/autoevaluations/%d/preuves/%d", a.ID, list[0].ID)
	resp := app.Get(t, c, path)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("download: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := app.Get(t, app.Login(t, "dsi@demo.care.test"), path); resp.StatusCode != 404 {
		t.Errorf("the neighbour downloads the evidence: %d", resp.StatusCode)
	}

	// XLSX: the answers, with the formula-looking comment neutralised.
	resp = app.Get(t, c, fmt.Sprintf("/autoevaluations/%d/reponses.xlsx", a.ID))
	f, err := excelize.OpenReader(strings.NewReader(testkit.BodyOf(resp)))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	rows, _ := f.GetRows("Réponses")
	if len(rows) < 3 || rows[1][2] != "q1" || rows[1][4] != "1" || rows[1][6] != "'=cmd|' /C calc'!A0" {
		t.Errorf("xlsx rows: %q", rows[:min(3, len(rows))])
	}

	// PDF: the restitution, printed by Chromium.
	resp = app.Get(t, c, fmt.Sprintf("/autoevaluations/%d/restitution.pdf", a.ID))
	if os.Getenv("CARE_CHROMIUM") == "" && resp.StatusCode == 409 {
		testkit.Missing(t, "Chromium", "apt-get install chromium, or run scripts/test.sh")
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(testkit.BodyOf(resp), "%PDF-") || len(testkit.BodyOf(resp)) < 5000 {
		t.Errorf("pdf: %d, %d bytes", resp.StatusCode, len(testkit.BodyOf(resp)))
	}
}

func TestNewVersionLeavesAssessmentsOnTheirs(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	admin := app.Token(t, "admin@demo.care.test")
	a := smallOnCHU(t, app, admin)
	data, _ := os.ReadFile("testdata/small.yaml")
	v2 := strings.Replace(strings.Replace(string(data), "version: 1", "version: 2", 1), "Question 1 ?", "Question 1, reformulée ?", 1)
	// The same version again is refused; a reader may not import at all.
	if resp := app.API(t, admin, "POST", "/api/v1/questionnaires", string(data), nil); resp.StatusCode != 409 {
		t.Errorf("re-importing version 1: %d", resp.StatusCode)
	}
	if resp := app.API(t, app.Token(t, "rssi@demo.care.test"), "POST", "/api/v1/questionnaires", v2, nil); resp.StatusCode != 403 {
		t.Errorf("an RSSI imports a questionnaire: %d", resp.StatusCode)
	}
	if resp := app.API(t, admin, "POST", "/api/v1/questionnaires", v2, nil); resp.StatusCode != 201 {
		t.Fatalf("importing version 2: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	var got assessmentJSON
	app.API(t, admin, "GET", fmt.Sprintf("/api/v1/assessments/%d", a.ID), nil, &got)
	if got.Version != 1 {
		t.Errorf("the assessment moved to version %d", got.Version)
	}
	var list struct {
		Items []struct {
			Slug    string `json:"slug"`
			Version int    `json:"version"`
		} `json:"items"`
	}
	app.API(t, admin, "GET", "/api/v1/questionnaires", nil, &list)
	for _, q := range list.Items {
		if q.Slug == "petit" && q.Version != 2 {
			t.Errorf("the list offers version %d, want the latest, 2", q.Version)
		}
	}
}
