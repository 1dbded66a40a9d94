package incident

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/org"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the incident pages and API.
type Handler struct {
	web.Pages
	Incidents *Service
	Orgs      *org.Service
	PDF       *docs.PDF
	// Poll is how long a quiet live stream waits before it reads again (the
	// fallback for a change nobody announced); 15 s when 0.
	Poll time.Duration
}

type listData struct {
	Rows       []Incident
	New        int // submitted, not yet qualified
	CanDeclare bool
	Chooser    web.Chooser
	Status     string
	Statuses   []string
}

// ListPage lists the incidents the caller sees, newest first: for the ARS
// referents and CERT Santé, the new declarations come first and the list
// reloads itself (fragment=list) at each event of the live stream (Stream), so
// that a submission shows at once.
func (h *Handler) ListPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := h.View(r, "incident.title")
	status := r.URL.Query().Get("status")
	if status != "" && !slices.Contains(Statuses, status) {
		status = ""
	}
	list, err := h.Incidents.Incidents(ctx, 0, status)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := listData{Rows: list, Status: status, Statuses: Statuses, CanDeclare: authz.Current(ctx).CanAnywhere(authz.IncidentDeclare)}
	for _, i := range list {
		if i.Status == Submitted {
			d.New++
		}
	}
	if r.URL.Query().Get("fragment") == "list" {
		v.Data = d
		h.Render.Render(w, http.StatusOK, "incident-list", v)
		return
	}
	h.Show(w, r, "incident-index", v, d, nil)
}

type newData struct {
	Chooser web.Chooser
	Org     org.Org
}

// NewPage picks the establishment whose incident is declared.
func (h *Handler) NewPage(w http.ResponseWriter, r *http.Request) {
	h.newPage(w, r, nil)
}

func (h *Handler) newPage(w http.ResponseWriter, r *http.Request, refused error) {
	ctx := r.Context()
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	var d newData
	if id != 0 {
		if d.Org, err = org.Load(ctx, h.Incidents.DB.Read, id, authz.IncidentDeclare); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	if d.Chooser, err = h.Orgs.Chooser(ctx, "/incidents/nouveau", d.Org, org.LegalEntity, org.Site); err != nil {
		h.Fail(w, r, err)
		return
	}
	h.Show(w, r, "incident-new", h.View(r, "incident.new_title"), d, refused)
}

// Create opens a draft for the chosen establishment and goes to it.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	id, err := web.OrgParam(r)
	if err == nil && id == 0 {
		var c problem.Checks
		c.Add("org", "incident.error.org_required")
		err = c.Err()
	}
	if err != nil {
		h.newPage(w, r, err)
		return
	}
	i, err := h.Incidents.Create(r.Context(), id, Declaration{})
	if err != nil {
		h.newPage(w, r, err)
		return
	}
	web.Done(w, r, "incident.draft_opened", fmt.Sprintf("/incidents/%d", i.ID))
}

type pageData struct {
	Incident
	Entries     []Entry
	Files       []File
	Sheets      []Sheet // the establishment's degraded-mode sheets, when Relevant
	Summary     []Line
	SummaryText string
	CanEdit     bool // a draft the caller declares
	CanDeclare  bool
	CanHandle   bool
	CanFollow   bool
	Categories  []string
	Types       []string
	Origins     []string
	Severities  []string
	Form        map[string]string // the draft's values as the form shows them
	Checked     map[string]bool
}

// Page shows one incident: the draft's form (saved as it is filled), or the
// declaration as submitted with its copy-ready summary, the shared timeline,
// the attachments, and what the caller may do next.
func (h *Handler) Page(w http.ResponseWriter, r *http.Request) {
	h.page(w, r, nil)
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request, refused error) {
	ctx := r.Context()
	i, ok := web.ByID(w, r, h.Fail, h.Incidents.Incident)
	if !ok {
		return
	}
	v := h.View(r, "incident.page_title")
	d := pageData{Incident: i, Categories: Categories, Types: Types, Origins: Origins, Severities: Severities}
	var err error
	if d.Entries, err = listEntries(ctx, h.Incidents.DB.Read, i.ID); err == nil {
		d.Files, err = listAttachments(ctx, h.Incidents.DB.Read, i.ID)
	}
	if err == nil {
		d.Sheets, err = h.Incidents.HandlingSheets(ctx, i)
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	sub := authz.Current(ctx)
	d.CanDeclare = sub.Can(authz.IncidentDeclare, i.OrgPath)
	d.CanHandle = sub.Can(authz.IncidentHandle, i.OrgPath)
	d.CanFollow = (d.CanDeclare || d.CanHandle) && i.Open()
	d.CanEdit = d.CanDeclare && i.Status == Draft
	d.Summary = CopySummary(i, frT)
	var text []string
	for _, l := range d.Summary {
		text = append(text, frT(l.Key)+" : "+l.Value)
	}
	d.SummaryText = strings.Join(text, "\n")
	d.Form, d.Checked = formOf(i.Declaration)
	if r.URL.Query().Get("fragment") == "timeline" {
		v.Data = d
		h.Render.Render(w, http.StatusOK, "incident-entries", v)
		return
	}
	h.Show(w, r, "incident-page", v, d, refused)
}

// formOf is a declaration as the form shows it.
func formOf(d Declaration) (map[string]string, map[string]bool) {
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Local().Format("2006-01-02T15:04")
	}
	f := map[string]string{"type": d.Type, "origin": d.Origin, "occurred_at": at(d.OccurredAt), "detected_at": at(d.DetectedAt),
		"perimeter": d.Perimeter, "summary": d.Summary, "patient_impact_detail": d.PatientImpactDetail, "actions_taken": d.ActionsTaken, "contact_phone": d.ContactPhone}
	c := map[string]bool{"degraded_mode": d.DegradedMode, "pca_activated": d.PCAActivated, "patient_impact": d.PatientImpact, "support_requested": d.SupportRequested}
	for _, cat := range d.Categories {
		c["category_"+cat] = true
	}
	return f, c
}

