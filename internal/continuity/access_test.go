package continuity_test

import (
	"fmt"
	"net/url"
	"testing"

	"care/internal/continuity"
	"care/internal/testkit"
)

// Who sees and changes an establishment's continuity work (register, activities
// and their BIA), and how bad input is refused: the demo CHU has a register and
// activities; its neighbour, the CH, is another establishment of the same GHT.
func TestWhoSeesTheContinuityWork(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		const secret = "Astreinte confidentielle Kappa"
		act, err := app.Server.Continuity.CreateActivity(testkit.As(t, app, "rssi@demo.care.test"),
			continuity.NewActivity{OrgID: chu, Name: secret, Type: continuity.TypeCare})
		if err != nil {
			t.Fatal(err)
		}
		node := fmt.Sprintf("/api/v1/orgs/%d/continuity", chu)
		activity := fmt.Sprintf("/api/v1/activities/%d", act.ID)
		page := fmt.Sprintf("/continuite?org=%d", chu)
		testkit.Play(t, app, []testkit.Scenario{
			{Name: "the RSSI reads the gaps", As: "rssi@demo.care.test", Path: node + "/gaps", Status: 200, Contains: []string{`"items"`}},
			{Name: "the PCRA lead reads an activity", As: "pcra@demo.care.test", Path: activity, Status: 200, Contains: []string{secret}},
			{Name: "the GHT's RSSI reads the evaluation", As: "rssi.ght@demo.care.test", Path: node + "/evaluation", Status: 200},
			{Name: "the region's ARS referent reads the activity", As: "ars@demo.care.test", Path: activity, Status: 200},
			{Name: "the neighbour's DSI does not see the gaps", As: "dsi@demo.care.test", Path: node + "/gaps", Status: 404},
			{Name: "a reader elsewhere does not see the activity", As: "lecteur@demo.care.test", Path: activity, Status: 404, Excludes: []string{secret}},
			{Name: "absent and invisible read the same", As: "dsi@demo.care.test", Path: "/api/v1/activities/999999", Status: 404},
			{Name: "the ARS referent may not score the BIA", As: "ars@demo.care.test", Method: "PUT", Path: activity + "/bia", Body: map[string]any{"pdma_hours": 4}, Status: 403},
			{Name: "the neighbour may not score the BIA", As: "dsi@demo.care.test", Method: "PUT", Path: activity + "/bia", Body: map[string]any{"pdma_hours": 4}, Status: 404, Excludes: []string{secret}},
			{Name: "an unknown field is refused", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/activities", Body: map[string]any{"org": chu, "nom": "x", "type": "care"}, Status: 422},
			{Name: "a malformed review date is refused", As: "rssi@demo.care.test", Method: "PUT", Path: activity + "/bia", Body: map[string]any{"review_due": "demain"}, Status: 422},
			{Name: "the RSSI's page", As: "rssi@demo.care.test", Path: page, Status: 200, Contains: []string{"CHU de Port-Émeraude"}},
			{Name: "the neighbour's page", As: "dsi@demo.care.test", Path: page, Status: 404, Excludes: []string{"CHU de Port-Émeraude"}},
			{Name: "the neighbour's activity page", As: "dsi@demo.care.test", Path: fmt.Sprintf("/continuite/activites/%d", act.ID), Status: 404, Excludes: []string{secret}},
			{Name: "a malformed node", As: "rssi@demo.care.test", Path: "/continuite?org=CHU", Status: 400},
			{Name: "the page's form refuses a bad review date beside its field", As: "rssi@demo.care.test", Method: "POST",
				Path: fmt.Sprintf("/continuite/noeud/%d/cadrage", chu), Form: url.Values{"rpcra_name": {"Eden"}, "review_due": {"demain"}}, Status: 422, Contains: []string{"field-error", `id="err-review_due"`}},
		})
	})
}
