package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/identity"
	"care/internal/server"
	"care/internal/testkit"
)

// A person invited to the platform logs in for the first time through an
// OpenID Provider, in a real browser: the login page's button, the provider's
// own login form (zitadel/oidc's example OpenID Provider, in process on
// loopback), and back with a session linked to the invited account by the
// address the provider verified. The provider asserts a password alone, so the
// session says eIDAS low.
func TestJourneyOIDCLogin(t *testing.T) {
	browser := testkit.NewBrowser(t)
	opServer := httptest.NewUnstartedServer(nil)
	issuer := "http://" + opServer.Listener.Addr().String()
	dir := t.TempDir()
	testkit.WriteFile(t, dir, "secret", []byte("journey-secret"))
	conf := fmt.Sprintf("providers:\n  - id: zitadel\n    name: Fournisseur de l'établissement\n    issuer: %s\n    client_id: care-journey\n    client_secret_file: secret\n", issuer)
	cfg, err := identity.LoadConfig(testkit.WriteFile(t, dir, "oidc.yaml", []byte(conf)))
	if err != nil {
		t.Fatal(err)
	}
	app := testkit.NewApp(t, testkit.SQLite(t), func(c *server.Config) { c.OIDC = cfg })
	// The example provider keeps its clients in a package variable: one client
	// id per test, and no t.Parallel here.
	storage.RegisterClients(storage.WebClient("care-journey", "journey-secret", app.Server.RedirectURI("zitadel")))
	opServer.Config.Handler = exampleop.SetupServer(issuer, storage.NewStorage(storage.NewUserStore(issuer)), nil, false)
	opServer.Start()
	t.Cleanup(opServer.Close)

	chu := app.Org(t, "CHU de Port-Émeraude")
	invited, _, err := app.Server.Accounts.Create(testkit.As(t, app, "admin@demo.care.test"),
		account.NewUser{Email: "test-user@zitadel.ch", Name: "Test User", Role: authz.RSSI, OrgID: chu.ID})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(browser, journeyTimeout)
	defer cancel()
	j := &journey{t: t, app: app, ctx: ctx}
	j.open("/connexion")
	if got := j.text("#oidc-zitadel"); got != "Se connecter avec Fournisseur de l'établissement" {
		t.Fatalf("the provider's button says %q", got)
	}
	j.submit("leaving for the provider", "#oidc-zitadel")
	if loc := eval[string](j, "location.href"); !strings.HasPrefix(loc, issuer+"/login/") {
		t.Fatalf("the button leads to %s, not to the provider's login form", loc)
	}
	j.submit("logging in at the provider", `button[type=submit]`,
		chromedp.SendKeys(chromedp.ID("username"), "test-user@127.0.0.1"),
		chromedp.SendKeys(chromedp.ID("password"), "verysecure"))
	if p := j.path(); p != "/" {
		t.Fatalf("back from the provider the browser is on %s: %s", p, j.text("main"))
	}
	j.open("/profil")
	if got := j.text("tr:has(.badge) .session-method"); got != "fournisseur d'identité · Fournisseur de l'établissement · niveau eIDAS faible" {
		t.Errorf("the sessions list says %q", got)
	}
	testkit.Screenshot(t, j.ctx)
	var linked int
	if err := app.DB.Read.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM user_identities WHERE user_id = $1 AND provider = 'zitadel' AND subject = 'id1'", invited.ID).Scan(&linked); err != nil || linked != 1 {
		t.Errorf("the invited account is not linked to the provider's subject (%d, %v)", linked, err)
	}
}
