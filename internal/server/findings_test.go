package server_test

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"care/internal/exposure"
	"care/internal/testkit"
)

// findingRow is a row of the exposure page's findings: its status, its number of
// addresses and its text.
var findingRow = regexp.MustCompile(`(?s)<tr class="finding" data-status="([a-z_]+)" data-addresses="(\d+)">(.*?)</tr>`)

// On the exposure page open findings come before fixed ones, and one weakness
// seen on several addresses is one row naming them, whose labelled panel
// changes the status of all of them at once (issue 15, point 5). Before, the
// list was sorted by severity alone (the CHU's fixed critical remote desktop
// came first) and had one row per address.
func TestExposureFindingsOpenFirstAndGrouped(t *testing.T) {
	testkit.DemoWithoutLoops(t, func(t *testing.T, app *testkit.App) {
		d := app.DB
		ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
		ctx := testkit.As(t, app, "admin@demo.care.test")
		a, b := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("192.0.2.20")
		rdp := func(addr netip.Addr) exposure.Observation {
			return exposure.Observation{Address: addr, Port: 3389, State: exposure.Open, Service: "rdp"}
		}
		if _, err := app.Server.Exposure.RecordPast(ctx, ch.ID, "top,sensitive", []netip.Addr{a, b}, []exposure.Observation{rdp(a), rdp(b)}, time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		c := app.Login(t, "admin@demo.care.test")
		page := func(id int64) []([]string) {
			return findingRow.FindAllStringSubmatch(testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/exposition?org=%d", id))), -1)
		}
		rows := page(ch.ID)
		var grouped []string
		for _, r := range rows {
			if strings.Contains(r[3], "192.0.2.10") || strings.Contains(r[3], "192.0.2.20") {
				grouped = append(grouped, r[0])
				if r[2] != "2" || !strings.Contains(r[3], "192.0.2.10") || !strings.Contains(r[3], "192.0.2.20") {
					t.Errorf("the remote desktop seen on two addresses is not one row naming both: %s", r[0])
				}
			}
		}
		if len(grouped) != 1 {
			t.Fatalf("the remote desktop seen on two addresses shows as %d rows, want 1", len(grouped))
		}
		// The panel of the row changes both findings.
		form := regexp.MustCompile(`action="(/exposition/constats/\d+\?org=\d+)"><fieldset class="status-panel">.*?name="also" value="(\d+)"`).FindStringSubmatch(testkit.BodyOf(app.Get(t, c, fmt.Sprintf("/exposition?org=%d", ch.ID))))
		if form == nil {
			t.Fatal("no status panel carrying the other address of the weakness")
		}
		if resp := app.PostForm(t, c, form[1], url.Values{"status": {"in_progress"}, "also": {form[2]}}); resp.StatusCode >= 400 {
			t.Fatalf("saving the status: %d", resp.StatusCode)
		}
		var moved int
		if err := d.Read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM exposure_findings WHERE org_id = $1 AND port = 3389 AND status = 'in_progress'", ch.ID).Scan(&moved); err != nil {
			t.Fatal(err)
		}
		if moved != 2 {
			t.Errorf("%d findings taken in hand, want both addresses", moved)
		}

		// The CHU's history holds fixed findings (the remote desktop closed
		// between its two scans): they come after every open one.
		var states []string
		for _, r := range page(app.Org(t, "CHU de Port-Émeraude").ID) {
			states = append(states, r[1])
		}
		firstFixed := slices.Index(states, "fixed")
		if firstFixed < 0 || firstFixed == 0 {
			t.Fatalf("the CHU's findings %v: want open ones, then fixed ones", states)
		}
		for _, s := range states[firstFixed:] {
			if s != "fixed" {
				t.Errorf("a %s finding after a fixed one: %v", s, states)
			}
		}
	})
}
