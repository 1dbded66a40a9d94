package maturity

import (
	"math"
	"os"
	"strings"
	"testing"

	"care/internal/platform/problem"
)

func load(t *testing.T, path string) Questionnaire {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return q
}

func near(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-9 }

// Scores computed by hand on testdata/small.yaml.
func TestScoreByHand(t *testing.T) {
	q := load(t, "testdata/small.yaml")

	// q1 = 3 (weight 2), q2 = 1 (weight 1), context "non" hides q3, q4 "ne sait pas".
	r := q.Score(Answers{"q1": "v3", "q2": "v1", "ctx": "non", "q4": "nsp"})
	if !near(r.Themes[0].Score, 7.0/3) || !near(r.Themes[0].Percent, 7.0/9*100) {
		t.Errorf("theme A: got %v, want (3×2 + 1×1) / 3 = 2.333", *r.Themes[0].Score)
	}
	if r.Themes[1].Score != nil {
		t.Errorf("theme B holds only a 'ne sait pas': it has no score, got %v", *r.Themes[1].Score)
	}
	if !near(r.Overall, 7.0/3) || r.Level == nil || r.Level.Code != Confirme {
		t.Errorf("overall %v level %v, want 2.333 (77.8 %%) → confirmé", *r.Overall, r.Level)
	}
	if r.Visible != 4 || r.Answered != 4 || r.Progress() != 100 {
		t.Errorf("visible %d answered %d: q3 is hidden", r.Visible, r.Answered)
	}

	// Context "oui" shows q3; answered 0 with weight 3: (6 + 1 + 0) / 6 = 1.1667 → 38.9 % → débutant.
	r = q.Score(Answers{"q1": "v3", "q2": "v1", "ctx": "oui", "q3": "v0", "q4": "v3"})
	if !near(r.Themes[0].Score, 7.0/6) || !near(r.Themes[1].Score, 3) {
		t.Errorf("themes: %v %v", *r.Themes[0].Score, *r.Themes[1].Score)
	}
	if !near(r.Overall, 10.0/7) || r.Level.Code != Intermediaire {
		t.Errorf("overall: got %v (%v), want (6+1+0+3)/7 = 1.4286 → 47.6 %% → intermédiaire", *r.Overall, r.Level.Code)
	}

	// "Non applicable" removes q1 from the sum; q2 = 0 alone gives 0 → débutant.
	r = q.Score(Answers{"q1": "na", "q2": "v0"})
	if !near(r.Themes[0].Score, 0) || r.Level.Code != Debutant {
		t.Errorf("n/a: theme A %v level %v", *r.Themes[0].Score, r.Level.Code)
	}
	if r.Progress() != 2*100/4 {
		t.Errorf("progress %d, want 50 (2 of 4 visible)", r.Progress())
	}

	// Nothing answered: no score, no level.
	if r := q.Score(Answers{}); r.Overall != nil || r.Level != nil {
		t.Error("an empty assessment has a score")
	}
}

func TestRecommendationsRankedByPriorityThenWorstAnswer(t *testing.T) {
	q := load(t, "testdata/small.yaml")
	r := q.Score(Answers{"q1": "v3", "q2": "v1", "ctx": "non", "q4": "nsp"})
	var got []string
	for _, rec := range r.Priority {
		got = append(got, rec.ID)
	}
	// m4 (priority 1, "ne sait pas" counts as 0) before m2 (priority 1, answer 1),
	// then m3 (priority 3, level 2: recommended below 3); m1 is not (q1 answered 3).
	if strings.Join(got, " ") != "m4 m2 m3" || len(r.Others) != 0 {
		t.Errorf("priority measures: %v, others %d", got, len(r.Others))
	}
	r = q.Score(Answers{"q1": "v1", "q2": "v3", "q4": "v3"})
	if len(r.Priority) != 1 || r.Priority[0].ID != "m1" {
		t.Errorf("q1 = 1 recommends the level-1 measure m1 only: %+v", r.Priority)
	}
}

func TestCheckAnswers(t *testing.T) {
	q := load(t, "testdata/small.yaml")
	if err := q.CheckAnswers(Answers{"q1": "v3", "ctx": "oui", "q3": "v0"}); err != nil {
		t.Errorf("valid answers refused: %v", err)
	}
	err := q.CheckAnswers(Answers{"q1": "v9", "zz": "v0", "ctx": "non", "q3": "v0"})
	e, ok := problem.As(err)
	if !ok || len(e.Fields) != 3 {
		t.Fatalf("got %v", err)
	}
	keys := map[string]string{}
	for _, f := range e.Fields {
		keys[f.Field] = f.Key
	}
	if keys["q1"] != "maturity.error.unknown_option" || keys["zz"] != "maturity.error.unknown_question" || keys["q3"] != "maturity.error.hidden_question" {
		t.Errorf("faults: %v", keys)
	}
}

func TestParseRefusesBadFilesWithTheReason(t *testing.T) {
	good, err := os.ReadFile("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ from, to, key string }{
		"unknown key":        {"weight: 2\n", "weight: 2\n        colour: red\n", "maturity.error.yaml"},
		"value out of scale": {"{id: v3, label: Oui, value: 3}\n          - {id: nsp", "{id: v3, label: Oui, value: 4}\n          - {id: nsp", "maturity.error.value_range"},
		"show_if later":      {"show_if: {question: ctx", "show_if: {question: q4", "maturity.error.show_if_question"},
		"show_if option":     {"options: [oui]}", "options: [peut-etre]}", "maturity.error.show_if_option"},
		"duplicate question": {"id: q2\n", "id: q1\n", "maturity.error.duplicate"},
		"levels":             {"{code: confirme, label: Confirmé, min: 70}", "{code: expert, label: Expert, min: 70}", "maturity.error.kit_levels"},
		"level order":        {"min: 70}", "min: 30}", "maturity.error.level_order"},
		"measure text":       {"title: Mesure 4, level: 1, priority: 1, why: Parce que.", "title: Mesure 4, level: 1, priority: 1, why: ''", "maturity.error.measure_text"},
		"kind":               {"kind: kit_level", "kind: quiz", "maturity.error.kind"},
	}
	for name, tc := range cases {
		bad := strings.Replace(string(good), tc.from, tc.to, 1)
		if bad == string(good) {
			t.Fatalf("%s: the replacement did not apply", name)
		}
		_, err := Parse([]byte(bad))
		e, ok := problem.As(err)
		if !ok {
			t.Errorf("%s: accepted", name)
			continue
		}
		found := e.Key == tc.key
		for _, f := range e.Fields {
			found = found || f.Key == tc.key
		}
		if !found {
			t.Errorf("%s: got %v, want %s", name, err, tc.key)
		}
	}
}
