package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"care/internal/testkit"
)

// Without script, a destructive action asks first (issue 15 point 6): disabling
// an account from its page answers with the question and a button that sends the
// same form again; nothing changes until it is sent with confirme=1. A post
// without the question (a script-less client of old, the tests) is unchanged.
func TestDestructiveActionAsksFirst(t *testing.T) {
	testkit.Demo(t, func(t *testing.T, app *testkit.App) {
		ctx := t.Context()
		dsi, err := app.Server.Accounts.ByEmail(ctx, "dsi@demo.care.test")
		if err != nil {
			t.Fatal(err)
		}
		page := "/utilisateurs/" + strconv.FormatInt(dsi.ID, 10)
		c := app.Login(t, "rssi.ght@demo.care.test")
		form := testkit.BodyOf(app.Get(t, c, page))
		if !strings.Contains(form, `name="confirmer" value="confirm.users_disable"`) {
			t.Fatalf("the disable form carries no question: %s", form)
		}

		resp := app.PostForm(t, c, page+"/desactiver", url.Values{"confirmer": {"confirm.users_disable"}})
		body := testkit.BodyOf(resp)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Désactiver ce compte\u00a0? La personne ne pourra plus se connecter.") {
			t.Fatalf("disabling without confirmation: %d, want 200 and the question; %s", resp.StatusCode, body)
		}
		if !strings.Contains(body, `action="`+page+`/desactiver"`) || !strings.Contains(body, `name="confirme" value="1"`) || !strings.Contains(body, `href="/"`) {
			t.Errorf("the confirmation step does not send the form again or offer a way back: %s", body)
		}
		if disabled(t, ctx, app, dsi.Email) {
			t.Fatal("the account is disabled before the confirmation")
		}

		resp = app.PostForm(t, c, page+"/desactiver", url.Values{"confirmer": {"confirm.users_disable"}, "confirme": {"1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("disabling with confirmation: %d", resp.StatusCode)
		}
		if !disabled(t, ctx, app, dsi.Email) {
			t.Fatal("the confirmed action did not disable the account")
		}

		// A question that is not a message key is not asked: the form goes through.
		resp = app.PostForm(t, c, page+"/reactiver", url.Values{"confirmer": {"<script>"}})
		if resp.StatusCode != http.StatusSeeOther || disabled(t, ctx, app, dsi.Email) {
			t.Fatalf("re-enabling with a bad question: %d", resp.StatusCode)
		}
	})
}

func disabled(t *testing.T, ctx context.Context, app *testkit.App, email string) bool {
	t.Helper()
	u, err := app.Server.Accounts.ByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	return u.Disabled
}

// A refused form is shown again with the address of the page it was sent from
// (its Referer, when of this host), which care.js puts in the address bar, and a
// summary that links each reason to its field (issue 15 point 6).
func TestRefusedFormNamesItsPage(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	c := app.Login(t, "rssi@demo.care.test")
	ch := app.Org(t, "CHU de Port-Émeraude")
	page := "/exposition?org=" + strconv.FormatInt(ch.ID, 10)
	post := func(referer string) string {
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/exposition/noeud/"+strconv.FormatInt(ch.ID, 10)+"/cibles", strings.NewReader(url.Values{"value": {"not an address"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.URL)
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		resp := app.Do(t, c, req)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("a bad target: %d", resp.StatusCode)
		}
		return testkit.BodyOf(resp)
	}
	body := post(app.URL + page)
	if !strings.Contains(body, `data-page="`+page+`"`) {
		t.Errorf("the refused form does not name its page %s", page)
	}
	if !strings.Contains(body, `data-refused="/exposition/noeud/`) {
		t.Error("the refused form does not name the address it was posted to")
	}
	if !strings.Contains(body, `<li data-field="value"><a href="#err-value">`) || !strings.Contains(body, `<li data-field="attested"><a href="#err-attested">`) {
		t.Errorf("the summary does not link each reason to its field: %s", body)
	}
	if body := post("http://elsewhere.example/exposition"); strings.Contains(body, "data-page=") {
		t.Error("a Referer of another host is taken as the page")
	}
}
