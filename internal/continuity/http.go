package continuity

import (
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"care/internal/org"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the continuity pages and API.
type Handler struct {
	web.Pages
	Continuity *Service
	Orgs       *org.Service // the node chooser
	PDF        *docs.PDF
}

func optInt(s string) (*int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, err
	}
	return &n, nil
}

func optDate(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func dateError(field string) error {
	var c problem.Checks
	c.Add(field, "continuity.error.date")
	return c.Err()
}

// form reads the optional hours and dates of a posted form, recording each
// unreadable one as a faulty field.
type form struct {
	r *http.Request
	problem.Checks
}

func (f *form) hours(field string) *int {
	n, err := optInt(f.r.PostFormValue(field))
	if err != nil {
		f.Add(field, "continuity.error.hours")
	}
	return n
}

func (f *form) date(field string) *time.Time {
	t, err := optDate(f.r.PostFormValue(field))
	if err != nil {
		f.Add(field, "continuity.error.date")
	}
	return t
}

// show renders page name with data and the pending flash message; failed, when
// set, is the refused form's error, shown beside its field with its status.
func (h *Handler) show(w http.ResponseWriter, r *http.Request, title, name string, data any, failed error) {
	v := h.View(r, title)
	v.Flash = web.TakeFlash(w, r)
	v.Data = data
	if failed != nil {
		h.Again(w, r, name, v, failed)
		return
	}
	h.Render.Render(w, http.StatusOK, name, v)
}

// ---- dashboard ----

// chooserLevels are the nodes the dashboard's chooser offers.
var chooserLevels = []org.Level{org.GHT, org.LegalEntity, org.Site}

// Tabs are the parts of the continuity page, each its own server-rendered view
// (?onglet=), usable without script: the page held them all on one long scroll.
var Tabs = []string{"activites", "reprise", "registre", "cadrage", "document", "tests"}

// tabOf is the tab a request shows: ?onglet= when it names one, else the tab of
// the form posted (its path's last part), else the first.
func tabOf(r *http.Request) string {
	if t := r.URL.Query().Get("onglet"); slices.Contains(Tabs, t) {
		return t
	}
	posted := map[string]string{"activites": "activites", "ressources": "registre", "import": "registre", "cadrage": "cadrage", "versions": "document", "tests": "tests"}
	parts := strings.Split(strings.TrimSuffix(r.URL.Path, "/"), "/")
	if t, ok := posted[parts[len(parts)-1]]; ok && r.Method == http.MethodPost {
		return t
	}
	return Tabs[0]
}

type dashData struct {
	Overview
	Tab            string // the tab shown
	Chooser        web.Chooser
	Regional       org.Regional // the view of a GHT, a region or the nation
	Catalogue      Catalogue
	Kinds          []string
	TestKinds      []string
	PerimeterItems []string
}

// Tabs lists the page's tabs.
func (dashData) Tabs() []string { return Tabs }

// PlanLacks reports whether the framing records perimeter item as not existing.
func (d dashData) PlanLacks(item string) bool { return slices.Contains(d.Plan.Absent, item) }

// Dashboard shows an establishment's or a GHT's whole continuity work on one page.
func (h *Handler) Dashboard(w http.ResponseWriter, r *http.Request) {
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.dashboard(w, r, id, nil)
}

// dashboard shows node id's page (without one, the first node of the chooser
// when it lists them); failed is a refused form's error.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, id int64, failed error) {
	ctx := r.Context()
	d := dashData{Tab: tabOf(r), Kinds: ResourceKinds, TestKinds: TestKinds, PerimeterItems: PerimeterItems}
	var err error
	if d.Regional, err = h.Orgs.Regional(ctx, "/continuite", id, h.Continuity.StatusSource()); err != nil {
		h.Fail(w, r, err)
		return
	}
	if n := d.Regional.Node; n.ID != 0 {
		// A GHT writes its own plan too: its page shows both; a region or the
		// nation has no continuity work of its own.
		if id = 0; n.Level == org.GHT {
			id = n.ID
		}
	} else {
		if d.Chooser, err = h.Orgs.Chooser(ctx, "/continuite", org.Org{}, chooserLevels...); err != nil {
			h.Fail(w, r, err)
			return
		}
		if id == 0 && len(d.Chooser.Few) > 0 {
			id = d.Chooser.Few[0].ID
		}
	}
	if id != 0 {
		if d.Overview, err = h.Continuity.Overview(ctx, id); err != nil {
			h.Fail(w, r, err)
			return
		}
		d.Chooser.Current = d.Org.Choice()
		if d.Catalogue, err = LoadCatalogue(); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	h.show(w, r, "continuity.title", "continuity-dashboard", d, failed)
}

// onNode serves a form posted to node {org}'s page: save reads the form and
// writes; then the page comes back with flash, or with the refused form's error.
func (h *Handler) onNode(w http.ResponseWriter, r *http.Request, flash string, save func(r *http.Request, id int64) error) {
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := save(r, id); err != nil {
		h.dashboard(w, r, id, err)
		return
	}
	web.Done(w, r, flash, fmt.Sprintf("/continuite?org=%d&onglet=%s", id, tabOf(r)))
}

// SavePlan saves the framing.
func (h *Handler) SavePlan(w http.ResponseWriter, r *http.Request) {
	h.onNode(w, r, "continuity.saved", func(r *http.Request, id int64) error {
		f := form{r: r}
		due, margin := f.date("review_due"), f.hours("margin_hours")
		if err := f.Err(); err != nil {
			return err
		}
		return h.Continuity.SavePlan(r.Context(), Plan{OrgID: id, RPCRAName: r.PostFormValue("rpcra_name"), RPCRAEmail: r.PostFormValue("rpcra_email"),
			Mission: r.PostFormValue("mission"), Perimeter: r.PostFormValue("perimeter"), Calendar: r.PostFormValue("calendar"),
			Governance: r.PostFormValue("governance"), ReviewDue: due, Absent: r.PostForm["absent"], MarginHours: margin})
	})
}

// CreateResource adds a register entry.
func (h *Handler) CreateResource(w http.ResponseWriter, r *http.Request) {
	h.onNode(w, r, "continuity.resource_created", func(r *http.Request, id int64) error {
		f := form{r: r}
		rr := ResourceRow{OrgID: id, Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), RTO: f.hours("rto_hours"), RPO: f.hours("rpo_hours"),
			BackupScheme: r.PostFormValue("backup_scheme"), OfflineCopy: r.PostFormValue("offline_copy") == "on", ImmutableCopy: r.PostFormValue("immutable_copy") == "on",
			LastRestoreTest: f.date("last_restore_test"), Owner: r.PostFormValue("owner")}
		if err := f.Err(); err != nil {
			return err
		}
		_, err := h.Continuity.CreateResource(r.Context(), rr)
		return err
	})
}

