package directory_test

import (
	"fmt"
	"net/url"
	"testing"

	"care/internal/testkit"
)

// Who sees and changes an establishment's Active Directory audit, and how bad
// input is refused: the demo CHU has imported audits of its domain chu.local; its
// neighbour, the CH, is another establishment of the same GHT.
func TestWhoSeesTheDirectoryAudit(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		audits, err := app.Server.Directory.Audits(testkit.As(t, app, "rssi@demo.care.test"), chu)
		if err != nil || len(audits) == 0 {
			t.Fatalf("the demo CHU has no directory audit: %v", err)
		}
		node := fmt.Sprintf("/api/v1/orgs/%d/directory", chu)
		audit := fmt.Sprintf("/api/v1/directory/audits/%d", audits[0].ID)
		checkpoint := node + "/checkpoints/vuln1_spn_priv"
		page := fmt.Sprintf("/annuaire?org=%d", chu)
		testkit.Play(t, app, []testkit.Scenario{
			{Name: "the RSSI reads the audits", As: "rssi@demo.care.test", Path: node + "/audits", Status: 200, Contains: []string{"chu.local"}},
			{Name: "the management reads an audit", As: "direction@demo.care.test", Path: audit, Status: 200, Contains: []string{`"checks"`}},
			{Name: "the GHT's RSSI reads the level", As: "rssi.ght@demo.care.test", Path: node + "/level", Status: 200, Contains: []string{`"audited"`}},
			{Name: "the region's ARS referent reads an audit", As: "ars@demo.care.test", Path: audit, Status: 200},
			{Name: "the neighbour's DSI does not see the audit", As: "dsi@demo.care.test", Path: audit, Status: 404, Excludes: []string{"chu.local"}},
			{Name: "a reader elsewhere does not see the checkpoints", As: "lecteur@demo.care.test", Path: node + "/checkpoints", Status: 404, Excludes: []string{"vuln1_spn_priv"}},
			{Name: "absent and invisible read the same", As: "dsi@demo.care.test", Path: "/api/v1/directory/audits/999999", Status: 404},
			{Name: "the ARS referent may not read the import key", As: "ars@demo.care.test", Path: node + "/import-key", Status: 403, Excludes: []string{`"import_key"`}},
			{Name: "the ARS referent may not follow a checkpoint up", As: "ars@demo.care.test", Method: "PATCH", Path: checkpoint, Body: map[string]any{"owner": "ARS"}, Status: 403},
			{Name: "the neighbour may not set the source", As: "dsi@demo.care.test", Method: "PUT", Path: node + "/source",
				Body: map[string]any{"url": "ldaps://dc1.chu.local", "bind_dn": "audit@chu.local", "password": "x"}, Status: 404},
			{Name: "an unknown field is refused", As: "rssi@demo.care.test", Method: "PATCH", Path: checkpoint, Body: map[string]any{"responsable": "DSI"}, Status: 422},
			{Name: "a malformed due date is refused", As: "rssi@demo.care.test", Method: "PATCH", Path: checkpoint, Body: map[string]any{"due_on": "bientôt"}, Status: 422},
			{Name: "the RSSI's page", As: "rssi@demo.care.test", Path: page, Status: 200, Contains: []string{"CHU de Port-Émeraude"}},
			{Name: "the neighbour's page", As: "dsi@demo.care.test", Path: page, Status: 404, Excludes: []string{"CHU de Port-Émeraude", "chu.local"}},
			{Name: "a malformed node", As: "rssi@demo.care.test", Path: "/annuaire?org=CHU", Status: 400},
			{Name: "the page's form refuses a bad address beside its field", As: "rssi@demo.care.test", Method: "POST",
				Path: fmt.Sprintf("/annuaire/noeud/%d/source", chu), Form: url.Values{"url": {"http://dc1.chu.local"}, "bind_dn": {"audit@chu.local"}, "password": {"x"}},
				Status: 422, Contains: []string{"field-error", `id="err-url"`}},
		})
	})
}
