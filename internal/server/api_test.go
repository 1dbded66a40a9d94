package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/server"
	"care/internal/testkit"
)

func TestOpenAPIDescribesEveryAPIRoute(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	srv, err := server.New(testkit.SQLite(t), server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range srv.Routes() {
		method, path, _ := strings.Cut(r.Pattern, " ")
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		seen[method+" "+path] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is missing from openapi.json", r.Pattern)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !seen[strings.ToUpper(method)+" "+path] {
				t.Errorf("openapi.json describes %s %s, which no route serves", strings.ToUpper(method), path)
			}
		}
	}
}

type orgJSON struct {
	ID       int64   `json:"id"`
	Name     string  `json:"name"`
	Level    string  `json:"level"`
	ParentID *int64  `json:"parent_id"`
	FINESS   *string `json:"finess"`
	Kind     *string `json:"kind"`
	Category *string `json:"category"`
}

type page struct {
	Items  []orgJSON `json:"items"`
	Total  int       `json:"total"`
	Limit  int       `json:"limit"`
	Offset int       `json:"offset"`
}

type problemDoc struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

// The HTTP permission matrix: each demo role, through the API, on its own subtree,
// a sibling subtree and its parent, for the actions the API exposes. What is
// expected comes from the roles table (see authz_test.go for the full table).
func TestAPIPermissionMatrix(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		type places struct{ own, sibling, parent string }
		cases := map[string]places{
			"admin@demo.care.test":     {"R01", "", ""},
			"pilote@demo.care.test":    {"R01", "", ""},
			"cert@demo.care.test":      {"R01", "", ""},
			"ars@demo.care.test":       {"GHT-LE", "R02", "national"},
			"grades@demo.care.test":    {"GHT-LE", "R02", "national"},
			"rssi.ght@demo.care.test":  {"Centre hospitalier de Saint-Aubin-des-Landes", "GHT-VV", "R01"},
			"direction@demo.care.test": {"CHU de Port-Émeraude — Hôpital Nord", "Centre hospitalier de Saint-Aubin-des-Landes", "GHT-LE"},
			"rssi@demo.care.test":      {"CHU de Port-Émeraude — Hôpital Sud", "EHPAD Les Glycines", "GHT-LE"},
			"dsi@demo.care.test":       {"Centre hospitalier de Saint-Aubin-des-Landes", "CHU de Port-Émeraude", "GHT-LE"},
			"pcra@demo.care.test":      {"CHU de Port-Émeraude", "EHPAD Les Glycines", "GHT-LE"},
			"lecteur@demo.care.test":   {"EHPAD Les Glycines", "CHU de Port-Émeraude", "GHT-LE"},
		}
		roleOf := map[string]authz.Role{}
		for _, a := range demoAccounts() {
			roleOf[a.email] = a.role
		}
		n := 0
		for email, p := range cases {
			role := roleOf[email]
			token := app.Token(t, email)
			targets := map[string]string{"own": p.own, "sibling": p.sibling, "parent": p.parent}
			for where, ref := range targets {
				if ref == "" {
					continue
				}
				target := resolve(t, app, ref)
				inside := where == "own"
				for _, a := range []authz.Action{authz.OrgRead, authz.OrgWrite, authz.UserManage, authz.AuditRead} {
					want := inside && role.Allows(a)
					got := attempt(t, app, token, a, target, n)
					n++
					if got != want {
						t.Errorf("%s (%s) %s on %s %q: allowed=%v, want %v", email, role, a, where, target.Name, got, want)
					}
				}
			}
		}
	})
}

type demoAccount struct {
	email string
	role  authz.Role
}

func demoAccounts() []demoAccount {
	return []demoAccount{
		{"admin@demo.care.test", authz.Admin}, {"pilote@demo.care.test", authz.PiloteNational}, {"cert@demo.care.test", authz.CertSante},
		{"ars@demo.care.test", authz.ReferentARS}, {"grades@demo.care.test", authz.Grades}, {"rssi.ght@demo.care.test", authz.RSSIGHT},
		{"direction@demo.care.test", authz.Direction}, {"rssi@demo.care.test", authz.RSSI}, {"dsi@demo.care.test", authz.DSI},
		{"pcra@demo.care.test", authz.ResponsablePCRA}, {"lecteur@demo.care.test", authz.Lecteur},
	}
}