// ImportResources imports a register CSV.
func (h *Handler) ImportResources(w http.ResponseWriter, r *http.Request) {
	h.onNode(w, r, "continuity.imported", func(r *http.Request, id int64) error {
		file, _, err := r.FormFile("file")
		if err != nil {
			return problem.New(problem.Invalid, "continuity.import.no_file")
		}
		defer file.Close()
		_, err = h.Continuity.ImportResources(r.Context(), id, file)
		return err
	})
}

// AddTest records a plan test.
func (h *Handler) AddTest(w http.ResponseWriter, r *http.Request) {
	h.onNode(w, r, "continuity.test_added", func(r *http.Request, id int64) error {
		planned, err1 := optDate(r.PostFormValue("planned_on"))
		done, err2 := optDate(r.PostFormValue("done_on"))
		if err1 != nil || err2 != nil {
			return dateError("planned_on")
		}
		_, err := h.Continuity.AddTest(r.Context(), PlanTest{OrgID: id, Title: r.PostFormValue("title"), Kind: r.PostFormValue("kind"),
			PlannedOn: planned, DoneOn: done, Result: r.PostFormValue("result"), Actions: r.PostFormValue("actions")})
		return err
	})
}

// CreateActivity adds an activity to the site chosen and opens its BIA.
func (h *Handler) CreateActivity(w http.ResponseWriter, r *http.Request) {
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	site, _ := strconv.ParseInt(r.PostFormValue("site"), 10, 64)
	a, err := h.Continuity.CreateActivity(r.Context(), NewActivity{OrgID: site, CatalogueID: r.PostFormValue("catalogue_id"), Name: r.PostFormValue("name"), Type: r.PostFormValue("type")})
	if err != nil {
		h.dashboard(w, r, id, err)
		return
	}
	web.Done(w, r, "continuity.activity_created", fmt.Sprintf("/continuite/activites/%d", a.ID))
}

// Document sends the plan as the data stands, naming the establishment and the
// day, without recording a version: GET /continuite/noeud/{org}/pcra from the
// page, GET /api/v1/orgs/{org}/pcra from the API.
func (h *Handler) Document(w http.ResponseWriter, r *http.Request) {
	api := strings.HasPrefix(r.URL.Path, "/api/")
	id, err := web.OrgParam(r)
	if err != nil {
		h.refuse(w, r, api, 0, err)
		return
	}
	f, err := h.Continuity.Document(r.Context(), id, r.URL.Query().Get("format"), i18n.FromRequest(r), h.PDF)
	if err != nil {
		h.refuse(w, r, api, id, err)
		return
	}
	types := map[string]string{FormatDOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		FormatODT: "application/vnd.oasis.opendocument.text", FormatPDF: "application/pdf"}
	ascii, name := f.Filename()
	w.Header().Set("Content-Type", types[f.Format])
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name)))
	_, _ = w.Write(f.Data)
}

// NewVersion records a new version of the plan: POST /continuite/noeud/{org}/versions.
func (h *Handler) NewVersion(w http.ResponseWriter, r *http.Request) {
	h.onNode(w, r, "continuity.version_created", func(r *http.Request, id int64) error {
		_, err := h.Continuity.NewVersion(r.Context(), id, i18n.FromRequest(r))
		return err
	})
}

