package exercise_test

import (
	"fmt"
	"net/url"
	"testing"

	"care/internal/testkit"
)

// Who sees and drives an establishment's crisis exercise, and how bad input is
// refused: the CHU's RSSI starts a rehearsal (and animates it) with the PCRA lead
// seated as a player, who never reads the animator part; its neighbour, the CH,
// is another establishment of the same GHT.
func TestWhoSeesTheCrisisExercise(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		rssi := app.Token(t, "rssi@demo.care.test")
		var ex struct {
			ID int64 `json:"id"`
		}
		if resp := app.API(t, rssi, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": chu, "speed": 1}, &ex); resp.StatusCode != 201 {
			t.Fatalf("create: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		api := fmt.Sprintf("/api/v1/exercises/%d", ex.ID)
		pcra, err := app.Server.Accounts.ByEmail(t.Context(), "pcra@demo.care.test")
		if err != nil {
			t.Fatal(err)
		}
		if resp := app.API(t, rssi, "POST", api+"/participants", map[string]any{"user": pcra.ID, "role": "player", "cell": "decision"}, nil); resp.StatusCode >= 300 {
			t.Fatalf("seat the player: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		var stimuli struct {
			Items []struct {
				Expected []string `json:"expected_reactions"`
			} `json:"items"`
		}
		app.API(t, rssi, "GET", api+"/stimuli", nil, &stimuli)
		var expected string
		for _, st := range stimuli.Items {
			if len(st.Expected) > 0 {
				expected = st.Expected[0]
				break
			}
		}
		if expected == "" {
			t.Fatal("the kit's stimuli carry no expected reactions")
		}
		hidden := []string{`"animator_part"`, `"expected_reactions"`, expected}
		page := fmt.Sprintf("/exercices/%d", ex.ID)
		testkit.Play(t, app, []testkit.Scenario{
			{Name: "the animating RSSI reads the animator part", As: "rssi@demo.care.test", Path: api, Status: 200, Contains: []string{`"animator_part"`}},
			{Name: "the player reads the exercise without the animator part", As: "pcra@demo.care.test", Path: api, Status: 200, Contains: []string{`"participant_part"`}, Excludes: hidden},
			{Name: "the player reads the stimuli without the expected reactions", As: "pcra@demo.care.test", Path: api + "/stimuli", Status: 200, Excludes: hidden},
			{Name: "the player's page holds no expected reaction", As: "pcra@demo.care.test", Path: page, Status: 200, Excludes: []string{expected}},
			{Name: "the GHT's RSSI reads the exercise", As: "rssi.ght@demo.care.test", Path: api, Status: 200, Excludes: hidden},
			{Name: "the region's ARS referent reads the exercise", As: "ars@demo.care.test", Path: api, Status: 200, Excludes: hidden},
			{Name: "the neighbour's DSI does not see the exercise", As: "dsi@demo.care.test", Path: api, Status: 404, Excludes: hidden},
			{Name: "a reader elsewhere does not see the log", As: "lecteur@demo.care.test", Path: api + "/log", Status: 404},
			{Name: "absent and invisible read the same", As: "dsi@demo.care.test", Path: "/api/v1/exercises/999999", Status: 404},
			{Name: "the ARS referent may not seat anyone", As: "ars@demo.care.test", Method: "POST", Path: api + "/participants",
				Body: map[string]any{"user": pcra.ID, "role": "observer"}, Status: 403},
			{Name: "the player may not plan the exercise", As: "pcra@demo.care.test", Method: "POST", Path: api + "/plan", Body: map[string]any{"date": "2030-01-15T09:00:00Z"}, Status: 403, Excludes: hidden},
			{Name: "an unknown field is refused", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/exercises", Body: map[string]any{"kit": "kit-debutant", "org": chu, "vitesse": 2}, Status: 422},
			{Name: "a malformed date is refused", As: "rssi@demo.care.test", Method: "POST", Path: api + "/plan", Body: map[string]any{"date": "demain matin"}, Status: 422},
			{Name: "the neighbour's page", As: "dsi@demo.care.test", Path: page, Status: 404, Excludes: []string{expected}},
			{Name: "a malformed node", As: "rssi@demo.care.test", Path: "/exercices?org=CHU", Status: 400},
			{Name: "the page's form refuses a bad date beside its field", As: "rssi@demo.care.test", Method: "POST",
				Path: page + "/planifier", Form: url.Values{"planned_for": {"demain matin"}}, Status: 422, Contains: []string{"field-error", `id="err-planned_for"`}},
		})
	})
}