// readDeclaration reads the declaration of the form; a time that is not one
// is refused beside its field.
func readDeclaration(r *http.Request) (Declaration, error) {
	if err := r.ParseForm(); err != nil {
		return Declaration{}, problem.New(problem.Invalid, "error.invalid")
	}
	f := r.PostForm
	d := Declaration{Categories: f["categories"], Type: f.Get("type"), Origin: f.Get("origin"), Perimeter: f.Get("perimeter"), Summary: f.Get("summary"),
		DegradedMode: f.Get("degraded_mode") != "", PCAActivated: f.Get("pca_activated") != "", PatientImpact: f.Get("patient_impact") != "",
		PatientImpactDetail: f.Get("patient_impact_detail"), ActionsTaken: f.Get("actions_taken"), SupportRequested: f.Get("support_requested") != "",
		ContactPhone: f.Get("contact_phone")}
	var c problem.Checks
	for field, p := range map[string]**time.Time{"occurred_at": &d.OccurredAt, "detected_at": &d.DetectedAt} {
		if s := strings.TrimSpace(f.Get(field)); s != "" {
			t, err := time.ParseInLocation("2006-01-02T15:04", s, time.Local)
			if err != nil {
				c.Add(field, "incident.error.date")
				continue
			}
			*p = &t
		}
	}
	return d, c.Err()
}

// Save is the draft's autosave (htmx, on each change of the form) and its
// plain save: the whole form replaces the draft.
func (h *Handler) Save(w http.ResponseWriter, r *http.Request) {
	id, err := h.saveForm(w, r)
	if id == 0 {
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Reswap", "none")
		v := h.View(r, "")
		if err != nil {
			h.Again(w, r, "incident-save-error", v, err)
			return
		}
		v.Data = time.Now()
		h.Render.Render(w, http.StatusOK, "incident-saved", v)
		return
	}
	if err != nil {
		h.again(w, r, err)
		return
	}
	web.Done(w, r, "incident.saved", fmt.Sprintf("/incidents/%d", id))
}

// saveForm saves the posted declaration form over draft {id}: the id (0 when
// it is not one, the error page then written) and the refusal of the save.
func (h *Handler) saveForm(w http.ResponseWriter, r *http.Request) (int64, error) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return 0, problem.ErrNotFound
	}
	d, err := readDeclaration(r)
	if err == nil {
		_, err = h.Incidents.Update(r.Context(), id, 0, d)
	}
	return id, err
}

// again shows the incident page with the errors of a refused form; the values
// sent are shown again.
func (h *Handler) again(w http.ResponseWriter, r *http.Request, err error) {
	if problem.Is(err, problem.NotFound) || problem.Is(err, problem.Forbidden) || web.Status(err) >= 500 {
		h.Fail(w, r, err)
		return
	}
	h.page(w, r, err)
}

// Submit saves the form and submits the draft: refused (the draft kept as
// saved, not submitted) when incomplete.
func (h *Handler) Submit(w http.ResponseWriter, r *http.Request) {
	id, err := h.saveForm(w, r)
	if id == 0 {
		return
	}
	if err == nil {
		_, err = h.Incidents.Submit(r.Context(), id)
	}
	if err != nil {
		h.again(w, r, err)
		return
	}
	web.Done(w, r, "incident.submitted", fmt.Sprintf("/incidents/%d", id))
}

// step runs a step of the follow-up posted from the incident page.
func (h *Handler) step(w http.ResponseWriter, r *http.Request, flash string, do func(r *http.Request, id int64) error) {
	id, ok := web.IDForm(w, r, h.Fail)
	if !ok {
		return
	}
	if err := do(r, id); err != nil {
		h.again(w, r, err)
		return
	}
	web.Done(w, r, flash, fmt.Sprintf("/incidents/%d", id))
}

