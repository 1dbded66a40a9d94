package testkit

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Scenario is one request and what must come back: the table-driven way to check
// who sees what and how bad input is refused, capability by capability.
type Scenario struct {
	Name   string
	As     string // a demo account's e-mail; "" for an anonymous request
	Method string // GET when empty
	Path   string
	// Body is sent as JSON (API paths, with the account's bearer token); Form as a
	// form posted by the account's logged-in browser (pages).
	Body any
	Form url.Values
	// Status is the status wanted; Contains and Excludes are texts the body must
	// and must not hold.
	Status   int
	Contains []string
	Excludes []string
}

// Play runs the scenarios against app in order, each as a subtest named after
// the scenario. Paths under /api/ go with a bearer token of the account; other
// paths with its browser session (redirects are not followed).
func Play(t *testing.T, app *App, scenarios []Scenario) {
	t.Helper()
	tokens := map[string]string{}
	browsers := map[string]*http.Client{}
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			method := sc.Method
			if method == "" {
				method = http.MethodGet
			}
			var resp *http.Response
			switch {
			case strings.HasPrefix(sc.Path, "/api/"):
				token, ok := tokens[sc.As]
				if !ok && sc.As != "" {
					token = app.Token(t, sc.As)
					tokens[sc.As] = token
				}
				resp = app.API(t, token, method, sc.Path, sc.Body, nil)
			default:
				c, ok := browsers[sc.As]
				if !ok {
					c = app.Browser(t)
					if sc.As != "" {
						c = app.Login(t, sc.As)
					}
					browsers[sc.As] = c
				}
				if method == http.MethodGet {
					resp = app.Get(t, c, sc.Path)
				} else {
					resp = app.PostForm(t, c, sc.Path, sc.Form)
				}
			}
			body := BodyOf(resp)
			if resp.StatusCode != sc.Status {
				t.Errorf("%s %s as %q: status %d, want %d\n%.400s", method, sc.Path, sc.As, resp.StatusCode, sc.Status, body)
			}
			for _, want := range sc.Contains {
				if !strings.Contains(body, want) {
					t.Errorf("%s %s as %q: the answer lacks %q", method, sc.Path, sc.As, want)
				}
			}
			for _, not := range sc.Excludes {
				if i := strings.Index(body, not); i >= 0 {
					t.Errorf("%s %s as %q: the answer holds %q: …%s…", method, sc.Path, sc.As, not, body[max(i-200, 0):min(i+len(not)+100, len(body))])
				}
			}
		})
	}
}
