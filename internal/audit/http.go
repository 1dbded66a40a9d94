package audit

import (
	"embed"
	"net/http"
	"strconv"
	"time"

	"care/internal/authz"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the audit trail pages and API.
type Handler struct {
	Reader *Reader
	Render *web.Renderer
	View   func(r *http.Request, title string) *web.View
}

// MaxExport bounds one CSV export.
const MaxExport = 100_000

func readFilter(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{Action: q.Get("action"), Actor: q.Get("actor"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id")}
	var c problem.Checks
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if s := q.Get(name); s != "" {
			t, err := time.ParseInLocation("2006-01-02", s, time.Local)
			if err != nil {
				c.Add(name, "audit.error.date")
			}
			if name == "to" {
				t = t.AddDate(0, 0, 1)
			}
			*dst = t
		}
	}
	return f, c.Err()
}

type listData struct {
	Entries []Entry
	Total   int
	Offset  int
	Limit   int
	Query   string
}

func allowed(r *http.Request) bool {
	s, _ := authz.FromContext(r.Context())
	return s.CanAnywhere(authz.AuditRead)
}

// List shows the trail with filters.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	v := h.View(r, "audit.title")
	if !allowed(r) {
		v.Data = v.T("error.forbidden")
		h.Render.Render(w, http.StatusForbidden, "error-page", v)
		return
	}
	f, err := readFilter(r)
	status := http.StatusOK
	if err != nil {
		v.SetError(err)
		status = http.StatusUnprocessableEntity
		f = Filter{}
	}
	f.Limit = 50
	f.Offset, _ = strconv.Atoi(r.URL.Query().Get("offset"))
	entries, total, err := h.Reader.List(r.Context(), f)
	if err != nil {
		web.LogIfInternal(r, err)
		v.SetError(err)
		status = http.StatusInternalServerError
	}
	q := r.URL.Query()
	q.Del("offset")
	v.Form = map[string]string{"action": q.Get("action"), "actor": q.Get("actor"), "from": q.Get("from"), "to": q.Get("to")}
	v.Data = listData{Entries: entries, Total: total, Offset: max(f.Offset, 0), Limit: f.Limit, Query: q.Encode()}
	h.Render.Render(w, status, "audit", v)
}

// Export sends the filtered trail as CSV.
func (h *Handler) Export(w http.ResponseWriter, r *http.Request) {
	if !allowed(r) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	f, err := readFilter(r)
	if err != nil {
		http.Error(w, "bad filter", http.StatusUnprocessableEntity)
		return
	}
	f.Limit = MaxExport
	entries, _, err := h.Reader.List(r.Context(), f)
	if err != nil {
		web.LogIfInternal(r, err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="journal-care.csv"`)
	_, _ = w.Write([]byte("\ufeff")) // so that spreadsheets read the accents right
	if err := WriteCSV(w, entries); err != nil {
		web.LogIfInternal(r, err)
	}
}

// EntryJSON is an entry as the API shows it.
type EntryJSON struct {
	ID         int64             `json:"id"`
	At         time.Time         `json:"at"`
	ActorID    *int64            `json:"actor_id"`
	Actor      string            `json:"actor"`
	IP         string            `json:"ip"`
	Action     string            `json:"action"`
	ObjectType string            `json:"object_type"`
	ObjectID   string            `json:"object_id"`
	Changes    map[string]Change `json:"changes"`
}

// APIList answers GET /api/v1/audit.
func (h *Handler) APIList(w http.ResponseWriter, r *http.Request) {
	if !allowed(r) {
		web.Problem(w, r, problem.New(problem.Forbidden, "error.forbidden"))
		return
	}
	f, err := readFilter(r)
	if err == nil {
		f.Limit, f.Offset, err = web.Pagination(r, 100, 1000)
	}
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	entries, total, err := h.Reader.List(r.Context(), f)
	if err != nil {
		web.Problem(w, r, err)
		return
	}
	page := web.Page[EntryJSON]{Items: []EntryJSON{}, Total: total, Limit: f.Limit, Offset: f.Offset}
	for _, e := range entries {
		j := EntryJSON{ID: e.ID, At: e.At, Actor: e.Actor, IP: e.IP, Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Changes: e.Changes}
		if e.ActorID != 0 {
			id := e.ActorID
			j.ActorID = &id
		}
		page.Items = append(page.Items, j)
	}
	web.JSON(w, http.StatusOK, page)
}
