package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"care/internal/account"
	"care/internal/identity"
	"care/internal/platform/db"
	"care/internal/server"
	"care/internal/testkit"
)

// oidcApp is the product with one provider, op, configured through a providers
// file as an administrator would write it; withCert gives it a client
// certificate signed by the provider's CA.
func oidcApp(t *testing.T, d *db.DB, op *testkit.MockOP, profile string, withCert bool) *testkit.App {
	t.Helper()
	dir := t.TempDir()
	testkit.WriteFile(t, dir, "secret", []byte(op.Secret+"\n"))
	testkit.WriteFile(t, dir, "ca.pem", op.CA.PEM)
	conf := fmt.Sprintf("providers:\n  - id: mock\n    name: Fournisseur de test\n    issuer: %s\n    client_id: %s\n    client_secret_file: secret\n    ca_file: ca.pem\n    profile: %s\n",
		op.Issuer, op.ClientID, profile)
	if withCert {
		certPEM, keyPEM := op.CA.LeafPEM(t, "care-client")
		testkit.WriteFile(t, dir, "client.pem", certPEM)
		testkit.WriteFile(t, dir, "client.key", keyPEM)
		conf += "    tls_client_cert_file: client.pem\n    tls_client_key_file: client.key\n"
	}
	cfg, err := identity.LoadConfig(testkit.WriteFile(t, dir, "oidc.yaml", []byte(conf)))
	if err != nil {
		t.Fatal(err)
	}
	return testkit.NewApp(t, d, func(c *server.Config) { c.OIDC = cfg })
}

// oidcLogin goes through a login at op with browser c: the start, the provider
// (which lets the person in at once), and the return, whose answer it gives with
// the return address.
func oidcLogin(t *testing.T, app *testkit.App, op *testkit.MockOP, c *http.Client) (*http.Response, string) {
	t.Helper()
	resp := app.Get(t, c, "/connexion/oidc/mock")
	if resp.StatusCode != http.StatusFound {
		return resp, ""
	}
	back := providerRedirect(t, op, resp.Header.Get("Location"))
	return app.Get(t, c, strings.TrimPrefix(back, app.URL)), back
}

// providerRedirect visits the provider's authorisation address and returns where
// it sends the browser back.
func providerRedirect(t *testing.T, op *testkit.MockOP, to string) string {
	t.Helper()
	if !strings.HasPrefix(to, op.Issuer+"/authorize?") {
		t.Fatalf("the start sends the browser to %q", to)
	}
	opClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: op.CA.Pool()}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := opClient.Get(to)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("the provider answered %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func sessionCookie(c *http.Client, app *testkit.App) string {
	u, _ := url.Parse(app.URL)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == account.CookieName {
			return k.Value
		}
	}
	return ""
}

func countRows(t *testing.T, app *testkit.App, query string, args ...any) int {
	t.Helper()
	var n int
	if err := app.DB.Read.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A first login through a provider links the account whose address the provider
// verified; the next ones find it by the provider's subject even when the address
// changes. The session says how it was opened, and the trail has the link and
// each login.
func TestOIDCLoginLinksByVerifiedEmail(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		op := testkit.NewMockOP(t, false)
		app := oidcApp(t, d, op, identity.Generic, false)
		op.Set(func(op *testkit.MockOP) {
			op.Claims = map[string]any{"sub": "agent-42", "email": "RSSI@demo.care.test", "email_verified": true, "amr": []string{"pwd", "otp"}}
		})
		page := testkit.BodyOf(app.Get(t, app.Browser(t), "/connexion"))
		if !strings.Contains(page, `href="/connexion/oidc/mock"`) || !strings.Contains(page, "Se connecter avec Fournisseur de test") {
			t.Fatalf("the login page has no button for the provider")
		}
		c := app.Browser(t)
		resp, _ := oidcLogin(t, app, op, c)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("return: %d to %q: %s", resp.StatusCode, resp.Header.Get("Location"), testkit.BodyOf(resp))
		}
		profile := testkit.BodyOf(app.Get(t, c, "/profil"))
		if !strings.Contains(profile, "fournisseur d&#39;identité · Fournisseur de test · niveau eIDAS substantiel") {
			t.Errorf("the sessions list does not say how the session was opened:\n%s", profile)
		}
		op.Set(func(op *testkit.MockOP) { op.Claims["email"] = "another@elsewhere.test" })
		c2 := app.Browser(t)
		if resp, _ := oidcLogin(t, app, op, c2); resp.StatusCode != http.StatusSeeOther || sessionCookie(c2, app) == "" {
			t.Fatalf("second login: %d", resp.StatusCode)
		}
		if n := countRows(t, app, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.oidc_link'"); n != 1 {
			t.Errorf("%d link entries, want 1", n)
		}
		if n := countRows(t, app, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.oidc_login'"); n != 2 {
			t.Errorf("%d login entries, want 2", n)
		}
		if n := countRows(t, app, "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'rssi@demo.care.test' AND s.method = 'oidc' AND s.stage = 'full'"); n != 2 {
			t.Errorf("%d full oidc sessions for the account, want 2", n)
		}
	})
}

