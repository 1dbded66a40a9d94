// Package web is the HTTP plumbing every capability shares: middleware, HTML
// rendering with the layout, JSON and RFC 9457 problem responses, static files,
// and the page kit (kit.go) a capability's handlers are written with: Pages
// (Fail, Again), Done, OrgParam, Choice and the node Chooser. A handler reads its
// parameters, calls one public service method and answers, returning early at
// the first error; each kind of problem has one HTTP status (Status).
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"care/internal/platform/i18n"
	"care/internal/platform/problem"
)

//go:embed templates/*.html
var layoutFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Static serves the embedded static files under /static/, cached for a day (their
// names carry versions where it matters).
func Static() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	fileServer := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fileServer.ServeHTTP(w, r)
	})
}

// Renderer renders pages: the shared layout plus every capability's templates,
// parsed once at start-up.
type Renderer struct {
	tmpl *template.Template
}

// Funcs available in every template.
var funcs = template.FuncMap{
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.Local().Format("02/01/2006 15:04")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.Local().Format("02/01/2006 15:04")
		}
		return ""
	},
	// day prints a calendar date (stored as midnight UTC) without a time.
	"day":  func(t time.Time) string { return t.UTC().Format("02/01/2006") },
	"add":  func(a, b int) int { return a + b },
	"sub":  func(a, b int) int { return a - b },
	"dict": dict,
	// tone is the class of a state, a severity or a level in the one colour scale (tone.go).
	"tone": ToneClass,
	// choiceLink is where choosing a node leads: a page with ?org=ID.
	"choiceLink": func(target string, id int64) string { return ChoiceLink(target, "", id) },
	"pct":        func(f float64) string { return strconv.FormatFloat(f*100, 'f', 0, 64) + " %" },
	// percent shows a percentage (a float64 or a *float64) rounded, "—" when absent.
	"percent": func(v any) string {
		switch f := v.(type) {
		case float64:
			return strconv.FormatFloat(f, 'f', 0, 64) + " %"
		case *float64:
			if f != nil {
				return strconv.FormatFloat(*f, 'f', 0, 64) + " %"
			}
		}
		return "—"
	},
}

func dict(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return m
}

