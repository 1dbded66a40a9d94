package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"care/internal/account"
	"care/internal/demo"
	"care/internal/org"
	"care/internal/testkit"
)

// journeyTimeout bounds one whole journey, browser steps included.
const journeyTimeout = 30 * time.Second

// journey is one person's walk through the product in a real Chromium, against an
// app of its own.
type journey struct {
	t   *testing.T
	app *testkit.App
	ctx context.Context // the browser tab, with the journey's deadline
}

func newJourney(t *testing.T) *journey {
	t.Helper()
	return newJourneyWithin(t, journeyTimeout)
}

// newJourneyWithin is a journey bounded by within: a walk of many pages (the
// questionnaire, one theme per step) takes longer than one form.
func newJourneyWithin(t *testing.T, within time.Duration) *journey {
	t.Helper()
	browser := testkit.NewBrowser(t)
	app := testkit.NewApp(t, testkit.SQLite(t))
	ctx, cancel := context.WithTimeout(browser, within)
	t.Cleanup(cancel)
	return &journey{t: t, app: app, ctx: ctx}
}

// do runs browser steps that return nothing.
func (j *journey) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	if err := chromedp.Do(j.ctx, steps...); err != nil {
		j.t.Fatalf("%s: %v", what, err)
	}
}

// open loads path and checks that the page answered 200.
func (j *journey) open(path string) {
	j.t.Helper()
	resp, err := chromedp.Run(j.ctx, chromedp.NavigateResponse(j.app.URL+path))
	if err != nil {
		j.t.Fatalf("opening %s: %v", path, err)
	}
	if resp.Status != 200 {
		j.t.Fatalf("opening %s: status %d", path, resp.Status)
	}
}

// submit clicks the element sel, waits for the page it leads to and returns the
// status of that page (after redirects).
func (j *journey) submit(what, sel string, steps ...chromedp.Action[chromedp.Void]) int64 {
	j.t.Helper()
	steps = append(steps, chromedp.Click(chromedp.CSS(sel)))
	resp, err := chromedp.RunResponse(j.ctx, steps...)
	if err != nil {
		j.t.Fatalf("%s: %v", what, err)
	}
	return resp.Status
}

