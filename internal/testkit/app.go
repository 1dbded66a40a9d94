package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"care/internal/account"
	"care/internal/authz"
	"care/internal/demo"
	"care/internal/org"
	"care/internal/platform/db"
	"care/internal/platform/mail"
	"care/internal/server"
)

// App is the whole product on a loopback listener, seeded with the demo data.
type App struct {
	DB     *db.DB
	Server *server.Server
	HTTP   *httptest.Server
	URL    string
	Mail   *SMTPSink
}

// Demo runs fn on each engine against the product seeded with the demo data.
func Demo(t *testing.T, fn func(t *testing.T, app *App), options ...func(*server.Config)) {
	Engines(t, func(t *testing.T, d *db.DB) { fn(t, NewApp(t, d, options...)) })
}

// DemoWithoutLoops is Demo with the background loops stopped (WithoutLoops).
func DemoWithoutLoops(t *testing.T, fn func(t *testing.T, app *App)) {
	Demo(t, fn, WithoutLoops)
}

// NewApp starts the product on d with demo data and an SMTP sink; options may
// change the server's configuration.
func NewApp(t testing.TB, d *db.DB, options ...func(*server.Config)) *App {
	t.Helper()
	return NewAppSeeded(t, d, func(ctx context.Context, d *db.DB, srv *server.Server) error {
		_, err := demo.Seed(ctx, d, srv.Orgs, srv.Accounts, srv.Maturity, srv.Continuity, srv.Exposure, srv.Directory, srv.Exercises)
		return err
	}, options...)
}

// NewAppSeeded is NewApp with other data: seed fills the empty database.
func NewAppSeeded(t testing.TB, d *db.DB, seed func(context.Context, *db.DB, *server.Server) error, options ...func(*server.Config)) *App {
	t.Helper()
	sink := NewSMTPSink(t)
	app := &App{DB: d, Mail: sink}
	ts := httptest.NewUnstartedServer(nil)
	app.URL = "http://" + ts.Listener.Addr().String()
	cfg := server.Config{BaseURL: app.URL, Mail: &mail.SMTP{Addr: sink.Addr, From: "care@localhost"},
		Logger: slog.New(slog.DiscardHandler), ExposureLab: true,
		// The test domain controller listens on loopback.
		DirectoryNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	for _, o := range options {
		o(&cfg)
	}
	srv, err := server.New(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := seed(t.Context(), d, srv); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	// Runs before ts.Close (cleanups run last in, first out): it ends the live
	// streams that would otherwise keep the test server from closing.
	t.Cleanup(srv.Close)
	app.Server, app.HTTP = srv, ts
	return app
}

// Org finds a demo node by FINESS or name.
func (a *App) Org(t testing.TB, ref string) org.Org {
	t.Helper()
	ctx := authz.WithSubject(context.Background(), a.Root(t))
	orgs, _, err := a.Server.Orgs.List(ctx, org.Filter{Query: ref, IncludeArchived: true})
	if err != nil || len(orgs) == 0 {
		t.Fatalf("no organisation %q: %v", ref, err)
	}
	for _, o := range orgs {
		if o.Name == ref || o.FINESS == ref || o.Code == ref {
			return o
		}
	}
	return orgs[0]
}

// Root is a subject with the admin role at the national root.
func (a *App) Root(t testing.TB) authz.Subject {
	t.Helper()
	root, err := a.Server.Orgs.Resolve(context.Background(), "national")
	if err != nil {
		t.Fatal(err)
	}
	return authz.Subject{Grants: []authz.Grant{{Role: authz.Admin, OrgID: root.ID, OrgPath: root.Path}}}
}

// Token issues an API token for a demo account.
func (a *App) Token(t testing.TB, email string) string {
	t.Helper()
	u, err := a.Server.Accounts.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := a.Server.Accounts.CreateToken(context.Background(), u.ID, "test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// Browser is an HTTP client with a cookie jar that does not follow redirects.
func (a *App) Browser(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Login logs a demo account in (with its TOTP code when its role needs one) and
// returns the client carrying the session.
func (a *App) Login(t testing.TB, email string) *http.Client {
	t.Helper()
	c := a.Browser(t)
	resp := a.PostForm(t, c, "/connexion", url.Values{"email": {email}, "password": {demo.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", email, resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc == "/connexion/code" {
		code, _ := account.TOTPCode(demo.TOTPSecret, account.TOTPStep(time.Now()))
		resp = a.PostForm(t, c, "/connexion/code", url.Values{"code": {code}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("login %s: TOTP step answered %d", email, resp.StatusCode)
		}
	}
	return c
}

// PostForm posts a form as a same-origin browser would.
func (a *App) PostForm(t testing.TB, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.URL)
	return a.Do(t, c, req)
}

// PostFile posts a multipart form, with fields and a file (name, content) in
// the field "file" unless name is empty, as a same-origin browser would.
func (a *App) PostFile(t testing.TB, c *http.Client, path string, fields url.Values, name string, content []byte) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, a.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", a.URL)
	return a.Do(t, c, req)
}

// Get fetches path with client c.
func (a *App) Get(t testing.TB, c *http.Client, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.URL+path, nil)
	return a.Do(t, c, req)
}

// Do sends req and reads the body into the response (Body is then replaced by a
// reader over the bytes read, also returned by BodyOf).
func (a *App) Do(t testing.TB, c *http.Client, req *http.Request) *http.Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	bodies.Store(resp, string(b))
	return resp
}

// API calls the JSON API with a bearer token and decodes the answer into out (if not nil).
func (a *App) API(t testing.TB, token, method, path string, body any, out any) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			r = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			r = strings.NewReader(string(b))
		}
	}
	req, _ := http.NewRequest(method, a.URL+path, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp := a.Do(t, http.DefaultClient, req)
	if out != nil {
		if err := json.Unmarshal([]byte(BodyOf(resp)), out); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, path, BodyOf(resp), err)
		}
	}
	return resp
}

// As returns a context acting as the demo account email, for calling services directly.
func As(t testing.TB, a *App, email string) context.Context {
	t.Helper()
	u, err := a.Server.Accounts.ByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return authz.WithSubject(t.Context(), u.Subject())
}
