package maturity

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
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

// OrgChoice is an establishment offered when starting an assessment, or a node
// offered for a roll-up.
type OrgChoice struct {
	ID    int64
	Label string
}

// Handler serves the self-assessment pages and API.
type Handler struct {
	Assessments *Service
	Render      *web.Renderer
	View        func(r *http.Request, title string) *web.View
	PDF         *docs.PDF
	// Establishments lists the establishments where the caller may run assessments.
	Establishments func(ctx context.Context) ([]OrgChoice, error)
	// Nodes lists the nodes the caller may roll up (regions, GHT, the root).
	Nodes func(ctx context.Context) ([]OrgChoice, error)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.Render.Fail(w, r, h.View(r, "error.title"), err)
}

func (h *Handler) assessment(r *http.Request) (Assessment, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Assessment{}, err
	}
	return h.Assessments.Get(r.Context(), id)
}

func can(r *http.Request, a authz.Action, path string) bool {
	s, _ := authz.FromContext(r.Context())
	return s.Can(a, path)
}

// ---- list and creation ----

type listData struct {
	Assessments    []Assessment
	Total          int
	Versions       []Version
	Establishments []OrgChoice
	CanContent     bool
}

// List shows the visible assessments and the form to start one.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, http.StatusOK, h.View(r, "maturity.title"))
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, status int, v *web.View) {
	ctx := r.Context()
	d := listData{}
	var err error
	if d.Assessments, d.Total, err = h.Assessments.List(ctx, Filter{Limit: 200}); err == nil {
		if d.Versions, err = h.Assessments.Versions(ctx, false); err == nil {
			d.Establishments, err = h.Establishments(ctx)
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s, _ := authz.FromContext(ctx)
	d.CanContent = s.CanAnywhere(authz.ContentManage)
	if v.Flash == "" {
		v.Flash = web.TakeFlash(w, r)
	}
	v.Data = d
	h.Render.Render(w, status, "maturity-list", v)
}

// Create starts an assessment and opens it.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	qid, _ := strconv.ParseInt(r.PostFormValue("questionnaire"), 10, 64)
	org, _ := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	a, err := h.Assessments.Create(r.Context(), qid, org)
	if err != nil {
		web.LogIfInternal(r, err)
		v := h.View(r, "maturity.title")
		v.SetError(err)
		v.Form = map[string]string{"questionnaire": r.PostFormValue("questionnaire"), "org": r.PostFormValue("org")}
		h.list(w, r, web.Status(err), v)
		return
	}
	web.Redirect(w, r, fmt.Sprintf("/autoevaluations/%d", a.ID))
}

// ---- filling ----

// questionView is one question as the form shows it.
type questionView struct {
	Question
	Hidden   bool
	Answer   Answer
	Evidence []Evidence
	Editable bool
	AID      int64
	Theme    string
}

type themeView struct {
	Theme
	Questions []questionView
	Score     ThemeScore
}

type fillData struct {
	Assessment    Assessment
	Questionnaire Questionnaire
	Themes        []themeView
	Result        Result
	Editable      bool
	CanSubmit     bool
	CanReopen     bool
	CanValidate   bool
	CanLock       bool
}

func (h *Handler) fillData(ctx context.Context, r *http.Request, a Assessment) (fillData, error) {
	q, err := h.Assessments.Questionnaire(ctx, a.QuestionnaireID)
	if err != nil {
		return fillData{}, err
	}
	stored, err := h.Assessments.Answers(ctx, a.ID)
	if err != nil {
		return fillData{}, err
	}
	evidence, err := h.Assessments.EvidenceList(ctx, a.ID)
	if err != nil {
		return fillData{}, err
	}
	choices := Choices(stored)
	res := q.Score(choices)
	write := can(r, authz.ProgrammeWrite, a.OrgPath)
	sign := can(r, authz.SignOff, a.OrgPath)
	d := fillData{Assessment: a, Questionnaire: q, Result: res, Editable: write && a.Status.Editable(),
		CanSubmit: write && a.Status == Draft, CanReopen: write && a.Status == Review,
		CanValidate: sign && a.Status == Review, CanLock: sign && a.Status == Validated}
	for i, t := range q.Themes {
		tv := themeView{Theme: t, Score: res.Themes[i]}
		for _, qu := range t.Questions {
			qv := questionView{Question: qu, Hidden: !q.Visible(qu, choices), Answer: stored[qu.ID], Editable: d.Editable, AID: a.ID, Theme: t.ID}
			for _, e := range evidence {
				if e.QuestionID == qu.ID {
					qv.Evidence = append(qv.Evidence, e)
				}
			}
			tv.Questions = append(tv.Questions, qv)
		}
		d.Themes = append(d.Themes, tv)
	}
	return d, nil
}

// Fill shows an assessment: the form while editable, the answers afterwards.
func (h *Handler) Fill(w http.ResponseWriter, r *http.Request) {
	a, err := h.assessment(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderFill(w, r, http.StatusOK, h.View(r, ""), a)
}

func (h *Handler) renderFill(w http.ResponseWriter, r *http.Request, status int, v *web.View, a Assessment) {
	d, err := h.fillData(r.Context(), r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Title = "maturity.fill_title"
	if v.Flash == "" {
		v.Flash = web.TakeFlash(w, r)
	}
	v.Data = d
	h.Render.Render(w, status, "maturity-fill", v)
}

// readChanges reads answers posted by the form: option_<qid> and comment_<qid>.
func readChanges(form url.Values) map[string]Change {
	changes := map[string]Change{}
	for key, vals := range form {
		if len(vals) == 0 {
			continue
		}
		val := vals[0]
		if qid, ok := strings.CutPrefix(key, "option_"); ok {
			c := changes[qid]
			c.Option = &val
			changes[qid] = c
		}
		if qid, ok := strings.CutPrefix(key, "comment_"); ok {
			c := changes[qid]
			c.Comment = &val
			changes[qid] = c
		}
	}
	return changes
}

// Save records answers: the whole form (no script), or one question at a time from
// htmx, which then gets the progress and the questions whose visibility changed.
func (h *Handler) Save(w http.ResponseWriter, r *http.Request) {
	a, err := h.assessment(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, problem.New(problem.Invalid, "error.invalid"))
		return
	}
	before, err := h.fillData(r.Context(), r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	_, err = h.Assessments.SaveAnswers(r.Context(), a.ID, readChanges(r.PostForm))
	partial := r.Header.Get("HX-Request") == "true"
	if err != nil {
		web.LogIfInternal(r, err)
		v := h.View(r, "")
		v.SetError(err)
		if partial {
			w.Header().Set("HX-Reswap", "none")
			h.Render.Render(w, web.Status(err), "maturity-save-error", v)
			return
		}
		h.renderFill(w, r, web.Status(err), v, a)
		return
	}
	if !partial {
		web.SetFlash(w, "maturity.saved")
		web.Redirect(w, r, fmt.Sprintf("/autoevaluations/%d", a.ID))
		return
	}
	d, err := h.fillData(r.Context(), r, a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Send back only the questions that appeared or disappeared: re-rendering the
	// others would replace fields under the user's cursor.
	hidden := map[string]bool{}
	for _, t := range before.Themes {
		for _, q := range t.Questions {
			hidden[q.ID] = q.Hidden
		}
	}
	var changed []questionView
	for _, t := range d.Themes {
		for _, q := range t.Questions {
			if hidden[q.ID] != q.Hidden {
				changed = append(changed, q)
			}
		}
	}
	v := h.View(r, "")
	v.Data = savedData{Result: d.Result, Changed: changed}
	h.Render.Render(w, http.StatusOK, "maturity-saved", v)
}

type savedData struct {
	Result  Result
	Changed []questionView
}

// AddEvidence attaches an uploaded file to a question.
func (h *Handler) AddEvidence(w http.ResponseWriter, r *http.Request) {
	a, err := h.assessment(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	qid := r.FormValue("question")
	file, header, err := r.FormFile("file")
	if err == nil {
		defer file.Close()
		var data []byte
		if data, err = io.ReadAll(file); err == nil {
			_, err = h.Assessments.AddEvidence(r.Context(), a.ID, qid, header.Filename, data)
		}
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = problem.New(problem.TooLarge, "maturity.error.evidence_size", MaxEvidenceSize>>20)
	} else if err != nil && !isProblem(err) {
		err = problem.New(problem.Invalid, "maturity.error.evidence_missing")
	}
	if err != nil {
		web.LogIfInternal(r, err)
		v := h.View(r, "")
		v.SetError(err)
		h.renderFill(w, r, web.Status(err), v, a)
		return
	}
	web.SetFlash(w, "maturity.evidence_added")
	web.Redirect(w, r, fmt.Sprintf("/autoevaluations/%d#q-%s", a.ID, url.PathEscape(qid)))
}

func isProblem(err error) bool {
	_, ok := problem.As(err)
	return ok
}

// Evidence sends a stored file as an attachment, never rendered inline.
func (h *Handler) Evidence(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var eid int64
	if err == nil {
		eid, err = web.PathID(r, "eid")
	}
	var e Evidence
	var data []byte
	if err == nil {
		e, data, err = h.Assessments.EvidenceFile(r.Context(), id, eid)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", e.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(e.Filename))
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(data)
}

// DeleteEvidence removes a file.
func (h *Handler) DeleteEvidence(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var eid int64
	if err == nil {
		eid, err = web.PathID(r, "eid")
	}
	if err == nil {
		err = h.Assessments.DeleteEvidence(r.Context(), id, eid)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.SetFlash(w, "maturity.evidence_deleted")
	web.Redirect(w, r, fmt.Sprintf("/autoevaluations/%d", id))
}

// Transition moves the assessment through its lifecycle.
func (h *Handler) Transition(to Status) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := web.PathID(r, "id")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		a, err := h.transition(r.Context(), id, to)
		if err != nil {
			web.LogIfInternal(r, err)
			cur, gerr := h.Assessments.Get(r.Context(), id)
			if gerr != nil {
				h.fail(w, r, gerr)
				return
			}
			v := h.View(r, "")
			v.SetError(err)
			h.renderFill(w, r, web.Status(err), v, cur)
			return
		}
		web.SetFlash(w, "maturity.status_"+string(a.Status))
		if to == Validated {
			web.Redirect(w, r, fmt.Sprintf("/autoevaluations/%d/resultats", id))
			return
		}
		web.Redirect(w, r, fmt.Sprintf("/autoevaluations/%d", id))
	}
}

func (h *Handler) transition(ctx context.Context, id int64, to Status) (Assessment, error) {
	switch to {
	case Review:
		return h.Assessments.Submit(ctx, id)
	case Draft:
		return h.Assessments.Reopen(ctx, id)
	case Validated:
		return h.Assessments.Validate(ctx, id)
	case Locked:
		return h.Assessments.Lock(ctx, id)
	}
	return Assessment{}, problem.ErrNotFound
}

// ---- results ----

type resultData struct {
	Assessment    Assessment
	Questionnaire Questionnaire
	Result        Result
	Radar         template.HTML
	Others        []Assessment // earlier assessments of the same establishment, to compare with
	PrintedAt     time.Time
}

func (h *Handler) resultData(r *http.Request) (resultData, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return resultData{}, err
	}
	a, q, res, err := h.Assessments.Result(r.Context(), id)
	if err != nil {
		return resultData{}, err
	}
	lang := i18n.FromRequest(r)
	points := make([]RadarPoint, len(res.Themes))
	for i, t := range res.Themes {
		points[i] = RadarPoint{Label: themeTitle(lang, t.Title, t.TitleEN), Percent: t.Percent}
	}
	d := resultData{Assessment: a, Questionnaire: q, Result: res, Radar: Radar(lang.T("maturity.radar_title"), points), PrintedAt: time.Now()}
	others, _, err := h.Assessments.List(r.Context(), Filter{OrgID: a.OrgID, Slug: a.Slug})
	for _, o := range others {
		if o.ID != a.ID {
			d.Others = append(d.Others, o)
		}
	}
	return d, err
}

func themeTitle(l i18n.Lang, fr, en string) string {
	if l == i18n.EN && en != "" {
		return en
	}
	return fr
}

// Results shows the level, the radar, the priority measures and the detail.
func (h *Handler) Results(w http.ResponseWriter, r *http.Request) {
	d, err := h.resultData(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.View(r, "maturity.results_title")
	v.Flash = web.TakeFlash(w, r)
	v.Data = d
	h.Render.Render(w, http.StatusOK, "maturity-results", v)
}

// ReportPDF prints the restitution: level, radar and six priority measures on the
// first page, then the detail.
func (h *Handler) ReportPDF(w http.ResponseWriter, r *http.Request) {
	d, err := h.resultData(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.View(r, "maturity.report_title")
	v.Data = d
	var b strings.Builder
	if err := h.Render.Execute(&b, "maturity-report", v); err != nil {
		h.fail(w, r, err)
		return
	}
	pdf, err := h.PDF.Render(r.Context(), b.String())
	if errors.Is(err, docs.ErrNoBrowser) {
		h.fail(w, r, problem.New(problem.Conflict, "maturity.error.no_pdf"))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="restitution-%d.pdf"`, d.Assessment.ID))
	_, _ = w.Write(pdf)
}

// AnswersXLSX sends the answers as a spreadsheet.
func (h *Handler) AnswersXLSX(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, q, res, err := h.Assessments.Result(r.Context(), id)
	var stored map[string]Answer
	if err == nil {
		stored, err = h.Assessments.Answers(r.Context(), id)
	}
	var data []byte
	if err == nil {
		data, err = AnswersXLSX(a, q, stored, res)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="autoevaluation-%d.xlsx"`, id))
	_, _ = w.Write(data)
}

type compareData struct {
	Comparison
	Chart template.HTML
}

// Compare shows two assessments of one establishment side by side.
func (h *Handler) Compare(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	other, perr := strconv.ParseInt(r.URL.Query().Get("avec"), 10, 64)
	if err == nil && perr != nil {
		err = problem.New(problem.Invalid, "maturity.error.compare")
	}
	var c Comparison
	if err == nil {
		c, err = h.Assessments.Compare(r.Context(), other, id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.View(r, "maturity.compare_title")
	v.Data = compareData{Comparison: c, Chart: DeltaChart(v.T("maturity.compare_title"), c.Themes)}
	h.Render.Render(w, http.StatusOK, "maturity-compare", v)
}

// ---- roll-ups ----

type rollUpData struct {
	RollUp   RollUp
	Nodes    []OrgChoice
	Versions []Version
	Slug     string
}

// RollUpPage shows the distribution of levels and theme scores under a node.
func (h *Handler) RollUpPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := rollUpData{Slug: r.URL.Query().Get("questionnaire")}
	var err error
	if d.Nodes, err = h.Nodes(ctx); err == nil {
		d.Versions, err = h.Assessments.Versions(ctx, false)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Slug == "" && len(d.Versions) > 0 {
		d.Slug = d.Versions[0].Slug
	}
	node, _ := strconv.ParseInt(r.URL.Query().Get("noeud"), 10, 64)
	if node == 0 && len(d.Nodes) > 0 {
		node = d.Nodes[0].ID
	}
	if node != 0 && d.Slug != "" {
		if d.RollUp, err = h.Assessments.RollUp(ctx, node, d.Slug); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	v := h.View(r, "maturity.rollup_title")
	v.Data = d
	h.Render.Render(w, http.StatusOK, "maturity-rollup", v)
}

// ---- questionnaires ----

// Questionnaires lists every version and offers the import form.
func (h *Handler) Questionnaires(w http.ResponseWriter, r *http.Request) {
	h.questionnaires(w, r, http.StatusOK, h.View(r, "maturity.questionnaires_title"))
}

func (h *Handler) questionnaires(w http.ResponseWriter, r *http.Request, status int, v *web.View) {
	versions, err := h.Assessments.Versions(r.Context(), true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s, _ := authz.FromContext(r.Context())
	v.Data = struct {
		Versions   []Version
		CanContent bool
	}{versions, s.CanAnywhere(authz.ContentManage)}
	h.Render.Render(w, status, "maturity-questionnaires", v)
}

// Import stores an uploaded questionnaire version.
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) {
	v := h.View(r, "maturity.questionnaires_title")
	file, _, err := r.FormFile("file")
	if err == nil {
		defer file.Close()
		var data []byte
		if data, err = io.ReadAll(file); err == nil {
			_, err = h.Assessments.Import(r.Context(), data)
		}
	}
	if err != nil && !isProblem(err) {
		err = problem.New(problem.Invalid, "maturity.error.file_missing")
	}
	if err != nil {
		web.LogIfInternal(r, err)
		v.SetError(err)
		h.questionnaires(w, r, web.Status(err), v)
		return
	}
	v.Flash = "maturity.imported"
	h.questionnaires(w, r, http.StatusCreated, v)
}

// Source sends a questionnaire version's YAML, to edit and import again.
func (h *Handler) Source(w http.ResponseWriter, r *http.Request) {
	id, err := web.PathID(r, "id")
	var src string
	if err == nil {
		src, err = h.Assessments.Source(r.Context(), id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="questionnaire-%d.yaml"`, id))
	_, _ = io.WriteString(w, src)
}
