package maturity

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"care/internal/org"
	"care/internal/platform/docs"
	"care/internal/platform/problem"
	"care/internal/platform/web"
)

//go:embed templates/*.html
var Templates embed.FS

// Handler serves the self-assessment pages and API. Each page calls one service
// method, which loads and checks the establishment; node selectors come from
// org.Service.Chooser.
type Handler struct {
	web.Pages
	Assessments *Service
	Orgs        *org.Service
	PDF         *docs.PDF
}

// ---- list and creation ----

type listData struct {
	Overview
	Chooser  web.Chooser  // the establishment of a new assessment: a short list, else a search
	Regional org.Regional // the view of a GHT, a region or the nation
}

// List shows the visible assessments and the form to start one.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
	h.list(w, r, h.View(r, "maturity.title"), nil)
}

// list renders the list page, with the errors of a refused form when formErr is set.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, v *web.View, formErr error) {
	ctx := r.Context()
	id, err := web.OrgParam(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	d := listData{}
	if d.Overview, err = h.Assessments.Overview(ctx, id); err != nil {
		h.Fail(w, r, err)
		return
	}
	if d.Regional, err = h.Orgs.Regional(ctx, "/autoevaluations", id, h.Assessments.StatusSource()); err != nil {
		h.Fail(w, r, err)
		return
	}
	if d.CanStart {
		if d.Chooser, err = h.Orgs.Chooser(ctx, "/autoevaluations", d.Org, org.LegalEntity, org.Site); err != nil {
			h.Fail(w, r, err)
			return
		}
	}
	h.Show(w, r, "maturity-list", v, d, formErr)
}

// Create starts an assessment and opens it.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) {
	qid, _ := strconv.ParseInt(r.PostFormValue("questionnaire"), 10, 64)
	orgID, _ := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	a, err := h.Assessments.Create(r.Context(), qid, orgID)
	if err != nil {
		v := h.View(r, "maturity.title")
		v.Form = map[string]string{"questionnaire": r.PostFormValue("questionnaire"), "org": r.PostFormValue("org")}
		h.list(w, r, v, err)
		return
	}
	web.Done(w, r, "", fmt.Sprintf("/autoevaluations/%d", a.ID))
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
	Sheet
	Themes      []themeView
	Step        int    // the theme shown: the questionnaire is filled one theme per step
	Unanswered  string // the address of the first visible question without an answer, "" when none
	Left        int    // visible questions without an answer
	Editable    bool
	CanSubmit   bool // a draft the caller may submit, every visible question answered
	CanReopen   bool
	CanValidate bool
	CanLock     bool
}

// fillView lays an assessment out as its form shows it.
func fillView(sh Sheet) fillData {
	a, q, st := sh.Assessment, sh.Questionnaire, sh.Assessment.Status
	choices := Choices(sh.Answers)
	d := fillData{Sheet: sh, Editable: sh.CanWrite && st.Editable(),
		CanSubmit: sh.CanWrite && st == Draft && sh.Result.Answered >= sh.Result.Visible, CanReopen: sh.CanWrite && st == Review,
		CanValidate: sh.CanSign && st == Review, CanLock: sh.CanSign && st == Validated}
	for i, t := range q.Themes {
		tv := themeView{Theme: t, Score: sh.Result.Themes[i]}
		for _, qu := range t.Questions {
			qv := questionView{Question: qu, Hidden: !q.Visible(qu, choices), Answer: sh.Answers[qu.ID], Editable: d.Editable, AID: a.ID, Theme: t.ID}
			for _, e := range sh.Evidence {
				if e.QuestionID == qu.ID {
					qv.Evidence = append(qv.Evidence, e)
				}
			}
			tv.Questions = append(tv.Questions, qv)
			if !qv.Hidden && qv.Answer.OptionID == "" {
				d.Left++
				if d.Unanswered == "" {
					d.Unanswered = fmt.Sprintf("/autoevaluations/%d?etape=%s#q-%s", a.ID, url.QueryEscape(t.ID), qu.ID)
				}
			}
		}
		d.Themes = append(d.Themes, tv)
	}
	return d
}

// at shows the step of theme id ("" or unknown: the first).
func (d fillData) at(theme string) fillData {
	for i, t := range d.Themes {
		if t.ID == theme {
			d.Step = i
		}
	}
	return d
}

// Current is the theme of the step shown.
func (d fillData) Current() themeView { return d.Themes[d.Step] }

// StepURL is the address of step i.
func (d fillData) StepURL(i int) string {
	if i < 0 || i >= len(d.Themes) {
		return fmt.Sprintf("/autoevaluations/%d", d.Assessment.ID)
	}
	return fmt.Sprintf("/autoevaluations/%d?etape=%s", d.Assessment.ID, url.QueryEscape(d.Themes[i].ID))
}

// Fill shows an assessment: the form while editable, the answers afterwards.
func (h *Handler) Fill(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	h.fill(w, r, id, nil)
}