// Every way a return can be wrong gets its message on the login page, an entry
// in the trail, and never a session.
func TestOIDCLoginRefusals(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		op := testkit.NewMockOP(t, false)
		app := oidcApp(t, d, op, identity.Generic, false)
		person := map[string]any{"sub": "agent-7", "email": "dsi@demo.care.test", "email_verified": true, "amr": []string{"pwd", "otp"}}
		stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
		cases := []struct {
			name  string
			setup func(op *testkit.MockOP)
			run   func(t *testing.T, c *http.Client) *http.Response
			want  string
		}{
			{"bad state", nil, func(t *testing.T, c *http.Client) *http.Response {
				resp := app.Get(t, c, "/connexion/oidc/mock")
				back, _ := url.Parse(providerRedirect(t, op, resp.Header.Get("Location")))
				q := back.Query()
				q.Set("state", "forged")
				back.RawQuery = q.Encode()
				return app.Get(t, c, back.RequestURI())
			}, "Cette connexion n&#39;a pas été demandée depuis ce navigateur"},
			{"state of another browser", nil, func(t *testing.T, c *http.Client) *http.Response {
				resp := app.Get(t, app.Browser(t), "/connexion/oidc/mock")
				back, _ := url.Parse(providerRedirect(t, op, resp.Header.Get("Location")))
				return app.Get(t, c, back.RequestURI())
			}, "Cette connexion n&#39;a pas été demandée depuis ce navigateur"},
			{"replayed return", nil, func(t *testing.T, c *http.Client) *http.Response {
				resp, back := oidcLogin(t, app, op, app.Browser(t))
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("first use refused: %d", resp.StatusCode)
				}
				return app.Get(t, c, strings.TrimPrefix(back, app.URL))
			}, "Cette connexion n&#39;a pas été demandée depuis ce navigateur"},
			{"replayed code", nil, func(t *testing.T, c *http.Client) *http.Response {
				_, back := oidcLogin(t, app, op, app.Browser(t))
				old, _ := url.Parse(back)
				resp := app.Get(t, c, "/connexion/oidc/mock")
				fresh, _ := url.Parse(providerRedirect(t, op, resp.Header.Get("Location")))
				q := fresh.Query()
				q.Set("code", old.Query().Get("code"))
				fresh.RawQuery = q.Encode()
				return app.Get(t, c, fresh.RequestURI())
			}, "Le fournisseur d&#39;identité a refusé le code de connexion"},
			{"wrong audience", func(op *testkit.MockOP) { op.Tweak = func(c map[string]any) { c["aud"] = "another-client" } }, nil, "n&#39;a pas pu être vérifiée"},
			{"expired token", func(op *testkit.MockOP) {
				op.Tweak = func(c map[string]any) {
					c["iat"], c["exp"] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-30*time.Minute).Unix()
				}
			}, nil, "n&#39;a pas pu être vérifiée"},
			{"wrong nonce", func(op *testkit.MockOP) { op.Tweak = func(c map[string]any) { c["nonce"] = "replayed" } }, nil, "n&#39;a pas pu être vérifiée"},
			{"unknown key", func(op *testkit.MockOP) { op.SignWith = stranger }, nil, "n&#39;a pas pu être vérifiée"},
			{"signed userinfo with an unknown key", func(op *testkit.MockOP) {
				op.SignedUserinfo, op.UserinfoKey = true, stranger
			}, nil, "n&#39;a pas pu être vérifiée"},
			{"unknown person", func(op *testkit.MockOP) {
				op.Claims = map[string]any{"sub": "nobody", "email": "nobody@demo.care.test", "email_verified": true}
			}, nil,
				"Aucun compte ne correspond à cette identité"},
			{"address not verified", func(op *testkit.MockOP) {
				op.Claims = map[string]any{"sub": "agent-8", "email": "dsi@demo.care.test", "email_verified": false}
			}, nil,
				"Aucun compte ne correspond à cette identité"},
			{"disabled account", func(op *testkit.MockOP) {
				op.Claims = map[string]any{"sub": "agent-9", "email": "lecteur@demo.care.test", "email_verified": true}
			}, nil, "Ce compte est désactivé."},
			{"discovery failing", func(op *testkit.MockOP) { op.DiscoveryDown = true }, func(t *testing.T, c *http.Client) *http.Response {
				return app.Get(t, c, "/connexion/oidc/mock")
			}, "Le fournisseur d&#39;identité ne répond pas"},
		}
		if _, err := app.DB.Write.ExecContext(t.Context(), "UPDATE users SET disabled_at = $1 WHERE email = 'lecteur@demo.care.test'", db.Now()); err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.name == "discovery failing" {
					// Discovery is kept once it succeeded: this case needs a fresh instance.
					op2 := testkit.NewMockOP(t, false)
					app2 := oidcApp(t, testkit.SQLite(t), op2, identity.Generic, false)
					op2.Set(tc.setup)
					c := app2.Browser(t)
					resp := app2.Get(t, c, "/connexion/oidc/mock")
					if resp.StatusCode != http.StatusBadGateway || !strings.Contains(testkit.BodyOf(resp), tc.want) || sessionCookie(c, app2) != "" {
						t.Fatalf("discovery failing: %d %s", resp.StatusCode, testkit.BodyOf(resp))
					}
					return
				}
				op.Set(func(op *testkit.MockOP) {
					op.Claims, op.Tweak, op.SignWith, op.SignedUserinfo, op.UserinfoKey, op.DiscoveryDown = map[string]any{}, nil, nil, false, nil, false
					for k, v := range person {
						op.Claims[k] = v
					}
					if tc.setup != nil {
						tc.setup(op)
					}
				})
				sessions := countRows(t, app, "SELECT COUNT(*) FROM sessions")
				failures := countRows(t, app, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.oidc_failure'")
				c := app.Browser(t)
				var resp *http.Response
				if tc.run != nil {
					resp = tc.run(t, c)
				} else {
					resp, _ = oidcLogin(t, app, op, c)
				}
				body := testkit.BodyOf(resp)
				if resp.StatusCode < 400 || !strings.Contains(body, tc.want) {
					t.Fatalf("answer %d, want an error saying %q:\n%s", resp.StatusCode, tc.want, body)
				}
				if sessionCookie(c, app) != "" {
					t.Error("a session cookie was set")
				}
				after := countRows(t, app, "SELECT COUNT(*) FROM sessions")
				if tc.name == "replayed return" || tc.name == "replayed code" {
					after-- // the first, good use opened one
				}
				if after != sessions {
					t.Errorf("sessions went from %d to %d", sessions, after)
				}
				if n := countRows(t, app, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.oidc_failure'"); n != failures+1 {
					t.Errorf("failure entries went from %d to %d", failures, n)
				}
			})
		}
	})
}