// NewRenderer parses the layout and the *.html templates of each given file system.
func NewRenderer(sets ...fs.FS) (*Renderer, error) {
	t, err := template.New("").Funcs(funcs).ParseFS(layoutFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, set := range sets {
		if t, err = t.ParseFS(set, "templates/*.html"); err != nil {
			return nil, err
		}
	}
	return &Renderer{tmpl: t}, nil
}

// Has reports whether a template of that name was parsed.
func (r *Renderer) Has(name string) bool { return r.tmpl.Lookup(name) != nil }

// NavItem is one entry of the main navigation. Items marked More go into the
// navigation's "Plus" menu on a wide screen, so that the bar holds on one line at
// 1,440 px; on a phone every item is in the one menu button.
type NavItem struct {
	Href, Key string
	Active    bool
	More      bool
}

// NavMain is the navigation's items shown in the bar.
func (v *View) NavMain() []NavItem { return v.navPart(false) }

// NavMore is the navigation's items of the "Plus" menu.
func (v *View) NavMore() []NavItem { return v.navPart(true) }

// NavMoreActive reports whether the current page is one of the "Plus" menu's.
func (v *View) NavMoreActive() bool {
	for _, it := range v.NavMore() {
		if it.Active {
			return true
		}
	}
	return false
}

func (v *View) navPart(more bool) []NavItem {
	var out []NavItem
	for _, it := range v.Nav {
		if it.More == more {
			out = append(out, it)
		}
	}
	return out
}

// Viewer is the logged-in person as the layout shows them.
type Viewer struct {
	ID    int64
	Name  string
	Email string
	Roles []string
}

// View is what every page template receives.
type View struct {
	Lang   i18n.Lang
	Title  string
	Path   string
	Viewer *Viewer
	Nav    []NavItem
	Flash  string
	Error  string            // summary of a failed submission
	Fields map[string]string // translated message per faulty field
	// Faults are the faulty fields in the order found, for the summary at the
	// top of the page, each linked to its message beside its field.
	Faults []Fault
	// Refused is the address a refused form was posted to (its form is the one
	// whose fields get the messages) and Page the address of the page it was
	// sent from, which the browser shows instead of the post's (care.js).
	Refused, Page string
	Form          map[string]string // submitted values, to re-fill a form
	Data          any
}

// Fault is one faulty field of a refused form and its translated reason.
type Fault struct{ Field, Message string }

// T translates a key in the page's language.
func (v *View) T(key string, args ...any) string { return v.Lang.T(key, args...) }

// N translates a key for a count n (the message's first argument), singular or plural.
func (v *View) N(key string, n int, args ...any) string { return v.Lang.N(key, n, args...) }

// Other is the language the switch offers.
func (v *View) Other() i18n.Lang {
	if v.Lang == i18n.EN {
		return i18n.FR
	}
	return i18n.EN
}

// SetError fills the view from a failed submission: a summary, and a message per field.
func (v *View) SetError(err error) {
	e, ok := asProblem(err)
	if !ok {
		v.Error = v.T("error.internal")
		return
	}
	v.Error = v.T(e.Key, e.Args...)
	if len(e.Fields) > 0 {
		v.Fields = map[string]string{}
		var lines []string
		for _, f := range e.Fields {
			msg := v.T(f.Key, f.Args...)
			v.Faults = append(v.Faults, Fault{Field: f.Field, Message: msg})
			if prev, ok := v.Fields[f.Field]; ok {
				msg = prev + " " + msg
			}
			v.Fields[f.Field] = msg
			if f.Field == "line" {
				lines = append(lines, v.T(f.Key, f.Args...))
			}
		}
		if len(lines) > 0 {
			v.Fields["line"] = strings.Join(lines, "\n")
		}
	}
}

// Render writes the page named name with status.
func (r *Renderer) Render(w http.ResponseWriter, status int, name string, v *View) {
	var b strings.Builder
	if err := r.tmpl.ExecuteTemplate(&b, name, v); err != nil {
		slog.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// asProblem is err as the person should read it: a problem, or a body over its
// limit, which every reader of a body may meet (413 rather than an internal error).
func asProblem(err error) (*problem.Error, bool) {
	if e, ok := problem.As(err); ok {
		return e, true
	}
	if tooBig, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return problem.New(problem.TooLarge, "error.too_large", tooBig.Limit), true
	}
	return nil, false
}

// statuses is the one mapping from a problem's kind to its HTTP status.
var statuses = map[problem.Kind]int{
	problem.Invalid:      http.StatusUnprocessableEntity,
	problem.NotFound:     http.StatusNotFound,
	problem.Forbidden:    http.StatusForbidden,
	problem.Conflict:     http.StatusConflict,
	problem.Unauthorized: http.StatusUnauthorized,
	problem.TooMany:      http.StatusTooManyRequests,
	problem.TooLarge:     http.StatusRequestEntityTooLarge,
	problem.BadRequest:   http.StatusBadRequest,
}

// Status maps an error to its HTTP status: 500 for anything not a problem.
func Status(err error) int {
	if e, ok := asProblem(err); ok {
		if status, known := statuses[e.Kind]; known {
			return status
		}
	}
	return http.StatusInternalServerError
}

// LogIfInternal logs errors that are not the user's doing; their detail never
// reaches the response.
func LogIfInternal(r *http.Request, err error) {
	if _, ok := asProblem(err); !ok {
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

// ---- JSON API ----

// JSON writes v as JSON with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// ProblemDoc is an RFC 9457 problem document.
type ProblemDoc struct {
	Type   string        `json:"type"`
	Title  string        `json:"title"`
	Status int           `json:"status"`
	Detail string        `json:"detail,omitempty"`
	Errors []FieldReport `json:"errors,omitempty"`
}

// FieldReport is one faulty field in a problem document.
type FieldReport struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem writes err as application/problem+json in the request's language.
func Problem(w http.ResponseWriter, r *http.Request, err error) {
	LogIfInternal(r, err)
	lang := i18n.FromRequest(r)
	status := Status(err)
	doc := ProblemDoc{Type: "about:blank", Title: http.StatusText(status), Status: status}
	if e, ok := asProblem(err); ok {
		doc.Detail = lang.T(e.Key, e.Args...)
		for _, f := range e.Fields {
			doc.Errors = append(doc.Errors, FieldReport{Field: f.Field, Detail: lang.T(f.Key, f.Args...)})
		}
	} else {
		doc.Detail = lang.T("error.internal")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", string(lang))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(doc)
}

// MaxJSONBody bounds API request bodies.
const MaxJSONBody = 1 << 20

// DecodeJSON reads a JSON body into v, refusing unknown fields, trailing data and
// bodies over MaxJSONBody.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxJSONBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return problem.New(problem.TooLarge, "error.too_large", MaxJSONBody)
		}
		return problem.New(problem.Invalid, "error.bad_json", err.Error())
	}
	if dec.More() {
		return problem.New(problem.Invalid, "error.bad_json", "trailing data")
	}
	return nil
}

// Page is a paginated list as the API returns it.
type Page[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// Pagination reads limit and offset from the query, bounded.
func Pagination(r *http.Request, def, maxLimit int) (limit, offset int, err error) {
	limit, offset = def, 0
	var c problem.Checks
	if s := r.URL.Query().Get("limit"); s != "" {
		n, e := strconv.Atoi(s)
		if e != nil || n < 1 || n > maxLimit {
			c.Add("limit", "error.limit", maxLimit)
		}
		limit = n
	}
	if s := r.URL.Query().Get("offset"); s != "" {
		n, e := strconv.Atoi(s)
		if e != nil || n < 0 {
			c.Add("offset", "error.offset")
		}
		offset = n
	}
	return limit, offset, c.Err()
}

// PathID reads the numeric path value name.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.ErrNotFound
	}
	return id, nil
}

// ---- middleware ----

// ClientIP is the address the request came from.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type ipKey struct{}

// ClientIPFrom returns the client address that Secure stored in the context.
func ClientIPFrom(ctx context.Context) string {
	ip, _ := ctx.Value(ipKey{}).(string)
	return ip
}

// Secure adds the security headers, a strict content security policy (no inline
// script or style), and the client address to the context for the audit trail.
func Secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ipKey{}, ClientIP(r))))
	})
}