// fill reads assessment id and shows its form, with the errors of a refused
// request when formErr is set.
func (h *Handler) fill(w http.ResponseWriter, r *http.Request, id int64, formErr error) {
	sh, err := h.Assessments.Fill(r.Context(), id)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.renderFill(w, r, fillView(sh).at(r.URL.Query().Get("etape")), formErr)
}

func (h *Handler) renderFill(w http.ResponseWriter, r *http.Request, d fillData, formErr error) {
	v := h.View(r, "maturity.fill_title")
	v.Flash = web.TakeFlash(w, r)
	v.Data = d
	if formErr != nil {
		h.Again(w, r, "maturity-fill", v, formErr)
		return
	}
	h.Render.Render(w, http.StatusOK, "maturity-fill", v)
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
	sh, ok := web.ByID(w, r, h.Fail, h.Assessments.Fill)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.Fail(w, r, problem.New(problem.Invalid, "error.invalid"))
		return
	}
	id := sh.Assessment.ID
	before := fillView(sh).at(r.URL.Query().Get("etape"))
	_, err := h.Assessments.SaveAnswers(r.Context(), id, readChanges(r.PostForm))
	partial := r.Header.Get("HX-Request") == "true"
	if err != nil && partial {
		w.Header().Set("HX-Reswap", "none")
		h.Again(w, r, "maturity-save-error", h.View(r, ""), err)
		return
	}
	if err != nil {
		h.renderFill(w, r, before, err)
		return
	}
	if !partial {
		web.Done(w, r, "maturity.saved", before.StepURL(before.Step))
		return
	}
	if sh, err = h.Assessments.Fill(r.Context(), id); err != nil {
		h.Fail(w, r, err)
		return
	}
	after := fillView(sh)
	v := h.View(r, "")
	v.Data = savedData{Result: after.Result, Changed: changedQuestions(before, after)}
	h.Render.Render(w, http.StatusOK, "maturity-saved", v)
}

type savedData struct {
	Result  Result
	Changed []questionView
}

// changedQuestions lists the questions that appeared or disappeared: re-rendering
// the others would replace fields under the user's cursor.
func changedQuestions(before, after fillData) []questionView {
	hidden := map[string]bool{}
	for _, t := range before.Themes {
		for _, q := range t.Questions {
			hidden[q.ID] = q.Hidden
		}
	}
	var changed []questionView
	for _, t := range after.Themes {
		for _, q := range t.Questions {
			if hidden[q.ID] != q.Hidden {
				changed = append(changed, q)
			}
		}
	}
	return changed
}

// AddEvidence attaches an uploaded file to a question.
func (h *Handler) AddEvidence(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(w, r, h.Fail)
	if !ok {
		return
	}
	qid := r.FormValue("question")
	err := docs.Upload(r, "file", problem.New(problem.Invalid, "file.error.missing"), true,
		func(name string, data []byte) error {
			_, err := h.Assessments.AddEvidence(r.Context(), id, qid, name, data)
			return err
		})
	if err != nil {
		h.fill(w, r, id, err)
		return
	}
	web.Done(w, r, "maturity.evidence_added", fmt.Sprintf("/autoevaluations/%d#q-%s", id, url.PathEscape(qid)))
}

// evidenceIDs reads the assessment and the file of an evidence path.
func evidenceIDs(r *http.Request) (id, eid int64, err error) {
	if id, err = web.PathID(r, "id"); err != nil {
		return 0, 0, err
	}
	eid, err = web.PathID(r, "eid")
	return id, eid, err
}

// Evidence sends a stored file as an attachment, never rendered inline.
func (h *Handler) Evidence(w http.ResponseWriter, r *http.Request) {
	h.SendFile(w, r, "id", "eid", func(ctx context.Context, id, eid int64) (docs.Attachment, []byte, error) {
		e, data, err := h.Assessments.EvidenceFile(ctx, id, eid)
		return e.Attachment, data, err
	})
}

// DeleteEvidence removes a file.
func (h *Handler) DeleteEvidence(w http.ResponseWriter, r *http.Request) {
	id, eid, err := evidenceIDs(r)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	if err := h.Assessments.DeleteEvidence(r.Context(), id, eid); err != nil {
		h.Fail(w, r, err)
		return
	}
	web.Done(w, r, "maturity.evidence_deleted", fmt.Sprintf("/autoevaluations/%d", id))
}

// Transition moves the assessment through its lifecycle.
func (h *Handler) Transition(to Status) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := web.IDParam(w, r, h.Fail)
		if !ok {
			return
		}
		a, err := h.Assessments.Move(r.Context(), id, to)
		if err != nil {
			h.fill(w, r, id, err)
			return
		}
		next := fmt.Sprintf("/autoevaluations/%d", id)
		if to == Validated {
			next += "/resultats"
		}
		web.Done(w, r, "maturity.status_"+string(a.Status), next)
	}
}
