package continuity

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"care/internal/authz"
	"care/internal/platform/docs"
	"care/internal/platform/i18n"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// NodeChoice is a node offered in the continuity pages' selector.
type NodeChoice struct {
	ID    int64
	Label string
}

// Handler serves the continuity pages and API.
type Handler struct {
	Continuity *Service
	Render     *web.Renderer
	View       func(r *http.Request, title string) *web.View
	PDF        *docs.PDF
	// Nodes lists the GHT, establishments and sites the caller may open.
	Nodes func(ctx context.Context) ([]NodeChoice, error)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.Render.Fail(w, r, h.View(r, "error.title"), err)
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

// ---- dashboard ----

type dashData struct {
	Nodes      []NodeChoice
	Org        int64
	OrgName    string
	Plan       Plan
	Activities []Activity
	Resources  []ResourceRow
	Gaps       []Gap
	Coverage   Coverage
	Perimeter  Perimeter
	Evaluation Evaluation
	Tests      []PlanTest
	Versions   []Version
	Catalogue  Catalogue
	Sheets     map[int64]bool
	CanWrite   bool
	Now        time.Time
	Kinds      []string
	TestKinds  []string
}

// Dashboard shows an establishment's or a GHT's whole continuity work on one page.
func (h *Handler) Dashboard(w http.ResponseWriter, r *http.Request) {
	h.dashboard(w, r, http.StatusOK, h.View(r, "continuity.title"))
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, status int, v *web.View) {
	ctx := r.Context()
	d := dashData{Now: time.Now(), Kinds: ResourceKinds, TestKinds: TestKinds, Sheets: map[int64]bool{}}
	var err error
	if d.Nodes, err = h.Nodes(ctx); err != nil {
		h.fail(w, r, err)
		return
	}
	d.Org, _ = strconv.ParseInt(r.URL.Query().Get("org"), 10, 64)
	if d.Org == 0 {
		d.Org, _ = strconv.ParseInt(r.PathValue("org"), 10, 64)
	}
	if d.Org == 0 && len(d.Nodes) > 0 {
		d.Org = d.Nodes[0].ID
	}
	if v.Flash == "" {
		v.Flash = web.TakeFlash(w, r)
	}
	if d.Org == 0 {
		v.Data = d
		h.Render.Render(w, status, "continuity-dashboard", v)
		return
	}
	s := h.Continuity
	n, err := readable(ctx, s.DB.Read, d.Org)
	if err == nil {
		d.OrgName = n.Name
		d.CanWrite = subjectCan(ctx, authz.ProgrammeWrite, n.Path)
		d.Plan, err = s.GetPlan(ctx, d.Org)
	}
	if err == nil {
		d.Activities, err = s.activitiesUnder(ctx, n.Path)
	}
	if err == nil {
		d.Resources, err = s.resourcesFor(ctx, n.Path)
	}
	if err == nil {
		d.Gaps = gapsOf(d.Activities, d.Resources)
		d.Coverage, d.Perimeter, err = s.CoverageFor(ctx, d.Org)
	}
	if err == nil {
		d.Tests, err = s.Tests(ctx, d.Org)
	}
	if err == nil {
		d.Versions, err = s.Versions(ctx, d.Org)
	}
	if err == nil {
		d.Sheets, err = s.sheetsWritten(ctx, d.Activities)
	}
	if err == nil {
		d.Catalogue, err = LoadCatalogue()
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Evaluation = Evaluate(EvalInput{Plan: d.Plan, Activities: d.Activities, Resources: d.Resources, Gaps: d.Gaps, Sheets: d.Sheets,
		Tests: d.Tests, Versions: d.Versions, Now: d.Now})
	v.Data = d
	h.Render.Render(w, status, "continuity-dashboard", v)
}

func subjectCan(ctx context.Context, a authz.Action, path string) bool {
	s, _ := authz.FromContext(ctx)
	return s.Can(a, path)
}

// sheetsWritten tells which activities have a written degraded-mode sheet.
func (s *Service) sheetsWritten(ctx context.Context, acts []Activity) (map[int64]bool, error) {
	sheets, err := s.writtenSheets(ctx, acts)
	out := map[int64]bool{}
	for id := range sheets {
		out[id] = true
	}
	return out, err
}

// orgOf reads the node from the path: {org} in the pages, {id} in the API.
func orgOf(r *http.Request) int64 {
	v := r.PathValue("org")
	if v == "" {
		v = r.PathValue("id")
	}
	id, _ := strconv.ParseInt(v, 10, 64)
	return id
}

func (h *Handler) back(w http.ResponseWriter, r *http.Request, org int64, flash string) {
	web.SetFlash(w, flash)
	web.Redirect(w, r, fmt.Sprintf("/continuite?org=%d", org))
}

func (h *Handler) again(w http.ResponseWriter, r *http.Request, err error) {
	web.LogIfInternal(r, err)
	v := h.View(r, "continuity.title")
	v.SetError(err)
	q := r.URL.Query()
	q.Set("org", strconv.FormatInt(orgOf(r), 10))
	r.URL.RawQuery = q.Encode()
	h.dashboard(w, r, web.Status(err), v)
}

// SavePlan saves the framing.
func (h *Handler) SavePlan(w http.ResponseWriter, r *http.Request) {
	org := orgOf(r)
	due, err := optDate(r.PostFormValue("review_due"))
	if err != nil {
		h.again(w, r, dateError("review_due"))
		return
	}
	p := Plan{OrgID: org, RPCRAName: r.PostFormValue("rpcra_name"), RPCRAEmail: r.PostFormValue("rpcra_email"), Mission: r.PostFormValue("mission"),
		Perimeter: r.PostFormValue("perimeter"), Calendar: r.PostFormValue("calendar"), Governance: r.PostFormValue("governance"), ReviewDue: due}
	if err := h.Continuity.SavePlan(r.Context(), p); err != nil {
		h.again(w, r, err)
		return
	}
	h.back(w, r, org, "continuity.saved")
}

func dateError(field string) error {
	var c problem.Checks
	c.Add(field, "continuity.error.date")
	return c.Err()
}

// CreateActivity adds an activity and opens its BIA.
func (h *Handler) CreateActivity(w http.ResponseWriter, r *http.Request) {
	site, _ := strconv.ParseInt(r.PostFormValue("site"), 10, 64)
	a, err := h.Continuity.CreateActivity(r.Context(), NewActivity{OrgID: site, CatalogueID: r.PostFormValue("catalogue_id"), Name: r.PostFormValue("name"), Type: r.PostFormValue("type")})
	if err != nil {
		h.again(w, r, err)
		return
	}
	web.SetFlash(w, "continuity.activity_created")
	web.Redirect(w, r, fmt.Sprintf("/continuite/activites/%d", a.ID))
}

// CreateResource adds a register entry.
func (h *Handler) CreateResource(w http.ResponseWriter, r *http.Request) {
	org := orgOf(r)
	rr := ResourceRow{OrgID: org, Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), BackupScheme: r.PostFormValue("backup_scheme"),
		OfflineCopy: r.PostFormValue("offline_copy") == "on", ImmutableCopy: r.PostFormValue("immutable_copy") == "on", Owner: r.PostFormValue("owner")}
	var err error
	var c problem.Checks
	if rr.RTO, err = optInt(r.PostFormValue("rto_hours")); err != nil {
		c.Add("rto_hours", "continuity.error.hours")
	}
	if rr.RPO, err = optInt(r.PostFormValue("rpo_hours")); err != nil {
		c.Add("rpo_hours", "continuity.error.hours")
	}
	if rr.LastRestoreTest, err = optDate(r.PostFormValue("last_restore_test")); err != nil {
		c.Add("last_restore_test", "continuity.error.date")
	}
	if err := c.Err(); err != nil {
		h.again(w, r, err)
		return
	}
	if _, err := h.Continuity.CreateResource(r.Context(), rr); err != nil {
		h.again(w, r, err)
		return
	}
	h.back(w, r, org, "continuity.resource_created")
}

// ImportResources imports a register CSV.
func (h *Handler) ImportResources(w http.ResponseWriter, r *http.Request) {
	org := orgOf(r)
	file, _, err := r.FormFile("file")
	if err != nil {
		h.again(w, r, problem.New(problem.Invalid, "continuity.import.no_file"))
		return
	}
	defer file.Close()
	if _, err := h.Continuity.ImportResources(r.Context(), org, file); err != nil {
		h.again(w, r, err)
		return
	}
	h.back(w, r, org, "continuity.imported")
}

// AddTest records a plan test.
func (h *Handler) AddTest(w http.ResponseWriter, r *http.Request) {
	org := orgOf(r)
	planned, err1 := optDate(r.PostFormValue("planned_on"))
	done, err2 := optDate(r.PostFormValue("done_on"))
	if err1 != nil || err2 != nil {
		h.again(w, r, dateError("planned_on"))
		return
	}
	t := PlanTest{OrgID: org, Title: r.PostFormValue("title"), Kind: r.PostFormValue("kind"), PlannedOn: planned, DoneOn: done,
		Result: r.PostFormValue("result"), Actions: r.PostFormValue("actions")}
	if _, err := h.Continuity.AddTest(r.Context(), t); err != nil {
		h.again(w, r, err)
		return
	}
	h.back(w, r, org, "continuity.test_added")
}

// Document generates the plan and sends it.
func (h *Handler) Document(w http.ResponseWriter, r *http.Request) {
	org := orgOf(r)
	format := r.URL.Query().Get("format")
	data, v, err := h.Continuity.Generate(r.Context(), org, format, i18n.FromRequest(r), h.PDF)
	if err != nil {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			web.Problem(w, r, err)
			return
		}
		h.again(w, r, err)
		return
	}
	types := map[string]string{FormatDOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		FormatODT: "application/vnd.oasis.opendocument.text", FormatPDF: "application/pdf"}
	w.Header().Set("Content-Type", types[format])
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="pcra-%d-v%d.%s"`, org, v.Version, format))
	_, _ = w.Write(data)
}

// ---- BIA ----

type biaData struct {
	Activity  Activity
	Resources []ResourceRow
	Catalogue Catalogue
	Horizons  []Horizon
	Depends   map[int64]Dependency
	CanWrite  bool
}

// ActivityPage shows an activity's BIA form.
func (h *Handler) ActivityPage(w http.ResponseWriter, r *http.Request) {
	h.activityPage(w, r, http.StatusOK, h.View(r, "continuity.bia_title"))
}

func (h *Handler) activityPage(w http.ResponseWriter, r *http.Request, status int, v *web.View) {
	id, err := web.PathID(r, "id")
	var a Activity
	if err == nil {
		a, err = h.Continuity.GetActivity(r.Context(), id)
	}
	var res []ResourceRow
	if err == nil {
		var n node
		n, err = readable(r.Context(), h.Continuity.DB.Read, a.OrgID)
		if err == nil {
			res, err = h.Continuity.resourcesFor(r.Context(), n.Path)
		}
	}
	cat, cerr := LoadCatalogue()
	if err == nil {
		err = cerr
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := biaData{Activity: a, Resources: res, Catalogue: cat, Horizons: h.Continuity.horizons(), Depends: map[int64]Dependency{}, CanWrite: subjectCan(r.Context(), authz.ProgrammeWrite, a.OrgPath)}
	for _, dep := range a.Dependencies {
		d.Depends[dep.ResourceID] = dep
	}
	if v.Flash == "" {
		v.Flash = web.TakeFlash(w, r)
	}
	v.Data = d
	h.Render.Render(w, status, "continuity-bia", v)
}

// SaveBIA saves the BIA form.
func (h *Handler) SaveBIA(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, problem.New(problem.Invalid, "error.invalid"))
		return
	}
	b := BIA{Impacts: Impacts{}, DMIAJustification: r.PostFormValue("dmia_justification")}
	var c problem.Checks
	for _, crit := range Criteria {
		for _, hz := range h.Continuity.horizons() {
			v := r.PostFormValue("impact_" + crit + "_" + string(hz))
			if v == "" {
				continue
			}
			level, err := strconv.Atoi(v)
			if err != nil {
				c.Add("impacts."+crit, "continuity.error.level", v)
				continue
			}
			if b.Impacts[crit] == nil {
				b.Impacts[crit] = map[Horizon]int{}
			}
			b.Impacts[crit][hz] = level
		}
	}
	if b.PDMA, err = optInt(r.PostFormValue("pdma_hours")); err != nil {
		c.Add("pdma_hours", "continuity.error.hours")
	}
	if b.DMIAOverride, err = optInt(r.PostFormValue("dmia_override_hours")); err != nil {
		c.Add("dmia_override_hours", "continuity.error.hours")
	}
	if b.ReviewDue, err = optDate(r.PostFormValue("review_due")); err != nil {
		c.Add("review_due", "continuity.error.date")
	}
	staff, peaks := r.PostFormValue("minimum_staff"), r.PostFormValue("peak_periods")
	b.MinimumStaff, b.PeakPeriods = &staff, &peaks
	for key := range r.PostForm {
		if rid, ok := strings.CutPrefix(key, "dep_"); ok {
			n, err := strconv.ParseInt(rid, 10, 64)
			if err == nil {
				b.Dependencies = append(b.Dependencies, DependencyInput{ResourceID: n, Critical: r.PostFormValue("crit_"+rid) == "on"})
			}
		}
	}
	err = c.Err()
	if err == nil {
		_, err = h.Continuity.SaveBIA(r.Context(), id, b)
	}
	if err != nil {
		web.LogIfInternal(r, err)
		v := h.View(r, "continuity.bia_title")
		v.SetError(err)
		h.activityPage(w, r, web.Status(err), v)
		return
	}
	web.SetFlash(w, "continuity.bia_saved")
	web.Redirect(w, r, fmt.Sprintf("/continuite/activites/%d", id))
}

// SheetPage shows the degraded-mode sheet of an activity.
func (h *Handler) SheetPage(w http.ResponseWriter, r *http.Request) {
	h.sheetPage(w, r, http.StatusOK, h.View(r, "continuity.sheet_title"), nil)
}

func (h *Handler) sheetPage(w http.ResponseWriter, r *http.Request, status int, v *web.View, posted *Sheet) {
	id, err := web.PathID(r, "id")
	var a Activity
	var sh Sheet
	if err == nil {
		a, err = h.Continuity.GetActivity(r.Context(), id)
	}
	if err == nil {
		sh, err = h.Continuity.GetSheet(r.Context(), id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if posted != nil {
		sh = *posted
	}
	v.Flash = web.TakeFlash(w, r)
	v.Data = struct {
		Activity Activity
		Sheet    Sheet
		CanWrite bool
	}{a, sh, subjectCan(r.Context(), authz.ProgrammeWrite, a.OrgPath)}
	h.Render.Render(w, status, "continuity-sheet", v)
}

// SaveSheet saves the degraded-mode sheet.
func (h *Handler) SaveSheet(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sh := Sheet{ActivityID: id, Trigger: r.PostFormValue("trigger"), FirstActions: r.PostFormValue("first_actions"), PaperForms: r.PostFormValue("paper_forms"),
		Roles: r.PostFormValue("roles"), Communication: r.PostFormValue("communication"), ReturnToNormal: r.PostFormValue("return_to_normal"), Rekeying: r.PostFormValue("rekeying")}
	if err := h.Continuity.SaveSheet(r.Context(), sh); err != nil {
		web.LogIfInternal(r, err)
		v := h.View(r, "continuity.sheet_title")
		v.SetError(err)
		h.sheetPage(w, r, web.Status(err), v, &sh)
		return
	}
	web.SetFlash(w, "continuity.sheet_saved")
	web.Redirect(w, r, fmt.Sprintf("/continuite/activites/%d/mode-degrade", id))
}
