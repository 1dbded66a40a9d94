package org

import (
	"embed"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/home"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the organisation pages and API.
type Handler struct {
	web.Pages
	Orgs *Service
}

// node loads the node of an organisation page ({org} in its path: an id that is
// not one is a bad request), if the caller may see it.
func (h *Handler) node(r *http.Request) (Org, error) {
	id, err := web.OrgParam(r)
	if err != nil {
		return Org{}, err
	}
	return h.Orgs.Get(r.Context(), id)
}

// writableNode loads the node of the request for a form that changes it: a
// person who may only read it gets 403 rather than a form they cannot send.
func (h *Handler) writableNode(r *http.Request) (Org, error) {
	o, err := h.node(r)
	if err != nil {
		return Org{}, err
	}
	return o, authz.Current(r.Context()).Check(authz.OrgWrite, o.Path)
}

// apiNode loads the node of an API path ({id}), if the caller may see it.
func (h *Handler) apiNode(r *http.Request) (Org, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Org{}, err
	}
	return h.Orgs.Get(r.Context(), id)
}

type treeData struct {
	Tops    []branch
	Results []Org
	Query   string
	Total   int
}

// branch is a visible root with its first level open.
type branch struct {
	Org      Org
	Children []Org
}

// Tree shows the caller's visible roots, or search results.
func (h *Handler) Tree(w http.ResponseWriter, r *http.Request) {
	v := h.View(r, "org.title")
	v.Flash = web.TakeFlash(w, r)
	d := treeData{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	var err error
	if d.Query != "" {
		d.Results, d.Total, err = h.Orgs.List(r.Context(), Filter{Query: d.Query, Limit: 100})
	} else {
		d.Tops, err = h.tops(r)
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	v.Data = d
	h.Render.Render(w, http.StatusOK, "org-tree", v)
}

// tops is the tree browser's start: the caller's visible roots, first level open.
func (h *Handler) tops(r *http.Request) ([]branch, error) {
	tops, err := h.Orgs.Tops(r.Context())
	if err != nil {
		return nil, err
	}
	var out []branch
	for _, top := range tops {
		b := branch{Org: top}
		if b.Children, _, err = h.Orgs.List(r.Context(), Filter{ParentID: top.ID}); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Children answers the tree browser's request to open a node: the list of its
// children, as a fragment that replaces the "open" link.
func (h *Handler) Children(w http.ResponseWriter, r *http.Request) {
	o, err := h.node(r)
	if err != nil {
		fragmentError(w, r, err)
		return
	}
	children, _, err := h.Orgs.List(r.Context(), Filter{ParentID: o.ID})
	if err != nil {
		fragmentError(w, r, err)
		return
	}
	v := h.View(r, "")
	v.Data = children
	h.Render.Render(w, http.StatusOK, "org-children", v)
}

// fragmentError answers a failed htmx fragment with its status alone.
func fragmentError(w http.ResponseWriter, r *http.Request, err error) {
	web.LogIfInternal(r, err)
	http.Error(w, http.StatusText(web.Status(err)), web.Status(err))
}

type detailData struct {
	Org            Org
	Ancestors      []Org
	Children       []Org
	CanWrite       bool
	CanUsers       bool
	HasChildLevels bool // whether any level may hang under this node
	Archived       bool
	Cards          []home.Card // where each capability stands for this structure
}

// Detail shows a node, its ancestors and its children.
func (h *Handler) Detail(w http.ResponseWriter, r *http.Request) {
	o, err := h.node(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := detailData{Org: o, Archived: r.URL.Query().Get("archives") == "1"}
	if d.Ancestors, err = h.Orgs.Ancestors(r.Context(), o); err != nil {
		h.Fail(w, r, err)
		return
	}
	if d.Children, _, err = h.Orgs.List(r.Context(), Filter{ParentID: o.ID, IncludeArchived: d.Archived}); err != nil {
		h.Fail(w, r, err)
		return
	}
	s := authz.Current(r.Context())
	d.CanWrite = s.Can(authz.OrgWrite, o.Path)
	d.CanUsers = s.Can(authz.UserManage, o.Path)
	d.HasChildLevels = len(childLevels(o.Level)) > 0
	if h.Orgs.Cards != nil && (o.Level == LegalEntity || o.Level == Site) && o.ArchivedAt == nil {
		if d.Cards, err = h.Orgs.Cards(r.Context(), o.ID); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	v := h.View(r, "")
	v.Title = "org.detail_title"
	v.Flash = web.TakeFlash(w, r)
	v.Data = d
	h.Render.Render(w, http.StatusOK, "org-detail", v)
}

type formData struct {
	Org        Org
	Parent     Org
	New        bool
	Levels     []Level
	Categories []Category
	Mover      web.Chooser // where the node may be moved, when editing
	NewParent  Org         // the parent chosen for a move, if any
}

// formValues fills the form from o. The activity share is shown as a percentage
// with the page's decimal separator ("62,5" in French).
func formValues(l i18n.Lang, o Org) map[string]string {
	return map[string]string{
		"name": o.Name, "code": o.Code, "finess": o.FINESS, "kind": string(o.Kind), "category": string(o.Category),
		"activity_weight": l.Decimal(o.ActivityPercent(), 2), "level": string(o.Level),
		"parent_id": strconv.FormatInt(o.ParentID, 10),
	}
}

// renderForm shows the node form, with the errors of a refused form when formErr
// is set (and the status they call for).
func (h *Handler) renderForm(w http.ResponseWriter, r *http.Request, v *web.View, d formData, formErr error) {
	if !d.New && d.Org.Level != National {
		var err error
		if d.Mover, err = h.Orgs.ParentChooser(r.Context(), d.Org, Org{}); err != nil {
			h.Fail(w, r, err)
			return
		}
		// A parent chosen for a move is shown when the caller may write there; the
		// save checks it again whole.
		if pid, _ := strconv.ParseInt(v.Form["parent_id"], 10, 64); pid > 0 && pid != d.Org.ParentID {
			if p, err := Load(r.Context(), h.Orgs.DB.Read, pid, authz.OrgWrite); err == nil {
				d.NewParent = p
			} else if !problem.Is(err, problem.NotFound) && !problem.Is(err, problem.Forbidden) {
				h.Fail(w, r, err)
				return
			}
		}
	}
	d.Categories = Categories
	v.Data = d
	if formErr != nil {
		h.Again(w, r, "org-form", v, formErr)
		return
	}
	h.Render.Render(w, http.StatusOK, "org-form", v)
}

// NewPage shows the form for a child of node {org}.
func (h *Handler) NewPage(w http.ResponseWriter, r *http.Request) {
	parent, err := h.writableNode(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	levels := childLevels(parent.Level)
	v := h.View(r, "org.new_title")
	o := Org{ParentID: parent.ID}
	if len(levels) > 0 {
		o.Level = levels[len(levels)-1]
	}
	v.Form = formValues(v.Lang, o)
	h.renderForm(w, r, v, formData{Org: o, Parent: parent, New: true, Levels: levels}, nil)
}

// readForm reads the node form. The activity share is typed as a percentage, with a
// decimal comma or point ("62,5"), and stored as a fraction (0.625) like the API's
// activity_weight. A share that is not a number, or not between 0 and 100, is
// reported together with every other fault of the form, so the user corrects
// everything at once.
func readForm(r *http.Request) (Org, error) {
	o := Org{
		Name: r.PostFormValue("name"), Code: r.PostFormValue("code"), FINESS: r.PostFormValue("finess"),
		Kind: Kind(r.PostFormValue("kind")), Category: Category(r.PostFormValue("category")), Level: Level(r.PostFormValue("level")),
	}
	s := strings.TrimSpace(r.PostFormValue("activity_weight"))
	if s == "" {
		return o, nil
	}
	f, err := i18n.ParseDecimal(s)
	if err != nil || f < 0 || f > 100 {
		var c problem.Checks
		if err != nil {
			c.Add("activity_weight", "org.error.weight_number")
		} else {
			c.Add("activity_weight", "org.error.weight_percent")
		}
		normalise(&o)
		if e, ok := problem.As(o.Validate()); ok {
			for _, f := range e.Fields {
				c.Add(f.Field, f.Key, f.Args...)
			}
		}
		return o, c.Err()
	}
	o.ActivityWeight = f / 100
	return o, nil
}

// Create adds a child to node {org}.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	parent, err := h.node(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	o, err := readForm(r)
	o.ParentID = parent.ID
	if err != nil {
		h.createAgain(w, r, parent, o, err)
		return
	}
	created, err := h.Orgs.Create(r.Context(), o)
	if err != nil {
		h.createAgain(w, r, parent, o, err)
		return
	}
	web.Done(w, r, "org.created", "/organisations/"+strconv.FormatInt(created.ID, 10))
}

// createAgain shows the creation form again with what was typed and its errors.
func (h *Handler) createAgain(w http.ResponseWriter, r *http.Request, parent, o Org, err error) {
	v := h.View(r, "org.new_title")
	v.Form = formValues(v.Lang, o)
	v.Form["finess"], v.Form["activity_weight"] = r.PostFormValue("finess"), r.PostFormValue("activity_weight")
	h.renderForm(w, r, v, formData{Org: o, Parent: parent, New: true, Levels: childLevels(parent.Level)}, err)
}

// EditPage shows the edit form of node {org}.
func (h *Handler) EditPage(w http.ResponseWriter, r *http.Request) {
	o, err := h.writableNode(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	v := h.View(r, "org.edit_title")
	v.Form = formValues(v.Lang, o)
	if parent := r.URL.Query().Get("parent"); parent != "" {
		v.Form["parent_id"] = parent // chosen in the move selector
	}
	h.renderForm(w, r, v, formData{Org: o}, nil)
}

// Edit saves node {org}, and moves it when another parent was chosen.
func (h *Handler) Edit(w http.ResponseWriter, r *http.Request) {
	o, err := h.node(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	in, err := readForm(r)
	if err != nil {
		h.editAgain(w, r, o, err)
		return
	}
	p := Patch{Name: &in.Name, Code: &in.Code, FINESS: &in.FINESS, Kind: &in.Kind, Category: &in.Category, ActivityWeight: &in.ActivityWeight}
	if pid, perr := strconv.ParseInt(r.PostFormValue("parent_id"), 10, 64); perr == nil {
		p.ParentID = &pid
	}
	if _, err := h.Orgs.Update(r.Context(), o.ID, p); err != nil {
		h.editAgain(w, r, o, err)
		return
	}
	web.Done(w, r, "org.saved", "/organisations/"+strconv.FormatInt(o.ID, 10))
}

// editAgain shows the edit form of o again with what was typed and its errors.
func (h *Handler) editAgain(w http.ResponseWriter, r *http.Request, o Org, err error) {
	v := h.View(r, "org.edit_title")
	v.Form = map[string]string{}
	for k := range formValues(v.Lang, o) {
		v.Form[k] = r.PostFormValue(k)
	}
	v.Form["level"] = string(o.Level)
	h.renderForm(w, r, v, formData{Org: o}, err)
}

// Archive archives or restores node {org} with its subtree.
func (h *Handler) Archive(archive bool) http.HandlerFunc {
	flash := map[bool]string{true: "org.archived", false: "org.restored"}[archive]
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := web.OrgParam(r)
		if err != nil {
			h.Fail(w, r, err)
			return
		}
		if _, err := h.Orgs.SetArchived(r.Context(), id, archive); err != nil {
			h.Fail(w, r, err)
			return
		}
		web.Done(w, r, flash, "/organisations/"+strconv.FormatInt(id, 10))
	}
}

// ImportPage shows the CSV import form.
func (h *Handler) ImportPage(w http.ResponseWriter, r *http.Request) {
	h.Render.Render(w, http.StatusOK, "org-import", h.View(r, "org.import_title"))
}

// MaxImportBytes bounds an uploaded CSV file.
const MaxImportBytes = 10 << 20

// Import reads an uploaded CSV and creates its establishments, or lists every bad line.
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) {
	v := h.View(r, "org.import_title")
	file, _, err := r.FormFile("file")
	if err != nil {
		h.Again(w, r, "org-import", v, problem.New(problem.Invalid, "org.import.no_file"))
		return
	}
	defer file.Close()
	n, err := h.importCSV(r, file)
	if err != nil {
		h.Again(w, r, "org-import", v, err)
		return
	}
	v.Flash = "org.import.done"
	v.Data = n
	h.Render.Render(w, http.StatusOK, "org-import", v)
}

// importCSV reads the establishments of a CSV file and creates them.
func (h *Handler) importCSV(r *http.Request, file io.Reader) (int, error) {
	rows, err := ParseCSV(file)
	if err != nil {
		return 0, err
	}
	return h.Orgs.Import(r.Context(), rows)
}

// ---- API ----

// JSON is a node as the API shows it.
type JSON struct {
	ID             int64      `json:"id"`
	Name           string     `json:"name"`
	Level          Level      `json:"level"`
	ParentID       *int64     `json:"parent_id"`
	Path           string     `json:"path"`
	Code           string     `json:"code,omitempty"`
	FINESS         *string    `json:"finess"`
	Kind           *Kind      `json:"kind"`
	Category       *Category  `json:"category"`
	ActivityWeight float64    `json:"activity_weight"`
	ArchivedAt     *time.Time `json:"archived_at"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// ToJSON converts a node for the API.
func ToJSON(o Org) JSON {
	j := JSON{ID: o.ID, Name: o.Name, Level: o.Level, Path: o.Path, Code: o.Code, ActivityWeight: o.ActivityWeight,
		ArchivedAt: o.ArchivedAt, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if o.ParentID != 0 {
		j.ParentID = &o.ParentID
	}
	if o.FINESS != "" {
		j.FINESS = &o.FINESS
	}
	if o.Kind != "" {
		j.Kind = &o.Kind
	}
	if o.Category != "" {
		j.Category = &o.Category
	}
	return j
}

// APIList answers GET /api/v1/orgs.
func (h *Handler) APIList(w http.ResponseWriter, r *http.Request) {
	limit, offset, err := web.Pagination(r, 100, 1000)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	q := r.URL.Query()
	f := Filter{Query: q.Get("q"), Limit: limit, Offset: offset, IncludeArchived: q.Get("archived") == "true"}
	if s := q.Get("parent_id"); s != "" {
		if f.ParentID, err = strconv.ParseInt(s, 10, 64); err != nil {
			web.Problem(w, r, problem.New(problem.Invalid, "error.param", "parent_id"))
			return
		}
	}
	if s := q.Get("level"); s != "" {
		f.Levels = []Level{Level(s)}
	}
	orgs, total, err := h.Orgs.List(r.Context(), f)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	page := web.Page[JSON]{Items: []JSON{}, Total: total, Limit: limit, Offset: offset}
	for _, o := range orgs {
		page.Items = append(page.Items, ToJSON(o))
	}
	web.JSON(w, http.StatusOK, page)
}

// APIGet answers GET /api/v1/orgs/{id}.
func (h *Handler) APIGet(w http.ResponseWriter, r *http.Request) {
	o, err := h.apiNode(r)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, ToJSON(o))
}

type createJSON struct {
	ParentID       int64    `json:"parent_id"`
	Level          Level    `json:"level"`
	Name           string   `json:"name"`
	Code           string   `json:"code"`
	FINESS         string   `json:"finess"`
	Kind           Kind     `json:"kind"`
	Category       Category `json:"category"`
	ActivityWeight float64  `json:"activity_weight"`
}

// APICreate answers POST /api/v1/orgs.
func (h *Handler) APICreate(w http.ResponseWriter, r *http.Request) {
	var in createJSON
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.Problem(w, r, err)
		return
	}
	o, err := h.Orgs.Create(r.Context(), Org{ParentID: in.ParentID, Level: in.Level, Name: in.Name, Code: in.Code, FINESS: in.FINESS,
		Kind: in.Kind, Category: in.Category, ActivityWeight: in.ActivityWeight})
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, ToJSON(o))
}

type patchJSON struct {
	Name           *string   `json:"name"`
	Code           *string   `json:"code"`
	FINESS         *string   `json:"finess"`
	Kind           *Kind     `json:"kind"`
	Category       *Category `json:"category"`
	ActivityWeight *float64  `json:"activity_weight"`
	ParentID       *int64    `json:"parent_id"`
	Archived       *bool     `json:"archived"`
}

// APIPatch answers PATCH /api/v1/orgs/{id}: field changes, a move (parent_id), or
// archiving ("archived": true/false).
func (h *Handler) APIPatch(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	var in patchJSON
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.Problem(w, r, err)
		return
	}
	o, err := h.Orgs.Update(r.Context(), id, Patch(in))
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusOK, ToJSON(o))
}

// APIImport answers POST /api/v1/orgs/import with a CSV body.
func (h *Handler) APIImport(w http.ResponseWriter, r *http.Request) {
	n, err := h.importCSV(r, r.Body)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	web.JSON(w, http.StatusCreated, map[string]int{"created": n})
}
