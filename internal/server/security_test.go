package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"care/internal/demo"
	"care/internal/org"
	"care/internal/testkit"
)

// A return address taken from a request only ever leads to a page of this host,
// after a login and after a change of language.
func TestReturnAddressesStayOnThisHost(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	for _, evil := range []string{"/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "/\n/evil.example", "http:evil.example"} {
		page := testkit.BodyOf(app.Get(t, app.Browser(t), "/connexion?retour="+url.QueryEscape(evil)))
		if strings.Contains(page, "evil.example") {
			t.Errorf("the login form keeps %q", evil)
		}
		resp := app.PostForm(t, app.Browser(t), "/connexion", url.Values{"email": {"rssi@demo.care.test"}, "password": {demo.Password}, "retour": {evil}})
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("after login with retour %q: Location %q", evil, loc)
		}
		resp = app.PostForm(t, app.Browser(t), "/langue", url.Values{"lang": {"en"}, "back": {evil}})
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("language switch with back %q: Location %q", evil, loc)
		}
	}
	resp := app.PostForm(t, app.Browser(t), "/connexion", url.Values{"email": {"rssi@demo.care.test"}, "password": {demo.Password}, "retour": {"/exercices?vue=1"}})
	if loc := resp.Header.Get("Location"); loc != "/exercices?vue=1" {
		t.Errorf("a local return address is lost: %q", loc)
	}
}

// A body over its route's limit answers 413 with a problem document, on the
// routes that read whole files.
func TestOversizedBodiesAnswer413(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	admin, rssi := app.Token(t, "admin@demo.care.test"), app.Token(t, "rssi@demo.care.test")
	var ex struct {
		ID int64 `json:"id"`
	}
	app.API(t, rssi, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": app.Org(t, "CHU de Port-Émeraude").ID}, &ex)
	for _, c := range []struct {
		token, path string
		size        int
	}{
		{admin, "/api/v1/kits", 2 << 20},
		{admin, "/api/v1/orgs/import", org.MaxImportBytes + 1<<20},
		{rssi, fmt.Sprintf("/api/v1/exercises/%d/chronogramme", ex.ID), 2 << 20},
	} {
		req, _ := http.NewRequest("POST", app.URL+c.path, bytes.NewReader(bytes.Repeat([]byte("a;b;c\n"), c.size/6)))
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp := app.Do(t, http.DefaultClient, req)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s with %d bytes: %d %s %.200s", c.path, c.size, resp.StatusCode, resp.Header.Get("Content-Type"), testkit.BodyOf(resp))
		}
	}
}

// An invitation answers the same whether the address has an account or not, and
// whatever establishment that account belongs to.
func TestInvitationsDoNotTellAddressesApart(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	rssi := app.Token(t, "rssi@demo.care.test")
	var ex struct {
		ID int64 `json:"id"`
	}
	app.API(t, rssi, "POST", "/api/v1/exercises", map[string]any{"kit": "kit-debutant", "org": app.Org(t, "CHU de Port-Émeraude").ID}, &ex)
	var answers []string
	for _, email := range []string{"inconnu@prefecture.test", "dsi@demo.care.test", "admin@demo.care.test", "pcra@demo.care.test"} {
		resp := app.API(t, rssi, "POST", fmt.Sprintf("/api/v1/exercises/%d/guests", ex.ID), map[string]any{"email": email, "name": "Invité", "role": "observer"}, nil)
		answers = append(answers, fmt.Sprintf("%d %s", resp.StatusCode, testkit.BodyOf(resp)))
	}
	for i, a := range answers {
		if a != answers[0] {
			t.Errorf("invitation %d answered %q, the unknown address %q", i, a, answers[0])
		}
	}
	app.Mail.Wait(t, 4) // every address is written to: a link for the new one, a notice for the others
}

// A node id that is not one is a bad request, never read as "no node".
func TestMalformedOrgIsABadRequest(t *testing.T) {
	app := testkit.NewApp(t, testkit.SQLite(t))
	client := app.Login(t, "rssi@demo.care.test")
	for _, path := range []string{"/exposition?org=abc", "/exposition?org=-3", "/exposition/noeud/x1/constats.xlsx"} {
		if resp := app.Get(t, client, path); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}
