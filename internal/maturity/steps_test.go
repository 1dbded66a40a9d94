package maturity_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"care/internal/testkit"
)

// The questionnaire is filled one theme per step (issue 15, point 4): the page
// shows one theme, a summary of every theme with its answered/visible count,
// a link to the first unanswered question, and offers to submit only once
// every visible question has an answer. Before, one page held every theme and
// offered to submit at once.
func TestQuestionnaireOneThemePerStep(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	rssi := app.Token(t, "rssi@demo.care.test")
	a := smallOnCHU(t, app, rssi)
	c := app.Login(t, "rssi@demo.care.test")
	page := fmt.Sprintf("/autoevaluations/%d", a.ID)
	app.API(t, rssi, "PUT", "/api/v1/assessments/"+strconv.FormatInt(a.ID, 10)+"/answers", map[string]any{"answers": map[string]string{"q1": "v3"}}, nil)

	body := testkit.BodyOf(app.Get(t, c, page))
	if n := strings.Count(body, `<section class="theme"`); n != 1 || !strings.Contains(body, `id="q-q1"`) || strings.Contains(body, `id="q-q4"`) {
		t.Errorf("the first step shows %d themes; want theme a alone", n)
	}
	for _, want := range []string{`<li data-theme="a"><a href="/autoevaluations/` + strconv.FormatInt(a.ID, 10) + `?etape=a" aria-current="step">`, "1 sur 2", "0 sur 1",
		fmt.Sprintf(`id="first-unanswered" href="/autoevaluations/%d?etape=a#q-q2"`, a.ID), `id="submit-later"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the first step lacks %s", want)
		}
	}
	if strings.Contains(body, `/soumettre"`) {
		t.Error("submitting is offered while questions are unanswered")
	}
	body = testkit.BodyOf(app.Get(t, c, page+"?etape=b"))
	if !strings.Contains(body, `id="q-q4"`) || strings.Contains(body, `id="q-q1"`) || !strings.Contains(body, `?etape=b" aria-current="step"`) {
		t.Error("the step of theme b does not show theme b alone")
	}

	// Every visible question answered: submitting is offered, no unanswered link.
	app.API(t, rssi, "PUT", "/api/v1/assessments/"+strconv.FormatInt(a.ID, 10)+"/answers", map[string]any{"answers": map[string]string{"q2": "v1", "ctx": "non", "q4": "nsp"}}, nil)
	body = testkit.BodyOf(app.Get(t, c, page))
	if !strings.Contains(body, `/soumettre"`) || strings.Contains(body, `id="first-unanswered"`) {
		t.Error("a complete questionnaire does not offer to submit")
	}
}

// A new self-assessment starts with the context question the organisation record
// answers: the nature of the structure, from its FINESS kind, its category and
// its GHT (issue 15, point 4). Before, every context question started empty.
func TestContextQuestionsAnsweredFromTheRecord(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t), testkit.WithoutLoops)
	ctx := testkit.As(t, app, "admin@demo.care.test")
	var qid int64
	if err := app.Server.DB.Read.QueryRowContext(ctx, "SELECT id FROM questionnaires WHERE kind = 'maturity' ORDER BY version DESC LIMIT 1").Scan(&qid); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"CHU de Port-Émeraude":      "es-ght",   // public, in a GHT
		"Clinique des Quatre-Vents": "es-autre", // private, outside any GHT
		"EHPAD Les Glycines":        "essms",    // medico-social, even in a GHT
	} {
		a, err := app.Server.Maturity.Create(ctx, qid, app.Org(t, name).ID)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = app.Server.DB.Read.QueryRowContext(ctx, "SELECT option_id FROM answers WHERE assessment_id = $1 AND question_id = 'ctx-structure'", a.ID).Scan(&got)
		if err != nil || got != want {
			t.Errorf("%s: ctx-structure answered %q (%v), want %q", name, got, err, want)
		}
	}
}
