package exposure_test

import (
	"fmt"
	"net/url"
	"testing"

	"care/internal/testkit"
)

// Who sees and changes an establishment's exposure audit, and how bad input is
// refused: the demo CHU has scans and findings; its neighbour, the CH, is another
// establishment of the same GHT.
func TestWhoSeesTheExposureAudit(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		chu := app.Org(t, "CHU de Port-Émeraude").ID
		api := fmt.Sprintf("/api/v1/orgs/%d/exposure", chu)
		page := fmt.Sprintf("/exposition?org=%d", chu)
		target := func(value string, attested bool) map[string]any {
			return map[string]any{"value": value, "owner": "DSI", "attested": attested}
		}
		testkit.Play(t, app, []testkit.Scenario{
			{Name: "the RSSI reads the findings", As: "rssi@demo.care.test", Path: api + "/findings", Status: 200, Contains: []string{`"severity"`}},
			{Name: "the GHT's RSSI reads them", As: "rssi.ght@demo.care.test", Path: api + "/findings", Status: 200},
			{Name: "the region's ARS referent reads them", As: "ars@demo.care.test", Path: api + "/evidence", Status: 200},
			{Name: "the neighbour's DSI does not see them", As: "dsi@demo.care.test", Path: api + "/findings", Status: 404},
			{Name: "a reader elsewhere does not see them", As: "lecteur@demo.care.test", Path: api + "/targets", Status: 404},
			{Name: "absent and invisible read the same", As: "dsi@demo.care.test", Path: "/api/v1/orgs/999999/exposure/findings", Status: 404},
			{Name: "the ARS referent may not declare a target", As: "ars@demo.care.test", Method: "POST", Path: api + "/targets", Body: target("203.0.113.7", true), Status: 403},
			{Name: "the neighbour may not start a scan", As: "dsi@demo.care.test", Method: "POST", Path: api + "/scans", Body: map[string]any{"ports": "top"}, Status: 404},
			{Name: "a malformed target is refused", As: "rssi@demo.care.test", Method: "POST", Path: api + "/targets", Body: target("999.1.2.3/99", true), Status: 422},
			{Name: "a target needs the attestation", As: "rssi@demo.care.test", Method: "POST", Path: api + "/targets", Body: target("203.0.113.8", false), Status: 422},
			{Name: "an unknown field is refused", As: "rssi@demo.care.test", Method: "POST", Path: api + "/targets", Body: map[string]any{"valeur": "x"}, Status: 422},
			{Name: "bad ports are refused", As: "rssi@demo.care.test", Method: "POST", Path: api + "/scans", Body: map[string]any{"ports": "99999"}, Status: 422},
			{Name: "a malformed scan id reads as absent", As: "rssi@demo.care.test", Path: "/api/v1/exposure/scans/abc", Status: 404},
			{Name: "an absent scan is not cancelled", As: "rssi@demo.care.test", Method: "POST", Path: "/api/v1/exposure/scans/999999/cancel", Status: 404},
			{Name: "an absent finding keeps no status", As: "rssi@demo.care.test", Method: "PATCH", Path: "/api/v1/exposure/findings/999999", Body: map[string]any{"status": "in_progress"}, Status: 404},
			{Name: "a malformed finding id reads as absent", As: "rssi@demo.care.test", Method: "PATCH", Path: "/api/v1/exposure/findings/abc", Body: map[string]any{"status": "in_progress"}, Status: 404},
			{Name: "the RSSI's page", As: "rssi@demo.care.test", Path: page, Status: 200, Contains: []string{"CHU de Port-Émeraude", "<div>Aucun constat critique ouvert.</div>"},
				Excludes: []string{"aucun audit terminé"}},
			{Name: "a structure never scanned says so rather than 0 critical findings", As: "dsi@demo.care.test",
				Path: fmt.Sprintf("/exposition?org=%d", app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes").ID), Status: 200,
				Contains: []string{"aucun audit terminé"}, Excludes: []string{"<div>Aucun constat critique ouvert.</div>"}},
			{Name: "the neighbour's page", As: "dsi@demo.care.test", Path: page, Status: 404, Excludes: []string{"CHU de Port-Émeraude"}},
			{Name: "a malformed node", As: "rssi@demo.care.test", Path: "/exposition?org=CHU", Status: 400},
			{Name: "the page's form refuses a bad target beside its field", As: "rssi@demo.care.test", Method: "POST",
				Path: fmt.Sprintf("/exposition/noeud/%d/cibles", chu), Form: url.Values{"value": {"pas une cible"}, "attested": {"on"}}, Status: 422, Contains: []string{"field-error"}},
		})
	})
}
