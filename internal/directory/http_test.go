package directory_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"care/internal/directory"
	"care/internal/testkit"
)

// A node id that is not a number is a bad request (400) on the pages and the API
// alike, never read as "no node"; an audit id that is not one is absent (404).
func TestMalformedNodeIsABadRequest(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	client := app.Login(t, "dsi@demo.care.test")
	for _, path := range []string{"/annuaire?org=abc", "/annuaire?org=0", "/annuaire?org=-3"} {
		resp := app.Get(t, client, path)
		if body := testkit.BodyOf(resp); resp.StatusCode != 400 || !strings.Contains(body, "ne désigne pas une structure") {
			t.Errorf("GET %s: %d %.200s", path, resp.StatusCode, body)
		}
	}
	if resp := app.PostForm(t, client, "/annuaire/noeud/abc/cle", url.Values{}); resp.StatusCode != 400 {
		t.Errorf("POST with a malformed node: %d", resp.StatusCode)
	}

	token := app.Token(t, "dsi@demo.care.test")
	for _, call := range []struct{ method, path string }{
		{"GET", "/api/v1/orgs/abc/directory/audits"},
		{"GET", "/api/v1/orgs/0/directory/rollup"},
		{"PATCH", "/api/v1/orgs/x1/directory/checkpoints/vuln1_spn_priv"},
	} {
		resp := app.API(t, token, call.method, call.path, map[string]string{}, nil)
		if body := testkit.BodyOf(resp); resp.StatusCode != 400 || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
			t.Errorf("%s %s: %d %s %.200s", call.method, call.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	if resp := app.API(t, token, "GET", "/api/v1/directory/audits/abc", nil, nil); resp.StatusCode != 404 {
		t.Errorf("malformed audit id: %d", resp.StatusCode)
	}
}

// The page opens on the caller's node when none is named, offers the nodes they
// see as links, and reads a node they do not see as absent.
func TestPageChoosesItsNode(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
	chu := app.Org(t, "CHU de Port-Émeraude")
	dsi := app.Login(t, "dsi@demo.care.test")

	resp := app.Get(t, dsi, "/annuaire")
	body := testkit.BodyOf(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, fmt.Sprintf(`action="/annuaire/noeud/%d/audits"`, ch.ID)) {
		t.Fatalf("the DSI's page without a node: %d", resp.StatusCode)
	}
	if !strings.Contains(body, fmt.Sprintf(`href="/annuaire?org=%d" aria-current="page"`, ch.ID)) {
		t.Errorf("the chooser does not show the DSI's node as the current one")
	}
	if strings.Contains(body, fmt.Sprintf("org=%d", chu.ID)) {
		t.Error("the chooser offers a node the DSI does not see")
	}
	if resp := app.Get(t, dsi, fmt.Sprintf("/annuaire?org=%d", chu.ID)); resp.StatusCode != 404 {
		t.Errorf("the DSI reads the CHU's page: %d", resp.StatusCode)
	}

	// The ARS reads the establishment (its roll-up and audits) but may not audit it.
	ars := app.Login(t, "ars@demo.care.test")
	resp = app.Get(t, ars, fmt.Sprintf("/annuaire?org=%d", chu.ID))
	body = testkit.BodyOf(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="audits"`) || strings.Contains(body, `id="run-form"`) {
		t.Errorf("the ARS's view of the CHU: %d", resp.StatusCode)
	}
	if resp := app.PostForm(t, ars, fmt.Sprintf("/annuaire/noeud/%d/cle", chu.ID), url.Values{}); resp.StatusCode != 403 || !strings.Contains(testkit.BodyOf(resp), `id="audits"`) {
		t.Errorf("the ARS renews the CHU's key: %d", resp.StatusCode)
	}
}

// On an audit's page (and in its PDF, built from the same lists) a level shows
// the checkpoints that still fail before those fixed since the previous audit.
func TestAuditListsFailuresBeforeFixes(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	ch := app.Org(t, "Centre hospitalier de Saint-Aubin-des-Landes")
	admin := testkit.As(t, app, "admin@demo.care.test")
	first := tinyDomain(time.Now().Add(-2 * time.Hour))
	first.Domain.FunctionalLevel, first.Domain.ForestLevel = 3, 3 // vuln1_functional_level fails
	first.Domain.DSHeuristics = "00000001"                        // vuln1_dsheuristics_bad fails
	if _, err := app.Server.Directory.Record(admin, ch.ID, first, directory.SourceImport); err != nil {
		t.Fatal(err)
	}
	second := tinyDomain(time.Now().Add(-time.Hour)) // functional level fixed, dSHeuristics not
	second.Domain.DSHeuristics = "00000001"
	a, err := app.Server.Directory.Record(admin, ch.ID, second, directory.SourceImport)
	if err != nil {
		t.Fatal(err)
	}
	body := testkit.BodyOf(app.Get(t, app.Login(t, "dsi@demo.care.test"), fmt.Sprintf("/annuaire/audits/%d", a.ID)))
	failing, fixed := strings.Index(body, `id="vuln1_dsheuristics_bad" data-status="fail"`), strings.Index(body, `id="vuln1_functional_level" data-status="pass" data-change="fixed"`)
	if failing < 0 || fixed < 0 || failing > fixed {
		t.Fatalf("level 1: failing at %d, fixed at %d", failing, fixed)
	}
}
