package server_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/identity"
	"care/internal/platform/db"
	"care/internal/server"
	"care/internal/testkit"
)

// The administration of identity: the providers read from the file, never with
// their secret (page, API, log); the policy per role, edited by an
// administrator only, validated whole (nothing written on bad input), each
// change in the audit trail; and a session that the new policy leaves below is
// raised by a login through the provider it names, in the same session.
func TestIdentityAdministration(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		op := testkit.NewMockOP(t, false)
		logs := &testkit.LockedBuffer{}
		app := oidcAppWith(t, d, op, func(c *server.Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) })
		rssi := app.Login(t, "rssi@demo.care.test")
		put := func(policies ...map[string]any) map[string]any { return map[string]any{"policies": policies} }
		pol := func(role, min string, methods ...string) map[string]any {
			if methods == nil {
				methods = []string{}
			}
			return map[string]any{"role": role, "min_assurance": min, "methods": methods}
		}
		testkit.Play(t, app, []testkit.Scenario{
			{Name: "the administrator sees the providers, not their secret", As: "admin@demo.care.test", Path: "/administration/identite", Status: 200,
				Contains: []string{"Fournisseur de test", op.ClientID, op.Issuer, app.URL + "/connexion/oidc/mock/retour", "secret client configuré", `name="min.rssi_ght"`},
				Excludes: []string{op.Secret}},
			{Name: "the API lists them, not their secret", As: "admin@demo.care.test", Path: "/api/v1/identity/providers", Status: 200,
				Contains: []string{`"client_secret_set": true`, `"redirect_uri": "` + app.URL + `/connexion/oidc/mock/retour"`}, Excludes: []string{op.Secret}},
			{Name: "the defaults", As: "admin@demo.care.test", Path: "/api/v1/identity/policies", Status: 200, Excludes: []string{`"default": false`}},
			{Name: "an RSSI gets no page", As: "rssi@demo.care.test", Path: "/administration/identite", Status: 403},
			{Name: "nor the form", As: "rssi@demo.care.test", Method: "POST", Path: "/administration/identite/politique", Form: url.Values{"min.rssi": {"password"}}, Status: 403},
			{Name: "a direction managing users may not edit it", As: "direction@demo.care.test", Method: "PUT", Path: "/api/v1/identity/policies", Body: put(pol("rssi", "password")), Status: 403},
			{Name: "nor read it", As: "pilote@demo.care.test", Path: "/api/v1/identity/providers", Status: 403},
			{Name: "an unknown role", As: "admin@demo.care.test", Method: "PUT", Path: "/api/v1/identity/policies", Body: put(pol("rssi", "substantial"), pol("chef", "password")), Status: 422, Contains: []string{"chef"}},
			{Name: "an unknown level", As: "admin@demo.care.test", Method: "PUT", Path: "/api/v1/identity/policies", Body: put(pol("rssi", "maximal")), Status: 422},
			{Name: "an unknown provider", As: "admin@demo.care.test", Method: "PUT", Path: "/api/v1/identity/policies", Body: put(pol("rssi", "second_factor", "oidc:ailleurs")), Status: 422, Contains: []string{"oidc:ailleurs"}},
			{Name: "a level no accepted way reaches", As: "admin@demo.care.test", Method: "PUT", Path: "/api/v1/identity/policies", Body: put(pol("admin", "high", "passkey")), Status: 422},
			{Name: "a bad form is shown again", As: "admin@demo.care.test", Method: "POST", Path: "/administration/identite/politique",
				Form: url.Values{"min.rssi": {"substantial"}, "min.dsi": {"maximal"}}, Status: 422, Contains: []string{"maximal"}},
			{Name: "nothing of the above was written", As: "admin@demo.care.test", Path: "/api/v1/identity/policies", Status: 200, Excludes: []string{`"default": false`}},
			{Name: "the administrator requires a passkey or the provider of RSSIs", As: "admin@demo.care.test", Method: "POST", Path: "/administration/identite/politique",
				Form: url.Values{"min.rssi": {"second_factor"}, "ways.rssi": {"passkey", "oidc:mock"}, "min.admin": {"second_factor"}}, Status: 303},
		})
		var policies []account.PolicyJSON
		app.API(t, app.Token(t, "admin@demo.care.test"), "GET", "/api/v1/identity/policies", nil, &policies)
		got := map[string]string{}
		for _, p := range policies {
			got[p.Role] = fmt.Sprintf("%s %v %v", p.MinAssurance, p.Methods, p.Default)
		}
		if got["rssi"] != "second_factor [oidc:mock passkey] false" || got["admin"] != "second_factor [] true" || got["dsi"] != "password [] true" || len(got) != len(authz.Roles) {
			t.Errorf("the policies read back: %v", got)
		}
		if n := countRows(t, app, "SELECT COUNT(*) FROM audit_log WHERE action = 'identity.policy' AND object_id = 'rssi'"); n != 1 {
			t.Errorf("policy changes in the audit trail: %d, want 1", n)
		}
		if n := countRows(t, app, "SELECT COUNT(*) FROM audit_log WHERE action = 'identity.policy'"); n != 1 {
			t.Errorf("an unchanged role was recorded as changed: %d entries", n)
		}
		// The RSSI's password session is now below the policy: only the raising
		// page, which offers the provider and a first passkey, not TOTP.
		if resp := app.Get(t, rssi, "/organisations"); resp.Header.Get("Location") != "/connexion/double-facteur" {
			t.Fatalf("the RSSI's password session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		page := testkit.BodyOf(app.Get(t, rssi, "/connexion/double-facteur"))
		if !strings.Contains(page, `id="oidc-mock"`) || !strings.Contains(page, "passkey-register") || strings.Contains(page, "totp-secret") {
			t.Fatalf("raising page:\n%s", page)
		}
		rssiSessions := "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'rssi@demo.care.test'"
		before := countRows(t, app, rssiSessions)
		op.Set(func(op *testkit.MockOP) {
			op.Claims = map[string]any{"sub": "rssi-7", "email": "rssi@demo.care.test", "email_verified": true, "amr": []string{"pwd", "otp"}}
		})
		if resp, _ := oidcLogin(t, app, op, rssi); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("raising through the provider: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if resp := app.Get(t, rssi, "/organisations"); resp.StatusCode != http.StatusOK {
			t.Errorf("after raising through the provider: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if n := countRows(t, app, rssiSessions); n != before {
			t.Errorf("raising left %d sessions, want %d: the one raised in place", n, before)
		}
		if n := countRows(t, app, "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'rssi@demo.care.test' AND s.method = 'oidc' AND s.provider = 'mock' AND s.assurance = 'substantial'"); n != 1 {
			t.Errorf("the raised session does not record the provider's login")
		}
		if strings.Contains(logs.String(), op.Secret) {
			t.Errorf("the log holds the client secret")
		}
		if !strings.Contains(logs.String(), "/administration/identite") {
			t.Errorf("the request log was not captured: the secret check above proves nothing")
		}
	})
}

// oidcAppWith is oidcApp (generic profile, no client certificate) with more options.
func oidcAppWith(t *testing.T, d *db.DB, op *testkit.MockOP, options ...func(*server.Config)) *testkit.App {
	t.Helper()
	dir := t.TempDir()
	testkit.WriteFile(t, dir, "secret", []byte(op.Secret+"\n"))
	testkit.WriteFile(t, dir, "ca.pem", op.CA.PEM)
	conf := fmt.Sprintf("providers:\n  - id: mock\n    name: Fournisseur de test\n    issuer: %s\n    client_id: %s\n    client_secret_file: secret\n    ca_file: ca.pem\n", op.Issuer, op.ClientID)
	cfg, err := identity.LoadConfig(testkit.WriteFile(t, dir, "oidc.yaml", []byte(conf)))
	if err != nil {
		t.Fatal(err)
	}
	return testkit.NewApp(t, d, append([]func(*server.Config){func(c *server.Config) { c.OIDC = cfg }}, options...)...)
}
