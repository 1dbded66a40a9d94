package maturity_test

import (
	"fmt"
	"net/url"
	"testing"

	"care/internal/maturity"
	"care/internal/testkit"
)

// Who sees and changes an establishment's self-assessments, and how bad input is
// refused: the demo CHU has a validated assessment, and the test opens a draft
// beside it; its neighbour, the CH, is another establishment of the same GHT.
func TestWhoSeesTheSelfAssessments(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		ctx := testkit.As(t, app, "rssi@demo.care.test")
		list, _, err := app.Server.Maturity.List(ctx, maturity.Filter{OrgID: chu, Limit: 10})
		if err != nil || len(list) == 0 {
			t.Fatalf("the demo CHU has no assessment: %v", err)
		}
		validated := list[0]
		draft, err := app.Server.Maturity.Create(ctx, validated.QuestionnaireID, chu)
		if err != nil {
			t.Fatal(err)
		}
		one := fmt.Sprintf("/api/v1/assessments/%d", validated.ID)
		open := fmt.Sprintf("/api/v1/assessments/%d", draft.ID)
		page := fmt.Sprintf("/autoevaluations/%d", validated.ID)
		testkit.Play(t, app, []testkit.Scenario{
			{Name: "the RSSI reads the assessment", As: "rssi@demo.care.test", Path: one, Status: 200, Contains: []string{`"validated"`, `"answers"`}},
			{Name: "the management reads the result", As: "direction@demo.care.test", Path: one + "/result", Status: 200},
			{Name: "the PCRA lead reads the form", As: "pcra@demo.care.test", Path: page, Status: 200, Contains: []string{"CHU de Port-Émeraude"}},
			{Name: "the GHT's RSSI reads the assessment", As: "rssi.ght@demo.care.test", Path: one, Status: 200},
			{Name: "the region's ARS referent reads the result", As: "ars@demo.care.test", Path: one + "/result", Status: 200},
			{Name: "the neighbour's DSI does not see the assessment", As: "dsi@demo.care.test", Path: one, Status: 404, Excludes: []string{"CHU de Port-Émeraude"}},
			{Name: "a reader elsewhere does not see the result", As: "lecteur@demo.care.test", Path: one + "/result", Status: 404},
			{Name: "absent and invisible read the same", As: "dsi@demo.care.test", Path: "/api/v1/assessments/999999", Status: 404},
			{Name: "the ARS referent may not answer", As: "ars@demo.care.test", Method: "PUT", Path: open + "/answers", Body: map[string]any{"comments": map[string]string{"x": "y"}}, Status: 403},
			{Name: "the neighbour may not answer", As: "dsi@demo.care.test", Method: "PUT", Path: open + "/answers", Body: map[string]any{"comments": map[string]string{"x": "y"}}, Status: 404},
			{Name: "an unknown field is refused", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/assessments", Body: map[string]any{"questionnaire": validated.QuestionnaireID, "etablissement": chu}, Status: 422},
			{Name: "an unknown question is refused", As: "rssi@demo.care.test", Method: "PUT", Path: open + "/answers", Body: map[string]any{"answers": map[string]string{"pas-une-question": "v0"}}, Status: 422},
			{Name: "the neighbour's page", As: "dsi@demo.care.test", Path: page, Status: 404, Excludes: []string{"CHU de Port-Émeraude"}},
			{Name: "a malformed node", As: "rssi@demo.care.test", Path: "/autoevaluations?org=CHU", Status: 400},
			{Name: "a malformed assessment id", As: "rssi@demo.care.test", Path: "/api/v1/assessments/CHU", Status: 404},
			{Name: "the page's form refuses an unknown questionnaire beside its field", As: "rssi@demo.care.test", Method: "POST",
				Path: "/autoevaluations", Form: url.Values{"questionnaire": {"999999"}, "org": {fmt.Sprint(chu)}}, Status: 422, Contains: []string{"field-error", `id="err-questionnaire"`}},
		})
	})
}
