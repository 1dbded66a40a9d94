package account_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"care/internal/demo"
	"care/internal/platform/problem"
	"care/internal/testkit"
)

// A GHT's RSSI disables the account of a DSI who left: the DSI's open session and
// API token stop working at once and the password no longer opens a session; the
// RSSI re-enables it later. Nobody disables an account with roles beyond their
// reach, nor their own.
func TestDisableAccount(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		ctx := t.Context()
		dsi, err := app.Server.Accounts.ByEmail(ctx, "dsi@demo.care.test")
		if err != nil {
			t.Fatal(err)
		}
		session := app.Login(t, "dsi@demo.care.test")
		token := app.Token(t, "dsi@demo.care.test")
		path := "/api/v1/users/" + strconv.FormatInt(dsi.ID, 10)
		if resp := app.Get(t, session, "/organisations"); resp.StatusCode != http.StatusOK {
			t.Fatalf("the DSI's session before: %d", resp.StatusCode)
		}

		// Beyond reach: the CHU's direction manages its CHU, not the CH.
		if resp := app.API(t, app.Token(t, "direction@demo.care.test"), "POST", path+"/disable", nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the CHU's direction disables the CH's DSI: %d", resp.StatusCode)
		}
		ght := app.Token(t, "rssi.ght@demo.care.test")
		admin, _ := app.Server.Accounts.ByEmail(ctx, "admin@demo.care.test")
		if resp := app.API(t, ght, "POST", "/api/v1/users/"+strconv.FormatInt(admin.ID, 10)+"/disable", nil, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the GHT's RSSI disables the national administrator: %d", resp.StatusCode)
		}
		ghtUser, _ := app.Server.Accounts.ByEmail(ctx, "rssi.ght@demo.care.test")
		if err := app.Server.Accounts.SetDisabled(testkit.As(t, app, "rssi.ght@demo.care.test"), ghtUser.ID, true); !problem.Is(err, problem.Conflict) {
			t.Errorf("disabling oneself: %v", err)
		}

		if resp := app.API(t, ght, "POST", path+"/disable", nil, nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("disable: %d %s", resp.StatusCode, testkit.BodyOf(resp))
		}
		// (The test client does not follow redirects: a closed session is sent to the login page.)
		if resp := app.Get(t, session, "/organisations"); resp.StatusCode == http.StatusOK || !strings.HasPrefix(resp.Header.Get("Location"), "/connexion") {
			t.Errorf("the open session still works: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp := app.API(t, token, "GET", "/api/v1/orgs", nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the token still works: %d", resp.StatusCode)
		}
		if _, err := app.Server.Accounts.Authenticate(ctx, "dsi@demo.care.test", demo.Password, "127.0.0.31"); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("the password still opens a session: %v", err)
		}
		var shown struct{ Disabled bool }
		app.API(t, ght, "GET", path, nil, &shown)
		if !shown.Disabled {
			t.Error("the API does not show the account disabled")
		}
		var trail struct{ Total int }
		app.API(t, app.Token(t, "admin@demo.care.test"), "GET", "/api/v1/audit?action=user.disable", nil, &trail)
		if trail.Total != 1 {
			t.Errorf("%d user.disable entries in the trail", trail.Total)
		}

		// Re-enabled from the page.
		c := app.Login(t, "rssi.ght@demo.care.test")
		app.PostForm(t, c, "/utilisateurs/"+strconv.FormatInt(dsi.ID, 10)+"/reactiver", url.Values{})
		if _, err := app.Server.Accounts.Authenticate(ctx, "dsi@demo.care.test", demo.Password, "127.0.0.32"); err != nil {
			t.Errorf("after re-enabling: %v", err)
		}
	})
}