func resolve(t *testing.T, app *testkit.App, ref string) org.Org {
	t.Helper()
	if ref == "national" {
		o, err := app.Server.Orgs.Resolve(t.Context(), "national")
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	return app.Org(t, ref)
}

// attempt performs action a on target through the API and reports whether it was allowed.
func attempt(t *testing.T, app *testkit.App, token string, a authz.Action, target org.Org, n int) bool {
	t.Helper()
	id := strconv.FormatInt(target.ID, 10)
	switch a {
	case authz.OrgRead:
		resp := app.API(t, token, "GET", "/api/v1/orgs/"+id, nil, nil)
		return expect(t, resp, 200, 404)
	case authz.OrgWrite:
		resp := app.API(t, token, "PATCH", "/api/v1/orgs/"+id, map[string]any{"name": target.Name}, nil)
		return expect(t, resp, 200, 403, 404)
	case authz.UserManage:
		body := map[string]any{"email": fmt.Sprintf("matrix%d@demo.care.test", n), "name": "Matrice", "role": "lecteur", "org_id": target.ID}
		resp := app.API(t, token, "POST", "/api/v1/users", body, nil)
		return expect(t, resp, 201, 403, 422)
	case authz.AuditRead:
		var p struct {
			Total int `json:"total"`
		}
		resp := app.API(t, token, "GET", "/api/v1/audit?object_type=org&object_id="+id, nil, nil)
		if !expect(t, resp, 200, 403) {
			return false
		}
		if err := json.Unmarshal([]byte(testkit.BodyOf(resp)), &p); err != nil {
			t.Fatal(err)
		}
		return p.Total > 0
	}
	t.Fatalf("no attempt for %s", a)
	return false
}

// expect checks the status is one of the allowed ones; the first means success.
func expect(t *testing.T, resp *http.Response, ok int, refusals ...int) bool {
	t.Helper()
	if resp.StatusCode == ok {
		return true
	}
	for _, r := range refusals {
		if resp.StatusCode == r {
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("refusal %d is not problem+json", r)
			}
			return false
		}
	}
	t.Errorf("%s %s: unexpected status %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, testkit.BodyOf(resp))
	return false
}

func TestAPIScopeLeaksNothing(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi := app.Token(t, "rssi@demo.care.test")
	var p page
	app.API(t, rssi, "GET", "/api/v1/orgs", nil, &p)
	if p.Total != 3 || len(p.Items) != 3 {
		t.Fatalf("rssi of the CHU lists %d nodes (total %d), want 3", len(p.Items), p.Total)
	}
	app.API(t, rssi, "GET", "/api/v1/orgs?q=clinique", nil, &p)
	if p.Total != 0 {
		t.Errorf("search leaks %d nodes", p.Total)
	}
	// An invisible node and a node that does not exist answer the same.
	clinic := app.Org(t, "Clinique des Quatre-Vents")
	a := app.API(t, rssi, "GET", "/api/v1/orgs/"+strconv.FormatInt(clinic.ID, 10), nil, nil)
	b := app.API(t, rssi, "GET", "/api/v1/orgs/999999", nil, nil)
	if a.StatusCode != 404 || testkit.BodyOf(a) != testkit.BodyOf(b) {
		t.Errorf("invisible %d %q vs absent %d %q", a.StatusCode, testkit.BodyOf(a), b.StatusCode, testkit.BodyOf(b))
	}
	var users struct {
		Items []struct {
			Email string `json:"email"`
		} `json:"items"`
		Total int `json:"total"`
	}
	dir := app.Token(t, "direction@demo.care.test")
	app.API(t, dir, "GET", "/api/v1/users", nil, &users)
	for _, u := range users.Items {
		if u.Email == "dsi@demo.care.test" || u.Email == "lecteur@demo.care.test" || u.Email == "admin@demo.care.test" {
			t.Errorf("the CHU direction sees %s", u.Email)
		}
	}
	if users.Total != 3 {
		t.Errorf("the CHU direction sees %d accounts, want 3 (direction, rssi, pcra)", users.Total)
	}
	// The audit export of the CHU direction holds nothing about the neighbours.
	c := app.Login(t, "direction@demo.care.test")
	csv := testkit.BodyOf(app.Get(t, c, "/journal.csv"))
	if strings.Contains(csv, "Saint-Aubin") || strings.Contains(csv, "dsi@demo") || !strings.Contains(csv, "CHU de Port-") {
		t.Errorf("audit export out of scope:\n%s", csv)
	}
}

func TestAPIBadInputChangesNothing(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	admin := app.Token(t, "admin@demo.care.test")
	ght := app.Org(t, "GHT-LE")
	before := app.Org(t, "CHU de Port-Émeraude")
	id := strconv.FormatInt(before.ID, 10)
	var prob problemDoc

	resp := app.API(t, admin, "POST", "/api/v1/orgs", map[string]any{"parent_id": ght.ID, "level": "legal_entity", "name": "X", "finess": "123456789", "kind": "ES", "category": "public"}, &prob)
	if resp.StatusCode != 422 || len(prob.Errors) != 1 || prob.Errors[0].Field != "finess" || !strings.Contains(prob.Errors[0].Detail, "clé de contrôle") {
		t.Errorf("malformed FINESS: %d %+v", resp.StatusCode, prob)
	}
	resp = app.API(t, admin, "POST", "/api/v1/orgs", map[string]any{"parent_id": ght.ID, "level": "legal_entity", "name": "X", "finess": before.FINESS, "kind": "ES", "category": "public"}, &prob)
	if resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "déjà utilisé") {
		t.Errorf("duplicate FINESS: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	region := app.Org(t, "R01")
	resp = app.API(t, admin, "PATCH", "/api/v1/orgs/"+strconv.FormatInt(region.ID, 10), map[string]any{"parent_id": ght.ID}, &prob)
	if resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "rattachée à elle-même") {
		t.Errorf("cycle: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	resp = app.API(t, admin, "POST", "/api/v1/users", map[string]any{"email": "x@demo.care.test", "name": "X", "role": "chef", "org_id": before.ID}, &prob)
	if resp.StatusCode != 422 || !strings.Contains(testkit.BodyOf(resp), "Rôle inconnu") {
		t.Errorf("unknown role: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	resp = app.API(t, admin, "PATCH", "/api/v1/orgs/"+id, `{"name": "Y", "colour": "blue"}`, &prob)
	if resp.StatusCode != 422 {
		t.Errorf("unknown field: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	huge := `{"name": "` + strings.Repeat("a", 2<<20) + `"}`
	resp = app.API(t, admin, "PATCH", "/api/v1/orgs/"+id, huge, nil)
	if resp.StatusCode != 413 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("oversized body: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp = app.API(t, "care_not-a-token", "GET", "/api/v1/orgs", nil, &prob)
	if resp.StatusCode != 401 || prob.Detail == "" {
		t.Errorf("bad token: %d %+v", resp.StatusCode, prob)
	}
	// English when asked.
	req, _ := http.NewRequest("PATCH", app.URL+"/api/v1/orgs/"+id, strings.NewReader(`{"finess": "1"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Accept-Language", "en")
	resp = app.Do(t, http.DefaultClient, req)
	if !strings.Contains(testkit.BodyOf(resp), "exactly 9 characters") {
		t.Errorf("english problem: %s", testkit.BodyOf(resp))
	}
	if after := app.Org(t, "CHU de Port-Émeraude"); after.Name != before.Name || after.FINESS != before.FINESS || after.Path != before.Path {
		t.Errorf("bad input changed the CHU: %+v", after)
	}
}

func TestAPIOrgsCreatePatchPaginate(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	token := app.Token(t, "rssi.ght@demo.care.test")
	ght := app.Org(t, "GHT-LE")
	var created orgJSON
	resp := app.API(t, token, "POST", "/api/v1/orgs", map[string]any{"parent_id": ght.ID, "level": "legal_entity", "name": "EHPAD Les Mouettes",
		"finess": org.CompleteFINESS("35007701"), "kind": "ESSMS", "category": "public", "activity_weight": 0.05}, &created)
	if resp.StatusCode != 201 || created.Level != "legal_entity" || *created.ParentID != ght.ID || *created.Kind != "ESSMS" || *created.Category != "public" {
		t.Fatalf("create: %d %s", resp.StatusCode, testkit.BodyOf(resp))
	}
	var patched orgJSON
	app.API(t, token, "PATCH", "/api/v1/orgs/"+strconv.FormatInt(created.ID, 10), map[string]any{"name": "EHPAD Les Mouettes rieuses"}, &patched)
	if patched.Name != "EHPAD Les Mouettes rieuses" {
		t.Errorf("patch: %+v", patched)
	}
	var p page
	app.API(t, token, "GET", "/api/v1/orgs?limit=2&offset=1", nil, &p)
	if len(p.Items) != 2 || p.Limit != 2 || p.Offset != 1 || p.Total != 7 {
		t.Errorf("pagination: %d items, limit %d offset %d total %d", len(p.Items), p.Limit, p.Offset, p.Total)
	}
	if resp := app.API(t, token, "GET", "/api/v1/orgs?limit=0", nil, nil); resp.StatusCode != 422 {
		t.Errorf("limit=0: %d", resp.StatusCode)
	}
	root := app.Org(t, "R01")
	if resp := app.API(t, token, "GET", "/api/v1/orgs/"+strconv.FormatInt(root.ID, 10), nil, nil); resp.StatusCode != 404 {
		t.Errorf("a GHT RSSI reads its region: %d", resp.StatusCode)
	}
}

func TestHealthReadinessMetrics(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	anon := app.Browser(t)
	if resp := app.Get(t, anon, "/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	if resp := app.Get(t, anon, "/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz: %d", resp.StatusCode)
	}
	if resp := app.Get(t, anon, "/metrics"); resp.StatusCode != 401 {
		t.Errorf("metrics without a token: %d", resp.StatusCode)
	}
	if resp := app.API(t, app.Token(t, "rssi@demo.care.test"), "GET", "/metrics", nil, nil); resp.StatusCode != 401 {
		t.Errorf("metrics with a non-admin token: %d", resp.StatusCode)
	}
	resp := app.API(t, app.Token(t, "admin@demo.care.test"), "GET", "/metrics", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(testkit.BodyOf(resp), `care_http_request_duration_seconds_count{code="401",route="GET /metrics"}`) {
		t.Errorf("metrics with an admin token: %d\n%.2000s", resp.StatusCode, testkit.BodyOf(resp))
	}
	if _, err := app.DB.Write.ExecContext(t.Context(), "DELETE FROM schema_migrations"); err != nil {
		t.Fatal(err)
	}
	if resp := app.Get(t, anon, "/readyz"); resp.StatusCode != 503 {
		t.Errorf("readyz on an unmigrated database: %d", resp.StatusCode)
	}
}

func TestWebFormsRerenderWithTranslatedErrors(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	c := app.Login(t, "direction@demo.care.test")
	chu := app.Org(t, "CHU de Port-Émeraude")
	path := "/organisations/" + strconv.FormatInt(chu.ID, 10) + "/modifier"
	form := url.Values{"name": {"CHU renommé"}, "finess": {"12345"}, "kind": {"ES"}, "category": {"public"}, "activity_weight": {"abc"}, "level": {"legal_entity"}}
	resp := app.PostForm(t, c, path, form)
	body := testkit.BodyOf(resp)
	if resp.StatusCode != 422 || !strings.Contains(body, "exactement 9 caractères") || !strings.Contains(body, `value="CHU renommé"`) {
		t.Errorf("edit with a bad FINESS: %d", resp.StatusCode)
	}
	if got := app.Org(t, chu.FINESS); got.Name != chu.Name {
		t.Errorf("a refused edit renamed the CHU to %q", got.Name)
	}
	// The HTML pages carry the security headers.
	resp = app.Get(t, c, "/organisations")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP: %q", csp)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("missing security headers")
	}
	if strings.Contains(testkit.BodyOf(resp), "<script>") || strings.Contains(testkit.BodyOf(resp), " on") && strings.Contains(testkit.BodyOf(resp), "onclick=") {
		t.Error("inline script in a page")
	}
}