// text returns the visible text of the first element matching sel.
func (j *journey) text(sel string) string {
	j.t.Helper()
	s, err := chromedp.Run(j.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		j.t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// path returns the path (and query) of the current page.
func (j *journey) path() string {
	j.t.Helper()
	loc, err := chromedp.Run(j.ctx, chromedp.Location())
	if err != nil {
		j.t.Fatalf("reading the location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		j.t.Fatalf("location %q: %v", loc, err)
	}
	return u.RequestURI()
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](j *journey, expr string) T {
	j.t.Helper()
	v, err := chromedp.Run(j.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		j.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// texts returns the trimmed text of every element matching sel.
func (j *journey) texts(sel string) []string {
	j.t.Helper()
	return eval[[]string](j, `Array.from(document.querySelectorAll(`+js(sel)+`), e => e.textContent.trim())`)
}

// follow clicks the link of the list sel whose text is exactly name, and checks
// that the page it leads to answered 200.
func (j *journey) follow(sel, name string) {
	j.t.Helper()
	links := j.texts(sel)
	i := slices.Index(links, name)
	if i < 0 {
		j.t.Fatalf("on %s, no link %q in %s; the links are %q", j.path(), name, sel, links)
	}
	path := chromedp.JSPath(fmt.Sprintf(`document.querySelectorAll(%s)[%d]`, js(sel), i))
	resp, err := chromedp.RunResponse(j.ctx, chromedp.Click(path))
	if err != nil {
		j.t.Fatalf("following %q: %v", name, err)
	}
	if resp.Status != 200 {
		j.t.Fatalf("following %q: status %d", name, resp.Status)
	}
}

// login fills the login form, and the second-factor form when the account asks
// for it; it reports whether the second factor was asked.
// firstPassword is what a journey chooses when a one-time password asks for a new one.
const firstPassword = "premier-mot-de-passe-2026"

func (j *journey) login(email, password string) (totp bool) {
	j.t.Helper()
	j.open("/connexion")
	if got := j.text("h1"); got != "Connexion" {
		j.t.Fatalf("login page title = %q, want %q", got, "Connexion")
	}
	j.submit("submitting the password of "+email, `form[action="/connexion"] button[type=submit]`,
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	if j.path() == "/connexion/mot-de-passe" {
		// A one-time password: the person chooses their own before anything else.
		j.submit("choosing the first password of "+email, `form[action="/connexion/mot-de-passe"] button[type=submit]`,
			chromedp.SendKeys(chromedp.ID("password"), firstPassword),
			chromedp.SendKeys(chromedp.ID("confirm"), firstPassword))
	}
	if j.path() == "/connexion/code" {
		totp = true
		code, err := account.TOTPCode(demo.TOTPSecret, account.TOTPStep(time.Now()))
		if err != nil {
			j.t.Fatal(err)
		}
		j.submit("submitting the TOTP code of "+email, `form[action="/connexion/code"] button[type=submit]`,
			chromedp.SendKeys(chromedp.ID("code"), code))
	}
	if p := j.path(); p != "/" {
		j.t.Fatalf("after logging in as %s the browser is on %s (h1 %q), want /", email, p, j.text("h1"))
	}
	return totp
}

// wantH1 checks the page's h1 (badges included) starts with want.
func (j *journey) wantH1(want string) {
	j.t.Helper()
	if got := j.text("h1"); !strings.HasPrefix(got, want) {
		j.t.Fatalf("on %s, h1 = %q, want it to start with %q", j.path(), got, want)
	}
}

func TestJourneyLoginWithTOTP(t *testing.T) {
	j := newJourney(t)
	if !j.login("admin@demo.care.test", demo.Password) {
		t.Fatal("the admin account was not asked for its TOTP code")
	}
	if got := j.text("h1"); !strings.Contains(got, "Bonjour Camille Admin") {
		t.Fatalf("home h1 = %q, want it to contain %q", got, "Bonjour Camille Admin")
	}
	if got := j.text("header .who"); got != "Camille Admin" {
		t.Errorf("header shows %q as the logged-in person, want %q", got, "Camille Admin")
	}
}

func TestJourneyBrowseTree(t *testing.T) {
	j := newJourney(t)
	j.login("admin@demo.care.test", demo.Password)

	j.open("/organisations")
	j.wantH1("Organisations")
	// The admin's scope is the whole programme, whose root is the national node.
	j.follow("ul.tree a", org.RootName)
	j.wantH1(org.RootName)
	j.follow("ul.tree a", "Région Armor-Océan (fictive)")
	j.wantH1("Région Armor-Océan (fictive)")
	j.follow("ul.tree a", "GHT Littoral Émeraude")
	j.wantH1("GHT Littoral Émeraude")
	j.follow("ul.tree a", "CHU de Port-Émeraude")
	j.wantH1("CHU de Port-Émeraude")

	crumbs := j.texts("nav.crumbs a")
	for _, want := range []string{"Région Armor-Océan (fictive)", "GHT Littoral Émeraude"} {
		if !slices.Contains(crumbs, want) {
			t.Errorf("the CHU's breadcrumb %q lacks %q", crumbs, want)
		}
	}
	children := j.texts("ul.tree a")
	for _, want := range []string{"CHU de Port-Émeraude — Hôpital Nord", "CHU de Port-Émeraude — Hôpital Sud"} {
		if !slices.Contains(children, want) {
			t.Errorf("the CHU's children %q lack %q", children, want)
		}
	}

	// The tree opens in place: htmx fetches a node's children without leaving the page.
	j.open("/organisations")
	region := "Région Armor-Océan (fictive)"
	open := chromedp.JSPath(`document.querySelector('a.open[aria-label*=` + js(region) + `]')`)
	j.do("opening the region in place", chromedp.Click(open))
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(j.texts("ul.tree a"), "GHT Littoral Émeraude") {
		if time.Now().After(deadline) {
			t.Fatalf("the region's GHT never appeared in the tree: %q", j.texts("ul.tree a"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p := j.path(); p != "/organisations" {
		t.Errorf("opening a node in place navigated to %s", p)
	}

	j.open("/organisations")
	j.submit("searching", `form[role=search] button[type=submit]`, chromedp.SendKeys(chromedp.ID("q"), "Quatre-Vents"))
	if p := j.path(); !strings.HasPrefix(p, "/organisations?") || !strings.Contains(p, "q=Quatre-Vents") {
		t.Errorf("the search led to %s", p)
	}
	results := j.texts("ul.tree a")
	if !slices.Contains(results, "Clinique des Quatre-Vents") {
		t.Fatalf("searching Quatre-Vents found %q, want Clinique des Quatre-Vents", results)
	}
	if slices.Contains(results, "CHU de Port-Émeraude") {
		t.Errorf("searching Quatre-Vents also found the CHU: %q", results)
	}
	j.follow("ul.tree a", "Clinique des Quatre-Vents")
	j.wantH1("Clinique des Quatre-Vents")
}

func TestJourneyCreateUser(t *testing.T) {
	const (
		name  = "Alex Nouveau"
		email = "alex.nouveau@demo.care.test"
		site  = "Centre hospitalier de Saint-Aubin-des-Landes"
	)
	j := newJourney(t)
	j.login("admin@demo.care.test", demo.Password)

	j.open("/utilisateurs/nouveau")
	orgID := eval[string](j, `(Array.from(document.querySelectorAll("#org option")).find(o => o.textContent.includes(`+js(site)+`)) || {value: ""}).value`)
	if orgID == "" {
		t.Fatalf("the organisation list has no %q: %q", site, j.texts("#org option"))
	}
	j.do("filling the new user form",
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SetValue(chromedp.ID("role"), "rssi"),
		chromedp.SetValue(chromedp.ID("org"), orgID),
	)
	if got := eval[string](j, `document.querySelector("#role").value`); got != "rssi" {
		t.Fatalf("the role select holds %q, want rssi (options %q)", got, j.texts("#role option"))
	}
	if got := eval[string](j, `document.querySelector("#org").value`); got != orgID {
		t.Fatalf("the org select holds %q, want %q", got, orgID)
	}
	if status := j.submit("creating the user", `form[action="/utilisateurs/nouveau"] button[type=submit]`); status != 201 {
		t.Fatalf("creating the user answered %d (page %s, h1 %q)", status, j.path(), j.text("h1"))
	}
	j.wantH1(name)
	password := j.text("#one-time-password")
	if len(password) != 26 {
		t.Fatalf("one-time password %q has %d characters, want 26", password, len(password))
	}
	if roles := j.text("#h-roles + table"); !strings.Contains(roles, site) {
		t.Errorf("the new user's roles %q do not mention %s", roles, site)
	}

	j.submit("logging out", `form[action="/deconnexion"] button[type=submit]`)
	if p := j.path(); p != "/connexion" {
		t.Fatalf("after logging out the browser is on %s, want /connexion", p)
	}
	if j.login(email, password) {
		t.Error("the new rssi account was asked for a TOTP code")
	}
	if got, want := j.text("h1"), "Bonjour "+name; !strings.Contains(got, want) {
		t.Fatalf("the new user's home h1 = %q, want it to contain %q", got, want)
	}
}

func TestJourneySwitchLanguage(t *testing.T) {
	j := newJourney(t)
	j.login("rssi@demo.care.test", demo.Password)

	lang := func() string { return eval[string](j, `document.documentElement.lang`) }
	nav := func() []string { return j.texts("nav.mainnav a") }
	const switcher = `form[action="/langue"] button[type=submit]`

	if got := lang(); got != "fr" {
		t.Fatalf(`<html lang> = %q before switching, want "fr"`, got)
	}
	if got := j.text(switcher); got != "English" {
		t.Fatalf("the language button says %q, want English", got)
	}
	j.submit("switching to English", switcher)
	if p := j.path(); p != "/" {
		t.Errorf("switching the language led to %s, want back to /", p)
	}
	if got := lang(); got != "en" {
		t.Fatalf(`<html lang> = %q after switching to English, want "en"`, got)
	}
	if links := nav(); !slices.Contains(links, "My account") || !slices.Contains(links, "Home") {
		t.Fatalf("the English navigation is %q, want My account and Home in it", links)
	}
	if got := j.text("h1"); !strings.Contains(got, "Hello Lou Rssi") {
		t.Errorf("English home h1 = %q, want Hello Lou Rssi", got)
	}
	if got := j.text(switcher); got != "Français" {
		t.Fatalf("the language button says %q in English, want Français", got)
	}

	j.submit("switching back to French", switcher)
	if got := lang(); got != "fr" {
		t.Fatalf(`<html lang> = %q after switching back, want "fr"`, got)
	}
	if links := nav(); !slices.Contains(links, "Mon compte") || slices.Contains(links, "My account") {
		t.Fatalf("the French navigation is %q, want Mon compte and no My account", links)
	}
}

// another opens a second person's browser window: a browser context of its own
// (its own cookies) in the same Chromium, on the same app.
func (j *journey) another() *journey {
	j.t.Helper()
	ctx, cancel := chromedp.NewContext(j.ctx, chromedp.WithNewBrowserContext())
	j.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		j.t.Fatalf("opening another browser context: %v", err)
	}
	return &journey{t: j.t, app: j.app, ctx: ctx}
}
