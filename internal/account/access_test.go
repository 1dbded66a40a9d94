package account_test

import (
	"fmt"
	"net/url"
	"testing"

	"care/internal/testkit"
)

// Who sees and manages accounts, and how bad input is refused: the CHU's
// direction manages the CHU's people; its RSSI reads them; the CH's DSI is next
// door; the EHPAD's reader may read nothing of accounts.
func TestWhoSeesTheAccounts(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		far := app.Org(t, "Clinique Saint-Yves-des-Prés").ID
		var me struct {
			ID int64 `json:"id"`
		}
		app.API(t, app.Token(t, "pcra@demo.care.test"), "GET", "/api/v1/me", nil, &me)
		pcra := fmt.Sprintf("/api/v1/users/%d", me.ID)
		person := func(email, role string, org int64) map[string]any {
			return map[string]any{"email": email, "name": "Camille Test", "role": role, "org_id": org}
		}
		testkit.Play(t, app, []testkit.Scenario{
			{Name: "the direction lists the CHU's people", As: "direction@demo.care.test", Path: "/api/v1/users", Status: 200, Contains: []string{"pcra@demo.care.test"}, Excludes: []string{"dsi@demo.care.test"}},
			{Name: "the RSSI reads them", As: "rssi@demo.care.test", Path: pcra, Status: 200, Contains: []string{"pcra@demo.care.test"}},
			{Name: "the CH's DSI does not see them", As: "dsi@demo.care.test", Path: pcra, Status: 404},
			{Name: "absent and invisible read the same", As: "dsi@demo.care.test", Path: "/api/v1/users/999999", Status: 404},
			{Name: "a reader may not list accounts", As: "lecteur@demo.care.test", Path: "/api/v1/users", Status: 403},
			{Name: "the RSSI may not create accounts", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/users", Body: person("a@chu.test", "lecteur", chu), Status: 403},
			{Name: "the RSSI may not disable one", As: "rssi@demo.care.test", Method: "POST", Path: pcra + "/disable", Status: 403},
			{Name: "the neighbour may not disable one", As: "dsi@demo.care.test", Method: "POST", Path: pcra + "/disable", Status: 404},
			{Name: "a role above the direction's own is refused", As: "direction@demo.care.test", Method: "POST", Path: "/api/v1/users", Body: person("b@chu.test", "admin", chu), Status: 403},
			{Name: "a node out of sight reads as unknown", As: "direction@demo.care.test", Method: "POST", Path: "/api/v1/users", Body: person("c@chu.test", "lecteur", far), Status: 422, Contains: []string{`"field":"org"`}},
			{Name: "a malformed address is refused", As: "direction@demo.care.test", Method: "POST", Path: "/api/v1/users", Body: person("pas-une-adresse", "lecteur", chu), Status: 422},
			{Name: "an unknown role is refused", As: "direction@demo.care.test", Method: "POST", Path: "/api/v1/users", Body: person("d@chu.test", "chef", chu), Status: 422},
			{Name: "an unknown field is refused", As: "direction@demo.care.test", Method: "POST", Path: "/api/v1/users", Body: map[string]any{"courriel": "e@chu.test"}, Status: 422},
			{Name: "the reader gets no accounts page", As: "lecteur@demo.care.test", Path: "/utilisateurs", Status: 403},
			{Name: "the neighbour gets no page of the CHU's person", As: "dsi@demo.care.test", Path: fmt.Sprintf("/utilisateurs/%d", me.ID), Status: 404},
			{Name: "the RSSI may not grant from the page", As: "rssi@demo.care.test", Method: "POST", Path: fmt.Sprintf("/utilisateurs/%d/roles", me.ID),
				Form: url.Values{"role": {"lecteur"}, "org": {fmt.Sprint(chu)}}, Status: 403},
			{Name: "nothing above was created", As: "direction@demo.care.test", Path: "/api/v1/users", Status: 200, Excludes: []string{"chu.test", "pas-une-adresse"}},
		})
	})
}