// Recover turns a panic into a 500 and logs it with its stack.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				slog.Error("panic", "path", r.URL.Path, "value", v, "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Log logs each request to logger (never its query string, which may carry a token).
func Log(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			logger.Info("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "ms", time.Since(start).Milliseconds())
		}
	})
}

// MaxBody bounds every request body; uploads that need more get their own limit.
func MaxBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		next.ServeHTTP(w, r)
	})
}

// Redirect answers a form post with a redirect, or an HX-Redirect for htmx requests.
func Redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// SetFlash leaves a message key for the next page the browser shows.
func SetFlash(w http.ResponseWriter, key string) {
	http.SetCookie(w, &http.Cookie{Name: "flash", Value: key, Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// TakeFlash returns the pending message key, if any, and clears it. Only keys made
// of letters, digits, dots and underscores are honoured: the cookie is not trusted.
func TakeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie("flash")
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: "flash", Path: "/", MaxAge: -1})
	if strings.Trim(c.Value, "abcdefghijklmnopqrstuvwxyz0123456789._") != "" {
		return ""
	}
	return c.Value
}

// Fail shows the error page for err: its translated message when it is the user's
// doing, a generic one (and a log line) otherwise.
func (rd *Renderer) Fail(w http.ResponseWriter, r *http.Request, v *View, err error) {
	LogIfInternal(r, err)
	v.Title = "error.title"
	msg := v.T("error.internal")
	if e, ok := asProblem(err); ok {
		msg = v.T(e.Key, e.Args...)
	}
	v.Data = msg
	rd.Render(w, Status(err), "error-page", v)
}

// Execute renders the template name into w, for documents that are not pages.
func (rd *Renderer) Execute(w io.Writer, name string, v *View) error {
	return rd.tmpl.ExecuteTemplate(w, name, v)
}