// AddEntry adds an entry to the timeline.
func (h *Handler) AddEntry(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, "incident.entry_added", func(r *http.Request, id int64) error {
		_, err := h.Incidents.AddEntry(r.Context(), id, r.PostForm.Get("text"))
		return err
	})
}

// Qualify records CERT Santé's qualification.
func (h *Handler) Qualify(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, "incident.qualified", func(r *http.Request, id int64) error {
		_, err := h.Incidents.Qualify(r.Context(), id, r.PostForm.Get("severity"), r.PostForm.Get("category"))
		return err
	})
}

// CloseIncident closes the incident.
func (h *Handler) CloseIncident(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, "incident.closed", func(r *http.Request, id int64) error {
		_, err := h.Incidents.Close(r.Context(), id)
		return err
	})
}

// ShareIncident opens or closes the sharing with CERT Santé.
func (h *Handler) ShareIncident(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, "incident.share_saved", func(r *http.Request, id int64) error {
		_, err := h.Incidents.Share(r.Context(), id, r.PostForm.Get("shared") == "on")
		return err
	})
}

// Portal records the declaration on the national portal.
func (h *Handler) Portal(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, "incident.portal_saved", func(r *http.Request, id int64) error {
		var at time.Time
		if s := strings.TrimSpace(r.PostForm.Get("declared_at")); s != "" {
			t, err := time.ParseInLocation("2006-01-02T15:04", s, time.Local)
			if err != nil {
				var c problem.Checks
				c.Add("declared_at", "incident.error.date")
				return c.Err()
			}
			at = t
		}
		_, err := h.Incidents.RecordPortal(r.Context(), id, at, r.PostForm.Get("reference"))
		return err
	})
}

// Links records the links to an exercise RETEX and a PCRA version.
func (h *Handler) Links(w http.ResponseWriter, r *http.Request) {
	h.step(w, r, "incident.links_saved", func(r *http.Request, id int64) error {
		num := func(field string) (int64, bool) {
			s := strings.TrimSpace(r.PostForm.Get(field))
			if s == "" {
				return 0, true
			}
			n, err := strconv.ParseInt(s, 10, 32)
			return n, err == nil && n >= 0
		}
		ex, ok1 := num("exercise")
		pv, ok2 := num("pcra_version")
		if !ok1 || !ok2 {
			var c problem.Checks
			c.Add("exercise", "incident.error.link")
			return c.Err()
		}
		_, err := h.Incidents.Link(r.Context(), id, ex, int(pv))
		return err
	})
}

// AttachFile adds an attachment.
func (h *Handler) AttachFile(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	err := docs.Upload(r, "file", problem.New(problem.Invalid, "file.error.missing"), true, func(name string, data []byte) error {
		_, err := h.Incidents.Attach(r.Context(), id, name, data)
		return err
	})
	if err != nil {
		h.again(w, r, err)
		return
	}
	web.Done(w, r, "incident.file_added", fmt.Sprintf("/incidents/%d", id))
}

// Download sends an attachment.
func (h *Handler) Download(w http.ResponseWriter, r *http.Request) {
	h.SendFile(w, r, "id", "file", func(ctx context.Context, id, file int64) (docs.Attachment, []byte, error) {
		f, data, err := h.Incidents.File(ctx, id, file)
		return f.Attachment, data, err
	})
}

// DocumentPDF sends the declaration as submitted, with the later additions after it.
func (h *Handler) DocumentPDF(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	doc, err := h.Incidents.Document(r.Context(), id, i18n.FromRequest(r))
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	out, err := h.PDF.Render(r.Context(), doc.HTML())
	if errors.Is(err, docs.ErrNoBrowser) {
		err = problem.New(problem.Conflict, "incident.error.no_pdf")
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	name := fmt.Sprintf("declaration-incident-%d.pdf", id)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, url.PathEscape(name)))
	_, _ = w.Write(out)
}

type statsData struct {
	Stats
	Year    int
	Org     int64
	Chooser web.Chooser
}

// StatsPage shows the statistics of the declarations the caller sees.
func (h *Handler) StatsPage(w http.ResponseWriter, r *http.Request) {
	year, err := yearParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	ctx := r.Context()
	st, err := h.Incidents.Stats(ctx, id, year)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := statsData{Stats: st, Year: year, Org: id}
	// A regional or national reader picks the region, the GHT or the
	// establishment (CERT Santé reads no node: its statistics stay national).
	var current org.Org
	if id != 0 {
		current, _ = org.Load(ctx, h.Incidents.DB.Read, id, authz.OrgRead)
	}
	target := "/incidents/statistiques"
	if year != 0 {
		target += "?year=" + strconv.Itoa(year)
	}
	if d.Chooser, err = h.Orgs.Chooser(ctx, target, current, org.Region, org.GHT, org.LegalEntity); err != nil {
		h.Fail(w, r, err)
		return
	}
	h.Show(w, r, "incident-stats", h.View(r, "incident.stats_title"), d, nil)
}
