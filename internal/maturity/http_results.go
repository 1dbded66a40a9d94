package maturity

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
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

// ---- results ----

type resultData struct {
	Sheet
	Radar     template.HTML
	PrintedAt time.Time
}

// results reads the assessment of the request, with the earlier ones of its
// establishment to compare with, and draws its radar, in a view titled title.
// On failure it answers and returns false.
func (h *Handler) results(w http.ResponseWriter, r *http.Request, title string) (*web.View, resultData, bool) {
	sh, ok := web.ByID(w, r, h.Fail, h.Assessments.Results)
	if !ok {
		return nil, resultData{}, false
	}
	v := h.View(r, title)
	d := resultData{Sheet: sh, Radar: radar(v.Lang, sh.Result), PrintedAt: time.Now()}
	v.Data = d
	return v, d, true
}

// radar draws the theme scores of a result.
func radar(lang i18n.Lang, res Result) template.HTML {
	points := make([]RadarPoint, len(res.Themes))
	for i, t := range res.Themes {
		points[i] = RadarPoint{Label: themeTitle(lang, t.Title, t.TitleEN), Percent: t.Percent}
	}
	return Radar(lang.T("maturity.radar_title"), points)
}

func themeTitle(l i18n.Lang, fr, en string) string {
	if l == i18n.EN && en != "" {
		return en
	}
	return fr
}

// Results shows the level, the radar, the priority measures and the detail.
func (h *Handler) Results(w http.ResponseWriter, r *http.Request) {
	v, _, ok := h.results(w, r, "maturity.results_title")
	if !ok {
		return
	}
	v.Flash = web.TakeFlash(w, r)
	h.Render.Render(w, http.StatusOK, "maturity-results", v)
}

// download sends data as an attachment named name.
func download(w http.ResponseWriter, contentType, name string, data []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	_, _ = w.Write(data)
}