// A Pro Santé Connect login: the token endpoint asks for a client certificate
// (mutual TLS), userinfo comes signed, the national identifier an administrator
// recorded finds the account, and a smart card with its PIN is eIDAS high.
// Without the certificate the exchange fails with its own message.
func TestOIDCProSanteConnectWithMutualTLS(t *testing.T) {
	testkit.Engines(t, func(t *testing.T, d *db.DB) {
		op := testkit.NewMockOP(t, true)
		psc := map[string]any{"sub": "f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:ANS", "acr": "eidas1", "amr": []string{"sc", "pin"}}
		op.Set(func(op *testkit.MockOP) {
			op.Claims, op.SignedUserinfo = psc, true
			op.Userinfo = map[string]any{"SubjectNameID": "810002345678", "preferred_username": "810002345678",
				"SubjectRefPro": map[string]any{"exercices": []any{map[string]any{"codeProfession": "10"}}}}
		})
		app := oidcApp(t, d, op, identity.PSC, true)
		admin := app.Login(t, "admin@demo.care.test")
		u, err := app.Server.Accounts.ByEmail(t.Context(), "dsi@demo.care.test")
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/utilisateurs/%d/identifiant-national", u.ID)
		if resp := app.PostForm(t, admin, path, url.Values{"professional_id": {"81000-2345"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(testkit.BodyOf(resp), "Identifiant national invalide") {
			t.Fatalf("a malformed identifier: %d", resp.StatusCode)
		}
		if resp := app.PostForm(t, admin, path, url.Values{"professional_id": {"810002345678"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("recording the identifier: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		c := app.Browser(t)
		resp, _ := oidcLogin(t, app, op, c)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("PSC login: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		if n := countRows(t, app, "SELECT COUNT(*) FROM sessions WHERE user_id = $1 AND method = 'oidc' AND assurance = 'high' AND provider = 'mock'", u.ID); n != 1 {
			t.Errorf("%d high-assurance sessions for the account, want 1", n)
		}
		if n := countRows(t, app, "SELECT COUNT(*) FROM audit_log WHERE action = 'account.oidc_link' AND changes LIKE '%professional_id%'"); n != 1 {
			t.Errorf("%d links by national identifier in the trail, want 1", n)
		}

		// The same provider without a client certificate.
		plain := oidcApp(t, testkit.SQLite(t), op, identity.PSC, false)
		c = plain.Browser(t)
		resp, _ = oidcLogin(t, plain, op, c)
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(testkit.BodyOf(resp), "exige un certificat client") || sessionCookie(c, plain) != "" {
			t.Fatalf("without a client certificate: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
	})
}