// refuse answers a failed request for node id's document: a problem to the API,
// the page with the error to a person (the error page when no node was read).
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, api bool, id int64, err error) {
	switch {
	case api:
		web.Problem(w, r, err)
	case id == 0:
		h.Fail(w, r, err)
	default:
		h.dashboard(w, r, id, err)
	}
}

// ---- BIA ----

type biaData struct {
	ActivityView
	Catalogue Catalogue
	Horizons  []Horizon
	Depends   map[int64]Dependency
}

// ActivityPage shows an activity's BIA form.
func (h *Handler) ActivityPage(w http.ResponseWriter, r *http.Request) {
	h.activityPage(w, r, nil)
}

func (h *Handler) activityPage(w http.ResponseWriter, r *http.Request, failed error) {
	av, ok := web.ByID(w, r, h.Fail, h.Continuity.ActivityView)
	if !ok {
		return
	}
	cat, err := LoadCatalogue()
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := biaData{ActivityView: av, Catalogue: cat, Horizons: h.Continuity.horizons(), Depends: map[int64]Dependency{}}
	for _, dep := range av.Activity.Dependencies {
		d.Depends[dep.ResourceID] = dep
	}
	h.show(w, r, "continuity.bia_title", "continuity-bia", d, failed)
}

// SaveBIA saves the BIA form.
func (h *Handler) SaveBIA(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDForm(w, r, h.Fail)
	if !ok {
		return
	}
	b, err := h.biaForm(r)
	if err != nil {
		h.activityPage(w, r, err)
		return
	}
	if _, err := h.Continuity.SaveBIA(r.Context(), id, b); err != nil {
		h.activityPage(w, r, err)
		return
	}
	web.Done(w, r, "continuity.bia_saved", fmt.Sprintf("/continuite/activites/%d", id))
}

// biaForm reads the BIA form; its unreadable fields are a refusal.
func (h *Handler) biaForm(r *http.Request) (BIA, error) {
	b := BIA{Impacts: Impacts{}, DMIAJustification: r.PostFormValue("dmia_justification")}
	f := form{r: r}
	for _, crit := range Criteria {
		for _, hz := range h.Continuity.horizons() {
			v := r.PostFormValue("impact_" + crit + "_" + string(hz))
			if v == "" {
				continue
			}
			level, err := strconv.Atoi(v)
			if err != nil {
				f.Add("impacts."+crit, "continuity.error.level", v)
				continue
			}
			if b.Impacts[crit] == nil {
				b.Impacts[crit] = map[Horizon]int{}
			}
			b.Impacts[crit][hz] = level
		}
	}
	b.PDMA, b.DMIAOverride, b.ReviewDue = f.hours("pdma_hours"), f.hours("dmia_override_hours"), f.date("review_due")
	staff, peaks := r.PostFormValue("minimum_staff"), r.PostFormValue("peak_periods")
	b.MinimumStaff, b.PeakPeriods = &staff, &peaks
	for key := range r.PostForm {
		rid, ok := strings.CutPrefix(key, "dep_")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(rid, 10, 64)
		if err != nil {
			continue // not a resource id: ignored
		}
		b.Dependencies = append(b.Dependencies, DependencyInput{ResourceID: n, Critical: r.PostFormValue("crit_"+rid) == "on"})
	}
	return b, f.Err()
}

// ---- degraded-mode sheet ----

// SheetPage shows the degraded-mode sheet of an activity.
func (h *Handler) SheetPage(w http.ResponseWriter, r *http.Request) {
	h.sheetPage(w, r, nil, nil)
}

// sheetPage shows the sheet; posted, when set, is the refused form, shown again
// with failed.
func (h *Handler) sheetPage(w http.ResponseWriter, r *http.Request, posted *Sheet, failed error) {
	sv, ok := web.ByID(w, r, h.Fail, h.Continuity.SheetView)
	if !ok {
		return
	}
	if posted != nil {
		sv.Sheet = *posted
	}
	h.show(w, r, "continuity.sheet_title", "continuity-sheet", sv, failed)
}

// SaveSheet saves the degraded-mode sheet.
func (h *Handler) SaveSheet(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	f := form{r: r}
	sh := Sheet{ActivityID: id, Trigger: r.PostFormValue("trigger"), FirstActions: r.PostFormValue("first_actions"), PaperForms: r.PostFormValue("paper_forms"),
		Roles: r.PostFormValue("roles"), Communication: r.PostFormValue("communication"), ReturnToNormal: r.PostFormValue("return_to_normal"), Rekeying: r.PostFormValue("rekeying"),
		Holds: f.hours("holds_hours")}
	if err := f.Err(); err != nil {
		h.sheetPage(w, r, &sh, err)
		return
	}
	if err := h.Continuity.SaveSheet(r.Context(), sh); err != nil {
		h.sheetPage(w, r, &sh, err)
		return
	}
	web.Done(w, r, "continuity.sheet_saved", fmt.Sprintf("/continuite/activites/%d/mode-degrade", id))
}