// ReportPDF prints the restitution: level, radar and six priority measures on the
// first page, then the detail.
func (h *Handler) ReportPDF(w http.ResponseWriter, r *http.Request) {
	v, d, ok := h.results(w, r, "maturity.report_title")
	if !ok {
		return
	}
	var b strings.Builder
	if err := h.Render.Execute(&b, "maturity-report", v); err != nil {
		h.Fail(w, r, err)
		return
	}
	pdf, err := h.PDF.Render(r.Context(), b.String())
	if errors.Is(err, docs.ErrNoBrowser) {
		err = problem.New(problem.Conflict, "maturity.error.no_pdf")
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	download(w, "application/pdf", fmt.Sprintf("restitution-%d.pdf", d.Assessment.ID), pdf)
}

// AnswersXLSX sends the answers as a spreadsheet.
func (h *Handler) AnswersXLSX(w http.ResponseWriter, r *http.Request) {
	sh, ok := web.ByID(w, r, h.Fail, h.Assessments.Open)
	if !ok {
		return
	}
	data, err := AnswersXLSX(sh.Assessment, sh.Questionnaire, sh.Answers, sh.Result)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	download(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", fmt.Sprintf("autoevaluation-%d.xlsx", sh.Assessment.ID), data)
}

type compareData struct {
	Comparison
	Chart template.HTML
}

// Compare shows two assessments of one establishment side by side.
func (h *Handler) Compare(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	other, err := strconv.ParseInt(r.URL.Query().Get("avec"), 10, 64)
	if err != nil {
		h.Fail(w, r, problem.New(problem.Invalid, "maturity.error.compare"))
		return
	}
	c, err := h.Assessments.Compare(r.Context(), other, id)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	v := h.View(r, "maturity.compare_title")
	v.Data = compareData{Comparison: c, Chart: DeltaChart(v.T("maturity.compare_title"), c.Themes)}
	h.Render.Render(w, http.StatusOK, "maturity-compare", v)
}

// ---- roll-ups ----

type rollUpData struct {
	RollUp   RollUp
	Chooser  web.Chooser // the nodes above establishments: a short list, else a search
	Versions []Version
	Slug     string
}

// rollUpNode is the node a roll-up page shows: org, as every page names its
// node, or noeud, as its first links did.
func rollUpNode(r *http.Request) (int64, error) {
	if q := r.URL.Query(); !q.Has("org") && q.Has("noeud") {
		q.Set("org", q.Get("noeud"))
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
	}
	return web.OrgParam(r)
}

// RollUpPage shows the distribution of levels and theme scores under a node.
func (h *Handler) RollUpPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := rollUpNode(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := rollUpData{Slug: r.URL.Query().Get("questionnaire")}
	if d.Versions, err = h.Assessments.Versions(ctx, false); err != nil {
		h.Fail(w, r, err)
		return
	}
	if d.Slug == "" && len(d.Versions) > 0 {
		d.Slug = d.Versions[0].Slug
	}
	target := "/syntheses?" + url.Values{"questionnaire": {d.Slug}}.Encode()
	if d.Chooser, err = h.Orgs.Chooser(ctx, target, org.Org{}, org.National, org.Region, org.GHT); err != nil {
		h.Fail(w, r, err)
		return
	}
	if id == 0 {
		id = firstNode(r, d.Chooser)
	}
	if id != 0 && d.Slug != "" {
		if d.RollUp, err = h.Assessments.RollUp(ctx, id, d.Slug); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	d.Chooser.Current = d.RollUp.Org.Choice()
	v := h.View(r, "maturity.rollup_title")
	v.Data = d
	h.Render.Render(w, http.StatusOK, "maturity-rollup", v)
}

// firstNode is the node a roll-up page opens on: the first of a short list, else
// the top of the caller's reach.
func firstNode(r *http.Request, c web.Chooser) int64 {
	if len(c.Few) > 0 {
		return c.Few[0].ID
	}
	if roots := authz.Current(r.Context()).Scope(authz.OrgRead); c.Search && len(roots) > 0 {
		ids := org.PathIDs(roots[0])
		return ids[len(ids)-1]
	}
	return 0
}

// ---- questionnaires ----

// Questionnaires lists every version and offers the import form.
func (h *Handler) Questionnaires(w http.ResponseWriter, r *http.Request) {
	v := h.View(r, "maturity.questionnaires_title")
	if h.questionnaires(w, r, v) {
		h.Render.Render(w, http.StatusOK, "maturity-questionnaires", v)
	}
}

// questionnaires reads the questionnaires page into v; on failure it answers and
// returns false.
func (h *Handler) questionnaires(w http.ResponseWriter, r *http.Request, v *web.View) bool {
	versions, err := h.Assessments.Versions(r.Context(), true)
	if err != nil {
		h.Fail(w, r, err)
		return false
	}
	v.Data = struct {
		Versions   []Version
		CanContent bool
	}{versions, authz.Current(r.Context()).CanAnywhere(authz.ContentManage)}
	return true
}

// Import stores an uploaded questionnaire version.
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) {
	err := docs.Upload(r, "file", problem.New(problem.Invalid, "maturity.error.file_missing"), false, func(_ string, data []byte) error {
		_, err := h.Assessments.Import(r.Context(), data)
		return err
	})
	v := h.View(r, "maturity.questionnaires_title")
	if !h.questionnaires(w, r, v) {
		return
	}
	if err != nil {
		h.Again(w, r, "maturity-questionnaires", v, err)
		return
	}
	v.Flash = "maturity.imported"
	h.Render.Render(w, http.StatusCreated, "maturity-questionnaires", v)
}

// Source sends a questionnaire version's YAML, to edit and import again.
func (h *Handler) Source(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	src, err := h.Assessments.Source(r.Context(), id)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	download(w, "application/yaml; charset=utf-8", fmt.Sprintf("questionnaire-%d.yaml", id), []byte(src))
}
