package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"care/internal/platform/docs"
	"care/internal/platform/problem"
)

// The page kit: what every capability's pages share, so that a new capability
// writes only its own handlers. A handler reads its parameters (OrgParam,
// PathID), calls one public service method (which loads and checks the node, see
// org.Load), and answers with Render, Fail, Again or Done — returning early at the
// first error.

// Choice is one entry of a selector: a node, a kit, a questionnaire.
type Choice struct {
	ID    int64
	Label string
}

// OrgParam is the node a page works on: {org} in its path, else the org query
// parameter. It is 0 when neither is given; a value that is not an id is a bad
// request (400), never read as "no node".
func OrgParam(r *http.Request) (int64, error) {
	v := r.PathValue("org")
	if v == "" {
		v = r.URL.Query().Get("org")
	}
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.New(problem.BadRequest, "error.bad_org", v)
	}
	return id, nil
}

// Pages is embedded by every capability's page handler: the renderer, the view
// every page starts from, and the three ways a page answers.
type Pages struct {
	Render *Renderer
	View   func(r *http.Request, title string) *View
}

// Fail shows the error page for err: 404 and 403 as such, anything else as an
// internal error, logged.
func (p Pages) Fail(w http.ResponseWriter, r *http.Request, err error) {
	p.Render.Fail(w, r, p.View(r, "error.title"), err)
}

// Again renders the page name again with the errors of a refused form, each
// beside its field, with the status err calls for. After a refused post the
// browser shows the address of the page the form was on, not the post's (issue 15
// point 6): the layout carries both and care.js replaces the address.
func (p Pages) Again(w http.ResponseWriter, r *http.Request, name string, v *View, err error) {
	LogIfInternal(r, err)
	v.SetError(err)
	if r.Method == http.MethodPost {
		v.Refused, v.Page = r.URL.RequestURI(), PageOf(r)
	}
	p.Render.Render(w, Status(err), name, v)
}

// Show renders the page name with data: with the message the previous request
// left (Done), and, when refused is set, the errors of a refused form beside
// their fields with the status refused calls for.
func (p Pages) Show(w http.ResponseWriter, r *http.Request, name string, v *View, data any, refused error) {
	if v.Flash == "" {
		v.Flash = TakeFlash(w, r)
	}
	v.Data = data
	if refused != nil {
		p.Again(w, r, name, v, refused)
		return
	}
	p.Render.Render(w, http.StatusOK, name, v)
}

// Done leaves a flash message for the next page and sends the browser there.
func Done(w http.ResponseWriter, r *http.Request, flash, to string) {
	if flash != "" {
		SetFlash(w, flash)
	}
	Redirect(w, r, to)
}

// Chooser is the node selector of a page (template "node-chooser"): the node
// shown, and either the few nodes the person may pick (Few) or a search by name
// or FINESS (Search) when they are many. org.Service.Chooser builds it.
type Chooser struct {
	Target string // the page a choice leads to, with ?Param=ID added
	Param  string // the query parameter a choice sets; "org" when empty
	For    string // what the choice is for, passed to the search: "" to read, "write", "grant"
	// Picked names the current node as chosen for a form rather than shown by
	// the page.
	Picked  bool
	Levels  string // the levels offered, comma-separated, passed to the search
	Current Choice
	Few     []Choice
	Search  bool
}

// Link is where choosing node id leads.
func (c Chooser) Link(id int64) string { return ChoiceLink(c.Target, c.Param, id) }

// ChoiceLink is where a choice leads: the target page (a path of this host) with
// ?param=ID (param "org" when empty or not a plain name).
func ChoiceLink(target, param string, id int64) string {
	if !ChoiceParam(param) {
		param = "org"
	}
	u, _ := url.Parse(LocalPath(target))
	q := u.Query()
	q.Set(param, strconv.FormatInt(id, 10))
	u.RawQuery = q.Encode()
	return u.String()
}

// ChoiceParam reports whether p may name the query parameter a choice sets: a
// short plain name, so that a search link cannot be turned into anything else.
func ChoiceParam(p string) bool {
	if p == "" || len(p) > 20 {
		return false
	}
	for _, r := range p {
		if r < 'a' || r > 'z' {
			if r != '_' {
				return false
			}
		}
	}
	return true
}

// OnNode answers an API call on the node of the path ({org}): the id read (400
// when it is not one), do called, and its result written as JSON with status (no
// body for 204), or its error as a problem document.
func OnNode[T any](w http.ResponseWriter, r *http.Request, status int, do func(ctx context.Context, org int64) (T, error)) {
	org, err := OrgParam(r)
	answer(w, r, status, org, err, do)
}

// OnID answers an API call on the object of path parameter name ({id}) as OnNode
// does; an id that is not one reads as absent (404).
func OnID[T any](w http.ResponseWriter, r *http.Request, name string, status int, do func(ctx context.Context, id int64) (T, error)) {
	id, err := PathID(r, name)
	answer(w, r, status, id, err, do)
}

// answer calls do with id unless reading id failed (err), and writes the result.
func answer[T any](w http.ResponseWriter, r *http.Request, status int, id int64, err error, do func(ctx context.Context, id int64) (T, error)) {
	if err != nil {
		Problem(w, r, err)
		return
	}
	out, err := do(r.Context(), id)
	if err != nil {
		Problem(w, r, err)
		return
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	JSON(w, status, out)
}

// Decoded reads the JSON body of r into a new T, refusing unknown fields.
func Decoded[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var in T
	return in, DecodeJSON(w, r, &in)
}

// SendFile answers with the stored file that read finds from the ids in the path
// values owner and file (a candidature and its evidence, an incident and its
// attachment): a download, never rendered inline. An id that is not one reads as
// absent.
func (p Pages) SendFile(w http.ResponseWriter, r *http.Request, owner, file string, read func(ctx context.Context, owner, file int64) (docs.Attachment, []byte, error)) {
	o, err := PathID(r, owner)
	var f int64
	if err == nil {
		f, err = PathID(r, file)
	}
	var a docs.Attachment
	var data []byte
	if err == nil {
		a, data, err = read(r.Context(), o, f)
	}
	if err != nil {
		p.Fail(w, r, err)
		return
	}
	docs.SendAttachment(w, a, data)
}
